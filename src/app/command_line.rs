//! Parsing of `:` command lines into typed commands, with messages for bad input. The
//! command names come from the registry (`command_registry`), which help and Tab also read.

use super::command_registry::{self as registry, CommandId};
use super::state::Column;

/// A parsed `:` command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandLine {
    /// `:ep` — the endpoints view; `:ep NAME` — the detail of NAME.
    Endpoints(Option<String>),
    /// `:sort COLUMN [asc|desc]`.
    Sort {
        column: Column,
        descending: Option<bool>,
    },
    /// `:filter TEXT` (empty clears).
    Filter(String),
    /// `:refresh` / `:r`.
    Refresh,
    /// `:help` / `:h`.
    Help,
    /// `:q` / `:quit` / `:q!`.
    Quit,
    /// `:theme NAME|PATH`.
    Theme(String),
    /// `:events [ep=NAME] [user=NAME] [name=NAME] [all] [TEXT]`.
    Events(super::events_view::EventCriteria),
    /// `:quotas`.
    Quotas,
    /// `:api` — calls per operation, throttles, cost of metric polling.
    Api,
    /// `:profile NAME` — reconnect with another AWS profile.
    Profile(String),
    /// `:region NAME` — reconnect in another region.
    Region(String),
    /// `:window 15m|1h|3h|12h|24h|7d` — the detail charts' time window.
    Window(super::charts::ChartWindow),
    /// `:ctx NAME` — one context's rows; `:ctx all` (or `None`) — every context's.
    Ctx(Option<String>),
}

fn column_list() -> String {
    Column::ALL
        .iter()
        .map(|c| c.key())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: lower-case words and digits
/// joined by dashes, ending in a number.
fn is_region_name(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Parses a command line (with or without the leading `:`).
pub fn parse(input: &str) -> Result<CommandLine, String> {
    let line = input.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let Some(head) = words.next() else {
        return Err("empty command: try :ep, :sort COLUMN, :q (press ? for help)".into());
    };
    let rest: Vec<&str> = words.collect();
    let no_args = |cmd: CommandLine| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(format!(":{head} takes no arguments"))
        }
    };
    let Some(spec) = registry::find(head) else {
        return Err(format!(
            "unknown command :{head}: try {}",
            registry::names()
        ));
    };
    match spec.id {
        CommandId::Endpoints => match rest.as_slice() {
            [] => Ok(CommandLine::Endpoints(None)),
            [name] => Ok(CommandLine::Endpoints(Some((*name).to_string()))),
            _ => Err(":ep takes at most one endpoint name".into()),
        },
        CommandId::Sort => {
            let Some(col) = rest.first() else {
                return Err(format!(":sort needs a column: {}", column_list()));
            };
            let column = Column::parse(col)
                .ok_or_else(|| format!("unknown column `{col}`: use one of {}", column_list()))?;
            let descending = match rest.get(1).map(|s| s.to_ascii_lowercase()) {
                None => None,
                Some(d) if d == "desc" || d == "d" => Some(true),
                Some(a) if a == "asc" || a == "a" => Some(false),
                Some(other) => return Err(format!("sort order `{other}` is not asc or desc")),
            };
            if rest.len() > 2 {
                return Err(":sort takes a column and an optional asc|desc".into());
            }
            Ok(CommandLine::Sort { column, descending })
        }
        CommandId::Filter => Ok(CommandLine::Filter(rest.join(" "))),
        CommandId::Refresh => no_args(CommandLine::Refresh),
        CommandId::Help => no_args(CommandLine::Help),
        CommandId::Quit => no_args(CommandLine::Quit),
        CommandId::Events => super::events_view::parse_args(&rest).map(CommandLine::Events),
        CommandId::Quotas => no_args(CommandLine::Quotas),
        CommandId::Api => no_args(CommandLine::Api),
        CommandId::Profile => match rest.as_slice() {
            [name] => Ok(CommandLine::Profile((*name).to_string())),
            _ => Err(":profile takes one AWS profile name".into()),
        },
        CommandId::Region => match rest.as_slice() {
            [name] if is_region_name(name) => Ok(CommandLine::Region((*name).to_string())),
            [name] => Err(format!(
                "`{name}` is not a region name (e.g. us-east-1, eu-west-1)"
            )),
            _ => Err(":region takes one region name, e.g. eu-west-1".into()),
        },
        CommandId::Ctx => match rest.as_slice() {
            [] | ["all"] => Ok(CommandLine::Ctx(None)),
            [name] => Ok(CommandLine::Ctx(Some((*name).to_string()))),
            _ => Err(":ctx takes one context (label, profile, region or account) or all".into()),
        },
        CommandId::Window => match rest.as_slice() {
            [w] => super::charts::ChartWindow::parse(w)
                .map(CommandLine::Window)
                .ok_or_else(|| format!("unknown window `{w}`: use 15m, 1h, 3h, 12h, 24h or 7d")),
            _ => Err(":window takes one of 15m, 1h, 3h, 12h, 24h, 7d".into()),
        },
        CommandId::Theme => match rest.as_slice() {
            [name] => Ok(CommandLine::Theme((*name).to_string())),
            _ => Err(":theme takes one theme name or file path".into()),
        },
        // Run before parsing, by the load runs and the ops part.
        CommandId::Runs
        | CommandId::Save
        | CommandId::Weights
        | CommandId::Scale
        | CommandId::Shift => Err(format!(":{head} cannot run here")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_commands() {
        assert_eq!(parse(":ep"), Ok(CommandLine::Endpoints(None)));
        assert_eq!(
            parse("ep fraud"),
            Ok(CommandLine::Endpoints(Some("fraud".into())))
        );
        assert_eq!(
            parse(":sort cpu"),
            Ok(CommandLine::Sort {
                column: Column::Cpu,
                descending: None
            })
        );
        assert_eq!(
            parse(":sort lat desc"),
            Ok(CommandLine::Sort {
                column: Column::Latency,
                descending: Some(true)
            })
        );
        assert_eq!(parse(":q"), Ok(CommandLine::Quit));
        assert_eq!(
            parse(":filter gpu a"),
            Ok(CommandLine::Filter("gpu a".into()))
        );
    }

    #[test]
    fn rejects_bad_input_with_a_message() {
        for (input, needle) in [
            ("", "empty command"),
            (":", "empty command"),
            (":sort", "needs a column"),
            (":sort bogus", "unknown column `bogus`"),
            (":sort cpu sideways", "not asc or desc"),
            (":q now", "takes no arguments"),
            (":ep a b", "at most one"),
            (":frobnicate", "unknown command :frobnicate"),
        ] {
            let err = parse(input).unwrap_err();
            assert!(err.contains(needle), "{input:?} gave {err:?}");
        }
    }
}
