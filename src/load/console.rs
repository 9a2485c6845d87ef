//! Owns the console side of load runs (`LoadRunner`, driven by the runtime): starting a run
//! from a `RunPlan` (payloads read off the UI thread, the target built, the engine run on its
//! own runtime), forwarding live progress and the final report as actions, stopping, saving
//! results. Runs take the lean path — InvokeEndpoint signed with SigV4 over hyper — to AWS
//! (once the runtime has given the AWS options) and, on `--demo`, to the simulated runtime
//! server with test keys, so a demo run is real network I/O. Nothing outlives `shutdown`.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use super::http::UrlTarget;
use super::sign::Signer;
use super::target::{BackendTarget, LoadTarget, RequestOptions};
use super::{LoadSpec, PayloadSource, Progress, RunControl, RunParams, RunReport, TargetInfo};
use crate::aws::AwsOptions;
use crate::aws::signing::{RuntimeAccess, SigningCredentials, SigningKeys};
use crate::boundary::SharedBackend;
use crate::clock::SharedClock;
use crate::emit::{Emitter, NoticeLevel};
use crate::sim::wire::SimServer;

/// Everything the runtime needs to start a console load run.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunPlan {
    pub id: u64,
    pub endpoint: String,
    /// `TargetVariant`; `None` lets the weights decide.
    pub variant: Option<String>,
    pub spec: LoadSpec,
    pub payload: PayloadSource,
    pub content_type: String,
    /// On the simulated account (nothing is billed).
    pub demo: bool,
    /// InvokeEndpointWithResponseStream: time to first chunk, chunks/s and total per request.
    #[serde(default)]
    pub stream: bool,
}

/// What the runtime does for load runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunsCommand {
    Start(Box<RunPlan>),
    /// Stop run `id`; it reports `Finished` with the partial results within a second.
    Stop(u64),
    /// Write a run's JSON to a file.
    Save {
        path: PathBuf,
        contents: String,
    },
}

/// What the load runner reports.
#[derive(Debug, Clone, PartialEq)]
pub enum LoadEvent {
    /// A live snapshot of run `id`.
    Progress { id: u64, progress: Box<Progress> },
    /// Run `id` ended (completed or stopped); partial results when stopped.
    Finished { id: u64, report: Box<RunReport> },
    /// Run `id` could not start (payload file, target); nothing was sent.
    Failed { id: u64, message: String },
    /// How saving a run's results went.
    Notice(NoticeLevel, String),
}

/// How long `shutdown` waits for a stopped run to report before aborting it.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Where the console's load runs go: on AWS (and on `--demo`, whose account is served on the
/// wire) the runtime reached with these options, signed per request (the lean path); without
/// options, the SDK runtime client behind the backend, or on `--demo` a runtime-only server.
#[derive(Debug, Clone, Default)]
pub struct LoadSetup {
    pub demo: bool,
    pub aws: Option<AwsOptions>,
}

/// Runs the console's load runs, one at a time.
pub struct LoadRunner {
    backend: SharedBackend,
    clock: SharedClock,
    demo: bool,
    tx: Emitter<LoadEvent>,
    /// On `--demo`: the simulated runtime server, started with the first run.
    server: Option<SimServer>,
    /// On AWS: how to reach the runtime and sign (the lean path); `None`: the SDK client.
    aws: Option<AwsOptions>,
    access: Option<RuntimeAccess>,
    tasks: JoinSet<()>,
    active: Option<(u64, CancellationToken)>,
}

impl LoadRunner {
    pub fn new(
        backend: SharedBackend,
        clock: SharedClock,
        setup: LoadSetup,
        tx: impl Into<Emitter<LoadEvent>>,
    ) -> LoadRunner {
        LoadRunner {
            backend,
            clock,
            demo: setup.demo,
            tx: tx.into(),
            server: None,
            aws: setup.aws,
            access: None,
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
                    let _ = tx.send(LoadEvent::Notice(level, text)).await;
                });
            }
        }
    }

    async fn start(&mut self, plan: RunPlan) {
        let id = plan.id;
        if let Some((_, old)) = self.active.take() {
            old.cancel();
        }
        let how = if self.demo && self.aws.is_none() {
            self.demo_access().await
        } else {
            self.aws_access().await
        };
        let (invoker, via) = match how {
            Ok(h) => h,
            Err(message) => {
                let _ = self.tx.send(LoadEvent::Failed { id, message }).await;
                return;
            }
        };
        let cancel = CancellationToken::new();
        self.active = Some((id, cancel.clone()));
        let (clock, tx) = (self.clock.clone(), self.tx.clone());
        self.tasks.spawn(async move {
            let report = run_plan(plan, invoker, via, clock, cancel, tx.clone()).await;
            let event = match report {
                Ok(report) => LoadEvent::Finished {
                    id,
                    report: Box::new(report),
                },
                Err(message) => LoadEvent::Failed { id, message },
            };
            let _ = tx.send(event).await;
        });
    }

    /// On `--demo`: the simulated runtime server (over the sim), started with the first run
    /// and kept for the next ones, reached with SigV4 and the simulated account's test keys.
    async fn demo_access(&mut self) -> Result<(Invoker, String), String> {
        if self.server.is_none() {
            let s = SimServer::start(self.backend.clone(), self.clock.clone())
                .await
                .map_err(|e| format!("cannot start the simulated runtime server: {e}"))?;
            self.server = Some(s);
        }
        let base = self.server.as_ref().expect("started above").base_url();
        let creds = super::sdk::sim_options(&base)
            .credentials
            .expect("the simulated account has test keys");
        let signer = Signer {
            region: super::sdk::SIM_REGION.into(),
            credentials: std::sync::Arc::new(SigningCredentials::fixed(SigningKeys {
                access_key_id: creds.access_key_id,
                secret_access_key: creds.secret_access_key,
                session_token: creds.session_token,
                expires: None,
            })),
        };
        Ok((
            Invoker::Signed {
                base: base.clone(),
                signer,
            },
            format!("SigV4 over HTTP to the simulated runtime at {base}"),
        ))
    }

    /// On AWS: the lean path when the AWS options are known (resolved once, keys cached and
    /// refreshed before expiry), else the SDK runtime client behind the backend.
    async fn aws_access(&mut self) -> Result<(Invoker, String), String> {
        let Some(opts) = &self.aws else {
            return Ok((
                Invoker::Backend(self.backend.clone()),
                "sagemaker-runtime SDK".into(),
            ));
        };
        if self.access.is_none() {
            let access = crate::aws::signing::runtime_access(opts)
                .await
                .map_err(|e| e.to_string())?;
            self.access = Some(access);
        }
        let access = self.access.as_ref().expect("resolved above");
        let base = super::runtime_url(access);
        Ok((
            Invoker::Signed {
                base: base.clone(),
                signer: Signer {
                    region: access.region.clone(),
                    credentials: access.credentials.clone(),
                },
            },
            format!("InvokeEndpoint (SigV4 over HTTPS) at {base}"),
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
/// How a console run reaches the endpoint.
enum Invoker {
    /// The lean path: InvokeEndpoint at `base`, signed by `signer`.
    Signed { base: String, signer: Signer },
    /// `Backend::invoke` (the SDK client).
    Backend(SharedBackend),
}

async fn run_plan(
    plan: RunPlan,
    invoker: Invoker,
    via: String,
    clock: SharedClock,
    cancel: CancellationToken,
    tx: Emitter<LoadEvent>,
) -> Result<RunReport, String> {
    if plan.stream && plan.demo {
        return Err(
            "the simulated account's runtime does not stream answers (no /invocations-response-stream): streamed runs go to endpoints on AWS".into(),
        );
    }
    let source = plan.payload.clone();
    let payloads = tokio::task::spawn_blocking(move || source.load())
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    let payload_count = payloads.len();
    let opts = RequestOptions {
        content_type: plan.content_type.clone(),
        variant: plan.variant.clone(),
        ..RequestOptions::default()
    };
    let target = match invoker {
        Invoker::Signed { base, signer } => LoadTarget::Url(Box::new(
            UrlTarget::endpoint(&base, &plan.endpoint, &opts, payloads, signer, plan.stream)
                .await
                .map_err(|e| e.to_string())?,
        )),
        Invoker::Backend(_) if plan.stream => {
            return Err(
                "streamed answers are measured on signed requests only: start sagetop with AWS options (--profile/--region) or --demo".into(),
            );
        }
        Invoker::Backend(b) => {
            LoadTarget::Backend(BackendTarget::new(b, &plan.endpoint, &opts, payloads))
        }
    };
    let (ptx, mut prx) = mpsc::channel::<Progress>(4);
    let id = plan.id;
    let forward_tx = tx.clone();
    let forward = async move {
        while let Some(p) = prx.recv().await {
            let event = LoadEvent::Progress {
                id,
                progress: Box::new(p),
            };
            if forward_tx.send(event).await.is_err() {
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
