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

pub mod console;
pub mod engine;
pub mod loopback;
pub mod payload;
pub mod report;
pub mod sdk;
pub mod spec;
pub mod stats;
pub mod summary;
pub mod target;

pub use engine::{Progress, RunControl, RunResult, StopReason};
pub use payload::{PayloadError, PayloadSource, Payloads};
pub use report::{Budgets, RunParams, RunReport, TargetInfo};
pub use spec::{Caps, LoadSpec, SpecError, StopAfter};
pub use stats::{ErrorKind, LatencyStats, Summary, VariantStats};
pub use target::{BackendTarget, LoadTarget, RequestOptions, TargetError, UrlTarget};

/// Runs `spec` against either kind of target.
pub async fn run(target: LoadTarget, spec: &LoadSpec, ctl: RunControl) -> RunResult {
    match target {
        LoadTarget::Url(t) => engine::run(*t, spec, ctl).await,
        LoadTarget::Backend(t) => engine::run(t, spec, ctl).await,
    }
}
