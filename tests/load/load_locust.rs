//! `sagetop bench --export-locust`: the exported locustfile runs under `locust --headless` (from
//! the test venv, installed by scripts/locust-env) for a few seconds against a loopback runtime
//! that checks every request's SigV4 signature, and the requests arrive, signed right. Skipped,
//! saying so, only when the venv has no locust.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use sagetop::aws::signing::SigningKeys;
use sagetop::load::loopback::{LoopbackConfig, LoopbackServer};

const KEY: &str = "AKIDLOCUSTEXPORT";
const SECRET: &str = "locust-export-secret";

fn locust() -> Option<PathBuf> {
    let venv = std::env::var_os("SAGETOP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/sagetop/venv")
        });
    let bin = venv.join("bin/locust");
    bin.exists().then_some(bin)
}

#[test]
fn an_exported_locustfile_sends_signed_invocations() {
    let Some(locust) = locust() else {
        eprintln!(
            "SKIPPED: no locust in the test venv; run scripts/locust-env (scripts/test does)"
        );
        return;
    };
    let server = LoopbackServer::start(LoopbackConfig {
        sigv4: Some((
            SigningKeys {
                access_key_id: KEY.into(),
                secret_access_key: SECRET.into(),
                session_token: None,
                expires: None,
            },
            "us-east-1".into(),
        )),
        keep_bodies: true,
        threads: 2,
        ..LoopbackConfig::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("locustfile.py");
    let body: Vec<u8> = vec![0x89, b'P', b'N', b'G', 0, 255, 10, 13];
    let payload = dir.path().join("img.png");
    std::fs::write(&payload, &body).unwrap();
    let env = [
        ("AWS_ACCESS_KEY_ID", KEY),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
        ("AWS_REGION", "us-east-1"),
        ("XDG_STATE_HOME", dir.path().to_str().unwrap()),
        ("XDG_CONFIG_HOME", dir.path().to_str().unwrap()),
    ];
    let o = Command::new(env!("CARGO_BIN_EXE_sagetop"))
        .args([
            "bench",
            "--endpoint",
            "bench",
            "--endpoint-url",
            &server.base_url(),
        ])
        .args([
            "--region",
            "us-east-1",
            "--payload-file",
            payload.to_str().unwrap(),
        ])
        .args([
            "--content-type",
            "image/png",
            "-c",
            "2",
            "-z",
            "3s",
            "--max-error-rate",
            "0",
        ])
        .args(["--export-locust", file.to_str().unwrap()])
        .envs(env)
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(server.invocations(), 0, "exporting sends nothing");

    let mut child = Command::new(&locust)
        .args(["-f", file.to_str().unwrap(), "--headless", "--only-summary"])
        .current_dir(dir.path())
        .envs(env)
        .env_remove("AWS_PROFILE")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The shape stops the run after 3 s; give Locust's start-up and shutdown some room.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("locust did not stop within 60 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = child.wait_with_output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(server.bad_signatures(), (0, None), "{log}");
    assert!(
        server.invocations() > 10,
        "{} arrived\n{log}",
        server.invocations()
    );
    assert!(
        server
            .bodies()
            .iter()
            .all(|b| b.as_ref() == body.as_slice())
    );
    // --max-error-rate 0 became a check: nothing failed, so the exit status is 0.
    assert!(status.success(), "{status:?}\n{log}");
}
