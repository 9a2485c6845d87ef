//! `sagetop bench` as a process: bad input gives a clear message and exit status 2 (never a
//! panic); a good run prints JSON or text; budgets make the exit status 3 and say which.

use std::process::{Command, Output};
use std::time::Duration;

use sagetop::load::loopback::{LoopbackConfig, LoopbackServer};

const BIN: &str = env!("CARGO_BIN_EXE_sagetop");

fn bench(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    Command::new(BIN)
        .arg("bench")
        .args(args)
        .arg("--log-file")
        .arg(dir.path().join("sagetop.log"))
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_STATE_HOME", dir.path())
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run sagetop")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn refused(args: &[&str], needle: &str) {
    let o = bench(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(
        err.contains(needle),
        "{args:?}: expected {needle:?} in {err:?}"
    );
    assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    assert!(
        o.stdout.is_empty(),
        "nothing printed on stdout for {args:?}"
    );
}

#[test]
fn bad_numbers_are_refused_with_exit_status_2() {
    let url = "http://127.0.0.1:9/invocations";
    refused(
        &["--url", url, "-c", "0", "--body", "1"],
        "concurrency must be at least 1",
    );
    refused(
        &["--url", url, "-z", "0s", "--body", "1"],
        "give a duration above 0",
    );
    refused(
        &["--url", url, "-q", "-5", "--body", "1"],
        "rate must be more than 0",
    );
    refused(&["--url", url, "-n", "0", "--body", "1"], "at least 1");
    refused(&["--url", url, "-c", "500", "--body", "1"], "--allow-large");
    refused(&["--url", url, "-z", "11m", "--body", "1"], "above the cap");
    refused(
        &["--url", url, "--max-error-rate", "2", "--body", "1"],
        "between 0 and 1",
    );
}

#[test]
fn bad_payload_files_are_refused_with_exit_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let url = "http://127.0.0.1:9/invocations";
    let missing = dir.path().join("missing.csv");
    refused(
        &["--url", url, "--payload", missing.to_str().unwrap()],
        "cannot read payload file",
    );
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "\n\n").unwrap();
    refused(
        &["--url", url, "--payload", empty.to_str().unwrap()],
        "has no requests",
    );
    let binary = dir.path().join("model.bin");
    std::fs::write(&binary, [0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x41]).unwrap();
    refused(
        &["--url", url, "--payload", binary.to_str().unwrap()],
        "looks binary",
    );
    refused(&["--url", url], "no payload");
}

#[test]
fn bad_targets_are_refused_with_exit_status_2() {
    refused(&["--url", "not a url", "--body", "1"], "is not usable");
    refused(
        &["--url", "ftp://example.com/invocations", "--body", "1"],
        "http:// or https://",
    );
    refused(
        &["--demo", "--endpoint", "no-such-endpoint"],
        "no endpoint named \"no-such-endpoint\"",
    );
    refused(
        &[
            "--demo",
            "--endpoint",
            "churn-predictor",
            "--variant",
            "Nope",
        ],
        "has no production variant \"Nope\"",
    );
    refused(
        &["--demo", "--endpoint", "doc-extraction-llm"],
        "serves no requests",
    );
    refused(
        &["--read-only", "--demo", "--endpoint", "churn-predictor"],
        "read-only mode refuses",
    );
    // A port nobody listens on, and a container whose /ping fails.
    refused(
        &["--url", "http://127.0.0.1:9/invocations", "--body", "1"],
        "GET /ping could not connect",
    );
    let sick = LoopbackServer::start(LoopbackConfig {
        ping_status: 500,
        ..LoopbackConfig::default()
    })
    .unwrap();
    refused(
        &["--url", &sick.invocations_url(), "--body", "1"],
        "GET /ping answered 500",
    );
    assert_eq!(
        sick.invocations(),
        0,
        "nothing was sent to an unhealthy container"
    );
}

#[test]
fn a_url_run_prints_json_and_budgets_set_the_exit_status() {
    let server = LoopbackServer::start(LoopbackConfig {
        delay: Duration::from_millis(5),
        fail_every: Some(10),
        ..LoopbackConfig::default()
    })
    .unwrap();
    let url = server.invocations_url();
    let o = bench(&[
        "--url", &url, "-c", "4", "-n", "100", "--body", "1,2,3", "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON on stdout");
    // oha's meaning: every HTTP answer is a "success", whatever its status.
    assert_eq!(j["summary"]["successRate"], serde_json::json!(1.0));
    assert_eq!(j["requests"]["errorRate"], serde_json::json!(0.1));
    assert_eq!(j["requests"]["succeeded"], serde_json::json!(90));
    assert_eq!(j["statusCodeDistribution"]["500"], serde_json::json!(10));
    assert_eq!(j["parameters"]["requests"], serde_json::json!(100));

    let o = bench(&[
        "--url",
        &url,
        "-n",
        "100",
        "--body",
        "1",
        "--max-error-rate",
        "0.01",
        "--p99",
        "1ms",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("budget breached: error rate 10.00%"), "{err}");
    assert!(err.contains("budget breached: p99 latency"), "{err}");
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("Requests/sec:"),
        "readable summary when piped: {text}"
    );

    let o = bench(&[
        "--url",
        &url,
        "-n",
        "50",
        "--body",
        "1",
        "--max-error-rate",
        "0.2",
        "--p99",
        "5s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn a_demo_run_goes_through_the_simulated_runtime() {
    let o = bench(&[
        "--demo",
        "--endpoint",
        "churn-predictor",
        "-c",
        "8",
        "-n",
        "200",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["requests"]["finished"], serde_json::json!(200));
    let via = j["parameters"]["target"]["via"].as_str().unwrap();
    assert!(via.contains("SigV4"), "{via}");
    let variants = j["variants"].as_object().unwrap();
    assert!(
        variants.contains_key("VariantA") && variants.contains_key("VariantB"),
        "{variants:?}"
    );
}
