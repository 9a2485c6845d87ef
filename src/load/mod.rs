//! Local load runs ("benchmarks") against a SageMaker endpoint or a plain URL: the tokio
//! engine, its targets, payloads, statistics and reports. Used by `sagetop bench` and by the
//! console's `b` run panel.
//!
//! Design: `spec.concurrency` workers, each with its own keep-alive connection and its own
//! hdrhistogram recorder (no lock per request), claim request slots from one atomic counter.
//! Closed loop sends on each answer; open loop (`rate`) schedules slot k at k/rate and
//! measures latency from that scheduled start (coordinated-omission correction). Workers
//! flush nonzero histogram buckets every 250 ms to the aggregating loop, which merges them and
//! emits owned progress snapshots; the final merge is the run's result.

pub mod conn;
pub mod console;
pub mod engine;
mod engine_pool;
pub mod errors;
mod h1;
pub mod http;
pub mod locust;
pub mod loopback;
pub mod payload;
pub mod report;
pub mod sdk;
pub mod sign;
pub mod sigv4;
pub mod spec;
pub mod stats;
pub mod stream;
pub mod summary;
pub mod target;

pub use engine::{OpenLoop, Progress, RunControl, RunResult, StopReason};
use engine_pool::{current_thread, engine_threads};
pub use payload::{PayloadError, PayloadSource, Payloads};
pub use report::{Budgets, RunParams, RunReport, TargetInfo};
pub use spec::{Caps, InFlight, LoadSpec, SpecError, StopAfter};
pub use stats::{ErrorKind, LatencyStats, Summary, VariantStats};
pub use target::{BackendTarget, HttpClient, LoadTarget, RequestOptions, TargetError, UrlTarget};

/// Where InvokeEndpoint goes: `--endpoint-url` when given, else the region's runtime endpoint.
/// https://docs.aws.amazon.com/general/latest/gr/sagemaker.html
pub fn runtime_url(access: &crate::aws::signing::RuntimeAccess) -> String {
    match &access.endpoint_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None if access.region.starts_with("cn-") => {
            format!(
                "https://runtime.sagemaker.{}.amazonaws.com.cn",
                access.region
            )
        }
        None => format!("https://runtime.sagemaker.{}.amazonaws.com", access.region),
    }
}

/// Runs `spec` against either kind of target on the engine's own threads (every core, or
/// `spec.threads`), apart from the caller's runtime (the console's UI), which stays responsive
/// however hard the run pushes. Each thread runs a single-threaded runtime of its own with its
/// share of the workers — their connections, timers and socket readiness never leave that
/// thread (no work stealing, no cross-thread wake-ups per request); a further thread gathers
/// the figures.
pub async fn run(target: LoadTarget, spec: &LoadSpec, ctl: RunControl) -> RunResult {
    let threads = spec.threads.map_or_else(
        || std::thread::available_parallelism().map_or(2, |n| n.get()),
        |n| n.max(1) as usize,
    );
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spec = spec.clone();
    let clock = ctl.clock.clone();
    let started_at = clock.now();
    let cancel = ctl.cancel.clone();
    let spawned = engine_threads(threads).and_then(|(pool, handles)| {
        let control = current_thread()?;
        std::thread::Builder::new()
            .name("sagetop-load-engine".into())
            .spawn(move || {
                let result = control.block_on(async move {
                    match target {
                        LoadTarget::Url(t) => engine::run(*t, &spec, ctl, &handles).await,
                        LoadTarget::Backend(t) => engine::run(t, &spec, ctl, &handles).await,
                    }
                });
                let _ = tx.send(result);
                // Connection drivers still parked on the worker threads end with them, here.
                pool.stop();
                control.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(|e| e.to_string())
    });
    let failed = |why: String| {
        tracing::error!(error = %why, "load engine failed");
        RunResult {
            started_at,
            finished_at: clock.now(),
            stop: StopReason::Stopped,
            summary: Summary::empty(),
            in_flight: InFlight::default(),
            open_loop: None,
            threads,
        }
    };
    match spawned {
        Err(e) => failed(format!("cannot start the load engine: {e}")),
        Ok(handle) => {
            let result = rx.await;
            let _ = tokio::task::spawn_blocking(move || handle.join()).await;
            match result {
                Ok(mut r) => {
                    r.threads = threads;
                    r
                }
                Err(_) => {
                    cancel.cancel();
                    failed("the load engine stopped without a result".into())
                }
            }
        }
    }
}
