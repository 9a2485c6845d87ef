//! Owns the per-request SigV4 work of a load run's hot path. Every request of a run has the
//! same method, path and headers; only `x-amz-date` and the payload hash change. So the
//! canonical request's fixed text is built once per worker (and per set of keys), the signing
//! key once per day (it depends on the date, region and service only), the payload hashes once
//! per payload; per request what remains is one SHA-256 of the canonical request and one
//! HMAC (`aws_sigv4::sign::v4::calculate_signature`). Before a worker uses this path it signs
//! a probe request both ways and compares with `aws-sigv4`'s own signer; requests whose shape
//! this path does not cover (paths needing normalization or encoding, queries, non-UTF-8
//! headers) go through `aws-sigv4`'s signer every time.
//!
//! Canonical request and string to sign:
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
//! The signing key is derived from the date, region and service only, so it can be reused for
//! every request of a day: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-signing-requests.html

use std::time::{SystemTime, UNIX_EPOCH};

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use hyper::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use sha2::{Digest, Sha256};

use super::sign::SIGNING_NAME;
use crate::aws::signing::SigningKeys;

/// Headers `aws-sigv4`'s default settings leave unsigned (changed by proxies, hop by hop).
const UNSIGNED: [&str; 4] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
];
const DATE: &str = "x-amz-date";
const TOKEN: &str = "x-amz-security-token";
const X_AMZ_DATE: HeaderName = HeaderName::from_static(DATE);
const X_AMZ_TOKEN: HeaderName = HeaderName::from_static(TOKEN);

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// The payload hash of the canonical request: lowercase hex SHA-256 of the body.
pub fn payload_hash(body: &[u8]) -> String {
    hex(&Sha256::digest(body))
}

/// Spaces trimmed at both ends and runs of spaces made one (SigV4's header value rule).
fn trim_all(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for (i, word) in v
        .trim_matches(' ')
        .split(' ')
        .filter(|w| !w.is_empty())
        .enumerate()
    {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// What every request of a run shares: method, canonical path, the fixed headers' canonical
/// lines (sorted by name).
#[derive(Debug, Clone)]
pub struct Shape {
    method: String,
    path: String,
    /// `(name, value)`: values of one name joined with `,`.
    headers: Vec<(String, String)>,
}

impl Shape {
    pub fn method(&self) -> &str {
        &self.method
    }

    /// `None` when the request is not one this path signs: a query, a path that SigV4 would
    /// normalize or percent-encode, a header value that is not UTF-8.
    pub fn new(method: &str, path_and_query: &str, headers: &HeaderMap) -> Option<Shape> {
        let path = path_and_query;
        let plain = path.starts_with('/')
            && !path.contains("//")
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'/'));
        if !plain {
            return None;
        }
        let mut lines = Vec::with_capacity(headers.keys_len());
        for name in headers.keys() {
            let n = name.as_str();
            if UNSIGNED.contains(&n) || name == X_AMZ_DATE || name == X_AMZ_TOKEN {
                continue;
            }
            let mut values = Vec::new();
            for v in headers.get_all(name) {
                values.push(trim_all(v.to_str().ok()?));
            }
            lines.push((n.to_string(), values.join(",")));
        }
        Some(Shape {
            method: method.to_string(),
            path: path.to_string(),
            headers: lines,
        })
    }
}

/// A worker's signer for one shape and one set of keys: the canonical request's fixed text
/// around `x-amz-date`, the day's signing key, the current second's timestamp.
pub struct FastSigner {
    /// Method, path, empty query, and the header lines sorting before `x-amz-date`.
    head: String,
    /// Header lines after `x-amz-date`, the blank line, the signed header names.
    tail: String,
    /// `AWS4-HMAC-SHA256 Credential={access key id}/`.
    credential: String,
    /// `/{region}/sagemaker/aws4_request`.
    scope: String,
    /// `, SignedHeaders=…, Signature=`.
    signed: String,
    token: Option<HeaderValue>,
    secret: String,
    region: String,
    /// Days since the epoch of the cached signing key.
    key_day: Option<u64>,
    key: Vec<u8>,
    /// The second `amz_date` was formatted for.
    second: Option<u64>,
    amz_date: String,
    canonical: String,
    to_sign: String,
}

impl FastSigner {
    pub fn new(shape: &Shape, keys: &SigningKeys, region: &str) -> FastSigner {
        let mut lines: Vec<(&str, &str)> = shape
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        lines.push((DATE, ""));
        if let Some(t) = &keys.session_token {
            lines.push((TOKEN, t.as_str()));
        }
        lines.sort_by(|a, b| a.0.cmp(b.0));
        let mut head = format!("{}\n{}\n\n", shape.method, shape.path);
        let mut tail = String::new();
        let mut after = false;
        for (name, value) in &lines {
            if *name == DATE {
                after = true;
                continue;
            }
            let out = if after { &mut tail } else { &mut head };
            out.push_str(name);
            out.push(':');
            out.push_str(value);
            out.push('\n');
        }
        let names: Vec<&str> = lines.iter().map(|(n, _)| *n).collect();
        let names = names.join(";");
        tail.push('\n');
        tail.push_str(&names);
        tail.push('\n');
        FastSigner {
            head,
            tail,
            credential: format!("AWS4-HMAC-SHA256 Credential={}/", keys.access_key_id),
            scope: format!("/{region}/{SIGNING_NAME}/aws4_request"),
            signed: format!(", SignedHeaders={names}, Signature="),
            token: keys.session_token.as_deref().and_then(|t| {
                let mut v = HeaderValue::from_str(t).ok()?;
                v.set_sensitive(true);
                Some(v)
            }),
            secret: keys.secret_access_key.clone(),
            region: region.to_string(),
            key_day: None,
            key: Vec::new(),
            second: None,
            amz_date: String::new(),
            canonical: String::with_capacity(512),
            to_sign: String::with_capacity(160),
        }
    }

    /// Adds `x-amz-date`, `x-amz-security-token` (temporary keys) and `authorization` to
    /// `headers` (the shape's headers), for a body whose [`payload_hash`] is `body_hash`.
    pub fn sign(&mut self, headers: &mut HeaderMap, body_hash: &str, now: SystemTime) {
        let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        if self.second != Some(secs) {
            self.second = Some(secs);
            self.amz_date = amz_date(secs);
        }
        let day = secs / 86_400;
        if self.key_day != Some(day) {
            self.key_day = Some(day);
            self.key = generate_signing_key(&self.secret, now, &self.region, SIGNING_NAME)
                .as_ref()
                .to_vec();
        }
        let c = &mut self.canonical;
        c.clear();
        c.push_str(&self.head);
        c.push_str("x-amz-date:");
        c.push_str(&self.amz_date);
        c.push('\n');
        c.push_str(&self.tail);
        c.push_str(body_hash);
        let s = &mut self.to_sign;
        s.clear();
        s.push_str("AWS4-HMAC-SHA256\n");
        s.push_str(&self.amz_date);
        s.push('\n');
        s.push_str(&self.amz_date[..8]);
        s.push_str(&self.scope);
        s.push('\n');
        s.push_str(&hex(&Sha256::digest(c.as_bytes())));
        let signature = calculate_signature(&self.key, s.as_bytes());
        let mut auth = String::with_capacity(
            self.credential.len() + 8 + self.scope.len() + self.signed.len() + 64,
        );
        auth.push_str(&self.credential);
        auth.push_str(&self.amz_date[..8]);
        auth.push_str(&self.scope);
        auth.push_str(&self.signed);
        auth.push_str(&signature);
        // Both are ASCII built from valid header text: these conversions cannot fail.
        if let Ok(v) = HeaderValue::from_str(&self.amz_date) {
            headers.insert(X_AMZ_DATE, v);
        }
        if let Some(t) = &self.token {
            headers.insert(X_AMZ_TOKEN, t.clone());
        }
        if let Ok(mut v) = HeaderValue::from_str(&auth) {
            v.set_sensitive(true);
            headers.insert(AUTHORIZATION, v);
        }
    }
}

/// `YYYYMMDD'T'HHMMSS'Z'` (UTC) of `secs` since the epoch.
fn amz_date(secs: u64) -> String {
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}{m:02}{d:02}T{:02}{:02}{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_match_the_calendar() {
        assert_eq!(amz_date(0), "19700101T000000Z");
        // 2024-02-29 23:59:59 UTC (a leap day).
        assert_eq!(amz_date(1_709_251_199), "20240229T235959Z");
        assert_eq!(amz_date(1_709_251_200), "20240301T000000Z");
        for secs in (0..4_102_444_800u64).step_by(86_400 * 37 + 3_601) {
            let want = chrono::DateTime::from_timestamp(secs as i64, 0)
                .unwrap()
                .format("%Y%m%dT%H%M%SZ")
                .to_string();
            assert_eq!(amz_date(secs), want);
        }
    }

    #[test]
    fn header_values_are_trimmed_like_sigv4_says() {
        assert_eq!(trim_all("  a   b c  "), "a b c");
        assert_eq!(trim_all("a\tb"), "a\tb");
        assert_eq!(trim_all(""), "");
    }

    /// The hot path gives byte for byte the headers `aws-sigv4`'s signer gives, for requests
    /// with temporary keys, headers that sort around `x-amz-date`, values with runs of spaces,
    /// and across a day boundary (a new signing key).
    #[tokio::test]
    async fn the_hot_path_signs_exactly_like_aws_sigv4() {
        use std::sync::Arc;
        use std::time::Duration;

        use crate::aws::signing::SigningCredentials;
        use crate::load::sign::Signer;

        let url =
            "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/my-model-7/invocations";
        let mut headers = HeaderMap::new();
        headers.insert(
            "host",
            "runtime.sagemaker.eu-west-1.amazonaws.com".parse().unwrap(),
        );
        headers.insert("content-type", "application/json".parse().unwrap());
        headers.insert("accept", "application/json".parse().unwrap());
        headers.insert(
            "x-amzn-sagemaker-custom-attributes",
            "  trace=on   user=a  ".parse().unwrap(),
        );
        headers.insert("x-amz-a", "sorts before the date".parse().unwrap());
        headers.insert("x-amz-e", "between date and token".parse().unwrap());
        headers.append("x-extra", "one".parse().unwrap());
        headers.append("x-extra", "two".parse().unwrap());
        headers.insert("user-agent", "not signed".parse().unwrap());
        let shape = Shape::new("POST", "/endpoints/my-model-7/invocations", &headers).unwrap();
        for token in [None, Some("FwoGZXIvYXdzEJr//////////token+with/slashes=")] {
            let keys = SigningKeys {
                access_key_id: "ASIAEXAMPLE".into(),
                secret_access_key: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
                session_token: token.map(str::to_string),
                expires: None,
            };
            let signer = Signer {
                region: "eu-west-1".into(),
                credentials: Arc::new(SigningCredentials::fixed(keys.clone())),
            };
            let mut state = None;
            signer.refresh(&mut state, SystemTime::now()).await.unwrap();
            let state = state.unwrap();
            let mut fast = FastSigner::new(&shape, &keys, "eu-west-1");
            // 2024-02-29 23:59:58, then the next day: the cached key must change with the date.
            let t0 = UNIX_EPOCH + Duration::from_secs(1_709_251_198);
            for (i, body) in [&b"{\"x\": 1}"[..], b"", &[0u8, 255, 10][..]]
                .iter()
                .enumerate()
            {
                let at = t0 + Duration::from_secs(i as u64);
                let mut got = headers.clone();
                fast.sign(&mut got, &payload_hash(body), at);
                let mut want = headers.clone();
                signer
                    .sign(&state, "POST", url, &mut want, body, at)
                    .unwrap();
                assert_eq!(got, want, "token {token:?}, body {i}");
                assert_eq!(got["authorization"], want["authorization"]);
            }
        }
    }

    #[test]
    fn paths_sigv4_would_rewrite_are_left_to_aws_sigv4() {
        let h = HeaderMap::new();
        assert!(Shape::new("POST", "/endpoints/a-1/invocations", &h).is_some());
        assert!(Shape::new("POST", "/endpoints/a/../b", &h).is_none());
        assert!(Shape::new("POST", "/a//b", &h).is_none());
        assert!(Shape::new("POST", "/a%20b", &h).is_none());
        assert!(Shape::new("POST", "/a?x=1", &h).is_none());
    }
}
