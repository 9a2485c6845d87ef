//! The bindable actions: their names in the config file's `[keys]` tables and, for the views'
//! actions, the app [`Action`] each one sends. Dialog, load-run, help and command-line actions
//! are interpreted by the screen whose scope bound them.

use crate::app::action::Action;

macro_rules! key_actions {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// A bindable action (what a key does in a scope).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum KeyAction {
            $($variant),*
        }

        impl KeyAction {
            /// Every bindable action.
            pub const ALL: &'static [KeyAction] = &[$(KeyAction::$variant),*];

            /// Name used in the config file's `[keys]` tables.
            pub fn name(self) -> &'static str {
                match self {
                    $(KeyAction::$variant => $name),*
                }
            }
        }
    };
}

key_actions! {
    MoveDown => "move_down",
    MoveUp => "move_up",
    PageDown => "page_down",
    PageUp => "page_up",
    Top => "top",
    Bottom => "bottom",
    Open => "open",
    Back => "back",
    Filter => "filter",
    Command => "command",
    Help => "help",
    CycleSort => "sort",
    ReverseSort => "reverse_sort",
    Refresh => "refresh",
    CopyName => "copy_name",
    CopyArn => "copy_arn",
    Window => "window",
    Events => "events",
    Quotas => "quotas",
    ToggleReads => "toggle_reads",
    OlderEvents => "older_events",
    Weights => "weights",
    Scale => "scale",
    Copies => "copies",
    AbortShift => "abort_shift",
    LoadRun => "load_run",
    Deploy => "deploy",
    Logs => "logs",
    LogsPause => "logs_pause",
    LogsStreams => "logs_streams",
    Quit => "quit",
    ForceQuit => "force_quit",
    Suspend => "suspend",
    // Dialogs, load-run screens, help and the command line.
    Next => "next",
    Previous => "previous",
    Left => "left",
    Right => "right",
    Submit => "submit",
    Cancel => "cancel",
    Confirm => "confirm",
    DeleteChar => "delete_char",
    RollBack => "roll_back",
    KeepStep => "keep_step",
    Stop => "stop",
    Save => "save",
    Complete => "complete",
    Toggle => "toggle",
}

impl KeyAction {
    pub fn from_name(name: &str) -> Option<KeyAction> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The app action a view key sends; `None` for actions a screen interprets itself.
    pub fn to_action(self) -> Option<Action> {
        use crate::app::logs_view::LogsAction;
        use crate::app::ops::OpsAction;
        use crate::app::runs::RunsAction;
        Some(match self {
            KeyAction::MoveUp => Action::MoveUp,
            KeyAction::MoveDown => Action::MoveDown,
            KeyAction::PageUp => Action::PageUp,
            KeyAction::PageDown => Action::PageDown,
            KeyAction::Top => Action::Top,
            KeyAction::Bottom => Action::Bottom,
            KeyAction::Open => Action::Open,
            KeyAction::Back => Action::Back,
            KeyAction::Filter => Action::StartFilter,
            KeyAction::Command => Action::StartCommand,
            KeyAction::Help => Action::ToggleHelp,
            KeyAction::CycleSort => Action::CycleSort,
            KeyAction::ReverseSort => Action::ReverseSort,
            KeyAction::Refresh => Action::Refresh,
            KeyAction::Quit => Action::Quit,
            KeyAction::ForceQuit => Action::ForceQuit,
            KeyAction::CopyName => Action::Copy { arn: false },
            KeyAction::CopyArn => Action::Copy { arn: true },
            KeyAction::Suspend => Action::Suspend,
            KeyAction::Window => Action::CycleWindow,
            KeyAction::Events => Action::OpenEvents,
            KeyAction::Quotas => Action::OpenQuotas,
            KeyAction::ToggleReads => Action::ToggleReadEvents,
            KeyAction::OlderEvents => Action::OlderEvents,
            KeyAction::Weights => Action::Ops(OpsAction::OpenWeights),
            KeyAction::Scale => Action::Ops(OpsAction::OpenScale),
            KeyAction::Copies => Action::Ops(OpsAction::OpenCopies),
            KeyAction::AbortShift => Action::Ops(OpsAction::AbortShift),
            KeyAction::LoadRun => Action::Runs(RunsAction::Open),
            KeyAction::Deploy => Action::Deploy(crate::app::deploy::DeployAction::Open),
            KeyAction::Logs => Action::Logs(LogsAction::Open),
            KeyAction::LogsPause => Action::Logs(LogsAction::TogglePause),
            KeyAction::LogsStreams => Action::Logs(LogsAction::NextStreams),
            KeyAction::Next
            | KeyAction::Previous
            | KeyAction::Left
            | KeyAction::Right
            | KeyAction::Submit
            | KeyAction::Cancel
            | KeyAction::Confirm
            | KeyAction::DeleteChar
            | KeyAction::RollBack
            | KeyAction::KeepStep
            | KeyAction::Stop
            | KeyAction::Save
            | KeyAction::Complete
            | KeyAction::Toggle => return None,
        })
    }
}
