//! InvokeEndpoint through the AWS backend is sent exactly once, even when AWS answers with an
//! error the SDK would normally retry: each invocation is billed, and a load run must count
//! the failure rather than hide it behind a resend.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use sagetop::aws::{AwsBackend, AwsOptions, Clients, StaticCredentials, load_sdk_config};
use sagetop::boundary::Backend;
use sagetop::domain::InvokeRequest;

/// Answers every request with HTTP 500 InternalFailure (retryable for the SDK) and counts them.
fn failing_server() -> (String, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicU64::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            seen.fetch_add(1, Ordering::SeqCst);
            let payload = r#"{"message":"An internal failure occurred"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nx-amzn-ErrorType: InternalFailure\r\nx-amzn-RequestId: test\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{payload}",
                payload.len()
            );
        }
    });
    (url, count)
}

#[tokio::test]
async fn a_retryable_invoke_error_is_sent_once() {
    let (url, count) = failing_server();
    // Default retry settings (no max_attempts): what the console's backend is built with.
    let opts = AwsOptions {
        region: Some("us-east-1".into()),
        endpoint_url: Some(url),
        credentials: Some(StaticCredentials {
            access_key_id: "testing".into(),
            secret_access_key: "testing".into(),
            session_token: None,
        }),
        ..AwsOptions::default()
    };
    let sdk = load_sdk_config(&opts).await.unwrap();
    let backend = AwsBackend::new(Clients::from_sdk_config(&sdk), None, "us-east-1");
    let req = InvokeRequest {
        endpoint: "fraud-xgb".into(),
        body: b"1,2,3".to_vec(),
        content_type: "text/csv".into(),
        accept: None,
        target_variant: None,
    };
    let err = backend
        .invoke(&req)
        .await
        .expect_err("the server always fails");
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "InvokeEndpoint was retried: {err}"
    );
}
