//! Dialogs drawn over the view (weights, scale, confirm, abort, quit): their state, and the
//! key handling that turns a dialog's outcome into the next dialog or a write command.

pub mod confirm;
pub mod copies;
pub mod deploy;
pub mod field;
pub mod prompts;
pub mod scale;
pub mod weights;

use crossterm::event::KeyEvent;

pub use confirm::{ConfirmDialog, ConfirmFocus, Proposal};
pub use copies::{CopiesDialog, CopiesFocus};
pub use prompts::{AbortDialog, AbortFocus, QuitDialog, QuitFocus};
pub use scale::{ScaleDialog, ScaleFocus};
pub use weights::{WeightsDialog, WeightsFocus};

use super::action::Command;
use super::keymap::KeyAction;
use super::ops;
use super::state::{AppState, NoticeLevel};
use crate::domain::Timestamp;
use crate::write::request::{scale_request, weights_request};

/// The dialog on screen (at most one).
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    Weights(WeightsDialog),
    Scale(ScaleDialog),
    Copies(CopiesDialog),
    Confirm(ConfirmDialog),
    Abort(AbortDialog),
    Quit(QuitDialog),
    Deploy(Box<deploy::DeployDialog>),
}

/// The weights give every variant the share it has now (weights are relative).
fn same_shares(e: &crate::domain::Endpoint, ws: &[(String, f64)]) -> bool {
    let now: Vec<f64> = e
        .variants
        .iter()
        .map(crate::write::request::keep_weight)
        .collect();
    let new: Vec<f64> = e
        .variants
        .iter()
        .map(|v| {
            ws.iter()
                .find(|(n, _)| *n == v.name)
                .map_or(0.0, |(_, w)| *w)
        })
        .collect();
    let (a, b) = (
        crate::domain::normalize_weights(&now),
        crate::domain::normalize_weights(&new),
    );
    a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-6)
}

/// A key while a dialog is open: every key goes to the dialog (`action`: what the keymap
/// binds it to in the dialog's scope).
pub fn on_key(
    state: &mut AppState,
    action: Option<KeyAction>,
    key: KeyEvent,
    now: Timestamp,
) -> Vec<Command> {
    state.dirty = true;
    let Some(dialog) = state.ops.dialog.take() else {
        return Vec::new();
    };
    match dialog {
        Dialog::Weights(mut d) => match d.on_key(action, key) {
            weights::WeightsOutcome::Stay => state.ops.dialog = Some(Dialog::Weights(d)),
            weights::WeightsOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "cancelled: nothing was sent", now)
            }
            weights::WeightsOutcome::Review(ws) => {
                let Some(e) = state.endpoint(&d.endpoint).cloned() else {
                    d.message = Some(format!("{} is no longer in the endpoint list", d.endpoint));
                    state.ops.dialog = Some(Dialog::Weights(d));
                    return Vec::new();
                };
                if let Err(why) = ops::updatable(state, &e) {
                    d.message = Some(why);
                    state.ops.dialog = Some(Dialog::Weights(d));
                    return Vec::new();
                }
                let request = weights_request(&e, &ws);
                if same_shares(&e, &ws) {
                    d.message = Some("these are the current weights: nothing to change".into());
                    state.ops.dialog = Some(Dialog::Weights(d));
                    return Vec::new();
                }
                let c = confirm::for_weights(&e, request, state.production_for(&e.name));
                state.ops.dialog = Some(Dialog::Confirm(c));
            }
        },
        Dialog::Scale(mut d) => match d.on_key(action, key, state) {
            scale::ScaleOutcome::Stay => state.ops.dialog = Some(Dialog::Scale(d)),
            scale::ScaleOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "cancelled: nothing was sent", now)
            }
            scale::ScaleOutcome::Review { variant, count } => {
                let (Some(e), Some(f)) = (
                    state.endpoint(&d.endpoint).cloned(),
                    scale::facts(state, &d.endpoint, &variant),
                ) else {
                    state.ops.dialog = Some(Dialog::Scale(d));
                    return Vec::new();
                };
                if let Err(why) = ops::writable(state, &e) {
                    d.message = Some(why);
                    state.ops.dialog = Some(Dialog::Scale(d));
                    return Vec::new();
                }
                let request = scale_request(&e, &variant, count);
                let c = confirm::for_scale(&e, &f, count, request, state.production_for(&e.name));
                state.ops.dialog = Some(Dialog::Confirm(c));
            }
            scale::ScaleOutcome::Range { variant, min, max } => {
                let old = scale::facts(state, &d.endpoint, &variant).and_then(|f| f.range);
                let c = confirm::for_range(
                    &d.endpoint,
                    &variant,
                    old,
                    min,
                    max,
                    state.production_for(&d.endpoint),
                );
                state.ops.dialog = Some(Dialog::Confirm(c));
            }
        },
        Dialog::Copies(mut d) => match d.on_key(action, key, state) {
            copies::CopiesOutcome::Stay => state.ops.dialog = Some(Dialog::Copies(d)),
            copies::CopiesOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "cancelled: nothing was sent", now)
            }
            copies::CopiesOutcome::Review { component, copies } => {
                let (Some(e), Some(f)) = (
                    state.endpoint(&d.endpoint).cloned(),
                    ops::copies::facts(state, &d.endpoint, &component),
                ) else {
                    state.ops.dialog = Some(Dialog::Copies(d));
                    return Vec::new();
                };
                if let Err(why) = ops::updatable(state, &e) {
                    d.message = Some(why);
                    state.ops.dialog = Some(Dialog::Copies(d));
                    return Vec::new();
                }
                let c = confirm::for_copies(&f, copies, state.production_for(&e.name));
                state.ops.dialog = Some(Dialog::Confirm(c));
            }
        },
        Dialog::Deploy(mut d) => match d.on_key(action, key) {
            deploy::DeployOutcome::Stay => state.ops.dialog = Some(Dialog::Deploy(d)),
            deploy::DeployOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "cancelled: nothing was sent", now)
            }
            deploy::DeployOutcome::Review(request) => {
                let Some(e) = state.endpoint(&d.endpoint).cloned() else {
                    state.ops.dialog = Some(Dialog::Deploy(d));
                    return Vec::new();
                };
                if let Err(why) = ops::updatable(state, &e) {
                    d.message = Some(why);
                    state.ops.dialog = Some(Dialog::Deploy(d));
                    return Vec::new();
                }
                let c = deploy::confirm(
                    &e.config_name,
                    request,
                    state.identity.as_ref(),
                    state.production_for(&e.name),
                );
                state.ops.dialog = Some(Dialog::Confirm(c));
            }
        },
        Dialog::Confirm(mut d) => match d.on_key(action, key) {
            confirm::ConfirmOutcome::Stay => state.ops.dialog = Some(Dialog::Confirm(d)),
            confirm::ConfirmOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "cancelled: nothing was sent", now)
            }
            confirm::ConfirmOutcome::Confirm => return ops::submit(state, d, now),
        },
        Dialog::Abort(mut d) => match d.on_key(action) {
            prompts::AbortOutcome::Stay => state.ops.dialog = Some(Dialog::Abort(d)),
            prompts::AbortOutcome::Cancel => {
                ops::notice(state, NoticeLevel::Info, "the traffic shift goes on", now)
            }
            prompts::AbortOutcome::Abort { rollback } => {
                return ops::abort_shift(state, &d.endpoint, rollback, now);
            }
        },
        Dialog::Quit(mut d) => match d.on_key(action) {
            prompts::QuitOutcome::Stay => state.ops.dialog = Some(Dialog::Quit(d)),
            prompts::QuitOutcome::Cancel => {}
            prompts::QuitOutcome::Quit => {
                state.should_quit = true;
                return vec![Command::Quit];
            }
        },
    }
    Vec::new()
}
