//! Fetching for what the detail, events and quotas views show beyond the fleet polls: the
//! watched endpoint's chart series (one `GetMetricData` query per poll), CloudTrail pages on
//! demand (`EventsPager`), and the pacing that keeps every `LookupEvents` call of the console
//! at CloudTrail's 2 calls a second (`PacedTrail`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::app::Action;
use crate::app::charts::{ChartWindow, ChartsData, chart_query};
use crate::app::trail_log::{EventsPageResult, EventsRequest};
use crate::boundary::{Backend, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;

/// CloudTrail `LookupEvents` allows 2 calls a second per account and region.
pub const LOOKUP_SPACING: Duration = Duration::from_millis(500);

/// The charts of `endpoint` over `window` ending at the last complete period before `now`.
pub async fn fetch_charts(
    backend: &dyn Backend,
    endpoint: &Endpoint,
    window: ChartWindow,
    now: Timestamp,
) -> BackendResult<ChartsData> {
    let q = chart_query(endpoint, window, now);
    let series = if q.series.is_empty() {
        Vec::new()
    } else {
        backend.get_metrics(&q).await?
    };
    Ok(ChartsData {
        endpoint: endpoint.name.clone(),
        window,
        start: q.start,
        end: q.end,
        period: q.period,
        series,
    })
}

/// A backend whose `LookupEvents` calls start at least [`LOOKUP_SPACING`] apart (wall time),
/// whoever makes them (the events poller, the pager); everything else passes straight through.
pub struct PacedTrail {
    inner: SharedBackend,
    last: Mutex<Option<Instant>>,
}

impl PacedTrail {
    pub fn new(inner: SharedBackend) -> PacedTrail {
        PacedTrail {
            inner,
            last: Mutex::new(None),
        }
    }

    async fn wait_turn(&self) {
        let mut last = self.last.lock().await;
        if let Some(t) = *last {
            tokio::time::sleep_until(t + LOOKUP_SPACING).await;
        }
        *last = Some(Instant::now());
    }
}

#[async_trait]
impl Backend for PacedTrail {
    async fn identity(&self) -> BackendResult<Identity> {
        self.inner.identity().await
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.inner.list_endpoints().await
    }
    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.inner.describe_endpoint(name).await
    }
    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.inner.describe_autoscaling(endpoint).await
    }
    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.inner.scaling_activities(endpoint, max).await
    }
    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.inner.get_metrics(query).await
    }
    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.wait_turn().await;
        self.inner.lookup_events(query).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.inner.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.inner
            .update_weights_and_capacities(endpoint, changes)
            .await
    }
    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        self.inner
            .register_scalable_target(endpoint, variant, min_capacity, max_capacity)
            .await
    }
    fn api_stats(&self) -> Option<crate::api_stats::ApiStats> {
        self.inner.api_stats()
    }
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.inner.invoke(request).await
    }
}

/// Fetches CloudTrail pages asked for by `Command::FetchEvents`; each answer comes back as
/// `Action::EventsPage`. `update` asks for one page at a time per lookup.
pub struct EventsPager {
    backend: SharedBackend,
    clock: SharedClock,
    tx: mpsc::Sender<Action>,
    tasks: JoinSet<()>,
}

impl EventsPager {
    pub fn new(backend: SharedBackend, clock: SharedClock, tx: mpsc::Sender<Action>) -> Self {
        EventsPager {
            backend,
            clock,
            tx,
            tasks: JoinSet::new(),
        }
    }

    pub fn fetch(&mut self, request: EventsRequest) {
        while self.tasks.try_join_next().is_some() {}
        let backend = Arc::clone(&self.backend);
        let clock = Arc::clone(&self.clock);
        let tx = self.tx.clone();
        self.tasks.spawn(async move {
            let result = backend.lookup_events(&request.query()).await;
            let page = EventsPageResult {
                resource: request.resource,
                at: clock.now(),
                result,
            };
            let _ = tx.send(Action::EventsPage(page)).await;
        });
    }

    /// Stops fetches in flight (no task outlives the console).
    pub async fn shutdown(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock, fixture_epoch};
    use crate::sim::SimAccount;

    #[tokio::test]
    async fn lookups_are_spaced_to_two_a_second() {
        let clock = ManualClock::new(fixture_epoch());
        let sim: SharedBackend = Arc::new(SimAccount::new(7, Arc::new(clock)));
        let paced = PacedTrail::new(sim);
        let t0 = Instant::now();
        for _ in 0..3 {
            paced
                .lookup_events(&EventQuery {
                    max_results: 5,
                    ..EventQuery::default()
                })
                .await
                .unwrap();
        }
        assert!(
            t0.elapsed() >= Duration::from_millis(1_000),
            "{:?}",
            t0.elapsed()
        );
        // Other calls are not paced.
        let t1 = Instant::now();
        paced.list_quotas().await.unwrap();
        paced.list_quotas().await.unwrap();
        assert!(t1.elapsed() < LOOKUP_SPACING);
    }

    #[tokio::test]
    async fn charts_of_one_endpoint_cover_the_window() {
        let clock = ManualClock::new(fixture_epoch());
        let sim = SimAccount::new(7, Arc::new(clock.clone()));
        clock.advance(Duration::from_secs(600));
        let e = sim.describe_endpoint("fraud-detection-xgb").await.unwrap();
        let now = clock.now();
        let d = fetch_charts(&sim, &e, ChartWindow::H1, now).await.unwrap();
        assert_eq!(d.period, Duration::from_secs(60));
        assert_eq!((d.end - d.start).num_minutes(), 60);
        let inv = d
            .series
            .iter()
            .find(|s| s.key.metric == MetricName::Invocations)
            .unwrap();
        assert!(inv.points.len() >= 55, "{} points", inv.points.len());
    }
}
