//! Background pollers: one task per panel, each sending owned, timestamped snapshots over a
//! channel. A poll never starts while the previous one runs; failures back off with jitter.

pub mod charts;
pub mod data;
pub mod deploy;
pub mod detail_fetch;
pub mod fleet;
pub mod fleet_sync;
pub mod hosting;
pub mod metric_budget;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::boundary::{BackendError, BackendResult, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::{Endpoint, Timestamp, VariantAutoscaling};
use crate::emit::Emitter;
use crate::poll::charts::ChartWindow;
use crate::poll::data::{AutoscalingData, Panel, PanelData, PollEvent, Polled};
use crate::poll::fleet_sync::{FleetSync, OnScreen};
use crate::poll::metric_budget::MetricGovernor;

/// How often each panel is polled, in the backend clock's time (simulated time on `--demo`).
#[derive(Debug, Clone, PartialEq)]
pub struct PollIntervals {
    /// DescribeEndpoint while every endpoint is stable.
    pub endpoints_stable: Duration,
    /// DescribeEndpoint while any endpoint is Creating, Updating, …
    pub endpoints_busy: Duration,
    /// GetMetricData: never more often than the metric period.
    pub metrics: Duration,
    /// Autoscaling of the endpoint on screen.
    pub autoscaling_watched: Duration,
    /// Autoscaling of the whole fleet.
    pub autoscaling_fleet: Duration,
    pub quotas: Duration,
    pub events: Duration,
    pub identity: Duration,
    /// First retry delay after a failure; doubles up to `backoff_max`.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Shortest wall-clock wait between two polls of one panel, whatever the clock speed.
    pub min_wall: Duration,
    /// What metric polling may cost (`GetMetricData`, $ per hour; the governor keeps to it).
    pub metrics_budget_usd_per_hour: f64,
    /// SageMaker control-plane calls a second the endpoints poller spends on routine reads.
    pub control_plane_calls_per_second: f64,
}

impl PollIntervals {
    /// Budget-friendly intervals for real AWS.
    pub fn aws() -> Self {
        PollIntervals {
            endpoints_stable: Duration::from_secs(30),
            endpoints_busy: Duration::from_secs(5),
            metrics: fleet::METRIC_PERIOD,
            autoscaling_watched: Duration::from_secs(30),
            autoscaling_fleet: Duration::from_secs(300),
            quotas: Duration::from_secs(300),
            events: Duration::from_secs(60),
            identity: Duration::from_secs(3600),
            backoff_base: Duration::from_secs(2),
            backoff_max: Duration::from_secs(300),
            min_wall: Duration::from_secs(1),
            metrics_budget_usd_per_hour: crate::poll::metric_budget::DEFAULT_BUDGET_USD_PER_HOUR,
            control_plane_calls_per_second: crate::poll::fleet_sync::DEFAULT_CALLS_PER_SECOND,
        }
    }

    /// The simulated account costs nothing to poll: keep the demo lively.
    pub fn demo() -> Self {
        PollIntervals {
            endpoints_stable: Duration::from_secs(5),
            endpoints_busy: Duration::from_secs(2),
            metrics: Duration::from_secs(10),
            autoscaling_watched: Duration::from_secs(5),
            autoscaling_fleet: Duration::from_secs(60),
            quotas: Duration::from_secs(30),
            events: Duration::from_secs(10),
            ..PollIntervals::aws()
        }
    }

    fn interval(&self, panel: Panel, busy: bool, watched: bool) -> Duration {
        match panel {
            Panel::Identity => self.identity,
            Panel::Endpoints if busy => self.endpoints_busy,
            Panel::Endpoints => self.endpoints_stable,
            Panel::Metrics => self.metrics,
            Panel::Autoscaling if watched => self.autoscaling_watched,
            Panel::Autoscaling => self.autoscaling_fleet,
            Panel::Quotas => self.quotas,
            Panel::Events => self.events,
            // The chart window decides (see `ChartWindow::poll_interval`).
            Panel::Charts => self.metrics,
        }
    }
}

/// Exponential backoff with full jitter: a random delay in [d/2, d] where
/// d = base × 2^(failures-1), capped at `max`.
pub fn backoff(failures: u32, base: Duration, max: Duration, rng: &mut impl Rng) -> Duration {
    let exp = base.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    let d = exp.min(max);
    let half = d / 2;
    half + d.saturating_sub(half).mul_f64(rng.random::<f64>())
}

/// Handle the runtime keeps to steer the pollers.
pub struct Pollers {
    refresh: HashMap<Panel, Arc<Notify>>,
    watch_tx: watch::Sender<Option<String>>,
    window_tx: watch::Sender<ChartWindow>,
    visible_tx: watch::Sender<Arc<Vec<String>>>,
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts one task per panel. Snapshots arrive on `tx` as `PollEvent::Polled`.
    pub fn spawn(
        backend: SharedBackend,
        clock: SharedClock,
        intervals: PollIntervals,
        tx: impl Into<Emitter<PollEvent>>,
        seed: u64,
    ) -> Pollers {
        let tx: Emitter<PollEvent> = tx.into();
        let cancel = CancellationToken::new();
        let (fleet_tx, fleet_rx) = watch::channel::<Arc<Vec<Endpoint>>>(Arc::new(Vec::new()));
        let (watch_tx, watch_rx) = watch::channel::<Option<String>>(None);
        let (window_tx, window_rx) = watch::channel(ChartWindow::default());
        let (visible_tx, visible_rx) = watch::channel::<Arc<Vec<String>>>(Arc::new(Vec::new()));
        let chart_metrics = Arc::new(AtomicU64::new(0));
        let fleet_tx = Arc::new(fleet_tx);
        let mut refresh = HashMap::new();
        let mut tasks = Vec::new();
        for (i, panel) in Panel::ALL.into_iter().enumerate() {
            let notify = Arc::new(Notify::new());
            refresh.insert(panel, notify.clone());
            let task = PollTask {
                panel,
                backend: backend.clone(),
                clock: clock.clone(),
                intervals: intervals.clone(),
                tx: tx.clone(),
                fleet_tx: fleet_tx.clone(),
                fleet_rx: fleet_rx.clone(),
                watch_rx: watch_rx.clone(),
                window_rx: window_rx.clone(),
                visible_rx: visible_rx.clone(),
                chart_metrics: chart_metrics.clone(),
                chart_seen: None,
                sync: FleetSync::new(intervals.control_plane_calls_per_second),
                governor: MetricGovernor::new(intervals.metrics_budget_usd_per_hour),
                fleet_autoscaling_at: None,
                forced: false,
                refresh: notify,
                cancel: cancel.clone(),
                rng: ChaCha8Rng::seed_from_u64(
                    seed ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ),
            };
            tasks.push(tokio::spawn(task.run()));
        }
        Pollers {
            refresh,
            watch_tx,
            window_tx,
            visible_tx,
            cancel,
            tasks,
        }
    }

    /// The rows of the endpoints table on screen (described and metered first).
    pub fn set_visible(&self, rows: Vec<String>) {
        self.visible_tx.send_replace(Arc::new(rows));
    }

    /// Poll now: one panel or all.
    pub fn refresh(&self, panel: Option<Panel>) {
        for (p, n) in &self.refresh {
            if panel.is_none_or(|want| want == *p) {
                n.notify_one();
            }
        }
    }

    /// The endpoint whose details are on screen (polled more often), or none.
    pub fn watch(&self, endpoint: Option<String>) {
        self.watch_tx.send_replace(endpoint.clone());
        if endpoint.is_some() {
            self.refresh(Some(Panel::Autoscaling));
        }
    }

    /// The detail charts' time window: the charts poller polls for it at once.
    pub fn set_chart_window(&self, window: ChartWindow) {
        self.window_tx.send_replace(window);
    }

    /// Stops every poller and waits for them (no task outlives the console).
    pub async fn shutdown(self) {
        self.cancel.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

struct PollTask {
    panel: Panel,
    backend: SharedBackend,
    clock: SharedClock,
    intervals: PollIntervals,
    tx: Emitter<PollEvent>,
    fleet_tx: Arc<watch::Sender<Arc<Vec<Endpoint>>>>,
    fleet_rx: watch::Receiver<Arc<Vec<Endpoint>>>,
    watch_rx: watch::Receiver<Option<String>>,
    window_rx: watch::Receiver<ChartWindow>,
    visible_rx: watch::Receiver<Arc<Vec<String>>>,
    /// Metrics the charts poller has requested so far (the governor counts them).
    chart_metrics: Arc<AtomicU64>,
    /// (count, when) the metrics poller last read `chart_metrics`.
    chart_seen: Option<(u64, Timestamp)>,
    /// The endpoints poller's memory of the fleet.
    sync: FleetSync,
    governor: MetricGovernor,
    /// When the autoscaling poller last read the whole fleet.
    fleet_autoscaling_at: Option<Timestamp>,
    /// The person asked for a refresh: list the fleet now.
    forced: bool,
    refresh: Arc<Notify>,
    cancel: CancellationToken,
    rng: ChaCha8Rng,
}

impl PollTask {
    async fn run(mut self) {
        let mut failures: u32 = 0;
        // Panels that need the fleet wait for the first endpoints poll.
        if matches!(
            self.panel,
            Panel::Metrics | Panel::Autoscaling | Panel::Charts
        ) {
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = self.fleet_rx.changed() => {}
            }
        }
        loop {
            // Charts are polled only for the endpoint on screen.
            if self.panel == Panel::Charts && self.watch_rx.borrow_and_update().is_none() {
                tokio::select! {
                    _ = self.cancel.cancelled() => return,
                    _ = self.watch_rx.changed() => {}
                }
                continue;
            }
            if self.tx.send(PollEvent::Started(self.panel)).await.is_err() {
                return;
            }
            let fleet = self.fleet_rx.borrow().clone();
            let watched = self.watch_rx.borrow().clone();
            let window = *self.window_rx.borrow_and_update();
            let now = self.clock.now();
            let cancel = self.cancel.clone();
            let result = tokio::select! {
                _ = cancel.cancelled() => return,
                r = self.poll_once(&fleet, watched.as_deref(), window, now) => r,
            };
            let busy = match &result {
                Ok(PanelData::Endpoints(data)) => {
                    self.fleet_tx.send_replace(Arc::new(data.endpoints.clone()));
                    self.sync.busy()
                }
                _ => fleet.iter().any(|e| e.status.is_transitional()),
            };
            let (delay, retry_in) = match &result {
                Ok(_) => {
                    failures = 0;
                    let sim = match (&result, self.panel) {
                        (Ok(PanelData::Charts(c)), Panel::Charts) => {
                            window.poll_interval(c.series.len())
                        }
                        _ => self.intervals.interval(self.panel, busy, watched.is_some()),
                    };
                    (self.clock.wall_duration(sim), None)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let d = retry_delay(e, failures, &self.intervals, &mut self.rng);
                    tracing::warn!(panel = self.panel.label(), error = %e, retry_in = ?d, "poll failed");
                    (d, Some(d))
                }
            };
            let at = self.clock.now();
            let polled = Polled {
                panel: self.panel,
                at,
                result,
                retry_in,
            };
            if self.tx.send(PollEvent::Polled(polled)).await.is_err() {
                return;
            }
            let delay = delay.max(self.intervals.min_wall);
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
                _ = self.refresh.notified() => self.forced = true,
                // Rows scrolled into view that were never described are described at once.
                _ = self.visible_rx.changed(), if self.panel == Panel::Endpoints => {}
                // Opening a detail view re-polls autoscaling and charts for it at once.
                _ = self.watch_rx.changed(), if matches!(self.panel, Panel::Autoscaling | Panel::Charts) => {}
                // So does a new chart window.
                _ = self.window_rx.changed(), if self.panel == Panel::Charts => {}
            }
        }
    }
}

impl PollTask {
    /// One poll of this task's panel.
    async fn poll_once(
        &mut self,
        fleet: &[Endpoint],
        watched: Option<&str>,
        window: ChartWindow,
        now: Timestamp,
    ) -> BackendResult<PanelData> {
        match self.panel {
            Panel::Endpoints => self.poll_endpoints(watched, now).await,
            Panel::Metrics => self.poll_metrics(fleet, watched, now).await,
            Panel::Autoscaling => self.poll_autoscaling(fleet, watched, now).await,
            panel => {
                let r =
                    fleet::poll_panel_in(self.backend.as_ref(), panel, fleet, watched, window, now)
                        .await;
                if let Ok(PanelData::Charts(c)) = &r {
                    self.chart_metrics
                        .fetch_add(c.series.len() as u64, Ordering::Relaxed);
                }
                r
            }
        }
    }

    /// Lists the fleet when due and describes what `FleetSync` chooses; a failed describe
    /// keeps the endpoint's last good description (marked failed).
    async fn poll_endpoints(
        &mut self,
        watched: Option<&str>,
        now: Timestamp,
    ) -> BackendResult<PanelData> {
        let forced = std::mem::take(&mut self.forced);
        if forced || self.sync.list_due(now, self.intervals.endpoints_stable) {
            let list = self.backend.list_endpoints().await?;
            self.sync.on_list(list, now);
        }
        let on_screen = OnScreen {
            watched: watched.map(str::to_string),
            visible: self.visible_rx.borrow_and_update().to_vec(),
        };
        let names = self.sync.plan(&on_screen, now);
        let results = fleet::describe_each(self.backend.as_ref(), names).await;
        let mut first_error = None;
        let at = self.clock.now();
        for (name, r) in results {
            if let Err(e) = &r
                && !matches!(e, BackendError::NotFound { .. })
            {
                first_error.get_or_insert_with(|| e.clone());
            }
            self.sync.on_described(&name, r, at);
        }
        // Nothing described at all: the panel failed (e.g. DescribeEndpoint denied).
        if !self.sync.any_described()
            && let Some(e) = first_error
        {
            return Err(e);
        }
        Ok(PanelData::Endpoints(self.sync.data()))
    }

    /// Metrics the charts poller requested per hour since the last metrics poll.
    fn charts_per_hour(&mut self, now: Timestamp) -> f64 {
        let total = self.chart_metrics.load(Ordering::Relaxed);
        let rate = match self.chart_seen {
            Some((seen, at)) if now > at => {
                let secs = (now - at).num_milliseconds() as f64 / 1000.0;
                total.saturating_sub(seen) as f64 * 3600.0 / secs
            }
            _ => 0.0,
        };
        self.chart_seen = Some((total, now));
        rate
    }

    /// The endpoints the cost governor chooses, in one batch query.
    async fn poll_metrics(
        &mut self,
        fleet: &[Endpoint],
        watched: Option<&str>,
        now: Timestamp,
    ) -> BackendResult<PanelData> {
        let on_screen = OnScreen {
            watched: watched.map(str::to_string),
            visible: self.visible_rx.borrow().to_vec(),
        };
        let charts = self.charts_per_hour(now);
        let before = self.governor.clone();
        let plan = self
            .governor
            .plan(fleet, &on_screen, self.intervals.metrics, charts);
        let wanted: BTreeSet<&str> = plan.endpoints.iter().map(String::as_str).collect();
        let chosen: Vec<Endpoint> = fleet
            .iter()
            .filter(|e| wanted.contains(e.name.as_str()))
            .cloned()
            .collect();
        match fleet::fetch_metrics(self.backend.as_ref(), &chosen, now).await {
            Ok(mut data) => {
                let at = self.clock.now();
                data.fetched_at = chosen.iter().map(|e| (e.name.clone(), at)).collect();
                data.budget = Some(plan.report);
                Ok(PanelData::Metrics(data))
            }
            Err(e) => {
                // The endpoints not read get their turn again.
                self.governor = before;
                Err(e)
            }
        }
    }

    /// The endpoint on screen per endpoint (with its activities); the whole fleet with one
    /// namespace-wide read, every `autoscaling_fleet`.
    async fn poll_autoscaling(
        &mut self,
        fleet: &[Endpoint],
        watched: Option<&str>,
        now: Timestamp,
    ) -> BackendResult<PanelData> {
        let fleet_due = self.fleet_autoscaling_at.is_none_or(|t| {
            (now - t).to_std().unwrap_or_default() + Duration::from_secs(1)
                >= self.intervals.autoscaling_fleet
        });
        let mut data = AutoscalingData::default();
        if watched.is_none() || fleet_due {
            let all = self.backend.describe_fleet_autoscaling().await?;
            for e in fleet {
                let config = all.get(&e.name).cloned().unwrap_or_else(|| {
                    e.variants
                        .iter()
                        .map(|v| VariantAutoscaling {
                            variant: v.name.clone(),
                            target: None,
                            policies: Vec::new(),
                        })
                        .collect()
                });
                data.config.insert(e.name.clone(), config);
            }
            self.fleet_autoscaling_at = Some(now);
        }
        if watched.is_none() || fleet_due {
            // From the endpoint configs already read (components only where variants carry
            // no model) and the models (DescribeModel once per model, cached: the list marks
            // multi-model endpoints); a failure leaves the last hosting facts in place.
            for e in fleet {
                if let Ok(h) = self.backend.describe_hosting(e, true).await {
                    // Async endpoints: their backlog marker in the list (two series each).
                    if watched != Some(e.name.as_str())
                        && let Some(q) = crate::poll::hosting::backlog_query(&h, now)
                    {
                        self.chart_metrics
                            .fetch_add(q.series.len() as u64, Ordering::Relaxed);
                        if let Ok(s) = self.backend.get_metrics(&q).await {
                            data.hosting_metrics.insert(e.name.clone(), s);
                        }
                    }
                    data.hosting.insert(e.name.clone(), h);
                }
            }
        }
        if let Some(e) = watched.and_then(|w| fleet.iter().find(|e| e.name == w))
            && let Ok(h) = self.backend.describe_hosting(e, true).await
        {
            {
                let q = crate::poll::hosting::metrics_query(&h, now);
                if !q.series.is_empty() {
                    // Counted with the charts: the cost governor keeps the total in budget.
                    self.chart_metrics
                        .fetch_add(q.series.len() as u64, Ordering::Relaxed);
                    if let Ok(s) = self.backend.get_metrics(&q).await {
                        data.hosting_metrics.insert(e.name.clone(), s);
                    }
                }
                data.hosting.insert(e.name.clone(), h);
            }
        }
        if let Some(one) = watched {
            let d = fleet::fetch_autoscaling(self.backend.as_ref(), &[one.to_string()]).await?;
            data.config.extend(d.config);
            data.activities.extend(d.activities);
            data.activity_errors.extend(d.activity_errors);
        }
        crate::poll::hosting::read_component_scaling(self.backend.as_ref(), &mut data).await?;
        Ok(PanelData::Autoscaling(data))
    }
}

/// Wall-clock wait before retrying after an error: transient errors back off
/// exponentially with jitter; errors a person must fix retry at the slow end.
fn retry_delay(
    e: &BackendError,
    failures: u32,
    iv: &PollIntervals,
    rng: &mut impl Rng,
) -> Duration {
    if e.is_transient() {
        backoff(failures, iv.backoff_base, iv.backoff_max, rng)
    } else {
        backoff(failures.max(5), iv.backoff_base, iv.backoff_max, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_jitter_and_caps() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let base = Duration::from_secs(2);
        let max = Duration::from_secs(60);
        for (failures, lo, hi) in [
            (1, 1.0, 2.0),
            (2, 2.0, 4.0),
            (3, 4.0, 8.0),
            (10, 30.0, 60.0),
            (40, 30.0, 60.0),
        ] {
            for _ in 0..50 {
                let d = backoff(failures, base, max, &mut rng).as_secs_f64();
                assert!(
                    d >= lo && d <= hi,
                    "failures={failures}: {d} not in [{lo}, {hi}]"
                );
            }
        }
    }

    #[test]
    fn busy_fleet_polls_faster() {
        let iv = PollIntervals::aws();
        assert!(
            iv.interval(Panel::Endpoints, true, false)
                < iv.interval(Panel::Endpoints, false, false)
        );
        assert_eq!(
            iv.interval(Panel::Metrics, false, false),
            Duration::from_secs(60)
        );
    }
}
