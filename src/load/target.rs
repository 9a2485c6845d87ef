//! Owns what a load run sends requests to: a plain URL (a SageMaker-style container's
//! `/invocations`, or the simulated account's `/endpoints/{name}/invocations`) through hyper's
//! HTTP/1 client with one keep-alive connection per worker, checked first with `GET /ping`;
//! or a SageMaker endpoint through `Backend::invoke` (the only path that reaches AWS).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::task::JoinSet;

use super::payload::Payloads;
use super::stats::{ErrorKind, Outcome};
use crate::boundary::{BackendError, SharedBackend};
use crate::domain::InvokeRequest;

/// `X-Amzn-SageMaker-Target-Variant` (sent) and `x-Amzn-Invoked-Production-Variant` (read).
pub const TARGET_VARIANT: HeaderName = HeaderName::from_static("x-amzn-sagemaker-target-variant");
pub const INVOKED_VARIANT: HeaderName =
    HeaderName::from_static("x-amzn-invoked-production-variant");
/// AWS's error code header (`ThrottlingException`, `ModelError`, …).
pub const ERROR_TYPE: HeaderName = HeaderName::from_static("x-amzn-errortype");

/// How long `GET /ping` may take before the container counts as down.
pub const PING_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends one request; a worker owns one `Conn` (its connection) for the whole run.
pub trait Target: Send + Sync + 'static {
    type Conn: Send + 'static;

    /// A fresh, not yet connected, per-worker connection state.
    fn new_conn(&self) -> Self::Conn;

    /// Sends the `seq`-th request of the run and reports what came of it.
    fn send<'a>(
        &'a self,
        conn: &'a mut Self::Conn,
        seq: u64,
    ) -> impl Future<Output = Outcome> + Send + 'a;
}

/// Headers of every request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestOptions {
    pub content_type: String,
    pub accept: Option<String>,
    /// `TargetVariant`: every request to this production variant.
    pub variant: Option<String>,
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            content_type: "text/csv".into(),
            accept: None,
            variant: None,
        }
    }
}

/// A target that cannot be used, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("--url {url:?} is not usable: {why}")]
    BadUrl { url: String, why: String },
    #[error("cannot resolve {host}: {message}")]
    Resolve { host: String, message: String },
    #[error(
        "the container at {url} is not healthy: GET /ping {detail} (start the container, or check the port)"
    )]
    Ping { url: String, detail: String },
    #[error("{0}")]
    Header(String),
}

/// Classifies an HTTP answer that is not a success.
pub fn classify_status(status: u16, error_type: Option<&[u8]>) -> ErrorKind {
    let code = error_type.map(|t| {
        let t = t.split(|b| *b == b':').next().unwrap_or(t);
        String::from_utf8_lossy(t).into_owned()
    });
    match code.as_deref() {
        Some("ThrottlingException" | "ModelNotReadyException") => return ErrorKind::Throttled,
        Some("ModelError") => return ErrorKind::ModelError,
        _ => {}
    }
    match status {
        429 => ErrorKind::Throttled,
        424 => ErrorKind::ModelError,
        400..=499 => ErrorKind::Client4xx,
        500..=599 => ErrorKind::Server5xx,
        _ => ErrorKind::Other,
    }
}

fn header(v: &str, what: &str) -> Result<HeaderValue, TargetError> {
    HeaderValue::from_str(v)
        .map_err(|_| TargetError::Header(format!("{what} {v:?} is not a valid header value")))
}

/// A plain HTTP URL.
pub struct UrlTarget {
    url: String,
    addr: SocketAddr,
    host: HeaderValue,
    path: Uri,
    content_type: HeaderValue,
    accept: Option<HeaderValue>,
    variant: Option<HeaderValue>,
    payloads: Payloads,
}

/// A worker's connection: kept alive between requests, re-opened when it breaks.
pub struct UrlConn {
    sender: Option<SendRequest<Full<Bytes>>>,
    /// The connection drivers; aborted when the worker ends (no task outlives the run).
    drivers: JoinSet<()>,
}

/// Parses and checks a URL for `--url`: plain `http://host:port/path`. A URL without a path
/// means the container's `/invocations`.
pub fn parse_url(url: &str) -> Result<(Uri, String, u16, Uri), TargetError> {
    let bad = |why: &str| TargetError::BadUrl {
        url: url.to_string(),
        why: why.to_string(),
    };
    let uri: Uri = url
        .parse()
        .map_err(|_| bad("give a URL such as http://127.0.0.1:8080/invocations"))?;
    match uri.scheme_str() {
        Some("http") => {}
        Some("https") => {
            return Err(bad(
                "https is not supported for --url (a local container speaks plain http); use --endpoint NAME for a SageMaker endpoint",
            ));
        }
        _ => {
            return Err(bad(
                "it must start with http:// (e.g. http://127.0.0.1:8080/invocations)",
            ));
        }
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("it has no host"))?
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let port = uri.port_u16().unwrap_or(80);
    let path = match uri.path_and_query().map(|p| p.as_str()) {
        None | Some("") | Some("/") => "/invocations",
        Some(p) => p,
    };
    let path: Uri = path.parse().map_err(|_| bad("its path is not valid"))?;
    Ok((uri, host, port, path))
}

impl UrlTarget {
    /// Resolves the host once; every worker connects to the same address.
    pub async fn new(
        url: &str,
        opts: &RequestOptions,
        payloads: Payloads,
    ) -> Result<UrlTarget, TargetError> {
        let (uri, host, port, path) = parse_url(url)?;
        let addr = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| TargetError::Resolve {
                host: host.clone(),
                message: e.to_string(),
            })?
            .next()
            .ok_or_else(|| TargetError::Resolve {
                host: host.clone(),
                message: "no address".into(),
            })?;
        let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
        Ok(UrlTarget {
            url: url.to_string(),
            addr,
            host: header(&authority, "host")?,
            path,
            content_type: header(&opts.content_type, "--content-type")?,
            accept: opts
                .accept
                .as_deref()
                .map(|a| header(a, "--accept"))
                .transpose()?,
            variant: opts
                .variant
                .as_deref()
                .map(|v| header(v, "--variant"))
                .transpose()?,
            payloads,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// `GET /ping` on the same host: the container must answer 2XX within [`PING_TIMEOUT`].
    pub async fn ping(&self) -> Result<(), TargetError> {
        let fail = |detail: String| TargetError::Ping {
            url: self.url.clone(),
            detail,
        };
        let attempt = async {
            let stream = tokio::net::TcpStream::connect(self.addr)
                .await
                .map_err(|e| fail(format!("could not connect: {e}")))?;
            let (mut sender, conn) =
                hyper::client::conn::http1::handshake::<_, Empty<Bytes>>(TokioIo::new(stream))
                    .await
                    .map_err(|e| fail(format!("failed: {e}")))?;
            let mut driver = JoinSet::new();
            driver.spawn(async move {
                let _ = conn.await;
            });
            let req = Request::get("/ping")
                .header(HOST, self.host.clone())
                .body(Empty::new())
                .map_err(|e| fail(e.to_string()))?;
            let resp = sender
                .send_request(req)
                .await
                .map_err(|e| fail(format!("failed: {e}")))?;
            let status = resp.status();
            let _ = resp.into_body().collect().await;
            if status.is_success() {
                Ok(())
            } else {
                Err(fail(format!("answered {status}")))
            }
        };
        match tokio::time::timeout(PING_TIMEOUT, attempt).await {
            Ok(r) => r,
            Err(_) => Err(fail(format!(
                "did not answer within {} s",
                PING_TIMEOUT.as_secs()
            ))),
        }
    }

    fn request(&self, body: Bytes) -> Request<Full<Bytes>> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = self.path.clone();
        let h = req.headers_mut();
        h.insert(HOST, self.host.clone());
        h.insert(CONTENT_TYPE, self.content_type.clone());
        if let Some(a) = &self.accept {
            h.insert(ACCEPT, a.clone());
        }
        if let Some(v) = &self.variant {
            h.insert(TARGET_VARIANT, v.clone());
        }
        req
    }

    async fn connect(&self, conn: &mut UrlConn) -> Result<(), Outcome> {
        let stream = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| {
                Outcome::failed(ErrorKind::Connect, format!("connect {}: {e}", self.addr))
            })?;
        let _ = stream.set_nodelay(true);
        let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| Outcome::failed(ErrorKind::Connect, format!("handshake: {e}")))?;
        while conn.drivers.try_join_next().is_some() {}
        conn.drivers.spawn(async move {
            let _ = driver.await;
        });
        conn.sender = Some(sender);
        Ok(())
    }

    async fn read(&self, resp: Response<Incoming>, sent: u64) -> Outcome {
        let status = resp.status().as_u16();
        let variant = resp.headers().get(INVOKED_VARIANT).cloned();
        let error = (!resp.status().is_success()).then(|| {
            classify_status(
                status,
                resp.headers().get(ERROR_TYPE).map(HeaderValue::as_bytes),
            )
        });
        let mut body = resp.into_body();
        let mut received = 0u64;
        while let Some(frame) = body.frame().await {
            match frame {
                Ok(f) => {
                    if let Some(d) = f.data_ref() {
                        received += d.len() as u64;
                    }
                }
                Err(e) => {
                    return Outcome {
                        status: Some(status),
                        error: Some(ErrorKind::Other),
                        detail: Some(format!("reading the response: {e}")),
                        variant,
                        sent,
                        received,
                    };
                }
            }
        }
        Outcome {
            status: Some(status),
            detail: error.map(|k| format!("HTTP {status} ({})", k.label())),
            error,
            variant,
            sent,
            received,
        }
    }
}

impl Target for UrlTarget {
    type Conn = UrlConn;

    fn new_conn(&self) -> UrlConn {
        UrlConn {
            sender: None,
            drivers: JoinSet::new(),
        }
    }

    async fn send(&self, conn: &mut UrlConn, seq: u64) -> Outcome {
        let body = self.payloads.bodies()[self.payloads.index(seq)].clone();
        let sent = body.len() as u64;
        let mut req = self.request(body);
        let mut retried = false;
        loop {
            if conn.sender.as_ref().is_none_or(SendRequest::is_closed)
                && let Err(o) = self.connect(conn).await
            {
                return o;
            }
            let sender = conn.sender.as_mut().expect("connected above");
            if let Err(e) = sender.ready().await {
                conn.sender = None;
                if retried {
                    return Outcome::failed(ErrorKind::Connect, format!("connection lost: {e}"));
                }
                retried = true;
                continue;
            }
            match sender.try_send_request(req).await {
                Ok(resp) => return self.read(resp, sent).await,
                Err(mut e) => {
                    conn.sender = None;
                    // A kept-alive connection the server closed: send again on a new one, once.
                    match e.take_message() {
                        Some(r) if !retried => {
                            retried = true;
                            req = r;
                        }
                        _ => {
                            let err = e.into_error();
                            let kind = if err.is_incomplete_message() || err.is_closed() {
                                ErrorKind::Other
                            } else {
                                ErrorKind::Connect
                            };
                            return Outcome::failed(kind, format!("request failed: {err}"));
                        }
                    }
                }
            }
        }
    }
}

/// A SageMaker endpoint through `Backend::invoke` (`ReadOnly` refuses it).
pub struct BackendTarget {
    backend: SharedBackend,
    endpoint: String,
    variant: Option<String>,
    requests: Vec<InvokeRequest>,
    payloads: Payloads,
}

impl BackendTarget {
    /// One prepared `InvokeRequest` per payload (sent by reference: no copy per request).
    pub fn new(
        backend: SharedBackend,
        endpoint: &str,
        opts: &RequestOptions,
        payloads: Payloads,
    ) -> BackendTarget {
        let requests = payloads
            .bodies()
            .iter()
            .map(|b| InvokeRequest {
                endpoint: endpoint.to_string(),
                body: b.to_vec(),
                content_type: opts.content_type.clone(),
                accept: opts.accept.clone(),
                target_variant: opts.variant.clone(),
            })
            .collect();
        BackendTarget {
            backend,
            endpoint: endpoint.to_string(),
            variant: opts.variant.clone(),
            requests,
            payloads,
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }
}

/// Error kind of a failed `InvokeEndpoint`.
pub fn classify_backend_error(e: &BackendError) -> ErrorKind {
    match e {
        BackendError::Throttled { .. } => ErrorKind::Throttled,
        BackendError::Timeout { .. } => ErrorKind::Timeout,
        BackendError::Network { .. } => ErrorKind::Connect,
        BackendError::Service { code, .. } => match code.as_str() {
            "ModelError" => ErrorKind::ModelError,
            "ThrottlingException" | "ModelNotReadyException" => ErrorKind::Throttled,
            _ => ErrorKind::Server5xx,
        },
        BackendError::Validation { .. }
        | BackendError::NotFound { .. }
        | BackendError::AccessDenied { .. }
        | BackendError::Credentials { .. }
        | BackendError::LimitExceeded { .. }
        | BackendError::ReadOnly { .. } => ErrorKind::Client4xx,
    }
}

impl Target for BackendTarget {
    type Conn = ();

    fn new_conn(&self) {}

    async fn send(&self, _conn: &mut (), seq: u64) -> Outcome {
        let req = &self.requests[self.payloads.index(seq)];
        let sent = req.body.len() as u64;
        match self.backend.invoke(req).await {
            Ok(resp) => Outcome {
                status: Some(200),
                error: None,
                detail: None,
                variant: resp
                    .invoked_variant
                    .as_deref()
                    .and_then(|v| HeaderValue::from_str(v).ok()),
                sent,
                received: resp.body.len() as u64,
            },
            Err(e) => Outcome {
                sent,
                ..Outcome::failed(classify_backend_error(&e), e.to_string())
            },
        }
    }
}

/// Either kind of target, as chosen at start-up.
pub enum LoadTarget {
    Url(Box<UrlTarget>),
    Backend(BackendTarget),
}

impl LoadTarget {
    /// "http://127.0.0.1:8080/invocations" or "endpoint fraud-detector (variant A)".
    pub fn describe(&self) -> String {
        match self {
            LoadTarget::Url(u) => u.url().to_string(),
            LoadTarget::Backend(b) => match b.variant() {
                Some(v) => format!("endpoint {} (variant {v})", b.endpoint()),
                None => format!("endpoint {}", b.endpoint()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked_with_a_reason() {
        let (_, host, port, path) = parse_url("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            (host.as_str(), port, path.path()),
            ("127.0.0.1", 8080, "/invocations")
        );
        let (_, _, port, path) = parse_url("http://localhost/endpoints/a/invocations").unwrap();
        assert_eq!((port, path.path()), (80, "/endpoints/a/invocations"));
        for (bad, why) in [
            ("not a url", "http://"),
            ("https://example.com/invocations", "https is not supported"),
            ("ftp://host/x", "http://"),
            ("http:///invocations", "URL"),
        ] {
            let err = parse_url(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn answers_are_classified_like_sagemaker() {
        assert_eq!(
            classify_status(400, Some(b"ThrottlingException:http://x")),
            ErrorKind::Throttled
        );
        assert_eq!(
            classify_status(424, Some(b"ModelError")),
            ErrorKind::ModelError
        );
        assert_eq!(classify_status(429, None), ErrorKind::Throttled);
        assert_eq!(classify_status(404, None), ErrorKind::Client4xx);
        assert_eq!(classify_status(503, None), ErrorKind::Server5xx);
        assert_eq!(classify_status(302, None), ErrorKind::Other);
    }
}
