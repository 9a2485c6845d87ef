//! Owns fault injection for the simulated account (`--demo-faults`): the [`Faults`] layer wraps
//! any `Backend` and, per the spec, throttles, denies, delays, times out, expires credentials,
//! loses write responses, fails invocations, deletes endpoints and sets alarms' states — surfacing exactly the
//! `BackendError` the SDK backend maps the real AWS error to (`crate::boundary::errors`).
//! The simulated account's wire server asks the same layer what to answer
//! ([`Faults::check`], [`Faults::write_losses`], [`Faults::invoke_fails`]).
//!
//! Deterministic: each decision is a hash of the seed, the fault, the operation, the resource
//! and how many such calls came before, so concurrent pollers do not change each other's
//! dice. Windows and scheduled faults run on the injected clock (simulated time on `--demo`);
//! latency and timeout stalls are wall time (tokio's clock, so paused-time tests are instant).

pub mod spec;

pub use spec::{AlarmChange, Deletion, FaultKind, FaultSpec, FaultSpecError, Rule, Target, Window};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::boundary::errors::{operation_timeout, service_error, timeout_error};
use crate::boundary::{BackendError, BackendResult, Call, Layer, Layered, Operation, Reply};
use crate::clock::SharedClock;
use crate::domain::*;

/// What a fault may change in, or learn from, the world behind the boundary (the simulated
/// account implements it).
pub trait World: Send + Sync {
    /// Someone else deletes the endpoint; false if there is no such endpoint.
    fn delete_endpoint(&self, name: &str) -> bool;

    /// The caller's ARN, named in AccessDenied messages.
    fn caller_arn(&self) -> String;

    /// A CloudWatch alarm goes to `state` (the `alarm=` fault); false if there is no such
    /// alarm.
    fn set_alarm_state(&self, alarm: &str, state: AlarmStateValue, reason: &str) -> bool;
}

/// The caller named in AccessDenied messages when no world is attached.
const DEFAULT_CALLER: &str = "arn:aws:sts::111122223333:assumed-role/OnCallEngineer/you";

/// A backend with faults injected per a [`FaultSpec`].
pub type FaultyBackend<B> = Layered<Faults, B>;

/// Distinct streams of dice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Dice {
    Throttle,
    Timeout,
    Latency,
    LostResponse,
    LostRequest,
    Invoke5xx,
}

/// An error the fault spec injects, as AWS would answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedError {
    pub code: &'static str,
    pub message: String,
    /// The HTTP status AWS's JSON services answer it with.
    pub status: u16,
}

/// What an injected fault does to one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Injected {
    /// An error response.
    Error(InjectedError),
    /// No response at all (a timeout, a lost request or response).
    NoResponse,
}

impl Injected {
    fn error(code: &'static str, message: &str, status: u16) -> Injected {
        Injected::Error(InjectedError {
            code,
            message: message.to_string(),
            status,
        })
    }
}

/// The fault-injection layer: what the spec does to each call.
pub struct Faults {
    spec: FaultSpec,
    clock: SharedClock,
    start: Timestamp,
    seed: u64,
    profile: Option<String>,
    world: Option<Arc<dyn World>>,
    deleted: Vec<AtomicBool>,
    /// Which `alarm=` changes were made.
    alarms_set: Vec<AtomicBool>,
    counters: Mutex<HashMap<(Dice, Operation, String), u64>>,
    injected: Mutex<BTreeMap<&'static str, u64>>,
}

impl std::fmt::Debug for Faults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Faults")
            .field("spec", &self.spec.text)
            .finish_non_exhaustive()
    }
}

impl Faults {
    /// Faults start counting time from `clock.now()`.
    pub fn new(spec: FaultSpec, clock: SharedClock, seed: u64) -> Self {
        let start = clock.now();
        let deleted = spec
            .deletions
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        let alarms_set = spec.alarms.iter().map(|_| AtomicBool::new(false)).collect();
        Faults {
            spec,
            clock,
            start,
            seed,
            profile: None,
            world: None,
            deleted,
            alarms_set,
            counters: Mutex::new(HashMap::new()),
            injected: Mutex::new(BTreeMap::new()),
        }
    }

    /// The world `delete-endpoint` acts on.
    pub fn with_world(mut self, world: Arc<dyn World>) -> Self {
        self.world = Some(world);
        self
    }

    /// The profile named in credential errors (`aws sso login --profile P`).
    pub fn with_profile(mut self, profile: Option<String>) -> Self {
        self.profile = profile;
        self
    }

    pub fn spec(&self) -> &FaultSpec {
        &self.spec
    }

    /// How many faults of each kind were injected so far.
    pub fn injected(&self) -> BTreeMap<&'static str, u64> {
        lock(&self.injected).clone()
    }

    fn elapsed(&self) -> Duration {
        (self.clock.now() - self.start).to_std().unwrap_or_default()
    }

    fn count(&self, what: &'static str, op: Operation) {
        *lock(&self.injected).entry(what).or_default() += 1;
        tracing::debug!(fault = what, operation = %op, "injected fault");
    }

    /// A uniform number in [0, 1) for the next call of this kind to `op` on `resource`.
    fn roll(&self, dice: Dice, op: Operation, resource: &str) -> f64 {
        let n = {
            let mut c = lock(&self.counters);
            let n = c.entry((dice, op, resource.to_string())).or_default();
            *n += 1;
            *n
        };
        let h = mix(&[self.seed, dice as u64, op as u64, hash_str(resource), n]);
        (h >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Whether a probabilistic rule fires for this call.
    fn fires(
        &self,
        op: Operation,
        resource: &str,
        elapsed: Duration,
        pick: impl Fn(&FaultKind) -> Option<(Dice, f64)>,
    ) -> bool {
        self.spec.rules.iter().any(|r| match pick(&r.kind) {
            Some((dice, p)) if p > 0.0 && r.applies(op, elapsed) => {
                self.roll(dice, op, resource) < p
            }
            _ => false,
        })
    }

    /// Scheduled world changes that are due (run once each).
    fn run_schedule(&self, elapsed: Duration) {
        for (d, done) in self.spec.deletions.iter().zip(&self.deleted) {
            if elapsed >= d.at && !done.swap(true, Ordering::SeqCst) {
                let deleted = self
                    .world
                    .as_ref()
                    .is_some_and(|w| w.delete_endpoint(&d.endpoint));
                tracing::info!(endpoint = %d.endpoint, deleted, "injected fault: endpoint deleted by someone else");
            }
        }
        for (a, done) in self.spec.alarms.iter().zip(&self.alarms_set) {
            if elapsed >= a.at && !done.swap(true, Ordering::SeqCst) {
                let reason = format!(
                    "Threshold Crossed: set to {} by --demo-faults alarm={}:{}@{}",
                    a.state.as_str(),
                    a.alarm,
                    a.state.as_str(),
                    crate::units::format_duration(a.at)
                );
                let set = self
                    .world
                    .as_ref()
                    .is_some_and(|w| w.set_alarm_state(&a.alarm, a.state, &reason));
                tracing::info!(alarm = %a.alarm, state = a.state.as_str(), set, "injected fault: alarm state changed");
            }
        }
    }

    fn principal(&self) -> String {
        self.world
            .as_ref()
            .map_or_else(|| DEFAULT_CALLER.to_string(), |w| w.caller_arn())
    }

    /// Everything a call meets before it reaches the account: panic, schedule, latency,
    /// expired credentials, denial, throttling, a lost request.
    async fn before_call(&self, op: Operation, resource: Option<&str>) -> BackendResult<()> {
        let elapsed = self.elapsed();
        if let Some(after) = self.spec.panic_after
            && elapsed >= after
        {
            panic!("injected panic (--demo-faults panic-after={after:?})");
        }
        match self.check(op, resource).await {
            Ok(()) => Ok(()),
            Err(Injected::Error(e)) => Err(self.error(op, resource, e.code, &e.message, e.status)),
            Err(Injected::NoResponse) => Err(self.stall(op).await),
        }
    }

    /// What the fault spec does to a call arriving now, as AWS would answer it: the simulated
    /// account's wire server asks this before each operation and encodes an injected error in
    /// that protocol's error shape (a `NoResponse` holds the reply past the client's timeout).
    /// Latency faults are slept here. The `panic-after` fault is not applied (it targets the
    /// console, not the server).
    pub async fn check(&self, op: Operation, resource: Option<&str>) -> Result<(), Injected> {
        self.run_schedule(self.elapsed());
        let elapsed = self.elapsed();
        let res = resource.unwrap_or_default();
        let delay = self
            .spec
            .rules
            .iter()
            .filter(|r| r.applies(op, elapsed))
            .filter_map(|r| match r.kind {
                FaultKind::Latency { min, max } => {
                    let u = self.roll(Dice::Latency, op, res);
                    Some(min + max.saturating_sub(min).mul_f64(u))
                }
                _ => None,
            })
            .max();
        if let Some(d) = delay {
            self.count("latency", op);
            tokio::time::sleep(d).await;
        }
        // Conditions are judged when the request arrives, after the network.
        let elapsed = self.elapsed();
        let expired = self
            .spec
            .rules
            .iter()
            .any(|r| r.kind == FaultKind::ExpiredCredentials && r.applies(op, elapsed));
        if expired {
            self.count("expire-credentials-after", op);
            let code = if op == Operation::GetCallerIdentity {
                "ExpiredToken"
            } else {
                "ExpiredTokenException"
            };
            return Err(Injected::error(
                code,
                "The security token included in the request is expired",
                400,
            ));
        }
        let denied = self
            .spec
            .rules
            .iter()
            .any(|r| r.kind == FaultKind::Deny && r.applies(op, elapsed));
        if denied {
            self.count("deny", op);
            let message = self.denial(op, resource);
            let code = if op == Operation::GetCallerIdentity {
                "AccessDenied"
            } else {
                "AccessDeniedException"
            };
            return Err(Injected::error(code, &message, 400));
        }
        if self.fires(op, res, elapsed, |k| match k {
            FaultKind::Throttle(p) => Some((Dice::Throttle, *p)),
            _ => None,
        }) {
            self.count("throttle", op);
            return Err(Injected::error(throttling_code(op), "Rate exceeded", 400));
        }
        if self.fires(op, res, elapsed, |k| match k {
            FaultKind::Timeout(p) => Some((Dice::Timeout, *p)),
            _ => None,
        }) {
            self.count("timeout", op);
            return Err(Injected::NoResponse);
        }
        Ok(())
    }

    /// For a write that passed [`Faults::check`]: whether its request is lost on the
    /// way (not applied, no response) and whether its response is lost (applied, no response).
    pub fn write_losses(&self, op: Operation, endpoint: &str) -> (bool, bool) {
        let elapsed = self.elapsed();
        let lost_request = self.fires(op, endpoint, elapsed, |k| match k {
            FaultKind::LostWriteRequest(p) => Some((Dice::LostRequest, *p)),
            _ => None,
        });
        if lost_request {
            self.count("lost-write-request", op);
            return (true, false);
        }
        let lost_response = self.fires(op, endpoint, elapsed, |k| match k {
            FaultKind::LostWriteResponse(p) => Some((Dice::LostResponse, *p)),
            _ => None,
        });
        if lost_response {
            self.count("lost-write-response", op);
        }
        (false, lost_response)
    }

    /// Whether an `InvokeEndpoint` that passed [`Faults::check`] fails with a 5XX.
    pub fn invoke_fails(&self, endpoint: &str) -> Option<Injected> {
        let op = Operation::InvokeEndpoint;
        if self.fires(op, endpoint, self.elapsed(), |k| match k {
            FaultKind::Invoke5xx(p) => Some((Dice::Invoke5xx, *p)),
            _ => None,
        }) {
            self.count("invoke-5xx", op);
            return Some(Injected::error(
                "InternalFailure",
                "An internal error has occurred. Try your request again.",
                500,
            ));
        }
        None
    }

    /// AWS's AccessDenied wording, naming the caller, the action and the resource.
    fn denial(&self, op: Operation, resource: Option<&str>) -> String {
        let who = self.principal();
        let action = op.iam_action();
        let on = match resource {
            Some(r) if op.service() == crate::boundary::Service::SageMaker => {
                let account = who.split(':').nth(4).unwrap_or("111122223333");
                format!(" on resource: arn:aws:sagemaker:us-east-1:{account}:endpoint/{r}")
            }
            _ => String::new(),
        };
        format!(
            "User: {who} is not authorized to perform: {action}{on} because no identity-based policy allows the {action} action"
        )
    }

    fn error(
        &self,
        op: Operation,
        resource: Option<&str>,
        code: &str,
        message: &str,
        status: u16,
    ) -> BackendError {
        service_error(op, self.profile.as_deref(), resource, code, message, status)
    }

    /// No response: wait as long as the SDK would, then report its timeout.
    async fn stall(&self, op: Operation) -> BackendError {
        tokio::time::sleep(operation_timeout(op)).await;
        timeout_error(op)
    }
}

/// The throttling error code each service answers with.
fn throttling_code(op: Operation) -> &'static str {
    use crate::boundary::Service;
    match op.service() {
        Service::CloudWatch | Service::Sts => "Throttling",
        Service::ServiceQuotas => "TooManyRequestsException",
        _ => "ThrottlingException",
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// splitmix64 over the parts.
fn mix(parts: &[u64]) -> u64 {
    let mut h: u64 = 0x243F_6A88_85A3_08D3;
    for p in parts {
        h ^= p.wrapping_add(0x9E37_79B9_7F4A_7C15);
        h = h.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        h = z ^ (z >> 31);
    }
    h
}

fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    })
}

/// Per call: everything it meets before it reaches the account (panic, schedule, latency,
/// expired credentials, denial, throttling, a timeout; for a write a lost request, for an
/// invocation a 5XX), and for a write whose response is lost, the stall after it was applied.
#[async_trait]
impl Layer for Faults {
    /// Whether the call's response is lost (decided before it is sent, as the dice were).
    type Carry = bool;

    async fn before(&self, call: &Call<'_>) -> BackendResult<bool> {
        let op = call.operation();
        let resource = call.resource();
        self.before_call(op, resource).await?;
        if call.is_write() {
            let (lost_request, lost_response) = self.write_losses(op, resource.unwrap_or_default());
            if lost_request {
                return Err(self.stall(op).await);
            }
            return Ok(lost_response);
        }
        if let Call::Invoke { request } = call {
            let endpoint = request.endpoint.as_str();
            if let Some(Injected::Error(e)) = self.invoke_fails(endpoint) {
                return Err(self.error(op, Some(endpoint), e.code, &e.message, e.status));
            }
        }
        Ok(false)
    }

    async fn after(&self, call: &Call<'_>, lost_response: bool, mut reply: Reply<'_>) {
        if lost_response {
            tracing::debug!(applied = reply.is_ok(), "write response dropped");
            reply.fail(self.stall(call.operation()).await);
        }
    }
}

impl<B: ?Sized> Layered<Faults, B> {
    /// How many faults of each kind were injected so far.
    pub fn injected(&self) -> BTreeMap<&'static str, u64> {
        self.layer().injected()
    }
}

/// `panic-after=DUR` on `--demo`: the console itself panics once DUR of demo time has passed.
/// The fault exercises the console's panic handling (terminal restored, message and log path,
/// exit status 101), so it fires in the console's runtime, not in the simulated account.
pub fn arm_console_panic(spec: &FaultSpec, clock: SharedClock) {
    let Some(after) = spec.panic_after else {
        return;
    };
    let start = clock.now();
    tokio::spawn(async move {
        loop {
            if (clock.now() - start).to_std().unwrap_or_default() >= after {
                panic!("injected panic (--demo-faults panic-after={after:?})");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::Backend;
    use crate::boundary::layer::tests::Probe;
    use crate::clock::{ManualClock, fixture_epoch};

    fn layer(spec: &str) -> Faults {
        let clock: SharedClock = Arc::new(ManualClock::new(fixture_epoch()));
        Faults::new(FaultSpec::parse(spec).unwrap(), clock, 7).with_profile(Some("prod".into()))
    }

    #[tokio::test]
    async fn an_injected_error_is_the_aws_mapping_of_the_answer_and_stops_the_call() {
        let probe = Arc::new(Probe::default());
        let b = layer("throttle=1:sagemaker,deny=cloudwatch").over(probe.clone());
        let err = b.describe_endpoint("churn").await.unwrap_err();
        let aws = service_error(
            Operation::DescribeEndpoint,
            Some("prod"),
            Some("churn"),
            "ThrottlingException",
            "Rate exceeded",
            400,
        );
        assert_eq!(err, aws);
        assert!(matches!(err, BackendError::Throttled { .. }), "{err:?}");
        let q = MetricQuery {
            series: Vec::new(),
            start: fixture_epoch(),
            end: fixture_epoch(),
            period: Duration::from_secs(60),
        };
        let denied = b.get_metrics(&q).await.unwrap_err();
        assert!(
            matches!(&denied, BackendError::AccessDenied { message, .. }
                if message.starts_with(&format!("User: {DEFAULT_CALLER} is not authorized"))),
            "{denied:?}"
        );
        assert!(probe.calls().is_empty(), "{:?}", probe.calls());
        assert!(
            b.list_quotas().await.is_ok(),
            "calls the spec leaves alone pass"
        );
        assert_eq!(b.injected(), BTreeMap::from([("deny", 1), ("throttle", 1)]));
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_write_response_is_applied_then_times_out() {
        let probe = Arc::new(Probe::default());
        let b = layer("lost-write-response=1").over(probe.clone());
        let started = tokio::time::Instant::now();
        let err = b
            .register_scalable_target("churn", "VariantB", 1, 4)
            .await
            .unwrap_err();
        assert_eq!(err, timeout_error(Operation::RegisterScalableTarget));
        assert!(started.elapsed() >= operation_timeout(Operation::RegisterScalableTarget));
        assert_eq!(
            probe.calls(),
            ["register_scalable_target"],
            "it was applied"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_lost_write_request_is_not_applied() {
        let probe = Arc::new(Probe::default());
        let b = layer("lost-write-request=1").over(probe.clone());
        let err = b.register_scalable_target("churn", "VariantB", 1, 4).await;
        assert_eq!(err, Err(timeout_error(Operation::RegisterScalableTarget)));
        assert!(probe.calls().is_empty());
    }
}
