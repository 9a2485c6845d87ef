//! boto3 against `sagetop serve-demo`: the real binary on a free port, and
//! tests/boto3/serve_demo_check.py (botocore's own serializers and parsers) against it.
//! Needs the test venv (scripts/moto-env creates it, scripts/test runs it); skipped with a
//! message when the venv is missing.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_sagetop");

fn venv_python() -> Option<PathBuf> {
    let venv = std::env::var_os("SAGETOP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/sagetop/venv")
        });
    let p = venv.join("bin/python");
    p.is_file().then_some(p)
}

#[test]
fn boto3_is_served_by_serve_demo() {
    let Some(python) = venv_python() else {
        eprintln!("SKIPPED: no test venv with boto3 (run scripts/moto-env, or set SAGETOP_VENV)");
        return;
    };
    let mut server = Command::new(BIN)
        .args([
            "serve-demo",
            "--listen",
            "127.0.0.1:0",
            "--demo-speed",
            "120",
            "--log-file",
            "/dev/null",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/boto3/serve_demo_check.py"
    );
    let out = Command::new(python).args([script, &url]).output().unwrap();
    // SIGTERM: the server stops cleanly with status 0.
    unsafe {
        libc::kill(server.id() as i32, libc::SIGTERM);
    }
    let status = server.wait().unwrap();
    assert!(
        out.status.success(),
        "boto3 checks failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(status.success(), "serve-demo exit: {status:?}");
}

#[test]
fn serve_demo_refuses_a_non_loopback_address() {
    let out = Command::new(BIN)
        .args([
            "serve-demo",
            "--listen",
            "0.0.0.0:0",
            "--log-file",
            "/dev/null",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-non-loopback"));
}
