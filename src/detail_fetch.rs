//! Fetching for what the detail, events and quotas views show beyond the fleet polls: the
//! watched endpoint's chart series (one `GetMetricData` query per poll) and CloudTrail pages
//! on demand (`EventsPager`). CloudTrail's 2 calls a second is kept where the limit lives: the
//! AWS backend's process-wide limiter, which the poller and the pager share.

use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::Action;
use crate::app::charts::{ChartWindow, ChartsData, chart_query};
use crate::app::trail_log::{EventsPageResult, EventsRequest};
use crate::boundary::{Backend, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;

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
    use std::time::Duration;

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
