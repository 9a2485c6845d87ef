//! Where a binding applies: every view, overlay, dialog, load-run screen and the typed lines,
//! with the title help shows and the name the config file's `[keys.NAME]` tables use.

macro_rules! scopes {
    ($($variant:ident => ($name:literal, $title:literal)),* $(,)?) => {
        /// Where a binding applies. Global bindings apply in the views unless a view binds
        /// the key; dialogs, load-run screens, help and the typed lines take only their own
        /// keys (and ctrl-c).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Scope {
            $($variant),*
        }

        impl Scope {
            /// Every scope, in help order.
            pub const ALL: &'static [Scope] = &[$(Scope::$variant),*];

            /// Name of the scope's `[keys.NAME]` table in the config file.
            pub fn name(self) -> &'static str {
                match self {
                    $(Scope::$variant => $name),*
                }
            }

            /// Heading in help and in messages.
            pub fn title(self) -> &'static str {
                match self {
                    $(Scope::$variant => $title),*
                }
            }
        }
    };
}

scopes! {
    Global => ("global", "Everywhere"),
    Endpoints => ("endpoints", "Endpoints view"),
    Detail => ("detail", "Endpoint detail"),
    Shift => ("shift", "Traffic shift running (endpoint detail)"),
    Events => ("events", "Events view"),
    EventJson => ("event_json", "Event JSON"),
    Quotas => ("quotas", "Quotas view"),
    Api => ("api", "API calls view"),
    Logs => ("logs", "Logs view"),
    Help => ("help", "Help"),
    Filter => ("filter", "Typing a / filter"),
    CommandLine => ("command_line", "Typing a : command"),
    Weights => ("weights", "Weights dialog"),
    Scale => ("scale", "Scale dialog"),
    Deploy => ("deploy", "Deploy dialog"),
    Copies => ("copies", "Copies dialog (inference components)"),
    Confirm => ("confirm", "Confirm dialog"),
    ConfirmTyped => ("confirm_production", "Confirm dialog (production profile)"),
    AbortShift => ("abort_shift", "Abort traffic shift dialog"),
    QuitDialog => ("quit", "Quit while a shift runs"),
    LoadPlan => ("load_plan", "Load run dialog"),
    LoadConfirm => ("load_confirm", "Load run confirm"),
    LoadLive => ("load_run", "Load run running"),
    LoadDone => ("load_done", "Load run finished"),
    LoadRuns => ("load_runs", "Past load runs (:runs)"),
}

/// Scopes the config file can name together: `[keys.dialog]` and `[keys.load]`.
pub const GROUPS: [(&str, &[Scope]); 2] = [
    (
        "dialog",
        &[
            Scope::Weights,
            Scope::Scale,
            Scope::Deploy,
            Scope::Copies,
            Scope::Confirm,
            Scope::ConfirmTyped,
            Scope::AbortShift,
            Scope::QuitDialog,
        ],
    ),
    (
        "load",
        &[
            Scope::LoadPlan,
            Scope::LoadConfirm,
            Scope::LoadLive,
            Scope::LoadDone,
            Scope::LoadRuns,
        ],
    ),
];

/// The views and help: the scopes a flat `[keys]` entry rebinds (as before scoped tables).
pub const VIEWS: [Scope; 10] = [
    Scope::Global,
    Scope::Endpoints,
    Scope::Detail,
    Scope::Shift,
    Scope::Events,
    Scope::EventJson,
    Scope::Quotas,
    Scope::Api,
    Scope::Logs,
    Scope::Help,
];

impl Scope {
    /// The scopes a `[keys.NAME]` table names (one scope or a group).
    pub fn resolve(name: &str) -> Option<Vec<Scope>> {
        if let Some((_, g)) = GROUPS.iter().find(|(n, _)| *n == name) {
            return Some(g.to_vec());
        }
        Scope::ALL
            .iter()
            .find(|s| s.name() == name)
            .map(|s| vec![*s])
    }

    /// Global bindings are live here (the views); elsewhere only ctrl-c is.
    pub fn inherits_global(self) -> bool {
        VIEWS.contains(&self) && self != Scope::Help
    }

    /// Every name a `[keys.NAME]` table may use, for error messages.
    pub fn names() -> String {
        Scope::ALL
            .iter()
            .map(|s| s.name())
            .chain(GROUPS.iter().map(|(n, _)| *n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
