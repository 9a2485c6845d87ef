//! A console on the simulated account without a terminal, for screenshots, screen tests and
//! benchmarks: a fixed seed and manual clock, every panel fetched once, and the commands
//! `update` returns for events pages and chart polls carried out against the same account.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use crate::app::state::SessionInfo;
use crate::app::trail_log::EventsPageResult;
use crate::app::{Action, AppState, Command, Panel, Polled, update};
use crate::boundary::Backend;
use crate::clock::{Clock, ManualClock, fixture_epoch};
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
}

impl Fixture {
    /// The simulated account (`seed`, plus `extra` generated endpoints) created at
    /// [`fixture_epoch`], run for [`FIXTURE_RUN`], every panel fetched once through
    /// `fleet::prime_state`. Deterministic.
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
        let state = crate::fleet::prime_state(sim.as_ref(), &clock, session).await;
        Fixture { sim, clock, state }
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

    /// Carries out events pages and chart polls (and what their answers lead to); other
    /// commands are the runtime's business and are left alone.
    pub async fn run(&mut self, cmds: Vec<Command>) {
        let mut queue: VecDeque<Command> = cmds.into();
        while let Some(cmd) = queue.pop_front() {
            let now = self.clock.now();
            match cmd {
                Command::FetchEvents(req) => {
                    let result = self.sim.lookup_events(&req.query()).await;
                    let page = EventsPageResult {
                        resource: req.resource,
                        at: now,
                        result,
                    };
                    queue.extend(update(&mut self.state, Action::EventsPage(page), now));
                }
                Command::Watch(_) | Command::ChartWindow(_) => {
                    let Some(ep) = self.state.detail_endpoint().map(str::to_string) else {
                        continue;
                    };
                    let result = crate::fleet::poll_panel_in(
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
                    queue.extend(update(&mut self.state, Action::Polled(polled), now));
                }
                _ => {}
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
