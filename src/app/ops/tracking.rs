//! Tracking of writes in the state: sent → accepted (the endpoint shows Updating with the
//! pending change) → InService again, then a notice with the outcome; failures in AWS's
//! words plus what to do. Endpoint polls advance it.

use super::{OpsState, notice};
use crate::app::action::{Command, Panel};
use crate::app::state::{AppState, NoticeLevel};
use crate::domain::{Endpoint, EndpointStatus, Timestamp};
use crate::write::{Origin, WriteEvent, WriteJob, WriteOutcome, WriteRequest};

/// An accepted change not seen in a poll after this long is reported as not visible.
pub(super) const NOT_SEEN_SECS: i64 = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackPhase {
    /// Sent; no answer yet.
    Sending,
    /// Accepted; the endpoint is applying it.
    Applying { accepted_at: Timestamp },
}

/// A write sent to an endpoint and not finished yet.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackedWrite {
    pub id: u64,
    pub request: WriteRequest,
    pub origin: Origin,
    pub phase: TrackPhase,
    pub sent_at: Timestamp,
    /// A poll showed the endpoint Updating since it was accepted.
    pub seen_updating: bool,
}

/// How the last write to an endpoint ended.
#[derive(Debug, Clone, PartialEq)]
pub struct LastOutcome {
    pub at: Timestamp,
    pub summary: String,
    pub origin: Origin,
    pub level: NoticeLevel,
    pub text: String,
}

/// A confirmed write, before the service reports anything (blocks a second send at once).
pub fn register(state: &mut AppState, job: &WriteJob, now: Timestamp) {
    state.ops.writes.insert(
        job.request.endpoint().to_string(),
        TrackedWrite {
            id: job.id,
            request: job.request.clone(),
            origin: job.origin.clone(),
            phase: TrackPhase::Sending,
            sent_at: now,
            seen_updating: false,
        },
    );
}

pub(super) fn finish(
    ops: &mut OpsState,
    endpoint: &str,
    w: &TrackedWrite,
    level: NoticeLevel,
    text: String,
    at: Timestamp,
) {
    ops.writes.remove(endpoint);
    ops.last.insert(
        endpoint.to_string(),
        LastOutcome {
            at,
            summary: w.request.summary(),
            origin: w.origin.clone(),
            level,
            text,
        },
    );
}

/// Shows the accepted change on the endpoint until a poll reports it: AWS sets Updating
/// and the desired values as soon as it accepts the call.
fn show_pending(e: &mut Endpoint, request: &WriteRequest) {
    let WriteRequest::Update { changes, .. } = request else {
        return;
    };
    e.status = EndpointStatus::Updating;
    for c in changes {
        if let Some(v) = e.variants.iter_mut().find(|v| v.name == c.variant) {
            if c.desired_weight.is_some() {
                v.desired_weight = c.desired_weight;
            }
            if c.desired_instance_count.is_some() {
                v.desired_instance_count = c.desired_instance_count;
            }
        }
    }
}

/// A write event from the service.
pub fn on_event(state: &mut AppState, ev: WriteEvent, now: Timestamp) -> Vec<Command> {
    match ev {
        WriteEvent::Started { job, at } => {
            let endpoint = job.request.endpoint().to_string();
            if state
                .ops
                .writes
                .get(&endpoint)
                .is_none_or(|w| w.id != job.id)
            {
                register(state, &job, at);
            }
            Vec::new()
        }
        WriteEvent::Finished { job, at, outcome } => finished(state, job, at, outcome, now),
    }
}

fn finished(
    state: &mut AppState,
    job: WriteJob,
    at: Timestamp,
    outcome: WriteOutcome,
    now: Timestamp,
) -> Vec<Command> {
    let endpoint = job.request.endpoint().to_string();
    let tracked = state
        .ops
        .writes
        .get(&endpoint)
        .filter(|w| w.id == job.id)
        .cloned()
        .unwrap_or(TrackedWrite {
            id: job.id,
            request: job.request.clone(),
            origin: job.origin.clone(),
            phase: TrackPhase::Sending,
            sent_at: at,
            seen_updating: false,
        });
    let user = job.origin == Origin::User;
    let op = job.request.operation();
    if !outcome.went_through() {
        let text = format!("{op} on {endpoint} failed: {}", outcome.describe());
        let level = match outcome {
            WriteOutcome::Unknown { .. } => NoticeLevel::Warning,
            _ => NoticeLevel::Error,
        };
        finish(&mut state.ops, &endpoint, &tracked, level, text.clone(), at);
        notice(state, level, text, now);
        return Vec::new();
    }
    match &job.request {
        WriteRequest::ScalingRange { .. } => {
            let text = format!(
                "{}: {} — {}",
                endpoint,
                job.request.summary(),
                outcome.describe()
            );
            finish(
                &mut state.ops,
                &endpoint,
                &tracked,
                NoticeLevel::Info,
                text.clone(),
                at,
            );
            notice(state, NoticeLevel::Info, text, now);
            vec![Command::Refresh(Some(Panel::Autoscaling))]
        }
        WriteRequest::Copies { .. } => {
            let mut w = tracked;
            w.phase = TrackPhase::Applying { accepted_at: at };
            super::copies::show_pending(state, &job.request);
            state.ops.writes.insert(endpoint.clone(), w);
            notice(
                state,
                NoticeLevel::Info,
                format!("{op} on {endpoint} {}; Updating…", outcome.describe()),
                now,
            );
            vec![Command::Refresh(Some(Panel::Autoscaling))]
        }
        WriteRequest::Update { .. } | WriteRequest::Deploy(_) => {
            let mut w = tracked;
            w.phase = TrackPhase::Applying { accepted_at: at };
            if let Some(e) = state.endpoints.iter_mut().find(|e| e.name == endpoint) {
                show_pending(e, &job.request);
            }
            state.ops.writes.insert(endpoint.clone(), w);
            if user || matches!(outcome, WriteOutcome::Accepted { resent: true, .. }) {
                notice(
                    state,
                    NoticeLevel::Info,
                    format!("{op} on {endpoint} {}; Updating…", outcome.describe()),
                    now,
                );
            }
            vec![Command::Refresh(Some(Panel::Endpoints))]
        }
    }
}

/// After an endpoints poll: advance every accepted write by what the poll shows.
pub fn on_endpoints(state: &mut AppState, at: Timestamp) {
    let applying: Vec<(String, TrackedWrite)> = state
        .ops
        .writes
        .iter()
        .filter(|(_, w)| matches!(w.phase, TrackPhase::Applying { .. }))
        // Copy changes follow the component's status, not the endpoint's (`copies`).
        .filter(|(_, w)| !matches!(w.request, WriteRequest::Copies { .. }))
        .map(|(k, w)| (k.clone(), w.clone()))
        .collect();
    for (name, mut w) in applying {
        let TrackPhase::Applying { accepted_at } = w.phase else {
            continue;
        };
        let user = w.origin == Origin::User;
        let Some(e) = state.endpoint(&name).cloned() else {
            let text = format!("{name} is no longer listed; its change could not be followed");
            finish(
                &mut state.ops,
                &name,
                &w,
                NoticeLevel::Warning,
                text.clone(),
                at,
            );
            notice(state, NoticeLevel::Warning, text, at);
            continue;
        };
        let done = |level: NoticeLevel, text: String| (level, text);
        let result = if e.status.is_transitional() {
            w.seen_updating = true;
            state.ops.writes.insert(name.clone(), w.clone());
            None
        } else if e.status == EndpointStatus::InService {
            if w.request.current_in(&e) {
                Some(done(
                    NoticeLevel::Info,
                    format!(
                        "{name} is InService with the change: {}",
                        w.request.summary()
                    ),
                ))
            } else if w.seen_updating {
                let why = e
                    .failure_reason
                    .clone()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                Some(done(
                    NoticeLevel::Warning,
                    format!("{name} is InService again but the change did not take effect{why}"),
                ))
            } else if (at - accepted_at).num_seconds() > NOT_SEEN_SECS {
                Some(done(
                    NoticeLevel::Warning,
                    format!(
                        "{name} still shows InService without the change {}s after it was accepted; check the endpoint",
                        (at - accepted_at).num_seconds()
                    ),
                ))
            } else {
                // An older poll: keep showing the pending change.
                if let Some(ep) = state.endpoints.iter_mut().find(|x| x.name == name) {
                    show_pending(ep, &w.request);
                }
                None
            }
        } else {
            let why = e
                .failure_reason
                .clone()
                .map(|r| format!(": {r}"))
                .unwrap_or_default();
            Some(done(
                NoticeLevel::Error,
                format!("{name} is {}{why}", e.status),
            ))
        };
        if let Some((level, text)) = result {
            finish(&mut state.ops, &name, &w, level, text.clone(), at);
            if user || level != NoticeLevel::Info {
                notice(state, level, text, at);
            }
        }
    }
}
