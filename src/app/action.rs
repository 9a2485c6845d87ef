//! Actions that drive `update`, the commands it returns, and the owned snapshots pollers send.

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::KeyEvent;
use serde::{Deserialize, Serialize};

use crate::boundary::BackendError;
use crate::domain::*;

/// A data source the console polls; each has its own health and staleness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Panel {
    Identity,
    Endpoints,
    Metrics,
    Autoscaling,
    Quotas,
    Events,
    /// Series of the endpoint on screen over the chart window.
    Charts,
}

impl Panel {
    pub const ALL: [Panel; 7] = [
        Panel::Identity,
        Panel::Endpoints,
        Panel::Metrics,
        Panel::Autoscaling,
        Panel::Quotas,
        Panel::Events,
        Panel::Charts,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Panel::Identity => "identity",
            Panel::Endpoints => "endpoints",
            Panel::Metrics => "metrics",
            Panel::Autoscaling => "autoscaling",
            Panel::Quotas => "quotas",
            Panel::Events => "events",
            Panel::Charts => "charts",
        }
    }
}

/// Latest figures of one variant, from the newest complete CloudWatch datapoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantMetrics {
    /// Start of the minute the newest datapoint covers.
    pub at: Option<Timestamp>,
    pub invocations_per_min: Option<f64>,
    pub invocations_per_instance: Option<f64>,
    /// Milliseconds (converted from CloudWatch's microseconds).
    pub model_latency_ms: Option<f64>,
    pub model_latency_p99_ms: Option<f64>,
    pub overhead_latency_ms: Option<f64>,
    pub errors_4xx: Option<f64>,
    pub errors_5xx: Option<f64>,
    /// Percent, summed over cores (a 4-vCPU instance reads 0–400).
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub disk: Option<f64>,
    /// Percent, summed over GPUs.
    pub gpu: Option<f64>,
    pub gpu_memory: Option<f64>,
    /// Series CloudWatch could not deliver this poll (GetMetricData's per-series StatusCode
    /// InternalError or Forbidden): their figures are unknown, not zero.
    #[serde(default)]
    pub failed: Vec<(crate::domain::MetricName, crate::domain::Statistic)>,
}

/// Endpoint descriptions from one poll; endpoints that failed to describe are listed apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointsData {
    pub endpoints: Vec<Endpoint>,
    /// Endpoint name → why its describe failed (the rest of the list is still good).
    pub failed: BTreeMap<String, BackendError>,
    /// Endpoint name → when its description (variants) was last read; endpoints missing
    /// here are known only from `ListEndpoints` so far.
    #[serde(default)]
    pub described_at: BTreeMap<String, Timestamp>,
}

/// Latest metrics of every variant, keyed by (endpoint, variant), plus the raw recent series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsData {
    pub latest: BTreeMap<(String, String), VariantMetrics>,
    pub series: Vec<MetricSeries>,
    /// Endpoint name → when its figures were read (the cost governor reads some endpoints
    /// less often than every minute; rows show how old their figures are).
    #[serde(default)]
    pub fetched_at: BTreeMap<String, Timestamp>,
    /// What the cost governor chose in the newest poll (`:api`).
    #[serde(default)]
    pub budget: Option<crate::metric_budget::BudgetReport>,
}

/// Autoscaling of every endpoint polled: configuration and recent activities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoscalingData {
    pub config: BTreeMap<String, Vec<VariantAutoscaling>>,
    pub activities: BTreeMap<String, Vec<ScalingActivity>>,
    /// Activities that could not be read while the configuration could (shown as the
    /// panel's error next to the configuration that did load).
    #[serde(default)]
    pub activity_errors: BTreeMap<String, BackendError>,
}

/// What a successful poll carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelData {
    Identity(Identity),
    Endpoints(EndpointsData),
    Metrics(MetricsData),
    Autoscaling(AutoscalingData),
    Quotas(Vec<ServiceQuota>),
    Events(Vec<TrailEvent>),
    Charts(crate::app::charts::ChartsData),
}

impl PanelData {
    pub fn panel(&self) -> Panel {
        match self {
            PanelData::Identity(_) => Panel::Identity,
            PanelData::Endpoints(_) => Panel::Endpoints,
            PanelData::Metrics(_) => Panel::Metrics,
            PanelData::Autoscaling(_) => Panel::Autoscaling,
            PanelData::Quotas(_) => Panel::Quotas,
            PanelData::Events(_) => Panel::Events,
            PanelData::Charts(_) => Panel::Charts,
        }
    }
}

/// An owned, timestamped result of one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Polled {
    pub panel: Panel,
    /// When the poll finished (injected clock).
    pub at: Timestamp,
    pub result: Result<PanelData, BackendError>,
    /// After a failure: how long the poller waits before trying again.
    pub retry_in: Option<Duration>,
}

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
    ApiStats(Option<crate::api_stats::ApiStats>),
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
    /// Deployments: the `D` dialog, the watched endpoint's deployment section (`app::deploy`).
    Deploy(crate::app::deploy::DeployAction),
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
    /// Send a write, start or abort a traffic shift (`write::Executor`).
    Ops(crate::write::OpsCommand),
    /// Start or stop a load run, save its results (`load::console::LoadRunner`).
    Runs(crate::app::runs::RunsCommand),
    /// Read what the deploy dialog offers (`deploy_poll::DeployPoller`).
    Deploy(crate::app::deploy::DeployCommand),
}

/// A new connection after `:profile` / `:region`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reconnected {
    pub session: crate::app::state::SessionInfo,
    /// The new profile is marked production in the config file.
    pub production: bool,
}
