//! The `sagetop` binary against AWS as a process: `snapshot --json` on moto (partial results,
//! errors listed per service) and start-up failures (no credentials, no region) that end with
//! a message and exit status 2, never a panic.

use crate::support;

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use support::moto::Moto;

/// The binary with a clean environment: an empty HOME, no AWS variables, no sagetop config.
fn sagetop(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sagetop"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_STATE_HOME", home.join(".state"))
        .arg("--log-file")
        .arg(home.join("sagetop.log"));
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_no_panic(o: &Output) {
    let e = stderr(o);
    assert!(!e.contains("panicked") && !e.contains("backtrace"), "{e}");
}

async fn create_endpoint(moto: &Moto, name: &str) {
    use aws_sdk_sagemaker::types::ProductionVariantInstanceType::MlM5Large;
    moto.create_endpoint(
        name,
        &[("blue", MlM5Large, 2, 3.0), ("green", MlM5Large, 1, 1.0)],
    )
    .await;
}

#[tokio::test]
async fn snapshot_against_moto_lists_endpoints_and_the_services_it_could_not_read() {
    let moto = Moto::start();
    create_endpoint(&moto, "fraud-xgb").await;
    create_endpoint(&moto, "search-bert").await;
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "snapshot",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &moto.url(),
        ])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let snap: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");

    assert_eq!(snap["identity"]["account"], "123456789012");
    assert_eq!(snap["identity"]["region"], "us-east-1");
    assert_eq!(snap["identity"]["demo"], false);
    let endpoints = snap["endpoints"].as_array().unwrap();
    let names: Vec<&str> = endpoints
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["fraud-xgb", "search-bert"]);
    let fraud = &endpoints[0];
    assert_eq!(fraud["status"], "InService");
    let variants: Vec<(&str, &str, u64)> = fraud["variants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["name"].as_str().unwrap(),
                v["instance_type"].as_str().unwrap(),
                v["current_instance_count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        variants,
        vec![("blue", "ml.m5.large", 2), ("green", "ml.m5.large", 1)]
    );
    assert_eq!(fraud["traffic_percent"]["blue"], 75);
    assert_eq!(fraud["traffic_percent"]["green"], 25);

    // What moto does not serve is listed per service; the rest was printed above.
    let errors = snap["errors"].as_array().unwrap();
    let services: Vec<(&str, &str)> = errors
        .iter()
        .map(|e| {
            (
                e["service"].as_str().unwrap(),
                e["operation"].as_str().unwrap(),
            )
        })
        .collect();
    for want in [
        ("cloudwatch", "GetMetricData"),
        ("cloudtrail", "LookupEvents"),
        ("servicequotas", "ListServiceQuotas"),
    ] {
        assert!(
            services.contains(&want),
            "{want:?} missing from {services:?}"
        );
    }
    assert!(
        !services
            .iter()
            .any(|(s, _)| *s == "sagemaker" || *s == "sts"),
        "{services:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| !e["message"].as_str().unwrap().is_empty())
    );
}

#[test]
fn an_unreachable_endpoint_url_fails_the_startup_check() {
    // Nothing listens there any more: the STS check fails before the snapshot starts.
    let moto = Moto::start();
    let port = moto.port;
    drop(moto);
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_MAX_ATTEMPTS", "1")
        .args([
            "snapshot",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot reach AWS STS in us-east-1"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_credentials_exit_2_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .args(["snapshot", "--json", "--region", "eu-west-1"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let e = stderr(&out);
    assert!(e.starts_with("sagetop: no valid AWS credentials"), "{e}");
    assert!(e.contains("aws sso login --profile"), "{e}");
    assert!(e.contains("AWS_ACCESS_KEY_ID"), "{e}");
    assert!(out.stdout.is_empty());
}

#[test]
fn an_unknown_profile_is_named_as_the_problem() {
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .args([
            "snapshot",
            "--json",
            "--profile",
            "ops-prod",
            "--region",
            "eu-west-1",
        ])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.starts_with("sagetop: the AWS profile \"ops-prod\" is not defined"),
        "{e}"
    );
    assert!(e.contains("aws configure list-profiles"), "{e}");
}

#[test]
fn an_sso_profile_without_a_login_says_to_run_sso_login() {
    let home = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        "[profile ops-prod]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ReadOnly\nregion = eu-west-1\n\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    )
    .unwrap();
    let out = sagetop(home.path())
        .args(["snapshot", "--json", "--profile", "ops-prod"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let e = stderr(&out);
    assert!(
        e.starts_with("sagetop: no valid AWS credentials for profile \"ops-prod\""),
        "{e}"
    );
    let first_hint = e.lines().nth(1).unwrap_or_default();
    assert!(
        first_hint.contains("aws sso login --profile ops-prod"),
        "{e}"
    );
}

#[test]
fn missing_region_exits_2_with_what_to_do() {
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args(["snapshot", "--json"])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr(&out));
    let e = stderr(&out);
    assert!(e.starts_with("sagetop: no AWS region is configured"), "{e}");
    assert!(e.contains("--region") && e.contains("AWS_REGION"), "{e}");
}

#[test]
fn a_bad_endpoint_url_exits_2() {
    let home = tempfile::tempdir().unwrap();
    let out = sagetop(home.path())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .args([
            "snapshot",
            "--json",
            "--region",
            "us-east-1",
            "--endpoint-url",
            "localhost:5000",
        ])
        .output()
        .unwrap();
    assert_no_panic(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--endpoint-url"), "{}", stderr(&out));
}
