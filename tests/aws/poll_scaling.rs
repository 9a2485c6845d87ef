//! The endpoints poller against a flaky account: a throttled DescribeEndpoint keeps the
//! endpoint's last good description (its variants), so its figures keep being polled, and the
//! row is marked with the error. Pollers run on paused tokio time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use sagetop::app::{Action, Panel, PanelData};
use sagetop::boundary::{Backend, BackendError, BackendResult, Operation, SharedBackend};
use sagetop::clock::{Clock, fixture_epoch};
use sagetop::domain::*;
use sagetop::poll::{PollIntervals, Pollers};
use sagetop::sim::SimAccount;
use tokio::sync::mpsc;

struct TokioClock {
    origin: Timestamp,
    started: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        self.origin + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// The simulated account whose DescribeEndpoint of one endpoint is throttled when set.
struct Flaky {
    inner: Arc<SimAccount>,
    throttled: Mutex<Option<String>>,
}

#[async_trait]
impl Backend for Flaky {
    async fn identity(&self) -> BackendResult<Identity> {
        self.inner.identity().await
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.inner.list_endpoints().await
    }
    async fn describe_endpoint(&self, n: &str) -> BackendResult<Endpoint> {
        if self.throttled.lock().unwrap().as_deref() == Some(n) {
            return Err(BackendError::Throttled {
                operation: Operation::DescribeEndpoint,
                message: "Rate exceeded".into(),
            });
        }
        self.inner.describe_endpoint(n).await
    }
    async fn describe_autoscaling(&self, e: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.inner.describe_autoscaling(e).await
    }
    async fn scaling_activities(&self, e: &str, m: usize) -> BackendResult<Vec<ScalingActivity>> {
        self.inner.scaling_activities(e, m).await
    }
    async fn get_metrics(&self, q: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.inner.get_metrics(q).await
    }
    async fn lookup_events(&self, q: &EventQuery) -> BackendResult<EventPage> {
        self.inner.lookup_events(q).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.inner.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        e: &str,
        c: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.inner.update_weights_and_capacities(e, c).await
    }
    async fn register_scalable_target(
        &self,
        e: &str,
        v: &str,
        a: u32,
        b: u32,
    ) -> BackendResult<WriteReceipt> {
        self.inner.register_scalable_target(e, v, a, b).await
    }
    async fn invoke(&self, r: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.inner.invoke(r).await
    }
}

const EP: &str = "fraud-detection-xgb";

#[tokio::test(start_paused = true)]
async fn a_throttled_describe_keeps_the_variants_and_the_figures() {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock {
        origin: fixture_epoch(),
        started: tokio::time::Instant::now(),
    });
    let sim = Arc::new(SimAccount::new(7, clock.clone()));
    let flaky = Arc::new(Flaky {
        inner: sim,
        throttled: Mutex::new(None),
    });
    let backend: SharedBackend = flaky.clone();
    let (tx, mut rx) = mpsc::channel::<Action>(256);
    let pollers = Pollers::spawn(backend, clock.clone(), PollIntervals::aws(), tx, 7);
    // The detail of EP is open: it is described every cycle.
    pollers.watch(Some(EP.into()));
    let mut throttled_at = None;
    let mut failed_seen = false;
    let mut metrics_after_failure = false;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(600);
    while let Ok(Some(action)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let Action::Polled(p) = action else { continue };
        match (p.panel, p.result) {
            (Panel::Endpoints, Ok(PanelData::Endpoints(d))) => {
                let e = d.endpoints.iter().find(|e| e.name == EP).expect("listed");
                if throttled_at.is_none() && !e.variants.is_empty() {
                    *flaky.throttled.lock().unwrap() = Some(EP.into());
                    throttled_at = Some(clock.now());
                } else if throttled_at.is_some() && d.failed.contains_key(EP) {
                    assert!(!e.variants.is_empty(), "last good variants kept: {e:?}");
                    assert!(matches!(d.failed[EP], BackendError::Throttled { .. }));
                    failed_seen = true;
                }
            }
            (Panel::Metrics, Ok(PanelData::Metrics(m))) if failed_seen => {
                assert!(
                    m.latest.keys().any(|(e, _)| e == EP),
                    "figures of {EP} still polled while its describe is throttled"
                );
                metrics_after_failure = true;
                break;
            }
            _ => {}
        }
    }
    pollers.shutdown().await;
    assert!(failed_seen, "the throttled describe was reported");
    assert!(metrics_after_failure, "a metrics poll followed");
}
