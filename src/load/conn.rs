//! Owns a load worker's HTTP/1.1 connection: TCP with Nagle off, or TLS through rustls (the
//! system's root certificates, or any certificate with `--insecure`), hyper's client handshake,
//! keep-alive between requests, and one resend on a new connection when the server closed a
//! kept-alive one. One `Conn` per worker: no pool, no lock on the request path, and the
//! connection is driven inside the worker's own task (no hand-over to a driver task and back
//! on every request).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::ClientConfig;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use tokio::task::JoinSet;

use super::h1::Io;
use super::stats::{ErrorKind, Outcome};

/// Where a worker connects and how: the resolved address, and TLS when the URL is https.
pub struct Dialer {
    addr: SocketAddr,
    tls: Option<(tokio_rustls::TlsConnector, ServerName<'static>)>,
}

/// hyper's connection future: reads and writes the socket; polled by whoever waits on it.
pub type Driver = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A worker's connection: kept alive between requests, re-opened when it breaks.
#[derive(Default)]
pub struct Conn {
    sender: Option<SendRequest<Full<Bytes>>>,
    /// How long opening the current connection took, until a request reports it.
    dialed: Option<std::time::Duration>,
    /// The connection, driven while the worker waits on it (dropped with the worker).
    driver: Option<Driver>,
    /// Streamed answers: the connection runs as a task of its own instead, so chunks are
    /// read off the socket as they arrive (aborted when the worker ends).
    spawned: Option<JoinSet<()>>,
}

impl Dialer {
    /// `tls`: the server name to verify and whether to skip verification (`--insecure`).
    pub fn new(addr: SocketAddr, tls: Option<(String, bool)>) -> Result<Dialer, String> {
        let tls = match tls {
            None => None,
            Some((host, insecure)) => {
                let name = ServerName::try_from(host.clone())
                    .map_err(|_| format!("{host:?} is not a valid TLS server name"))?;
                let config = client_config(insecure)?;
                Some((tokio_rustls::TlsConnector::from(config), name))
            }
        };
        Ok(Dialer { addr, tls })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// Opens a connection's byte stream: TCP with Nagle off, then TLS for https.
    pub async fn connect(&self) -> Result<Io, String> {
        let tcp = tokio::net::TcpStream::connect(self.addr)
            .await
            .map_err(|e| format!("connect {}: {e}", self.addr))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Io::Tcp(tcp)),
            Some((connector, name)) => connector
                .connect(name.clone(), tcp)
                .await
                .map(|s| Io::Tls(Box::new(s)))
                .map_err(|e| format!("TLS handshake with {}: {e}", self.addr)),
        }
    }

    /// Opens a connection: hyper's sender and the connection future to poll.
    pub async fn open<B>(&self) -> Result<(SendRequest<B>, Driver), String>
    where
        B: hyper::body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        async fn handshake<T, B>(io: T) -> Result<(SendRequest<B>, Driver), String>
        where
            T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
            B: hyper::body::Body + Send + 'static,
            B::Data: Send,
            B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
        {
            let (sender, driver) = hyper::client::conn::http1::handshake(TokioIo::new(io))
                .await
                .map_err(|e| format!("HTTP handshake: {e}"))?;
            Ok((
                sender,
                Box::pin(async move {
                    let _ = driver.await;
                }),
            ))
        }
        match self.connect().await? {
            Io::Tcp(tcp) => handshake(tcp).await,
            Io::Tls(tls) => handshake(*tls).await,
        }
    }
}

impl Conn {
    /// A connection whose driver runs as its own task (streamed answers).
    pub fn with_driver_task() -> Conn {
        Conn {
            spawned: Some(JoinSet::new()),
            ..Conn::default()
        }
    }

    /// Waits on `fut` while driving the connection (the socket's reads and writes happen in
    /// this task). When the connection ends, `fut` sees it closed.
    pub async fn drive<F: Future>(&mut self, fut: F) -> F::Output {
        let mut fut = std::pin::pin!(fut);
        let driver = &mut self.driver;
        std::future::poll_fn(|cx| {
            if let Poll::Ready(v) = fut.as_mut().poll(cx) {
                return Poll::Ready(v);
            }
            let Some(d) = driver.as_mut() else {
                return Poll::Pending;
            };
            if d.as_mut().poll(cx).is_ready() {
                // Dropping the connection closes its channels: `fut` is woken with the news.
                *driver = None;
            }
            fut.as_mut().poll(cx)
        })
        .await
    }

    /// The dial time of a connection opened since the last call.
    pub fn take_dial(&mut self) -> Option<std::time::Duration> {
        self.dialed.take()
    }

    /// Sends `req` on the kept-alive connection (opening one first when there is none), and
    /// once more on a new connection when the server had closed the old one.
    pub async fn send(
        &mut self,
        dialer: &Dialer,
        mut req: Request<Full<Bytes>>,
    ) -> Result<Response<Incoming>, Outcome> {
        let mut retried = false;
        loop {
            if self.sender.as_ref().is_none_or(SendRequest::is_closed) {
                let t0 = tokio::time::Instant::now();
                match dialer.open().await {
                    Ok((s, d)) => {
                        self.sender = Some(s);
                        match self.spawned.as_mut() {
                            Some(set) => {
                                while set.try_join_next().is_some() {}
                                set.spawn(d);
                            }
                            None => self.driver = Some(d),
                        }
                        self.dialed = Some(t0.elapsed());
                    }
                    Err(e) => return Err(Outcome::failed(ErrorKind::Connect, e)),
                }
            }
            let mut sender = self.sender.take().expect("connected above");
            let ready = self.drive(sender.ready()).await;
            if let Err(e) = ready {
                self.sender = None;
                if retried {
                    return Err(Outcome::failed(
                        ErrorKind::Connect,
                        format!("connection lost: {e}"),
                    ));
                }
                retried = true;
                continue;
            }
            let sent = self.drive(sender.try_send_request(req)).await;
            self.sender = Some(sender);
            match sent {
                Ok(resp) => return Ok(resp),
                Err(mut e) => {
                    self.sender = None;
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
                            return Err(Outcome::failed(kind, format!("request failed: {err}")));
                        }
                    }
                }
            }
        }
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// rustls client settings: the system's root certificates, or no verification at all.
pub fn client_config(insecure: bool) -> Result<Arc<ClientConfig>, String> {
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS settings: {e}"))?;
    let mut config = if insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider())))
            .with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        let found = rustls_native_certs::load_native_certs();
        for cert in found.certs {
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            return Err(
                "no trusted root certificates found on this system (install ca-certificates, or pass --insecure for a self-signed test server)"
                    .into(),
            );
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `--insecure`: accepts any server certificate (the handshake signatures are still checked).
#[derive(Debug)]
struct AnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
