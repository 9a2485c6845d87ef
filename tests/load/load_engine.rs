//! The load engine against an in-process loopback server with controlled behaviour: latency
//! percentiles, 5XX share, open-loop rate, coordinated-omission correction, stopping with
//! partial results, and the JSON's documented fields. Timing tests run one at a time.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sagetop::clock::SystemClock;
use sagetop::load::loopback::{LoopbackConfig, LoopbackServer};
use sagetop::load::{
    ErrorKind, LoadSpec, LoadTarget, PayloadSource, Payloads, RequestOptions, RunControl,
    RunParams, RunReport, RunResult, StopAfter, StopReason, TargetInfo, UrlTarget,
};
use tokio::sync::MutexGuard;
use tokio_util::sync::CancellationToken;

/// Timing-sensitive runs do not overlap each other.
async fn serial() -> MutexGuard<'static, ()> {
    crate::TIMING.lock().await
}

fn spec(concurrency: u32, stop: StopAfter, rate: Option<f64>) -> LoadSpec {
    LoadSpec {
        concurrency,
        stop,
        rate,
        ..LoadSpec::default()
    }
}

async fn target(server: &LoopbackServer) -> LoadTarget {
    let payloads = Payloads::from_body("1.0,2.0,3.0").unwrap();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &RequestOptions::default(),
        payloads,
    )
    .await
    .expect("loopback URL");
    t.ping().await.expect("loopback ping");
    LoadTarget::Url(Box::new(t))
}

fn control() -> (RunControl, CancellationToken) {
    let cancel = CancellationToken::new();
    (
        RunControl {
            clock: Arc::new(SystemClock),
            cancel: cancel.clone(),
            progress: None,
        },
        cancel,
    )
}

async fn run(server: &LoopbackServer, spec: &LoadSpec) -> RunResult {
    let (ctl, _cancel) = control();
    sagetop::load::run(target(server).await, spec, ctl).await
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixed_10ms_delay_gives_p50_between_10_and_12_ms() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(10),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let r = run(&server, &spec(4, StopAfter::Requests(200), None)).await;
    let s = &r.summary;
    assert_eq!((s.requests, s.failed), (200, 0), "{s:?}");
    let p50 = ms(s.latency.unwrap().p50);
    eprintln!("p50 {p50:.3} ms");
    assert!((10.0..=12.0).contains(&p50), "p50 {p50} ms");
    assert_eq!(r.stop, StopReason::Completed);
    assert_eq!(server.invocations(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500_on_every_10th_request_is_a_10_percent_5xx_share() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        fail_every: Some(10),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let r = run(&server, &spec(8, StopAfter::Requests(1000), None)).await;
    let s = &r.summary;
    assert_eq!(s.requests, 1000);
    assert_eq!(s.status_codes.get(&500), Some(&100), "{:?}", s.status_codes);
    assert!((s.error_share(ErrorKind::Server5xx) - 0.10).abs() < 1e-9);
    assert_eq!(s.errors.len(), 1, "only 5XX: {:?}", s.errors);
    assert!((s.success_rate() - 0.9).abs() < 1e-9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_200_for_2s_sends_400_requests() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig::default()).unwrap();
    let r = run(
        &server,
        &spec(10, StopAfter::Duration(Duration::from_secs(2)), Some(200.0)),
    )
    .await;
    let sent = server.invocations();
    assert!((380..=420).contains(&sent), "sent {sent}");
    let s = &r.summary;
    assert!((380..=420).contains(&(s.requests + s.aborted)), "{s:?}");
    assert_eq!(r.stop, StopReason::Completed);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_500ms_stall_shows_in_p99_with_open_loop_correction() {
    let _g = serial().await;
    let stall = LoopbackConfig {
        stall_once: Some((50, Duration::from_millis(500))),
        ..LoopbackConfig::default()
    };
    // Open loop: the 50 requests due during the stall count from their scheduled start.
    let server = LoopbackServer::start(stall.clone()).unwrap();
    let open = run(
        &server,
        &spec(1, StopAfter::Duration(Duration::from_secs(3)), Some(100.0)),
    )
    .await;
    let l = open.summary.latency.unwrap();
    assert!(
        ms(l.p99) >= 400.0,
        "p99 {} ms should show the stall",
        ms(l.p99)
    );
    assert!(ms(l.slowest) >= 500.0, "max {} ms", ms(l.slowest));
    assert!(
        ms(l.p90) >= 50.0,
        "the requests queued behind the stall: p90 {}",
        ms(l.p90)
    );

    // Closed loop (no correction): the stall is one request among thousands.
    let server = LoopbackServer::start(stall).unwrap();
    let closed = run(
        &server,
        &spec(1, StopAfter::Duration(Duration::from_secs(2)), None),
    )
    .await;
    let l = closed.summary.latency.unwrap();
    assert!(closed.summary.requests > 500, "{}", closed.summary.requests);
    assert!(ms(l.p99) < 100.0, "closed-loop p99 {} ms", ms(l.p99));
    assert!(ms(l.slowest) >= 500.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_mid_run_returns_partial_results_within_a_second() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(5),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let (ctl, cancel) = control();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let ctl = RunControl {
        progress: Some(tx),
        ..ctl
    };
    let t = target(&server).await;
    let spec = spec(8, StopAfter::Duration(Duration::from_secs(30)), None);
    let handle = tokio::spawn(async move { sagetop::load::run(t, &spec, ctl).await });
    // Wait for the first live snapshot, then stop.
    let first = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("a progress snapshot within 5 s")
        .expect("progress channel open");
    assert!(first.summary.elapsed > Duration::ZERO);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let stopped_at = Instant::now();
    cancel.cancel();
    let r = tokio::time::timeout(Duration::from_secs(1), handle)
        .await
        .expect("the run stops within 1 s")
        .unwrap();
    assert!(stopped_at.elapsed() < Duration::from_secs(1));
    assert_eq!(r.stop, StopReason::Stopped);
    assert!(
        r.summary.requests > 50,
        "partial results kept: {}",
        r.summary.requests
    );
    assert!(r.summary.elapsed < Duration::from_secs(5));
    assert!(r.summary.latency.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_json_has_the_documented_fields() {
    let server = LoopbackServer::start(LoopbackConfig {
        fail_every: Some(5),
        variant: Some("AllTraffic".into()),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let spec = spec(2, StopAfter::Requests(50), None);
    let result = run(&server, &spec).await;
    let report = RunReport {
        params: RunParams {
            target: TargetInfo {
                kind: "url".into(),
                name: server.invocations_url(),
                variant: None,
                demo: false,
                via: "http".into(),
            },
            spec,
            payload: PayloadSource::Body("1.0,2.0,3.0".into()),
            payload_count: 1,
            shuffle_seed: None,
            content_type: "text/csv".into(),
            accept: None,
        },
        result,
    };
    let j = report.to_json();
    for path in [
        "/summary/successRate",
        "/summary/requestsPerSec",
        "/summary/total",
        "/summary/slowest",
        "/summary/fastest",
        "/summary/average",
        "/latencyPercentiles/p50",
        "/latencyPercentiles/p90",
        "/latencyPercentiles/p95",
        "/latencyPercentiles/p99",
        "/latencyPercentiles/p99.9",
        "/statusCodeDistribution/200",
        "/statusCodeDistribution/500",
        "/errorKinds/5XX",
        "/rps/mean",
        "/rps/percentiles/p99.99",
        "/details/firstByte/average",
        "/details/DNSDialup/slowest",
        "/latencySuccessful/percentiles/p99",
        "/latencyAll/percentiles/p99",
        "/inFlightAtDeadline",
        "/variants/AllTraffic/requests",
        "/variants/AllTraffic/share",
        "/variants/AllTraffic/latencySuccessful/percentiles/p99",
        "/parameters/concurrency",
        "/parameters/requests",
        "/parameters/target/name",
        "/requests/finished",
        "/bytes/sent",
        "/run/stopReason",
    ] {
        assert!(j.pointer(path).is_some(), "missing {path} in {j:#}");
    }
    assert_eq!(
        j.pointer("/statusCodeDistribution/500"),
        Some(&serde_json::json!(10))
    );
    // oha's meaning: the share of requests that got an HTTP answer (a 500 is one).
    assert_eq!(
        j.pointer("/summary/successRate"),
        Some(&serde_json::json!(1.0))
    );
    assert_eq!(
        j.pointer("/requests/errorRate"),
        Some(&serde_json::json!(0.2))
    );
    // oha's errorDistribution holds requests without an answer only.
    assert_eq!(j["errorDistribution"], serde_json::json!({}));
    let bins: Vec<f64> = j["responseTimeHistogram"]
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.parse().unwrap())
        .collect();
    assert_eq!(bins.len(), 11, "{bins:?}");
    assert!(
        bins.windows(2).all(|w| w[0] < w[1]),
        "numeric order: {bins:?}"
    );
    assert!(j["summary"]["total"].as_f64().unwrap() > 0.0);
    let text = report.text();
    assert!(text.contains("Success rate:   80.00%"), "{text}");
    assert!(text.contains("5XX"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_answer_is_a_timeout_error_and_the_next_request_still_runs() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(300),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let spec = LoadSpec {
        timeout: Duration::from_millis(100),
        ..spec(1, StopAfter::Requests(4), None)
    };
    let started = Instant::now();
    let r = run(&server, &spec).await;
    let took = started.elapsed();
    assert_eq!(
        r.summary.errors.get(&ErrorKind::Timeout),
        Some(&4),
        "{:?}",
        r.summary
    );
    assert!(r.summary.error_samples[&ErrorKind::Timeout].contains("100ms"));
    // Each request gives up at its own timeout, not later (the worker's timer is re-armed).
    assert!(took < Duration::from_millis(1200), "took {took:?}");
}
