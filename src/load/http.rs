//! Owns the load engine's lean HTTP target: `--url` (a container's `/invocations`, plain or
//! https) and InvokeEndpoint itself (`POST /endpoints/{name}/invocations`, SigV4-signed with
//! `aws-sigv4`, over the engine's own HTTP/1.1 exchange (`h1`; hyper's client with
//! `--http-client hyper` and for `--stream`) and rustls — one keep-alive connection per
//! worker, the answer's
//! status, `x-Amzn-Invoked-Production-Variant` and AWS error code read off the wire, and with
//! `--stream` InvokeEndpointWithResponseStream's event stream read chunk by chunk.
//!
//! InvokeEndpoint: https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpoint.html
//! InvokeEndpointWithResponseStream:
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_InvokeEndpointWithResponseStream.html

use std::time::SystemTime;

use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, Uri};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::conn::{Conn, Dialer};
use super::errors::aws_error;
use super::h1::H1;
use super::payload::Payloads;
use super::sign::{Signer, SignerState};
use super::sigv4::{self, Shape};
use super::stats::{ErrorKind, Outcome};
use super::stream::EventStreamReader;
use super::target::{
    HttpClient, INVOKED_VARIANT, PING_TIMEOUT, RequestOptions, Target, TargetError,
    classify_status, parse_url,
};

/// Where requests go and what every one of them carries.
pub struct UrlTarget {
    url: String,
    dialer: Dialer,
    path: Uri,
    /// Host, content type, accept, variant and the user's headers, in every request.
    headers: HeaderMap,
    /// The request line and `headers` as sent; `request_line`: where the headers begin.
    head: Vec<u8>,
    request_line: usize,
    signer: Option<Signer>,
    /// What every signed request shares (SigV4's hot path); `None`: aws-sigv4 signs each.
    shape: Option<Shape>,
    /// Signed runs: the payload hash of each body, computed once.
    hashes: Vec<String>,
    /// Read the answer as an AWS event stream (InvokeEndpointWithResponseStream).
    stream: bool,
    /// Answers read whole go through the engine's own exchange instead of hyper's client.
    own: bool,
    payloads: Payloads,
}

/// A worker's connection and its copy of the signing keys.
pub struct UrlConn {
    /// Streamed answers: hyper's connection.
    conn: Conn,
    keys: Option<SignerState>,
    /// Answers read whole: the engine's own HTTP/1.1 exchange, and its request buffer.
    h1: H1,
    out: Vec<u8>,
}

/// Bodies up to this size are copied behind the head and written with it.
const INLINE_BODY: usize = 16 * 1024;

/// HTTP/1.1 header lines for `headers` (names as stored: lowercase).
fn write_headers(out: &mut Vec<u8>, headers: &HeaderMap) {
    for (name, value) in headers {
        out.extend_from_slice(name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
}

fn header(v: &str, what: &str) -> Result<HeaderValue, TargetError> {
    HeaderValue::from_str(v)
        .map_err(|_| TargetError::Header(format!("{what} {v:?} is not a valid header value")))
}

/// InvokeEndpoint's request headers (the API reference's "URI Request Parameters").
fn fixed_headers(opts: &RequestOptions, authority: &str) -> Result<HeaderMap, TargetError> {
    let mut h = HeaderMap::new();
    h.insert(HOST, header(authority, "host")?);
    h.insert(CONTENT_TYPE, header(&opts.content_type, "--content-type")?);
    if let Some(a) = &opts.accept {
        h.insert(ACCEPT, header(a, "--accept")?);
    }
    let named = [
        (
            "x-amzn-sagemaker-target-variant",
            &opts.variant,
            "--variant",
        ),
        (
            "x-amzn-sagemaker-custom-attributes",
            &opts.custom_attributes,
            "--custom-attributes",
        ),
        (
            "x-amzn-sagemaker-inference-component",
            &opts.inference_component,
            "--inference-component",
        ),
        (
            "x-amzn-sagemaker-target-container-hostname",
            &opts.target_container_hostname,
            "--target-container-hostname",
        ),
    ];
    for (name, value, flag) in named {
        if let Some(v) = value {
            h.insert(HeaderName::from_static(name), header(v, flag)?);
        }
    }
    for (name, value) in &opts.headers {
        let n = HeaderName::from_bytes(name.trim().as_bytes())
            .map_err(|_| TargetError::Header(format!("-H {name:?}: not a valid header name")))?;
        h.insert(n, header(value.trim(), &format!("-H {name}"))?);
    }
    Ok(h)
}

async fn resolve(host: &str, port: u16) -> Result<std::net::SocketAddr, TargetError> {
    tokio::net::lookup_host((host, port))
        .await
        .map_err(|e| TargetError::Resolve {
            host: host.to_string(),
            message: e.to_string(),
        })?
        .next()
        .ok_or_else(|| TargetError::Resolve {
            host: host.to_string(),
            message: "no address".into(),
        })
}

impl UrlTarget {
    /// `--url`: plain http or https (`insecure`: accept any certificate).
    pub async fn new(
        url: &str,
        opts: &RequestOptions,
        payloads: Payloads,
    ) -> Result<UrlTarget, TargetError> {
        UrlTarget::build(url, opts, payloads, None, false).await
    }

    /// InvokeEndpoint on `endpoint` at `base` (`https://runtime.sagemaker.{region}.amazonaws.com`
    /// or an emulator), signed by `signer`; `stream`: InvokeEndpointWithResponseStream.
    pub async fn endpoint(
        base: &str,
        endpoint: &str,
        opts: &RequestOptions,
        payloads: Payloads,
        signer: Signer,
        stream: bool,
    ) -> Result<UrlTarget, TargetError> {
        let route = if stream {
            "invocations-response-stream"
        } else {
            "invocations"
        };
        let url = format!(
            "{}/endpoints/{endpoint}/{route}",
            base.trim_end_matches('/')
        );
        UrlTarget::build(&url, opts, payloads, Some(signer), stream).await
    }

    async fn build(
        url: &str,
        opts: &RequestOptions,
        payloads: Payloads,
        signer: Option<Signer>,
        stream: bool,
    ) -> Result<UrlTarget, TargetError> {
        let (uri, host, port, path) = parse_url(url)?;
        let addr = resolve(&host, port).await?;
        let tls = (uri.scheme_str() == Some("https")).then(|| (host.clone(), opts.insecure));
        let dialer = Dialer::new(addr, tls).map_err(|why| TargetError::BadUrl {
            url: url.to_string(),
            why,
        })?;
        let authority = uri.authority().map_or(host.clone(), |a| a.to_string());
        let headers = fixed_headers(opts, &authority)?;
        let mut head = format!("POST {path} HTTP/1.1\r\n").into_bytes();
        let request_line = head.len();
        write_headers(&mut head, &headers);
        let (shape, hashes) = match &signer {
            Some(_) => (
                Shape::new("POST", path.to_string().as_str(), &headers),
                payloads
                    .bodies()
                    .iter()
                    .map(|b| sigv4::payload_hash(b))
                    .collect(),
            ),
            None => (None, Vec::new()),
        };
        Ok(UrlTarget {
            url: format!(
                "{}://{authority}{}",
                uri.scheme_str().unwrap_or("http"),
                path
            ),
            dialer,
            head,
            request_line,
            path,
            headers,
            signer,
            shape,
            hashes,
            stream,
            own: opts.client == HttpClient::Own,
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
            let (mut sender, driver) = self
                .dialer
                .open::<Empty<Bytes>>()
                .await
                .map_err(|e| fail(format!("could not connect: {e}")))?;
            let mut drivers = JoinSet::new();
            drivers.spawn(driver);
            let req = Request::get("/ping")
                .header(HOST, self.headers[HOST].clone())
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

    /// The headers of the `index`-th body's request: the fixed ones, signed when signing.
    async fn headers(&self, conn: &mut UrlConn, index: usize) -> Result<HeaderMap, Outcome> {
        let mut headers = self.headers.clone();
        if let Some(signer) = &self.signer {
            let body = &self.payloads.bodies()[index];
            let now = SystemTime::now();
            signer
                .refresh(&mut conn.keys, now)
                .await
                .map_err(|e| Outcome::failed(ErrorKind::Other, e))?;
            let state = conn.keys.as_mut().expect("refreshed above");
            signer
                .sign_shaped(
                    state,
                    self.shape.as_ref(),
                    &self.url,
                    &mut headers,
                    body,
                    &self.hashes[index],
                    now,
                )
                .map_err(|e| Outcome::failed(ErrorKind::Other, e))?;
        }
        Ok(headers)
    }

    async fn request(
        &self,
        conn: &mut UrlConn,
        index: usize,
    ) -> Result<Request<Full<Bytes>>, Outcome> {
        let headers = self.headers(conn, index).await?;
        let mut req = Request::new(Full::new(self.payloads.bodies()[index].clone()));
        *req.method_mut() = Method::POST;
        *req.uri_mut() = self.path.clone();
        *req.headers_mut() = headers;
        Ok(req)
    }

    /// Answers read whole: the request's bytes in the worker's buffer, sent and read by
    /// [`H1`] (the request line and fixed headers were written once, at the start).
    async fn send_h1(&self, conn: &mut UrlConn, index: usize) -> Outcome {
        let body = &self.payloads.bodies()[index];
        let mut out = std::mem::take(&mut conn.out);
        out.clear();
        if self.signer.is_some() {
            match self.headers(conn, index).await {
                Ok(headers) => {
                    out.extend_from_slice(&self.head[..self.request_line]);
                    write_headers(&mut out, &headers);
                }
                Err(o) => {
                    conn.out = out;
                    return o;
                }
            }
        } else {
            out.extend_from_slice(&self.head);
        }
        out.extend_from_slice(b"content-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        // Small bodies go in the same write as the head; big ones are not copied.
        let rest: &[u8] = if body.len() <= INLINE_BODY {
            out.extend_from_slice(body);
            &[]
        } else {
            body
        };
        let outcome = conn.h1.exchange(&self.dialer, &out, rest).await;
        conn.out = out;
        outcome
    }

    async fn read(&self, conn: &mut Conn, resp: Response<Incoming>, sent: u64) -> Outcome {
        let first_at = Some(Instant::now());
        let status = resp.status().as_u16();
        let variant = resp.headers().get(INVOKED_VARIANT).cloned();
        if !resp.status().is_success() {
            return self
                .read_error(conn, resp, status, variant, sent, first_at)
                .await;
        }
        let mut outcome = Outcome {
            status: Some(status),
            variant,
            sent,
            first_at,
            ..Outcome::default()
        };
        let mut body = resp.into_body();
        let mut events = self.stream.then(EventStreamReader::default);
        while let Some(frame) = conn.drive(body.frame()).await {
            let data = match frame {
                Ok(f) => match f.into_data() {
                    Ok(d) => d,
                    Err(_) => continue,
                },
                Err(e) => {
                    outcome.error = Some(ErrorKind::Other);
                    outcome.detail = Some(format!("reading the response: {e}"));
                    return outcome;
                }
            };
            outcome.received += data.len() as u64;
            if let Some(ev) = events.as_mut() {
                match ev.push(&data) {
                    Ok(parts) => {
                        if parts > 0 && outcome.chunks == 0 {
                            outcome.first_at = Some(Instant::now());
                        }
                        outcome.chunks += parts;
                    }
                    Err(e) => {
                        outcome.error = Some(e.kind);
                        outcome.code = e.code;
                        outcome.detail = Some(e.message);
                        return outcome;
                    }
                }
            }
        }
        if let Some(ev) = &events
            && let Err(e) = ev.finish(outcome.chunks)
        {
            outcome.error = Some(e.kind);
            outcome.code = e.code;
            outcome.detail = Some(e.message);
        }
        outcome
    }

    async fn read_error(
        &self,
        conn: &mut Conn,
        resp: Response<Incoming>,
        status: u16,
        variant: Option<HeaderValue>,
        sent: u64,
        first_at: Option<Instant>,
    ) -> Outcome {
        let header_code = resp
            .headers()
            .get(super::target::ERROR_TYPE)
            .map(|v| v.as_bytes().to_vec());
        // An error body is small JSON; more than 64 KiB is not worth keeping.
        let limited = http_body_util::Limited::new(resp.into_body(), 64 * 1024);
        let body = match conn.drive(limited.collect()).await {
            Ok(b) => b.to_bytes(),
            Err(_) => Bytes::new(),
        };
        let mut outcome = Outcome {
            status: Some(status),
            variant,
            sent,
            received: body.len() as u64,
            first_at,
            ..Outcome::default()
        };
        error_outcome(&mut outcome, header_code.as_deref(), &body);
        outcome
    }
}

/// Fills in an error answer's kind, AWS error code and detail from its status (already in
/// `outcome`), its `x-amzn-ErrorType` header and its body.
pub(super) fn error_outcome(outcome: &mut Outcome, header_code: Option<&[u8]>, body: &[u8]) {
    let status = outcome.status.unwrap_or(0);
    let (code, message) = aws_error(header_code, body);
    let kind = match &code {
        Some(c) => super::errors::classify_code(c, status),
        None => classify_status(status, None),
    };
    outcome.detail = Some(match (&code, &message) {
        (Some(c), Some(m)) => format!("HTTP {status} {c}: {m}"),
        (Some(c), None) => format!("HTTP {status} {c}"),
        (None, _) => format!("HTTP {status} ({})", kind.label()),
    });
    outcome.error = Some(kind);
    outcome.code = code;
}

impl Target for UrlTarget {
    type Conn = UrlConn;

    fn new_conn(&self) -> UrlConn {
        UrlConn {
            conn: if self.stream {
                Conn::with_driver_task()
            } else {
                Conn::default()
            },
            keys: None,
            h1: H1::default(),
            out: Vec::new(),
        }
    }

    async fn send(&self, conn: &mut UrlConn, seq: u64) -> Outcome {
        let index = self.payloads.index(seq);
        let sent = self.payloads.bodies()[index].len() as u64;
        if !self.stream && self.own {
            let mut outcome = self.send_h1(conn, index).await;
            outcome.sent = sent;
            outcome.dial = conn.h1.take_dial();
            return outcome;
        }
        let req = match self.request(conn, index).await {
            Ok(r) => r,
            Err(o) => return o,
        };
        let mut outcome = match conn.conn.send(&self.dialer, req).await {
            Ok(resp) => self.read(&mut conn.conn, resp, sent).await,
            Err(o) => Outcome { sent, ..o },
        };
        outcome.dial = conn.conn.take_dial();
        outcome
    }
}
