//! `update`: the pure state transition. No I/O; side effects are returned as `Command`s.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{Action, Command, Panel, PanelData, Polled};
use super::command_line::{self, CommandLine};
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
    match action {
        Action::Key(key) => return on_key(state, key, now),
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
            return Vec::new();
        }
        Action::Resize(w, h) => {
            state.size = (w, h);
        }
        Action::Polled(polled) => {
            state.dirty = true;
            return apply_polled(state, polled);
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
                Ok(r) => switch_session(state, r, now),
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
        Action::RunCommand(line) => return run_command(state, &line, now),
        Action::Copy { arn } => {
            let Some(e) = state.focused_endpoint() else {
                error(state, "no endpoint selected to copy".into(), now);
                state.dirty = true;
                return Vec::new();
            };
            let (what, text) = if arn {
                ("ARN", e.arn.clone())
            } else {
                ("name", e.name.clone())
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
        // Handled by `deploy::intercept` above.
        Action::Deploy(_) => {}
    }
    state.dirty = true;
    Vec::new()
}

fn quit(state: &mut AppState) -> Vec<Command> {
    state.should_quit = true;
    state.dirty = true;
    vec![Command::Quit]
}

fn info(state: &mut AppState, text: String, now: Timestamp) {
    state.notice = Some(Notice {
        level: NoticeLevel::Info,
        text,
        at: now,
    });
}

fn error(state: &mut AppState, text: String, now: Timestamp) {
    state.notice = Some(Notice {
        level: NoticeLevel::Error,
        text,
        at: now,
    });
}

fn sort_label(state: &AppState) -> String {
    format!(
        "{} {}",
        state.sort.column.key(),
        if state.sort.descending { "↓" } else { "↑" }
    )
}

fn page(state: &AppState) -> i64 {
    i64::from(state.size.1.saturating_sub(CHROME_ROWS).max(1))
}

fn on_key(state: &mut AppState, key: KeyEvent, now: Timestamp) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let ctrl_c = key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
    if state.input.is_some() && !ctrl_c {
        return on_input_key(state, key, now);
    }
    // Scrolling help is handled here: its keys only close it.
    if let Overlay::Help { scroll } = &mut state.overlay {
        let delta: i32 = match key.code {
            KeyCode::Char('j') | KeyCode::Down => 1,
            KeyCode::Char('k') | KeyCode::Up => -1,
            KeyCode::PageDown => 10,
            KeyCode::PageUp => -10,
            _ => 0,
        };
        if delta != 0 {
            *scroll = (i32::from(*scroll) + delta).clamp(0, 500) as u16;
            state.dirty = true;
            return Vec::new();
        }
    }
    match state.keymap.lookup(state.key_scope(), &key) {
        Some(action) => update(state, action.to_action(), now),
        None => Vec::new(),
    }
}

fn on_input_key(state: &mut AppState, key: KeyEvent, now: Timestamp) -> Vec<Command> {
    let Some(input) = state.input.as_mut() else {
        return Vec::new();
    };
    state.dirty = true;
    match key.code {
        KeyCode::Esc => {
            // Esc abandons the line; a filter being typed goes back to what it was.
            state.input = None;
        }
        KeyCode::Enter => {
            let line = state.input.take().expect("input present");
            match line.kind {
                InputKind::Filter if super::views::takes_filter(state) => {
                    return super::views::set_filter(state, line.text.trim().to_string());
                }
                InputKind::Filter => set_filter(state, line.text.trim().to_string()),
                InputKind::Command => {
                    if !line.text.trim().is_empty() {
                        return run_command(state, &line.text, now);
                    }
                }
            }
        }
        KeyCode::Backspace => {
            if input.text.pop().is_none() {
                state.input = None;
            }
        }
        KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
            if input.text.chars().count() < 200 && !c.is_control() {
                input.text.push(c);
            }
        }
        _ => state.dirty = false,
    }
    Vec::new()
}

fn set_filter(state: &mut AppState, filter: String) {
    state.filter = filter;
    // Keep the selection if it is still visible; otherwise select the first visible row.
    let rows = state.visible_endpoints();
    let keep = state
        .selected
        .as_ref()
        .is_some_and(|s| rows.iter().any(|e| &e.name == s));
    if !keep {
        state.selected = rows.first().map(|e| e.name.clone());
    }
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
        View::Events | View::EventJson | View::Quotas | View::Api => {}
    }
}

fn open_selected(state: &mut AppState) -> Vec<Command> {
    let Some(name) = state.selected_endpoint().map(|e| e.name.clone()) else {
        return Vec::new();
    };
    open_detail(state, name)
}

fn open_detail(state: &mut AppState, name: String) -> Vec<Command> {
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
                set_filter(state, String::new());
            }
            Vec::new()
        }
        View::Api => {
            state.view = View::Endpoints;
            Vec::new()
        }
        // Handled by `views::intercept`.
        View::Events | View::EventJson | View::Quotas => Vec::new(),
    }
}

fn run_command(state: &mut AppState, line: &str, now: Timestamp) -> Vec<Command> {
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
        Ok(CommandLine::Profile(name)) => reconnect(state, Some(name), None, now),
        Ok(CommandLine::Region(name)) => reconnect(state, None, Some(name), now),
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

fn apply_polled(state: &mut AppState, polled: Polled) -> Vec<Command> {
    let Polled {
        panel,
        at,
        result,
        retry_in,
    } = polled;
    // Charts of a detail view that has closed (e.g. its endpoint was deleted) are dropped,
    // so their last error does not linger in the header.
    if panel == Panel::Charts && state.detail_endpoint().is_none() {
        return Vec::new();
    }
    let health = state.panels.entry(panel).or_default();
    health.refreshing = false;
    match result {
        Err(err) => {
            health.error = Some(err);
            health.error_at = Some(at);
            health.retry_at = retry_in
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .map(|d| at + d);
            Vec::new()
        }
        Ok(data) => {
            debug_assert_eq!(data.panel(), panel);
            health.last_ok = Some(at);
            // A partly failed poll keeps what loaded and still shows what did not.
            health.error = match &data {
                PanelData::Autoscaling(a) => a.activity_errors.values().next().cloned(),
                _ => None,
            };
            health.error_at = health.error.as_ref().map(|_| at);
            health.retry_at = None;
            apply_data(state, data, at)
        }
    }
}

fn apply_data(state: &mut AppState, data: PanelData, at: Timestamp) -> Vec<Command> {
    let mut cmds = Vec::new();
    match data {
        PanelData::Identity(id) => state.identity = Some(id),
        PanelData::Endpoints(mut data) => {
            data.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
            // An endpoint whose describe failed this time keeps its last known description
            // (in place of what the list alone says about it).
            for name in data.failed.keys() {
                if let Some(old) = state.endpoint(name).cloned() {
                    data.endpoints.retain(|e| &e.name != name);
                    data.endpoints.push(old);
                }
            }
            data.endpoints.sort_by(|a, b| a.name.cmp(&b.name));
            state.endpoints = data.endpoints;
            state.endpoint_errors = data.failed;
            // Nothing is kept for endpoints that are gone (memory stays flat as fleets change).
            let listed: std::collections::BTreeSet<String> =
                state.endpoints.iter().map(|e| e.name.clone()).collect();
            let a = &mut state.autoscaling;
            a.config.retain(|k, _| listed.contains(k));
            a.activities.retain(|k, _| listed.contains(k));
            a.activity_errors.retain(|k, _| listed.contains(k));
            let m = &mut state.metrics;
            m.latest.retain(|(e, _), _| listed.contains(e));
            m.series.retain(|s| listed.contains(&s.key.endpoint));
            m.fetched_at.retain(|e, _| listed.contains(e));
            super::ops::tracking::on_endpoints(state, at);
            if let View::Detail { endpoint } = &state.view
                && state.endpoint(endpoint).is_none()
            {
                let gone = endpoint.clone();
                state.view = View::Endpoints;
                // Stop watching it: no charts or autoscaling polls for an endpoint that is gone.
                state.charts = None;
                state.panels.insert(Panel::Charts, Default::default());
                cmds.push(Command::Watch(None));
                state.notice = Some(Notice {
                    level: NoticeLevel::Warning,
                    text: format!("endpoint {gone} no longer exists; back to the endpoints view"),
                    at,
                });
            }
            if state
                .selected
                .as_ref()
                .is_none_or(|s| state.endpoint(s).is_none())
            {
                let first = state.visible_endpoints().first().map(|e| e.name.clone());
                state.selected = first;
            }
        }
        PanelData::Metrics(m) => merge_metrics(state, m),
        PanelData::Autoscaling(a) => {
            // Autoscaling polls may cover only some endpoints; merge.
            for name in a.config.keys() {
                state.autoscaling.activity_errors.remove(name);
            }
            state.autoscaling.config.extend(a.config);
            state.autoscaling.activities.extend(a.activities);
            state.autoscaling.activity_errors.extend(a.activity_errors);
        }
        PanelData::Quotas(q) => state.quotas = q,
        PanelData::Events(e) => {
            state.trail.merge(&e);
            state.events = e;
        }
        PanelData::Charts(c) => state.charts = Some(c),
    }
    cmds
}

/// The cost governor reads some endpoints each poll: their figures replace the old ones, the
/// others keep theirs (and their age). A poll that says nothing of when (a full snapshot)
/// replaces everything.
fn merge_metrics(state: &mut AppState, m: super::action::MetricsData) {
    if m.fetched_at.is_empty() && !m.latest.is_empty() {
        state.metrics = m;
        return;
    }
    let cur = &mut state.metrics;
    cur.latest.retain(|(e, _), _| !m.fetched_at.contains_key(e));
    cur.series
        .retain(|s| !m.fetched_at.contains_key(&s.key.endpoint));
    cur.latest.extend(m.latest);
    cur.series.extend(m.series);
    cur.fetched_at.extend(m.fetched_at);
    if m.budget.is_some() {
        cur.budget = m.budget;
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
fn switch_session(state: &mut AppState, r: super::action::Reconnected, now: Timestamp) {
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
