//! Routing of a key press: the screen on top decides the keymap scope (a dialog, the line
//! being typed, a load-run screen, help, then the view), the keymap names the action, and
//! the screen of that scope acts on it. Ctrl-C (force quit) works from every scope.

use crossterm::event::{KeyEvent, KeyEventKind};

use super::action::{Action, Command};
use super::dialogs::Dialog;
use super::keymap::{KeyAction, Scope};
use super::runs::RunScreen;
use super::state::{AppState, InputKind, Overlay, View};
use crate::domain::Timestamp;

/// The scope keys are looked up in (and help and footer show).
pub fn scope_of(state: &AppState) -> Scope {
    if let Some(d) = &state.ops.dialog {
        return match d {
            Dialog::Weights(_) => Scope::Weights,
            Dialog::Scale(_) => Scope::Scale,
            Dialog::Deploy(_) => Scope::Deploy,
            Dialog::Copies(_) => Scope::Copies,
            Dialog::Confirm(c) if c.production => Scope::ConfirmTyped,
            Dialog::Confirm(_) => Scope::Confirm,
            Dialog::Abort(_) => Scope::AbortShift,
            Dialog::Quit(_) => Scope::QuitDialog,
        };
    }
    if let Some(input) = &state.input {
        return match input.kind {
            InputKind::Filter => Scope::Filter,
            InputKind::Command => Scope::CommandLine,
        };
    }
    if let Some(screen) = state.runs.screen {
        return match screen {
            RunScreen::Dialog => Scope::LoadPlan,
            RunScreen::Confirm => Scope::LoadConfirm,
            RunScreen::Panel { id }
                if state.runs.active.as_ref().is_some_and(|a| a.plan.id == id) =>
            {
                Scope::LoadLive
            }
            RunScreen::Panel { .. } => Scope::LoadDone,
            RunScreen::List => Scope::LoadRuns,
        };
    }
    if matches!(state.overlay, Overlay::Help { .. }) {
        return Scope::Help;
    }
    match &state.view {
        View::Endpoints => Scope::Endpoints,
        View::Detail { endpoint } if state.ops.shift_running(endpoint) => Scope::Shift,
        View::Detail { .. } => Scope::Detail,
        View::Events => Scope::Events,
        View::EventJson => Scope::EventJson,
        View::Quotas => Scope::Quotas,
        View::Api => Scope::Api,
        View::Logs => Scope::Logs,
    }
}

/// Whether a key's action applies to what is on screen, for the footer: the copies key only
/// on the detail of an endpoint that hosts inference components. Every other key is offered
/// wherever its scope is.
pub fn offered(state: &AppState, action: KeyAction) -> bool {
    match action {
        KeyAction::Copies => state
            .detail_endpoint()
            .is_some_and(|e| super::ops::copies::hosts_components(state, e)),
        _ => true,
    }
}

/// The footer's key hints for the screen on top: the scope's, less the keys [`offered`] drops.
pub fn footer(state: &AppState) -> Vec<(String, &'static str)> {
    state
        .keymap
        .footer_where(scope_of(state), |a| offered(state, a))
}

/// One key press.
pub fn on_key(state: &mut AppState, key: KeyEvent, now: Timestamp) -> Vec<Command> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    let scope = scope_of(state);
    let action = state.keymap.lookup(scope, &key);
    if action == Some(KeyAction::ForceQuit) {
        return super::update::update(state, Action::ForceQuit, now);
    }
    match scope {
        Scope::Weights
        | Scope::Scale
        | Scope::Deploy
        | Scope::Copies
        | Scope::Confirm
        | Scope::ConfirmTyped
        | Scope::AbortShift
        | Scope::QuitDialog => super::dialogs::on_key(state, action, key, now),
        Scope::Filter | Scope::CommandLine => super::input_line::on_key(state, action, key, now),
        Scope::LoadPlan
        | Scope::LoadConfirm
        | Scope::LoadLive
        | Scope::LoadDone
        | Scope::LoadRuns => {
            state.dirty = true;
            super::runs::on_key(state, action, key, now)
        }
        Scope::Help => help_key(state, action, now),
        Scope::Global
        | Scope::Endpoints
        | Scope::Detail
        | Scope::Shift
        | Scope::Events
        | Scope::EventJson
        | Scope::Quotas
        | Scope::Api
        | Scope::Logs => match action.and_then(KeyAction::to_action) {
            Some(a) => super::update::update(state, a, now),
            None => Vec::new(),
        },
    }
}

/// Help scrolls with its own keys; its close keys close it.
fn help_key(state: &mut AppState, action: Option<KeyAction>, now: Timestamp) -> Vec<Command> {
    let delta: i32 = match action {
        Some(KeyAction::MoveDown) => 1,
        Some(KeyAction::MoveUp) => -1,
        Some(KeyAction::PageDown) => 10,
        Some(KeyAction::PageUp) => -10,
        Some(other) => {
            return match other.to_action() {
                Some(a) => super::update::update(state, a, now),
                None => Vec::new(),
            };
        }
        None => return Vec::new(),
    };
    if let Overlay::Help { scroll } = &mut state.overlay {
        *scroll = (i32::from(*scroll) + delta).clamp(0, 500) as u16;
        state.dirty = true;
    }
    Vec::new()
}
