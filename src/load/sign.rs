//! Owns SigV4 on the load engine's lean path: signing each InvokeEndpoint request with the
//! official `aws-sigv4` crate (keys from `crate::aws::signing`, refreshed before expiry), and
//! the check a loopback test server runs to recompute a request's signature.
//!
//! Signature Version 4: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv4-signing-requests.html
//! SageMaker runtime signs as service `sagemaker`:
//! https://docs.aws.amazon.com/general/latest/gr/sagemaker.html

use std::sync::Arc;
use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use hyper::header::HeaderMap;

use super::sigv4::{FastSigner, Shape};
use crate::aws::signing::{SigningCredentials, SigningKeys};

/// The SigV4 signing name of the SageMaker runtime.
pub const SIGNING_NAME: &str = "sagemaker";

/// Signs requests for one region with keys from the credential chain.
#[derive(Debug, Clone)]
pub struct Signer {
    pub region: String,
    pub credentials: Arc<SigningCredentials>,
}

/// A worker's copy of the current keys (checked for freshness per request, no lock), and its
/// hot-path signer for them once checked against `aws-sigv4`'s own.
pub struct SignerState {
    keys: Arc<SigningKeys>,
    identity: Identity,
    /// `None` until the first request, then `Some(None)` when the fast path does not apply.
    fast: Option<Option<FastSigner>>,
}

fn identity_of(keys: &SigningKeys) -> Identity {
    Credentials::new(
        keys.access_key_id.clone(),
        keys.secret_access_key.clone(),
        keys.session_token.clone(),
        keys.expires,
        "sagetop",
    )
    .into()
}

impl Signer {
    /// The worker's keys, fetched again when missing or about to expire.
    pub async fn refresh(
        &self,
        state: &mut Option<SignerState>,
        now: SystemTime,
    ) -> Result<(), String> {
        if state.as_ref().is_some_and(|s| s.keys.fresh_at(now)) {
            return Ok(());
        }
        let keys = self.credentials.current().await?;
        if state.as_ref().is_some_and(|s| Arc::ptr_eq(&s.keys, &keys)) {
            // The chain gave the same (long-lived or last-known) keys back: keep them.
            return Ok(());
        }
        *state = Some(SignerState {
            identity: identity_of(&keys),
            keys,
            fast: None,
        });
        Ok(())
    }

    /// Signs one request of a run whose requests all have `shape` (see `load::sigv4`): on the
    /// hot path once a probe signed both ways agreed with `aws-sigv4`, else with [`Signer::sign`].
    /// `body_hash`: [`sigv4::payload_hash`] of `body`.
    #[allow(clippy::too_many_arguments)]
    pub fn sign_shaped(
        &self,
        state: &mut SignerState,
        shape: Option<&Shape>,
        url: &str,
        headers: &mut HeaderMap,
        body: &[u8],
        body_hash: &str,
        now: SystemTime,
    ) -> Result<(), String> {
        if state.fast.is_none() {
            let checked = shape.and_then(|shape| {
                let mut fast = FastSigner::new(shape, &state.keys, &self.region);
                let mut probe = headers.clone();
                fast.sign(&mut probe, body_hash, now);
                let mut want = headers.clone();
                self.sign(state, shape.method(), url, &mut want, body, now)
                    .ok()?;
                if probe == want {
                    Some(fast)
                } else {
                    tracing::warn!(
                        "SigV4 fast path disagrees with aws-sigv4 for {url}; signing each request with aws-sigv4"
                    );
                    None
                }
            });
            state.fast = Some(checked);
        }
        match &mut state.fast {
            Some(Some(fast)) => {
                fast.sign(headers, body_hash, now);
                Ok(())
            }
            _ => {
                let method = shape.map_or("POST", Shape::method);
                self.sign(state, method, url, headers, body, now)
            }
        }
    }

    /// Adds `x-amz-date`, `x-amz-security-token` (temporary keys) and `authorization` to
    /// `headers`, signing `method url`, every header already in `headers`, and `body`.
    pub fn sign(
        &self,
        state: &SignerState,
        method: &str,
        url: &str,
        headers: &mut HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), String> {
        let added = signature_headers(
            &state.identity,
            &self.region,
            method,
            url,
            headers,
            body,
            now,
        )?;
        for (name, value) in added {
            let mut v = hyper::header::HeaderValue::from_str(&value)
                .map_err(|_| format!("SigV4 produced an invalid {name} header"))?;
            v.set_sensitive(name == "authorization" || name == "x-amz-security-token");
            headers.insert(name, v);
        }
        Ok(())
    }
}

fn signature_headers(
    identity: &Identity,
    region: &str,
    method: &str,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> Result<Vec<(&'static str, String)>, String> {
    let params = v4::SigningParams::builder()
        .identity(identity)
        .region(region)
        .name(SIGNING_NAME)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let pairs = headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)));
    let signable = SignableRequest::new(method, url, pairs, SignableBody::Bytes(body))
        .map_err(|e| format!("SigV4 cannot sign {url}: {e}"))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| format!("SigV4 signing failed: {e}"))?
        .into_parts();
    let (added, _) = instructions.into_parts();
    Ok(added
        .into_iter()
        .map(|h| (h.name(), h.value().to_string()))
        .collect())
}

/// Recomputes the signature of a received request with `aws-sigv4` (same signed headers, same
/// `x-amz-date`) and compares it with its `authorization` header. `Err` says what is wrong.
pub fn verify(
    keys: &SigningKeys,
    region: &str,
    method: &str,
    url: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), String> {
    let auth = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or("no authorization header")?;
    let date = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or("no x-amz-date header")?;
    let at = chrono::NaiveDateTime::parse_from_str(date, "%Y%m%dT%H%M%SZ")
        .map_err(|_| format!("x-amz-date {date:?} is not an ISO 8601 basic timestamp"))?
        .and_utc();
    let signed: Vec<&str> = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .ok_or("authorization has no SignedHeaders")?
        .split(';')
        .collect();
    let mut subset = HeaderMap::new();
    for name in &signed {
        if matches!(*name, "x-amz-date" | "x-amz-security-token") {
            continue;
        }
        if let Some(v) = headers.get(*name) {
            subset.insert(
                hyper::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| e.to_string())?,
                v.clone(),
            );
        }
    }
    let identity = identity_of(keys);
    let expected = signature_headers(
        &identity,
        region,
        method,
        url,
        &subset,
        body,
        SystemTime::from(at),
    )?;
    let want = expected
        .iter()
        .find(|(n, _)| *n == "authorization")
        .map(|(_, v)| v.as_str())
        .ok_or("no signature computed")?;
    if want == auth {
        Ok(())
    } else {
        Err(format!(
            "signature mismatch: got {auth:?}, expected {want:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> SigningKeys {
        SigningKeys {
            access_key_id: "AKIDTEST".into(),
            secret_access_key: secret.into(),
            session_token: None,
            expires: None,
        }
    }

    #[tokio::test]
    async fn a_signed_request_verifies_and_a_tampered_one_does_not() {
        let signer = Signer {
            region: "eu-west-1".into(),
            credentials: Arc::new(SigningCredentials::fixed(keys("secret"))),
        };
        let mut state = None;
        let now = SystemTime::now();
        signer.refresh(&mut state, now).await.unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            "runtime.sagemaker.eu-west-1.amazonaws.com".parse().unwrap(),
        );
        h.insert("content-type", "text/csv".parse().unwrap());
        let url = "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/a/invocations";
        signer
            .sign(state.as_ref().unwrap(), "POST", url, &mut h, b"1,2", now)
            .unwrap();
        assert!(
            h["authorization"]
                .to_str()
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256")
        );
        verify(&keys("secret"), "eu-west-1", "POST", url, &h, b"1,2").unwrap();
        assert!(verify(&keys("other"), "eu-west-1", "POST", url, &h, b"1,2").is_err());
        assert!(verify(&keys("secret"), "eu-west-1", "POST", url, &h, b"1,3").is_err());
        assert!(verify(&keys("secret"), "us-east-1", "POST", url, &h, b"1,2").is_err());
    }
}
