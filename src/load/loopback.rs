//! Owns a tiny SageMaker-style container on 127.0.0.1 with controlled behaviour (fixed
//! delay, a 500 on every Nth request, one stall, a failing `/ping`), on its own thread and
//! runtime: the engine's tests, `examples/loopback_server.rs` and `scripts/bench-vs-oha`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

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
        }
    }
}

/// A running loopback server; stopped (and its thread joined) on drop.
pub struct LoopbackServer {
    addr: SocketAddr,
    invocations: Arc<AtomicU64>,
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
        let (count, stop) = (invocations.clone(), cancel.clone());
        let thread = std::thread::Builder::new()
            .name("loopback-server".into())
            .spawn(move || {
                rt.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => serve(l, Arc::new(config), count, stop).await,
                        Err(e) => tracing::error!(error = %e, "loopback server cannot listen"),
                    }
                });
            })?;
        Ok(LoopbackServer {
            addr,
            invocations,
            cancel,
            thread: Some(thread),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/invocations`.
    pub fn invocations_url(&self) -> String {
        format!("http://{}/invocations", self.addr)
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

async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<LoopbackConfig>,
    count: Arc<AtomicU64>,
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
        let (config, count) = (config.clone(), count.clone());
        conns.spawn(async move {
            let service =
                hyper::service::service_fn(move |req| answer(req, config.clone(), count.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    // Dropping the set aborts every connection still open.
}

async fn answer(
    req: Request<Incoming>,
    config: Arc<LoopbackConfig>,
    count: Arc<AtomicU64>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let empty = |status: u16| {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        r
    };
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/ping") => Ok(empty(config.ping_status)),
        (&Method::POST, "/invocations") => {
            let _ = req.into_body().collect().await;
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
                return Ok(empty(500));
            }
            let mut r = Response::new(Full::new(config.body.clone()));
            if let Some(v) = &config.variant
                && let Ok(h) = hyper::header::HeaderValue::from_str(v)
            {
                r.headers_mut().insert(super::target::INVOKED_VARIANT, h);
            }
            Ok(r)
        }
        _ => Ok(empty(404)),
    }
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
