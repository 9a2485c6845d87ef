//! Writes to the account, one path for all of them: requests, the write service (double-send
//! protection, lost-response checks, audit), the audit log and the runtime executor that runs
//! writes and guarded traffic shifts as background tasks.

pub mod audit;
pub mod deploy;
pub mod request;
pub mod service;

pub use request::{Origin, WriteJob, WriteRequest};
pub use service::{SessionFacts, WriteService};

use crate::boundary::BackendError;
use crate::domain::Timestamp;

/// What the write service reports while it runs writes.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteReport {
    /// A write started or finished.
    Write(WriteEvent),
    /// Something the user must know (the audit log could not be written).
    Notice(crate::emit::NoticeLevel, String),
}

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
