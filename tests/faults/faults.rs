//! The fault table, read side: each fault of `--demo-faults` on the simulated account (seed 7,
//! manual clock), driven through `update` as the pollers drive it. Each test checks what the
//! affected panel shows, that the other panels keep fresh data, and that everything recovers
//! by itself when the fault's window ends.

use crate::rig;

use std::time::Duration;

use rig::*;
use sagetop::app::{Action, Panel, View};
use sagetop::boundary::{BackendError, Operation};
use sagetop::domain::EndpointStatus;

/// Every panel but `except` polled successfully at the current instant.
fn fresh_except(r: &Rig, except: &[Panel]) {
    for p in [
        Panel::Identity,
        Panel::Endpoints,
        Panel::Metrics,
        Panel::Autoscaling,
        Panel::Quotas,
        Panel::Events,
    ] {
        if except.contains(&p) {
            continue;
        }
        let h = r.state.health(p);
        assert_eq!(
            (h.error.as_ref(), h.last_ok),
            (None, Some(r.clock_now())),
            "{p:?} keeps updating at t+{}s",
            r.elapsed()
        );
    }
}

trait Now {
    fn clock_now(&self) -> sagetop::domain::Timestamp;
}

impl Now for Rig {
    fn clock_now(&self) -> sagetop::domain::Timestamp {
        use sagetop::clock::Clock;
        self.clock.now()
    }
}

#[tokio::test(start_paused = true)]
async fn throttled_metrics_show_retry_and_staleness_while_the_rest_updates() {
    let mut r = Rig::new("throttle=1:cloudwatch@60s..180s").await;
    fresh_except(&r, &[]);
    let good = r.state.health(Panel::Metrics).last_ok;
    r.advance(80, 20).await;
    let h = r.state.health(Panel::Metrics);
    assert_eq!(
        h.error,
        Some(BackendError::Throttled {
            operation: Operation::GetMetricData,
            message: "Rate exceeded".into()
        })
    );
    assert_eq!(h.last_ok, Some(r.started + chrono::Duration::seconds(40)));
    assert!(h.last_ok > good, "it had fresh data before the fault");
    let (text, failing) = r.freshness(Panel::Metrics);
    assert!(failing);
    assert_eq!(text, "metrics: throttled, retry in 8s (data 40s old)");
    fresh_except(&r, &[Panel::Metrics]);
    let screen = r.screen(160, 45);
    assert!(
        screen.contains("metrics: throttled, retry in 8s (data 40s old)"),
        "{screen}"
    );
    // The fault stops at 180 s: the next poll brings fresh figures without a keypress.
    r.advance(100, 20).await;
    fresh_except(&r, &[]);
    assert!(!r.screen(160, 45).contains("throttled"));
    assert!(r.faulty.injected()["throttle"] >= 6);
}

#[tokio::test(start_paused = true)]
async fn throttling_a_third_of_all_calls_still_refreshes_every_panel() {
    let mut r = Rig::new("throttle=0.3").await;
    let mut seen_throttled = 0;
    let mut last_ok = std::collections::BTreeMap::new();
    for _ in 0..20 {
        r.advance(10, 10).await;
        for p in [
            Panel::Endpoints,
            Panel::Metrics,
            Panel::Events,
            Panel::Quotas,
        ] {
            let h = r.state.health(p);
            if matches!(h.error, Some(BackendError::Throttled { .. })) {
                seen_throttled += 1;
            }
            if let Some(t) = h.last_ok {
                last_ok.insert(p, t);
            }
        }
        // The endpoint list never empties: a throttled describe keeps the last description.
        assert_eq!(
            r.state.endpoints.len(),
            r.sim.endpoint_names().len(),
            "at t+{}s",
            r.elapsed()
        );
    }
    assert!(
        seen_throttled > 5,
        "throttling was visible ({seen_throttled})"
    );
    for (p, t) in last_ok {
        assert!(
            (r.clock_now() - t).num_seconds() <= 60,
            "{p:?} refreshed within the last minute"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn denied_cloudtrail_names_the_iam_action_and_the_rest_updates() {
    let mut r = Rig::new("deny=cloudtrail@..120s").await;
    let h = r.state.health(Panel::Events);
    let Some(BackendError::AccessDenied { operation, message }) = &h.error else {
        panic!("{:?}", h.error)
    };
    assert_eq!(*operation, Operation::LookupEvents);
    assert!(
        message.contains("is not authorized to perform: cloudtrail:LookupEvents"),
        "{message}"
    );
    let (text, _) = r.freshness(Panel::Events);
    assert!(
        text.starts_with(
            "events: access denied — grant cloudtrail:LookupEvents to your role or user; retry in"
        ),
        "{text}"
    );
    fresh_except(&r, &[Panel::Events]);
    r.apply(Action::OpenEvents);
    let screen = r.screen(160, 45);
    assert!(screen.contains("Could not read CloudTrail"), "{screen}");
    assert!(
        screen.contains("grant cloudtrail:LookupEvents to your role or user"),
        "{screen}"
    );
    r.advance(60, 30).await;
    fresh_except(&r, &[Panel::Events]);
    // Granted (the window ends): events load by themselves.
    r.advance(90, 30).await;
    fresh_except(&r, &[]);
    assert!(!r.state.events.is_empty());
    assert!(!r.screen(160, 45).contains("access denied"));
}

#[tokio::test(start_paused = true)]
async fn slow_calls_arrive_late_but_arrive() {
    let mut r = Rig::new("latency=2s..4s:sagemaker").await;
    assert_eq!(r.state.endpoints.len(), r.sim.endpoint_names().len());
    let before = tokio::time::Instant::now();
    r.poll(Panel::Endpoints).await;
    let took = before.elapsed();
    // ListEndpoints, then the describes eight at a time: at least two round trips of ≥ 2 s.
    assert!(took >= Duration::from_secs(4), "{took:?}");
    assert!(took <= Duration::from_secs(4 * 3), "{took:?}");
    fresh_except(&r, &[]);
    let before = tokio::time::Instant::now();
    r.poll(Panel::Quotas).await;
    assert!(
        before.elapsed() < Duration::from_secs(1),
        "quotas are not slowed"
    );
}

#[tokio::test(start_paused = true)]
async fn pollers_report_and_stop_at_once_while_every_call_stalls() {
    use sagetop::poll::{PollIntervals, Pollers};
    use tokio::sync::mpsc;
    let r = Rig::new("latency=1h@30s..").await;
    r.clock.advance(Duration::from_secs(60));
    let (tx, mut rx) = mpsc::channel(64);
    let pollers = Pollers::spawn(
        r.backend.clone(),
        shared(&r.clock),
        PollIntervals::demo(),
        tx,
        1,
    );
    // Every poller starts and then waits on its stalled call; the app still gets PollStarted.
    let mut started = std::collections::BTreeSet::new();
    while started.len() < 3 {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(Action::PollStarted(p))) => {
                started.insert(p);
            }
            Ok(Some(other)) => panic!("no poll can finish: {other:?}"),
            Ok(None) | Err(_) => panic!("pollers did not start: {started:?}"),
        }
    }
    let before = tokio::time::Instant::now();
    pollers.shutdown().await;
    assert!(
        before.elapsed() < Duration::from_secs(1),
        "quitting does not wait for stalled calls"
    );
}

#[tokio::test(start_paused = true)]
async fn calls_without_a_response_show_as_timeouts_and_recover() {
    let mut r = Rig::new("timeout=1:LookupEvents+ListServiceQuotas@30s..90s").await;
    let before = tokio::time::Instant::now();
    r.advance(30, 30).await;
    assert!(
        before.elapsed() >= Duration::from_secs(30),
        "a call without a response takes the SDK's whole timeout"
    );
    for (p, op) in [
        (Panel::Events, Operation::LookupEvents),
        (Panel::Quotas, Operation::ListServiceQuotas),
    ] {
        assert_eq!(
            r.state.health(p).error,
            Some(BackendError::Timeout {
                operation: op,
                seconds: 30
            })
        );
    }
    let (text, _) = r.freshness(Panel::Events);
    assert!(
        text.starts_with("events: timed out, retry in 8s (data 30s old)"),
        "{text}"
    );
    fresh_except(&r, &[Panel::Events, Panel::Quotas]);
    r.advance(60, 30).await;
    fresh_except(&r, &[]);
}

#[tokio::test(start_paused = true)]
async fn expired_credentials_say_what_to_run_and_recover() {
    let mut r = Rig::new("expire-credentials-after=60s..300s").await;
    r.advance(40, 20).await;
    fresh_except(&r, &[]);
    r.advance(20, 20).await;
    for p in [
        Panel::Identity,
        Panel::Endpoints,
        Panel::Metrics,
        Panel::Events,
    ] {
        let Some(BackendError::Credentials {
            profile, message, ..
        }) = &r.state.health(p).error
        else {
            panic!("{p:?}: {:?}", r.state.health(p).error)
        };
        assert_eq!(profile.as_deref(), Some("oncall"));
        assert_eq!(
            message,
            "The security token included in the request is expired"
        );
    }
    let (text, _) = r.freshness(Panel::Endpoints);
    assert!(
        text.starts_with(
            "endpoints: credentials expired — run `aws sso login --profile oncall` (or refresh your credentials), then press r; retry in"
        ),
        "{text}"
    );
    let screen = r.screen(160, 45);
    assert!(
        screen.contains("endpoints: credentials expired — run `aws sso login --profile oncall`"),
        "the endpoints list says what to run:\n{screen}"
    );
    assert_eq!(
        r.state.endpoints.len(),
        r.sim.endpoint_names().len(),
        "the last good data stays"
    );
    // Someone ran `aws sso login` (the window ends): every panel recovers by itself.
    r.advance(240, 60).await;
    fresh_except(&r, &[]);
    assert!(!r.screen(160, 45).contains("credentials"));
}

#[tokio::test(start_paused = true)]
async fn an_endpoint_deleted_by_someone_else_leaves_the_detail_and_every_panel() {
    let mut r = Rig::new("delete-endpoint=churn-predictor@90s").await;
    r.command(":ep churn-predictor");
    assert_eq!(
        r.state.view,
        View::Detail {
            endpoint: CHURN.into()
        }
    );
    assert_eq!(r.watched.as_deref(), Some(CHURN));
    r.advance(90, 15).await;
    assert_eq!(
        r.state.endpoint(CHURN).map(|e| e.status),
        Some(EndpointStatus::Deleting),
        "Deleting first"
    );
    assert!(r.screen(160, 45).contains("Deleting"));
    let mut waited = 0;
    while r.state.endpoint(CHURN).is_some() {
        assert!(waited < 120, "gone within two minutes");
        r.advance(15, 15).await;
        waited += 15;
    }
    assert_eq!(r.state.view, View::Endpoints);
    assert!(
        r.notice()
            .contains("endpoint churn-predictor no longer exists"),
        "{}",
        r.notice()
    );
    assert_eq!(r.watched, None, "the pollers stop watching it");
    assert!(!r.sim.endpoint_names().contains(&CHURN.to_string()));
    // No panel loops on the missing endpoint.
    r.advance(120, 15).await;
    for p in sagetop::app::Panel::ALL {
        assert_eq!(r.state.health(p).error, None, "{p:?}");
    }
    assert!(r.state.metrics.latest.keys().all(|(e, _)| e != CHURN));
    assert!(
        !r.state.autoscaling.config.contains_key(CHURN),
        "nothing kept for it"
    );
    let deletion = r
        .state
        .trail
        .events
        .iter()
        .find(|e| e.name == "DeleteEndpoint" && e.resources == [CHURN.to_string()])
        .expect("the deletion is in CloudTrail");
    assert!(
        deletion.principal.contains("MLPlatformAdmin"),
        "{}",
        deletion.principal
    );
    assert!(r.state.visible_endpoints().iter().all(|e| e.name != CHURN));
    let screen = r.screen(160, 45);
    assert!(!screen.contains("not found"), "{screen}");
}

#[tokio::test]
async fn the_same_seed_injects_the_same_faults() {
    let run = || async {
        let mut r = Rig::new("throttle=0.4:sagemaker+cloudwatch").await;
        let mut trace = Vec::new();
        for _ in 0..5 {
            r.advance(10, 10).await;
            trace.push((
                r.state.health(Panel::Endpoints).error.is_some(),
                r.state.health(Panel::Metrics).error.is_some(),
                r.state.endpoint_errors.keys().cloned().collect::<Vec<_>>(),
            ));
        }
        (trace, r.faulty.injected())
    };
    let a = run().await;
    let b = run().await;
    assert!(a.1["throttle"] > 0);
    assert_eq!(a, b);
}

#[tokio::test(start_paused = true)]
async fn an_alarm_fault_rolls_the_demo_canary_back_naming_the_alarm() {
    const ALARM: &str = "fraud-detection-xgb-5xx-rate";
    let mut r = Rig::new(&format!("alarm={ALARM}@30s")).await;
    assert!(r.sim.start_demo_deployment(), "the demo's canary bakes");
    r.command(&format!(":ep {FRAUD}"));
    r.advance(15, 15).await;
    assert_eq!(
        r.state.endpoint(FRAUD).map(|e| e.status),
        Some(EndpointStatus::Updating),
        "baking before the alarm fires"
    );
    r.advance(15, 15).await;
    assert_eq!(
        r.state.endpoint(FRAUD).map(|e| e.status),
        Some(EndpointStatus::RollingBack),
        "the alarm fired at 30 s: rolling back"
    );
    assert!(r.screen(160, 45).contains("RollingBack"));
    let mut waited = 0;
    while r.state.endpoint(FRAUD).map(|e| e.status) != Some(EndpointStatus::InService) {
        assert!(waited < 180, "rolled back within three minutes");
        r.advance(15, 15).await;
        waited += 15;
    }
    let e = r.state.endpoint(FRAUD).expect("still listed");
    assert_eq!(
        e.config_name, "fraud-detection-xgb-config-v14",
        "the old config"
    );
    let reason = e.failure_reason.clone().unwrap_or_default();
    assert!(
        reason.contains(ALARM) && reason.contains("rolled back"),
        "{reason}"
    );
    assert!(r.screen(160, 45).contains(ALARM), "{}", r.screen(160, 45));
}

#[tokio::test(start_paused = true)]
async fn without_the_alarm_fault_the_canary_finishes_on_the_new_config() {
    let mut r = Rig::new("throttle=0:sts").await;
    assert!(r.sim.start_demo_deployment());
    r.advance(30, 15).await;
    assert_eq!(
        r.state.endpoint(FRAUD).map(|e| e.status),
        Some(EndpointStatus::Updating)
    );
    let mut waited = 0;
    while r.state.endpoint(FRAUD).map(|e| e.status) != Some(EndpointStatus::InService) {
        assert!(waited < 1800, "finished within half an hour");
        r.advance(60, 30).await;
        waited += 60;
    }
    let e = r.state.endpoint(FRAUD).expect("still listed");
    assert_eq!(
        e.config_name, "fraud-detection-xgb-config-v15",
        "{e:?} after {waited}s"
    );
    assert_eq!(e.failure_reason, None);
}

#[test]
fn an_alarm_the_account_does_not_have_is_refused_up_front() {
    use sagetop::clock::{ManualClock, fixture_epoch};
    let sim =
        sagetop::sim::SimAccount::new(7, std::sync::Arc::new(ManualClock::new(fixture_epoch())));
    let spec = sagetop::faults::FaultSpec::parse("alarm=no-such-alarm@30s").unwrap();
    let e = sagetop::sim::faults::check_spec(&sim, &spec).unwrap_err();
    assert!(
        e.contains("no-such-alarm") && e.contains("fraud-detection-xgb-5xx-rate"),
        "{e}"
    );
    let ok = sagetop::faults::FaultSpec::parse("alarm=fraud-detection-xgb-5xx-rate:OK@1m").unwrap();
    assert!(sagetop::sim::faults::check_spec(&sim, &ok).is_ok());
}
