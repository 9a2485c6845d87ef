//! The audit log: every write attempt appended as one JSON line to a file created with mode
//! 0600 (default `$XDG_STATE_HOME/sagetop/audit.log`). Never rewritten; never holds credentials.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::domain::Timestamp;

/// The audit log could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write the audit log {path}: {message}")]
pub struct AuditError {
    pub path: String,
    pub message: String,
}

/// One write attempt, as one JSON line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC, on the injected clock.
    pub time: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub account: Option<String>,
    /// Caller ARN (never keys or tokens).
    pub principal: Option<String>,
    pub endpoint: String,
    pub operation: String,
    /// The request in the API's field names.
    pub request: serde_json::Value,
    /// "you" or "traffic shift, step 2/4".
    pub origin: String,
    /// accepted, rejected, no-response, refused.
    pub outcome: String,
    /// AWS's error message, or why sagetop refused, or what the lost-response check found.
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

impl AuditRecord {
    pub fn time_of(t: Timestamp) -> String {
        t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}

/// An append-only JSON-lines file.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    /// One line at a time, from every task.
    lock: Mutex<()>,
}

impl AuditLog {
    pub fn new(path: PathBuf) -> AuditLog {
        AuditLog {
            path,
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, e: impl std::fmt::Display) -> AuditError {
        AuditError {
            path: self.path.display().to_string(),
            message: e.to_string(),
        }
    }

    fn open(&self) -> Result<std::fs::File, AuditError> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(dir).map_err(|e| self.error(e))?;
        }
        let mut o = std::fs::OpenOptions::new();
        o.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        o.open(&self.path).map_err(|e| self.error(e))
    }

    /// Can a line be appended? Checked before a write is sent: no audit, no write.
    pub fn check(&self) -> Result<(), AuditError> {
        self.open().map(drop)
    }

    /// Appends one record as one line (a single `write` call, so lines never interleave).
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).map_err(|e| self.error(e))?;
        line.push('\n');
        let _guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let mut f = self.open()?;
        f.write_all(line.as_bytes()).map_err(|e| self.error(e))?;
        f.flush().map_err(|e| self.error(e))
    }
}
