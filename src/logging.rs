//! Tracing to a log file (never to the TUI's terminal).

use std::path::{Path, PathBuf};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/sagetop/sagetop.log`, or `~/.local/state/sagetop/sagetop.log`.
pub fn default_log_path() -> PathBuf {
    state_dir().join("sagetop.log")
}

/// sagetop's XDG state directory.
pub fn state_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("sagetop")
}

/// The write audit log unless `--audit-log` or the config say otherwise:
/// `$XDG_STATE_HOME/sagetop/audit.log` (or `~/.local/state/sagetop/audit.log`).
pub fn default_audit_log() -> PathBuf {
    state_dir().join("audit.log")
}

/// Starts logging to `path`. Returns the guard that flushes on drop, or a message saying why
/// logging is off (the console still runs).
pub fn init(path: &Path, level: &str) -> Result<WorkerGuard, String> {
    let filter = EnvFilter::try_new(format!("sagetop={level},warn")).map_err(|e| {
        format!("bad --log-level `{level}`: {e} (use error, warn, info, debug or trace)")
    })?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create log directory {}: {e}", dir.display()))?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| format!("cannot open log file {}: {e}", path.display()))?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init()
        .map_err(|e| format!("logging already initialised: {e}"))?;
    Ok(guard)
}
