//! Many accounts and regions at once: one set of services (`Effects`: pollers and their
//! budgets, events pager, write executor, load runner, logs) per context, each on its own
//! backend, and the routing of `update`'s commands to the context an endpoint key names
//! (`boundary::context`). Each context's events come back wrapped in `Action::Ctx`, so the
//! app merges them into that context's rows only.

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::app::{Action, Command};
use crate::boundary::SharedBackend;
use crate::boundary::context::{context_of, plain};
use crate::clock::SharedClock;
use crate::effects::{Effects, PollControl, SteppedPolls};
use crate::load::console::{LoadSetup, RunsCommand};
use crate::poll::PollIntervals;
use crate::poll::Pollers;
use crate::rollout::OpsCommand;
use crate::write::WriteSetup;

/// What one context's services need.
pub struct ContextConn {
    pub label: String,
    /// Already `Qualified` with `label` (and read-only where its profile is).
    pub backend: SharedBackend,
    pub writes: WriteSetup,
    pub loads: LoadSetup,
}

struct Running<P: PollControl> {
    label: String,
    backend: SharedBackend,
    effects: Effects<P>,
    forward: Option<JoinHandle<()>>,
}

/// Every context's services.
pub struct ContextEffects<P: PollControl = Pollers> {
    running: Vec<Running<P>>,
}

impl ContextEffects<SteppedPolls> {
    /// Contexts whose polls the caller makes itself (tests): (label, backend, services);
    /// the caller wraps what their channels report in `Action::Ctx`.
    pub fn stepped(parts: Vec<(String, SharedBackend, Effects<SteppedPolls>)>) -> Self {
        let running = parts
            .into_iter()
            .map(|(label, backend, effects)| Running {
                label,
                backend,
                effects,
                forward: None,
            })
            .collect();
        ContextEffects { running }
    }

    /// What the app asked context `label`'s pollers for.
    pub fn polls(&self, label: &str) -> Option<&SteppedPolls> {
        self.running
            .iter()
            .find(|r| r.label == label)
            .map(|r| &r.effects.polls)
    }
}

impl ContextEffects<Pollers> {
    /// Starts each context's services; their events reach `tx` as `Action::Ctx`.
    pub fn start(
        conns: Vec<ContextConn>,
        clock: &SharedClock,
        intervals: PollIntervals,
        seed: u64,
        tx: &mpsc::Sender<Action>,
    ) -> ContextEffects {
        let running = conns
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let (ctx_tx, mut ctx_rx) = mpsc::channel::<Action>(256);
                let out = tx.clone();
                let label = c.label.clone();
                let forward = tokio::spawn(async move {
                    while let Some(action) = ctx_rx.recv().await {
                        let wrapped = Action::Ctx {
                            label: label.clone(),
                            action: Box::new(action),
                        };
                        if out.send(wrapped).await.is_err() {
                            break;
                        }
                    }
                });
                let effects = Effects::start(
                    c.backend.clone(),
                    clock,
                    intervals.clone(),
                    seed.wrapping_add(i as u64),
                    c.writes,
                    c.loads,
                    &ctx_tx,
                );
                Running {
                    label: c.label,
                    backend: c.backend,
                    effects,
                    forward: Some(forward),
                }
            })
            .collect();
        ContextEffects { running }
    }

    /// Stops every context's services (writes already sent finish).
    pub async fn shutdown(self) {
        for r in self.running {
            r.effects.shutdown().await;
            if let Some(f) = r.forward {
                f.abort();
            }
        }
    }
}

impl<P: PollControl> ContextEffects<P> {
    pub fn labels(&self) -> Vec<String> {
        self.running.iter().map(|r| r.label.clone()).collect()
    }

    fn of(&mut self, key: &str) -> Option<&mut Effects<P>> {
        let label = context_of(key)?;
        self.running
            .iter_mut()
            .find(|r| r.label == label)
            .map(|r| &mut r.effects)
    }

    /// Each context's call accounting for `:api`, wrapped in `Action::Ctx` as its other
    /// events are, so the app keeps every context's apart.
    pub fn api_stats(&self) -> Vec<Action> {
        self.running
            .iter()
            .map(|r| Action::Ctx {
                label: r.label.clone(),
                action: Box::new(Action::ApiStats(r.backend.api_stats())),
            })
            .collect()
    }

    /// Carries out `cmd` in the context(s) it concerns; hands back what only the terminal can
    /// do, or what names no open context.
    pub async fn run(&mut self, cmd: Command) -> Option<Command> {
        match cmd {
            Command::Refresh(_) | Command::ChartWindow(_) => {
                for r in &mut self.running {
                    r.effects.run(cmd.clone()).await;
                }
                None
            }
            Command::Watch(Some(key)) => {
                let label = context_of(&key).map(str::to_string);
                for r in &mut self.running {
                    let mine = label.as_deref() == Some(r.label.as_str());
                    let watch = mine.then(|| key.clone());
                    r.effects.run(Command::Watch(watch)).await;
                }
                None
            }
            Command::Watch(None) => {
                for r in &mut self.running {
                    r.effects.run(Command::Watch(None)).await;
                }
                None
            }
            Command::Visible(rows) => {
                for r in &mut self.running {
                    let mine = rows
                        .iter()
                        .filter(|k| context_of(k) == Some(r.label.as_str()))
                        .cloned()
                        .collect();
                    r.effects.run(Command::Visible(mine)).await;
                }
                None
            }
            Command::FetchEvents(mut req) => {
                // An endpoint's lookup goes to its context; `@LABEL` is context LABEL's
                // account-wide lookup, asked without a resource (its page comes back under
                // `@LABEL`: `app::ctx_views::key_page`).
                let key = req.resource.clone();
                if key.as_deref().is_some_and(|k| plain(k).is_empty()) {
                    req.resource = None;
                }
                let target = match key.as_deref() {
                    Some(k) => self.of(k),
                    None => self.running.first_mut().map(|r| &mut r.effects),
                };
                match target {
                    Some(e) => e.run(Command::FetchEvents(req)).await,
                    None => None,
                }
            }
            Command::Deploy(cmd) => {
                let endpoint = match &cmd {
                    crate::poll::deploy::DeployCommand::FetchChoices { endpoint }
                    | crate::poll::deploy::DeployCommand::ReadNow { endpoint } => endpoint.clone(),
                };
                self.route(&endpoint, Command::Deploy(cmd)).await
            }
            Command::Logs(req) => {
                let key = req.query.endpoint.clone();
                self.route(&key, Command::Logs(req)).await
            }
            Command::Ops(op) => {
                let key = match &op {
                    OpsCommand::Write(job) => job.request.endpoint().to_string(),
                    OpsCommand::StartShift(plan) => plan.endpoint.clone(),
                    OpsCommand::AbortShift { endpoint, .. } => endpoint.clone(),
                };
                self.route(&key, Command::Ops(op)).await
            }
            Command::Runs(RunsCommand::Start(mut plan)) => {
                // The load runner reaches the endpoint by its own name (signed URL or SDK).
                let key = plan.endpoint.clone();
                plan.endpoint = plain(&key).to_string();
                self.route(&key, Command::Runs(RunsCommand::Start(plan)))
                    .await
            }
            Command::Runs(save @ RunsCommand::Save { .. }) => match self.running.first_mut() {
                Some(r) => r.effects.run(Command::Runs(save)).await,
                None => None,
            },
            Command::Runs(runs) => {
                for r in &mut self.running {
                    r.effects.run(Command::Runs(runs.clone())).await;
                }
                None
            }
            other => Some(other),
        }
    }

    async fn route(&mut self, key: &str, cmd: Command) -> Option<Command> {
        match self.of(key) {
            Some(e) => e.run(cmd).await,
            None => {
                tracing::warn!(key, "a command names no open context; dropped");
                None
            }
        }
    }
}
