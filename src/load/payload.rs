//! Owns request payloads of a load run, as people have them: `--body STRING`; `--payload FILE`
//! (one request per line: CSV rows, or JSON lines — `.jsonl`/`.ndjson`/`.json` lines must each
//! parse); `--payload-file FILE` (the whole file as one body, any bytes: images, npy,
//! protobuf); `--payload-dir DIR` (each file one body, in name order). All checked up front
//! (not empty, each body ≤ 6 MB, text where lines are meant) with the file and the reason, and
//! sent in order or shuffled with a seed.

use std::path::{Path, PathBuf};

use hyper::body::Bytes;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

/// SageMaker real-time inference rejects request payloads over 6 MB.
pub const MAX_PAYLOAD_BYTES: usize = 6 * 1024 * 1024;

/// Largest payload file read into memory.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// A body the demo account accepts when no payload is given (an XGBoost-style CSV row).
pub const DEMO_BODY: &str = "0.31,1.7,0,12.5,3,0.02,1,0.88";

/// Where the payloads of a run come from (kept with the run's parameters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind", content = "value")]
pub enum PayloadSource {
    /// `--body STRING`.
    Body(String),
    /// `--payload FILE`: one request per line.
    File(PathBuf),
    /// `--payload-file FILE`: the whole file, byte for byte, as one request.
    OneFile(PathBuf),
    /// `--payload-dir DIR`: each file of the directory as one request, in name order.
    Dir(PathBuf),
    /// No payload given on the simulated account: [`DEMO_BODY`].
    DemoSample,
}

impl PayloadSource {
    pub fn describe(&self) -> String {
        match self {
            PayloadSource::Body(b) => format!("--body ({} bytes)", b.len()),
            PayloadSource::File(p) => p.display().to_string(),
            PayloadSource::OneFile(p) => format!("{} (one body)", p.display()),
            PayloadSource::Dir(p) => format!("{}/* (one body per file)", p.display()),
            PayloadSource::DemoSample => "demo sample row".into(),
        }
    }

    /// Reads and checks the payloads (file I/O for `File`).
    pub fn load(&self) -> Result<Payloads, PayloadError> {
        match self {
            PayloadSource::Body(b) => Payloads::from_body(b),
            PayloadSource::File(p) => Payloads::from_file(p),
            PayloadSource::OneFile(p) => Payloads::from_whole_file(p),
            PayloadSource::Dir(p) => Payloads::from_dir(p),
            PayloadSource::DemoSample => Payloads::from_body(DEMO_BODY),
        }
    }
}

/// Why a payload cannot be sent. Each message names the file and what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    #[error("cannot read payload file {path}: {message} (check the path given to --payload)")]
    Read { path: String, message: String },
    #[error(
        "payload file {path} has no requests: it is empty or blank (put one request per line: a CSV row or a JSON document)"
    )]
    Empty { path: String },
    #[error(
        "payload file {path} looks binary ({why} on line {line}): --payload takes text, one request per line (CSV rows or JSON lines)"
    )]
    Binary {
        path: String,
        line: usize,
        why: &'static str,
    },
    #[error(
        "payload file {path}, line {line}: {bytes} bytes is over SageMaker's 6 MB real-time payload limit"
    )]
    LineTooLarge {
        path: String,
        line: usize,
        bytes: usize,
    },
    #[error("payload file {path} is {bytes} bytes; the most sagetop reads is 1 GiB")]
    FileTooLarge { path: String, bytes: u64 },
    #[error("--body is {bytes} bytes, over SageMaker's 6 MB real-time payload limit")]
    BodyTooLarge { bytes: usize },
    #[error("--body is empty: give the request body (e.g. --body '1.5,2.0,3.1')")]
    EmptyBody,
    #[error(
        "payload file {path}, line {line} is not JSON ({why}): a JSON-lines file needs one JSON document per line"
    )]
    NotJson {
        path: String,
        line: usize,
        why: String,
    },
    #[error("payload {path} is empty: an empty body is not a request")]
    EmptyFile { path: String },
    #[error("payload {path} is {bytes} bytes, over SageMaker's 6 MB real-time payload limit")]
    FileOverLimit { path: String, bytes: u64 },
    #[error("payload directory {path} has no files to send")]
    EmptyDir { path: String },
}

/// The checked payloads of a run and the order they are sent in.
#[derive(Debug, Clone, PartialEq)]
pub struct Payloads {
    bodies: Vec<Bytes>,
    /// Sending order as indexes into `bodies` (a seeded permutation); empty: in file order.
    order: Vec<u32>,
}

impl Payloads {
    /// One body sent with every request.
    pub fn from_body(body: &str) -> Result<Payloads, PayloadError> {
        if body.is_empty() {
            return Err(PayloadError::EmptyBody);
        }
        if body.len() > MAX_PAYLOAD_BYTES {
            return Err(PayloadError::BodyTooLarge { bytes: body.len() });
        }
        Ok(Payloads {
            bodies: vec![Bytes::copy_from_slice(body.as_bytes())],
            order: Vec::new(),
        })
    }

    /// One request per non-blank line of a text file.
    pub fn from_file(path: &Path) -> Result<Payloads, PayloadError> {
        let shown = path.display().to_string();
        let read_err = |e: std::io::Error| PayloadError::Read {
            path: shown.clone(),
            message: e.to_string(),
        };
        let meta = std::fs::metadata(path).map_err(read_err)?;
        if meta.is_dir() {
            return Err(PayloadError::Read {
                path: shown,
                message: "it is a directory".into(),
            });
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(PayloadError::FileTooLarge {
                path: shown,
                bytes: meta.len(),
            });
        }
        let data = std::fs::read(path).map_err(read_err)?;
        let p = Payloads::from_text(&data, &shown)?;
        let json_lines = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
            ["jsonl", "ndjson", "json"]
                .iter()
                .any(|x| e.eq_ignore_ascii_case(x))
        });
        if json_lines {
            p.check_json_lines(&data, &shown)?;
        }
        Ok(p)
    }

    /// Every non-blank line must be one JSON document (the line number counts blank lines).
    fn check_json_lines(&self, data: &[u8], path: &str) -> Result<(), PayloadError> {
        for (i, raw) in data.split(|b| *b == b'\n').enumerate() {
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(line) {
                return Err(PayloadError::NotJson {
                    path: path.into(),
                    line: i + 1,
                    why: e.to_string(),
                });
            }
        }
        Ok(())
    }

    /// The whole file, byte for byte, as the one body of every request.
    pub fn from_whole_file(path: &Path) -> Result<Payloads, PayloadError> {
        Ok(Payloads {
            bodies: vec![read_body(path)?],
            order: Vec::new(),
        })
    }

    /// Each regular file of `dir` (dot files left out) as one body, in name order.
    pub fn from_dir(dir: &Path) -> Result<Payloads, PayloadError> {
        let shown = dir.display().to_string();
        let entries = std::fs::read_dir(dir).map_err(|e| PayloadError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.is_file()
                    && !p
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'))
            })
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(PayloadError::EmptyDir { path: shown });
        }
        let mut bodies = Vec::with_capacity(files.len());
        let mut total = 0u64;
        for f in &files {
            let b = read_body(f)?;
            total += b.len() as u64;
            if total > MAX_FILE_BYTES {
                return Err(PayloadError::FileTooLarge {
                    path: shown,
                    bytes: total,
                });
            }
            bodies.push(b);
        }
        Ok(Payloads {
            bodies,
            order: Vec::new(),
        })
    }

    /// Splits `data` into one request per non-blank line (`\r\n` or `\n`).
    pub fn from_text(data: &[u8], path: &str) -> Result<Payloads, PayloadError> {
        let shared = Bytes::copy_from_slice(data);
        let mut bodies = Vec::new();
        let mut start = 0usize;
        for (i, raw) in data.split(|b| *b == b'\n').enumerate() {
            let line_no = i + 1;
            let end = start + raw.len();
            let line = raw.strip_suffix(b"\r").unwrap_or(raw);
            if line.contains(&0) {
                return Err(PayloadError::Binary {
                    path: path.into(),
                    line: line_no,
                    why: "a NUL byte",
                });
            }
            if std::str::from_utf8(line).is_err() {
                return Err(PayloadError::Binary {
                    path: path.into(),
                    line: line_no,
                    why: "bytes that are not UTF-8 text",
                });
            }
            if line.len() > MAX_PAYLOAD_BYTES {
                return Err(PayloadError::LineTooLarge {
                    path: path.into(),
                    line: line_no,
                    bytes: line.len(),
                });
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                bodies.push(shared.slice(start..start + line.len()));
            }
            start = end + 1;
        }
        if bodies.is_empty() {
            return Err(PayloadError::Empty { path: path.into() });
        }
        Ok(Payloads {
            bodies,
            order: Vec::new(),
        })
    }

    /// The bodies as given (tests, callers with payloads in memory).
    pub fn from_bodies(bodies: Vec<Bytes>) -> Payloads {
        Payloads {
            bodies,
            order: Vec::new(),
        }
    }

    /// Sends the payloads in a seeded random order (the same seed, the same order).
    pub fn shuffled(mut self, seed: u64) -> Payloads {
        let mut order: Vec<u32> = (0..self.bodies.len() as u32).collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        order.shuffle(&mut rng);
        self.order = order;
        self
    }

    pub fn len(&self) -> usize {
        self.bodies.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bodies.is_empty()
    }

    /// The bodies in file order.
    pub fn bodies(&self) -> &[Bytes] {
        &self.bodies
    }

    /// Index into [`Payloads::bodies`] of the `seq`-th request of the run.
    #[inline]
    pub fn index(&self, seq: u64) -> usize {
        let i = (seq % self.bodies.len().max(1) as u64) as usize;
        if self.order.is_empty() {
            i
        } else {
            self.order[i] as usize
        }
    }

    /// Total bytes of all distinct bodies.
    pub fn total_bytes(&self) -> usize {
        self.bodies.iter().map(Bytes::len).sum()
    }
}

/// One file as one body: not empty, within SageMaker's 6 MB.
fn read_body(path: &Path) -> Result<Bytes, PayloadError> {
    let shown = path.display().to_string();
    let read_err = |e: std::io::Error| PayloadError::Read {
        path: shown.clone(),
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(read_err)?;
    if meta.is_dir() {
        return Err(PayloadError::Read {
            path: shown,
            message: "it is a directory (use --payload-dir)".into(),
        });
    }
    if meta.len() > MAX_PAYLOAD_BYTES as u64 {
        return Err(PayloadError::FileOverLimit {
            path: shown,
            bytes: meta.len(),
        });
    }
    let data = std::fs::read(path).map_err(read_err)?;
    if data.is_empty() {
        return Err(PayloadError::EmptyFile { path: shown });
    }
    Ok(Bytes::from(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_become_requests_and_blank_lines_are_skipped() {
        let p = Payloads::from_text(b"1,2,3\r\n\n4,5,6\n{\"a\":1}\n", "f").unwrap();
        let bodies: Vec<&[u8]> = p.bodies().iter().map(|b| b.as_ref()).collect();
        assert_eq!(bodies, [&b"1,2,3"[..], b"4,5,6", b"{\"a\":1}"]);
        assert_eq!((p.index(0), p.index(4)), (0, 1));
    }

    #[test]
    fn bad_payloads_are_refused_with_the_line() {
        assert!(matches!(
            Payloads::from_text(b"\n \n", "f"),
            Err(PayloadError::Empty { .. })
        ));
        assert!(matches!(
            Payloads::from_text(b"ok\nbad\0\n", "f"),
            Err(PayloadError::Binary { line: 2, .. })
        ));
        assert!(matches!(
            Payloads::from_text(&[0xff, 0xfe, 0x00, 0x41], "f"),
            Err(PayloadError::Binary { line: 1, .. })
        ));
        let big = vec![b'1'; MAX_PAYLOAD_BYTES + 1];
        assert!(matches!(
            Payloads::from_text(&big, "f"),
            Err(PayloadError::LineTooLarge { line: 1, .. })
        ));
        assert_eq!(Payloads::from_body(""), Err(PayloadError::EmptyBody));
    }

    #[test]
    fn files_and_directories_are_bodies_byte_for_byte() {
        let dir = tempfile::tempdir().unwrap();
        let bin: Vec<u8> = (0..=255u8).cycle().take(5000).collect();
        std::fs::write(dir.path().join("b.npy"), &bin).unwrap();
        std::fs::write(dir.path().join("a.bin"), [0u8, 1, 2]).unwrap();
        std::fs::write(dir.path().join(".hidden"), b"x").unwrap();
        let one = Payloads::from_whole_file(&dir.path().join("b.npy")).unwrap();
        assert_eq!(one.bodies()[0].as_ref(), bin.as_slice());
        let all = Payloads::from_dir(dir.path()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all.bodies()[0].as_ref(), &[0u8, 1, 2]);
        std::fs::write(dir.path().join("empty"), b"").unwrap();
        assert!(matches!(
            Payloads::from_dir(dir.path()),
            Err(PayloadError::EmptyFile { .. })
        ));
        let empty = tempfile::tempdir().unwrap();
        assert!(matches!(
            Payloads::from_dir(empty.path()),
            Err(PayloadError::EmptyDir { .. })
        ));
        let jl = dir.path().join("x.jsonl");
        std::fs::write(&jl, "{\"a\":1}\n\n{broken\n").unwrap();
        let err = Payloads::from_file(&jl).unwrap_err();
        assert!(
            matches!(err, PayloadError::NotJson { line: 3, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("x.jsonl"));
    }

    #[test]
    fn shuffle_is_a_seeded_permutation() {
        let text: String = (0..50).map(|i| format!("{i}\n")).collect();
        let a = Payloads::from_text(text.as_bytes(), "f")
            .unwrap()
            .shuffled(3);
        let b = Payloads::from_text(text.as_bytes(), "f")
            .unwrap()
            .shuffled(3);
        let c = Payloads::from_text(text.as_bytes(), "f")
            .unwrap()
            .shuffled(4);
        let seq = |p: &Payloads| (0..50).map(|s| p.index(s)).collect::<Vec<_>>();
        assert_eq!(seq(&a), seq(&b));
        assert_ne!(seq(&a), seq(&c));
        let mut sorted = seq(&a);
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
    }
}
