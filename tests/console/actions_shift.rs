//! Guarded traffic shifts and lost responses against the simulated account (seed 7, manual
//! clock): a canary completes on a healthy variant, rolls back when the target returns 5XX,
//! aborts keep or restore weights; a lost response is re-sent only when the change is absent.

use crate::harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossterm::event::KeyCode;
use harness::*;
use sagetop::app::dialogs::Dialog;
use sagetop::boundary::{Backend, BackendError, BackendResult, Operation};
use sagetop::clock::Clock;
use sagetop::domain::*;
use sagetop::rollout::{ShiftPhase, ShiftSnapshot};
use sagetop::sim::SimAccount;

fn shift(h: &Harness) -> Option<&ShiftSnapshot> {
    h.state.ops.shifts.get(CHURN)
}

fn done(h: &Harness) -> bool {
    shift(h).is_some_and(|s| s.phase.is_done())
}

/// churn-predictor with all traffic on VariantA (set up outside the UI), polled.
async fn all_on_a(h: &mut Harness) {
    let changes = [("VariantA", 1.0), ("VariantB", 0.0)].map(|(v, w)| VariantChange {
        variant: v.into(),
        desired_weight: Some(w),
        desired_instance_count: None,
    });
    h.sim
        .update_weights_and_capacities(CHURN, &changes)
        .await
        .expect("setup write");
    assert!(
        h.until(200, 10, |h| h
            .state
            .endpoint(CHURN)
            .is_some_and(|e| e.status == EndpointStatus::InService
                && e.variants[1].current_weight == Some(0.0)))
            .await
    );
    h.started = h.clock.now();
}

async fn start(h: &mut Harness, line: &str) {
    h.command(line);
    let Some(Dialog::Confirm(_)) = &h.state.ops.dialog else {
        panic!("no confirm: {}", h.notice())
    };
    h.key(KeyCode::Char('y'));
    h.settle().await;
    assert!(h.state.ops.shift_running(CHURN), "{}", h.notice());
}

#[tokio::test]
async fn canary_completes_on_a_healthy_variant() {
    let mut h = Harness::new().await;
    all_on_a(&mut h).await;
    start(
        &mut h,
        ":shift churn-predictor VariantA VariantB --canary 10 --wait 3m",
    )
    .await;
    // Step 1 applies, then is watched with the next step's time and the guard's figures.
    assert!(
        h.until(300, 10, |h| shift(h)
            .is_some_and(|s| s.phase == ShiftPhase::Baking
                && s.step == 1
                && s.figures.minutes_checked > 0))
            .await,
        "{:?}",
        shift(&h)
    );
    let s = shift(&h).unwrap();
    assert!(s.next_step_at.is_some_and(|t| t > h.clock.now()));
    assert_eq!(s.figures.rate_5xx.map(|r| r < 0.01), Some(true));
    assert_eq!(shares(&h.describe(CHURN).await), [90, 10]);
    assert!(h.until(900, 10, done).await, "{:?}", shift(&h));
    assert_eq!(shift(&h).unwrap().phase, ShiftPhase::Completed);
    assert_eq!(shares(&h.describe(CHURN).await), [0, 100]);
    assert_eq!(h.updates_sent(CHURN).await.len(), 2, "one write per step");
    let audit = h.audit_lines();
    let origins: Vec<&str> = audit
        .iter()
        .map(|l| l["origin"].as_str().unwrap())
        .collect();
    assert_eq!(
        origins,
        ["traffic shift, step 1/2", "traffic shift, step 2/2"]
    );
    assert!(h.notice().contains("completed"), "{}", h.notice());
}

#[tokio::test]
async fn canary_rolls_back_when_the_target_returns_5xx() {
    let mut h = Harness::new().await;
    all_on_a(&mut h).await;
    h.sim.set_variant_fault(CHURN, "VariantB", 0.4);
    start(
        &mut h,
        ":shift churn-predictor VariantA VariantB --canary 10 --wait 5m",
    )
    .await;
    assert!(h.until(900, 10, done).await, "{:?}", shift(&h));
    let s = shift(&h).unwrap();
    let ShiftPhase::RolledBack { reason } = &s.phase else {
        panic!("{:?}", s.phase)
    };
    assert!(
        reason.contains("guard breached: VariantB Invocation5XXErrors rate"),
        "{reason}"
    );
    assert_eq!(s.step, 1, "never went past the canary");
    let d = h.describe(CHURN).await;
    assert_eq!(
        weights(&d),
        [("VariantA".into(), 1.0), ("VariantB".into(), 0.0)]
    );
    assert_eq!(shares(&d), [100, 0], "starting weights restored");
    assert_eq!(h.updates_sent(CHURN).await.len(), 2, "canary + rollback");
    assert!(h.notice().contains("rolled back"), "{}", h.notice());
}

async fn abort(rollback: bool) -> (Harness, Endpoint) {
    let mut h = Harness::new().await;
    all_on_a(&mut h).await;
    start(
        &mut h,
        ":shift churn-predictor VariantA VariantB --linear 25 --wait 10m",
    )
    .await;
    assert!(
        h.until(300, 10, |h| shift(h)
            .is_some_and(|s| s.phase == ShiftPhase::Baking))
            .await
    );
    h.key(KeyCode::Char('x'));
    assert!(matches!(h.state.ops.dialog, Some(Dialog::Abort(_))));
    h.key(KeyCode::Char(if rollback { 'r' } else { 'k' }));
    assert!(h.until(300, 10, done).await, "{:?}", shift(&h));
    let d = h.describe(CHURN).await;
    (h, d)
}

#[tokio::test]
async fn abort_with_rollback_restores_the_starting_weights() {
    let (h, d) = abort(true).await;
    let ShiftPhase::RolledBack { reason } = &shift(&h).unwrap().phase else {
        panic!("{:?}", shift(&h))
    };
    assert_eq!(reason, "aborted by you");
    assert_eq!(shares(&d), [100, 0]);
}

#[tokio::test]
async fn abort_keeping_the_step_leaves_its_weights() {
    let (h, d) = abort(false).await;
    assert_eq!(shift(&h).unwrap().phase, ShiftPhase::Stopped);
    assert_eq!(shares(&d), [75, 25]);
    assert_eq!(h.updates_sent(CHURN).await.len(), 1);
}

/// Loses the response of the first UpdateEndpointWeightsAndCapacities: after applying it
/// (`apply_first`) or before it reaches the account.
struct LoseFirst {
    inner: Arc<SimAccount>,
    apply_first: bool,
    calls: Arc<AtomicUsize>,
}

#[async_trait::async_trait]
impl Backend for LoseFirst {
    async fn identity(&self) -> BackendResult<Identity> {
        self.inner.identity().await
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.inner.list_endpoints().await
    }
    async fn describe_endpoint(&self, n: &str) -> BackendResult<Endpoint> {
        self.inner.describe_endpoint(n).await
    }
    async fn describe_autoscaling(&self, e: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.inner.describe_autoscaling(e).await
    }
    async fn scaling_activities(&self, e: &str, m: usize) -> BackendResult<Vec<ScalingActivity>> {
        self.inner.scaling_activities(e, m).await
    }
    async fn get_metrics(&self, q: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.inner.get_metrics(q).await
    }
    async fn lookup_events(&self, q: &EventQuery) -> BackendResult<EventPage> {
        self.inner.lookup_events(q).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.inner.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        e: &str,
        c: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let lost = BackendError::Timeout {
            operation: Operation::UpdateEndpointWeightsAndCapacities,
            seconds: 60,
        };
        if n == 0 {
            if self.apply_first {
                self.inner.update_weights_and_capacities(e, c).await?;
            }
            return Err(lost);
        }
        self.inner.update_weights_and_capacities(e, c).await
    }
    async fn register_scalable_target(
        &self,
        e: &str,
        v: &str,
        a: u32,
        b: u32,
    ) -> BackendResult<WriteReceipt> {
        self.inner.register_scalable_target(e, v, a, b).await
    }
    async fn invoke(&self, r: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.inner.invoke(r).await
    }
}

async fn lost_response(apply_first: bool) -> (Harness, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut h = Harness::build(false, move |sim| {
        Arc::new(LoseFirst {
            inner: sim,
            apply_first,
            calls: c,
        })
    })
    .await;
    h.command(&format!(":weights {CHURN} VariantB=3"));
    h.key(KeyCode::Char('y'));
    h.settle().await;
    (h, calls)
}

#[tokio::test]
async fn a_lost_response_whose_change_applied_is_not_sent_again() {
    let (mut h, calls) = lost_response(true).await;
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no blind retry");
    assert_eq!(h.updates_sent(CHURN).await.len(), 1);
    let audit = h.audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["outcome"], "no-response");
    assert!(
        audit[0]["detail"]
            .as_str()
            .unwrap()
            .contains("DescribeEndpoint shows the change"),
        "{}",
        audit[0]
    );
    assert!(h.notice().contains("not sent again"), "{}", h.notice());
    assert!(
        h.until(200, 10, |h| !h.state.ops.writes.contains_key(CHURN))
            .await
    );
    assert_eq!(weights(&h.describe(CHURN).await)[1].1, 3.0);
}

#[tokio::test]
async fn a_lost_response_whose_change_is_absent_is_sent_once_more() {
    let (h, calls) = lost_response(false).await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(
        h.updates_sent(CHURN).await.len(),
        1,
        "only the re-send reached AWS"
    );
    let audit = h.audit_lines();
    let outcomes: Vec<&str> = audit
        .iter()
        .map(|l| l["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["no-response", "accepted"]);
    assert!(h.notice().contains("sent again"), "{}", h.notice());
    assert_eq!(weights(&h.describe(CHURN).await)[1].1, 3.0);
}

/// The guard's reads of VariantB fail: the call is throttled (`Err`) or CloudWatch answers
/// with the series marked failed (`SeriesStatus::Failed`). Every other read works.
struct GuardBlind {
    inner: Arc<SimAccount>,
    throttle: bool,
}

impl GuardBlind {
    fn is_guard_read(q: &MetricQuery) -> bool {
        q.series.len() == 3 && q.series.iter().all(|k| k.variant == "VariantB")
    }
}

#[async_trait::async_trait]
impl Backend for GuardBlind {
    async fn identity(&self) -> BackendResult<Identity> {
        self.inner.identity().await
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.inner.list_endpoints().await
    }
    async fn describe_endpoint(&self, n: &str) -> BackendResult<Endpoint> {
        self.inner.describe_endpoint(n).await
    }
    async fn describe_autoscaling(&self, e: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.inner.describe_autoscaling(e).await
    }
    async fn scaling_activities(&self, e: &str, m: usize) -> BackendResult<Vec<ScalingActivity>> {
        self.inner.scaling_activities(e, m).await
    }
    async fn get_metrics(&self, q: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        if !Self::is_guard_read(q) {
            return self.inner.get_metrics(q).await;
        }
        if self.throttle {
            return Err(BackendError::Throttled {
                operation: Operation::GetMetricData,
                message: "Rate exceeded".into(),
            });
        }
        let mut series = self.inner.get_metrics(q).await?;
        for s in series
            .iter_mut()
            .filter(|s| s.key.metric == MetricName::Invocation5XXErrors)
        {
            s.points.clear();
            s.status = SeriesStatus::Failed {
                code: "InternalError".into(),
                message: "could not read the series".into(),
            };
        }
        Ok(series)
    }
    async fn lookup_events(&self, q: &EventQuery) -> BackendResult<EventPage> {
        self.inner.lookup_events(q).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.inner.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        e: &str,
        c: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.inner.update_weights_and_capacities(e, c).await
    }
    async fn register_scalable_target(
        &self,
        e: &str,
        v: &str,
        a: u32,
        b: u32,
    ) -> BackendResult<WriteReceipt> {
        self.inner.register_scalable_target(e, v, a, b).await
    }
    async fn invoke(&self, r: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.inner.invoke(r).await
    }
}

/// A shift whose guard cannot read the target never advances: it holds, says why, and rolls
/// back once the figures stay missing past the limit (before: no data counted as no breach,
/// and the shift went on to 100% after its grace period).
async fn blind_guard_rolls_back(throttle: bool) {
    let mut h = Harness::build(false, move |sim| {
        Arc::new(GuardBlind {
            inner: sim,
            throttle,
        })
    })
    .await;
    all_on_a(&mut h).await;
    start(
        &mut h,
        ":shift churn-predictor VariantA VariantB --canary 10 --wait 1m",
    )
    .await;
    assert!(
        h.until(600, 10, |h| shift(h).is_some_and(|s| s
            .figures
            .holding
            .is_some()
            || s.phase.is_done()))
            .await,
        "{:?}",
        shift(&h)
    );
    let holding = shift(&h)
        .unwrap()
        .figures
        .holding
        .clone()
        .unwrap_or_default();
    assert!(
        holding.contains("holding: the guard could not read VariantB"),
        "{holding}"
    );
    assert_eq!(shift(&h).unwrap().step, 1);
    assert!(h.until(1200, 10, done).await, "{:?}", shift(&h));
    let s = shift(&h).unwrap();
    let ShiftPhase::RolledBack { reason } = &s.phase else {
        panic!("{:?}", s.phase)
    };
    assert!(
        reason.contains("could not read VariantB's metrics"),
        "{reason}"
    );
    assert_eq!(s.step, 1, "never went past the canary");
    assert_eq!(shares(&h.describe(CHURN).await), [100, 0]);
    assert_eq!(h.updates_sent(CHURN).await.len(), 2, "canary + rollback");
}

#[tokio::test]
async fn a_guard_whose_reads_are_throttled_holds_then_rolls_back() {
    blind_guard_rolls_back(true).await;
}

#[tokio::test]
async fn a_guard_whose_series_come_back_failed_holds_then_rolls_back() {
    blind_guard_rolls_back(false).await;
}
