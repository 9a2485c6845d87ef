//! Owns the SageMaker runtime clients load runs invoke through (built with `crate::aws`, the
//! only module that touches the SDK): the demo's client pointed at the simulated runtime
//! server with test credentials, and a single-attempt client on AWS (retries would hide
//! errors and stretch latencies; every request of a load run is one attempt).

use std::sync::Arc;

use crate::aws::{AwsBackend, AwsOptions, Clients, StaticCredentials, load_sdk_config};
use crate::boundary::SharedBackend;

/// Region the simulated account answers in.
pub const SIM_REGION: &str = "us-east-1";

/// SDK options for the simulated runtime at `base_url`: static test keys, one attempt.
pub fn sim_options(base_url: &str) -> AwsOptions {
    AwsOptions {
        profile: None,
        region: Some(SIM_REGION.into()),
        endpoint_url: Some(base_url.to_string()),
        credentials: Some(StaticCredentials {
            access_key_id: "AKIDSAGETOPSIMULATED".into(),
            secret_access_key: "sagetop-simulated-account-secret".into(),
            session_token: None,
        }),
        max_attempts: Some(1),
        ..AwsOptions::default()
    }
}

/// A `Backend` whose `invoke` is the SDK's InvokeEndpoint (SigV4-signed) against the simulated
/// runtime server at `base_url`. Nothing but `invoke` is meant to be called on it.
pub async fn sim_runtime(base_url: &str) -> Result<SharedBackend, String> {
    let sdk = load_sdk_config(&sim_options(base_url))
        .await
        .map_err(|e| e.to_string())?;
    let backend = AwsBackend::new(Clients::from_sdk_config(&sdk), None, SIM_REGION);
    Ok(Arc::new(backend))
}

/// Options of the client a headless load run against AWS uses: the console's flags and
/// config, with SDK retries off.
pub fn single_attempt(mut opts: AwsOptions) -> AwsOptions {
    opts.max_attempts = Some(1);
    opts
}
