//! The fault table, write and load side: lost write requests and responses are settled by a
//! describe and never applied twice (counted in the simulated CloudTrail and the audit log),
//! a denied write names the IAM action, and a load run under faults records errors by kind.

use crate::rig;

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use rig::*;
use sagetop::app::dialogs::Dialog;
use sagetop::boundary::Layer;
use sagetop::boundary::{Backend, SharedBackend};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::EndpointStatus;
use sagetop::faults::{FaultSpec, Faults};
use sagetop::load::{
    BackendTarget, ErrorKind, LoadSpec, LoadTarget, Payloads, RequestOptions, RunControl, StopAfter,
};
use sagetop::sim::SimAccount;
use sagetop::sim::wire::SimServer;
use tokio_util::sync::CancellationToken;

/// `:weights churn-predictor VariantA=90 VariantB=10`, confirmed with `y`, and the time for
/// every stalled call of the write to end (tokio's clock is paused in these tests).
async fn send_weights(r: &mut Rig) {
    r.command(":weights churn-predictor VariantA=90 VariantB=10");
    assert!(
        matches!(r.state.ops.dialog, Some(Dialog::Confirm(_))),
        "{:?} / {}",
        r.state.ops.dialog,
        r.notice()
    );
    r.key(KeyCode::Char('y'));
    for _ in 0..4 {
        r.settle().await;
        tokio::time::sleep(Duration::from_secs(31)).await;
    }
    r.settle().await;
}

async fn desired_weights(r: &Rig) -> Vec<f64> {
    r.sim
        .describe_endpoint(CHURN)
        .await
        .expect("describe")
        .variants
        .iter()
        .map(|v| v.desired_weight.unwrap_or(f64::NAN))
        .collect()
}

fn outcomes(r: &Rig) -> Vec<String> {
    r.audit_lines()
        .iter()
        .map(|l| l["outcome"].as_str().unwrap_or("?").to_string())
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_lost_write_response_is_confirmed_by_describe_and_never_resent() {
    let mut r = Rig::new("lost-write-response=1").await;
    send_weights(&mut r).await;
    assert_eq!(r.updates_sent(CHURN).await.len(), 1, "applied exactly once");
    assert_eq!(desired_weights(&r).await, [90.0, 10.0]);
    assert_eq!(outcomes(&r), ["no-response"]);
    let detail = r.audit_lines()[0]["detail"].as_str().unwrap().to_string();
    assert!(
        detail.contains("no response within 30 s")
            && detail.contains("DescribeEndpoint shows the change")
            && detail.contains("not sent again"),
        "{detail}"
    );
    assert!(r.notice().contains("not sent again"), "{}", r.notice());
    assert_eq!(r.faulty.injected()["lost-write-response"], 1);
    // Tracking follows it to InService like any accepted write.
    for _ in 0..12 {
        r.advance(15, 15).await;
    }
    assert_eq!(
        r.state.endpoint(CHURN).map(|e| e.status),
        Some(EndpointStatus::InService)
    );
    assert_eq!(r.updates_sent(CHURN).await.len(), 1, "still once");
}

#[tokio::test(start_paused = true)]
async fn a_write_lost_on_the_way_is_resent_once_and_then_given_up() {
    let mut r = Rig::new("lost-write-request=1").await;
    let before = desired_weights(&r).await;
    send_weights(&mut r).await;
    assert_eq!(r.updates_sent(CHURN).await.len(), 0, "nothing arrived");
    assert_eq!(desired_weights(&r).await, before);
    assert_eq!(
        outcomes(&r),
        ["no-response", "no-response"],
        "two sends, no more"
    );
    assert_eq!(r.faulty.injected()["lost-write-request"], 2);
    let n = r.notice();
    assert!(
        n.contains("Nothing was re-sent") || n.contains("giving up"),
        "{n}"
    );
}

#[tokio::test(start_paused = true)]
async fn writes_under_random_loss_apply_at_most_once() {
    let mut paths = std::collections::BTreeSet::new();
    for seed in 1..=16 {
        let mut r = Rig::with_seed("lost-write-request=0.5,lost-write-response=0.5", seed).await;
        send_weights(&mut r).await;
        let sent = r.updates_sent(CHURN).await.len();
        let out = outcomes(&r);
        assert!(sent <= 1, "seed {seed}: applied {sent} times ({out:?})");
        let applied = desired_weights(&r).await == [90.0, 10.0];
        assert_eq!(applied, sent == 1, "seed {seed}: {out:?}");
        paths.insert(out.join(","));
    }
    // The dice covered the interesting paths: clean, lost response, lost request then resent.
    for want in ["accepted", "no-response", "no-response,accepted"] {
        assert!(paths.contains(want), "{want} not seen in {paths:?}");
    }
}

#[tokio::test(start_paused = true)]
async fn a_denied_write_names_the_iam_action_and_sends_nothing() {
    let mut r = Rig::new("deny=UpdateEndpointWeightsAndCapacities").await;
    send_weights(&mut r).await;
    assert_eq!(r.updates_sent(CHURN).await.len(), 0);
    assert_eq!(outcomes(&r), ["rejected"]);
    let n = r.notice();
    assert!(
        n.contains("grant sagemaker:UpdateEndpointWeightsAndCapacities to your role or user"),
        "{n}"
    );
}

/// 400 requests to churn-predictor through the simulated runtime server and the SDK client,
/// with the server's account behind `spec`.
async fn load_run(spec: &str) -> sagetop::load::RunResult {
    let clock = ManualClock::new(fixture_epoch());
    let shared: SharedClock = Arc::new(clock.clone());
    let sim = Arc::new(SimAccount::new(7, shared.clone()));
    clock.advance(Duration::from_secs(600));
    let faulty: SharedBackend =
        Arc::new(Faults::new(FaultSpec::parse(spec).unwrap(), shared.clone(), 7).over(sim));
    let server = SimServer::start(faulty, shared.clone()).await.unwrap();
    let client = sagetop::load::sdk::sim_runtime(&server.base_url())
        .await
        .unwrap();
    let target = BackendTarget::new(
        client,
        CHURN,
        &RequestOptions::default(),
        Payloads::from_body("0.31,1.7,0,12.5").unwrap(),
    );
    let spec = LoadSpec {
        concurrency: 8,
        stop: StopAfter::Requests(400),
        ..LoadSpec::default()
    };
    let ctl = RunControl {
        clock: shared,
        cancel: CancellationToken::new(),
        progress: None,
    };
    let result = sagetop::load::run(LoadTarget::Backend(target), &spec, ctl).await;
    server.shutdown().await;
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_load_run_under_faults_records_errors_by_kind() {
    let r = load_run("invoke-5xx=0.2,throttle=0.1:sagemaker-runtime,deny=cloudtrail").await;
    let s = &r.summary;
    assert_eq!(s.requests, 400, "{s:?}");
    let of = |k: ErrorKind| s.errors.get(&k).copied().unwrap_or(0);
    // Throttling is judged first (10%), then 20% of the rest fail with InternalFailure (500).
    let (throttled, server) = (of(ErrorKind::Throttled), of(ErrorKind::Server5xx));
    assert!(
        (20..=65).contains(&throttled),
        "throttled {throttled}: {s:?}"
    );
    assert!((45..=110).contains(&server), "5XX {server}: {s:?}");
    assert_eq!(of(ErrorKind::ModelError), 0, "{s:?}");
    assert_eq!(
        of(ErrorKind::Client4xx),
        0,
        "denying CloudTrail leaves invocations alone"
    );
    let clean = load_run("throttle=0.5:cloudwatch").await;
    assert_eq!(
        clean.summary.errors.values().sum::<u64>(),
        0,
        "{:?}",
        clean.summary
    );
}
