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
pub mod errors;
pub mod http;
pub mod locust;
pub mod loopback;
pub mod payload;
pub mod report;
pub mod sdk;
pub mod sign;
pub mod spec;
pub mod stats;
pub mod stream;
pub mod summary;
pub mod target;

pub use engine::{OpenLoop, Progress, RunControl, RunResult, StopReason};
pub use payload::{PayloadError, PayloadSource, Payloads};
pub use report::{Budgets, RunParams, RunReport, TargetInfo};
pub use spec::{Caps, InFlight, LoadSpec, SpecError, StopAfter};
pub use stats::{ErrorKind, LatencyStats, Summary, VariantStats};
pub use target::{BackendTarget, LoadTarget, RequestOptions, TargetError, UrlTarget};

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

/// Runs `spec` against either kind of target on the engine's own multi-thread runtime (every
/// core, or `spec.threads`), on a thread of its own: the caller's runtime (the console's UI)
/// stays responsive however hard the run pushes.
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("sagetop-load")
        .enable_all()
        .build();
    let spawned = runtime.map_err(|e| e.to_string()).and_then(|rt| {
        std::thread::Builder::new()
            .name("sagetop-load-engine".into())
            .spawn(move || {
                let result = rt.block_on(async move {
                    match target {
                        LoadTarget::Url(t) => engine::run(*t, &spec, ctl).await,
                        LoadTarget::Backend(t) => engine::run(t, &spec, ctl).await,
                    }
                });
                let _ = tx.send(result);
                // Connection drivers still parked on the runtime end with it, here.
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
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
