//! Running a `:` command line: the write commands and load-run commands first, then the
//! parsed view commands; `:profile` and `:region` reconnects and the session switch after.

use super::action::{Action, Command};
use super::command_line::{self, CommandLine};
use super::input_line::set_filter;
use super::state::{AppState, Overlay, View};
use super::update::{error, info, open_detail, quit, sort_label, update};
use crate::domain::Timestamp;

pub fn run_command(state: &mut AppState, line: &str, now: Timestamp) -> Vec<Command> {
    state.dirty = true;
    if let Some(cmds) = super::ops::commands::run(state, line, now) {
        return cmds;
    }
    if let Some(cmds) = super::runs::command(state, line, now) {
        return cmds;
    }
    match command_line::parse(line) {
        Err(msg) => {
            error(state, msg, now);
            Vec::new()
        }
        Ok(CommandLine::Quit) => quit(state),
        Ok(CommandLine::Theme(name)) => vec![Command::SetTheme(name)],
        Ok(CommandLine::Events(criteria)) => super::events_view::open(state, criteria),
        Ok(CommandLine::Quotas) => super::quotas_view::open(state),
        Ok(CommandLine::Profile(_) | CommandLine::Region(_)) if state.contexts.multi() => {
            let msg = "several accounts/regions are open: :ctx NAME shows one of them";
            error(state, msg.into(), now);
            Vec::new()
        }
        Ok(CommandLine::Profile(name)) => reconnect(state, Some(name), None, now),
        Ok(CommandLine::Region(name)) => reconnect(state, None, Some(name), now),
        Ok(CommandLine::Ctx(name)) => super::contexts::set_filter(state, name, now),
        Ok(CommandLine::Api) => {
            state.view = View::Api;
            state.overlay = Overlay::None;
            vec![Command::Watch(None)]
        }
        Ok(CommandLine::Window(w)) => super::views::set_window(state, w, now),
        Ok(CommandLine::Help) => {
            state.overlay = Overlay::Help { scroll: 0 };
            Vec::new()
        }
        Ok(CommandLine::Refresh) => update(state, Action::Refresh, now),
        Ok(CommandLine::Filter(text)) => {
            state.view = View::Endpoints;
            set_filter(state, text);
            vec![Command::Watch(None)]
        }
        Ok(CommandLine::Sort { column, descending }) => {
            state.sort.column = column;
            state.sort.descending = descending.unwrap_or(column.default_descending());
            info(state, format!("sorted by {}", sort_label(state)), now);
            Vec::new()
        }
        Ok(CommandLine::Endpoints(None)) => {
            let was_detail = !matches!(state.view, View::Endpoints);
            state.view = View::Endpoints;
            state.overlay = Overlay::None;
            if was_detail {
                vec![Command::Watch(None)]
            } else {
                Vec::new()
            }
        }
        Ok(CommandLine::Endpoints(Some(name))) => {
            if state.endpoint(&name).is_some() {
                return open_detail(state, name);
            }
            // Accept a unique prefix or substring, as people type at 3 a.m.
            let candidates: Vec<String> = state
                .endpoints
                .iter()
                .filter(|e| e.name.contains(&name))
                .map(|e| e.name.clone())
                .collect();
            match candidates.as_slice() {
                [one] => open_detail(state, one.clone()),
                [] => {
                    error(
                        state,
                        format!("no endpoint named `{name}` (press r to refresh the list)"),
                        now,
                    );
                    Vec::new()
                }
                many => {
                    error(
                        state,
                        format!(
                            "`{name}` matches {} endpoints: {}",
                            many.len(),
                            many.join(", ")
                        ),
                        now,
                    );
                    Vec::new()
                }
            }
        }
    }
}

/// `:profile` / `:region`: ask the runtime to reconnect, unless something in flight would be
/// cut off by it.
fn reconnect(
    state: &mut AppState,
    profile: Option<String>,
    region: Option<String>,
    now: Timestamp,
) -> Vec<Command> {
    if state.session.demo {
        error(
            state,
            "the simulated account has one profile and region; run without --demo to switch".into(),
            now,
        );
        return Vec::new();
    }
    let busy = if let Some(e) = state.ops.writes.keys().next() {
        Some(format!("a write to {e} is still being tracked"))
    } else if let Some(e) = state.ops.running_shifts().first() {
        Some(format!("a traffic shift of {e} is running"))
    } else if state.runs.is_running() {
        Some("a load run is running".to_string())
    } else {
        None
    };
    if let Some(why) = busy {
        error(
            state,
            format!("not switching now: {why}; wait for it or stop it first"),
            now,
        );
        return Vec::new();
    }
    let target = format!(
        "{} in {}",
        profile
            .as_deref()
            .or(state.session.profile.as_deref())
            .unwrap_or("default credentials"),
        region
            .as_deref()
            .or(state.session.region.as_deref())
            .unwrap_or("the default region")
    );
    info(state, format!("connecting: {target}…"), now);
    vec![Command::Reconnect { profile, region }]
}

/// A new connection: fresh data for the new account or region; the person's settings stay.
pub fn switch_session(state: &mut AppState, r: super::action::Reconnected, now: Timestamp) {
    let mut fresh = AppState::new(r.session, now);
    let configured = state
        .keymap_configured
        .clone()
        .unwrap_or_else(|| state.keymap.clone());
    fresh.keymap = if fresh.session.read_only {
        super::ops::without_writes(configured.clone())
    } else {
        configured.clone()
    };
    fresh.keymap_configured = Some(configured);
    fresh.size = state.size;
    fresh.sort = state.sort;
    fresh.braille = state.braille;
    fresh.clock_speed = state.clock_speed;
    fresh.chart_window = state.chart_window;
    fresh.runs = std::mem::take(&mut state.runs);
    fresh.ops.guard = state.ops.guard;
    fresh.ops.production = r.production;
    let label = format!(
        "connected: {} in {}",
        fresh
            .session
            .profile
            .as_deref()
            .unwrap_or("default credentials"),
        fresh.session.region.as_deref().unwrap_or("?")
    );
    *state = fresh;
    info(state, label, now);
}
