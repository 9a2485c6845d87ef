//! Owns the credentials a load run signs its own InvokeEndpoint requests with (the lean path in
//! `crate::load` signs with `aws-sigv4` instead of going through the SDK client): resolved
//! through the same aws-config chain as the console (env, profile, SSO, assume-role, instance
//! profile), cached, and fetched again shortly before they expire. Exposes sagetop's own types.
//!
//! Temporary credentials carry an expiry; SigV4 requests signed with expired keys are refused
//! with `ExpiredTokenException`, so keys are refreshed [`REFRESH_BEFORE`] ahead of it.
//! https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_use-resources.html

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};

use super::connect::{AwsOptions, StartupError, load_sdk_config};

/// Keys are fetched again when they expire within this long.
pub const REFRESH_BEFORE: Duration = Duration::from_secs(5 * 60);

/// One set of access keys, as the signer needs them.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKeys {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
    /// When temporary keys stop working; `None`: long-term keys.
    pub expires: Option<SystemTime>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeys")
            .field(
                "access_key_id",
                &super::connect::masked_key_id(&self.access_key_id),
            )
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

impl SigningKeys {
    /// Usable at `now` without a refresh (long-term keys always are).
    pub fn fresh_at(&self, now: SystemTime) -> bool {
        self.expires.is_none_or(|e| e > now + REFRESH_BEFORE)
    }
}

/// The credential chain with a cache in front: [`SigningCredentials::current`] answers from the
/// cache until the keys come within [`REFRESH_BEFORE`] of expiring.
pub struct SigningCredentials {
    provider: Option<SharedCredentialsProvider>,
    cached: tokio::sync::Mutex<Option<Arc<SigningKeys>>>,
}

impl std::fmt::Debug for SigningCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningCredentials").finish_non_exhaustive()
    }
}

impl SigningCredentials {
    /// Fixed keys (the simulated account's test keys, tests).
    pub fn fixed(keys: SigningKeys) -> SigningCredentials {
        SigningCredentials {
            provider: None,
            cached: tokio::sync::Mutex::new(Some(Arc::new(keys))),
        }
    }

    /// The current keys: cached, or fetched from the chain when missing or about to expire.
    pub async fn current(&self) -> Result<Arc<SigningKeys>, String> {
        let mut cached = self.cached.lock().await;
        if let Some(k) = cached.as_ref()
            && (k.fresh_at(SystemTime::now()) || self.provider.is_none())
        {
            return Ok(k.clone());
        }
        let Some(provider) = &self.provider else {
            return Err("no AWS credentials to sign with".into());
        };
        let c = provider.provide_credentials().await.map_err(|e| {
            format!(
                "cannot get AWS credentials to sign with: {}",
                super::errors::chain_message(&e)
            )
        })?;
        let keys = Arc::new(keys_of(&c));
        *cached = Some(keys.clone());
        Ok(keys)
    }
}

fn keys_of(c: &Credentials) -> SigningKeys {
    SigningKeys {
        access_key_id: c.access_key_id().to_string(),
        secret_access_key: c.secret_access_key().to_string(),
        session_token: c.session_token().map(str::to_string),
        expires: c.expiry(),
    }
}

/// What signing InvokeEndpoint needs: the region, where the runtime answers, the keys.
#[derive(Debug, Clone)]
pub struct RuntimeAccess {
    pub region: String,
    /// `--endpoint-url` (an emulator) instead of `https://runtime.sagemaker.{region}.amazonaws.com`.
    pub endpoint_url: Option<String>,
    pub credentials: Arc<SigningCredentials>,
}

/// The region the options and the standard chain resolve to (no credentials needed).
pub async fn resolved_region(opts: &AwsOptions) -> Option<String> {
    let sdk = load_sdk_config(opts).await.ok()?;
    sdk.region().map(|r| r.to_string())
}

/// Resolves region, endpoint URL and credentials from the options and the standard chain,
/// fetching the keys once so that a broken chain is reported before the run starts.
pub async fn runtime_access(opts: &AwsOptions) -> Result<RuntimeAccess, StartupError> {
    let sdk = load_sdk_config(opts).await?;
    let profile = opts.profile.clone();
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(StartupError::NoRegion { profile });
    };
    let Some(provider) = sdk.credentials_provider() else {
        return Err(StartupError::Credentials {
            profile,
            detail: "no credentials provider is configured".into(),
        });
    };
    let credentials = Arc::new(SigningCredentials {
        provider: Some(provider),
        cached: tokio::sync::Mutex::new(None),
    });
    if let Err(detail) = credentials.current().await {
        return Err(StartupError::Credentials { profile, detail });
    }
    Ok(RuntimeAccess {
        region,
        endpoint_url: sdk.endpoint_url().map(str::to_string),
        credentials,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_near_expiry_are_not_fresh() {
        let now = SystemTime::now();
        let mut k = SigningKeys {
            access_key_id: "AKID".into(),
            secret_access_key: "s".into(),
            session_token: None,
            expires: None,
        };
        assert!(k.fresh_at(now));
        k.expires = Some(now + Duration::from_secs(60));
        assert!(!k.fresh_at(now));
        k.expires = Some(now + Duration::from_secs(3600));
        assert!(k.fresh_at(now));
        assert!(!format!("{k:?}").contains("\"s\""));
    }

    #[tokio::test]
    async fn the_chain_is_asked_again_when_cached_keys_expire() {
        use std::sync::atomic::{AtomicU32, Ordering};
        #[derive(Debug)]
        struct Counting(Arc<AtomicU32>);
        impl ProvideCredentials for Counting {
            fn provide_credentials<'a>(
                &'a self,
            ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
            where
                Self: 'a,
            {
                let n = self.0.fetch_add(1, Ordering::SeqCst);
                // The first keys expire in a minute (inside the refresh margin), later ones in an hour.
                let ttl = if n == 0 { 60 } else { 3600 };
                aws_credential_types::provider::future::ProvideCredentials::ready(Ok(
                    Credentials::new(
                        format!("AKID{n}"),
                        "secret",
                        Some("token".into()),
                        Some(SystemTime::now() + Duration::from_secs(ttl)),
                        "test",
                    ),
                ))
            }
        }
        let calls = Arc::new(AtomicU32::new(0));
        let creds = SigningCredentials {
            provider: Some(SharedCredentialsProvider::new(Counting(calls.clone()))),
            cached: tokio::sync::Mutex::new(None),
        };
        assert_eq!(creds.current().await.unwrap().access_key_id, "AKID0");
        assert_eq!(creds.current().await.unwrap().access_key_id, "AKID1");
        assert_eq!(creds.current().await.unwrap().access_key_id, "AKID1");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }
}
