//! Background pollers: one task per panel, each sending owned, timestamped snapshots over a
//! channel. A poll never starts while the previous one runs; failures back off with jitter.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::charts::ChartWindow;
use crate::app::{Action, Panel, PanelData, Polled};
use crate::boundary::{BackendError, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::Endpoint;
use crate::fleet;

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
    cancel: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts one task per panel. Snapshots arrive on `tx` as `Action::Polled`.
    pub fn spawn(
        backend: SharedBackend,
        clock: SharedClock,
        intervals: PollIntervals,
        tx: mpsc::Sender<Action>,
        seed: u64,
    ) -> Pollers {
        let cancel = CancellationToken::new();
        let (fleet_tx, fleet_rx) = watch::channel::<Arc<Vec<Endpoint>>>(Arc::new(Vec::new()));
        let (watch_tx, watch_rx) = watch::channel::<Option<String>>(None);
        let (window_tx, window_rx) = watch::channel(ChartWindow::default());
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
            cancel,
            tasks,
        }
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
    tx: mpsc::Sender<Action>,
    fleet_tx: Arc<watch::Sender<Arc<Vec<Endpoint>>>>,
    fleet_rx: watch::Receiver<Arc<Vec<Endpoint>>>,
    watch_rx: watch::Receiver<Option<String>>,
    window_rx: watch::Receiver<ChartWindow>,
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
            if self.tx.send(Action::PollStarted(self.panel)).await.is_err() {
                return;
            }
            let fleet = self.fleet_rx.borrow().clone();
            let watched = self.watch_rx.borrow().clone();
            let window = *self.window_rx.borrow_and_update();
            let now = self.clock.now();
            let result = tokio::select! {
                _ = self.cancel.cancelled() => return,
                r = fleet::poll_panel_in(self.backend.as_ref(), self.panel, &fleet, watched.as_deref(), window, now) => r,
            };
            let busy = match &result {
                Ok(PanelData::Endpoints(data)) => {
                    self.fleet_tx.send_replace(Arc::new(data.endpoints.clone()));
                    data.endpoints.iter().any(|e| e.status.is_transitional())
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
            if self.tx.send(Action::Polled(polled)).await.is_err() {
                return;
            }
            let delay = delay.max(self.intervals.min_wall);
            tokio::select! {
                _ = self.cancel.cancelled() => return,
                _ = tokio::time::sleep(delay) => {}
                _ = self.refresh.notified() => {}
                // Opening a detail view re-polls autoscaling and charts for it at once.
                _ = self.watch_rx.changed(), if matches!(self.panel, Panel::Autoscaling | Panel::Charts) => {}
                // So does a new chart window.
                _ = self.window_rx.changed(), if self.panel == Panel::Charts => {}
            }
        }
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
