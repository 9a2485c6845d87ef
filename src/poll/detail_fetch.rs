//! Fetching for what the detail, events and quotas views show beyond the fleet polls: the
//! watched endpoint's chart series (one `GetMetricData` query per poll) and CloudTrail pages
//! on demand (`EventsPager`). CloudTrail's 2 calls a second is kept where the limit lives: the
//! AWS backend's process-wide limiter, which the poller and the pager share.

use std::sync::Arc;

use tokio::task::JoinSet;

use crate::boundary::{Backend, BackendError, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::*;
use crate::emit::Emitter;
use crate::poll::charts::{ChartWindow, ChartsData, chart_query};

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

/// Which lookup a page belongs to: every SageMaker event (`None`), or the events naming one
/// resource (`Some(endpoint)`, CloudTrail's ResourceName lookup attribute).
pub type LookupScope = Option<String>;

/// One `LookupEvents` page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsRequest {
    pub resource: LookupScope,
    pub next_token: Option<String>,
    /// The EndTime of the lookup's first call (the oldest event of the newest polled page, so
    /// the first page asked for is older than what the poller already brought). Every later
    /// page of the lookup sends it again with its token.
    pub end: Option<Timestamp>,
    /// Writes only (reads hidden): CloudTrail's ReadOnly=false lookup for the whole account,
    /// a client-side filter for a resource lookup.
    pub writes_only: bool,
}

impl EventsRequest {
    /// The `LookupEvents` parameters. A NextToken is only valid with exactly the parameters of
    /// the call that returned it (otherwise InvalidNextTokenException), so a page with a token
    /// carries the first call's EndTime and lookup attribute unchanged:
    /// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
    pub fn query(&self) -> EventQuery {
        EventQuery {
            resource: self.resource.clone(),
            next_token: self.next_token.clone(),
            end: self.end,
            writes_only: self.writes_only,
            max_results: MAX_EVENTS_PER_PAGE,
            ..EventQuery::default()
        }
    }
}

/// What came back for an [`EventsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventsPageResult {
    pub resource: LookupScope,
    pub at: Timestamp,
    pub result: Result<EventPage, BackendError>,
}

/// Fetches CloudTrail pages asked for by `Command::FetchEvents`; each answer is sent as an
/// `EventsPageResult` (the runtime hands it to `update` as `Action::EventsPage`). `update` asks for one page at a time per lookup.
pub struct EventsPager {
    backend: SharedBackend,
    clock: SharedClock,
    tx: Emitter<EventsPageResult>,
    tasks: JoinSet<()>,
}

impl EventsPager {
    pub fn new(
        backend: SharedBackend,
        clock: SharedClock,
        tx: impl Into<Emitter<EventsPageResult>>,
    ) -> Self {
        EventsPager {
            backend,
            clock,
            tx: tx.into(),
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
            let _ = tx.send(page).await;
        });
    }

    /// Waits until every page asked for has been fetched and sent.
    pub async fn idle(&mut self) {
        while self.tasks.join_next().await.is_some() {}
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
