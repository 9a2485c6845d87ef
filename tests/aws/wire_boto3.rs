//! boto3 and the AWS CLI against `sagetop serve-demo`: the real binary on a free port, and
//! tests/boto3/serve_demo_check.py (botocore's own serializers and parsers) and `aws` commands
//! against it.
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

/// `sagetop serve-demo` on a free port: the child and the URL it printed.
struct ServeDemo {
    child: std::process::Child,
    url: String,
}

impl ServeDemo {
    fn start() -> ServeDemo {
        let mut child = Command::new(BIN)
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
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        ServeDemo { child, url }
    }

    /// SIGTERM: the server stops cleanly with status 0.
    fn stop(mut self) {
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "serve-demo exit: {status:?}");
    }
}

impl Drop for ServeDemo {
    /// A failed test still leaves no server behind.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn boto3_is_served_by_serve_demo() {
    let Some(python) = venv_python() else {
        eprintln!("SKIPPED: no test venv with boto3 (run scripts/moto-env, or set SAGETOP_VENV)");
        return;
    };
    let server = ServeDemo::start();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/boto3/serve_demo_check.py"
    );
    let out = Command::new(python)
        .args([script, &server.url])
        .output()
        .unwrap();
    server.stop();
    assert!(
        out.status.success(),
        "boto3 checks failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_aws_cli_is_served_by_serve_demo() {
    let Some(aws) = venv_python()
        .map(|p| p.with_file_name("aws"))
        .filter(|p| p.is_file())
    else {
        eprintln!("SKIPPED: no AWS CLI in the test venv (run scripts/moto-env)");
        return;
    };
    let server = ServeDemo::start();
    let run = |args: &[&str]| {
        let out = Command::new(&aws)
            .args(["--endpoint-url", &server.url, "--output", "json"])
            .args(args)
            .env("AWS_ACCESS_KEY_ID", "AKIDCLITEST")
            .env("AWS_SECRET_ACCESS_KEY", "cli-test-secret")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        (out.status.code(), text, err)
    };
    let json = |r: &(Option<i32>, String, String)| -> serde_json::Value {
        assert_eq!(r.0, Some(0), "{r:?}");
        serde_json::from_str(&r.1).unwrap_or_else(|e| panic!("{e}: {r:?}"))
    };
    // The CLI pages ListEndpoints itself (MaxResults 3 a page, NextToken each time).
    let list = json(&run(&["sagemaker", "list-endpoints", "--page-size", "3"]));
    let names: Vec<&str> = list["Endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["EndpointName"].as_str())
        .collect();
    // Ten endpoints at start; the scenario deletes legacy-churn-v3 within seconds at this
    // speed, so nine or more arrive, over at least three pages of three.
    assert!(
        names.len() >= 9 && names.contains(&"churn-predictor"),
        "{names:?}"
    );
    let d = json(&run(&[
        "sagemaker",
        "describe-endpoint",
        "--endpoint-name",
        "churn-predictor",
    ]));
    assert_eq!(d["ProductionVariants"].as_array().unwrap().len(), 2, "{d}");
    let who = json(&run(&["sts", "get-caller-identity"]));
    assert_eq!(who["Account"], "111122223333");
    // CloudWatch in awsJson1_0, as botocore sends it.
    let end = chrono::Utc::now().timestamp() / 60 * 60;
    let queries = r#"[{"Id":"m1","MetricStat":{"Metric":{"Namespace":"AWS/SageMaker","MetricName":"Invocations","Dimensions":[{"Name":"EndpointName","Value":"churn-predictor"},{"Name":"VariantName","Value":"VariantA"}]},"Period":60,"Stat":"Sum"}}]"#;
    let m = json(&run(&[
        "cloudwatch",
        "get-metric-data",
        "--start-time",
        &(end - 1800).to_string(),
        "--end-time",
        &end.to_string(),
        "--metric-data-queries",
        queries,
    ]));
    let r = &m["MetricDataResults"][0];
    assert_eq!(r["StatusCode"], "Complete", "{m}");
    assert!(!r["Values"].as_array().unwrap().is_empty(), "{m}");
    // A documented limit broken: AWS's 400 and error code, shown by the CLI, and a failed exit.
    let bad = run(&[
        "application-autoscaling",
        "describe-scaling-policies",
        "--service-namespace",
        "sagemaker",
        "--max-results",
        "50",
    ]);
    assert_ne!(bad.0, Some(0), "{bad:?}");
    assert!(
        bad.2.contains("ValidationException") && bad.2.contains("between 1 and 10"),
        "{bad:?}"
    );
    server.stop();
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
