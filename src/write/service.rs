//! The write service: the one place a write is sent. It refuses a second write to an endpoint
//! while one is in flight, never blindly retries a lost response (it describes the endpoint
//! first and re-sends only when the change is not there), and audits every attempt.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::audit::{AuditLog, AuditRecord};
use super::{Origin, WriteEvent, WriteJob, WriteOutcome, WriteReport, WriteRequest};
use crate::boundary::{BackendError, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::{ComponentStatus, Identity, WriteReceipt};
use crate::emit::{Emitter, NoticeLevel};

/// Sends of one write at most: the first, and re-sends after lost responses whose change a
/// describe showed was not there.
const MAX_SENDS: usize = 2;

/// Longest wall-clock wait for a write's response before it counts as lost.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Ids of writes the service makes up itself (traffic shifts) start here, above the app's.
const SERVICE_IDS: u64 = 1 << 40;

/// Session facts written to every audit line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFacts {
    pub profile: Option<String>,
    pub region: Option<String>,
}

/// What a describe after a lost response shows.
enum Presence {
    Applied(String),
    Absent,
    Other(String),
}

/// Releases the endpoint's in-flight mark however the write ends.
struct InFlight<'a> {
    set: &'a Mutex<HashSet<String>>,
    endpoint: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        lock(self.set).remove(&self.endpoint);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub struct WriteService {
    backend: SharedBackend,
    clock: SharedClock,
    audit: AuditLog,
    facts: SessionFacts,
    identity: tokio::sync::Mutex<Option<Identity>>,
    in_flight: Mutex<HashSet<String>>,
    /// Endpoint → id of the traffic shift that owns it (other writes are refused).
    shifts: Mutex<HashMap<String, u64>>,
    tx: Emitter<WriteReport>,
    ids: AtomicU64,
}

impl WriteService {
    pub fn new(
        backend: SharedBackend,
        clock: SharedClock,
        audit: AuditLog,
        facts: SessionFacts,
        tx: impl Into<Emitter<WriteReport>>,
    ) -> WriteService {
        WriteService {
            backend,
            clock,
            audit,
            facts,
            identity: tokio::sync::Mutex::new(None),
            in_flight: Mutex::new(HashSet::new()),
            shifts: Mutex::new(HashMap::new()),
            tx: tx.into(),
            ids: AtomicU64::new(SERVICE_IDS),
        }
    }

    pub fn backend(&self) -> &SharedBackend {
        &self.backend
    }

    pub fn clock(&self) -> &SharedClock {
        &self.clock
    }

    pub fn audit_path(&self) -> &std::path::Path {
        self.audit.path()
    }

    /// A fresh id for a write the service's callers make up (shift steps).
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Makes `shift` the only writer of `endpoint` until released.
    pub fn claim_for_shift(&self, endpoint: &str, shift: u64) -> Result<(), String> {
        let mut shifts = lock(&self.shifts);
        if let Some(other) = shifts.get(endpoint)
            && *other != shift
        {
            return Err(format!("a traffic shift is already running on {endpoint}"));
        }
        if lock(&self.in_flight).contains(endpoint) {
            return Err(format!("a write to {endpoint} is in flight"));
        }
        shifts.insert(endpoint.to_string(), shift);
        Ok(())
    }

    pub fn release_shift(&self, endpoint: &str, shift: u64) {
        let mut shifts = lock(&self.shifts);
        if shifts.get(endpoint) == Some(&shift) {
            shifts.remove(endpoint);
        }
    }

    async fn report(&self, event: WriteEvent) {
        let _ = self.tx.send(WriteReport::Write(event)).await;
    }

    /// Runs one write to its end and reports it (Started, then Finished) to the app.
    pub async fn execute(&self, job: WriteJob) -> WriteOutcome {
        self.report(WriteEvent::Started {
            job: job.clone(),
            at: self.clock.now(),
        })
        .await;
        let outcome = self.run(&job).await;
        tracing::info!(endpoint = job.request.endpoint(), id = job.id, outcome = ?outcome, "write finished");
        self.report(WriteEvent::Finished {
            job,
            at: self.clock.now(),
            outcome: outcome.clone(),
        })
        .await;
        outcome
    }

    fn refusal(&self, job: &WriteJob) -> Option<String> {
        let endpoint = job.request.endpoint();
        let owner = lock(&self.shifts).get(endpoint).copied();
        if owner.is_some() && job.origin == Origin::User {
            return Some(format!(
                "a traffic shift is running on {endpoint}; abort it first"
            ));
        }
        None
    }

    async fn run(&self, job: &WriteJob) -> WriteOutcome {
        let endpoint = job.request.endpoint().to_string();
        if let Some(why) = self.refusal(job) {
            self.log(job, "refused", Some(why.clone()), None).await;
            return WriteOutcome::Refused(why);
        }
        if !lock(&self.in_flight).insert(endpoint.clone()) {
            let why = format!("a write to {endpoint} is already in flight; not sent twice");
            self.log(job, "refused", Some(why.clone()), None).await;
            return WriteOutcome::Refused(why);
        }
        let _in_flight = InFlight {
            set: &self.in_flight,
            endpoint: endpoint.clone(),
        };
        if let Err(e) = self.audit.check() {
            return WriteOutcome::Refused(format!("{e}; without an audit log nothing is sent"));
        }
        let mut resent = false;
        for send in 1..=MAX_SENDS {
            match self.send(&job.request).await {
                Ok(receipt) => {
                    self.log(job, "accepted", None, Some(receipt.request_id.clone()))
                        .await;
                    return WriteOutcome::Accepted {
                        request_id: receipt.request_id,
                        resent,
                    };
                }
                Err(error) if is_lost(&error) => match self.presence(&job.request).await {
                    Ok(Presence::Applied(detail)) => {
                        self.log(job, "no-response", Some(format!("{error}; {detail}")), None)
                            .await;
                        return WriteOutcome::AlreadyApplied { detail };
                    }
                    Ok(Presence::Absent) if send < MAX_SENDS => {
                        let detail = format!(
                            "{error}; {} shows the change is not there: sending it again",
                            presence_call(&job.request)
                        );
                        self.log(job, "no-response", Some(detail), None).await;
                        resent = true;
                    }
                    Ok(Presence::Absent) => {
                        let detail = format!(
                            "{} shows the change is not there after {send} sends; giving up",
                            presence_call(&job.request)
                        );
                        self.log(job, "no-response", Some(format!("{error}; {detail}")), None)
                            .await;
                        return WriteOutcome::Unknown { error, detail };
                    }
                    Ok(Presence::Other(detail)) => {
                        self.log(job, "no-response", Some(format!("{error}; {detail}")), None)
                            .await;
                        return WriteOutcome::Unknown { error, detail };
                    }
                    Err(check) => {
                        let detail = format!("the check after it failed too ({check})");
                        self.log(job, "no-response", Some(format!("{error}; {detail}")), None)
                            .await;
                        return WriteOutcome::Unknown { error, detail };
                    }
                },
                Err(error) => {
                    let outcome = if matches!(error, BackendError::ReadOnly { .. }) {
                        "refused"
                    } else {
                        "rejected"
                    };
                    self.log(job, outcome, Some(error.to_string()), None).await;
                    return WriteOutcome::Failed(error);
                }
            }
        }
        unreachable!("the loop returns on its last send")
    }

    async fn send(&self, request: &WriteRequest) -> BackendResult<WriteReceipt> {
        let op = request.operation();
        let call = async {
            match request {
                WriteRequest::Update { endpoint, changes } => {
                    self.backend
                        .update_weights_and_capacities(endpoint, changes)
                        .await
                }
                WriteRequest::ScalingRange {
                    endpoint,
                    variant,
                    min_capacity,
                    max_capacity,
                } => {
                    self.backend
                        .register_scalable_target(endpoint, variant, *min_capacity, *max_capacity)
                        .await
                }
                WriteRequest::Deploy(r) => self.backend.update_endpoint(r).await,
                WriteRequest::Copies { .. } => match request.copy_change() {
                    Some(change) => self.backend.update_component_copies(&change).await,
                    None => unreachable!("a Copies request has a copy change"),
                },
            }
        };
        match tokio::time::timeout(RESPONSE_TIMEOUT, call).await {
            Ok(r) => r,
            Err(_) => Err(BackendError::Timeout {
                operation: op,
                seconds: RESPONSE_TIMEOUT.as_secs(),
            }),
        }
    }

    /// After a lost response: is the change there?
    async fn presence(&self, request: &WriteRequest) -> BackendResult<Presence> {
        match request {
            WriteRequest::Update { .. } | WriteRequest::Deploy(_) => {
                let e = self.backend.describe_endpoint(request.endpoint()).await?;
                if request.desired_in(&e) {
                    Ok(Presence::Applied(format!(
                        "the response was lost, but DescribeEndpoint shows the change ({} is {}): not sent again",
                        e.name, e.status
                    )))
                } else if e.status.accepts_updates() {
                    Ok(Presence::Absent)
                } else {
                    Ok(Presence::Other(format!(
                        "{} is {} with other desired values (another change?)",
                        e.name, e.status
                    )))
                }
            }
            WriteRequest::ScalingRange { endpoint, .. } => {
                let a = self.backend.describe_autoscaling(endpoint).await?;
                if request.range_in(&a) {
                    Ok(Presence::Applied(
                        "the response was lost, but DescribeScalableTargets shows the new range: not sent again".into(),
                    ))
                } else {
                    Ok(Presence::Absent)
                }
            }
            WriteRequest::Copies {
                endpoint,
                component,
                ..
            } => {
                let e = self.backend.describe_endpoint(endpoint).await?;
                let h = self.backend.describe_hosting(&e, false).await?;
                let ic = h.component(component);
                if request.copies_desired_in(&h) {
                    Ok(Presence::Applied(
                        "the response was lost, but DescribeInferenceComponent shows the new copy count: not sent again".into(),
                    ))
                } else if ic.is_some_and(|c| c.status == Some(ComponentStatus::InService)) {
                    Ok(Presence::Absent)
                } else {
                    Ok(Presence::Other(format!(
                        "{component} is {} with another desired copy count (another change?)",
                        ic.and_then(|c| c.status)
                            .map_or("not listed", ComponentStatus::as_str)
                    )))
                }
            }
        }
    }

    async fn identity(&self) -> Option<Identity> {
        let mut cached = self.identity.lock().await;
        if cached.is_none() {
            *cached = self.backend.identity().await.ok();
        }
        cached.clone()
    }

    /// Appends one audit line; a failure is logged and reported, never fatal.
    async fn log(
        &self,
        job: &WriteJob,
        outcome: &str,
        detail: Option<String>,
        request_id: Option<String>,
    ) {
        let id = self.identity().await;
        let record = AuditRecord {
            time: AuditRecord::time_of(self.clock.now()),
            profile: self.facts.profile.clone(),
            region: self
                .facts
                .region
                .clone()
                .or_else(|| id.as_ref().map(|i| i.region.clone())),
            account: id.as_ref().map(|i| i.account.clone()),
            principal: id.as_ref().map(|i| i.arn.clone()),
            endpoint: crate::boundary::context::plain(job.request.endpoint()).to_string(),
            operation: job.request.operation().to_string(),
            request: job.request.api_json(),
            origin: job.origin.label(),
            outcome: outcome.to_string(),
            detail,
            request_id,
        };
        if let Err(e) = self.audit.append(&record) {
            tracing::error!(error = %e, "audit log append failed");
            let _ = self
                .tx
                .send(WriteReport::Notice(NoticeLevel::Error, e.to_string()))
                .await;
        }
    }
}

/// The call that finds out whether a lost write applied.
fn presence_call(request: &WriteRequest) -> &'static str {
    match request {
        WriteRequest::Update { .. } | WriteRequest::Deploy(_) => "DescribeEndpoint",
        WriteRequest::ScalingRange { .. } => "DescribeScalableTargets",
        WriteRequest::Copies { .. } => "DescribeInferenceComponent",
    }
}

/// The request may or may not have reached AWS.
fn is_lost(e: &BackendError) -> bool {
    matches!(
        e,
        BackendError::Timeout { .. } | BackendError::Network { .. }
    )
}
