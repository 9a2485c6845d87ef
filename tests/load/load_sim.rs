//! Load runs against the simulated account: the invoked-variant split follows the weights
//! over 1,000 requests through the `Backend` directly, through the sim's HTTP server on the
//! plain-URL path, and through the SageMaker runtime SDK client (SigV4) against that server;
//! the server speaks SageMaker's REST shape (variant headers, AWS JSON errors).

use std::sync::Arc;

use sagetop::boundary::{Backend, SharedBackend};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::load::{
    BackendTarget, LoadSpec, LoadTarget, Payloads, RequestOptions, RunControl, RunResult,
    StopAfter, UrlTarget,
};
use sagetop::sim::SimAccount;
use sagetop::sim::wire::SimServer;
use tokio_util::sync::CancellationToken;

fn sim() -> (Arc<SimAccount>, SharedClock) {
    let clock: SharedClock = Arc::new(ManualClock::new(fixture_epoch()));
    (Arc::new(SimAccount::new(7, clock.clone())), clock)
}

/// The expected traffic share of each variant of `endpoint`, from its weights.
async fn shares(backend: &dyn Backend, endpoint: &str) -> Vec<(String, f64)> {
    let e = backend.describe_endpoint(endpoint).await.unwrap();
    let total: f64 = e.variants.iter().map(|v| v.current_weight.unwrap()).sum();
    e.variants
        .iter()
        .map(|v| (v.name.clone(), v.current_weight.unwrap() / total))
        .collect()
}

async fn run(target: LoadTarget, clock: SharedClock) -> RunResult {
    let spec = LoadSpec {
        concurrency: 16,
        stop: StopAfter::Requests(1000),
        ..LoadSpec::default()
    };
    let ctl = RunControl {
        clock,
        cancel: CancellationToken::new(),
        progress: None,
    };
    sagetop::load::run(target, &spec, ctl).await
}

fn assert_split(r: &RunResult, expected: &[(String, f64)]) {
    let s = &r.summary;
    assert_eq!(s.requests, 1000, "{s:?}");
    let attributed: u64 = s.variants.values().map(|v| v.requests).sum();
    assert!(
        attributed >= 950,
        "most answers name a variant: {attributed}"
    );
    for (name, share) in expected {
        let got = s.variants.get(name).map_or(0.0, |v| v.share);
        assert!(
            (got - share).abs() < 0.04,
            "variant {name}: {got:.3} of the requests, weights say {share:.3} ({:?})",
            s.variants
        );
    }
}

fn payloads() -> Payloads {
    Payloads::from_body("0.31,1.7,0,12.5").unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variant_split_follows_the_weights_through_the_backend() {
    let (sim, clock) = sim();
    let backend: SharedBackend = sim;
    for endpoint in ["recommender-ranking", "churn-predictor"] {
        let expected = shares(backend.as_ref(), endpoint).await;
        assert_eq!(expected.len(), 2, "{endpoint} has two variants");
        let t = BackendTarget::new(
            backend.clone(),
            endpoint,
            &RequestOptions::default(),
            payloads(),
        );
        assert_split(&run(LoadTarget::Backend(t), clock.clone()).await, &expected);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variant_split_follows_the_weights_through_the_sim_http_server() {
    let (sim, clock) = sim();
    let backend: SharedBackend = sim;
    let server = SimServer::start(backend.clone(), clock.clone())
        .await
        .unwrap();
    let expected = shares(backend.as_ref(), "recommender-ranking").await;
    let t = UrlTarget::new(
        &server.invocations_url("recommender-ranking"),
        &RequestOptions::default(),
        payloads(),
    )
    .await
    .unwrap();
    t.ping().await.expect("the sim server answers /ping");
    let r = run(LoadTarget::Url(Box::new(t)), clock.clone()).await;
    assert_split(&r, &expected);
    // Real HTTP, the modelled latency slept by the server.
    assert_eq!(
        r.summary.status_codes.get(&200).copied().unwrap_or(0) + r.summary.failed,
        1000
    );
    assert!(r.summary.latency.unwrap().p50.as_millis() >= 2);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variant_split_follows_the_weights_through_the_sdk_runtime_client() {
    let (sim, clock) = sim();
    let backend: SharedBackend = sim;
    let server = SimServer::start(backend.clone(), clock.clone())
        .await
        .unwrap();
    let expected = shares(backend.as_ref(), "churn-predictor").await;
    let client = sagetop::load::sdk::sim_runtime(&server.base_url())
        .await
        .unwrap();
    let t = BackendTarget::new(
        client,
        "churn-predictor",
        &RequestOptions::default(),
        payloads(),
    );
    assert_split(&run(LoadTarget::Backend(t), clock).await, &expected);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_variant_and_errors_keep_sagemakers_rest_shape() {
    let (sim, clock) = sim();
    let backend: SharedBackend = sim;
    let server = SimServer::start(backend, clock.clone()).await.unwrap();
    // TargetVariant pins every request to one variant.
    let opts = RequestOptions {
        variant: Some("Canary".into()),
        ..RequestOptions::default()
    };
    let t = UrlTarget::new(
        &server.invocations_url("recommender-ranking"),
        &opts,
        payloads(),
    )
    .await
    .unwrap();
    let spec = LoadSpec {
        concurrency: 4,
        stop: StopAfter::Requests(40),
        ..LoadSpec::default()
    };
    let ctl = || RunControl {
        clock: clock.clone(),
        cancel: CancellationToken::new(),
        progress: None,
    };
    let r = sagetop::load::run(LoadTarget::Url(Box::new(t)), &spec, ctl()).await;
    assert_eq!(r.summary.variants.keys().collect::<Vec<_>>(), ["Canary"]);

    // An unknown endpoint is a 400 ValidationError; through the SDK it is a 4XX too.
    let t = UrlTarget::new(
        &server.invocations_url("nope"),
        &RequestOptions::default(),
        payloads(),
    )
    .await
    .unwrap();
    let r = sagetop::load::run(LoadTarget::Url(Box::new(t)), &spec, ctl()).await;
    assert_eq!(
        r.summary.status_codes.get(&400),
        Some(&40),
        "{:?}",
        r.summary
    );
    assert!(r.summary.error_samples.values().any(|m| m.contains("400")));
    let client = sagetop::load::sdk::sim_runtime(&server.base_url())
        .await
        .unwrap();
    let t = BackendTarget::new(client, "nope", &RequestOptions::default(), payloads());
    let r = sagetop::load::run(LoadTarget::Backend(t), &spec, ctl()).await;
    assert_eq!(r.summary.failed, 40);
    let sample = r.summary.error_samples.values().next().unwrap();
    assert!(
        sample.contains("nope"),
        "the AWS error message survives: {sample}"
    );
    server.shutdown().await;
}
