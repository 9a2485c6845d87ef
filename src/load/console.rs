//! Owns the console side of load runs (`LoadRunner`, driven by the runtime): starting a run
//! from a `RunPlan` (payloads read off the UI thread, the target built, the engine spawned),
//! forwarding live progress and the final report as actions, stopping, saving results, and
//! on `--demo` the simulated runtime server the runs reach through the SDK runtime client
//! (SigV4, test credentials), so a demo run is real network I/O. Nothing outlives `shutdown`.

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::target::{BackendTarget, LoadTarget, RequestOptions};
use super::{Progress, RunControl, RunParams, RunReport, TargetInfo};
use crate::app::runs::{RunsAction, RunsCommand};
use crate::app::runs_dialog::RunPlan;
use crate::app::{Action, NoticeLevel};
use crate::boundary::SharedBackend;
use crate::clock::SharedClock;
use crate::sim::wire::SimServer;

/// How long `shutdown` waits for a stopped run to report before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Runs the console's load runs, one at a time.
pub struct LoadRunner {
    backend: SharedBackend,
    clock: SharedClock,
    demo: bool,
    tx: mpsc::Sender<Action>,
    /// On `--demo`: the simulated runtime server, started with the first run.
    server: Option<SimServer>,
    /// On `--demo`: the SDK runtime client pointed at `server`.
    sim_client: Option<SharedBackend>,
    tasks: JoinSet<()>,
    active: Option<(u64, CancellationToken)>,
}

impl LoadRunner {
    pub fn new(
        backend: SharedBackend,
        clock: SharedClock,
        demo: bool,
        tx: mpsc::Sender<Action>,
    ) -> LoadRunner {
        LoadRunner {
            backend,
            clock,
            demo,
            tx,
            server: None,
            sim_client: None,
            tasks: JoinSet::new(),
            active: None,
        }
    }

    /// Carries out one command from `update`.
    pub async fn handle(&mut self, cmd: RunsCommand) {
        while self.tasks.try_join_next().is_some() {}
        match cmd {
            RunsCommand::Start(plan) => self.start(*plan).await,
            RunsCommand::Stop(id) => {
                if let Some((active, cancel)) = &self.active
                    && *active == id
                {
                    cancel.cancel();
                }
            }
            RunsCommand::Save { path, contents } => {
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    let shown = path.display().to_string();
                    let written =
                        tokio::task::spawn_blocking(move || std::fs::write(&path, contents))
                            .await
                            .map_err(|e| std::io::Error::other(e.to_string()))
                            .and_then(|r| r);
                    let (level, text) = match written {
                        Ok(()) => (NoticeLevel::Info, format!("saved the load run to {shown}")),
                        Err(e) => (NoticeLevel::Error, format!("cannot save to {shown}: {e}")),
                    };
                    let _ = tx.send(Action::Notify(level, text)).await;
                });
            }
        }
    }

    async fn start(&mut self, plan: RunPlan) {
        let id = plan.id;
        if let Some((_, old)) = self.active.take() {
            old.cancel();
        }
        let (invoker, via) = if self.demo {
            match self.demo_client().await {
                Ok(c) => c,
                Err(message) => {
                    let _ = self
                        .tx
                        .send(Action::Runs(RunsAction::Failed { id, message }))
                        .await;
                    return;
                }
            }
        } else {
            (self.backend.clone(), "sagemaker-runtime".to_string())
        };
        let cancel = CancellationToken::new();
        self.active = Some((id, cancel.clone()));
        let (clock, tx) = (self.clock.clone(), self.tx.clone());
        self.tasks.spawn(async move {
            let report = run_plan(plan, invoker, via, clock, cancel, tx.clone()).await;
            let action = match report {
                Ok(report) => RunsAction::Finished {
                    id,
                    report: Box::new(report),
                },
                Err(message) => RunsAction::Failed { id, message },
            };
            let _ = tx.send(Action::Runs(action)).await;
        });
    }

    /// On `--demo`: the simulated runtime server (over the sim) and the SDK runtime client
    /// pointed at it, both started with the first run and kept for the next ones.
    async fn demo_client(&mut self) -> Result<(SharedBackend, String), String> {
        if self.server.is_none() {
            let s = SimServer::start(self.backend.clone(), self.clock.clone())
                .await
                .map_err(|e| format!("cannot start the simulated runtime server: {e}"))?;
            self.server = Some(s);
        }
        let base = self.server.as_ref().expect("started above").base_url();
        if self.sim_client.is_none() {
            self.sim_client = Some(super::sdk::sim_runtime(&base).await?);
        }
        let client = self.sim_client.clone().expect("built above");
        Ok((
            client,
            format!("sagemaker-runtime SDK to the simulated runtime at {base}"),
        ))
    }

    /// Stops any run (partial results go nowhere: the console is closing), then the server.
    pub async fn shutdown(mut self) {
        if let Some((_, cancel)) = self.active.take() {
            cancel.cancel();
        }
        let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.tasks.shutdown().await;
        }
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
    }
}

/// Loads the payloads, builds the target and runs the engine; progress goes out as actions.
async fn run_plan(
    plan: RunPlan,
    invoker: SharedBackend,
    via: String,
    clock: SharedClock,
    cancel: CancellationToken,
    tx: mpsc::Sender<Action>,
) -> Result<RunReport, String> {
    let source = plan.payload.clone();
    let payloads = tokio::task::spawn_blocking(move || source.load())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let payload_count = payloads.len();
    let opts = RequestOptions {
        content_type: plan.content_type.clone(),
        accept: None,
        variant: plan.variant.clone(),
    };
    let target = LoadTarget::Backend(BackendTarget::new(invoker, &plan.endpoint, &opts, payloads));
    let (ptx, mut prx) = mpsc::channel::<Progress>(4);
    let id = plan.id;
    let forward_tx = tx.clone();
    let forward = async move {
        while let Some(p) = prx.recv().await {
            let action = Action::Runs(RunsAction::Progress {
                id,
                progress: Box::new(p),
            });
            if forward_tx.send(action).await.is_err() {
                break;
            }
        }
    };
    let ctl = RunControl {
        clock,
        cancel,
        progress: Some(ptx),
    };
    let engine = super::run(target, &plan.spec, ctl);
    let (result, ()) = tokio::join!(engine, forward);
    Ok(RunReport {
        params: RunParams {
            target: TargetInfo {
                kind: "endpoint".into(),
                name: plan.endpoint.clone(),
                variant: plan.variant.clone(),
                demo: plan.demo,
                via,
            },
            spec: plan.spec.clone(),
            payload: plan.payload.clone(),
            payload_count,
            shuffle_seed: None,
            content_type: plan.content_type.clone(),
            accept: None,
        },
        result,
    })
}
