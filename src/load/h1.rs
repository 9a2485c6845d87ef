//! Owns the load engine's own HTTP/1.1 exchange for whole answers (`--http-client own`): the
//! request written in one piece from a buffer the worker reuses, the answer's head parsed with
//! `httparse`, its body framed by Content-Length, chunked transfer coding or the connection's
//! end, and only the figures a run records kept (status, invoked variant, AWS error code, the
//! first 64 KiB of an error body). No channel, task or per-request allocation between the
//! worker and its socket: the client's own cost stays out of every latency a run reports.
//! Keep-alive as hyper does it: a kept-alive connection the server closed before answering is
//! reopened and the request sent once more.

use std::io;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use hyper::header::HeaderValue;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::conn::Dialer;
use super::stats::{ErrorKind, Outcome};

/// A connection's byte stream: plain TCP or TLS.
pub enum Io {
    Tcp(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Io {
    async fn write_all(&mut self, b: &[u8]) -> io::Result<()> {
        match self {
            Io::Tcp(s) => s.write_all(b).await,
            Io::Tls(s) => {
                s.write_all(b).await?;
                s.flush().await
            }
        }
    }

    async fn read_buf(&mut self, buf: &mut BytesMut) -> io::Result<usize> {
        if buf.capacity() - buf.len() < 4096 {
            buf.reserve(16 * 1024);
        }
        match self {
            Io::Tcp(s) => s.read_buf(buf).await,
            Io::Tls(s) => s.read_buf(buf).await,
        }
    }
}

/// An error body is small JSON; more is counted, not kept.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// More header lines than this in an answer is refused as malformed.
const MAX_HEADERS: usize = 64;
/// An answer's head longer than this is refused (hyper's client default is about 400 KiB;
/// SageMaker's heads are well under 1 KiB), so a server that never ends its head cannot
/// grow a worker's buffer without bound.
const MAX_HEAD: usize = 64 * 1024;

/// A worker's connection on this path: reused between requests, reopened when it breaks.
#[derive(Default)]
pub struct H1 {
    io: Option<Io>,
    /// Requests answered on the current connection (0: just opened).
    served: u64,
    /// Bytes read and not yet consumed.
    buf: BytesMut,
    /// How long opening the current connection took, until a request reports it.
    dialed: Option<Duration>,
    /// The last invoked variant seen, handed out again while it does not change.
    variant: Option<HeaderValue>,
}

/// What the answer's head said.
struct Head {
    status: u16,
    variant: Option<HeaderValue>,
    error_type: Option<Vec<u8>>,
    framing: Framing,
    close: bool,
}

enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

/// How an exchange failed: before any byte of the answer on a reused connection (worth one
/// resend on a new connection), or for good.
enum Failure {
    Stale(String),
    Fatal(ErrorKind, String),
}

impl H1 {
    /// The dial time of a connection opened since the last call.
    pub fn take_dial(&mut self) -> Option<Duration> {
        self.dialed.take()
    }

    /// Writes `request` (head and body, ready to go) and reads the answer. The outcome's
    /// `sent` is left for the caller.
    pub async fn exchange(&mut self, dialer: &Dialer, request: &[u8], body: &[u8]) -> Outcome {
        let mut retried = false;
        loop {
            if self.io.is_none() {
                let t0 = Instant::now();
                match dialer.connect().await {
                    Ok(io) => {
                        self.io = Some(io);
                        self.served = 0;
                        self.buf.clear();
                        self.dialed = Some(t0.elapsed());
                    }
                    Err(e) => return Outcome::failed(ErrorKind::Connect, e),
                }
            }
            match self.once(request, body).await {
                Ok(outcome) => return outcome,
                Err(failure) => {
                    self.io = None;
                    match failure {
                        Failure::Stale(_) if !retried => retried = true,
                        Failure::Stale(e) => {
                            return Outcome::failed(
                                ErrorKind::Connect,
                                format!("connection lost: {e}"),
                            );
                        }
                        Failure::Fatal(kind, e) => return Outcome::failed(kind, e),
                    }
                }
            }
        }
    }

    async fn once(&mut self, request: &[u8], body: &[u8]) -> Result<Outcome, Failure> {
        let reused = self.served > 0;
        let io = self.io.as_mut().expect("connected by the caller");
        let lost = |e: io::Error| {
            if reused {
                Failure::Stale(e.to_string())
            } else {
                Failure::Fatal(ErrorKind::Connect, format!("request failed: {e}"))
            }
        };
        io.write_all(request).await.map_err(lost)?;
        if !body.is_empty() {
            io.write_all(body).await.map_err(lost)?;
        }
        let head = loop {
            if !self.buf.is_empty() {
                match parse_head(&self.buf, &mut self.variant) {
                    Ok(Some((head, used))) => {
                        self.buf.advance(used);
                        if (100..200).contains(&head.status) {
                            continue; // 100 Continue and friends: the answer follows.
                        }
                        break head;
                    }
                    Ok(None) if self.buf.len() > MAX_HEAD => {
                        return Err(Failure::Fatal(
                            ErrorKind::Other,
                            format!(
                                "request failed: the answer's head is over {} KiB",
                                MAX_HEAD / 1024
                            ),
                        ));
                    }
                    Ok(None) => {}
                    Err(e) => return Err(Failure::Fatal(ErrorKind::Other, e)),
                }
            }
            let got_nothing = self.buf.is_empty();
            match io.read_buf(&mut self.buf).await {
                Ok(0) if got_nothing => {
                    return Err(lost(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "closed by the server before the answer",
                    )));
                }
                Ok(0) => {
                    return Err(Failure::Fatal(
                        ErrorKind::Other,
                        "request failed: connection closed in the answer's head".into(),
                    ));
                }
                Ok(_) => {}
                Err(e) if got_nothing => return Err(lost(e)),
                Err(e) => {
                    return Err(Failure::Fatal(
                        ErrorKind::Other,
                        format!("request failed: {e}"),
                    ));
                }
            }
        };
        let first_at = Some(Instant::now());
        let keep = !(200..300).contains(&head.status);
        let mut kept = Vec::new();
        let received = self
            .read_body(&head.framing, keep.then_some(&mut kept))
            .await
            .map_err(|e| Failure::Fatal(ErrorKind::Other, format!("reading the response: {e}")))?;
        if head.close || matches!(head.framing, Framing::UntilClose) {
            self.io = None;
        } else {
            self.served += 1;
        }
        let mut outcome = Outcome {
            status: Some(head.status),
            variant: head.variant,
            received,
            first_at,
            ..Outcome::default()
        };
        if keep {
            super::http::error_outcome(&mut outcome, head.error_type.as_deref(), &kept);
        }
        Ok(outcome)
    }

    /// Reads (and drops, or keeps up to the limit in `keep`) the body; returns its length.
    async fn read_body(
        &mut self,
        framing: &Framing,
        mut keep: Option<&mut Vec<u8>>,
    ) -> io::Result<u64> {
        let io = self.io.as_mut().expect("connected");
        let buf = &mut self.buf;
        let mut take = |buf: &mut BytesMut, n: usize| {
            if let Some(k) = keep.as_deref_mut() {
                let room = ERROR_BODY_LIMIT.saturating_sub(k.len()).min(n);
                k.extend_from_slice(&buf[..room]);
            }
            buf.advance(n);
        };
        let eof = || io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed mid-body");
        match framing {
            Framing::Length(len) => {
                let mut left = *len;
                while left > 0 {
                    if buf.is_empty() && io.read_buf(buf).await? == 0 {
                        return Err(eof());
                    }
                    let n = (buf.len() as u64).min(left) as usize;
                    take(buf, n);
                    left -= n as u64;
                }
                Ok(*len)
            }
            Framing::UntilClose => {
                let mut total = 0u64;
                loop {
                    let n = buf.len();
                    total += n as u64;
                    take(buf, n);
                    if io.read_buf(buf).await? == 0 {
                        return Ok(total);
                    }
                }
            }
            Framing::Chunked => {
                let mut total = 0u64;
                loop {
                    let size = loop {
                        match httparse::parse_chunk_size(buf) {
                            Ok(httparse::Status::Complete((used, size))) => {
                                buf.advance(used);
                                break size;
                            }
                            Ok(httparse::Status::Partial) => {
                                if io.read_buf(buf).await? == 0 {
                                    return Err(eof());
                                }
                            }
                            Err(_) => {
                                return Err(io::Error::new(
                                    io::ErrorKind::InvalidData,
                                    "invalid chunk size",
                                ));
                            }
                        }
                    };
                    if size == 0 {
                        // Trailers (ignored), up to the empty line.
                        loop {
                            if let Some(at) = buf.windows(2).position(|w| w == b"\r\n") {
                                buf.advance(at + 2);
                                if at == 0 {
                                    return Ok(total);
                                }
                                continue;
                            }
                            if io.read_buf(buf).await? == 0 {
                                return Err(eof());
                            }
                        }
                    }
                    let mut left = size;
                    while left > 0 {
                        if buf.is_empty() && io.read_buf(buf).await? == 0 {
                            return Err(eof());
                        }
                        let n = (buf.len() as u64).min(left) as usize;
                        take(buf, n);
                        left -= n as u64;
                    }
                    total += size;
                    while buf.len() < 2 {
                        if io.read_buf(buf).await? == 0 {
                            return Err(eof());
                        }
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidData,
                            "chunk not followed by CRLF",
                        ));
                    }
                    buf.advance(2);
                }
            }
        }
    }
}

/// Parses the answer's head from `buf`: `None` until it is complete; the bytes it used.
/// `last_variant` is reused when the variant did not change (no allocation per answer).
fn parse_head(
    buf: &[u8],
    last_variant: &mut Option<HeaderValue>,
) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let used = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => {
            return Err(format!(
                "request failed: invalid HTTP answer: {e} (--http-client hyper reads answers with hyper)"
            ));
        }
    };
    let status = resp.code.unwrap_or(0);
    let mut head = Head {
        status,
        variant: None,
        error_type: None,
        framing: Framing::UntilClose,
        close: resp.version == Some(0),
    };
    let mut length = None;
    let mut chunked = false;
    for h in resp.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let v = std::str::from_utf8(h.value)
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or("request failed: invalid Content-Length in the answer")?;
            if length.is_some_and(|l| l != v) {
                return Err("request failed: conflicting Content-Length in the answer".into());
            }
            length = Some(v);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = h
                .value
                .rsplit(|b| *b == b',')
                .next()
                .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            let v = h.value;
            if v.trim_ascii().eq_ignore_ascii_case(b"close") {
                head.close = true;
            } else if v.trim_ascii().eq_ignore_ascii_case(b"keep-alive") {
                head.close = false;
            }
        } else if name.eq_ignore_ascii_case(super::target::INVOKED_VARIANT.as_str()) {
            head.variant = match last_variant {
                Some(v) if v.as_bytes() == h.value => Some(v.clone()),
                _ => {
                    let v = HeaderValue::from_bytes(h.value).ok();
                    last_variant.clone_from(&v);
                    v
                }
            };
        } else if name.eq_ignore_ascii_case(super::target::ERROR_TYPE.as_str()) {
            head.error_type = Some(h.value.to_vec());
        }
    }
    // RFC 9112 §6.3: no body for 1XX, 204 and 304; chunked wins over a length.
    head.framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(l) = length {
        Framing::Length(l)
    } else {
        Framing::UntilClose
    };
    Ok(Some((head, used)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn heads_are_framed_as_rfc_9112_says() {
        let mut last = None;
        let (h, used) = parse_head(
            b"HTTP/1.1 200 OK\r\ncontent-length: 7\r\nX-Amzn-Invoked-Production-Variant: A\r\n\r\n0.12345",
            &mut last,
        )
        .unwrap()
        .unwrap();
        assert_eq!((h.status, used), (200, 76));
        assert!(matches!(h.framing, Framing::Length(7)));
        assert_eq!(h.variant.as_ref().unwrap(), "A");
        assert!(!h.close);
        let (h, _) = parse_head(
            b"HTTP/1.1 424 Failed\r\nTransfer-Encoding: gzip, chunked\r\nx-amzn-ErrorType: ModelError\r\nConnection: close\r\n\r\n",
            &mut last,
        )
        .unwrap()
        .unwrap();
        assert!(matches!(h.framing, Framing::Chunked));
        assert_eq!(h.error_type.as_deref(), Some(&b"ModelError"[..]));
        assert!(h.close);
        let (h, _) = parse_head(b"HTTP/1.0 200 OK\r\n\r\n", &mut last)
            .unwrap()
            .unwrap();
        assert!(matches!(h.framing, Framing::UntilClose) && h.close);
        let (h, _) = parse_head(
            b"HTTP/1.1 204 No Content\r\ncontent-length: 5\r\n\r\n",
            &mut last,
        )
        .unwrap()
        .unwrap();
        assert!(matches!(h.framing, Framing::Length(0)));
        assert!(
            parse_head(b"HTTP/1.1 200 OK\r\ncontent-le", &mut last)
                .unwrap()
                .is_none()
        );
        assert!(parse_head(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", &mut last).is_err());
    }

    /// A server on loopback that answers each accepted connection with `answers` in turn
    /// (one per request read), then closes it; returns what it read.
    async fn server(answers: Vec<Vec<&'static [u8]>>) -> (Dialer, tokio::task::JoinHandle<u32>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dialer = Dialer::new(listener.local_addr().unwrap(), None).unwrap();
        let task = tokio::spawn(async move {
            let mut requests = 0;
            for conn_answers in answers {
                let (mut s, _) = listener.accept().await.unwrap();
                for answer in conn_answers {
                    let mut got = Vec::new();
                    let mut b = [0u8; 4096];
                    // The request: head and a 3-byte body.
                    while !got.windows(4).any(|w| w == b"\r\n\r\n") || !got.ends_with(b"abc") {
                        let n = s.read(&mut b).await.unwrap();
                        assert!(n > 0, "client closed early");
                        got.extend_from_slice(&b[..n]);
                    }
                    assert!(got.starts_with(b"POST /x HTTP/1.1\r\n"));
                    requests += 1;
                    s.write_all(answer).await.unwrap();
                }
            }
            requests
        });
        (dialer, task)
    }

    const REQ: &[u8] = b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\nabc";

    #[tokio::test]
    async fn chunked_and_length_answers_are_read_whole_on_one_kept_connection() {
        let (dialer, task) = server(vec![vec![
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4;x=y\r\nabcd\r\n2\r\nef\r\n0\r\ntrailer: 1\r\n\r\n",
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok",
        ]])
        .await;
        let mut h1 = H1::default();
        let a = h1.exchange(&dialer, REQ, &[]).await;
        assert_eq!(
            (a.status, a.error, a.received),
            (Some(200), None, 6),
            "{a:?}"
        );
        assert!(
            h1.take_dial().is_some(),
            "the first request opened the connection"
        );
        let b = h1.exchange(&dialer, REQ, &[]).await;
        assert_eq!(
            (b.status, b.error, b.received),
            (Some(200), None, 2),
            "{b:?}"
        );
        assert!(
            h1.take_dial().is_none(),
            "the second went on the same connection"
        );
        assert_eq!(task.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_kept_connection_the_server_closed_is_reopened_and_the_request_sent_once_more() {
        let ok: &[u8] = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n1";
        let (dialer, task) = server(vec![vec![ok], vec![ok]]).await;
        let mut h1 = H1::default();
        assert_eq!(h1.exchange(&dialer, REQ, &[]).await.error, None);
        // The server closed the connection after its answer: the next request is resent on a
        // new one and succeeds.
        let o = h1
            .exchange(
                &dialer,
                b"POST /x HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\n\r\n",
                b"abc",
            )
            .await;
        assert_eq!((o.status, o.error), (Some(200), None), "{o:?}");
        assert!(h1.take_dial().is_some());
        assert_eq!(task.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn an_error_answer_carries_its_aws_code_and_a_cut_answer_is_an_error() {
        let (dialer, task) = server(vec![vec![
            b"HTTP/1.1 424 Failed Dependency\r\nx-amzn-ErrorType: ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/\r\ncontent-length: 26\r\n\r\n{\"message\":\"model failed\"}",
            b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nshort",
        ]])
        .await;
        let mut h1 = H1::default();
        let o = h1.exchange(&dialer, REQ, &[]).await;
        assert_eq!(
            (o.status, o.error),
            (Some(424), Some(ErrorKind::ModelError)),
            "{o:?}"
        );
        assert_eq!(o.code.as_deref(), Some("ModelError"));
        let cut = h1.exchange(&dialer, REQ, &[]).await;
        assert_eq!(cut.error, Some(ErrorKind::Other), "{cut:?}");
        assert_eq!(task.await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_head_that_never_ends_is_refused_not_buffered_forever() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let dialer = Dialer::new(listener.local_addr().unwrap(), None).unwrap();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let mut b = [0u8; 4096];
            let _ = s.read(&mut b).await;
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nx-filler: ").await;
            // One header line of up to 256 KiB that never ends, so the head never does.
            let piece = [b'a'; 1024];
            for _ in 0..256 {
                if s.write_all(&piece).await.is_err() {
                    break;
                }
            }
        });
        let mut h1 = H1::default();
        let o = h1.exchange(&dialer, REQ, &[]).await;
        assert_eq!(o.error, Some(ErrorKind::Other), "{o:?}");
        let why = o.detail.unwrap_or_default();
        assert!(why.contains("head is over 64 KiB"), "{why}");
        assert!(h1.buf.capacity() < 256 * 1024, "the buffer stopped growing");
        server.abort();
    }
}
