//! Guarded traffic shifts and lost responses against the simulated account (seed 7, manual
//! clock): a canary completes on a healthy variant, rolls back when the target returns 5XX,
//! aborts keep or restore weights; a lost response is re-sent only when the change is absent.

use crate::harness;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossterm::event::KeyCode;
use harness::*;
use sagetop::app::dialogs::Dialog;
use sagetop::boundary::{Backend, BackendError, BackendResult, Call, Layer, Operation, Reply};
use sagetop::clock::Clock;
use sagetop::domain::*;
use sagetop::rollout::{ShiftPhase, ShiftSnapshot};

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
    apply_first: bool,
    calls: Arc<AtomicUsize>,
}

fn lost() -> BackendError {
    BackendError::Timeout {
        operation: Operation::UpdateEndpointWeightsAndCapacities,
        seconds: 60,
    }
}

#[async_trait::async_trait]
impl Layer for LoseFirst {
    /// Whether this call's response is lost.
    type Carry = bool;

    async fn before(&self, call: &Call<'_>) -> BackendResult<bool> {
        if !matches!(call, Call::UpdateWeightsAndCapacities { .. }) {
            return Ok(false);
        }
        let first = self.calls.fetch_add(1, Ordering::SeqCst) == 0;
        if first && !self.apply_first {
            return Err(lost());
        }
        Ok(first)
    }

    async fn after(&self, _: &Call<'_>, lose: bool, mut reply: Reply<'_>) {
        if lose && reply.is_ok() {
            reply.fail(lost());
        }
    }
}

async fn lost_response(apply_first: bool) -> (Harness, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let mut h = Harness::build(false, move |sim| {
        Arc::new(
            LoseFirst {
                apply_first,
                calls: c,
            }
            .over(sim),
        )
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
    throttle: bool,
}

impl GuardBlind {
    fn is_guard_read(call: &Call<'_>) -> bool {
        matches!(call, Call::GetMetrics { query }
            if query.series.len() == 3 && query.series.iter().all(|k| k.variant == "VariantB"))
    }
}

#[async_trait::async_trait]
impl Layer for GuardBlind {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        if self.throttle && Self::is_guard_read(call) {
            return Err(BackendError::Throttled {
                operation: Operation::GetMetricData,
                message: "Rate exceeded".into(),
            });
        }
        Ok(())
    }

    async fn after(&self, call: &Call<'_>, _: (), reply: Reply<'_>) {
        let Reply::Metrics(Ok(series)) = reply else {
            return;
        };
        if !Self::is_guard_read(call) {
            return;
        }
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
    }
}

/// A shift whose guard cannot read the target never advances: it holds, says why, and rolls
/// back once the figures stay missing past the limit (before: no data counted as no breach,
/// and the shift went on to 100% after its grace period).
async fn blind_guard_rolls_back(throttle: bool) {
    let mut h = Harness::build(false, move |sim| {
        Arc::new(GuardBlind { throttle }.over(sim))
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
