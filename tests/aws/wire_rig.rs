//! Shared rig of the wire tests: the simulated account on its loopback server, the real SDK
//! backend pointed at it, and raw HTTP for requests no SDK would send.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sagetop::aws::{AwsBackend, AwsOptions, StaticCredentials, connect};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::faults::FaultSpec;
use sagetop::sim::SimAccount;
use sagetop::sim::wire::{AccountOptions, SimServer};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub struct Rig {
    pub clock: ManualClock,
    pub sim: Arc<SimAccount>,
    pub server: SimServer,
}

impl Rig {
    pub async fn new(extra: usize, faults: Option<&str>) -> Rig {
        let clock = ManualClock::new(fixture_epoch());
        let shared: SharedClock = Arc::new(clock.clone());
        let sim = Arc::new(SimAccount::with_extra_endpoints(7, shared.clone(), extra));
        clock.advance(Duration::from_secs(600));
        let server = SimServer::start_account(AccountOptions {
            sim: sim.clone(),
            clock: shared,
            faults: faults.map(|f| FaultSpec::parse(f).unwrap()),
            seed: 7,
            listen: "127.0.0.1:0".parse().unwrap(),
        })
        .await
        .unwrap();
        Rig { clock, sim, server }
    }

    pub fn options(&self, attempts: u32) -> AwsOptions {
        AwsOptions {
            region: Some("us-east-1".into()),
            endpoint_url: Some(self.server.base_url()),
            credentials: Some(StaticCredentials {
                access_key_id: "AKIDSIMULATED".into(),
                secret_access_key: "secret".into(),
                session_token: None,
            }),
            max_attempts: Some(attempts),
            ..AwsOptions::default()
        }
    }

    pub async fn backend(&self, attempts: u32) -> AwsBackend {
        connect(&self.options(attempts))
            .await
            .expect("connects to the simulated account")
    }

    /// Calls of one operation the server served so far.
    pub fn served(&self, service: &str, op: &str) -> u64 {
        self.server.calls()["calls"][service][op]["calls"]
            .as_u64()
            .unwrap_or(0)
    }

    /// An awsJson request signed for `service` (the signature itself is not checked).
    pub async fn json(&self, service: &str, target: &str, body: &str) -> Reply {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=AKIDSIMULATED/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
        );
        let version = if target.starts_with("Granite") {
            "1.0"
        } else {
            "1.1"
        };
        raw(
            &self.server,
            "POST",
            "/",
            &[
                ("Authorization", auth.as_str()),
                ("X-Amz-Target", target),
                ("Content-Type", &format!("application/x-amz-json-{version}")),
            ],
            body.as_bytes(),
        )
        .await
    }

    /// An rpcv2Cbor GetMetricData-style request.
    pub async fn cbor(&self, op: &str, body: &[u8]) -> Reply {
        let auth = "AWS4-HMAC-SHA256 Credential=AKIDSIMULATED/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0";
        raw(
            &self.server,
            "POST",
            &format!("/service/GraniteServiceVersion20100801/operation/{op}"),
            &[
                ("Authorization", auth),
                ("smithy-protocol", "rpc-v2-cbor"),
                ("Content-Type", "application/cbor"),
            ],
            body,
        )
        .await
    }
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// The AWS error code of a JSON error body.
    pub fn code(&self) -> String {
        self.json()["__type"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One HTTP/1.1 request on its own connection.
pub async fn raw(
    server: &SimServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.addr(),
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    s.write_all(body).await.unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let split = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&buf[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Reply {
        status,
        headers,
        body: buf[split + 4..].to_vec(),
    }
}
