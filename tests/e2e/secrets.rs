//! Secrets and files: with test credentials in the environment and `--log-level trace`, the
//! access key, secret key and session token appear in no output — stdout, stderr, the JSON
//! snapshot, the screen, the log file, the audit log — on `--demo` and against moto, for a
//! snapshot, a write made from the console, and a failed start-up; the audit log is created
//! with mode 0600; and sagetop's code never starts a process (no shell, no payload executed).

use crate::support;
use crate::tmux;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use sagetop::aws::StaticCredentials;
use support::moto::Moto;
use tmux::{BIN, Tmux, endpoint_rows};

const ACCESS_KEY: &str = "AKIATESTSECRETKEY01";
const SECRET_KEY: &str = "tEsTsEcReTkEy/0123456789abcdefghIJKLMNOP";
const SESSION_TOKEN: &str = "FQoGZXIvYXdzEXAMPLESESSIONTOKENsagetopTest0123456789==";

/// The credentials and pieces of them that must never be printed or written.
fn secrets() -> Vec<&'static str> {
    vec![
        ACCESS_KEY,
        SECRET_KEY,
        SESSION_TOKEN,
        "TESTSECRETKEY01",
        "tEsTsEcReTkEy",
        "0123456789abcdefghIJKLMNOP",
        "EXAMPLESESSIONTOKEN",
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(s), "{what} contains `{s}`:\n{text}");
    }
}

/// Environment of every run: a private HOME and XDG dirs, the test credentials, trace logs.
fn env_pairs(home: &Path) -> Vec<(String, String)> {
    vec![
        ("HOME".into(), home.display().to_string()),
        (
            "XDG_CONFIG_HOME".into(),
            home.join(".config").display().to_string(),
        ),
        (
            "XDG_STATE_HOME".into(),
            home.join(".state").display().to_string(),
        ),
        ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
        ("AWS_SESSION_TOKEN".into(), SESSION_TOKEN.into()),
        ("AWS_MAX_ATTEMPTS".into(), "1".into()),
        ("AWS_EC2_METADATA_DISABLED".into(), "true".into()),
        ("RUST_LOG".into(), "trace".into()),
    ]
}

fn sagetop(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .envs(env_pairs(home))
        .args(["--log-level", "trace", "--log-file"])
        .arg(home.join("sagetop.log"));
    cmd
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// The console in tmux with the same environment; stderr goes to DIR/stderr.
fn console(home: &Path, args: &str) -> Tmux {
    let pairs: Vec<String> = env_pairs(home)
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let env: Vec<&str> = pairs.iter().map(String::as_str).collect();
    Tmux::start_script(120, 30, &env, |dir| {
        format!(
            "{BIN} {args} --log-level trace --log-file {log} --audit-log {audit} 2> {err}; \
             echo \"EXIT=$?\" > {status}.tmp; stty -a > {stty}; mv {status}.tmp {status}; exec sleep 120",
            log = dir.join("sagetop.log").display(),
            audit = dir.join("audit.log").display(),
            err = dir.join("stderr").display(),
            status = dir.join("status").display(),
            stty = dir.join("stty").display(),
        )
    })
}

/// Types a write command, confirms it with `y`, waits for the outcome and quits.
fn write_from_the_console(t: &Tmux, command: &str) -> String {
    t.wait_for("endpoint rows", Duration::from_secs(15), |s| {
        endpoint_rows(s) >= 1
    });
    t.keys(&[":"]);
    t.keys(&["-l", command]);
    t.keys(&["Enter"]);
    t.wait_for("the confirm box", Duration::from_secs(5), |s| {
        s.contains("UpdateEndpointWeightsAndCapacities")
    });
    t.keys(&["y"]);
    let audit = t.path("audit.log");
    let start = std::time::Instant::now();
    while !std::fs::read_to_string(&audit).is_ok_and(|a| a.contains("\"outcome\"")) {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no audit line; screen:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(300));
    let screen = t.screen();
    // Leave (q twice: any view, then quit).
    t.keys(&["Escape"]);
    t.keys(&["q"]);
    t.keys(&["q"]);
    assert_eq!(t.wait_exit(Duration::from_secs(15)), "EXIT=0");
    screen
}

fn check_files(t: &Tmux, screen: &str) {
    assert_clean("screen", screen);
    assert_clean("final screen", &t.screen());
    let log = t.log();
    assert!(log.contains("INFO"), "the log was written: {log}");
    assert_clean("log file", &log);
    let stderr = std::fs::read_to_string(t.path("stderr")).unwrap_or_default();
    assert_clean("stderr", &stderr);
    let audit_path = t.path("audit.log");
    let audit = std::fs::read_to_string(&audit_path).expect("the write is audited");
    assert!(audit.contains("\"outcome\":\"accepted\""), "{audit}");
    assert_clean("audit log", &audit);
    let mode = std::fs::metadata(&audit_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "audit log mode {mode:o}");
}

#[test]
fn demo_never_prints_or_writes_credentials() {
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .args(["--demo", "snapshot", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    serde_json::from_str::<serde_json::Value>(&stdout).expect("JSON");
    assert_clean("snapshot JSON", &stdout);
    assert_clean("stderr", &stderr);
    assert_clean(
        "log file",
        &std::fs::read_to_string(home.path().join("sagetop.log")).unwrap(),
    );

    let t = console(home.path(), "--demo");
    let screen = write_from_the_console(&t, "weights churn-predictor VariantA=60 VariantB=40");
    check_files(&t, &screen);
}

async fn create_endpoint(moto: &Moto, name: &str) {
    use aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM5Large;
    moto.create_endpoint(
        name,
        &[("blue", MlM5Large, 1, 3.0), ("green", MlM5Large, 1, 1.0)],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_backend_never_prints_or_writes_credentials() {
    let moto = Moto::start();
    create_endpoint(&moto, "fraud-xgb").await;
    let home = tempfile::tempdir().unwrap();
    let aws = format!("--region us-east-1 --endpoint-url {}", moto.url());
    let out = sagetop(home.path())
        .args(aws.split_whitespace())
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(stdout.contains("fraud-xgb"), "{stdout}\n{stderr}");
    assert_clean("snapshot JSON", &stdout);
    assert_clean("stderr", &stderr);
    let log = std::fs::read_to_string(home.path().join("sagetop.log")).unwrap();
    assert!(log.contains("connected to AWS"), "{log}");
    assert_clean("log file", &log);

    // A start-up that fails (nothing listens there) says why without the keys.
    let out = sagetop(home.path())
        .args([
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ])
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_clean("stdout of a failed start", &stdout);
    assert_clean("stderr of a failed start", &stderr);

    let home2 = tempfile::tempdir().unwrap();
    let t = console(home2.path(), &aws);
    let screen = tokio::task::spawn_blocking(move || {
        let s = write_from_the_console(&t, "weights fraud-xgb blue=1 green=1");
        (t, s)
    })
    .await
    .unwrap();
    check_files(&screen.0, &screen.1);
}

/// `src/` without its `#[cfg(test)]` modules.
fn production_sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&p).unwrap();
                let code = text.split("#[cfg(test)]").next().unwrap_or("").to_string();
                out.push((p.display().to_string(), code));
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    assert!(out.len() > 50, "found the sources");
    out
}

#[test]
fn sagetop_never_spawns_a_process_or_a_shell() {
    for (path, code) in production_sources() {
        for needle in [
            "std::process::Command",
            "process::Command",
            "Command::new(",
            "tokio::process",
            "libc::system",
            "libc::exec",
            "libc::fork",
            "posix_spawn",
            "\"/bin/sh\"",
            "\"sh\", \"-c\"",
        ] {
            assert!(!code.contains(needle), "{path} uses {needle}");
        }
    }
}

#[test]
fn credentials_debug_output_hides_the_secret() {
    let c = StaticCredentials {
        access_key_id: ACCESS_KEY.into(),
        secret_access_key: SECRET_KEY.into(),
        session_token: Some(SESSION_TOKEN.into()),
    };
    let shown = format!("{c:?}");
    for s in secrets() {
        assert!(!shown.contains(s), "{shown}");
    }
    assert!(shown.contains("****EY01"), "{shown}");
}
