//! Owns what a load run sends requests to: a plain URL (a SageMaker-style container's
//! `/invocations`, or the simulated account's `/endpoints/{name}/invocations`) over HTTP/1.1
//! with one keep-alive connection per worker (the engine's own exchange; hyper's client with
//! `--http-client hyper` and for streamed answers), checked first with `GET /ping`;
//! or a SageMaker endpoint through `Backend::invoke` (the only path that reaches AWS).

use std::future::Future;
use std::time::Duration;

use hyper::Uri;
use hyper::header::{HeaderName, HeaderValue};

pub use super::http::{UrlConn, UrlTarget};
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
    /// `CustomAttributes` (`X-Amzn-SageMaker-Custom-Attributes`).
    pub custom_attributes: Option<String>,
    /// `InferenceComponentName` (`X-Amzn-SageMaker-Inference-Component`).
    pub inference_component: Option<String>,
    /// `TargetContainerHostname` (`X-Amzn-SageMaker-Target-Container-Hostname`).
    pub target_container_hostname: Option<String>,
    /// `-H NAME:VALUE`: more headers, sent (and signed) as given.
    pub headers: Vec<(String, String)>,
    /// https: accept any server certificate (`--insecure`, self-signed test servers).
    pub insecure: bool,
    /// Who carries answers read whole: sagetop's own HTTP/1.1 exchange, or hyper's client.
    pub client: HttpClient,
}

/// The HTTP/1.1 client of a run's answers read whole (`--http-client`). Streamed answers
/// (`--stream`) always go through hyper.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HttpClient {
    /// The engine's own exchange (`load::h1`): about half hyper's client CPU per request, so
    /// less of the client's own time sits inside every latency a run reports, and a load
    /// host sends more before its own CPU is the limit.
    #[default]
    Own,
    /// hyper's client connection, driven inside the worker's task: for a server the own
    /// exchange does not get along with.
    Hyper,
}

impl HttpClient {
    pub fn parse(s: &str) -> Result<HttpClient, String> {
        match s {
            "own" => Ok(HttpClient::Own),
            "hyper" => Ok(HttpClient::Hyper),
            other => Err(format!("{other:?}: the HTTP client is `own` or `hyper`")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            HttpClient::Own => "own",
            HttpClient::Hyper => "hyper",
        }
    }
}

impl Default for RequestOptions {
    fn default() -> Self {
        RequestOptions {
            content_type: "text/csv".into(),
            accept: None,
            variant: None,
            custom_attributes: None,
            inference_component: None,
            target_container_hostname: None,
            headers: Vec::new(),
            insecure: false,
            client: HttpClient::Own,
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

/// Parses and checks a URL for `--url`: `http://` or `https://host:port/path`. A URL without a path
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
        Some("http" | "https") => {}
        _ => {
            return Err(bad(
                "it must start with http:// or https:// (e.g. http://127.0.0.1:8080/invocations)",
            ));
        }
    }
    let host = uri
        .host()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| bad("it has no host"))?
        .trim_matches(|c| c == '[' || c == ']')
        .to_string();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("https") {
            443
        } else {
            80
        });
    let path = match uri.path_and_query().map(|p| p.as_str()) {
        None | Some("") | Some("/") => "/invocations",
        Some(p) => p,
    };
    let path: Uri = path.parse().map_err(|_| bad("its path is not valid"))?;
    Ok((uri, host, port, path))
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
                ..Outcome::default()
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
        let (_, _, port, _) =
            parse_url("https://runtime.sagemaker.eu-west-1.amazonaws.com/x").unwrap();
        assert_eq!(port, 443);
        let (_, _, port, path) = parse_url("http://localhost/endpoints/a/invocations").unwrap();
        assert_eq!((port, path.path()), (80, "/endpoints/a/invocations"));
        for (bad, why) in [
            ("not a url", "http://"),
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
