//! Owns fault injection for the simulated account (`--demo-faults`): `FaultyBackend` wraps any
//! `Backend` and, per the spec, throttles, denies, delays, times out, expires credentials,
//! loses write responses, fails invocations and deletes endpoints — surfacing exactly the
//! `BackendError` the SDK backend maps the real AWS error to (`crate::aws::service_error`).
//!
//! Deterministic: each decision is a hash of the seed, the fault, the operation, the resource
//! and how many such calls came before, so concurrent pollers do not change each other's
//! dice. Windows and scheduled faults run on the injected clock (simulated time on `--demo`);
//! latency and timeout stalls are wall time (tokio's clock, so paused-time tests are instant).

pub mod spec;

pub use spec::{Deletion, FaultKind, FaultSpec, FaultSpecError, Rule, Target, Window};

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::boundary::{Backend, BackendError, BackendResult, Operation};
use crate::clock::SharedClock;
use crate::domain::*;

/// What a fault may change in the world behind the boundary (the simulated account).
pub trait World: Send + Sync {
    /// Someone else deletes the endpoint; false if there is no such endpoint.
    fn delete_endpoint(&self, name: &str) -> bool;
}

impl World for crate::sim::SimAccount {
    fn delete_endpoint(&self, name: &str) -> bool {
        crate::sim::SimAccount::delete_endpoint(self, name)
    }
}

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

/// A `Backend` with faults injected per a [`FaultSpec`].
pub struct FaultyBackend<B: ?Sized> {
    inner: Arc<B>,
    spec: FaultSpec,
    clock: SharedClock,
    start: Timestamp,
    seed: u64,
    profile: Option<String>,
    world: Option<Arc<dyn World>>,
    deleted: Vec<AtomicBool>,
    counters: Mutex<HashMap<(Dice, Operation, String), u64>>,
    principal: Mutex<Option<String>>,
    injected: Mutex<BTreeMap<&'static str, u64>>,
}

impl<B: ?Sized> std::fmt::Debug for FaultyBackend<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultyBackend")
            .field("spec", &self.spec.text)
            .finish_non_exhaustive()
    }
}

impl<B: Backend + ?Sized> FaultyBackend<B> {
    /// Faults start counting time from `clock.now()`.
    pub fn new(inner: Arc<B>, spec: FaultSpec, clock: SharedClock, seed: u64) -> Self {
        let start = clock.now();
        let deleted = spec
            .deletions
            .iter()
            .map(|_| AtomicBool::new(false))
            .collect();
        FaultyBackend {
            inner,
            spec,
            clock,
            start,
            seed,
            profile: None,
            world: None,
            deleted,
            counters: Mutex::new(HashMap::new()),
            principal: Mutex::new(None),
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
    }

    async fn principal(&self) -> String {
        if let Some(p) = lock(&self.principal).clone() {
            return p;
        }
        let arn = self
            .inner
            .identity()
            .await
            .map(|i| i.arn)
            .unwrap_or_else(|_| "arn:aws:sts::111122223333:assumed-role/OnCallEngineer/you".into());
        *lock(&self.principal) = Some(arn.clone());
        arn
    }

    /// Everything a call meets before it reaches the account: panic, schedule, latency,
    /// expired credentials, denial, throttling, a lost request.
    async fn before(&self, op: Operation, resource: Option<&str>) -> BackendResult<()> {
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
            let message = self.denial(op, resource).await;
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

    /// For a write that passed [`FaultyBackend::check`]: whether its request is lost on the
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

    /// Whether an `InvokeEndpoint` that passed [`FaultyBackend::check`] fails with a 5XX.
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

    /// The simulated account behind the faults.
    pub fn inner(&self) -> &Arc<B> {
        &self.inner
    }

    /// AWS's AccessDenied wording, naming the caller, the action and the resource.
    async fn denial(&self, op: Operation, resource: Option<&str>) -> String {
        let who = self.principal().await;
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
        crate::aws::service_error(op, self.profile.as_deref(), resource, code, message, status)
    }

    /// No response: wait as long as the SDK would, then report its timeout.
    async fn stall(&self, op: Operation) -> BackendError {
        tokio::time::sleep(crate::aws::operation_timeout(op)).await;
        crate::aws::timeout_error(op)
    }

    /// A write: lost on the way (not applied) or its response lost (applied).
    async fn write<T: Send>(
        &self,
        op: Operation,
        endpoint: &str,
        send: impl std::future::Future<Output = BackendResult<T>> + Send,
    ) -> BackendResult<T> {
        self.before(op, Some(endpoint)).await?;
        let (lost_request, lost) = self.write_losses(op, endpoint);
        if lost_request {
            return Err(self.stall(op).await);
        }
        let result = send.await;
        if lost {
            tracing::debug!(applied = result.is_ok(), "write response dropped");
            return Err(self.stall(op).await);
        }
        result
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

#[async_trait]
impl<B: Backend + ?Sized> Backend for FaultyBackend<B> {
    async fn identity(&self) -> BackendResult<Identity> {
        self.before(Operation::GetCallerIdentity, None).await?;
        self.inner.identity().await
    }

    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.before(Operation::ListEndpoints, None).await?;
        self.inner.list_endpoints().await
    }

    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.before(Operation::DescribeEndpoint, Some(name)).await?;
        self.inner.describe_endpoint(name).await
    }

    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        self.before(Operation::DescribeEndpoint, Some(endpoint))
            .await?;
        self.inner.describe_deployment(endpoint).await
    }

    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.before(Operation::ListEndpointConfigs, None).await?;
        self.inner.list_endpoint_configs().await
    }

    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.before(Operation::DescribeAlarms, None).await?;
        self.inner.list_alarm_names().await
    }

    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        self.before(Operation::UpdateEndpoint, Some(&request.endpoint))
            .await?;
        self.inner.update_endpoint(request).await
    }

    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.before(Operation::DescribeScalableTargets, Some(endpoint))
            .await?;
        self.inner.describe_autoscaling(endpoint).await
    }

    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.before(Operation::DescribeScalableTargets, None)
            .await?;
        self.inner.describe_fleet_autoscaling().await
    }

    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.before(Operation::DescribeScalingActivities, Some(endpoint))
            .await?;
        self.inner.scaling_activities(endpoint, max).await
    }

    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.before(Operation::GetMetricData, None).await?;
        self.inner.get_metrics(query).await
    }

    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.before(Operation::LookupEvents, None).await?;
        self.inner.lookup_events(query).await
    }

    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.before(Operation::ListServiceQuotas, None).await?;
        self.inner.list_quotas().await
    }

    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.write(
            Operation::UpdateEndpointWeightsAndCapacities,
            endpoint,
            self.inner.update_weights_and_capacities(endpoint, changes),
        )
        .await
    }

    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        self.write(
            Operation::RegisterScalableTarget,
            endpoint,
            self.inner
                .register_scalable_target(endpoint, variant, min_capacity, max_capacity),
        )
        .await
    }

    fn api_stats(&self) -> Option<crate::api_stats::ApiStats> {
        self.inner.api_stats()
    }
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        let op = Operation::InvokeEndpoint;
        let endpoint = request.endpoint.as_str();
        self.before(op, Some(endpoint)).await?;
        if let Some(Injected::Error(e)) = self.invoke_fails(endpoint) {
            return Err(self.error(op, Some(endpoint), e.code, &e.message, e.status));
        }
        self.inner.invoke(request).await
    }
}

/// The simulated account behind `--demo-faults SPEC`; an endpoint the spec deletes must exist.
pub fn demo_backend(
    sim: Arc<crate::sim::SimAccount>,
    spec: &FaultSpec,
    clock: SharedClock,
    seed: u64,
    profile: Option<String>,
) -> Result<crate::boundary::SharedBackend, String> {
    check_spec(&sim, spec)?;
    tracing::info!(spec = %spec, seed, "fault injection on");
    let world: Arc<dyn World> = sim.clone();
    Ok(Arc::new(
        FaultyBackend::new(sim, spec.clone(), clock, seed)
            .with_world(world)
            .with_profile(profile),
    ))
}

/// Checks a `--demo-faults` spec against the simulated account it will act on: an endpoint
/// the spec deletes must exist.
pub fn check_spec(sim: &crate::sim::SimAccount, spec: &FaultSpec) -> Result<(), String> {
    let names = sim.endpoint_names();
    for d in &spec.deletions {
        if !names.contains(&d.endpoint) {
            let shown: Vec<&str> = names.iter().take(12).map(String::as_str).collect();
            let more = if names.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            return Err(format!(
                "--demo-faults: delete-endpoint names `{}`, which the simulated account does not have (it has {}{more})",
                d.endpoint,
                shown.join(", ")
            ));
        }
    }
    Ok(())
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
