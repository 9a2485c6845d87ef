//! A console without a terminal for write tests: the simulated account on a manual clock,
#![allow(dead_code)]
//! `update` fed with keys and with the actions the write service and shifts report, and
//! the commands it returns run by the runtime's interpreter (`sagetop::effects`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, AppState, Command, Panel, Polled, update};
use sagetop::boundary::{Backend, SharedBackend, read_only};
use sagetop::clock::{Clock, ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::effects::{Effects, SteppedPolls};
use sagetop::rollout::Executor;
use sagetop::sim::SimAccount;
use sagetop::write::{SessionFacts, WriteSetup};
use tokio::sync::mpsc;

#[path = "../support/trail.rs"]
mod trail;

/// The manual clock, reporting a high speed so background tasks look at it often (every few
/// milliseconds of wall time); time itself moves only when the test says so.
#[derive(Clone)]
pub struct TestClock(pub ManualClock);

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        self.0.now()
    }
    fn speed(&self) -> f64 {
        1000.0
    }
}

pub struct Harness {
    pub sim: Arc<SimAccount>,
    pub clock: ManualClock,
    pub backend: SharedBackend,
    pub state: AppState,
    pub executor: Arc<Executor>,
    /// Commands run through the console's interpreter; polls are made by the rig.
    pub effects: Effects<SteppedPolls>,
    pub rx: mpsc::Receiver<Action>,
    pub audit: PathBuf,
    pub started: Timestamp,
    _dir: tempfile::TempDir,
}

pub const CHURN: &str = "churn-predictor";
pub const FRAUD: &str = "fraud-detection-xgb";
pub const RANKING: &str = "recommender-ranking";

impl Harness {
    /// Seed 7, ten minutes into the simulation, every panel polled once.
    pub async fn new() -> Harness {
        Harness::build(false, |sim| sim).await
    }

    pub async fn read_only() -> Harness {
        Harness::build(true, |sim| Arc::new(read_only(sim))).await
    }

    /// With the simulated account wrapped in another backend (lost responses, …).
    pub async fn build(
        read_only: bool,
        wrap: impl FnOnce(Arc<SimAccount>) -> SharedBackend,
    ) -> Harness {
        let clock = ManualClock::new(fixture_epoch());
        let shared: SharedClock = Arc::new(TestClock(clock.clone()));
        let sim = Arc::new(SimAccount::new(7, shared.clone()));
        clock.advance(Duration::from_secs(600));
        let backend = wrap(sim.clone());
        let dir = tempfile::tempdir().expect("temp dir");
        let audit = dir.path().join("state/sagetop/audit.log");
        let (tx, rx) = mpsc::channel(1024);
        let setup = WriteSetup {
            audit_log: audit.clone(),
            facts: SessionFacts {
                profile: Some("demo".into()),
                region: Some("us-east-1".into()),
            },
        };
        let executor = Arc::new(setup.executor(backend.clone(), shared.clone(), tx.clone()));
        let effects = Effects::stepped(backend.clone(), &shared, Some(executor.clone()), &tx);
        let session = SessionInfo {
            demo: true,
            read_only,
            ..SessionInfo::default()
        };
        let state = sagetop::effects::prime_state(backend.as_ref(), &clock, session).await;
        let started = clock.now();
        Harness {
            sim,
            clock,
            backend,
            state,
            executor,
            effects,
            rx,
            audit,
            started,
            _dir: dir,
        }
    }

    fn apply(&mut self, action: Action) {
        let cmds = update(&mut self.state, action, self.clock.now());
        self.run_commands(cmds);
    }

    fn run_commands(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            let _ = self.effects.handle(c);
        }
    }

    pub fn key(&mut self, code: KeyCode) {
        self.apply(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn type_str(&mut self, s: &str) {
        for c in s.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    pub fn command(&mut self, line: &str) {
        self.apply(Action::RunCommand(line.into()));
    }

    pub fn select(&mut self, endpoint: &str) {
        self.state.selected = Some(endpoint.into());
    }

    /// Lets background tasks run and feeds what they report into `update`.
    pub async fn settle(&mut self) {
        for _ in 0..4 {
            tokio::time::sleep(Duration::from_millis(8)).await;
            while let Ok(a) = self.rx.try_recv() {
                self.apply(a);
            }
        }
    }

    /// Polls endpoints, metrics, autoscaling and quotas as the pollers would.
    pub async fn poll(&mut self) {
        for panel in [
            Panel::Endpoints,
            Panel::Metrics,
            Panel::Autoscaling,
            Panel::Quotas,
        ] {
            let eps = self.state.endpoints.clone();
            let result = sagetop::poll::fleet::poll_panel(
                self.backend.as_ref(),
                panel,
                &eps,
                None,
                self.clock.now(),
            )
            .await;
            let at = self.clock.now();
            self.apply(Action::Polled(Polled {
                panel,
                at,
                result,
                retry_in: None,
            }));
        }
    }

    /// Moves the clock `secs` forward in `step`-second steps, polling and settling each step.
    pub async fn advance(&mut self, secs: u64, step: u64) {
        let mut left = secs;
        while left > 0 {
            let d = left.min(step);
            self.clock.advance(Duration::from_secs(d));
            left -= d;
            self.settle().await;
            self.poll().await;
        }
    }

    /// Advances until `done` holds (at most `max` simulated seconds); true if it did.
    pub async fn until(&mut self, max: u64, step: u64, done: impl Fn(&Harness) -> bool) -> bool {
        let mut spent = 0;
        while spent <= max {
            if done(self) {
                return true;
            }
            self.advance(step, step).await;
            spent += step;
        }
        done(self)
    }

    pub async fn describe(&self, endpoint: &str) -> Endpoint {
        self.sim
            .describe_endpoint(endpoint)
            .await
            .expect("describe")
    }

    /// UpdateEndpointWeightsAndCapacities events the operator made since the harness started.
    pub async fn updates_sent(&self, endpoint: &str) -> Vec<TrailEvent> {
        trail::operator_updates(self.sim.as_ref(), endpoint, self.started).await
    }

    /// Audit lines as JSON values.
    pub fn audit_lines(&self) -> Vec<serde_json::Value> {
        match std::fs::read_to_string(&self.audit) {
            Ok(text) => text
                .lines()
                .map(|l| serde_json::from_str(l).expect("each audit line is JSON"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    pub fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }
}

/// Weights (desired) of an endpoint's variants by name.
pub fn weights(e: &Endpoint) -> Vec<(String, f64)> {
    e.variants
        .iter()
        .map(|v| (v.name.clone(), v.desired_weight.unwrap_or(f64::NAN)))
        .collect()
}

pub fn shares(e: &Endpoint) -> Vec<u32> {
    percentages(
        &e.variants
            .iter()
            .map(|v| v.current_weight.unwrap_or(0.0))
            .collect::<Vec<_>>(),
    )
}
