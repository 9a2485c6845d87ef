//! Writes to the account, one path for all of them: requests, the write service (double-send
//! protection, lost-response checks, audit), the audit log and the runtime executor that runs
//! writes and guarded traffic shifts as background tasks.

pub mod audit;
pub mod deploy;
pub mod executor;
pub mod request;
pub mod service;

pub use executor::{Executor, OpsCommand};
pub use request::{Origin, WriteJob, WriteRequest};
pub use service::{SessionFacts, WriteService};

use crate::boundary::BackendError;
use crate::domain::Timestamp;

/// How a write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteOutcome {
    /// AWS accepted it. `resent`: the first response was lost, a describe showed the change
    /// was not there, and it was sent once more.
    Accepted { request_id: String, resent: bool },
    /// The response was lost, but a describe shows the change: it was not sent again.
    AlreadyApplied { detail: String },
    /// AWS refused it (its words are in the error; `hint()` says what to do).
    Failed(BackendError),
    /// The response was lost and sagetop cannot tell whether it applied; nothing was re-sent.
    Unknown { error: BackendError, detail: String },
    /// sagetop did not send it (another write in flight, a shift owns the endpoint, no audit log).
    Refused(String),
}

impl WriteOutcome {
    /// The change is (or will be) applied.
    pub fn went_through(&self) -> bool {
        matches!(
            self,
            WriteOutcome::Accepted { .. } | WriteOutcome::AlreadyApplied { .. }
        )
    }

    /// One line for notices and the detail view.
    pub fn describe(&self) -> String {
        match self {
            WriteOutcome::Accepted {
                request_id,
                resent: false,
            } => format!("accepted (request id {request_id})"),
            WriteOutcome::Accepted {
                request_id,
                resent: true,
            } => format!(
                "accepted after one lost response; the change was not there, so it was sent again (request id {request_id})"
            ),
            WriteOutcome::AlreadyApplied { detail } => detail.clone(),
            WriteOutcome::Failed(e) => format!("{e} — {}", e.hint()),
            WriteOutcome::Unknown { error, detail } => format!(
                "{error}; {detail}. Nothing was re-sent: check the endpoint before trying again"
            ),
            WriteOutcome::Refused(why) => format!("not sent: {why}"),
        }
    }
}

/// What the write service reports to the app, in order, for every write.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteEvent {
    Started {
        job: WriteJob,
        at: Timestamp,
    },
    Finished {
        job: WriteJob,
        at: Timestamp,
        outcome: WriteOutcome,
    },
}

/// What the console needs to start the write path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteSetup {
    pub audit_log: std::path::PathBuf,
    pub facts: SessionFacts,
}

impl WriteSetup {
    /// The executor (and its write service) for a console.
    pub fn executor(
        self,
        backend: crate::boundary::SharedBackend,
        clock: crate::clock::SharedClock,
        tx: tokio::sync::mpsc::Sender<crate::app::Action>,
    ) -> Executor {
        let service = WriteService::new(
            backend,
            clock,
            audit::AuditLog::new(self.audit_log),
            self.facts,
            tx.clone(),
        );
        Executor::new(std::sync::Arc::new(service), tx)
    }
}

/// Write settings from the command line and the config file.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsSetup {
    pub writes: WriteSetup,
    /// `[profiles.X] production = true`: confirming needs the endpoint name typed.
    pub production: bool,
    /// `[guard]` over the built-in thresholds.
    pub guard: crate::rollout::Guard,
}

impl OpsSetup {
    /// `--audit-log`, else config `audit_log`, else the XDG state directory.
    pub fn new(
        cli: &crate::cli::Cli,
        config: &crate::config::Config,
        profile: Option<&str>,
        region: Option<&str>,
    ) -> OpsSetup {
        let audit_log = cli
            .audit_log
            .clone()
            .or_else(|| config.audit_log.as_deref().map(audit::expand_home))
            .unwrap_or_else(audit::default_path);
        let d = crate::rollout::DEFAULT_GUARD;
        OpsSetup {
            writes: WriteSetup {
                audit_log,
                facts: SessionFacts {
                    profile: profile.map(str::to_string),
                    region: region.map(str::to_string),
                },
            },
            production: config.profile(profile).production,
            guard: crate::rollout::Guard {
                max_5xx_rate: config.guard.max_5xx_rate.unwrap_or(d.max_5xx_rate),
                max_latency_ms: config
                    .guard
                    .max_model_latency_ms
                    .unwrap_or(d.max_latency_ms),
            },
        }
    }
}
