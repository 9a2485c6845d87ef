//! A private tmux server running the real `sagetop` binary for end-to-end tests (a copy of the
//! harness in tests/e2e/e2e_tmux.rs, plus what the fault and terminal-safety tests need: the
//! terminal modes left behind, signals to the sagetop process, resizes).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_sagetop");

/// One tmux server (its own socket) for one test, killed on drop.
pub struct Tmux {
    pub socket: String,
    pub dir: tempfile::TempDir,
}

impl Tmux {
    /// `sagetop ARGS --log-file DIR/sagetop.log`; when it exits, its status goes to
    /// DIR/status and `stty -a` to DIR/stty (the modes it left the terminal in).
    pub fn start(width: u16, height: u16, args: &str) -> Tmux {
        Tmux::start_env(width, height, args, &[])
    }

    /// As [`Tmux::start`], with extra environment variables (`NAME=value`) in the pane.
    pub fn start_env(width: u16, height: u16, args: &str, env: &[&str]) -> Tmux {
        Tmux::start_script(width, height, env, |dir| {
            format!(
                "{BIN} {args} --log-file {log}; echo \"EXIT=$?\" > {status}.tmp; \
                 stty -a > {stty}; mv {status}.tmp {status}; exec sleep 120",
                log = dir.join("sagetop.log").display(),
                status = dir.join("status").display(),
                stty = dir.join("stty").display(),
            )
        })
    }

    /// A pane running the shell command `script(temp dir)`.
    pub fn start_script(
        width: u16,
        height: u16,
        env: &[&str],
        script: impl FnOnce(&Path) -> String,
    ) -> Tmux {
        let dir = tempfile::tempdir().expect("temp dir");
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("sagetop-faults-{}-{n}", std::process::id());
        let script = script(dir.path());
        let t = Tmux { socket, dir };
        let (w, h) = (width.to_string(), height.to_string());
        let mut args: Vec<&str> = vec!["-f", "/dev/null", "new-session", "-d", "-x", &w, "-y", &h];
        for e in env {
            args.extend(["-e", e]);
        }
        args.push(&script);
        let out = t.tmux(&args);
        assert!(
            out.status.success(),
            "tmux failed to start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.tmux(&["set-option", "-g", "remain-on-exit", "on"]);
        t
    }

    pub fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux is installed (scripts/test installs it)")
    }

    pub fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p"]).stdout).into_owned()
    }

    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys"];
        args.extend_from_slice(keys);
        self.tmux(&args);
    }

    pub fn display(&self, format: &str) -> String {
        String::from_utf8_lossy(&self.tmux(&["display-message", "-p", format]).stdout)
            .trim()
            .to_string()
    }

    pub fn resize(&self, width: u16, height: u16) {
        self.tmux(&[
            "resize-window",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
    }

    /// Waits until `pred` holds for the screen, or panics with the last screen.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if start.elapsed() > timeout {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// "EXIT=n" once sagetop has exited (panics after `timeout`).
    pub fn wait_exit(&self, timeout: Duration) -> String {
        let path = self.path("status");
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(s) = std::fs::read_to_string(&path)
                && !s.trim().is_empty()
            {
                return s.trim().to_string();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "sagetop did not exit within {timeout:?}; screen:\n{}",
            self.screen()
        );
    }

    /// The sagetop process the pane's shell started.
    pub fn sagetop_pid(&self) -> String {
        let pane_pid = self.display("#{pane_pid}");
        let out = Command::new("pgrep")
            .args(["-P", &pane_pid])
            .output()
            .expect("pgrep");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .map(str::to_string)
            .expect("sagetop process")
    }

    /// After sagetop exited: the terminal is back in normal mode (main screen, cursor shown,
    /// line editing and echo on).
    pub fn assert_terminal_restored(&self) {
        assert_eq!(
            self.display("#{alternate_on}"),
            "0",
            "alternate screen left"
        );
        assert_eq!(self.display("#{cursor_flag}"), "1", "cursor shown");
        let stty = std::fs::read_to_string(self.path("stty")).expect("stty -a output");
        let words: Vec<&str> = stty.split_whitespace().collect();
        for mode in ["icanon", "echo", "isig"] {
            assert!(words.contains(&mode), "{mode} on again: {stty}");
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path("sagetop.log")).unwrap_or_default()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

const STATUSES: [&str; 7] = [
    "InService",
    "Creating",
    "Updating",
    "Failed",
    "RollingBack",
    "OutOfService",
    "Deleting",
];

/// Rows of the endpoints table on screen.
pub fn endpoint_rows(screen: &str) -> usize {
    screen
        .lines()
        .filter(|l| STATUSES.iter().any(|s| l.contains(s)))
        .count()
}
