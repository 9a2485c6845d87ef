//! Owns the simulated account's HTTP face: a hyper server on 127.0.0.1 (random free port)
//! speaking the SageMaker runtime's REST shape — `POST /endpoints/{name}/invocations`, the
//! `X-Amzn-SageMaker-Target-Variant` header in, `x-Amzn-Invoked-Production-Variant` out,
//! errors in AWS's JSON shape — answering through `Backend::invoke` after sleeping the
//! modelled latency (scaled by demo speed). `GET /ping` answers 200 like a container.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::boundary::{BackendError, SharedBackend};
use crate::clock::SharedClock;
use crate::domain::InvokeRequest;

/// Largest request body read (a little over SageMaker's 6 MB so the sim can say so).
const MAX_BODY: usize = 6 * 1024 * 1024 + 1024;

/// A running sim server; stopped when dropped or on [`SimServer::shutdown`].
pub struct SimServer {
    addr: SocketAddr,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
}

struct Ctx {
    backend: SharedBackend,
    clock: SharedClock,
    seq: AtomicU64,
}

impl SimServer {
    /// Binds 127.0.0.1 on a free port and serves `backend` (normally the `SimAccount`) on the
    /// current tokio runtime.
    pub async fn start(backend: SharedBackend, clock: SharedClock) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let ctx = Arc::new(Ctx {
            backend,
            clock,
            seq: AtomicU64::new(0),
        });
        let task = tokio::spawn(accept_loop(listener, ctx, cancel.clone()));
        tracing::info!(%addr, "simulated SageMaker runtime listening");
        Ok(SimServer {
            addr,
            cancel,
            task: Some(task),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — what an SDK client takes as `endpoint_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/endpoints/NAME/invocations`.
    pub fn invocations_url(&self, endpoint: &str) -> String {
        format!("{}/endpoints/{endpoint}/invocations", self.base_url())
    }

    /// Stops accepting, closes every connection, and waits for the server task.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, ctx: Arc<Ctx>, cancel: CancellationToken) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            a = listener.accept() => a,
        };
        while conns.try_join_next().is_some() {}
        let (stream, _) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "sim server accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, ctx.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    // Dropping `conns` aborts the open connections: nothing outlives the server.
}

fn header_str(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

async fn handle(
    req: Request<Incoming>,
    ctx: Arc<Ctx>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = format!("sim-{:08x}", ctx.seq.fetch_add(1, Ordering::Relaxed));
    let path = req.uri().path().to_string();
    if req.method() == Method::GET && path == "/ping" {
        return Ok(reply(StatusCode::OK, Bytes::new(), &request_id));
    }
    let endpoint = path
        .strip_prefix("/endpoints/")
        .and_then(|rest| rest.strip_suffix("/invocations"))
        .filter(|name| !name.is_empty() && !name.contains('/'));
    let (Some(endpoint), true) = (endpoint, req.method() == Method::POST) else {
        return Ok(aws_error(
            StatusCode::NOT_FOUND,
            "UnknownOperationException",
            &format!("No operation matches {} {path}", req.method()),
            &request_id,
        ));
    };
    let endpoint = endpoint.to_string();
    let content_type =
        header_str(&req, "content-type").unwrap_or_else(|| "application/octet-stream".into());
    let accept = header_str(&req, "accept");
    let target_variant = header_str(&req, "x-amzn-sagemaker-target-variant");
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(aws_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "ValidationError",
                "Request payload exceeds the 6 MB limit for real-time inference.",
                &request_id,
            ));
        }
    };
    let request = InvokeRequest {
        endpoint,
        body: body.to_vec(),
        content_type,
        accept,
        target_variant,
    };
    match ctx.backend.invoke(&request).await {
        Ok(resp) => {
            // The model "runs" for its modelled latency, in simulated time.
            let wall = ctx.clock.wall_duration(resp.latency);
            if !wall.is_zero() {
                tokio::time::sleep(wall).await;
            }
            let mut r = reply(StatusCode::OK, Bytes::from(resp.body), &request_id);
            let h = r.headers_mut();
            if let Some(ct) = resp
                .content_type
                .and_then(|c| HeaderValue::from_str(&c).ok())
            {
                h.insert(CONTENT_TYPE, ct);
            }
            if let Some(v) = resp
                .invoked_variant
                .and_then(|v| HeaderValue::from_str(&v).ok())
            {
                h.insert("x-amzn-invoked-production-variant", v);
            }
            Ok(r)
        }
        Err(e) => {
            let (status, code) = error_status(&e);
            Ok(aws_error(status, &code, &error_message(&e), &request_id))
        }
    }
}

/// HTTP status and AWS error code of a failed `InvokeEndpoint`, as SageMaker answers them.
pub fn error_status(e: &BackendError) -> (StatusCode, String) {
    let s = |c: u16| StatusCode::from_u16(c).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match e {
        BackendError::NotFound { .. } | BackendError::Validation { .. } => {
            (s(400), "ValidationError".into())
        }
        BackendError::Throttled { .. } => (s(400), "ThrottlingException".into()),
        BackendError::AccessDenied { .. } | BackendError::ReadOnly { .. } => {
            (s(403), "AccessDeniedException".into())
        }
        BackendError::Credentials { .. } => (s(403), "UnrecognizedClientException".into()),
        BackendError::LimitExceeded { .. } => (s(400), "ValidationError".into()),
        BackendError::Timeout { .. } | BackendError::Network { .. } => {
            (s(503), "ServiceUnavailable".into())
        }
        BackendError::Service { code, .. } => match code.as_str() {
            "ModelError" => (s(424), code.clone()),
            "ModelNotReadyException" => (s(429), code.clone()),
            "ServiceUnavailable" => (s(503), code.clone()),
            "InternalDependencyException" => (s(530), code.clone()),
            _ => (s(500), code.clone()),
        },
    }
}

/// The message AWS would put in the error body (without sagetop's operation prefix).
fn error_message(e: &BackendError) -> String {
    match e {
        BackendError::NotFound { message, .. }
        | BackendError::Validation { message, .. }
        | BackendError::Throttled { message, .. }
        | BackendError::AccessDenied { message, .. }
        | BackendError::Credentials { message, .. }
        | BackendError::LimitExceeded { message, .. }
        | BackendError::Network { message, .. }
        | BackendError::Service { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn reply(status: StatusCode, body: Bytes, request_id: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body));
    *r.status_mut() = status;
    if let Ok(id) = HeaderValue::from_str(request_id) {
        r.headers_mut().insert("x-amzn-requestid", id);
    }
    r
}

/// AWS's JSON error shape: `x-amzn-ErrorType` header and `{"__type", "message"}` body.
fn aws_error(
    status: StatusCode,
    code: &str,
    message: &str,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let mut body = serde_json::json!({ "__type": code, "message": message });
    if code == "ModelError" {
        body["OriginalStatusCode"] = serde_json::json!(503);
        body["OriginalMessage"] = serde_json::json!(message);
    }
    let mut r = reply(status, Bytes::from(body.to_string()), request_id);
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    if let Ok(v) = HeaderValue::from_str(code) {
        h.insert("x-amzn-errortype", v);
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::boundary::Operation;

    #[test]
    fn errors_answer_with_sagemakers_status_codes() {
        let op = Operation::InvokeEndpoint;
        let model = BackendError::Service {
            operation: op,
            code: "ModelError".into(),
            message: "boom".into(),
        };
        assert_eq!(
            error_status(&model),
            (StatusCode::FAILED_DEPENDENCY, "ModelError".into())
        );
        let missing = BackendError::NotFound {
            operation: op,
            resource: "x".into(),
            message: "Endpoint x of account 1 not found.".into(),
        };
        assert_eq!(error_status(&missing).0, StatusCode::BAD_REQUEST);
        assert_eq!(
            error_status(&BackendError::ReadOnly { operation: op }).0,
            StatusCode::FORBIDDEN
        );
    }
}
