//! Writes end to end against the simulated account (seed 7, manual clock): keys → dialogs →
//! confirm → write service → the sim's status machine → polls → notices; quota and
//! autoscaling-range refusals that send nothing; read-only runs; double sends.

use crate::harness;

use std::sync::Arc;

use crossterm::event::KeyCode;
use harness::*;
use sagetop::app::dialogs::{Dialog, scale};
use sagetop::boundary::{Backend, BackendError};
use sagetop::domain::*;
use sagetop::write::{Origin, WriteJob, WriteOutcome};

fn in_service_without_writes(h: &Harness, endpoint: &str) -> bool {
    h.state
        .endpoint(endpoint)
        .is_some_and(|e| e.status == EndpointStatus::InService)
        && !h.state.ops.writes.contains_key(endpoint)
}

#[tokio::test]
async fn weights_from_the_dialog_go_updating_then_in_service() {
    let mut h = Harness::new().await;
    h.select(CHURN);
    h.key(KeyCode::Char('w'));
    h.type_str("90");
    h.key(KeyCode::Down);
    h.type_str("10");
    h.key(KeyCode::Enter);
    assert!(matches!(h.state.ops.dialog, Some(Dialog::Confirm(_))));
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let e = h.state.endpoint(CHURN).unwrap();
    assert_eq!(e.status, EndpointStatus::Updating, "shows Updating at once");
    let d = h.describe(CHURN).await;
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_eq!(
        weights(&d),
        [("VariantA".into(), 90.0), ("VariantB".into(), 10.0)]
    );
    assert!(
        h.until(300, 10, |h| in_service_without_writes(h, CHURN))
            .await,
        "back InService"
    );
    assert_eq!(shares(&h.describe(CHURN).await), [90, 10]);
    assert!(
        h.notice()
            .contains("churn-predictor is InService with the change"),
        "{}",
        h.notice()
    );
    assert_eq!(h.updates_sent(CHURN).await.len(), 1, "one request");
    let audit = h.audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["outcome"], "accepted");
}

#[tokio::test]
async fn scale_within_range_and_quota_applies_through_the_status_machine() {
    let mut h = Harness::new().await;
    h.select(FRAUD);
    h.key(KeyCode::Char('s'));
    let Some(Dialog::Scale(d)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    let current = h.describe(FRAUD).await.variants[0]
        .current_instance_count
        .unwrap();
    assert_eq!(d.text, current.to_string(), "pre-filled");
    let want = current + 1;
    h.type_str(&want.to_string());
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    assert!(
        c.notes[0].starts_with("ml.m5.xlarge for endpoint usage: "),
        "{:?}",
        c.notes
    );
    assert!(
        c.notes[1].starts_with("autoscaling range 1–4"),
        "{:?}",
        c.notes
    );
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let d = h.describe(FRAUD).await;
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_eq!(d.variants[0].desired_instance_count, Some(want));
    assert!(
        h.until(420, 15, |h| in_service_without_writes(h, FRAUD))
            .await
    );
    assert_eq!(
        h.describe(FRAUD).await.variants[0].current_instance_count,
        Some(want)
    );
}

#[tokio::test]
async fn scale_above_quota_is_refused_in_aws_words_and_nothing_is_sent() {
    let mut h = Harness::new().await;
    let f = scale::facts(&h.state, RANKING, "Canary").expect("facts");
    let (limit, used) = f.quota.expect("quota known");
    let n = (limit as u32 - used) + f.current + 1;
    let want = quota_exceeded_message(
        "ml.c5.2xlarge",
        limit,
        f64::from(used),
        f64::from(n - f.current),
    );
    h.command(&format!(":scale {RANKING} Canary {n}"));
    assert!(h.state.ops.dialog.is_none());
    assert_eq!(h.notice(), want);
    // The dialog says the same and will not review.
    h.select(RANKING);
    h.key(KeyCode::Char('s'));
    h.key(KeyCode::Right);
    h.type_str(&n.to_string());
    h.key(KeyCode::Enter);
    let Some(Dialog::Scale(d)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    assert_eq!(d.message.as_deref(), Some(want.as_str()));
    h.key(KeyCode::Tab);
    h.key(KeyCode::Tab);
    h.key(KeyCode::Enter);
    h.settle().await;
    assert!(matches!(h.state.ops.dialog, Some(Dialog::Scale(_))));
    assert!(
        h.updates_sent(RANKING).await.is_empty(),
        "nothing reached AWS"
    );
    assert!(h.audit_lines().is_empty());
}

#[tokio::test]
async fn scale_outside_the_range_changes_the_range_first() {
    let mut h = Harness::new().await;
    h.command(&format!(":scale {FRAUD} AllTraffic 6"));
    let Some(Dialog::Scale(d)) = &h.state.ops.dialog else {
        panic!("{}", h.notice())
    };
    assert!(
        d.message
            .as_deref()
            .unwrap()
            .contains("6 is outside the autoscaling range 1–4")
    );
    h.key(KeyCode::Enter);
    h.key(KeyCode::Char('y'));
    h.settle().await;
    let a = h.sim.describe_autoscaling(FRAUD).await.unwrap();
    let t = a[0].target.as_ref().unwrap();
    assert_eq!((t.min_capacity, t.max_capacity), (1, 6));
    assert!(
        h.updates_sent(FRAUD).await.is_empty(),
        "the count is not sent"
    );
    let audit = h.audit_lines();
    assert_eq!(audit[0]["operation"], "RegisterScalableTarget");
    assert_eq!(audit[0]["request"]["MaxCapacity"], 6);
    // With the new range polled, the same scale goes to confirm.
    h.poll().await;
    h.command(&format!(":scale {FRAUD} AllTraffic 6"));
    assert!(
        matches!(h.state.ops.dialog, Some(Dialog::Confirm(_))),
        "{}",
        h.notice()
    );
}

#[tokio::test]
async fn read_only_run_sends_nothing_and_the_boundary_refuses() {
    let mut h = Harness::read_only().await;
    h.select(CHURN);
    for keys in ["w90", "s3"] {
        let mut chars = keys.chars();
        h.key(KeyCode::Char(chars.next().unwrap()));
        h.type_str(chars.as_str());
        h.key(KeyCode::Enter);
        h.key(KeyCode::Char('y'));
    }
    h.command(&format!(":weights {CHURN} VariantB=3"));
    h.settle().await;
    assert!(h.state.ops.dialog.is_none());
    assert!(h.updates_sent(CHURN).await.is_empty());
    assert_eq!(weights(&h.describe(CHURN).await)[1].1, 1.0);
    // Even a write that got past the UI is refused at the boundary (and audited).
    let job = WriteJob {
        id: 1,
        request: sagetop::write::request::weights_request(
            &h.describe(CHURN).await,
            &[("VariantB".into(), 3.0)],
        ),
        origin: Origin::User,
    };
    let outcome = h.executor.service().execute(job).await;
    assert!(
        matches!(outcome, WriteOutcome::Failed(BackendError::ReadOnly { .. })),
        "{outcome:?}"
    );
    assert!(h.updates_sent(CHURN).await.is_empty());
    assert_eq!(h.audit_lines()[0]["outcome"], "refused");
}

/// Holds every UpdateEndpointWeightsAndCapacities until released.
struct Gate {
    open: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl sagetop::boundary::Layer for Gate {
    type Carry = ();

    async fn before(
        &self,
        call: &sagetop::boundary::Call<'_>,
    ) -> sagetop::boundary::BackendResult<()> {
        if matches!(
            call,
            sagetop::boundary::Call::UpdateWeightsAndCapacities { .. }
        ) {
            self.open.notified().await;
        }
        Ok(())
    }
}

#[tokio::test]
async fn a_write_in_flight_blocks_a_second_one_to_the_same_endpoint() {
    let open = Arc::new(tokio::sync::Notify::new());
    let gate = open.clone();
    let h = Harness::build(false, move |sim| {
        Arc::new(sagetop::boundary::Layer::over(Gate { open: gate }, sim))
    })
    .await;
    let e = h.describe(CHURN).await;
    let job = |id, w| WriteJob {
        id,
        request: sagetop::write::request::weights_request(&e, &[("VariantB".into(), w)]),
        origin: Origin::User,
    };
    let service = h.executor.service().clone();
    let first = {
        let s = service.clone();
        let j = job(1, 2.0);
        tokio::spawn(async move { s.execute(j).await })
    };
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let second = service.execute(job(2, 3.0)).await;
    assert!(
        matches!(&second, WriteOutcome::Refused(why) if why.contains("already in flight")),
        "{second:?}"
    );
    open.notify_one();
    let first = first.await.unwrap();
    assert!(first.went_through(), "{first:?}");
    assert_eq!(h.updates_sent(CHURN).await.len(), 1);
    assert_eq!(weights(&h.describe(CHURN).await)[1].1, 2.0);
}

#[tokio::test]
async fn a_shift_does_not_start_while_a_write_to_its_endpoint_is_in_flight() {
    let open = Arc::new(tokio::sync::Notify::new());
    let gate = open.clone();
    let mut h = Harness::build(false, move |sim| {
        Arc::new(sagetop::boundary::Layer::over(Gate { open: gate }, sim))
    })
    .await;
    let e = h.describe(CHURN).await;
    let service = h.executor.service().clone();
    let job = WriteJob {
        id: 1,
        request: sagetop::write::request::weights_request(&e, &[("VariantB".into(), 2.0)]),
        origin: Origin::User,
    };
    let held = tokio::spawn(async move { service.execute(job).await });
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let plan = sagetop::rollout::plan(
        &e,
        "VariantA",
        "VariantB",
        sagetop::rollout::ShiftMode::Linear(25),
        std::time::Duration::from_secs(60),
        sagetop::rollout::DEFAULT_GUARD,
        7,
    )
    .unwrap();
    h.executor
        .handle(sagetop::rollout::OpsCommand::StartShift(Box::new(plan)));
    h.settle().await;
    let s = h.state.ops.shifts.get(CHURN).expect("reported");
    assert!(
        matches!(&s.phase, sagetop::rollout::ShiftPhase::Failed { message } if message.contains("in flight")),
        "{:?}",
        s.phase
    );
    assert!(!h.state.ops.shift_running(CHURN));
    open.notify_one();
    assert!(held.await.unwrap().went_through());
    assert_eq!(h.updates_sent(CHURN).await.len(), 1, "only the held write");
}
