//! A console without a terminal for the fault tests: the simulated account (seed 7) behind
//! `FaultyBackend` on a manual clock, `update` fed the polls the pollers would make and the
//! write service's reports, the screen rendered to text. Used by tests/faults*.rs.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, AppState, Command, Panel, Polled, update};
use sagetop::boundary::Layer;
use sagetop::boundary::SharedBackend;
use sagetop::clock::{Clock, ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::effects::{Effects, SteppedPolls};
use sagetop::faults::{FaultSpec, FaultyBackend};
use sagetop::rollout::Executor;
use sagetop::sim::SimAccount;
use sagetop::theme::Theme;
use sagetop::write::{SessionFacts, WriteSetup};
use tokio::sync::mpsc;

#[path = "../support/trail.rs"]
mod trail;

pub const CHURN: &str = "churn-predictor";
pub const FRAUD: &str = "fraud-detection-xgb";

/// Panels the pollers poll whatever is on screen (charts only follow a watched endpoint).
const PANELS: [Panel; 6] = [
    Panel::Identity,
    Panel::Endpoints,
    Panel::Metrics,
    Panel::Autoscaling,
    Panel::Quotas,
    Panel::Events,
];

pub struct Rig {
    pub clock: ManualClock,
    pub sim: Arc<SimAccount>,
    pub faulty: Arc<FaultyBackend<SimAccount>>,
    pub backend: SharedBackend,
    pub state: AppState,
    pub executor: Arc<Executor>,
    /// Commands run through the console's interpreter; polls are made by the rig.
    pub effects: Effects<SteppedPolls>,
    pub rx: mpsc::Receiver<Action>,
    pub audit: PathBuf,
    /// When the faults started (simulated time).
    pub started: Timestamp,
    /// What the app last asked the pollers to watch (`Command::Watch`).
    pub watched: Option<String>,
    /// Polls made per panel (successful or not).
    pub polls: BTreeMap<Panel, u32>,
    _dir: tempfile::TempDir,
}

impl Rig {
    /// Ten minutes into the simulation of seed 7, faults from `spec` on from then, profile
    /// `oncall`, every panel polled once.
    pub async fn new(spec: &str) -> Rig {
        Rig::with_seed(spec, 7).await
    }

    /// As [`Rig::new`], with the faults' dice seeded with `seed` (the account stays seed 7).
    pub async fn with_seed(spec: &str, seed: u64) -> Rig {
        let spec = FaultSpec::parse(spec).expect("fault spec");
        let clock = ManualClock::new(fixture_epoch());
        let shared: SharedClock = Arc::new(clock.clone());
        let sim = Arc::new(SimAccount::new(7, shared.clone()));
        clock.advance(Duration::from_secs(600));
        let faulty = Arc::new(
            sagetop::sim::faults::faults_on(&sim, spec, shared.clone(), seed)
                .with_profile(Some("oncall".into()))
                .over(sim.clone()),
        );
        let backend: SharedBackend = faulty.clone();
        let dir = tempfile::tempdir().expect("temp dir");
        let audit = dir.path().join("state/sagetop/audit.log");
        let (tx, rx) = mpsc::channel(1024);
        let setup = WriteSetup {
            audit_log: audit.clone(),
            facts: SessionFacts {
                profile: Some("oncall".into()),
                region: Some("us-east-1".into()),
            },
        };
        let executor = Arc::new(setup.executor(backend.clone(), shared.clone(), tx.clone()));
        let effects = Effects::stepped(backend.clone(), &shared, Some(executor.clone()), &tx);
        let session = SessionInfo {
            profile: Some("oncall".into()),
            region: Some("us-east-1".into()),
            demo: true,
            read_only: false,
        };
        let started = clock.now();
        let state = AppState::new(session, started);
        let mut rig = Rig {
            clock,
            sim,
            faulty,
            backend,
            state,
            executor,
            effects,
            rx,
            audit,
            started,
            watched: None,
            polls: BTreeMap::new(),
            _dir: dir,
        };
        rig.apply(Action::Resize(160, 45));
        rig.round().await;
        rig
    }

    pub fn apply(&mut self, action: Action) {
        let now = self.clock.now();
        let cmds = update(&mut self.state, action, now);
        self.run(cmds);
    }

    fn run(&mut self, cmds: Vec<Command>) {
        for c in cmds {
            let _ = self.effects.handle(c);
        }
        self.watched = self.effects.polls.watched.clone();
    }

    pub fn key(&mut self, code: KeyCode) {
        self.apply(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    pub fn command(&mut self, line: &str) {
        self.apply(Action::RunCommand(line.into()));
    }

    /// One poll of `panel`, as its poller makes it, applied through `update`.
    pub async fn poll(&mut self, panel: Panel) {
        let endpoints = self.state.endpoints.clone();
        let window = self.state.chart_window;
        let result = sagetop::poll::fleet::poll_panel_in(
            self.backend.as_ref(),
            panel,
            &endpoints,
            self.watched.as_deref(),
            window,
            self.clock.now(),
        )
        .await;
        *self.polls.entry(panel).or_default() += 1;
        let retry_in = result.as_ref().err().map(|_| Duration::from_secs(8));
        let at = self.clock.now();
        self.apply(Action::Polled(Polled {
            panel,
            at,
            result,
            retry_in,
        }));
    }

    /// Every panel once (charts too while an endpoint is watched).
    pub async fn round(&mut self) {
        for p in PANELS {
            self.poll(p).await;
        }
        if self.watched.is_some() {
            self.poll(Panel::Charts).await;
        }
    }

    /// Lets background tasks (writes) run and feeds their reports into `update`.
    pub async fn settle(&mut self) {
        for _ in 0..6 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            while let Ok(a) = self.rx.try_recv() {
                self.apply(a);
            }
        }
    }

    /// Moves the simulated clock `secs` forward in `step`-second steps, polling every panel
    /// at each step.
    pub async fn advance(&mut self, secs: u64, step: u64) {
        let mut left = secs;
        while left > 0 {
            let d = left.min(step);
            self.clock.advance(Duration::from_secs(d));
            left -= d;
            self.settle().await;
            self.round().await;
        }
    }

    pub fn elapsed(&self) -> i64 {
        (self.clock.now() - self.started).num_seconds()
    }

    /// The screen as text at `w`×`h`.
    pub fn screen(&self, w: u16, h: u16) -> String {
        let mut state = self.state.clone();
        let now = state.now;
        update(&mut state, Action::Resize(w, h), now);
        let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
        t.draw(|f| sagetop::ui::render(f, &state, &Theme::default_theme()))
            .expect("draw");
        let buf = t.backend().buffer().clone();
        let mut out = String::new();
        for y in 0..h {
            for x in 0..w {
                out.push_str(buf[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }

    /// The panel's failure as its title shows it, or "" when it is healthy.
    pub fn freshness(&self, panel: Panel) -> (String, bool) {
        sagetop::ui::format::panel_freshness(&self.state, panel)
    }

    pub fn notice(&self) -> String {
        self.state
            .notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default()
    }

    /// Operator `UpdateEndpointWeightsAndCapacities` calls the account recorded since start.
    pub async fn updates_sent(&self, endpoint: &str) -> Vec<TrailEvent> {
        let all = trail::operator_updates(self.sim.as_ref(), endpoint, self.started).await;
        all.into_iter().filter(|e| e.error_code.is_none()).collect()
    }

    pub fn audit_lines(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.audit)
            .map(|t| {
                t.lines()
                    .map(|l| serde_json::from_str(l).expect("audit line is JSON"))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// A clock for `Clock` bounds in tests that need one by value.
pub fn shared(clock: &ManualClock) -> SharedClock {
    Arc::new(clock.clone()) as Arc<dyn Clock>
}
