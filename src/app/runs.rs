//! Owns load runs in the console: their part of `AppState` (the `b` dialog and its confirm,
//! the live run panel, past runs), the actions and commands that drive them, and `intercept`,
//! which `update` calls first (pure: no I/O, files are written by the runtime).

use std::path::PathBuf;

use crossterm::event::KeyEvent;

use super::action::{Action, Command};
use super::charts::ClientLatency;
use super::keymap::KeyAction;
use super::runs_dialog::{RunDialog, RunPlan};
use super::state::{AppState, InputKind, InputLine, Notice, NoticeLevel};
use crate::domain::Timestamp;
use crate::load::report::latency;
use crate::load::{Caps, Progress, RunReport};

/// Past runs kept in memory (oldest dropped first).
pub const HISTORY: usize = 50;

/// Which load-run screen is over the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunScreen {
    Dialog,
    Confirm,
    /// The live (or finished) panel of run `id`.
    Panel {
        id: u64,
    },
    /// `:runs`.
    List,
}

/// The run in flight.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveRun {
    pub plan: RunPlan,
    pub started_at: Timestamp,
    pub progress: Option<Progress>,
    /// `x`/`Esc` pressed: waiting for the partial results.
    pub stopping: bool,
}

/// A finished run with its parameters and results.
#[derive(Debug, Clone, PartialEq)]
pub struct RunRecord {
    pub plan: RunPlan,
    pub report: RunReport,
}

/// The load-run part of `AppState`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunsState {
    pub caps: Caps,
    /// The home directory, read once at start-up, for `~/` in payload paths.
    pub home: Option<std::path::PathBuf>,
    pub screen: Option<RunScreen>,
    pub dialog: Option<RunDialog>,
    pub active: Option<ActiveRun>,
    /// Finished runs, oldest first.
    pub history: Vec<RunRecord>,
    pub list_selected: usize,
    /// Last id given to a run.
    pub next_id: u64,
}

impl RunsState {
    pub fn record(&self, id: u64) -> Option<&RunRecord> {
        self.history.iter().find(|r| r.plan.id == id)
    }

    pub fn is_running(&self) -> bool {
        self.active.is_some()
    }
}

/// Actions of load runs.
#[derive(Debug, Clone, PartialEq)]
pub enum RunsAction {
    /// `b`: the run dialog for the focused endpoint.
    Open,
    /// A live snapshot of run `id`.
    Progress { id: u64, progress: Box<Progress> },
    /// Run `id` ended (completed or stopped); partial results when stopped.
    Finished { id: u64, report: Box<RunReport> },
    /// Run `id` could not start (payload file, target); nothing was sent.
    Failed { id: u64, message: String },
}

pub use crate::load::console::RunsCommand;

fn notice(state: &mut AppState, level: NoticeLevel, text: impl Into<String>, at: Timestamp) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
        at,
    });
}

/// Takes the load runs' own actions before `update` sees them (keys reach the run screens
/// through `app::keys`).
pub fn intercept(
    state: &mut AppState,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Box<Action>> {
    match action {
        Action::Runs(a) => {
            state.dirty = true;
            Ok(on_action(state, a, now))
        }
        other => Err(Box::new(other)),
    }
}

fn on_action(state: &mut AppState, action: RunsAction, now: Timestamp) -> Vec<Command> {
    match action {
        RunsAction::Open => open(state, now),
        RunsAction::Progress { id, progress } => {
            if let Some(a) = state.runs.active.as_mut().filter(|a| a.plan.id == id) {
                a.progress = Some(*progress);
            }
            Vec::new()
        }
        RunsAction::Finished { id, report } => {
            finished(state, id, *report, now);
            Vec::new()
        }
        RunsAction::Failed { id, message } => {
            if state.runs.active.as_ref().is_some_and(|a| a.plan.id == id) {
                state.runs.active = None;
                if state.runs.screen == Some(RunScreen::Panel { id }) {
                    state.runs.screen = None;
                }
            }
            notice(
                state,
                NoticeLevel::Error,
                format!("load run #{id} did not start: {message}"),
                now,
            );
            Vec::new()
        }
    }
}

fn open(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    if let Some(a) = &state.runs.active {
        let id = a.plan.id;
        state.runs.screen = Some(RunScreen::Panel { id });
        let stop = state
            .keymap
            .key(super::keymap::Scope::LoadLive, KeyAction::Stop);
        notice(
            state,
            NoticeLevel::Info,
            format!("load run #{id} is still running: {stop} stops it"),
            now,
        );
        return Vec::new();
    }
    if state.session.read_only {
        notice(
            state,
            NoticeLevel::Error,
            "read-only mode: load runs against endpoints are off (production traffic); `sagetop bench --url` loads a local container",
            now,
        );
        return Vec::new();
    }
    let Some(endpoint) = state.focused_endpoint().cloned() else {
        notice(
            state,
            NoticeLevel::Error,
            "no endpoint selected for a load run",
            now,
        );
        return Vec::new();
    };
    if !matches!(
        endpoint.status,
        crate::domain::EndpointStatus::InService
            | crate::domain::EndpointStatus::Updating
            | crate::domain::EndpointStatus::SystemUpdating
            | crate::domain::EndpointStatus::RollingBack
    ) {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "{} is {} and serves no requests",
                endpoint.name,
                endpoint.status.as_str()
            ),
            now,
        );
        return Vec::new();
    }
    let last = state
        .runs
        .history
        .iter()
        .rev()
        .find(|r| r.plan.endpoint == endpoint.name)
        .map(|r| &r.plan);
    state.runs.dialog = Some(RunDialog::new(&endpoint, last, state.session.demo));
    state.runs.screen = Some(RunScreen::Dialog);
    Vec::new()
}

/// A key while a run screen is open; `action` is what the keymap binds it to there.
pub fn on_key(
    state: &mut AppState,
    action: Option<KeyAction>,
    key: KeyEvent,
    now: Timestamp,
) -> Vec<Command> {
    let Some(screen) = state.runs.screen else {
        return Vec::new();
    };
    match screen {
        RunScreen::Dialog => {
            if action == Some(KeyAction::Cancel) {
                state.runs.screen = None;
                state.runs.dialog = None;
                return Vec::new();
            }
            let caps = state.runs.caps;
            let id = state.runs.next_id + 1;
            let home = state.runs.home.clone();
            if let Some(d) = state.runs.dialog.as_mut()
                && d.on_key(action, key)
            {
                match d.validate(&caps, home.as_deref(), id) {
                    Ok(plan) => {
                        d.plan = Some(plan);
                        state.runs.screen = Some(RunScreen::Confirm);
                    }
                    Err(e) => d.error = Some(e),
                }
            }
            Vec::new()
        }
        RunScreen::Confirm => match action {
            Some(KeyAction::Confirm) => start(state, now),
            Some(KeyAction::Cancel) => {
                state.runs.screen = Some(RunScreen::Dialog);
                Vec::new()
            }
            _ => Vec::new(),
        },
        RunScreen::Panel { id } => panel_key(state, id, action, now),
        RunScreen::List => list_key(state, action, now),
    }
}

fn start_command_line(state: &mut AppState) {
    state.input = Some(InputLine {
        kind: InputKind::Command,
        text: String::new(),
    });
}

fn start(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(plan) = state.runs.dialog.take().and_then(|d| d.plan) else {
        state.runs.screen = None;
        return Vec::new();
    };
    state.runs.next_id = plan.id;
    state.runs.active = Some(ActiveRun {
        plan: plan.clone(),
        started_at: now,
        progress: None,
        stopping: false,
    });
    state.runs.screen = Some(RunScreen::Panel { id: plan.id });
    vec![Command::Runs(RunsCommand::Start(Box::new(plan)))]
}

fn panel_key(
    state: &mut AppState,
    id: u64,
    action: Option<KeyAction>,
    now: Timestamp,
) -> Vec<Command> {
    let running = state.runs.active.as_ref().is_some_and(|a| a.plan.id == id);
    match action {
        Some(KeyAction::Stop) if running => {
            let a = state.runs.active.as_mut().expect("running");
            if a.stopping {
                return Vec::new();
            }
            a.stopping = true;
            notice(
                state,
                NoticeLevel::Info,
                format!("stopping load run #{id}; partial results are kept"),
                now,
            );
            vec![Command::Runs(RunsCommand::Stop(id))]
        }
        Some(KeyAction::Back) => {
            state.runs.screen = None;
            Vec::new()
        }
        Some(KeyAction::Save) if !running => save(state, id, None, now),
        Some(KeyAction::Save) => {
            let stop = state
                .keymap
                .key(super::keymap::Scope::LoadLive, KeyAction::Stop);
            notice(
                state,
                NoticeLevel::Warning,
                format!("the run is still going: save it when it ends (or {stop} to stop)"),
                now,
            );
            Vec::new()
        }
        Some(KeyAction::Command) => {
            start_command_line(state);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

fn list_key(state: &mut AppState, action: Option<KeyAction>, now: Timestamp) -> Vec<Command> {
    let n = state.runs.history.len();
    let sel = &mut state.runs.list_selected;
    match action {
        Some(KeyAction::MoveDown) => *sel = (*sel + 1).min(n.saturating_sub(1)),
        Some(KeyAction::MoveUp) => *sel = sel.saturating_sub(1),
        Some(KeyAction::Top) => *sel = 0,
        Some(KeyAction::Bottom) => *sel = n.saturating_sub(1),
        Some(KeyAction::Open) => {
            if let Some(r) = list_order(state).get(state.runs.list_selected) {
                state.runs.screen = Some(RunScreen::Panel { id: r.plan.id });
            }
        }
        Some(KeyAction::Save) => {
            if let Some(id) = list_order(state)
                .get(state.runs.list_selected)
                .map(|r| r.plan.id)
            {
                return save(state, id, None, now);
            }
        }
        Some(KeyAction::Command) => start_command_line(state),
        Some(KeyAction::Back) => state.runs.screen = None,
        _ => {}
    }
    Vec::new()
}

/// Past runs as listed: newest first.
pub fn list_order(state: &AppState) -> Vec<&RunRecord> {
    state.runs.history.iter().rev().collect()
}

/// The default file name of a saved run: `sagetop-run-3-churn-predictor-20260302T140000Z.json`.
pub fn default_save_path(r: &RunRecord) -> PathBuf {
    PathBuf::from(format!(
        "sagetop-run-{}-{}-{}.json",
        r.plan.id,
        r.plan.endpoint,
        r.report.result.finished_at.format("%Y%m%dT%H%M%SZ")
    ))
}

fn save(state: &mut AppState, id: u64, path: Option<PathBuf>, now: Timestamp) -> Vec<Command> {
    let Some(r) = state.runs.record(id) else {
        notice(
            state,
            NoticeLevel::Error,
            format!("no finished load run #{id} to save"),
            now,
        );
        return Vec::new();
    };
    let path = path.unwrap_or_else(|| default_save_path(r));
    match serde_json::to_string_pretty(&r.report.to_json()) {
        Ok(contents) => vec![Command::Runs(RunsCommand::Save {
            path,
            contents: contents + "\n",
        })],
        Err(e) => {
            notice(
                state,
                NoticeLevel::Error,
                format!("cannot encode run #{id}: {e}"),
                now,
            );
            Vec::new()
        }
    }
}

fn finished(state: &mut AppState, id: u64, report: RunReport, now: Timestamp) {
    let plan = match state.runs.active.take() {
        Some(a) if a.plan.id == id => a.plan,
        other => {
            // Not the active run (already failed): keep whatever is active.
            state.runs.active = other;
            return;
        }
    };
    let s = &report.result.summary;
    let at = report.result.finished_at;
    for (variant, v) in &s.variants {
        if let Some(l) = v.latency {
            state.client_latency.insert(
                (plan.endpoint.clone(), variant.clone()),
                ClientLatency {
                    avg_ms: l.average.as_secs_f64() * 1000.0,
                    p99_ms: Some(l.p99.as_secs_f64() * 1000.0),
                    requests: v.requests,
                    at,
                },
            );
        }
    }
    let p99 = s
        .latency
        .map_or_else(|| "-".to_string(), |l| latency(l.p99));
    let text = format!(
        "load run #{id} on {} {}: {} requests, {:.1} req/s, p99 {p99}, {:.2}% errors",
        plan.endpoint,
        report.result.stop.label(),
        s.requests,
        s.requests_per_sec,
        s.error_rate() * 100.0
    );
    let level = if s.error_rate() > 0.0 {
        NoticeLevel::Warning
    } else {
        NoticeLevel::Info
    };
    notice(state, level, text, now);
    state.runs.history.push(RunRecord { plan, report });
    if state.runs.history.len() > HISTORY {
        state.runs.history.remove(0);
    }
}

/// `:runs` and `:save PATH`; `None` for any other command line.
pub fn command(state: &mut AppState, line: &str, now: Timestamp) -> Option<Vec<Command>> {
    let line = line.trim().trim_start_matches(':').trim();
    let mut words = line.split_whitespace();
    let head = words.next()?;
    let rest: Vec<&str> = words.collect();
    use super::command_registry::{CommandId, find};
    match find(head)?.id {
        CommandId::Runs => {
            state.runs.screen = Some(RunScreen::List);
            state.runs.list_selected = 0;
            Some(Vec::new())
        }
        CommandId::Save => {
            let shown = match state.runs.screen {
                Some(RunScreen::Panel { id }) => Some(id),
                Some(RunScreen::List) => list_order(state)
                    .get(state.runs.list_selected)
                    .map(|r| r.plan.id),
                _ => None,
            };
            let Some(id) = shown
                .filter(|id| state.runs.record(*id).is_some())
                .or_else(|| state.runs.history.last().map(|r| r.plan.id))
            else {
                notice(
                    state,
                    NoticeLevel::Error,
                    "no finished load run to save (b starts one)",
                    now,
                );
                return Some(Vec::new());
            };
            let path = match rest.as_slice() {
                [] => None,
                [p] => Some(PathBuf::from(p)),
                _ => {
                    notice(state, NoticeLevel::Error, ":save takes one file path", now);
                    return Some(Vec::new());
                }
            };
            Some(save(state, id, path, now))
        }
        _ => None,
    }
}
