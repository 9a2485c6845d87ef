//! The lean InvokeEndpoint path on the wire, against loopback servers that can say no: SigV4
//! recomputed by the server (a wrong key is refused), https with a self-signed certificate,
//! AWS error codes read from the answer, `-q 200` counted at the server, requests in flight
//! at the deadline counted or waited for, timeouts in the all-requests view, coordinated
//! omission with several workers, and a streamed answer's delayed first chunk. Runs that
//! depend on timing go one at a time.

use std::sync::Arc;
use std::time::Duration;

use sagetop::aws::signing::{SigningCredentials, SigningKeys};
use sagetop::clock::SystemClock;
use sagetop::load::loopback::{LoopbackConfig, LoopbackServer};
use sagetop::load::sign::Signer;
use sagetop::load::{
    ErrorKind, HttpClient, InFlight, LoadSpec, LoadTarget, Payloads, RequestOptions, RunControl,
    RunResult, StopAfter, UrlTarget,
};
use tokio::sync::MutexGuard;
use tokio_util::sync::CancellationToken;

async fn serial() -> MutexGuard<'static, ()> {
    crate::TIMING.lock().await
}

fn keys(secret: &str) -> SigningKeys {
    SigningKeys {
        access_key_id: "AKIDLOOPBACK".into(),
        secret_access_key: secret.into(),
        session_token: Some("session-token".into()),
        expires: None,
    }
}

fn signer(secret: &str) -> Signer {
    Signer {
        region: "eu-west-1".into(),
        credentials: Arc::new(SigningCredentials::fixed(keys(secret))),
    }
}

fn spec(concurrency: u32, stop: StopAfter) -> LoadSpec {
    LoadSpec {
        concurrency,
        stop,
        threads: Some(2),
        ..LoadSpec::default()
    }
}

async fn run(target: UrlTarget, spec: &LoadSpec) -> RunResult {
    let ctl = RunControl {
        clock: Arc::new(SystemClock),
        cancel: CancellationToken::new(),
        progress: None,
    };
    sagetop::load::run(LoadTarget::Url(Box::new(target)), spec, ctl).await
}

fn body() -> Payloads {
    Payloads::from_body("1.0,2.0").unwrap()
}

fn tls_files() -> (Vec<u8>, Vec<u8>) {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/");
    (
        std::fs::read(format!("{dir}cert.pem")).unwrap(),
        std::fs::read(format!("{dir}key.pem")).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_recomputes_the_sigv4_signature_and_refuses_a_wrong_one() {
    let server = LoopbackServer::start(LoopbackConfig {
        sigv4: Some((keys("right-secret"), "eu-west-1".into())),
        variant: Some("VariantA".into()),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let opts = RequestOptions {
        custom_attributes: Some("trace=1".into()),
        headers: vec![("X-Extra".into(), "yes".into())],
        ..RequestOptions::default()
    };
    let t = UrlTarget::endpoint(
        &server.base_url(),
        "ep",
        &opts,
        body(),
        signer("right-secret"),
        false,
    )
    .await
    .unwrap();
    let r = run(t, &spec(4, StopAfter::Requests(40))).await;
    assert_eq!(server.bad_signatures(), (0, None));
    assert_eq!(
        (r.summary.requests, r.summary.succeeded),
        (40, 40),
        "{:?}",
        r.summary
    );
    assert_eq!(r.summary.variants["VariantA"].requests, 40);

    let t = UrlTarget::endpoint(
        &server.base_url(),
        "ep",
        &opts,
        body(),
        signer("wrong"),
        false,
    )
    .await
    .unwrap();
    let r = run(t, &spec(2, StopAfter::Requests(10))).await;
    let (bad, why) = server.bad_signatures();
    assert_eq!(bad, 10);
    assert!(why.unwrap().contains("signature mismatch"));
    assert_eq!(r.summary.succeeded, 0);
    assert_eq!(r.summary.status_codes.get(&403), Some(&10));
    assert_eq!(
        r.summary.error_codes.get("InvalidSignatureException"),
        Some(&10)
    );
    assert_eq!(r.summary.errors.get(&ErrorKind::Client4xx), Some(&10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_to_a_self_signed_server_needs_insecure() {
    let server = LoopbackServer::start(LoopbackConfig {
        tls: Some(tls_files()),
        sigv4: Some((keys("s"), "eu-west-1".into())),
        ..LoopbackConfig::default()
    })
    .unwrap();
    assert!(server.base_url().starts_with("https://"));
    let insecure = RequestOptions {
        insecure: true,
        ..RequestOptions::default()
    };
    let t = UrlTarget::endpoint(
        &server.base_url(),
        "ep",
        &insecure,
        body(),
        signer("s"),
        false,
    )
    .await
    .unwrap();
    let r = run(t, &spec(2, StopAfter::Requests(20))).await;
    assert_eq!(r.summary.succeeded, 20, "{:?}", r.summary);
    assert_eq!(server.bad_signatures().0, 0);
    // --url https:// too (a server that does not ask for signatures).
    let server = LoopbackServer::start(LoopbackConfig {
        tls: Some(tls_files()),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::new(&server.invocations_url(), &insecure, body())
        .await
        .unwrap();
    t.ping().await.unwrap();
    // Two connections were dialled (TCP + TLS) and reported.
    let r = run(t, &spec(2, StopAfter::Requests(10))).await;
    assert_eq!(r.summary.succeeded, 10);
    assert!(r.summary.dial.is_some());

    // Without --insecure the self-signed certificate is refused: nothing arrives.
    let before = server.invocations();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &RequestOptions::default(),
        body(),
    )
    .await
    .unwrap();
    let r = run(t, &spec(1, StopAfter::Requests(3))).await;
    assert_eq!(
        r.summary.errors.get(&ErrorKind::Connect),
        Some(&3),
        "{:?}",
        r.summary
    );
    assert!(r.summary.error_samples[&ErrorKind::Connect].contains("TLS"));
    assert_eq!(server.invocations(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_error_codes_are_read_from_the_answer() {
    let server = LoopbackServer::start(LoopbackConfig {
        fail_every: Some(4),
        fail_with: (424, Some("ModelError")),
        variant: Some("B".into()),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::endpoint(
        &server.base_url(),
        "ep",
        &RequestOptions::default(),
        body(),
        signer("s"),
        false,
    )
    .await
    .unwrap();
    let r = run(t, &spec(1, StopAfter::Requests(40))).await;
    assert_eq!(r.summary.errors.get(&ErrorKind::ModelError), Some(&10));
    assert_eq!(r.summary.error_codes.get("ModelError"), Some(&10));
    assert_eq!(r.summary.status_codes.get(&424), Some(&10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_200_arrives_at_200_per_second() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig::default()).unwrap();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &RequestOptions::default(),
        body(),
    )
    .await
    .unwrap();
    let spec = LoadSpec {
        rate: Some(200.0),
        ..spec(8, StopAfter::Duration(Duration::from_secs(3)))
    };
    let r = run(t, &spec).await;
    let arrived = server.invocations();
    // 200/s ± 2% over 3 s, counted where the requests land.
    assert!((588..=612).contains(&arrived), "{arrived} arrived");
    let ol = r.open_loop.expect("open-loop figures");
    assert_eq!(ol.scheduled, 600);
    assert!(ol.warning().is_none(), "{ol:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_flight_requests_at_the_deadline_are_counted_or_waited_for() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(300),
        threads: 2,
        ..LoopbackConfig::default()
    })
    .unwrap();
    let target = || async {
        UrlTarget::new(
            &server.invocations_url(),
            &RequestOptions::default(),
            body(),
        )
        .await
        .unwrap()
    };
    // Deadline at 1 s: each of 2 workers has finished 3 (0.3, 0.6, 0.9 s) and has one in flight.
    let counted = run(
        target().await,
        &spec(2, StopAfter::Duration(Duration::from_secs(1))),
    )
    .await;
    assert_eq!(counted.in_flight, InFlight::Count);
    assert_eq!(
        (counted.summary.requests, counted.summary.aborted),
        (6, 2),
        "{:?}",
        counted.summary
    );
    let waited_spec = LoadSpec {
        in_flight: InFlight::Wait,
        ..spec(2, StopAfter::Duration(Duration::from_secs(1)))
    };
    let waited = run(target().await, &waited_spec).await;
    assert_eq!(
        (waited.summary.requests, waited.summary.aborted),
        (8, 0),
        "{:?}",
        waited.summary
    );
    assert!(waited.summary.elapsed >= Duration::from_millis(1200));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_are_in_the_all_requests_view_only() {
    let _g = serial().await;
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(5),
        stall_once: Some((3, Duration::from_secs(2))),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &RequestOptions::default(),
        body(),
    )
    .await
    .unwrap();
    let s = LoadSpec {
        timeout: Duration::from_millis(250),
        ..spec(1, StopAfter::Requests(10))
    };
    let r = run(t, &s).await;
    assert_eq!(r.summary.errors.get(&ErrorKind::Timeout), Some(&1));
    assert!(r.summary.latency.unwrap().slowest < Duration::from_millis(250));
    assert!(r.summary.latency_all.unwrap().slowest >= Duration::from_millis(250));
    assert_eq!(r.summary.answered, 9);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stall_with_several_workers_is_charged_from_the_due_time() {
    let _g = serial().await;
    // Two workers at 20 ms each can do 100/s: asked 60/s they keep up until one stalls for
    // 600 ms; the other alone does 50/s, so slots fall behind and start late.
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(20),
        stall_once: Some((40, Duration::from_millis(600))),
        threads: 2,
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &RequestOptions::default(),
        body(),
    )
    .await
    .unwrap();
    let s = LoadSpec {
        rate: Some(60.0),
        ..spec(2, StopAfter::Duration(Duration::from_secs(3)))
    };
    let r = run(t, &s).await;
    let ol = r.open_loop.unwrap();
    assert!(ol.late >= 3, "{ol:?}");
    let lat = r.summary.latency.unwrap();
    // Requests queued behind the stall count their wait: well above the server's 20 ms.
    assert!(lat.p99 > Duration::from_millis(80), "{lat:?} {ol:?}");
    assert!(lat.p50 < Duration::from_millis(60), "{lat:?} {ol:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_answer_reports_its_delayed_first_chunk() {
    let server = LoopbackServer::start(LoopbackConfig {
        stream_chunks: 5,
        first_chunk_after: Duration::from_millis(200),
        chunk_every: Duration::from_millis(20),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::endpoint(
        &server.base_url(),
        "llm",
        &RequestOptions::default(),
        body(),
        signer("s"),
        true,
    )
    .await
    .unwrap();
    let r = run(t, &spec(2, StopAfter::Requests(6))).await;
    assert_eq!(r.summary.succeeded, 6, "{:?}", r.summary);
    let st = r.summary.stream.expect("stream figures");
    assert_eq!((st.responses, st.chunks), (6, 30));
    let first = st.first_chunk.unwrap();
    let total = st.total.unwrap();
    assert!(first.p50 >= Duration::from_millis(200), "{first:?}");
    // Four more chunks 20 ms apart follow the first: 80 ms, less what the histograms' rounding
    // and a busy scheduler take off each side (a few ms); a total equal to the first chunk's
    // time (chunks not waited for) still fails.
    assert!(
        total.p50 >= first.p50 + Duration::from_millis(60),
        "{first:?} {total:?}"
    );
    let rate = st.chunks_per_sec.unwrap();
    assert!(rate.p50 > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_payloads_arrive_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    // Bytes of every value, NUL and invalid UTF-8 included, like an image or an npy array.
    let image: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let file = dir.path().join("cat.jpg");
    std::fs::write(&file, &image).unwrap();
    let server = LoopbackServer::start(LoopbackConfig {
        keep_bodies: true,
        sigv4: Some((keys("s"), "eu-west-1".into())),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let payloads = Payloads::from_whole_file(&file).unwrap();
    let opts = RequestOptions {
        content_type: "application/x-image".into(),
        ..RequestOptions::default()
    };
    let t = UrlTarget::endpoint(
        &server.base_url(),
        "ep",
        &opts,
        payloads,
        signer("s"),
        false,
    )
    .await
    .unwrap();
    let r = run(t, &spec(2, StopAfter::Requests(5))).await;
    assert_eq!(r.summary.succeeded, 5, "{:?}", r.summary);
    let bodies = server.bodies();
    assert_eq!(bodies.len(), 5);
    assert!(bodies.iter().all(|b| b.as_ref() == image.as_slice()));

    // A directory: one body per file, in name order.
    let many = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("2.pb", vec![2u8, 0, 255]),
        ("1.pb", vec![1u8, 0]),
        ("3.pb", vec![3u8]),
    ] {
        std::fs::write(many.path().join(name), bytes).unwrap();
    }
    let server = LoopbackServer::start(LoopbackConfig {
        keep_bodies: true,
        ..LoopbackConfig::default()
    })
    .unwrap();
    let t = UrlTarget::new(
        &server.invocations_url(),
        &opts,
        Payloads::from_dir(many.path()).unwrap(),
    )
    .await
    .unwrap();
    run(t, &spec(1, StopAfter::Requests(3))).await;
    let got: Vec<Vec<u8>> = server.bodies().iter().map(|b| b.to_vec()).collect();
    assert_eq!(got, vec![vec![1u8, 0], vec![2, 0, 255], vec![3]]);
}

/// `--http-client own` (the default) and `--http-client hyper` carry the same run the same
/// way: HTTPS to a self-signed server, SigV4 recomputed by the server, a 70 KB binary body
/// (written apart from the head on the own exchange) arriving byte-identical, the invoked
/// variant of each successful answer and every fourth answer's ModelError read off the wire.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_http_clients_sign_frame_and_read_the_same() {
    let image: Vec<u8> = (0..70_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    for client in [HttpClient::Own, HttpClient::Hyper] {
        let server = LoopbackServer::start(LoopbackConfig {
            tls: Some(tls_files()),
            keep_bodies: true,
            sigv4: Some((keys("s"), "eu-west-1".into())),
            variant: Some("VariantB".into()),
            fail_every: Some(4),
            fail_with: (424, Some("ModelError")),
            ..LoopbackConfig::default()
        })
        .unwrap();
        let opts = RequestOptions {
            content_type: "application/x-npy".into(),
            insecure: true,
            client,
            ..RequestOptions::default()
        };
        let t = UrlTarget::endpoint(
            &server.base_url(),
            "ep",
            &opts,
            Payloads::from_bodies(vec![image.clone().into()]),
            signer("s"),
            false,
        )
        .await
        .unwrap();
        let r = run(t, &spec(2, StopAfter::Requests(16))).await;
        let s = &r.summary;
        assert_eq!(server.bad_signatures().0, 0, "{client:?}");
        assert_eq!((s.requests, s.succeeded), (16, 12), "{client:?}: {s:?}");
        assert_eq!(s.error_codes.get("ModelError"), Some(&4), "{client:?}");
        assert_eq!(s.status_codes.get(&424), Some(&4), "{client:?}");
        // The server names the variant on its successful answers only.
        assert_eq!(s.variants["VariantB"].requests, 12, "{client:?}");
        let bodies = server.bodies();
        assert_eq!(bodies.len(), 16, "{client:?}");
        assert!(
            bodies.iter().all(|b| b.as_ref() == image.as_slice()),
            "{client:?}: a body arrived changed"
        );
    }
}
