//! The one interpreter of `update`'s effects: each `Command` goes to the service that carries
//! it out (pollers, events pager, write executor, load runner), and the services' events come
//! back on the `Action` channel (each service's event type converts into an `Action`). The
//! console's runtime, the screenshot fixture and the test rigs all run commands through
//! `Effects`; what only a terminal can do (quit, copy, suspend, theme, reconnect) is handed
//! back to the runtime.

use std::sync::Arc;

use tokio::sync::mpsc;

use crate::app::state::SessionInfo;
use crate::app::{Action, AppState, Command, Panel, Polled, update};
use crate::boundary::{Backend, SharedBackend};
use crate::clock::{Clock, SharedClock};
use crate::load::console::{LoadRunner, LoadSetup};
use crate::logs_tail::LogsTail;
use crate::poll::charts::ChartWindow;
use crate::poll::deploy::DeployPoller;
use crate::poll::detail_fetch::EventsPager;
use crate::poll::fleet::poll_panel;
use crate::poll::{PollIntervals, Pollers};
use crate::rollout::Executor;
use crate::write::WriteSetup;

/// What the pollers are asked to do: the running pollers in the console, or
/// [`SteppedPolls`] where a test or the screenshot fixture makes each poll itself.
pub trait PollControl: Send {
    fn refresh(&mut self, panel: Option<Panel>);
    fn watch(&mut self, endpoint: Option<String>);
    fn set_visible(&mut self, rows: Vec<String>);
    fn set_chart_window(&mut self, window: ChartWindow);
}

impl PollControl for Pollers {
    fn refresh(&mut self, panel: Option<Panel>) {
        Pollers::refresh(self, panel);
    }
    fn watch(&mut self, endpoint: Option<String>) {
        Pollers::watch(self, endpoint);
    }
    fn set_visible(&mut self, rows: Vec<String>) {
        Pollers::set_visible(self, rows);
    }
    fn set_chart_window(&mut self, window: ChartWindow) {
        Pollers::set_chart_window(self, window);
    }
}

/// Polls made by hand (tests, screenshots): remembers what the app asked the pollers for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SteppedPolls {
    /// The endpoint whose details are on screen (`Command::Watch`).
    pub watched: Option<String>,
    /// The rows of the endpoints table on screen (`Command::Visible`).
    pub visible: Vec<String>,
    /// The chart window last asked for (`Command::ChartWindow`).
    pub window: Option<ChartWindow>,
    /// Refreshes asked for since the last `take_refreshes`.
    pub refreshes: Vec<Option<Panel>>,
    /// A charts poll is due (the watched endpoint or the window changed).
    pub charts_due: bool,
}

impl PollControl for SteppedPolls {
    fn refresh(&mut self, panel: Option<Panel>) {
        self.refreshes.push(panel);
    }
    fn watch(&mut self, endpoint: Option<String>) {
        self.watched = endpoint;
        self.charts_due = true;
    }
    fn set_visible(&mut self, rows: Vec<String>) {
        self.visible = rows;
    }
    fn set_chart_window(&mut self, window: ChartWindow) {
        self.window = Some(window);
        self.charts_due = true;
    }
}

/// Everything that carries out commands against one backend.
pub struct Effects<P: PollControl = Pollers> {
    pub polls: P,
    pub pager: EventsPager,
    /// `None` where writes are not run (the screenshot fixture): write commands are dropped.
    pub executor: Option<Arc<Executor>>,
    /// `None` where load runs are not run: load commands are handed back.
    pub loads: Option<LoadRunner>,
    /// Reads of the logs view.
    pub logs: LogsTail,
    /// The open detail's deployment section and the deploy dialog's choices; `None` where
    /// they are not read (deploy commands are handed back).
    pub deploys: Option<DeployPoller>,
}

impl Effects<Pollers> {
    /// The console's services, started: pollers running, writes and load runs ready.
    pub fn start(
        backend: SharedBackend,
        clock: &SharedClock,
        intervals: PollIntervals,
        seed: u64,
        writes: WriteSetup,
        loads: LoadSetup,
        tx: &mpsc::Sender<Action>,
    ) -> Effects<Pollers> {
        Effects {
            pager: EventsPager::new(backend.clone(), clock.clone(), tx.clone()),
            executor: Some(Arc::new(writes.executor(
                backend.clone(),
                clock.clone(),
                tx.clone(),
            ))),
            loads: Some(LoadRunner::new(
                backend.clone(),
                clock.clone(),
                loads,
                tx.clone(),
            )),
            logs: LogsTail::new(backend.clone(), clock.clone(), tx.clone()),
            deploys: Some(DeployPoller::spawn(
                backend.clone(),
                clock.clone(),
                tx.clone(),
            )),
            polls: Pollers::spawn(backend, clock.clone(), intervals, tx.clone(), seed),
        }
    }

    /// Stops pollers and pagers, lets writes already sent finish, stops a load run.
    pub async fn shutdown(self) {
        self.polls.shutdown().await;
        self.pager.shutdown().await;
        if let Some(executor) = self.executor {
            executor.shutdown().await;
        }
        if let Some(loads) = self.loads {
            loads.shutdown().await;
        }
        self.logs.shutdown().await;
        if let Some(deploys) = self.deploys {
            deploys.shutdown().await;
        }
    }
}

impl Effects<SteppedPolls> {
    /// Services whose polls the caller makes itself (tests, screenshots); events pages,
    /// writes (with `executor`) and their reports run as in the console.
    pub fn stepped(
        backend: SharedBackend,
        clock: &SharedClock,
        executor: Option<Arc<Executor>>,
        tx: &mpsc::Sender<Action>,
    ) -> Effects<SteppedPolls> {
        Effects {
            polls: SteppedPolls::default(),
            logs: LogsTail::new(backend.clone(), clock.clone(), tx.clone()),
            deploys: None,
            pager: EventsPager::new(backend, clock.clone(), tx.clone()),
            executor,
            loads: None,
        }
    }
}

impl<P: PollControl> Effects<P> {
    /// Carries out what needs no waiting; hands back what it does not carry out here (load
    /// runs, and what only the terminal can do: quit, copy, suspend, theme, reconnect).
    pub fn handle(&mut self, cmd: Command) -> Option<Command> {
        match cmd {
            Command::Refresh(panel) => self.polls.refresh(panel),
            Command::Watch(endpoint) => {
                if let Some(deploys) = &self.deploys {
                    deploys.watch(endpoint.clone());
                }
                self.polls.watch(endpoint)
            }
            Command::Deploy(cmd) => match &mut self.deploys {
                Some(deploys) => deploys.handle(cmd),
                None => return Some(Command::Deploy(cmd)),
            },
            Command::Visible(rows) => self.polls.set_visible(rows),
            Command::ChartWindow(window) => self.polls.set_chart_window(window),
            Command::FetchEvents(request) => self.pager.fetch(request),
            Command::Logs(request) => self.logs.fetch(request),
            Command::Ops(op) => {
                if let Some(executor) = &self.executor {
                    executor.handle(op);
                }
            }
            other => return Some(other),
        }
        None
    }

    /// Carries out `cmd`, load runs included; hands back what only the terminal can do.
    pub async fn run(&mut self, cmd: Command) -> Option<Command> {
        match self.handle(cmd)? {
            Command::Runs(runs) => match &mut self.loads {
                Some(loads) => {
                    loads.handle(runs).await;
                    None
                }
                None => Some(Command::Runs(runs)),
            },
            other => Some(other),
        }
    }
}

/// Fetches every panel once (endpoints first) and applies the results through `update`,
/// exactly as the pollers' snapshots are applied. Used by `snapshot`, screenshots and tests.
pub async fn prime_state(
    backend: &dyn Backend,
    clock: &dyn Clock,
    session: SessionInfo,
) -> AppState {
    let mut state = AppState::new(session, clock.now());
    for panel in [
        Panel::Identity,
        Panel::Endpoints,
        Panel::Metrics,
        Panel::Autoscaling,
        Panel::Quotas,
        Panel::Events,
    ] {
        let endpoints = state.endpoints.clone();
        let result = poll_panel(backend, panel, &endpoints, None, clock.now()).await;
        let at = clock.now();
        update(
            &mut state,
            Action::Polled(Polled {
                panel,
                at,
                result,
                retry_in: None,
            }),
            at,
        );
    }
    state
}
