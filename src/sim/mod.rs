//! The simulated SageMaker account behind `--demo`: `SimAccount` and its `Backend` impl.
//!
//! Deterministic for a seed and an injected clock: every call first advances the world
//! to `clock.now()` (deadlines exactly, traffic per whole minute, in time order), so the
//! state at a given instant does not depend on how often it was looked at.

mod async_scale;
mod autoscale;
mod deployments;
pub mod deployments_demo;
pub mod faults;
mod fleet;
mod history;
mod hosting;
mod hosting_fleet;
mod ids;
mod logs;
mod metrics;
mod quotas;
mod traffic;
mod trail;
pub mod wire;
mod world;
mod writes;

use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::boundary::{Backend, BackendError, BackendResult, Operation};
use crate::clock::SharedClock;
use crate::domain::*;
use world::World;

/// A whole simulated account: endpoints, traffic, autoscaling, CloudWatch, CloudTrail,
/// Service Quotas.
pub struct SimAccount {
    world: Mutex<World>,
    clock: SharedClock,
    /// The account id STS answers (`--demo-accounts` gives each account its own).
    account_id: String,
}

impl std::fmt::Debug for SimAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimAccount").finish_non_exhaustive()
    }
}

/// The role session the demo operator works as.
pub const OPERATOR_ARN: &str = "arn:aws:sts::111122223333:assumed-role/OnCallEngineer/you";

impl SimAccount {
    /// The standard demo fleet, starting at `clock.now()`.
    pub fn new(seed: u64, clock: SharedClock) -> SimAccount {
        SimAccount::with_extra_endpoints(seed, clock, 0)
    }

    /// The standard fleet plus `extra` generated InService endpoints.
    pub fn with_extra_endpoints(seed: u64, clock: SharedClock, extra: usize) -> SimAccount {
        let start = ids::to_ms(clock.now());
        SimAccount {
            world: Mutex::new(history::build_world(seed, start, extra)),
            clock,
            account_id: ids::ACCOUNT.into(),
        }
    }

    /// The same account answering STS as `account_id` (one of several demo accounts).
    pub fn with_account_id(mut self, account_id: impl Into<String>) -> SimAccount {
        self.account_id = account_id.into();
        self
    }

    /// The account id STS answers.
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Multiplies the endpoint's modelled traffic from now on (negative → 0; NaN ignored).
    pub fn set_load_factor(&self, endpoint: &str, factor: f64) {
        if factor.is_nan() {
            return;
        }
        let mut w = self.world();
        if let Some(ep) = w.endpoints.get_mut(endpoint) {
            ep.load_factor = factor.clamp(0.0, 1_000.0);
        }
    }

    /// Test knob: from now on, `error_rate` (0..=1) of the variant's requests fail with 5XX
    /// (in its CloudWatch figures and in `invoke`). 0 removes the fault; NaN is ignored.
    pub fn set_variant_fault(&self, endpoint: &str, variant: &str, error_rate: f64) {
        if error_rate.is_nan() {
            return;
        }
        let mut w = self.world();
        if let Some(v) = w
            .endpoints
            .get_mut(endpoint)
            .and_then(|e| e.variants.iter_mut().find(|v| v.name == variant))
        {
            v.fault = error_rate.clamp(0.0, 1.0);
        }
    }

    /// Test knob: from now on, GetMetricData answers every series of `metric` of `endpoint`
    /// with per-series `StatusCode` `code` (`InternalError`, `Forbidden`) and no datapoints,
    /// while the other series of the same call succeed. `None` removes the fault.
    pub fn set_series_fault(&self, endpoint: &str, metric: MetricName, code: Option<&str>) {
        let mut w = self.world();
        let key = (endpoint.to_string(), metric);
        match code {
            Some(c) => {
                w.series_faults.insert(key, c.to_string());
            }
            None => {
                w.series_faults.remove(&key);
            }
        }
    }

    /// Sets a CloudWatch alarm's state from now on (the `alarm=` demo fault, and tests); a
    /// deployment watching it in ALARM rolls back.
    pub fn set_alarm_state(&self, alarm: &str, state: AlarmStateValue, reason: &str) {
        deployments::set_alarm(&mut self.world(), alarm, state, reason);
    }

    /// Names of the account's CloudWatch alarms (those DescribeAlarms answers), sorted.
    pub fn alarm_names(&self) -> Vec<String> {
        self.world().deploy.alarms.keys().cloned().collect()
    }

    /// Starts the demo's blue/green deployment of fraud-detection-xgb (a canary baking behind
    /// two rollback alarms) and its shadow test on recommender-ranking (`deployments_demo`). `--demo` and `serve-demo` call it; false when
    /// that endpoint is missing or not InService.
    pub fn start_demo_deployment(&self) -> bool {
        deployments_demo::start_deployment(&mut self.world())
    }

    /// Names of the endpoints that exist now, sorted.
    pub fn endpoint_names(&self) -> Vec<String> {
        self.world().endpoints.keys().cloned().collect()
    }

    /// Someone else deletes the endpoint (the `delete-endpoint` demo fault): a DeleteEndpoint
    /// call by the platform admin is recorded, the endpoint is Deleting at once and gone
    /// 30–60 s later. False when there is no such endpoint or it is already being deleted.
    pub fn delete_endpoint(&self, name: &str) -> bool {
        let mut w = self.world();
        let (seed, now) = (w.seed, w.now_ms);
        let Some(ep) = w.endpoints.get_mut(name) else {
            return false;
        };
        if ep.status == EndpointStatus::Deleting {
            return false;
        }
        let secs = 30 + (ids::mix(&[seed, ids::tag::DURATION, ep.idx, now as u64]) % 31) as i64;
        ep.status = EndpointStatus::Deleting;
        ep.last_modified_ms = now;
        ep.pending = Some(world::Pending {
            at_ms: now + secs * 1000,
            kind: world::PendingKind::Deleted,
        });
        let caller = trail::Caller::admin();
        let ev = trail::event(
            seed,
            trail::Call {
                time_ms: now,
                caller: &caller,
                name: "DeleteEndpoint",
                read_only: false,
                resources: vec![name.to_string()],
                request: serde_json::json!({ "endpointName": name }),
                response: serde_json::Value::Null,
                error: None,
                request_id: None,
                salt: ids::hash_str(name),
            },
        );
        w.trail.push(ev);
        true
    }

    /// The world, advanced to the clock's now.
    fn world(&self) -> MutexGuard<'_, World> {
        let mut w = self.world.lock().unwrap_or_else(|e| e.into_inner());
        w.advance_to(ids::to_ms(self.clock.now()));
        w
    }
}

fn not_found(operation: Operation, name: &str) -> BackendError {
    BackendError::NotFound {
        operation,
        resource: name.to_string(),
        message: format!("Could not find endpoint \"{name}\"."),
    }
}

#[async_trait]
impl Backend for SimAccount {
    async fn identity(&self) -> BackendResult<Identity> {
        Ok(Identity {
            account: self.account_id.clone(),
            arn: OPERATOR_ARN.replace(ids::ACCOUNT, &self.account_id),
            profile: None,
            region: ids::REGION.into(),
            demo: true,
        })
    }

    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        Ok(self
            .world()
            .endpoints
            .values()
            .map(|e| e.summary())
            .collect())
    }

    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        let w = self.world();
        let mut e = w
            .endpoints
            .get(name)
            .map(|e| e.describe())
            .ok_or_else(|| not_found(Operation::DescribeEndpoint, name))?;
        deployments::decorate(&w, &mut e);
        Ok(e)
    }

    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        deployments::detail(&self.world(), endpoint)
    }

    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        Ok(deployments::list_configs(&self.world()))
    }

    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        Ok(self.world().deploy.alarms.keys().cloned().collect())
    }

    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        deployments::update_endpoint(&mut self.world(), request)
    }

    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        let w = self.world();
        let ep = w
            .endpoints
            .get(endpoint)
            .ok_or_else(|| not_found(Operation::DescribeScalableTargets, endpoint))?;
        Ok(ep
            .variants
            .iter()
            .map(|v| VariantAutoscaling {
                variant: v.name.clone(),
                target: v.scaling.as_ref().map(|s| ScalableTarget {
                    endpoint: endpoint.to_string(),
                    variant: v.name.clone(),
                    min_capacity: s.min,
                    max_capacity: s.max,
                }),
                policies: v
                    .scaling
                    .iter()
                    .flat_map(|s| s.policy.iter().chain(s.step.as_ref().map(|st| &st.policy)))
                    .cloned()
                    .collect(),
            })
            .collect())
    }

    async fn describe_component_autoscaling(
        &self,
        components: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        Ok(self.world().hosting.component_autoscaling(components))
    }

    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        let w = self.world();
        Ok(w.activities
            .iter()
            .rev()
            .filter(|a| a.endpoint == endpoint)
            .take(max)
            .cloned()
            .collect())
    }

    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        metrics::get_metrics(&self.world(), query)
    }

    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.world().trail.lookup(query)
    }

    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        Ok(self.world().quotas.iter().map(|q| q.to_domain()).collect())
    }

    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        writes::update(&mut self.world(), endpoint, changes)
    }

    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        writes::register_target(
            &mut self.world(),
            endpoint,
            variant,
            min_capacity,
            max_capacity,
        )
    }

    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        writes::invoke(&mut self.world(), request)
    }

    async fn list_log_streams(&self, endpoint: &str) -> BackendResult<Vec<LogStream>> {
        logs::list_streams(&self.world(), endpoint)
    }

    async fn filter_log_events(&self, query: &LogQuery) -> BackendResult<LogPage> {
        logs::filter(&self.world(), query)
    }

    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        crate::boundary::fleet_autoscaling_per_endpoint(self).await
    }

    /// The account keeps no accounting: `:api` on `--demo` counts the SDK's requests to the
    /// account's server.
    fn api_stats(&self) -> Option<crate::boundary::ApiStats> {
        None
    }

    async fn describe_hosting(
        &self,
        endpoint: &Endpoint,
        models: bool,
    ) -> BackendResult<EndpointHosting> {
        Ok(hosting::describe(&self.world(), endpoint, models))
    }

    async fn update_component_copies(&self, change: &CopyChange) -> BackendResult<WriteReceipt> {
        let mut w = self.world();
        hosting::update_copies(&mut w, change)?;
        let request_id = w.next_request_id();
        Ok(WriteReceipt {
            request_id,
            at: ids::from_ms(w.now_ms),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{ManualClock, fixture_epoch};
    use std::sync::Arc;

    #[test]
    fn event_store_stays_bounded_and_keeps_writes_longest() {
        let clock = ManualClock::new(fixture_epoch());
        let sim = SimAccount::new(1, Arc::new(clock.clone()));
        let writes = |w: &World| {
            let q = crate::domain::EventQuery {
                max_results: 50,
                ..Default::default()
            };
            let mut n = 0;
            let mut q = q;
            loop {
                let page = w.trail.lookup(&q).expect("lookup");
                n += page.events.iter().filter(|e| !e.read_only).count();
                match page.next_token {
                    Some(t) => q.next_token = Some(t),
                    None => return n,
                }
            }
        };
        let before = writes(&sim.world());
        clock.advance(std::time::Duration::from_secs(20 * 86_400));
        let w = sim.world();
        assert_eq!(w.trail.len(), 6_000);
        assert!(writes(&w) >= before, "deploy history survives the noise");
    }
}
