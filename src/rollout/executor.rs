//! Runs the app's ops commands in the background: single writes through the write service,
//! traffic shifts as tasks (with their abort channel), and a graceful stop that lets a write
//! already sent finish (and be audited) before the console exits.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::task::{ShiftTask, run};
use super::{Control, Guard, ShiftPhase, ShiftPlan, ShiftSnapshot};
use crate::emit::{Emitter, NoticeLevel};
use crate::write::{WriteEvent, WriteJob, WriteReport, WriteService, WriteSetup, audit};

/// How long the console waits at exit for writes already sent to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What `update` asks the executor to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpsCommand {
    /// Send one write.
    Write(WriteJob),
    /// Start a confirmed traffic shift.
    StartShift(Box<ShiftPlan>),
    /// Abort the shift running on an endpoint.
    AbortShift { endpoint: String, rollback: bool },
}

/// What the executor (its write service and its traffic shifts) reports.
#[derive(Debug, Clone, PartialEq)]
pub enum RolloutEvent {
    /// A write started or finished.
    Write(WriteEvent),
    /// The newest snapshot of a traffic shift.
    Shift(Box<ShiftSnapshot>),
    /// Something the user must know (a refused abort, an audit log that cannot be written).
    Notice(NoticeLevel, String),
}

impl From<WriteReport> for RolloutEvent {
    fn from(report: WriteReport) -> Self {
        match report {
            WriteReport::Write(event) => RolloutEvent::Write(event),
            WriteReport::Notice(level, text) => RolloutEvent::Notice(level, text),
        }
    }
}

/// Write settings (from the command line and the config file: `start::ops_setup`).
#[derive(Debug, Clone, PartialEq)]
pub struct OpsSetup {
    pub writes: WriteSetup,
    /// `[profiles.X] production = true`: confirming needs the endpoint name typed.
    pub production: bool,
    /// `[guard]` over the built-in thresholds.
    pub guard: Guard,
}

impl WriteSetup {
    /// The executor (and its write service) for a console.
    pub fn executor(
        self,
        backend: crate::boundary::SharedBackend,
        clock: crate::clock::SharedClock,
        tx: impl Into<Emitter<RolloutEvent>>,
    ) -> Executor {
        let tx: Emitter<RolloutEvent> = tx.into();
        let service = WriteService::new(
            backend,
            clock,
            audit::AuditLog::new(self.audit_log),
            self.facts,
            tx.map(RolloutEvent::from),
        );
        Executor::new(Arc::new(service), tx)
    }
}

pub struct Executor {
    service: Arc<WriteService>,
    tx: Emitter<RolloutEvent>,
    shifts: Mutex<HashMap<String, mpsc::Sender<Control>>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    cancel: CancellationToken,
}

impl Executor {
    pub fn new(service: Arc<WriteService>, tx: impl Into<Emitter<RolloutEvent>>) -> Executor {
        Executor {
            service,
            tx: tx.into(),
            shifts: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            cancel: CancellationToken::new(),
        }
    }

    pub fn service(&self) -> &Arc<WriteService> {
        &self.service
    }

    fn spawn(&self, fut: impl std::future::Future<Output = ()> + Send + 'static) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(tokio::spawn(fut));
    }

    fn notify(&self, level: NoticeLevel, text: String) {
        let tx = self.tx.clone();
        self.spawn(async move {
            let _ = tx.send(RolloutEvent::Notice(level, text)).await;
        });
    }

    /// Starts what the command asks for; never blocks the event loop.
    pub fn handle(&self, cmd: OpsCommand) {
        match cmd {
            OpsCommand::Write(job) => {
                let service = self.service.clone();
                self.spawn(async move {
                    service.execute(job).await;
                });
            }
            OpsCommand::StartShift(plan) => {
                if let Err(why) = self.service.claim_for_shift(&plan.endpoint, plan.id) {
                    // The app shows the shift as started: report how it ended.
                    let mut snap = ShiftSnapshot::new(&plan, self.service.clock().now());
                    snap.phase = ShiftPhase::Failed {
                        message: format!("not started: {why}"),
                    };
                    let tx = self.tx.clone();
                    self.spawn(async move {
                        let _ = tx.send(RolloutEvent::Shift(Box::new(snap))).await;
                    });
                    return;
                }
                let (ctl_tx, ctl_rx) = mpsc::channel(4);
                self.shifts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(plan.endpoint.clone(), ctl_tx);
                let task = ShiftTask {
                    plan: *plan,
                    service: self.service.clone(),
                    tx: self.tx.clone(),
                    control: ctl_rx,
                    cancel: self.cancel.clone(),
                };
                self.spawn(run(task));
            }
            OpsCommand::AbortShift { endpoint, rollback } => {
                let sender = self
                    .shifts
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&endpoint)
                    .cloned();
                let sent = sender.is_some_and(|s| s.try_send(Control::Abort { rollback }).is_ok());
                if !sent {
                    self.notify(
                        NoticeLevel::Warning,
                        format!("no traffic shift is running on {endpoint}"),
                    );
                }
            }
        }
    }

    /// Stops shifts at their next wait (weights stay where they are) and waits a little for
    /// writes already sent, so their outcome reaches the audit log.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        let tasks = std::mem::take(&mut *self.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        let all = futures::future::join_all(tasks);
        if tokio::time::timeout(SHUTDOWN_GRACE, all).await.is_err() {
            tracing::warn!("writes still running at exit were abandoned");
        }
    }
}
