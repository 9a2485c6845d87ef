//! Actions that drive `update`, the commands it returns, and the owned snapshots pollers send.

use crossterm::event::KeyEvent;

pub use crate::poll::data::{
    AutoscalingData, EndpointsData, MetricsData, Panel, PanelData, Polled, VariantMetrics,
};

/// Everything that can happen to the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// A raw key; `update` resolves it through the keymap for the current scope.
    Key(KeyEvent),
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    StartFilter,
    StartCommand,
    ToggleHelp,
    /// Cycle the sort column (endpoints view).
    CycleSort,
    /// Flip the sort direction.
    ReverseSort,
    Refresh,
    /// Quit from the top view (`q`); in a sub-view acts as Back.
    Quit,
    /// Quit from anywhere (Ctrl-C).
    ForceQuit,
    /// Suspend to the shell (Ctrl-Z); `fg` resumes and redraws.
    Suspend,
    /// The backend's call accounting (sent by the runtime while `:api` is open).
    ApiStats(Option<crate::boundary::api_stats::ApiStats>),
    /// The runtime switched backends (`:profile`/`:region`), or says why it could not.
    Reconnected(Result<Reconnected, String>),
    /// Run a `:` command line as typed.
    RunCommand(String),
    Resize(u16, u16),
    /// Time passes; refreshes ages shown on screen.
    Tick,
    Polled(Polled),
    /// A poll started for this panel (shown as "refreshing").
    PollStarted(Panel),
    /// Copy the selected endpoint's name (or ARN) to the clipboard.
    Copy {
        arn: bool,
    },
    /// The runtime reports the outcome of a command (theme switched, copy sent, …).
    Notify(crate::app::state::NoticeLevel, String),
    /// Next chart time window (`t`).
    CycleWindow,
    /// The events view (`e`; from the detail: that endpoint's events).
    OpenEvents,
    /// The quotas view (`Q`).
    OpenQuotas,
    /// Show or hide read-only Describe/List events.
    ToggleReadEvents,
    /// Fetch the next older page of events.
    OlderEvents,
    /// A page of CloudTrail events fetched on demand arrived.
    EventsPage(crate::app::trail_log::EventsPageResult),
    /// Writes: dialogs, write events, traffic-shift snapshots (`app::ops`).
    Ops(crate::app::ops::OpsAction),
    /// Load runs: the `b` dialog, live progress, results (`app::runs`).
    Runs(crate::app::runs::RunsAction),
    /// The logs view (`l` in the detail; `app::logs_view`).
    Logs(crate::app::logs_view::LogsAction),
    /// Deployments: the `D` dialog, the watched endpoint's deployment section (`app::deploy`).
    Deploy(crate::app::deploy::DeployAction),
    /// What one context's services sent, when several accounts or regions are open
    /// (`app::contexts`).
    Ctx {
        label: String,
        action: Box<Action>,
    },
}

/// Side effects `update` asks the runtime to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Quit,
    /// Poll now: one panel, or every panel when `None`.
    Refresh(Option<Panel>),
    /// The endpoint whose details (autoscaling, activities) are on screen, polled more often.
    Watch(Option<String>),
    /// The rows of the endpoints table on screen (described and metered first).
    Visible(Vec<String>),
    /// Put text on the clipboard of the terminal (OSC 52; works over SSH).
    Copy(String),
    /// Switch to a theme by name or path.
    SetTheme(String),
    /// Reconnect to AWS with this profile and region (the current ones where `None`).
    Reconnect {
        profile: Option<String>,
        region: Option<String>,
    },
    /// Give the terminal back and stop (SIGTSTP); redraw on resume.
    Suspend,
    /// The chart window changed: poll the charts for it now.
    ChartWindow(crate::app::charts::ChartWindow),
    /// Fetch one page of CloudTrail events (the AWS backend keeps to 2 calls a second).
    FetchEvents(crate::app::trail_log::EventsRequest),
    /// Send a write, start or abort a traffic shift (`rollout::Executor`).
    Ops(crate::rollout::OpsCommand),
    /// Start or stop a load run, save its results (`load::console::LoadRunner`).
    Runs(crate::app::runs::RunsCommand),
    /// Read the endpoint's logs once (`logs_tail::LogsTail`).
    Logs(crate::logs_tail::LogsRequest),
    /// Read what the deploy dialog offers (`poll::deploy::DeployPoller`).
    Deploy(crate::app::deploy::DeployCommand),
}

/// A new connection after `:profile` / `:region`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnected {
    pub session: crate::app::state::SessionInfo,
    /// The new profile is marked production in the config file.
    pub production: bool,
}

impl From<crate::poll::data::PollEvent> for Action {
    fn from(event: crate::poll::data::PollEvent) -> Self {
        match event {
            crate::poll::data::PollEvent::Started(panel) => Action::PollStarted(panel),
            crate::poll::data::PollEvent::Polled(polled) => Action::Polled(polled),
        }
    }
}

impl From<crate::app::trail_log::EventsPageResult> for Action {
    fn from(page: crate::app::trail_log::EventsPageResult) -> Self {
        Action::EventsPage(page)
    }
}

impl From<crate::rollout::RolloutEvent> for Action {
    fn from(event: crate::rollout::RolloutEvent) -> Self {
        use crate::app::ops::OpsAction;
        use crate::rollout::RolloutEvent;
        match event {
            RolloutEvent::Write(event) => Action::Ops(OpsAction::Write(event)),
            RolloutEvent::Shift(snapshot) => Action::Ops(OpsAction::Shift(snapshot)),
            RolloutEvent::Notice(level, text) => Action::Notify(level, text),
        }
    }
}

impl From<crate::logs_tail::LogsFetched> for Action {
    fn from(f: crate::logs_tail::LogsFetched) -> Action {
        Action::Logs(crate::app::logs_view::LogsAction::Fetched(f))
    }
}

impl From<crate::write::WriteReport> for Action {
    fn from(report: crate::write::WriteReport) -> Self {
        crate::rollout::RolloutEvent::from(report).into()
    }
}

impl From<crate::load::console::LoadEvent> for Action {
    fn from(event: crate::load::console::LoadEvent) -> Self {
        use crate::app::runs::RunsAction;
        use crate::load::console::LoadEvent;
        match event {
            LoadEvent::Progress { id, progress } => {
                Action::Runs(RunsAction::Progress { id, progress })
            }
            LoadEvent::Finished { id, report } => Action::Runs(RunsAction::Finished { id, report }),
            LoadEvent::Failed { id, message } => Action::Runs(RunsAction::Failed { id, message }),
            LoadEvent::Notice(level, text) => Action::Notify(level, text),
        }
    }
}
