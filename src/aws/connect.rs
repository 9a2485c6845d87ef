//! Owns start-up against AWS: options (profile, region, endpoint URL), loading the standard
//! credential chain through aws-config, one SDK client per service, and the credential check
//! (STS `GetCallerIdentity`) that turns a missing region or dead credentials into a message.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;

use super::errors::{ErrorContext, map_sdk_error};
use super::{AwsBackend, SharedState};
use crate::boundary::{BackendError, Operation};
use crate::domain::Identity;

/// Retry attempts of the SDK's standard retry mode unless AWS_MAX_ATTEMPTS or the profile
/// says otherwise (the pollers add their own backoff on top).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;

/// Timeouts of one whole operation: the boundary's, so injected timeouts report the same.
pub use crate::boundary::errors::{INVOKE_TIMEOUT, OPERATION_TIMEOUT};

/// Timeout of one attempt.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(12);

/// TCP connect timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// Longest the start-up check may take (credential chain + `GetCallerIdentity`).
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// A key id as logs and debug output show it: like the AWS CLI, only its last four characters.
pub(crate) fn masked_key_id(id: &str) -> String {
    let tail = id.get(id.len().saturating_sub(4)..).unwrap_or("");
    format!("****{tail}")
}

/// Access keys given explicitly (tests, emulators) instead of the standard chain.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &masked_key_id(&self.access_key_id))
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// How to reach AWS: the `--profile`, `--region` and `--endpoint-url` flags and friends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsOptions {
    /// Named profile (`--profile`); `None` lets aws-config use `AWS_PROFILE` or `default`.
    pub profile: Option<String>,
    /// Region (`--region`); `None` lets aws-config use `AWS_REGION` or the profile's region.
    pub region: Option<String>,
    /// Send every call to one URL (moto, LocalStack).
    pub endpoint_url: Option<String>,
    /// Explicit keys; `None` uses the standard chain (env, profile, SSO, assume-role, instance profile).
    pub credentials: Option<StaticCredentials>,
    /// SDK retry attempts (standard mode, at least 1); `None` keeps aws-config's choice:
    /// `AWS_MAX_ATTEMPTS` / `max_attempts` in the profile, else 3.
    pub max_attempts: Option<u32>,
    /// Longest the start-up check may take.
    pub startup_timeout: Duration,
}

impl Default for AwsOptions {
    fn default() -> Self {
        AwsOptions {
            profile: None,
            region: None,
            endpoint_url: None,
            credentials: None,
            max_attempts: None,
            startup_timeout: STARTUP_TIMEOUT,
        }
    }
}

impl AwsOptions {
    /// Options for the command-line flags.
    pub fn from_flags(
        profile: Option<String>,
        region: Option<String>,
        endpoint_url: Option<String>,
    ) -> Self {
        AwsOptions {
            profile,
            region,
            endpoint_url,
            ..AwsOptions::default()
        }
    }
}

/// Why sagetop cannot start against AWS. `Display` is the whole message, with what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartupError {
    #[error("{}", no_region_message(profile.as_deref()))]
    NoRegion { profile: Option<String> },
    #[error("{}", credentials_message(profile.as_deref(), detail))]
    Credentials {
        profile: Option<String>,
        detail: String,
    },
    #[error(
        "the AWS profile {profile:?} is not defined in ~/.aws/config or ~/.aws/credentials (or AWS_CONFIG_FILE)\n  check the name with `aws configure list-profiles`; for IAM Identity Center run `aws configure sso --profile {profile}` once"
    )]
    UnknownProfile { profile: String },
    #[error("--endpoint-url {url:?} is not a URL: it must start with http:// or https://")]
    BadEndpointUrl { url: String },
    #[error(
        "cannot reach AWS STS in {region} to check the credentials: {detail}\n  check the network, proxy (HTTPS_PROXY) and --endpoint-url, then start sagetop again"
    )]
    Unreachable { region: String, detail: String },
    #[error("AWS STS refused the credential check: {detail}")]
    Rejected { detail: String },
}

impl StartupError {
    /// Exit status for every start-up failure: a configuration problem (2).
    pub fn exit_code(&self) -> u8 {
        2
    }
}

fn no_region_message(profile: Option<&str>) -> String {
    let mut m = String::from(
        "no AWS region is configured.\n  pass --region (e.g. --region us-east-1), or set AWS_REGION",
    );
    match profile {
        Some(p) => m.push_str(&format!(
            ", or add `region = us-east-1` under [profile {p}] in ~/.aws/config (check that the profile exists)"
        )),
        None => m.push_str(", or add `region = …` to the [default] profile in ~/.aws/config"),
    }
    m
}

fn credentials_message(profile: Option<&str>, detail: &str) -> String {
    let who = match profile {
        Some(p) => format!(" for profile {p:?}"),
        None => String::new(),
    };
    let lower = detail.to_ascii_lowercase();
    let sso_line = match profile {
        Some(p) => format!("if the profile uses IAM Identity Center (SSO): run `aws sso login --profile {p}`"),
        None => "for IAM Identity Center (SSO): run `aws sso login --profile NAME` and start sagetop with --profile NAME".into(),
    };
    let other_line = match profile {
        Some(p) => format!(
            "otherwise check `aws sts get-caller-identity --profile {p}`, ~/.aws/credentials and ~/.aws/config"
        ),
        None => "otherwise set AWS_PROFILE or --profile, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run on a host with an instance profile".into(),
    };
    let (first, second) = if lower.contains("sso") || lower.contains("token") {
        (sso_line, other_line)
    } else {
        (other_line, sso_line)
    };
    format!(
        "no valid AWS credentials{who}: {detail}\n  {first}\n  {second}\n  then start sagetop again"
    )
}

/// Builds the SDK configuration from the options and the standard chain.
pub async fn load_sdk_config(opts: &AwsOptions) -> Result<SdkConfig, StartupError> {
    if let Some(url) = &opts.endpoint_url
        && !(url.starts_with("http://") || url.starts_with("https://"))
    {
        return Err(StartupError::BadEndpointUrl { url: url.clone() });
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).timeout_config(
        TimeoutConfig::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .operation_attempt_timeout(ATTEMPT_TIMEOUT)
            .operation_timeout(OPERATION_TIMEOUT)
            .build(),
    );
    if let Some(n) = opts.max_attempts {
        loader = loader.retry_config(RetryConfig::standard().with_max_attempts(n.max(1)));
    }
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(url) = &opts.endpoint_url {
        loader = loader.endpoint_url(url);
    }
    if let Some(c) = &opts.credentials {
        loader = loader.credentials_provider(Credentials::new(
            c.access_key_id.clone(),
            c.secret_access_key.clone(),
            c.session_token.clone(),
            None,
            "sagetop-static",
        ));
    }
    Ok(loader.load().await)
}

/// Connects to AWS: loads the configuration, requires a region, resolves credentials and
/// checks them with STS `GetCallerIdentity` before anything else happens.
pub async fn connect(opts: &AwsOptions) -> Result<AwsBackend, StartupError> {
    connect_with(opts, SharedState::default()).await
}

pub(super) async fn connect_with(
    opts: &AwsOptions,
    shared: SharedState,
) -> Result<AwsBackend, StartupError> {
    let sdk = load_sdk_config(opts).await?;
    let profile = opts
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()));
    // A misspelt profile is the root cause of whatever fails next: say that first.
    if let (Some(p), None) = (&profile, &opts.credentials)
        && profile_defined(p).await == Some(false)
    {
        return Err(StartupError::UnknownProfile { profile: p.clone() });
    }
    let Some(region) = sdk.region().map(|r| r.to_string()) else {
        return Err(StartupError::NoRegion { profile });
    };
    let Some(provider) = sdk.credentials_provider() else {
        return Err(StartupError::Credentials {
            profile,
            detail: "no credentials provider is configured".into(),
        });
    };
    // One budget for the whole check: credential chain, then STS.
    let timeout = opts.startup_timeout;
    let deadline = tokio::time::Instant::now() + timeout;
    match tokio::time::timeout_at(deadline, provider.provide_credentials()).await {
        Err(_) => {
            return Err(StartupError::Credentials {
                profile,
                detail: format!(
                    "the credential chain gave no answer within {} s",
                    timeout.as_secs()
                ),
            });
        }
        Ok(Err(e)) => {
            let detail = super::errors::chain_message(&e);
            return Err(StartupError::Credentials { profile, detail });
        }
        Ok(Ok(_)) => {}
    }
    let clients = super::Clients::from_sdk_config(&sdk);
    let backend = AwsBackend::with_shared(clients, profile.clone(), region.clone(), shared);
    let left = deadline
        .saturating_duration_since(tokio::time::Instant::now())
        .max(std::time::Duration::from_secs(1));
    let identity =
        match tokio::time::timeout(left, backend.caller_identity_with_timeout(left)).await {
            Err(_) => {
                return Err(StartupError::Unreachable {
                    region,
                    detail: format!("no answer within {} s", timeout.as_secs()),
                });
            }
            Ok(r) => r,
        };
    match identity {
        Ok(_) => Ok(backend),
        Err(e) => Err(startup_error(e, profile, region)),
    }
}

/// Whether the shared config files define `name`; `None` when they cannot be read.
async fn profile_defined(name: &str) -> Option<bool> {
    use aws_types::os_shim_internal::{Env, Fs};
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &Default::default(), None)
        .await
        .ok()?;
    Some(set.get_profile(name).is_some())
}

fn startup_error(e: BackendError, profile: Option<String>, region: String) -> StartupError {
    match e {
        BackendError::Credentials { message, .. } => StartupError::Credentials {
            profile,
            detail: message,
        },
        BackendError::Timeout { .. } | BackendError::Network { .. } => StartupError::Unreachable {
            region,
            detail: e.to_string(),
        },
        other => StartupError::Rejected {
            detail: other.to_string(),
        },
    }
}

impl AwsBackend {
    /// `:profile NAME` / `:region NAME`: a new backend for other options. The CloudTrail rate
    /// limiter and the API accounting carry over (they are per sagetop process); caches do not.
    pub async fn reconnect(&self, opts: &AwsOptions) -> Result<AwsBackend, StartupError> {
        connect_with(opts, self.shared.clone()).await
    }

    /// STS `GetCallerIdentity` with a short timeout (the start-up check).
    async fn caller_identity_with_timeout(
        &self,
        timeout: Duration,
    ) -> Result<Identity, BackendError> {
        let ctx = ErrorContext {
            operation: Operation::GetCallerIdentity,
            profile: self.profile.as_deref(),
            resource: None,
            timeout_secs: timeout.as_secs(),
        };
        let out = self
            .clients
            .sts
            .get_caller_identity()
            .customize()
            .config_override(
                aws_sdk_sts::config::Builder::default()
                    .timeout_config(TimeoutConfig::builder().operation_timeout(timeout).build()),
            )
            .send()
            .await
            .map_err(|e| {
                let err = map_sdk_error(ctx, e);
                self.shared.stats.last_error(&err);
                err
            })?;
        Ok(self.identity_from(out.account(), out.arn()))
    }
}
