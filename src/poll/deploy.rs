//! Reads the watched endpoint's deployment section while its detail is open — its last
//! deployment config and rollback alarms, shadow tests (with the source and shadow variants'
//! latest ModelLatency, Invocations and 4XX/5XX side by side), data capture, Model Monitor —
//! every 30 s (a few control-plane calls, and four CloudWatch series per variant of an active
//! shadow test), and the endpoint configs and alarm names the deploy dialog offers.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::boundary::{Backend, BackendError, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;
use crate::emit::Emitter;

/// Latest figures of one variant of a shadow test (newest complete minute).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShadowFigures {
    pub variant: String,
    pub invocations: Option<f64>,
    /// Milliseconds.
    pub model_latency_ms: Option<f64>,
    pub errors_4xx: Option<f64>,
    pub errors_5xx: Option<f64>,
}

/// One read of the watched endpoint's deployment section.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentSnapshot {
    pub detail: DeploymentDetail,
    /// Source variant first, then the shadow variants, of the active shadow test.
    pub shadow_figures: Vec<ShadowFigures>,
}

/// What the deploy poller is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployCommand {
    /// Read `ListEndpointConfigs` and the alarm names for the dialog.
    FetchChoices {
        /// The endpoint the dialog deploys to (its account and region are asked).
        endpoint: String,
    },
    /// Read the watched endpoint's deployment now, not at the next [`INTERVAL`]: its status
    /// just changed (a rollback started, a deployment ended), so its alarms and phase did too.
    ReadNow {
        /// The endpoint whose status changed (its account and region are asked).
        endpoint: String,
    },
}

/// What the deploy poller reports.
#[derive(Debug, Clone, PartialEq)]
pub enum DeployEvent {
    /// A read of the watched endpoint's deployment section.
    Polled {
        endpoint: String,
        at: Timestamp,
        result: Result<Box<DeploymentSnapshot>, BackendError>,
    },
    /// The endpoint configs and alarms the deploy dialog offers.
    Choices {
        configs: Result<Vec<EndpointConfigSummary>, BackendError>,
        alarms: Result<Vec<String>, BackendError>,
    },
}

/// How often the open detail's deployment section is read.
pub const INTERVAL: Duration = Duration::from_secs(30);

pub struct DeployPoller {
    backend: SharedBackend,
    emit: Emitter<DeployEvent>,
    watch_tx: watch::Sender<Option<String>>,
    cancel: CancellationToken,
    tasks: JoinSet<()>,
}

/// One read: the detail, plus the shadow test's figures when one is active.
pub async fn read(
    backend: &dyn Backend,
    endpoint: &str,
    now: Timestamp,
) -> BackendResult<DeploymentSnapshot> {
    let detail = backend.describe_deployment(endpoint).await?;
    let mut shadow_figures = Vec::new();
    if let Some(t) = detail.shadow_tests.iter().find(|t| t.is_active()) {
        let variants: Vec<String> = t
            .source_variant
            .iter()
            .cloned()
            .chain(t.shadows.iter().map(|s| s.variant.clone()))
            .collect();
        shadow_figures = figures(backend, endpoint, &variants, now).await;
    }
    Ok(DeploymentSnapshot {
        detail,
        shadow_figures,
    })
}

const SERIES: [(MetricName, Statistic); 4] = [
    (MetricName::Invocations, Statistic::Sum),
    (MetricName::ModelLatency, Statistic::Average),
    (MetricName::Invocation4XXErrors, Statistic::Sum),
    (MetricName::Invocation5XXErrors, Statistic::Sum),
];

/// Latest complete minute of each variant; a failed read leaves the figures unknown.
async fn figures(
    backend: &dyn Backend,
    endpoint: &str,
    variants: &[String],
    now: Timestamp,
) -> Vec<ShadowFigures> {
    let end = crate::domain::Timestamp::from_timestamp(now.timestamp() / 60 * 60, 0).unwrap_or(now);
    let q = MetricQuery {
        series: variants
            .iter()
            .flat_map(|v| {
                SERIES
                    .iter()
                    .map(|(m, s)| SeriesKey::new(endpoint, v, *m, *s))
            })
            .collect(),
        start: end - chrono::Duration::minutes(10),
        end,
        period: Duration::from_secs(60),
    };
    let series = backend.get_metrics(&q).await.unwrap_or_default();
    let latest = |v: &str, m: MetricName| {
        series
            .iter()
            .find(|s| s.key.variant == v && s.key.metric == m)
            .and_then(|s| s.latest())
            .map(|p| p.value)
    };
    variants
        .iter()
        .map(|v| ShadowFigures {
            variant: v.clone(),
            invocations: latest(v, MetricName::Invocations),
            // CloudWatch reports ModelLatency in microseconds.
            model_latency_ms: latest(v, MetricName::ModelLatency).map(|us| us / 1000.0),
            errors_4xx: latest(v, MetricName::Invocation4XXErrors),
            errors_5xx: latest(v, MetricName::Invocation5XXErrors),
        })
        .collect()
}

impl DeployPoller {
    pub fn spawn(
        backend: SharedBackend,
        clock: SharedClock,
        emit: impl Into<Emitter<DeployEvent>>,
    ) -> Self {
        let emit = emit.into();
        let (watch_tx, mut watch_rx) = watch::channel::<Option<String>>(None);
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let (b, t, c) = (Arc::clone(&backend), emit.clone(), cancel.clone());
        tasks.spawn(async move {
            loop {
                let watched = watch_rx.borrow_and_update().clone();
                if let Some(endpoint) = watched {
                    let result = read(b.as_ref(), &endpoint, clock.now()).await;
                    let event = DeployEvent::Polled {
                        endpoint,
                        at: clock.now(),
                        result: result.map(Box::new),
                    };
                    if t.send(event).await.is_err() {
                        return;
                    }
                    tokio::select! {
                        _ = c.cancelled() => return,
                        _ = watch_rx.changed() => {}
                        _ = tokio::time::sleep(INTERVAL) => {}
                    }
                } else {
                    tokio::select! {
                        _ = c.cancelled() => return,
                        r = watch_rx.changed() => if r.is_err() { return },
                    }
                }
            }
        });
        DeployPoller {
            backend,
            emit,
            watch_tx,
            cancel,
            tasks,
        }
    }

    /// The endpoint whose detail is open (read now and every [`INTERVAL`]), or none.
    pub fn watch(&self, endpoint: Option<String>) {
        self.watch_tx.send_replace(endpoint);
    }

    pub fn handle(&mut self, cmd: DeployCommand) {
        match cmd {
            DeployCommand::FetchChoices { .. } => {
                let (b, t) = (Arc::clone(&self.backend), self.emit.clone());
                self.tasks.spawn(async move {
                    let configs = b.list_endpoint_configs().await;
                    let alarms = b.list_alarm_names().await;
                    let _ = t.send(DeployEvent::Choices { configs, alarms }).await;
                });
            }
            DeployCommand::ReadNow { endpoint } => {
                // Marking the watch changed wakes the reading loop at once; another endpoint
                // than the watched one has nothing on screen to refresh.
                self.watch_tx
                    .send_if_modified(|w| w.as_deref() == Some(endpoint.as_str()));
            }
        }
    }

    /// Stops the reads (no task outlives the console).
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}
