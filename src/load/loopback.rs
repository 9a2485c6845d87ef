//! Owns a tiny SageMaker-style server on 127.0.0.1 with controlled behaviour (fixed delay, an
//! error on every Nth request, one stall, a failing `/ping`, https with a given certificate,
//! SigV4 checked by recomputing the signature, streamed answers with a delayed first chunk,
//! received bodies kept), answering `/invocations` and the runtime's
//! `/endpoints/{name}/invocations[-response-stream]`, on its own thread and runtime: the
//! engine's tests, `examples/loopback_server.rs` and `scripts/bench-vs-oha`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::aws::signing::SigningKeys;

/// How the server behaves.
#[derive(Debug, Clone)]
pub struct LoopbackConfig {
    /// Sleep before every `/invocations` answer.
    pub delay: Duration,
    /// Answer 500 on every Nth request (the Nth, 2Nth, …).
    pub fail_every: Option<u64>,
    /// Stall the Nth request (1-based) for this long, once.
    pub stall_once: Option<(u64, Duration)>,
    /// Status of `GET /ping`.
    pub ping_status: u16,
    /// Body of a successful answer.
    pub body: Bytes,
    /// Sent as `x-Amzn-Invoked-Production-Variant` when set.
    pub variant: Option<String>,
    /// Runtime threads of the server (1: a current-thread runtime).
    pub threads: usize,
    /// Port to listen on (0: a free one).
    pub port: u16,
    /// The failing answer of `fail_every`: status and AWS error code (`x-amzn-ErrorType`).
    pub fail_with: (u16, Option<&'static str>),
    /// https with this certificate chain and private key (PEM).
    pub tls: Option<(Vec<u8>, Vec<u8>)>,
    /// Check every invocation's SigV4 signature with these keys in this region; a wrong one
    /// is answered 403 `InvalidSignatureException`.
    pub sigv4: Option<(SigningKeys, String)>,
    /// Keep every received invocation body (see [`LoopbackServer::bodies`]).
    pub keep_bodies: bool,
    /// The streaming route's answer: this many `PayloadPart` events, the first after
    /// `first_chunk_after`, the next ones `chunk_every` apart.
    pub stream_chunks: u32,
    pub first_chunk_after: Duration,
    pub chunk_every: Duration,
}

impl Default for LoopbackConfig {
    fn default() -> Self {
        LoopbackConfig {
            delay: Duration::ZERO,
            fail_every: None,
            stall_once: None,
            ping_status: 200,
            body: Bytes::from_static(b"0.12345"),
            variant: None,
            threads: 1,
            port: 0,
            fail_with: (500, None),
            tls: None,
            sigv4: None,
            keep_bodies: false,
            stream_chunks: 3,
            first_chunk_after: Duration::ZERO,
            chunk_every: Duration::ZERO,
        }
    }
}

/// A running loopback server; stopped (and its thread joined) on drop.
pub struct LoopbackServer {
    addr: SocketAddr,
    tls: bool,
    invocations: Arc<AtomicU64>,
    state: Arc<State>,
    cancel: CancellationToken,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LoopbackServer {
    /// Binds 127.0.0.1 and serves on a thread of its own.
    pub fn start(config: LoopbackConfig) -> std::io::Result<LoopbackServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", config.port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let invocations = Arc::new(AtomicU64::new(0));
        let state = Arc::new(State::default());
        let acceptor = match &config.tls {
            None => None,
            Some((cert, key)) => Some(acceptor(cert, key)?),
        };
        let tls = acceptor.is_some();
        let cancel = CancellationToken::new();
        let rt = if config.threads <= 1 {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?
        } else {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(config.threads)
                .enable_all()
                .build()?
        };
        let (count, stop, st) = (invocations.clone(), cancel.clone(), state.clone());
        let thread = std::thread::Builder::new()
            .name("loopback-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => serve(l, Arc::new(config), count, st, acceptor, stop).await,
                        Err(e) => tracing::error!(error = %e, "loopback server cannot listen"),
                    }
                });
            })?;
        Ok(LoopbackServer {
            addr,
            tls,
            invocations,
            state,
            cancel,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (https with a certificate).
    pub fn base_url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/invocations`.
    pub fn invocations_url(&self) -> String {
        format!("{}/invocations", self.base_url())
    }

    /// Invocation bodies received so far (with `keep_bodies`).
    pub fn bodies(&self) -> Vec<Bytes> {
        self.state
            .bodies
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Invocations refused for a wrong signature, and the first reason.
    pub fn bad_signatures(&self) -> (u64, Option<String>) {
        let first = self
            .state
            .first_bad
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (self.state.bad.load(Ordering::Relaxed), first)
    }

    /// `POST /invocations` requests received so far.
    pub fn invocations(&self) -> u64 {
        self.invocations.load(Ordering::Relaxed)
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        self.cancel.cancel();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the server saw, for the tests.
#[derive(Default)]
struct State {
    bodies: Mutex<Vec<Bytes>>,
    bad: AtomicU64,
    first_bad: Mutex<Option<String>>,
}

fn acceptor(cert: &[u8], key: &[u8]) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, e);
    let certs = CertificateDer::pem_slice_iter(cert)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(format!("certificate: {e}")))?;
    let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| bad(format!("private key: {e}")))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| bad(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| bad(e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<LoopbackConfig>,
    count: Arc<AtomicU64>,
    state: Arc<State>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    stop: CancellationToken,
) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = stop.cancelled() => break,
            a = listener.accept() => a,
        };
        while conns.try_join_next().is_some() {}
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let (config, count, state, tls) =
            (config.clone(), count.clone(), state.clone(), tls.clone());
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                answer(req, config.clone(), count.clone(), state.clone())
            });
            let http = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .clone();
            match tls {
                None => {
                    let _ = http.serve_connection(TokioIo::new(stream), service).await;
                }
                Some(acceptor) => {
                    if let Ok(s) = acceptor.accept(stream).await {
                        let _ = http.serve_connection(TokioIo::new(s), service).await;
                    }
                }
            }
        });
    }
    // Dropping the set aborts every connection still open.
}

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn full(b: Bytes) -> Body {
    Full::new(b).boxed()
}

fn status_only(status: u16, code: Option<&str>) -> Response<Body> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Some(c) = code
        && let Ok(v) = hyper::header::HeaderValue::from_str(c)
    {
        r.headers_mut().insert(super::target::ERROR_TYPE, v);
    }
    r
}

async fn answer(
    req: Request<Incoming>,
    config: Arc<LoopbackConfig>,
    count: Arc<AtomicU64>,
    state: Arc<State>,
) -> Result<Response<Body>, Infallible> {
    let path = req.uri().path().to_string();
    let streaming = path.ends_with("/invocations-response-stream");
    let invocation = path == "/invocations"
        || (path.starts_with("/endpoints/") && (path.ends_with("/invocations") || streaming));
    match (req.method(), invocation) {
        (&Method::GET, _) if path == "/ping" => Ok(status_only(config.ping_status, None)),
        (&Method::POST, true) => {
            let (parts, body) = req.into_parts();
            let body = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            if let Some((keys, region)) = &config.sigv4 {
                let scheme = if config.tls.is_some() {
                    "https"
                } else {
                    "http"
                };
                let host = parts
                    .headers
                    .get(hyper::header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("");
                let url = format!("{scheme}://{host}{}", parts.uri);
                if let Err(why) =
                    super::sign::verify(keys, region, "POST", &url, &parts.headers, &body)
                {
                    state.bad.fetch_add(1, Ordering::Relaxed);
                    state
                        .first_bad
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .get_or_insert(why);
                    return Ok(status_only(403, Some("InvalidSignatureException")));
                }
            }
            if config.keep_bodies {
                state
                    .bodies
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(body);
            }
            let n = count.fetch_add(1, Ordering::Relaxed) + 1;
            let mut delay = config.delay;
            if let Some((at, stall)) = config.stall_once
                && at == n
            {
                delay += stall;
            }
            if !delay.is_zero() {
                precise_sleep(delay).await;
            }
            if config
                .fail_every
                .is_some_and(|k| k > 0 && n.is_multiple_of(k))
            {
                return Ok(status_only(config.fail_with.0, config.fail_with.1));
            }
            let mut r = if streaming {
                Response::new(stream_body(config.clone()))
            } else {
                Response::new(full(config.body.clone()))
            };
            if streaming {
                r.headers_mut().insert(
                    hyper::header::CONTENT_TYPE,
                    hyper::header::HeaderValue::from_static("application/vnd.amazon.eventstream"),
                );
            }
            if let Some(v) = &config.variant
                && let Ok(h) = hyper::header::HeaderValue::from_str(v)
            {
                r.headers_mut().insert(super::target::INVOKED_VARIANT, h);
            }
            Ok(r)
        }
        _ => Ok(status_only(404, None)),
    }
}

/// `stream_chunks` PayloadPart frames, the first after `first_chunk_after`.
fn stream_body(config: Arc<LoopbackConfig>) -> Body {
    let frames = futures::stream::unfold(0u32, move |i| {
        let config = config.clone();
        async move {
            if i >= config.stream_chunks {
                return None;
            }
            let wait = if i == 0 {
                config.first_chunk_after
            } else {
                config.chunk_every
            };
            if !wait.is_zero() {
                precise_sleep(wait).await;
            }
            let frame = super::stream::payload_part(format!("token {i} ").as_bytes());
            Some((Ok::<_, Infallible>(hyper::body::Frame::data(frame)), i + 1))
        }
    });
    http_body_util::StreamBody::new(frames).boxed()
}

/// Sleeps `d` without the timer's overshoot (it rounds up to the next millisecond and then
/// some): the timer covers all but the last 2 ms, which pass yielding to the runtime.
async fn precise_sleep(d: Duration) {
    let until = tokio::time::Instant::now() + d;
    let coarse = d.saturating_sub(Duration::from_millis(2));
    if !coarse.is_zero() {
        tokio::time::sleep(coarse).await;
    }
    while tokio::time::Instant::now() < until {
        tokio::task::yield_now().await;
    }
}
