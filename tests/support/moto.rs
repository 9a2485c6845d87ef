//! A `moto_server` (moto 5.2.5, installed by `scripts/moto-env`) on a free loopback port for
//! one test, killed when dropped.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where the emulator is: `SAGETOP_MOTO_SERVER`, else the venv `scripts/moto-env` creates.
/// Missing → the test fails and says how to install it.
pub fn moto_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SAGETOP_MOTO_SERVER") {
        let p = PathBuf::from(p);
        assert!(
            p.is_file(),
            "SAGETOP_MOTO_SERVER={} does not exist; run scripts/moto-env",
            p.display()
        );
        return p;
    }
    let venv = std::env::var_os("SAGETOP_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default();
            home.join(".cache/sagetop/venv")
        });
    let p = venv.join("bin/moto_server");
    assert!(
        p.is_file(),
        "moto_server not found at {}: run scripts/moto-env (installs moto[server]==5.2.5), \
         or set SAGETOP_MOTO_SERVER to its path",
        p.display()
    );
    p
}

pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto and waits until `GET /moto-api/data.json` answers 200.
    pub fn start() -> Moto {
        let bin = moto_binary();
        let mut last_err = String::new();
        for _ in 0..3 {
            let port = free_port();
            let child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            let mut moto = Moto { child, port };
            let deadline = Instant::now() + Duration::from_secs(60);
            while Instant::now() < deadline {
                if let Ok(Some(status)) = moto.child.try_wait() {
                    last_err = format!("moto_server exited with {status}");
                    break;
                }
                match moto.request("GET", "/moto-api/data.json", "") {
                    Ok((200, _)) => return moto,
                    Ok((s, _)) => last_err = format!("HTTP {s}"),
                    Err(e) => last_err = e.to_string(),
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("moto_server did not become ready: {last_err}");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A minimal HTTP/1.1 request; returns status and body.
    pub fn request(&self, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
        let mut s = TcpStream::connect(("127.0.0.1", self.port))?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        )?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        Ok((status, body))
    }

    pub fn post(&self, path: &str, body: &str) {
        let (status, text) = self.request("POST", path, body).expect("moto answers");
        assert!(status < 300, "POST {path}: HTTP {status}: {text}");
    }

    /// Clears every service's state.
    pub fn reset(&self) {
        self.post("/moto-api/reset", "");
    }

    /// Queues `InvokeEndpoint` answers (one per distinct request).
    pub fn seed_invocations(&self, results: serde_json::Value) {
        self.post(
            "/moto-api/static/sagemaker/endpoint-results",
            &results.to_string(),
        );
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One production variant of a test endpoint: (name, instance type, count, weight).
pub type VariantSpec<'a> = (
    &'a str,
    aws_sdk_sagemaker::types::ProductionVariantInstanceType,
    i32,
    f32,
);

impl Moto {
    /// SDK options for this server: us-east-1, test credentials, one attempt per call.
    pub fn options(&self) -> sagetop::aws::AwsOptions {
        sagetop::aws::AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.url()),
            credentials: Some(sagetop::aws::StaticCredentials {
                access_key_id: "testing".into(),
                secret_access_key: "testing".into(),
                session_token: Some("testing".into()),
            }),
            max_attempts: Some(1),
            ..sagetop::aws::AwsOptions::default()
        }
    }

    /// A SageMaker client (for what the Backend trait does not do, such as creating endpoints).
    pub async fn sagemaker(&self) -> aws_sdk_sagemaker::Client {
        let config = sagetop::aws::load_sdk_config(&self.options())
            .await
            .expect("SDK config for moto");
        aws_sdk_sagemaker::Client::new(&config)
    }

    /// Creates an endpoint whose variants each run their own model (`NAME-VARIANT`), through
    /// the config `NAME-cfg`. moto puts it InService at once.
    pub async fn create_endpoint(&self, name: &str, variants: &[VariantSpec<'_>]) {
        use aws_sdk_sagemaker::types::{ContainerDefinition, ProductionVariant};
        let sm = self.sagemaker().await;
        let mut config = sm
            .create_endpoint_config()
            .endpoint_config_name(format!("{name}-cfg"));
        for (v, instance_type, count, weight) in variants {
            sm.create_model()
                .model_name(format!("{name}-{v}"))
                .execution_role_arn("arn:aws:iam::123456789012:role/SageMakerExecution")
                .primary_container(
                    ContainerDefinition::builder()
                        .image("123456789012.dkr.ecr.us-east-1.amazonaws.com/xgb:1")
                        .build(),
                )
                .send()
                .await
                .expect("create model");
            config = config.production_variants(
                ProductionVariant::builder()
                    .variant_name(*v)
                    .model_name(format!("{name}-{v}"))
                    .instance_type(instance_type.clone())
                    .initial_instance_count(*count)
                    .initial_variant_weight(*weight)
                    .build(),
            );
        }
        config.send().await.expect("create endpoint config");
        sm.create_endpoint()
            .endpoint_name(name)
            .endpoint_config_name(format!("{name}-cfg"))
            .send()
            .await
            .expect("create endpoint");
    }
}
