//! `sagetop snapshot --json` with several contexts (`--profile a,b --region x,y`, `[fleet]`,
//! `--demo-accounts N`): every context read at once through its own keyed backend, as the
//! console's pollers read it, and printed as one document — every endpoint with its context,
//! account and region as fields, and quotas, events and errors per context. A context that
//! cannot be read is in `errors` with its label and the reason; the others are still printed.

use serde::Serialize;

use super::{EndpointSnapshot, EventSnapshot, FleetSnapshot, QuotaSnapshot, SnapshotError};
use crate::app::AppState;
use crate::app::contexts::Ctx;
use crate::app::state::SessionInfo;
use crate::boundary::Backend;
use crate::boundary::context::plain;
use crate::clock::Clock;
use crate::domain::{Identity, Timestamp};

/// One endpoint of one context: its plain name (as AWS knows it) and where it lives.
#[derive(Debug, Clone, Serialize)]
pub struct ContextEndpoint {
    /// The context's label, `PROFILE/REGION`.
    pub context: String,
    pub profile: Option<String>,
    /// The account id STS reported for the context (`None` when it could not be read).
    pub account: Option<String>,
    pub region: String,
    #[serde(flatten)]
    pub snapshot: EndpointSnapshot,
}

/// What one context's reads gave besides its endpoints.
#[derive(Debug, Clone, Serialize)]
pub struct ContextSnapshot {
    pub label: String,
    pub profile: Option<String>,
    pub account: Option<String>,
    pub region: String,
    pub read_only: bool,
    pub identity: Option<Identity>,
    /// ListEndpoints answered: this context's endpoints are in the document.
    pub endpoints_read: bool,
    pub endpoint_count: usize,
    /// This account and region's quotas, usage counted from this context's own endpoints.
    pub quotas: Vec<QuotaSnapshot>,
    pub events: Vec<EventSnapshot>,
    pub errors: Vec<SnapshotError>,
}

/// A failed read, with the context it failed in.
#[derive(Debug, Clone, Serialize)]
pub struct ContextError {
    pub context: String,
    #[serde(flatten)]
    pub error: SnapshotError,
}

/// The document printed with several contexts.
#[derive(Debug, Clone, Serialize)]
pub struct ContextsSnapshot {
    pub taken_at: Timestamp,
    pub contexts: Vec<ContextSnapshot>,
    /// Every context's endpoints, in the order of the contexts.
    pub endpoints: Vec<ContextEndpoint>,
    /// Every context's errors, each with its context's label (also under `contexts[].errors`),
    /// so `.errors` is empty exactly when everything was read, as with one context.
    pub errors: Vec<ContextError>,
}

impl ContextsSnapshot {
    /// Builds the document from each context's primed state (its endpoints keyed
    /// `NAME@LABEL`, as the keyed backend hands them up).
    pub fn from_states(states: &[(Ctx, AppState)]) -> Self {
        let mut contexts = Vec::new();
        let mut endpoints = Vec::new();
        let mut errors = Vec::new();
        for (ctx, state) in states {
            let fleet = FleetSnapshot::from_state(state);
            let account = fleet
                .identity
                .as_ref()
                .map(|i| i.account.clone())
                .or_else(|| ctx.account.clone());
            let endpoints_read = FleetSnapshot::endpoints_read(state);
            endpoints.extend(fleet.endpoints.into_iter().map(|e| ContextEndpoint {
                context: ctx.label.clone(),
                profile: ctx.profile.clone(),
                account: account.clone(),
                region: ctx.region.clone(),
                snapshot: unkeyed(e),
            }));
            errors.extend(fleet.errors.iter().map(|e| ContextError {
                context: ctx.label.clone(),
                error: e.clone(),
            }));
            contexts.push(ContextSnapshot {
                label: ctx.label.clone(),
                profile: ctx.profile.clone(),
                account,
                region: ctx.region.clone(),
                read_only: ctx.read_only,
                identity: fleet.identity,
                endpoints_read,
                endpoint_count: state.endpoints.len(),
                quotas: fleet.quotas,
                events: fleet.events,
                errors: fleet.errors,
            });
        }
        ContextsSnapshot {
            taken_at: states.iter().map(|(_, s)| s.now).max().unwrap_or_default(),
            contexts,
            endpoints,
            errors,
        }
    }

    /// Every context listed its endpoints. With several contexts `snapshot` exits 0 only then:
    /// a fleet missing one account must not pass for the whole fleet in a script.
    pub fn complete(&self) -> bool {
        self.contexts.iter().all(|c| c.endpoints_read)
    }
}

/// The endpoint with every name as AWS knows it (its context is in the fields beside it).
fn unkeyed(mut e: EndpointSnapshot) -> EndpointSnapshot {
    fn strip(name: &mut String) {
        *name = plain(name).to_string();
    }
    strip(&mut e.endpoint.name);
    for t in e.autoscaling.iter_mut().filter_map(|a| a.target.as_mut()) {
        strip(&mut t.endpoint);
    }
    for a in &mut e.scaling_activities {
        strip(&mut a.endpoint);
    }
    e
}

/// Reads every context at once, each through its own backend (keyed by its label, read-only
/// where its profile is), each panel once as `effects::prime_state` does for one context.
pub async fn read_contexts(
    contexts: &[(Ctx, &dyn Backend)],
    clock: &dyn Clock,
    demo: bool,
) -> Vec<(Ctx, AppState)> {
    let reads = contexts.iter().map(|(ctx, backend)| async move {
        let session = SessionInfo {
            profile: ctx.profile.clone(),
            region: Some(ctx.region.clone()),
            demo,
            read_only: ctx.read_only,
        };
        let state = crate::effects::prime_state(*backend, clock, session).await;
        (ctx.clone(), state)
    });
    futures::future::join_all(reads).await
}
