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
