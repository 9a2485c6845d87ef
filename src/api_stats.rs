//! API accounting at the boundary: calls per minute per operation, throttles, errors, and what
//! `GetMetricData` polling costs. The AWS backend counts every request attempt (an SDK
//! interceptor, retries included); [`Counted`] counts the calls made to any other backend
//! (the simulated account).

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::boundary::{Backend, BackendError, BackendResult, Operation};
use crate::domain::*;

/// CloudWatch's list price for `GetMetricData`: $0.01 per 1,000 metrics requested (us-east-1).
pub const USD_PER_METRIC_REQUESTED: f64 = 0.01 / 1000.0;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Accounting of one operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OperationStats {
    pub operation: Operation,
    /// Calls (HTTP requests sagetop made, pages included) since start.
    pub calls: u64,
    /// Calls in the last 60 seconds.
    pub calls_last_minute: u64,
    pub throttles: u64,
    /// Failed calls, throttles included.
    pub errors: u64,
    /// The last error, as shown in a panel.
    pub last_error: Option<String>,
}

/// A copy of the accounting, ready for the `:api` view or a log line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiStats {
    /// Seconds since the backend was created.
    pub uptime_secs: u64,
    /// One row per operation that was called, in `Operation` order.
    pub operations: Vec<OperationStats>,
    pub calls_last_minute: u64,
    pub throttles: u64,
    /// Metric queries sent in `GetMetricData` calls (what CloudWatch bills).
    pub metrics_requested: u64,
    pub metrics_requested_last_hour: u64,
    /// Estimated cost per hour of `GetMetricData` polling at the recent rate
    /// ($0.01 per 1,000 metrics); `None` until two calls show the rate.
    pub metric_cost_usd_per_hour: Option<f64>,
}

#[derive(Debug, Default)]
struct OpCounters {
    calls: u64,
    recent: VecDeque<Instant>,
    throttles: u64,
    errors: u64,
    last_error: Option<String>,
}

#[derive(Debug)]
struct Inner {
    started: Instant,
    ops: BTreeMap<Operation, OpCounters>,
    metrics_requested: u64,
    /// (when, metrics requested) of each `GetMetricData` call in the last hour.
    metric_calls: VecDeque<(Instant, u64)>,
}

/// How one request attempt ended (counted per attempt by the AWS backend's interceptor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    Ok,
    Throttled,
    Failed,
}

/// Thread-safe counters; cheap to update from every call.
#[derive(Debug)]
pub struct ApiAccounting {
    inner: Mutex<Inner>,
}

impl Default for ApiAccounting {
    fn default() -> Self {
        ApiAccounting {
            inner: Mutex::new(Inner {
                started: Instant::now(),
                ops: BTreeMap::new(),
                metrics_requested: 0,
                metric_calls: VecDeque::new(),
            }),
        }
    }
}

impl ApiAccounting {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One HTTP call of `op` was made (before knowing its outcome).
    pub fn call(&self, op: Operation) {
        let now = Instant::now();
        let mut inner = self.lock();
        let c = inner.ops.entry(op).or_default();
        c.calls += 1;
        c.recent.push_back(now);
        trim(&mut c.recent, now, MINUTE);
    }

    /// One attempt of `op` went to AWS (the SDK's retries are attempts too) and ended so.
    pub fn attempt(&self, op: Operation, outcome: AttemptOutcome) {
        self.call(op);
        if outcome == AttemptOutcome::Ok {
            return;
        }
        let mut inner = self.lock();
        let c = inner.ops.entry(op).or_default();
        c.errors += 1;
        if outcome == AttemptOutcome::Throttled {
            c.throttles += 1;
        }
    }

    /// The error a caller was shown for `op` (attempts were counted already).
    pub fn last_error(&self, err: &BackendError) {
        let mut inner = self.lock();
        inner.ops.entry(err.operation()).or_default().last_error = Some(err.to_string());
    }

    /// A call of `op` failed.
    pub fn failed(&self, err: &BackendError) {
        let mut inner = self.lock();
        let c = inner.ops.entry(err.operation()).or_default();
        c.errors += 1;
        if matches!(err, BackendError::Throttled { .. }) {
            c.throttles += 1;
        }
        c.last_error = Some(err.to_string());
    }

    /// A `GetMetricData` call asked for `metrics` series.
    pub fn metrics_requested(&self, metrics: u64) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.metrics_requested += metrics;
        inner.metric_calls.push_back((now, metrics));
        while inner
            .metric_calls
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > HOUR)
        {
            inner.metric_calls.pop_front();
        }
    }

    pub fn snapshot(&self) -> ApiStats {
        let now = Instant::now();
        let mut inner = self.lock();
        let uptime_secs = now.duration_since(inner.started).as_secs();
        let mut operations = Vec::new();
        for (op, c) in inner.ops.iter_mut() {
            trim(&mut c.recent, now, MINUTE);
            operations.push(OperationStats {
                operation: *op,
                calls: c.calls,
                calls_last_minute: c.recent.len() as u64,
                throttles: c.throttles,
                errors: c.errors,
                last_error: c.last_error.clone(),
            });
        }
        while inner
            .metric_calls
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > HOUR)
        {
            inner.metric_calls.pop_front();
        }
        let metrics_requested_last_hour = inner.metric_calls.iter().map(|(_, m)| m).sum();
        ApiStats {
            uptime_secs,
            calls_last_minute: operations.iter().map(|o| o.calls_last_minute).sum(),
            throttles: operations.iter().map(|o| o.throttles).sum(),
            operations,
            metrics_requested: inner.metrics_requested,
            metrics_requested_last_hour,
            metric_cost_usd_per_hour: cost_per_hour(&inner.metric_calls),
        }
    }
}

/// Rate of metrics requested between the first and the last call of the window, per hour,
/// priced. The first call opens the window, so it is not counted in the rate.
fn cost_per_hour(calls: &VecDeque<(Instant, u64)>) -> Option<f64> {
    let (first, _) = calls.front()?;
    let (last, _) = calls.back()?;
    let span = last.duration_since(*first).as_secs_f64();
    if calls.len() < 2 || span <= 0.0 {
        return None;
    }
    let metrics: u64 = calls.iter().skip(1).map(|(_, m)| m).sum();
    Some(metrics as f64 / span * 3600.0 * USD_PER_METRIC_REQUESTED)
}

fn trim(q: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
        q.pop_front();
    }
}

/// Counts every call made through the boundary to a backend that keeps no accounting of its
/// own (the simulated account), so `:api` shows the console's call rates on `--demo` too.
pub struct Counted<B: ?Sized> {
    inner: std::sync::Arc<B>,
    stats: ApiAccounting,
}

impl<B: ?Sized> Counted<B> {
    pub fn new(inner: std::sync::Arc<B>) -> Self {
        Counted {
            inner,
            stats: ApiAccounting::default(),
        }
    }

    fn record<T>(&self, op: Operation, r: BackendResult<T>) -> BackendResult<T> {
        self.stats.call(op);
        if let Err(e) = &r {
            self.stats.failed(e);
        }
        r
    }
}

#[async_trait::async_trait]
impl<B: Backend + ?Sized> Backend for Counted<B> {
    async fn identity(&self) -> BackendResult<Identity> {
        self.record(Operation::GetCallerIdentity, self.inner.identity().await)
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.record(Operation::ListEndpoints, self.inner.list_endpoints().await)
    }
    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.record(
            Operation::DescribeEndpoint,
            self.inner.describe_endpoint(name).await,
        )
    }
    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.record(
            Operation::DescribeScalableTargets,
            self.inner.describe_autoscaling(endpoint).await,
        )
    }
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.record(
            Operation::DescribeScalableTargets,
            self.inner.describe_fleet_autoscaling().await,
        )
    }
    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.record(
            Operation::DescribeScalingActivities,
            self.inner.scaling_activities(endpoint, max).await,
        )
    }
    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.stats.metrics_requested(query.series.len() as u64);
        self.record(
            Operation::GetMetricData,
            self.inner.get_metrics(query).await,
        )
    }
    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.record(
            Operation::LookupEvents,
            self.inner.lookup_events(query).await,
        )
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.record(Operation::ListServiceQuotas, self.inner.list_quotas().await)
    }
    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        // Several calls on AWS; counted under the one every such read makes.
        self.record(
            Operation::DescribeEndpoint,
            self.inner.describe_deployment(endpoint).await,
        )
    }
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.record(
            Operation::ListEndpointConfigs,
            self.inner.list_endpoint_configs().await,
        )
    }
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.record(
            Operation::DescribeAlarms,
            self.inner.list_alarm_names().await,
        )
    }
    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        let r = self.inner.update_endpoint(request).await;
        self.record(Operation::UpdateEndpoint, r)
    }
    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        let r = self
            .inner
            .update_weights_and_capacities(endpoint, changes)
            .await;
        self.record(Operation::UpdateEndpointWeightsAndCapacities, r)
    }
    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        let r = self
            .inner
            .register_scalable_target(endpoint, variant, min_capacity, max_capacity)
            .await;
        self.record(Operation::RegisterScalableTarget, r)
    }
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.record(Operation::InvokeEndpoint, self.inner.invoke(request).await)
    }
    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.stats.snapshot())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn counts_calls_per_minute_throttles_and_metric_cost() {
        let acc = ApiAccounting::default();
        assert_eq!(acc.snapshot().metric_cost_usd_per_hour, None);
        // 2 endpoints × 2 variants × 10 series = 40 metrics every minute for 10 minutes.
        for _ in 0..11 {
            acc.call(Operation::GetMetricData);
            acc.metrics_requested(40);
            tokio::time::advance(Duration::from_secs(60)).await;
        }
        acc.call(Operation::DescribeEndpoint);
        acc.call(Operation::DescribeEndpoint);
        acc.failed(&BackendError::Throttled {
            operation: Operation::DescribeEndpoint,
            message: "Rate exceeded".into(),
        });
        let s = acc.snapshot();
        let de = s
            .operations
            .iter()
            .find(|o| o.operation == Operation::DescribeEndpoint)
            .unwrap();
        assert_eq!(
            (de.calls, de.calls_last_minute, de.throttles, de.errors),
            (2, 2, 1, 1)
        );
        let gmd = s
            .operations
            .iter()
            .find(|o| o.operation == Operation::GetMetricData)
            .unwrap();
        assert_eq!((gmd.calls, gmd.calls_last_minute), (11, 0));
        assert_eq!(s.metrics_requested, 440);
        // 40 metrics a minute = 2,400 an hour = $0.024 an hour.
        let cost = s.metric_cost_usd_per_hour.unwrap();
        assert!((cost - 0.024).abs() < 1e-9, "{cost}");
        assert_eq!(s.throttles, 1);
    }
}
