//! A console on the simulated account without a terminal, for screenshots, screen tests and
//! benchmarks: a fixed seed and manual clock, every panel fetched once, and the commands
//! `update` returns carried out by the console's interpreter (`effects`) against the same
//! account: events pages as the console fetches them, chart polls made here when asked for.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::app::state::SessionInfo;
use crate::app::{Action, AppState, Command, Panel, Polled, update};
use crate::boundary::SharedBackend;
use crate::clock::{Clock, ManualClock, SharedClock, fixture_epoch};
use crate::effects::{Effects, SteppedPolls};
use crate::sim::SimAccount;

/// Seed of the simulated account used by screenshots, snapshot tests and the benchmark.
pub const FIXTURE_SEED: u64 = 7;

/// How long the simulated account runs before the fixture is taken.
pub const FIXTURE_RUN: Duration = Duration::from_secs(10 * 60);

/// The simulated account, its clock, and the console state over it.
pub struct Fixture {
    pub sim: Arc<SimAccount>,
    pub clock: ManualClock,
    pub state: AppState,
    /// Commands go through the console's interpreter; writes and load runs are not made.
    effects: Effects<SteppedPolls>,
    rx: mpsc::Receiver<Action>,
}

impl Fixture {
    /// The simulated account (`seed`, plus `extra` generated endpoints) created at
    /// [`fixture_epoch`], run for [`FIXTURE_RUN`], every panel fetched once through
    /// `effects::prime_state`. Deterministic.
    pub async fn new(seed: u64, extra: usize) -> Fixture {
        let clock = ManualClock::new(fixture_epoch());
        let sim = Arc::new(SimAccount::with_extra_endpoints(
            seed,
            Arc::new(clock.clone()),
            extra,
        ));
        clock.advance(FIXTURE_RUN);
        let session = SessionInfo {
            demo: true,
            ..SessionInfo::default()
        };
        let state = crate::effects::prime_state(sim.as_ref(), &clock, session).await;
        let (tx, rx) = mpsc::channel(1024);
        let backend: SharedBackend = sim.clone();
        let shared: SharedClock = Arc::new(clock.clone());
        let effects = Effects::stepped(backend, &shared, None, &tx);
        Fixture {
            sim,
            clock,
            state,
            effects,
            rx,
        }
    }

    /// Applies an action, then carries out what it leads to.
    pub async fn act(&mut self, action: Action) {
        let cmds = update(&mut self.state, action, self.clock.now());
        self.run(cmds).await;
    }

    /// `:LINE` typed and entered.
    pub async fn command(&mut self, line: &str) {
        self.act(Action::RunCommand(line.into())).await;
    }

    /// Carries out commands (and what their answers lead to) until nothing is left to do:
    /// events pages through the console's pager, a charts poll whenever one is asked for.
    /// What only the console's terminal does is left alone.
    pub async fn run(&mut self, cmds: Vec<Command>) {
        let mut cmds = cmds;
        while !cmds.is_empty() {
            for cmd in cmds.drain(..) {
                let _ = self.effects.handle(cmd);
            }
            let now = self.clock.now();
            if std::mem::take(&mut self.effects.polls.charts_due)
                && let Some(ep) = self.state.detail_endpoint().map(str::to_string)
            {
                let result = crate::poll::fleet::poll_panel_in(
                    self.sim.as_ref(),
                    Panel::Charts,
                    &self.state.endpoints,
                    Some(&ep),
                    self.state.chart_window,
                    now,
                )
                .await;
                let polled = Polled {
                    panel: Panel::Charts,
                    at: now,
                    result,
                    retry_in: None,
                };
                cmds.extend(update(&mut self.state, Action::Polled(polled), now));
            }
            self.effects.pager.idle().await;
            while let Ok(action) = self.rx.try_recv() {
                cmds.extend(update(&mut self.state, action, now));
            }
        }
    }

    /// Lets four seconds pass so ages on screen are not all zero, and clears notices.
    pub fn settle(&mut self) {
        let later = self.state.now + chrono::Duration::seconds(4);
        update(&mut self.state, Action::Tick, later);
        self.state.notice = None;
    }
}
