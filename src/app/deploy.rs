//! Owns the deployment part of the state: the watched endpoint's deployment detail (last
//! deployment config, rollback alarms, shadow tests with production vs shadow figures, data
//! capture, Model Monitor), the choices the deploy dialog offers (endpoint configs, alarms),
//! and the `D` key that opens that dialog. The write itself goes through `app::ops`.

use std::collections::BTreeMap;

use super::action::{Action, Command};
use super::dialogs::Dialog;
use super::dialogs::deploy::DeployDialog;
use super::ops::{notice, writable};
use super::state::{AppState, NoticeLevel};
use crate::boundary::BackendError;
use crate::domain::*;

pub use crate::poll::deploy::{DeployCommand, DeployEvent, DeploymentSnapshot, ShadowFigures};

#[derive(Debug, Clone, PartialEq)]
pub enum DeployAction {
    /// `D`: the deploy dialog of the focused endpoint.
    Open,
    /// What the deploy poller read: the deployment section, or the dialog's choices.
    Read(DeployEvent),
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeployState {
    /// Endpoint → its last deployment read and when.
    pub details: BTreeMap<String, (Timestamp, DeploymentSnapshot)>,
    /// Endpoint → why its last deployment read failed.
    pub errors: BTreeMap<String, BackendError>,
}

/// Takes the deployment actions before `update` sees them.
pub fn intercept(
    state: &mut AppState,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Box<Action>> {
    let Action::Deploy(a) = action else {
        return Err(Box::new(action));
    };
    state.dirty = true;
    Ok(on_action(state, a, now))
}

pub fn on_action(state: &mut AppState, action: DeployAction, now: Timestamp) -> Vec<Command> {
    match action {
        DeployAction::Open => open(state, now),
        DeployAction::Read(DeployEvent::Polled {
            endpoint,
            at,
            result,
        }) => {
            match result {
                Ok(s) => {
                    state.deploy.errors.remove(&endpoint);
                    state.deploy.details.insert(endpoint, (at, *s));
                }
                Err(e) => {
                    state.deploy.errors.insert(endpoint, e);
                }
            }
            Vec::new()
        }
        DeployAction::Read(DeployEvent::Choices { configs, alarms }) => {
            if let Some(Dialog::Deploy(d)) = state.ops.dialog.as_mut() {
                d.set_choices(configs, alarms);
            }
            Vec::new()
        }
    }
}

fn open(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(e) = state.focused_endpoint().cloned() else {
        notice(state, NoticeLevel::Error, "no endpoint selected", now);
        return Vec::new();
    };
    if let Err(why) = writable(state, &e) {
        notice(state, NoticeLevel::Error, why, now);
        return Vec::new();
    }
    let mut d = DeployDialog::open(&e);
    if !e.status.accepts_updates() {
        d.message = Some(format!(
            "{} is {}: only an InService endpoint can be deployed to; wait until it is InService",
            e.name, e.status
        ));
    }
    state.ops.dialog = Some(Dialog::Deploy(Box::new(d)));
    vec![Command::Deploy(DeployCommand::FetchChoices {
        endpoint: e.name,
    })]
}

impl From<DeployEvent> for Action {
    fn from(e: DeployEvent) -> Action {
        Action::Deploy(DeployAction::Read(e))
    }
}
