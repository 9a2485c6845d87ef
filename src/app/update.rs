//! `update`: the pure state transition. No I/O; side effects are returned as `Command`s.

use super::action::{Action, Command};
use super::state::{AppState, Column, InputKind, InputLine, Notice, NoticeLevel, Overlay, View};
use crate::domain::Timestamp;

/// How long a footer notice stays up.
const NOTICE_SECS: i64 = 6;

/// Rows of chrome around the endpoints table (header, two borders, column header, footer).
const CHROME_ROWS: u16 = 5;

/// Applies one action to the state and returns what the runtime should do.
pub fn update(state: &mut AppState, action: Action, now: Timestamp) -> Vec<Command> {
    let tick = matches!(action, Action::Tick);
    let mut cmds = apply(state, action, now);
    // The pollers describe and meter the rows on screen first: tell them when those change.
    if !tick {
        let rows = state.rows_on_screen(CHROME_ROWS);
        if rows != state.visible_sent {
            state.visible_sent = rows.clone();
            cmds.push(Command::Visible(rows));
        }
    }
    cmds
}

fn apply(state: &mut AppState, action: Action, now: Timestamp) -> Vec<Command> {
    let previous_second = state.now.timestamp();
    state.now = now;
    // One context's report: its polls merge into its own rows only.
    let action = match action {
        Action::Ctx { label, action } => {
            match super::contexts::on_ctx(state, &label, *action, now) {
                Ok(cmds) => return cmds,
                Err(action) => *action,
            }
        }
        other => other,
    };
    // Keys go to the screen on top, through the keymap.
    if let Action::Key(key) = action {
        return super::keys::on_key(state, key, now);
    }
    // Dialogs, writes and traffic shifts first (a dialog takes every key).
    let action = match super::ops::intercept(state, action, now) {
        Ok(cmds) => return cmds,
        Err(action) => *action,
    };
    let action = match super::deploy::intercept(state, action, now) {
        Ok(cmds) => return cmds,
        Err(action) => *action,
    };
    // Load runs: their actions, and every key while a run screen is open.
    let action = match super::runs::intercept(state, action, now) {
        Ok(cmds) => return cmds,
        Err(action) => *action,
    };
    // The events, event JSON and quotas views and the chart window handle their own actions.
    let action = match super::views::intercept(state, action, now) {
        Ok(cmds) => return cmds,
        Err(action) => action,
    };
    // The logs view: its reads, and its keys while it is open.
    let action = match super::logs_view::intercept(state, action, now) {
        Ok(cmds) => return cmds,
        Err(action) => action,
    };
    match action {
        // Routed by `keys::on_key` above; contexts' reports unwrapped above.
        Action::Key(_) | Action::Ctx { .. } => {}
        Action::Tick => {
            let lifetime = NOTICE_SECS as f64 * state.clock_speed.max(1.0);
            let expired = state
                .notice
                .as_ref()
                .is_some_and(|n| (now - n.at).num_milliseconds() as f64 >= lifetime * 1000.0);
            if expired {
                state.notice = None;
            }
            if expired || now.timestamp() != previous_second {
                state.dirty = true;
            }
            return super::logs_view::on_tick(state, now);
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
        }
        Action::Polled(polled) => {
            state.dirty = true;
            return super::polled::apply_polled(state, polled);
        }
        Action::PollStarted(panel) => {
            let h = state.panels.entry(panel).or_default();
            h.refreshing = true;
            // Only a first load shows ("loading…"); later polls change nothing on screen.
            if h.last_ok.is_none() && h.error.is_none() {
                state.dirty = true;
            }
            return Vec::new();
        }
        Action::MoveDown => move_by(state, 1),
        Action::MoveUp => move_by(state, -1),
        Action::PageDown => move_by(state, page(state)),
        Action::PageUp => move_by(state, -page(state)),
        Action::Top => move_by(state, i64::MIN / 2),
        Action::Bottom => move_by(state, i64::MAX / 2),
        Action::Open => return open_selected(state),
        Action::Back => return back(state),
        Action::StartFilter => {
            state.input = Some(InputLine {
                kind: InputKind::Filter,
                text: state.filter.clone(),
            });
        }
        Action::StartCommand => {
            state.input = Some(InputLine {
                kind: InputKind::Command,
                text: String::new(),
            });
        }
        Action::ToggleHelp => {
            state.overlay = match state.overlay {
                Overlay::Help { .. } => Overlay::None,
                Overlay::None => Overlay::Help { scroll: 0 },
            };
        }
        Action::CycleSort => {
            let i = Column::ALL
                .iter()
                .position(|c| *c == state.sort.column)
                .unwrap_or(0);
            let column = Column::ALL[(i + 1) % Column::ALL.len()];
            state.sort.column = column;
            state.sort.descending = column.default_descending();
            info(state, format!("sorted by {}", sort_label(state)), now);
        }
        Action::ReverseSort => {
            state.sort.descending = !state.sort.descending;
            info(state, format!("sorted by {}", sort_label(state)), now);
        }
        Action::Refresh => {
            info(state, "refreshing every panel".into(), now);
            state.dirty = true;
            return vec![Command::Refresh(None)];
        }
        Action::Quit => {
            if matches!(state.overlay, Overlay::Help { .. }) {
                state.overlay = Overlay::None;
            } else if matches!(state.view, View::Detail { .. }) {
                return back(state);
            } else {
                return quit(state);
            }
        }
        Action::ForceQuit => return quit(state),
        Action::Suspend => return vec![Command::Suspend],
        Action::Reconnected(result) => {
            match result {
                Ok(r) => super::run_command::switch_session(state, r, now),
                Err(msg) => error(state, msg, now),
            }
            state.dirty = true;
            return Vec::new();
        }
        Action::ApiStats(stats) => {
            if state.api_stats == stats {
                return Vec::new();
            }
            state.api_stats = stats;
        }
        Action::RunCommand(line) => return super::run_command::run_command(state, &line, now),
        Action::Copy { arn } => {
            let Some(e) = state.focused_endpoint() else {
                error(state, "no endpoint selected to copy".into(), now);
                state.dirty = true;
                return Vec::new();
            };
            let (what, text) = if arn {
                ("ARN", e.arn.clone())
            } else {
                // The name AWS knows (without the context it is keyed by here).
                ("name", crate::boundary::context::plain(&e.name).to_string())
            };
            info(
                state,
                format!("copied the {what} {text} to the clipboard (OSC 52)"),
                now,
            );
            state.dirty = true;
            return vec![Command::Copy(text)];
        }
        Action::Notify(level, text) => {
            state.notice = Some(Notice {
                level,
                text,
                at: now,
            });
        }
        // Handled by `views::intercept` above.
        Action::CycleWindow
        | Action::OpenEvents
        | Action::OpenQuotas
        | Action::ToggleReadEvents
        | Action::OlderEvents
        | Action::EventsPage(_) => {}
        // Handled by `ops::intercept` above.
        Action::Ops(_) => {}
        // Handled by `runs::intercept` above.
        Action::Runs(_) => {}
        // Handled by `logs_view::intercept` above.
        Action::Logs(_) => {}
        // Handled by `deploy::intercept` above.
        Action::Deploy(_) => {}
    }
    state.dirty = true;
    Vec::new()
}

pub(super) fn quit(state: &mut AppState) -> Vec<Command> {
    state.should_quit = true;
    state.dirty = true;
    vec![Command::Quit]
}

pub(super) fn info(state: &mut AppState, text: String, now: Timestamp) {
    state.notice = Some(Notice {
        level: NoticeLevel::Info,
        text,
        at: now,
    });
}

pub(super) fn error(state: &mut AppState, text: String, now: Timestamp) {
    state.notice = Some(Notice {
        level: NoticeLevel::Error,
        text,
        at: now,
    });
}

pub(super) fn sort_label(state: &AppState) -> String {
    format!(
        "{} {}",
        state.sort.column.key(),
        if state.sort.descending { "↓" } else { "↑" }
    )
}

fn page(state: &AppState) -> i64 {
    i64::from(state.size.1.saturating_sub(CHROME_ROWS).max(1))
}

fn move_by(state: &mut AppState, delta: i64) {
    match &state.view {
        View::Endpoints => {
            let rows = state.visible_endpoints();
            if rows.is_empty() {
                return;
            }
            let cur = state.selected_index_in(&rows) as i64;
            let next = (cur.saturating_add(delta)).clamp(0, rows.len() as i64 - 1) as usize;
            state.selected = Some(rows[next].name.clone());
        }
        View::Detail { endpoint } => {
            let n = state.endpoint(endpoint).map_or(0, |e| e.variants.len());
            if n > 0 {
                let next = (state.detail_selected as i64)
                    .saturating_add(delta)
                    .clamp(0, n as i64 - 1);
                state.detail_selected = next as usize;
            }
        }
        // The events and quotas views move in `views::intercept`.
        View::Events | View::EventJson | View::Quotas | View::Api | View::Logs => {}
    }
}

fn open_selected(state: &mut AppState) -> Vec<Command> {
    let Some(name) = state.selected_endpoint().map(|e| e.name.clone()) else {
        return Vec::new();
    };
    open_detail(state, name)
}

pub(super) fn open_detail(state: &mut AppState, name: String) -> Vec<Command> {
    state.selected = Some(name.clone());
    state.detail_selected = 0;
    state.view = View::Detail {
        endpoint: name.clone(),
    };
    state.overlay = Overlay::None;
    state.dirty = true;
    let now = state.now;
    let mut cmds = vec![Command::Watch(Some(name.clone()))];
    cmds.extend(super::views::on_open_detail(state, &name, now));
    cmds
}

fn back(state: &mut AppState) -> Vec<Command> {
    state.dirty = true;
    if matches!(state.overlay, Overlay::Help { .. }) {
        state.overlay = Overlay::None;
        return Vec::new();
    }
    match state.view {
        View::Detail { .. } => {
            state.view = View::Endpoints;
            vec![Command::Watch(None)]
        }
        View::Endpoints => {
            if !state.filter.is_empty() {
                super::input_line::set_filter(state, String::new());
            }
            Vec::new()
        }
        View::Api => {
            state.view = View::Endpoints;
            Vec::new()
        }
        // Handled by `views::intercept`.
        View::Events | View::EventJson | View::Quotas | View::Logs => Vec::new(),
    }
}
