//! The one keymap table: keys → actions per scope; it also feeds the help screen and footer.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;

/// Where a binding applies. Global bindings apply everywhere unless a scope binds the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    Global,
    Endpoints,
    Detail,
    Events,
    EventJson,
    Quotas,
    /// The API accounting view.
    Api,
    /// The detail of an endpoint with a traffic shift running (falls back to Detail).
    Shift,
    Help,
}

impl Scope {
    pub fn title(self) -> &'static str {
        match self {
            Scope::Global => "Everywhere",
            Scope::Endpoints => "Endpoints view",
            Scope::Detail => "Endpoint detail",
            Scope::Events => "Events view",
            Scope::EventJson => "Event JSON",
            Scope::Quotas => "Quotas view",
            Scope::Api => "API calls view",
            Scope::Shift => "Traffic shift running (endpoint detail)",
            Scope::Help => "Help",
        }
    }
}

/// A bindable action (a key-triggered subset of [`Action`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAction {
    MoveUp,
    MoveDown,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Command,
    Help,
    CycleSort,
    ReverseSort,
    Refresh,
    Quit,
    ForceQuit,
    CopyName,
    CopyArn,
    Suspend,
    Window,
    Events,
    Quotas,
    ToggleReads,
    OlderEvents,
    Weights,
    Scale,
    AbortShift,
    LoadRun,
    Deploy,
}

impl KeyAction {
    /// Every bindable action, in help order.
    pub const ALL: [KeyAction; 29] = [
        KeyAction::MoveDown,
        KeyAction::MoveUp,
        KeyAction::PageDown,
        KeyAction::PageUp,
        KeyAction::Top,
        KeyAction::Bottom,
        KeyAction::Open,
        KeyAction::Back,
        KeyAction::Filter,
        KeyAction::Command,
        KeyAction::Help,
        KeyAction::CycleSort,
        KeyAction::ReverseSort,
        KeyAction::Refresh,
        KeyAction::CopyName,
        KeyAction::CopyArn,
        KeyAction::Window,
        KeyAction::Events,
        KeyAction::Quotas,
        KeyAction::ToggleReads,
        KeyAction::OlderEvents,
        KeyAction::Weights,
        KeyAction::Scale,
        KeyAction::AbortShift,
        KeyAction::LoadRun,
        KeyAction::Deploy,
        KeyAction::Quit,
        KeyAction::ForceQuit,
        KeyAction::Suspend,
    ];

    /// Name used in the config file's `[keys]` table.
    pub fn name(self) -> &'static str {
        match self {
            KeyAction::MoveUp => "move_up",
            KeyAction::MoveDown => "move_down",
            KeyAction::PageUp => "page_up",
            KeyAction::PageDown => "page_down",
            KeyAction::Top => "top",
            KeyAction::Bottom => "bottom",
            KeyAction::Open => "open",
            KeyAction::Back => "back",
            KeyAction::Filter => "filter",
            KeyAction::Command => "command",
            KeyAction::Help => "help",
            KeyAction::CycleSort => "sort",
            KeyAction::ReverseSort => "reverse_sort",
            KeyAction::Refresh => "refresh",
            KeyAction::Quit => "quit",
            KeyAction::ForceQuit => "force_quit",
            KeyAction::CopyName => "copy_name",
            KeyAction::CopyArn => "copy_arn",
            KeyAction::Suspend => "suspend",
            KeyAction::Window => "window",
            KeyAction::Events => "events",
            KeyAction::Quotas => "quotas",
            KeyAction::ToggleReads => "toggle_reads",
            KeyAction::OlderEvents => "older_events",
            KeyAction::Weights => "weights",
            KeyAction::Scale => "scale",
            KeyAction::AbortShift => "abort_shift",
            KeyAction::LoadRun => "load_run",
            KeyAction::Deploy => "deploy",
        }
    }

    pub fn from_name(name: &str) -> Option<KeyAction> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn to_action(self) -> Action {
        match self {
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
            KeyAction::Weights => Action::Ops(super::ops::OpsAction::OpenWeights),
            KeyAction::Scale => Action::Ops(super::ops::OpsAction::OpenScale),
            KeyAction::AbortShift => Action::Ops(super::ops::OpsAction::AbortShift),
            KeyAction::LoadRun => Action::Runs(super::runs::RunsAction::Open),
            KeyAction::Deploy => Action::Deploy(super::deploy::DeployAction::Open),
        }
    }
}

/// A key as written in the keymap and shown to people: "j", "enter", "ctrl-c", "?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeySpec {
    pub code: KeyCode,
    pub ctrl: bool,
}

impl KeySpec {
    pub const fn char(c: char) -> Self {
        KeySpec {
            code: KeyCode::Char(c),
            ctrl: false,
        }
    }
    pub const fn code(code: KeyCode) -> Self {
        KeySpec { code, ctrl: false }
    }
    pub const fn ctrl(c: char) -> Self {
        KeySpec {
            code: KeyCode::Char(c),
            ctrl: true,
        }
    }

    /// Parses "j", "G", "enter", "esc", "up", "pgdn", "ctrl-c", "space", "tab", "f1".
    pub fn parse(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("ctrl-").or_else(|| s.strip_prefix("ctrl+")) {
            let mut chars = rest.chars();
            return match (chars.next(), chars.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => {
                    Ok(KeySpec::ctrl(c.to_ascii_lowercase()))
                }
                _ => Err(format!(
                    "`{s}` is not a key: ctrl- takes one letter, e.g. ctrl-c"
                )),
            };
        }
        let named = match s.to_ascii_lowercase().as_str() {
            "enter" | "return" => Some(KeyCode::Enter),
            "esc" | "escape" => Some(KeyCode::Esc),
            "up" => Some(KeyCode::Up),
            "down" => Some(KeyCode::Down),
            "left" => Some(KeyCode::Left),
            "right" => Some(KeyCode::Right),
            "pgup" | "pageup" => Some(KeyCode::PageUp),
            "pgdn" | "pagedown" => Some(KeyCode::PageDown),
            "home" => Some(KeyCode::Home),
            "end" => Some(KeyCode::End),
            "tab" => Some(KeyCode::Tab),
            "backtab" => Some(KeyCode::BackTab),
            "space" => Some(KeyCode::Char(' ')),
            "backspace" => Some(KeyCode::Backspace),
            "delete" | "del" => Some(KeyCode::Delete),
            _ => None,
        };
        if let Some(code) = named {
            return Ok(KeySpec::code(code));
        }
        if let Some(n) = s
            .strip_prefix(['f', 'F'])
            .and_then(|n| n.parse::<u8>().ok())
            && (1..=12).contains(&n)
        {
            return Ok(KeySpec::code(KeyCode::F(n)));
        }
        let mut chars = s.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() => Ok(KeySpec::char(c)),
            _ => Err(format!(
                "`{s}` is not a key: use one character, a name (enter, esc, up, down, pgup, pgdn, home, end, tab, space, f1…f12) or ctrl-LETTER"
            )),
        }
    }

    /// Does a terminal key event match this spec?
    pub fn matches(&self, key: &KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl != self.ctrl {
            return false;
        }
        match (self.code, key.code) {
            // Letters with ctrl arrive lower-case; shifted letters arrive as upper-case chars.
            (KeyCode::Char(a), KeyCode::Char(b)) if self.ctrl => a.eq_ignore_ascii_case(&b),
            (a, b) => a == b,
        }
    }

    /// Display form used in help and footer.
    pub fn label(&self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "space".to_string(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Enter => "enter".into(),
            KeyCode::Esc => "esc".into(),
            KeyCode::Up => "↑".into(),
            KeyCode::Down => "↓".into(),
            KeyCode::Left => "←".into(),
            KeyCode::Right => "→".into(),
            KeyCode::PageUp => "pgup".into(),
            KeyCode::PageDown => "pgdn".into(),
            KeyCode::Home => "home".into(),
            KeyCode::End => "end".into(),
            KeyCode::Tab => "tab".into(),
            KeyCode::BackTab => "backtab".into(),
            KeyCode::Backspace => "backspace".into(),
            KeyCode::Delete => "del".into(),
            KeyCode::F(n) => format!("f{n}"),
            other => format!("{other:?}").to_lowercase(),
        };
        if self.ctrl {
            format!("ctrl-{base}")
        } else {
            base
        }
    }
}

/// One row of the keymap table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub scope: Scope,
    pub action: KeyAction,
    pub keys: Vec<KeySpec>,
    /// What the help screen says.
    pub help: &'static str,
    /// Short footer label; `None` keeps it out of the footer.
    pub footer: Option<&'static str>,
}

/// Keys reserved for features that bind them; nothing else may take them.
/// (`e` events, `Q` quotas, `t` time window, `w` weights, `s` scale and `b` load run are bound.)
pub const RESERVED: [char; 0] = [];

/// The keymap: an ordered table of bindings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

fn bind(
    scope: Scope,
    action: KeyAction,
    keys: &[KeySpec],
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        scope,
        action,
        keys: keys.to_vec(),
        help,
        footer,
    }
}

impl Default for Keymap {
    fn default() -> Self {
        use KeyAction as A;
        use Scope as S;
        let k = KeySpec::char;
        let c = KeySpec::code;
        Keymap {
            bindings: vec![
                bind(
                    S::Global,
                    A::MoveDown,
                    &[k('j'), c(KeyCode::Down)],
                    "move down",
                    None,
                ),
                bind(
                    S::Global,
                    A::MoveUp,
                    &[k('k'), c(KeyCode::Up)],
                    "move up",
                    None,
                ),
                bind(
                    S::Global,
                    A::PageDown,
                    &[c(KeyCode::PageDown), KeySpec::ctrl('f')],
                    "page down",
                    None,
                ),
                bind(
                    S::Global,
                    A::PageUp,
                    &[c(KeyCode::PageUp), KeySpec::ctrl('b')],
                    "page up",
                    None,
                ),
                bind(
                    S::Global,
                    A::Top,
                    &[k('g'), c(KeyCode::Home)],
                    "first row",
                    None,
                ),
                bind(
                    S::Global,
                    A::Bottom,
                    &[k('G'), c(KeyCode::End)],
                    "last row",
                    None,
                ),
                bind(
                    S::Global,
                    A::Help,
                    &[k('?')],
                    "show or hide this help",
                    Some("help"),
                ),
                bind(
                    S::Global,
                    A::Command,
                    &[k(':')],
                    "command line (:ep, :sort COL, :q …)",
                    Some("cmd"),
                ),
                bind(
                    S::Global,
                    A::Refresh,
                    &[k('r')],
                    "refresh every panel now",
                    Some("refresh"),
                ),
                bind(
                    S::Global,
                    A::ForceQuit,
                    &[KeySpec::ctrl('c')],
                    "quit from anywhere",
                    None,
                ),
                bind(
                    S::Global,
                    A::Suspend,
                    &[KeySpec::ctrl('z')],
                    "suspend to the shell (fg resumes)",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::Open,
                    &[c(KeyCode::Enter)],
                    "open the endpoint detail",
                    Some("detail"),
                ),
                bind(
                    S::Endpoints,
                    A::Filter,
                    &[k('/')],
                    "filter endpoints by substring",
                    Some("filter"),
                ),
                bind(
                    S::Endpoints,
                    A::CycleSort,
                    &[k('o')],
                    "sort by the next column",
                    Some("sort"),
                ),
                bind(
                    S::Endpoints,
                    A::ReverseSort,
                    &[k('O')],
                    "reverse the sort order",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::Back,
                    &[c(KeyCode::Esc)],
                    "clear the filter",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::CopyName,
                    &[k('y')],
                    "copy the endpoint name (OSC 52)",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::CopyArn,
                    &[k('Y')],
                    "copy the endpoint ARN (OSC 52)",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::Quit,
                    &[k('q')],
                    "quit sagetop",
                    Some("quit"),
                ),
                bind(
                    S::Detail,
                    A::Back,
                    &[c(KeyCode::Esc), k('q')],
                    "back to the endpoints",
                    Some("back"),
                ),
                bind(
                    S::Detail,
                    A::CopyName,
                    &[k('y')],
                    "copy the endpoint name (OSC 52)",
                    None,
                ),
                bind(
                    S::Detail,
                    A::CopyArn,
                    &[k('Y')],
                    "copy the endpoint ARN (OSC 52)",
                    None,
                ),
                bind(
                    S::Endpoints,
                    A::Events,
                    &[k('e')],
                    "CloudTrail events of every endpoint",
                    Some("events"),
                ),
                bind(
                    S::Endpoints,
                    A::Quotas,
                    &[k('Q')],
                    "service quotas with usage",
                    Some("quotas"),
                ),
                bind(
                    S::Detail,
                    A::Window,
                    &[k('t')],
                    "next chart window: 15m 1h 3h 12h 24h 7d",
                    Some("window"),
                ),
                bind(
                    S::Detail,
                    A::Events,
                    &[k('e')],
                    "CloudTrail events of this endpoint",
                    Some("events"),
                ),
                bind(
                    S::Detail,
                    A::Quotas,
                    &[k('Q')],
                    "service quotas with usage",
                    Some("quotas"),
                ),
                bind(
                    S::Events,
                    A::Open,
                    &[c(KeyCode::Enter)],
                    "the event's whole JSON",
                    Some("json"),
                ),
                bind(
                    S::Events,
                    A::Filter,
                    &[k('/')],
                    "filter events by text",
                    Some("filter"),
                ),
                bind(
                    S::Events,
                    A::ToggleReads,
                    &[k('a')],
                    "show or hide read-only Describe/List calls",
                    Some("reads"),
                ),
                bind(
                    S::Events,
                    A::OlderEvents,
                    &[k('m')],
                    "load older events (pages of 50)",
                    Some("older"),
                ),
                bind(
                    S::Events,
                    A::Back,
                    &[c(KeyCode::Esc), k('q')],
                    "clear the filter, then back",
                    Some("back"),
                ),
                bind(
                    S::Events,
                    A::Quotas,
                    &[k('Q')],
                    "service quotas with usage",
                    None,
                ),
                bind(
                    S::EventJson,
                    A::Back,
                    &[c(KeyCode::Esc), k('q')],
                    "back to the events",
                    Some("back"),
                ),
                bind(
                    S::Quotas,
                    A::Back,
                    &[c(KeyCode::Esc), k('q')],
                    "back",
                    Some("back"),
                ),
                bind(
                    S::Api,
                    A::Back,
                    &[c(KeyCode::Esc), k('q')],
                    "back to the endpoints",
                    Some("back"),
                ),
                bind(
                    S::Quotas,
                    A::Events,
                    &[k('e')],
                    "CloudTrail events",
                    Some("events"),
                ),
                bind(
                    S::Endpoints,
                    A::Weights,
                    &[k('w')],
                    "change traffic weights (confirm before sending)",
                    Some("weights"),
                ),
                bind(
                    S::Endpoints,
                    A::Scale,
                    &[k('s')],
                    "change a variant's instance count (confirm before sending)",
                    Some("scale"),
                ),
                bind(
                    S::Detail,
                    A::Weights,
                    &[k('w')],
                    "change traffic weights (confirm before sending)",
                    Some("weights"),
                ),
                bind(
                    S::Detail,
                    A::Scale,
                    &[k('s')],
                    "scale the selected variant (confirm before sending)",
                    Some("scale"),
                ),
                bind(
                    S::Detail,
                    A::Deploy,
                    &[k('D')],
                    "deploy another endpoint config: blue/green or rolling, with rollback alarms (confirm before sending)",
                    Some("deploy"),
                ),
                bind(
                    S::Endpoints,
                    A::LoadRun,
                    &[k('b')],
                    "load run on the endpoint (asks first; every invocation is billed)",
                    Some("load"),
                ),
                bind(
                    S::Detail,
                    A::LoadRun,
                    &[k('b')],
                    "load run on this endpoint (asks first; every invocation is billed)",
                    Some("load"),
                ),
                bind(
                    S::Shift,
                    A::AbortShift,
                    &[k('x'), c(KeyCode::Esc)],
                    "abort the traffic shift (asks: roll back or keep the step)",
                    Some("abort shift"),
                ),
                bind(
                    S::Shift,
                    A::Back,
                    &[k('q')],
                    "back to the endpoints (the shift goes on)",
                    Some("back"),
                ),
                bind(
                    S::Help,
                    A::Help,
                    &[k('?'), c(KeyCode::Esc), k('q')],
                    "close help",
                    Some("close"),
                ),
            ],
        }
    }
}

impl Keymap {
    /// The default keymap with some actions bound to other keys. `overrides` maps an action
    /// name (see [`KeyAction::name`]) to its new keys; every scope where the action is bound
    /// takes the new keys. Errors name the action and the bad key; conflicts are errors too.
    pub fn with_overrides<'a>(
        overrides: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<Keymap, Vec<String>> {
        let mut km = Keymap::default();
        let mut errors = Vec::new();
        for (name, keys) in overrides {
            let Some(action) = KeyAction::from_name(name) else {
                let known: Vec<&str> = KeyAction::ALL.iter().map(|a| a.name()).collect();
                errors.push(format!(
                    "unknown action `{name}` in [keys]: use one of {}",
                    known.join(", ")
                ));
                continue;
            };
            if keys.is_empty() {
                errors.push(format!("[keys] {name}: give at least one key"));
                continue;
            }
            let mut specs = Vec::new();
            for k in keys {
                match KeySpec::parse(k) {
                    Ok(spec) => specs.push(spec),
                    Err(e) => errors.push(format!("[keys] {name}: {e}")),
                }
            }
            if action == KeyAction::ForceQuit && !specs.iter().any(|k| *k == KeySpec::ctrl('c')) {
                errors.push(
                    "[keys] force_quit: ctrl-c must stay bound so sagetop can always be quit"
                        .into(),
                );
                continue;
            }
            for b in km.bindings.iter_mut().filter(|b| b.action == action) {
                b.keys = specs.clone();
            }
        }
        errors.extend(km.conflicts());
        if errors.is_empty() {
            Ok(km)
        } else {
            Err(errors)
        }
    }

    /// The action bound to `key` in `scope` (scope bindings win over global ones).
    pub fn lookup(&self, scope: Scope, key: &KeyEvent) -> Option<KeyAction> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let find = |s: Scope| {
            self.bindings
                .iter()
                .find(|b| b.scope == s && b.keys.iter().any(|k| k.matches(key)))
                .map(|b| b.action)
        };
        let parent = || {
            (scope == Scope::Shift)
                .then(|| find(Scope::Detail))
                .flatten()
        };
        find(scope).or_else(parent).or_else(|| {
            // Ctrl-C always quits, even from help; other global keys are not live under help.
            let global = find(Scope::Global)?;
            (scope != Scope::Help || global == KeyAction::ForceQuit).then_some(global)
        })
    }

    /// Bindings shown for a scope: its own first, then the global ones it does not shadow.
    pub fn bindings_for(&self, scope: Scope) -> Vec<&Binding> {
        let mut own: Vec<&Binding> = self.bindings.iter().filter(|b| b.scope == scope).collect();
        if scope == Scope::Shift {
            // The detail's own keys, except the ones a shift takes over.
            let detail = self.bindings.iter().filter(|b| b.scope == Scope::Detail);
            let kept: Vec<&Binding> = detail
                .filter(|b| {
                    !b.keys
                        .iter()
                        .all(|k| own.iter().any(|o| o.keys.contains(k)))
                })
                .collect();
            own.extend(kept);
        }
        let mut out = own.clone();
        if scope != Scope::Global && scope != Scope::Help {
            for b in self.bindings.iter().filter(|b| b.scope == Scope::Global) {
                let shadowed = b
                    .keys
                    .iter()
                    .all(|k| own.iter().any(|o| o.keys.contains(k)));
                if !shadowed {
                    out.push(b);
                }
            }
        }
        out
    }

    /// Footer hints for a scope: (keys label, short label).
    pub fn footer(&self, scope: Scope) -> Vec<(String, &'static str)> {
        self.bindings_for(scope)
            .into_iter()
            .filter_map(|b| b.footer.map(|f| (b.keys_label(), f)))
            .collect()
    }

    /// Keys bound twice within one scope (or in a scope and globally to different actions
    /// where the scope does not mean to override). Reported at start.
    pub fn conflicts(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (i, a) in self.bindings.iter().enumerate() {
            for b in &self.bindings[i + 1..] {
                if a.scope != b.scope || a.action == b.action {
                    continue;
                }
                for k in &a.keys {
                    if b.keys.contains(k) {
                        out.push(format!(
                            "key `{}` is bound to both {:?} and {:?} in {}",
                            k.label(),
                            a.action,
                            b.action,
                            a.scope.title()
                        ));
                    }
                }
            }
        }
        out
    }
}

impl Binding {
    pub fn keys_label(&self) -> String {
        self.keys
            .iter()
            .map(KeySpec::label)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn default_keymap_has_no_conflicts_and_leaves_reserved_keys_free() {
        let km = Keymap::default();
        assert!(km.conflicts().is_empty(), "{:?}", km.conflicts());
        for c in RESERVED {
            for b in &km.bindings {
                assert!(
                    !b.keys.contains(&KeySpec::char(c)),
                    "reserved key {c} bound to {:?}",
                    b.action
                );
            }
        }
    }

    #[test]
    fn no_destructive_ctrl_letters() {
        // Ctrl bindings may only navigate or quit; none may change anything.
        for b in &Keymap::default().bindings {
            if b.keys.iter().any(|k| k.ctrl) {
                assert!(
                    matches!(
                        b.action,
                        KeyAction::ForceQuit
                            | KeyAction::Suspend
                            | KeyAction::PageDown
                            | KeyAction::PageUp
                    ),
                    "{:?} bound to a ctrl key",
                    b.action
                );
            }
        }
    }

    #[test]
    fn scope_bindings_win_and_ctrl_c_works_everywhere() {
        let km = Keymap::default();
        assert_eq!(
            km.lookup(Scope::Endpoints, &key(KeyCode::Char('q'))),
            Some(KeyAction::Quit)
        );
        assert_eq!(
            km.lookup(Scope::Detail, &key(KeyCode::Char('q'))),
            Some(KeyAction::Back)
        );
        assert_eq!(
            km.lookup(Scope::Detail, &key(KeyCode::Char('j'))),
            Some(KeyAction::MoveDown)
        );
        assert_eq!(km.lookup(Scope::Help, &key(KeyCode::Char('j'))), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        for s in [Scope::Endpoints, Scope::Detail, Scope::Help] {
            assert_eq!(km.lookup(s, &ctrl_c), Some(KeyAction::ForceQuit));
        }
        assert_eq!(km.lookup(Scope::Endpoints, &key(KeyCode::Char('c'))), None);
    }

    #[test]
    fn overrides_rebind_every_scope_and_report_problems() {
        let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let open = keys(&["l"]);
        let km = Keymap::with_overrides([("open", open.as_slice())]).unwrap();
        assert_eq!(
            km.lookup(Scope::Endpoints, &key(KeyCode::Char('l'))),
            Some(KeyAction::Open)
        );
        assert_eq!(km.lookup(Scope::Endpoints, &key(KeyCode::Enter)), None);
        let help_labels: Vec<String> = km
            .bindings_for(Scope::Endpoints)
            .iter()
            .map(|b| b.keys_label())
            .collect();
        assert!(help_labels.contains(&"l".to_string()));

        let cases: Vec<(&str, Vec<&str>, &str)> = vec![
            ("launch", vec!["x"], "unknown action `launch`"),
            ("open", vec!["banana"], "[keys] open: `banana` is not a key"),
            ("open", vec![], "at least one key"),
            ("open", vec!["/"], "bound to both"),
            ("force_quit", vec!["x"], "ctrl-c must stay bound"),
        ];
        for (action, ks, needle) in cases {
            let ks = keys(&ks);
            let errs = Keymap::with_overrides([(action, ks.as_slice())]).unwrap_err();
            assert!(
                errs.iter().any(|e| e.contains(needle)),
                "{action}: {errs:?}"
            );
        }
        for a in KeyAction::ALL {
            assert_eq!(KeyAction::from_name(a.name()), Some(a));
        }
    }

    #[test]
    fn key_specs_parse_and_label() {
        assert_eq!(KeySpec::parse("ctrl-c").unwrap(), KeySpec::ctrl('c'));
        assert_eq!(
            KeySpec::parse("enter").unwrap(),
            KeySpec::code(KeyCode::Enter)
        );
        assert_eq!(KeySpec::parse("G").unwrap(), KeySpec::char('G'));
        assert_eq!(KeySpec::parse("f5").unwrap(), KeySpec::code(KeyCode::F(5)));
        assert!(KeySpec::parse("ctrl-").unwrap_err().contains("ctrl-"));
        assert!(KeySpec::parse("banana").unwrap_err().contains("not a key"));
        assert_eq!(KeySpec::ctrl('c').label(), "ctrl-c");
    }
}
