//! The one registry of `:` commands: name, aliases, argument grammar as help shows it, help
//! text and how Tab completes the arguments. The parser, help and completion read it only.

use super::charts::ChartWindow;
use super::state::{AppState, Column};

/// Which command a line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandId {
    Endpoints,
    Sort,
    Filter,
    Refresh,
    Theme,
    Events,
    Quotas,
    Api,
    Profile,
    Region,
    Ctx,
    Window,
    Runs,
    Save,
    Help,
    Quit,
    Weights,
    Scale,
    Shift,
}

/// What Tab offers for the first argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Complete {
    Nothing,
    Endpoint,
    Column,
    Window,
}

/// One `:` command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub id: CommandId,
    /// The name help shows and Tab completes to.
    pub name: &'static str,
    /// Other names the parser accepts.
    pub aliases: &'static [&'static str],
    /// Help rows: (usage, what it does); the first is the command's own.
    pub usage: &'static [(&'static str, &'static str)],
    /// The command changes the account (left out of help in read-only mode).
    pub writes: bool,
    pub complete: Complete,
    /// A line that parses (tests run every one).
    pub example: &'static str,
}

const fn cmd(
    id: CommandId,
    name: &'static str,
    aliases: &'static [&'static str],
    usage: &'static [(&'static str, &'static str)],
    complete: Complete,
    example: &'static str,
) -> CommandSpec {
    CommandSpec {
        id,
        name,
        aliases,
        usage,
        writes: false,
        complete,
        example,
    }
}

const fn writes(spec: CommandSpec) -> CommandSpec {
    CommandSpec {
        writes: true,
        ..spec
    }
}

use CommandId as C;
use Complete as K;

/// Every `:` command, in help order.
pub const COMMANDS: &[CommandSpec] = &[
    cmd(
        C::Endpoints,
        "ep",
        &["eps", "endpoint", "endpoints"],
        &[(":ep [NAME]", "endpoints view, or the detail of NAME")],
        K::Endpoint,
        ":ep",
    ),
    cmd(
        C::Sort,
        "sort",
        &[],
        &[(":sort COLUMN [asc|desc]", "sort the endpoints view")],
        K::Column,
        ":sort cpu desc",
    ),
    cmd(
        C::Filter,
        "filter",
        &["f"],
        &[(":filter TEXT", "filter endpoints (empty clears)")],
        K::Nothing,
        ":filter gpu",
    ),
    cmd(
        C::Refresh,
        "refresh",
        &["r"],
        &[(":refresh", "refresh every panel now")],
        K::Nothing,
        ":refresh",
    ),
    cmd(
        C::Theme,
        "theme",
        &[],
        &[(
            ":theme NAME",
            "switch theme (default, light, mono, … or a file path)",
        )],
        K::Nothing,
        ":theme mono",
    ),
    cmd(
        C::Events,
        "events",
        &["event", "ev", "trail"],
        &[(
            ":events [ep=N user=N name=N all]",
            "CloudTrail events (all: with Describe/List)",
        )],
        K::Nothing,
        ":events all",
    ),
    cmd(
        C::Quotas,
        "quotas",
        &["quota"],
        &[(":quotas", "service quotas with usage")],
        K::Nothing,
        ":quotas",
    ),
    cmd(
        C::Api,
        "api",
        &["calls"],
        &[(
            ":api",
            "sagetop's own AWS calls, throttles, cost of metric polling",
        )],
        K::Nothing,
        ":api",
    ),
    cmd(
        C::Profile,
        "profile",
        &[],
        &[(":profile NAME", "reconnect with another AWS profile")],
        K::Nothing,
        ":profile ops",
    ),
    cmd(
        C::Region,
        "region",
        &[],
        &[(":region NAME", "reconnect in another region")],
        K::Nothing,
        ":region eu-west-1",
    ),
    cmd(
        C::Ctx,
        "ctx",
        &["context"],
        &[(
            ":ctx NAME|all",
            "show one account/region (label, profile, region or account id), or all",
        )],
        K::Nothing,
        ":ctx all",
    ),
    cmd(
        C::Window,
        "window",
        &["win"],
        &[(
            ":window 15m|1h|3h|12h|24h|7d",
            "time window of the detail charts",
        )],
        K::Window,
        ":window 1h",
    ),
    cmd(
        C::Runs,
        "runs",
        &["run"],
        &[(":runs", "past load runs (enter re-opens one)")],
        K::Nothing,
        ":runs",
    ),
    cmd(
        C::Save,
        "save",
        &[],
        &[(":save [PATH]", "save the shown (or last) load run as JSON")],
        K::Nothing,
        ":save run.json",
    ),
    cmd(
        C::Help,
        "help",
        &["h", "?"],
        &[(":help", "show help")],
        K::Nothing,
        ":help",
    ),
    cmd(
        C::Quit,
        "q",
        &["quit", "q!", "exit"],
        &[(":q", "quit sagetop")],
        K::Nothing,
        ":q",
    ),
    writes(cmd(
        C::Weights,
        "weights",
        &[],
        &[(
            ":weights EP VARIANT=W …",
            "set traffic weights (variants left out keep theirs)",
        )],
        K::Endpoint,
        ":weights fraud A=1",
    )),
    writes(cmd(
        C::Scale,
        "scale",
        &[],
        &[(":scale EP VARIANT COUNT", "set a variant's instance count")],
        K::Endpoint,
        ":scale fraud A 2",
    )),
    writes(cmd(
        C::Shift,
        "shift",
        &[],
        &[
            (
                ":shift EP FROM TO --canary P",
                "guarded traffic shift: P% (1–50) first, then the rest",
            ),
            (
                ":shift EP FROM TO --linear P",
                "guarded traffic shift in steps of P% (10–50)",
            ),
            (
                "  --wait D",
                "watch each step for D: 90s, 5m, 1h (default 5m, at most 1h)",
            ),
            (
                "  --max-5xx-rate R",
                "roll back above R 5XX per minute (default 1%, [guard])",
            ),
            (
                "  --max-latency-ms MS",
                "roll back above MS ModelLatency (default 500, [guard])",
            ),
        ],
        K::Endpoint,
        ":shift fraud A B --canary 10",
    )),
];

/// The command a line's first word names (with or without the `:`).
pub fn find(head: &str) -> Option<&'static CommandSpec> {
    let head = head.trim_start_matches(':');
    COMMANDS
        .iter()
        .find(|c| c.name == head || c.aliases.contains(&head))
}

/// Splits a command line into its command and the other words.
pub fn split(line: &str) -> Option<(&str, Vec<&str>)> {
    let line = line.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let head = words.next()?;
    Some((head, words.collect()))
}

/// The command a line names, if a known one.
pub fn id_of(line: &str) -> Option<CommandId> {
    split(line).and_then(|(head, _)| find(head)).map(|c| c.id)
}

/// Help rows of every command (write commands only when `writable`).
pub fn help_rows(writable: bool) -> Vec<(&'static str, &'static str)> {
    COMMANDS
        .iter()
        .filter(|c| writable || !c.writes)
        .flat_map(|c| c.usage.iter().copied())
        .collect()
}

/// "`:ep [NAME]`, `:sort COLUMN [asc|desc]`, …" for the unknown-command message.
pub fn names() -> String {
    COMMANDS
        .iter()
        .map(|c| c.usage[0].0)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Longest common prefix of some words.
fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut end = first.len();
    for w in &words[1..] {
        end = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    first[..end].to_string()
}

/// Tab on the command line: the completed text and, when several fit, the candidates.
pub fn complete(state: &AppState, text: &str) -> (String, Vec<String>) {
    let trailing_space = text.ends_with(' ');
    let words: Vec<&str> = text.split_whitespace().collect();
    let (done, partial): (Vec<&str>, &str) = match (words.split_last(), trailing_space) {
        (None, _) => (Vec::new(), ""),
        (Some(_), true) => (words.clone(), ""),
        (Some((last, rest)), false) => (rest.to_vec(), last),
    };
    let candidates: Vec<String> = match done.as_slice() {
        [] => COMMANDS
            .iter()
            .filter(|c| !c.writes || !state.session.read_only)
            .map(|c| c.name.to_string())
            .filter(|n| n.starts_with(partial))
            .collect(),
        [head] => {
            let kind = find(head).map_or(Complete::Nothing, |c| c.complete);
            let pool: Vec<String> = match kind {
                Complete::Nothing => Vec::new(),
                Complete::Endpoint => state.endpoints.iter().map(|e| e.name.clone()).collect(),
                Complete::Column => Column::ALL.iter().map(|c| c.key().to_string()).collect(),
                Complete::Window => ChartWindow::ALL
                    .iter()
                    .map(|w| w.label().to_string())
                    .collect(),
            };
            pool.into_iter()
                .filter(|n| n.starts_with(partial))
                .collect()
        }
        _ => Vec::new(),
    };
    let prefix = done.join(" ");
    let join = |word: &str, space: bool| {
        let mut out = if prefix.is_empty() {
            word.to_string()
        } else {
            format!("{prefix} {word}")
        };
        if space {
            out.push(' ');
        }
        out
    };
    match candidates.as_slice() {
        [] => (text.to_string(), Vec::new()),
        [one] => (join(one, true), Vec::new()),
        many => {
            let common = common_prefix(many);
            let text = if common.len() > partial.len() {
                join(&common, false)
            } else {
                text.to_string()
            };
            (text, many.to_vec())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::SessionInfo;
    use crate::app::{Action, update};
    use crate::clock::fixture_epoch;
    use crate::domain::{Endpoint, EndpointStatus};

    fn state() -> AppState {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        for name in ["fraud", "fraud-shadow", "churn"] {
            s.endpoints.push(Endpoint {
                name: name.into(),
                arn: String::new(),
                status: EndpointStatus::InService,
                failure_reason: None,
                creation_time: fixture_epoch(),
                last_modified_time: fixture_epoch(),
                config_name: String::new(),
                variants: Vec::new(),
                shadow_variants: Vec::new(),
                pending: None,
            });
        }
        s
    }

    #[test]
    fn every_command_parses_and_is_in_help() {
        let help = help_rows(true);
        for c in COMMANDS {
            assert_eq!(find(c.name).map(|f| f.id), Some(c.id), "{}", c.name);
            for a in c.aliases {
                assert_eq!(find(a).map(|f| f.id), Some(c.id), "{a}");
            }
            assert_eq!(id_of(c.example), Some(c.id), "{}", c.example);
            // The line reaches its command: no unknown-command or misrouting message.
            let mut s = state();
            let now = s.now;
            update(&mut s, Action::RunCommand(c.example.into()), now);
            let notice = s
                .notice
                .as_ref()
                .map(|n| n.text.clone())
                .unwrap_or_default();
            assert!(
                !notice.contains("unknown command") && !notice.contains("cannot run here"),
                "{}: {notice}",
                c.example
            );
            if !matches!(
                c.id,
                CommandId::Runs
                    | CommandId::Save
                    | CommandId::Weights
                    | CommandId::Scale
                    | CommandId::Shift
            ) {
                assert!(
                    super::super::command_line::parse(c.example).is_ok(),
                    "{}",
                    c.example
                );
            }
            for row in c.usage {
                assert!(help.contains(row), "{row:?} not in help");
            }
        }
        // Read-only help leaves the write commands out.
        let ro = help_rows(false);
        assert!(ro.iter().all(|(u, _)| !u.starts_with(":weights")));
        assert!(find("frobnicate").is_none());
    }

    #[test]
    fn tab_completes_names_and_arguments() {
        let s = state();
        assert_eq!(complete(&s, "so"), ("sort ".into(), vec![]));
        assert_eq!(
            complete(&s, "sort c"),
            ("sort c".into(), vec!["cpu".into(), "changed".into()])
        );
        assert_eq!(complete(&s, "sort cp"), ("sort cpu ".into(), vec![]));
        assert_eq!(
            complete(&s, "window 1"),
            (
                "window 1".into(),
                vec!["15m".into(), "1h".into(), "12h".into()]
            )
        );
        assert_eq!(complete(&s, "ep ch"), ("ep churn ".into(), vec![]));
        let (text, many) = complete(&s, "ep fr");
        assert_eq!(text, "ep fraud");
        assert_eq!(many.len(), 2);
        assert_eq!(
            complete(&s, "r"),
            (
                "r".into(),
                vec!["refresh".into(), "region".into(), "runs".into()]
            )
        );
        // Nothing to offer: the text stays.
        assert_eq!(complete(&s, "theme x"), ("theme x".into(), vec![]));
        let mut ro = state();
        ro.session.read_only = true;
        assert_eq!(complete(&ro, "we").1, Vec::<String>::new());
        assert_eq!(complete(&ro, "we").0, "we");
    }

    #[test]
    fn tab_on_the_command_line_completes_through_update() {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        let mut s = state();
        let now = s.now;
        let key = |c| Action::Key(KeyEvent::new(c, KeyModifiers::NONE));
        update(&mut s, key(KeyCode::Char(':')), now);
        for c in "ep ch".chars() {
            update(&mut s, key(KeyCode::Char(c)), now);
        }
        update(&mut s, key(KeyCode::Tab), now);
        assert_eq!(s.input.as_ref().unwrap().text, "ep churn ");
        update(&mut s, key(KeyCode::Enter), now);
        assert!(matches!(&s.view, crate::app::View::Detail { endpoint } if endpoint == "churn"));
    }
}
