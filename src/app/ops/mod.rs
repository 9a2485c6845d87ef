//! Acting on the account from the app: the ops part of the state (dialog, tracked writes,
//! traffic shifts), the actions that drive it, and the checks every write passes in `update`
//! before it becomes a command (read-only, InService, nothing in flight, no shift running).

pub mod commands;
pub mod copies;
pub mod tracking;

use std::collections::BTreeMap;

use super::action::{Action, Command};
use super::dialogs::{self, AbortDialog, AbortFocus, ConfirmDialog, Dialog, QuitDialog, QuitFocus};
use super::keymap::{KeyAction, Keymap};
use super::state::{AppState, Notice, NoticeLevel, Overlay, View};
use crate::domain::{Endpoint, Timestamp};
use crate::rollout::OpsCommand;
use crate::rollout::{Guard, ShiftPhase, ShiftSnapshot};
use crate::write::{Origin, WriteEvent, WriteJob};

pub use tracking::{LastOutcome, TrackPhase, TrackedWrite};

/// Actions of the ops part (keys, write events, shift snapshots).
#[derive(Debug, Clone, PartialEq)]
pub enum OpsAction {
    /// `w`: the weights dialog of the focused endpoint.
    OpenWeights,
    /// `s`: the scale dialog of the focused endpoint (the selected variant in the detail).
    OpenScale,
    /// `c`: the copies dialog of the focused endpoint's inference components.
    OpenCopies,
    /// `x`/`esc` while a shift runs: ask whether to roll back or keep the step.
    AbortShift,
    /// Reported by the write service.
    Write(WriteEvent),
    /// Reported by a running traffic shift.
    Shift(Box<ShiftSnapshot>),
}

/// The ops part of `AppState`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpsState {
    pub dialog: Option<Dialog>,
    /// Endpoint → the write sent to it that is not finished yet.
    pub writes: BTreeMap<String, TrackedWrite>,
    /// Endpoint → how its last write ended (shown in the detail).
    pub last: BTreeMap<String, LastOutcome>,
    /// Endpoint → latest snapshot of its traffic shift (running or finished).
    pub shifts: BTreeMap<String, ShiftSnapshot>,
    /// The profile is marked production: confirming needs the endpoint name typed.
    pub production: bool,
    /// Guard thresholds of `:shift` unless its flags say otherwise.
    pub guard: Guard,
    /// Last id given to a write or shift.
    pub next_id: u64,
}

impl OpsState {
    pub fn shift_running(&self, endpoint: &str) -> bool {
        self.shifts
            .get(endpoint)
            .is_some_and(|s| !s.phase.is_done())
    }

    pub fn running_shifts(&self) -> Vec<String> {
        self.shifts
            .values()
            .filter(|s| !s.phase.is_done())
            .map(|s| s.endpoint.clone())
            .collect()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// Keys that change the account (hidden in read-only mode).
pub fn is_write_action(a: KeyAction) -> bool {
    matches!(
        a,
        KeyAction::Weights
            | KeyAction::Scale
            | KeyAction::Copies
            | KeyAction::AbortShift
            | KeyAction::Deploy
    )
}

/// The keymap without its write keys and the scopes of writes (the traffic-shift scope and
/// the write dialogs, none of which can open): what a read-only session binds, helps and hints.
pub fn without_writes(mut km: Keymap) -> Keymap {
    use super::keymap::Scope as S;
    km.bindings.retain(|b| {
        !is_write_action(b.action)
            && !matches!(
                b.scope,
                S::Shift
                    | S::Weights
                    | S::Scale
                    | S::Copies
                    | S::Confirm
                    | S::ConfirmTyped
                    | S::AbortShift
                    | S::QuitDialog
            )
    });
    km
}

pub fn notice(state: &mut AppState, level: NoticeLevel, text: impl Into<String>, at: Timestamp) {
    state.notice = Some(Notice {
        level,
        text: text.into(),
        at,
    });
    state.dirty = true;
}

/// Takes what the ops part handles before `update` sees it: its own actions, and `q` on the
/// endpoints view while a shift runs (keys reach an open dialog through `app::keys`).
pub fn intercept(
    state: &mut AppState,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Box<Action>> {
    match action {
        Action::Ops(a) => Ok(on_action(state, a, now)),
        Action::Quit
            if state.overlay == Overlay::None
                && state.view == View::Endpoints
                && state.input.is_none() =>
        {
            confirm_quit(state).ok_or(Box::new(Action::Quit))
        }
        other => Err(Box::new(other)),
    }
}

/// Applies an ops action.
pub fn on_action(state: &mut AppState, action: OpsAction, now: Timestamp) -> Vec<Command> {
    state.dirty = true;
    match action {
        OpsAction::OpenWeights => open_weights(state, now),
        OpsAction::OpenScale => open_scale(state, now),
        OpsAction::OpenCopies => copies::open(state, now),
        OpsAction::AbortShift => open_abort(state, now),
        OpsAction::Write(ev) => tracking::on_event(state, ev, now),
        OpsAction::Shift(snap) => {
            on_shift(state, *snap, now);
            Vec::new()
        }
    }
}

/// Why no write can be sent to `e` now, if so.
pub fn writable(state: &AppState, e: &Endpoint) -> Result<(), String> {
    if state.session.read_only {
        return Err("read-only mode: writes are off (restart without --read-only)".into());
    }
    if let Some(c) = state
        .contexts
        .of(&e.name)
        .filter(|_| state.read_only_for(&e.name))
    {
        return Err(format!(
            "{} is read-only: writes are off there ([profiles.X] read_only in the config)",
            c.describe()
        ));
    }
    if let Some(w) = state.ops.writes.get(&e.name) {
        return Err(format!(
            "a write to {} is in flight ({}, sent {}s ago): wait for it to finish",
            e.name,
            w.request.summary(),
            (state.now - w.sent_at).num_seconds().max(0)
        ));
    }
    if state.ops.shift_running(&e.name) {
        return Err(format!(
            "a traffic shift is running on {}: abort it first (x in its detail view)",
            e.name
        ));
    }
    Ok(())
}

/// `writable` plus: only an InService endpoint accepts changes.
pub fn updatable(state: &AppState, e: &Endpoint) -> Result<(), String> {
    writable(state, e)?;
    if !e.status.accepts_updates() {
        return Err(format!(
            "{} is {}: only an InService endpoint accepts changes; wait until it is InService",
            e.name, e.status
        ));
    }
    Ok(())
}

fn focused(state: &mut AppState, now: Timestamp) -> Option<Endpoint> {
    let e = state.focused_endpoint().cloned();
    if e.is_none() {
        notice(state, NoticeLevel::Error, "no endpoint selected", now);
    }
    e
}

fn open_weights(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(e) = focused(state, now) else {
        return Vec::new();
    };
    if let Err(why) = writable(state, &e) {
        notice(state, NoticeLevel::Error, why, now);
        return Vec::new();
    }
    let focus = if state.detail_endpoint().is_some() {
        state.detail_selected
    } else {
        0
    };
    let mut d = dialogs::WeightsDialog::open(&e, focus);
    if let Err(why) = updatable(state, &e) {
        d.message = Some(why);
    }
    state.ops.dialog = Some(Dialog::Weights(d));
    Vec::new()
}

fn open_scale(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(e) = focused(state, now) else {
        return Vec::new();
    };
    if let Err(why) = writable(state, &e) {
        notice(state, NoticeLevel::Error, why, now);
        return Vec::new();
    }
    let variant = state
        .detail_endpoint()
        .and_then(|_| e.variants.get(state.detail_selected))
        .map(|v| v.name.clone());
    match dialogs::ScaleDialog::open(&e, variant.as_deref(), None) {
        Some(d) => state.ops.dialog = Some(Dialog::Scale(d)),
        None => notice(
            state,
            NoticeLevel::Error,
            format!(
                "{} is serverless: it has no instance count to scale",
                e.name
            ),
            now,
        ),
    }
    Vec::new()
}

fn open_abort(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(endpoint) = state.detail_endpoint().map(str::to_string) else {
        return Vec::new();
    };
    let Some(s) = state
        .ops
        .shifts
        .get(&endpoint)
        .filter(|s| !s.phase.is_done())
    else {
        notice(
            state,
            NoticeLevel::Warning,
            format!("no traffic shift is running on {endpoint}"),
            now,
        );
        return Vec::new();
    };
    let share = s
        .to_shares
        .get(s.step.saturating_sub(1))
        .copied()
        .unwrap_or(0.0);
    let progress = format!(
        "step {}/{}, {} at {:.0}%",
        s.step,
        s.steps(),
        s.to,
        share * 100.0
    );
    state.ops.dialog = Some(Dialog::Abort(AbortDialog {
        endpoint,
        progress,
        focus: AbortFocus::Cancel,
    }));
    Vec::new()
}

/// `q` with shifts running asks first (Ctrl-C still quits at once). `None`: quit now.
pub fn confirm_quit(state: &mut AppState) -> Option<Vec<Command>> {
    let shifts = state.ops.running_shifts();
    if shifts.is_empty() {
        return None;
    }
    state.ops.dialog = Some(Dialog::Quit(QuitDialog {
        shifts,
        focus: QuitFocus::Cancel,
    }));
    state.dirty = true;
    Some(Vec::new())
}

/// A confirmed dialog: checks again, registers the write, returns the command.
pub fn submit(state: &mut AppState, d: ConfirmDialog, now: Timestamp) -> Vec<Command> {
    let Some(e) = state.endpoint(&d.endpoint).cloned() else {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "{} is no longer in the endpoint list: nothing was sent",
                d.endpoint
            ),
            now,
        );
        return Vec::new();
    };
    let needs_in_service = !matches!(
        d.proposal,
        dialogs::Proposal::Write(crate::write::WriteRequest::ScalingRange { .. })
    );
    let check = if needs_in_service {
        updatable(state, &e)
    } else {
        writable(state, &e)
    };
    if let Err(why) = check {
        notice(
            state,
            NoticeLevel::Error,
            format!("{why}: nothing was sent"),
            now,
        );
        return Vec::new();
    }
    match d.proposal {
        dialogs::Proposal::Write(request) => {
            let job = WriteJob {
                id: state.ops.id(),
                request,
                origin: Origin::User,
            };
            tracking::register(state, &job, now);
            notice(
                state,
                NoticeLevel::Info,
                format!("sending {} to {}…", job.request.operation(), d.endpoint),
                now,
            );
            vec![Command::Ops(OpsCommand::Write(job))]
        }
        dialogs::Proposal::Shift(mut plan) => {
            plan.id = state.ops.id();
            let snap = ShiftSnapshot::new(&plan, now);
            state.ops.shifts.insert(plan.endpoint.clone(), snap);
            notice(
                state,
                NoticeLevel::Info,
                format!(
                    "traffic shift on {} started: {} from {} to {}",
                    plan.endpoint,
                    plan.mode.label(),
                    plan.from,
                    plan.to
                ),
                now,
            );
            let mut cmds = Vec::new();
            if state.detail_endpoint() != Some(plan.endpoint.as_str()) {
                state.selected = Some(plan.endpoint.clone());
                state.detail_selected = 0;
                state.view = View::Detail {
                    endpoint: plan.endpoint.clone(),
                };
                cmds.push(Command::Watch(Some(plan.endpoint.clone())));
            }
            cmds.push(Command::Ops(OpsCommand::StartShift(plan)));
            cmds
        }
    }
}

pub fn abort_shift(
    state: &mut AppState,
    endpoint: &str,
    rollback: bool,
    now: Timestamp,
) -> Vec<Command> {
    let what = if rollback {
        "rolling back to the starting weights"
    } else {
        "stopping at the current step"
    };
    notice(
        state,
        NoticeLevel::Warning,
        format!("aborting the traffic shift on {endpoint}: {what}"),
        now,
    );
    vec![Command::Ops(OpsCommand::AbortShift {
        endpoint: endpoint.to_string(),
        rollback,
    })]
}

fn on_shift(state: &mut AppState, snap: ShiftSnapshot, now: Timestamp) {
    let old = state.ops.shifts.get(&snap.endpoint);
    if old.is_some_and(|o| o.id == snap.id && o.at > snap.at) {
        return;
    }
    // A shift that could not start never replaces one that runs.
    if old.is_some_and(|o| o.id != snap.id && !o.phase.is_done()) && snap.step == 0 {
        if let ShiftPhase::Failed { message } = &snap.phase {
            notice(
                state,
                NoticeLevel::Error,
                format!("traffic shift {message}"),
                now,
            );
        }
        return;
    }
    let was_done = old.is_some_and(|o| o.id == snap.id && o.phase.is_done());
    let was_rolling_back = old.is_some_and(|o| matches!(o.phase, ShiftPhase::RollingBack { .. }));
    if snap.phase.is_done() && !was_done {
        let (level, text) = match &snap.phase {
            ShiftPhase::Completed => (
                NoticeLevel::Info,
                format!(
                    "traffic shift on {} completed: {} has {}'s traffic",
                    snap.endpoint, snap.to, snap.from
                ),
            ),
            ShiftPhase::RolledBack { reason } => (
                NoticeLevel::Error,
                format!(
                    "traffic shift on {} rolled back to the starting weights: {reason}",
                    snap.endpoint
                ),
            ),
            ShiftPhase::Stopped => (
                NoticeLevel::Warning,
                format!(
                    "traffic shift on {} stopped at step {}/{}; the weights stay there",
                    snap.endpoint,
                    snap.step,
                    snap.steps()
                ),
            ),
            ShiftPhase::Failed { message } => (
                NoticeLevel::Error,
                format!("traffic shift on {} failed: {message}", snap.endpoint),
            ),
            _ => (NoticeLevel::Info, String::new()),
        };
        notice(state, level, text, now);
    }
    if let ShiftPhase::RollingBack { reason } = &snap.phase
        && !was_rolling_back
    {
        notice(
            state,
            NoticeLevel::Error,
            format!(
                "rolling back the traffic shift on {}: {reason}",
                snap.endpoint
            ),
            now,
        );
    }
    state.ops.shifts.insert(snap.endpoint.clone(), snap);
}
