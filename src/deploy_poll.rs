//! Reads the watched endpoint's deployment section while its detail is open — its last
//! deployment config and rollback alarms, shadow tests (with the source and shadow variants'
//! latest ModelLatency, Invocations and 4XX/5XX side by side), data capture, Model Monitor —
//! every 30 s (a few control-plane calls, and four CloudWatch series per variant of an active
//! shadow test), and the endpoint configs and alarm names the deploy dialog offers.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::app::Action;
use crate::app::deploy::{DeployAction, DeployCommand, DeploymentSnapshot, ShadowFigures};
use crate::boundary::{Backend, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;

/// How often the open detail's deployment section is read.
pub const INTERVAL: Duration = Duration::from_secs(30);

pub struct DeployPoller {
    backend: SharedBackend,
    tx: mpsc::Sender<Action>,
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
    pub fn spawn(backend: SharedBackend, clock: SharedClock, tx: mpsc::Sender<Action>) -> Self {
        let (watch_tx, mut watch_rx) = watch::channel::<Option<String>>(None);
        let cancel = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let (b, t, c) = (Arc::clone(&backend), tx.clone(), cancel.clone());
        tasks.spawn(async move {
            loop {
                let watched = watch_rx.borrow_and_update().clone();
                if let Some(endpoint) = watched {
                    let result = read(b.as_ref(), &endpoint, clock.now()).await;
                    let action = Action::Deploy(DeployAction::Polled {
                        endpoint,
                        at: clock.now(),
                        result: result.map(Box::new),
                    });
                    if t.send(action).await.is_err() {
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
            tx,
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
            DeployCommand::FetchChoices => {
                let (b, t) = (Arc::clone(&self.backend), self.tx.clone());
                self.tasks.spawn(async move {
                    let configs = b.list_endpoint_configs().await;
                    let alarms = b.list_alarm_names().await;
                    let _ = t
                        .send(Action::Deploy(DeployAction::Choices { configs, alarms }))
                        .await;
                });
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
