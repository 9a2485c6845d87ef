//! Owns the reading of InvokeEndpointWithResponseStream answers: AWS event-stream framing
//! (`application/vnd.amazon.eventstream`), decoded frame by frame as bytes arrive; `PayloadPart`
//! events are counted as chunks, `ModelStreamError` / `InternalStreamFailure` exceptions and
//! error messages end the request as failed. Also writes frames, for the loopback test server.
//!
//! Event stream encoding: https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html
//! ResponseStream (PayloadPart, ModelStreamError, InternalStreamFailure):
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_runtime_ResponseStream.html

use aws_smithy_eventstream::frame::{DecodedFrame, MessageFrameDecoder, write_message_to};
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use bytes::{Buf, BytesMut};
use hyper::body::Bytes;

use super::stats::ErrorKind;

/// A failed stream: its kind, AWS code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub kind: ErrorKind,
    pub code: Option<String>,
    pub message: String,
}

/// Decodes one response's event stream as it arrives.
#[derive(Default)]
pub struct EventStreamReader {
    buf: BytesMut,
    decoder: MessageFrameDecoder,
}

fn header<'a>(m: &'a Message, name: &str) -> Option<&'a str> {
    m.headers()
        .iter()
        .find(|h| h.name().as_str() == name)
        .and_then(|h| h.value().as_string().ok())
        .map(|s| s.as_str())
}

impl EventStreamReader {
    /// Adds received bytes; returns how many `PayloadPart` events they completed.
    pub fn push(&mut self, data: &[u8]) -> Result<u32, StreamError> {
        self.buf.extend_from_slice(data);
        let mut parts = 0;
        loop {
            let frame = self
                .decoder
                .decode_frame(&mut self.buf)
                .map_err(|e| StreamError {
                    kind: ErrorKind::Other,
                    code: None,
                    message: format!("the event stream is malformed: {e}"),
                })?;
            let DecodedFrame::Complete(m) = frame else {
                return Ok(parts);
            };
            match header(&m, ":message-type") {
                Some("event") => {
                    if header(&m, ":event-type") == Some("PayloadPart") {
                        parts += 1;
                    }
                }
                Some("exception") => {
                    let code = header(&m, ":exception-type")
                        .unwrap_or("exception")
                        .to_string();
                    let text = String::from_utf8_lossy(m.payload()).into_owned();
                    return Err(StreamError {
                        kind: super::errors::classify_code(&code, 500),
                        message: format!("stream {code}: {text}"),
                        code: Some(code),
                    });
                }
                _ => {
                    let code = header(&m, ":error-code").unwrap_or("error").to_string();
                    let text = header(&m, ":error-message").unwrap_or("").to_string();
                    return Err(StreamError {
                        kind: super::errors::classify_code(&code, 500),
                        message: format!("stream error {code}: {text}"),
                        code: Some(code),
                    });
                }
            }
        }
    }

    /// At the end of the body: nothing may be left half-decoded, and a chunk must have come.
    pub fn finish(&self, chunks: u32) -> Result<(), StreamError> {
        if self.buf.has_remaining() {
            return Err(StreamError {
                kind: ErrorKind::Other,
                code: None,
                message: "the event stream ended inside a frame".into(),
            });
        }
        if chunks == 0 {
            return Err(StreamError {
                kind: ErrorKind::Other,
                code: None,
                message: "the event stream ended without a PayloadPart".into(),
            });
        }
        Ok(())
    }
}

fn frame(m: &Message) -> Bytes {
    let mut out = Vec::new();
    write_message_to(m, &mut out).expect("an in-memory event-stream frame encodes");
    Bytes::from(out)
}

/// One `PayloadPart` event frame carrying `bytes`.
pub fn payload_part(bytes: &[u8]) -> Bytes {
    frame(
        &Message::new(Bytes::copy_from_slice(bytes))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("event".into()),
            ))
            .add_header(Header::new(
                ":event-type",
                HeaderValue::String("PayloadPart".into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/octet-stream".into()),
            )),
    )
}

/// One exception frame (`ModelStreamError`, `InternalStreamFailure`).
pub fn exception(code: &str, message: &str) -> Bytes {
    frame(
        &Message::new(Bytes::from(format!("{{\"Message\":\"{message}\"}}")))
            .add_header(Header::new(
                ":message-type",
                HeaderValue::String("exception".into()),
            ))
            .add_header(Header::new(
                ":exception-type",
                HeaderValue::String(code.to_string().into()),
            ))
            .add_header(Header::new(
                ":content-type",
                HeaderValue::String("application/json".into()),
            )),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_anywhere_decode_into_chunks() {
        let mut all = Vec::new();
        for i in 0..3 {
            all.extend_from_slice(&payload_part(format!("token {i}").as_bytes()));
        }
        let mut r = EventStreamReader::default();
        let mut parts = 0;
        for byte in all.chunks(7) {
            parts += r.push(byte).unwrap();
        }
        assert_eq!(parts, 3);
        r.finish(parts).unwrap();
        let mut bad = EventStreamReader::default();
        let err = bad
            .push(&exception("ModelStreamError", "boom"))
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::ModelError);
        assert_eq!(err.code.as_deref(), Some("ModelStreamError"));
        let mut cut = EventStreamReader::default();
        let f = payload_part(b"x");
        assert_eq!(cut.push(&f[..f.len() - 1]).unwrap(), 0);
        assert!(cut.finish(0).is_err());
    }
}
