//! Owns the real-AWS implementation of the `Backend` trait: the only module that talks to the
//! AWS SDK. Domain types stay ours; SDK types never leave `src/aws`.
//!
//! - `connect`: options, credential chain, start-up check, `reconnect`;
//! - `sagemaker`: endpoints, endpoint configs (cached), weight/capacity updates, invocations;
//! - `autoscaling`: scalable targets, policies, activities, `RegisterScalableTarget`;
//! - `metrics`: `GetMetricData` batching, paging and the incremental series cache;
//! - `events`: CloudTrail `LookupEvents` behind the shared rate limiter, event JSON parsing;
//! - `quotas`: Service Quotas;
//! - `logs`: CloudWatch Logs of an endpoint (streams, filtered events);
//! - `errors`, `limiter`, `stats`: error mapping, the rate limiter, API accounting.

mod accounting;
mod autoscaling;
mod component_scaling;
mod connect;
mod deployments;
mod errors;
mod events;
mod hosting;
mod limiter;
mod logs;
mod metrics;
mod quotas;
mod sagemaker;
pub mod signing;

use std::collections::HashMap;
use std::error::Error as StdError;
use std::future::Future;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use aws_config::SdkConfig;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

pub use crate::boundary::api_stats::{
    ApiAccounting, ApiStats, OperationStats, USD_PER_METRIC_REQUESTED,
};
pub use connect::{
    AwsOptions, DEFAULT_MAX_ATTEMPTS, OPERATION_TIMEOUT, STARTUP_TIMEOUT, StartupError,
    StaticCredentials, connect, load_sdk_config,
};
pub use events::parse_cloudtrail_event;
pub use limiter::{LOOKUP_EVENTS_PER_SECOND, RateLimiter};
pub use metrics::{MAX_DATAPOINTS_PER_CALL, MAX_QUERIES_PER_CALL, plan_batches};

use crate::boundary::errors::operation_timeout;
use crate::boundary::{Backend, BackendError, BackendResult, Operation};
use crate::domain::*;
use errors::{ErrorContext, map_sdk_error};

/// One SDK client per service sagetop calls.
#[derive(Debug, Clone)]
pub struct Clients {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub runtime: aws_sdk_sagemakerruntime::Client,
    pub autoscaling: aws_sdk_applicationautoscaling::Client,
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    pub cloudtrail: aws_sdk_cloudtrail::Client,
    pub quotas: aws_sdk_servicequotas::Client,
    pub sts: aws_sdk_sts::Client,
    /// CloudWatch Logs (the logs view).
    pub logs: aws_sdk_cloudwatchlogs::Client,
}

impl Clients {
    /// Clients sharing one configuration. CloudTrail gets no SDK retries (every attempt must
    /// pass the rate limiter); sagemaker-runtime gets a timeout that fits a 60 s model and no
    /// SDK retries either: its only caller is a load run, where one request is one invocation
    /// (a retry would send billed traffic twice and hide the error in the results).
    pub fn from_sdk_config(sdk: &SdkConfig) -> Self {
        let cloudtrail = aws_sdk_cloudtrail::config::Builder::from(sdk)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .build();
        let runtime = aws_sdk_sagemakerruntime::config::Builder::from(sdk)
            .retry_config(RetryConfig::standard().with_max_attempts(1))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(connect::CONNECT_TIMEOUT)
                    .operation_attempt_timeout(connect::INVOKE_TIMEOUT)
                    .operation_timeout(connect::INVOKE_TIMEOUT)
                    .build(),
            )
            .build();
        Clients {
            sagemaker: aws_sdk_sagemaker::Client::new(sdk),
            runtime: aws_sdk_sagemakerruntime::Client::from_conf(runtime),
            autoscaling: aws_sdk_applicationautoscaling::Client::new(sdk),
            cloudwatch: aws_sdk_cloudwatch::Client::new(sdk),
            cloudtrail: aws_sdk_cloudtrail::Client::from_conf(cloudtrail),
            quotas: aws_sdk_servicequotas::Client::new(sdk),
            sts: aws_sdk_sts::Client::new(sdk),
            logs: aws_sdk_cloudwatchlogs::Client::new(sdk),
        }
    }
}

impl Clients {
    /// The same clients with `interceptor` registered on each.
    fn instrumented(&self, counter: &accounting::AttemptCounter) -> Clients {
        macro_rules! with {
            ($krate:ident, $c:expr) => {
                $krate::Client::from_conf(
                    $c.config()
                        .to_builder()
                        .interceptor(counter.clone())
                        .build(),
                )
            };
        }
        Clients {
            sagemaker: with!(aws_sdk_sagemaker, self.sagemaker),
            runtime: with!(aws_sdk_sagemakerruntime, self.runtime),
            autoscaling: with!(aws_sdk_applicationautoscaling, self.autoscaling),
            cloudwatch: with!(aws_sdk_cloudwatch, self.cloudwatch),
            cloudtrail: with!(aws_sdk_cloudtrail, self.cloudtrail),
            quotas: with!(aws_sdk_servicequotas, self.quotas),
            sts: with!(aws_sdk_sts, self.sts),
            logs: with!(aws_sdk_cloudwatchlogs, self.logs),
        }
    }
}

/// Clients for writes: one attempt each. A write whose response was lost must not be sent
/// again by the SDK's retry (the standard mode retries timeouts, IO errors, 5xx and throttling,
/// so a write could be applied twice); sagetop's writer describes the endpoint first and
/// decides. https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
#[derive(Debug, Clone)]
struct WriteClients {
    sagemaker: aws_sdk_sagemaker::Client,
    autoscaling: aws_sdk_applicationautoscaling::Client,
}

impl WriteClients {
    fn from(clients: &Clients) -> Self {
        let once = || RetryConfig::standard().with_max_attempts(1);
        WriteClients {
            sagemaker: aws_sdk_sagemaker::Client::from_conf(
                clients
                    .sagemaker
                    .config()
                    .to_builder()
                    .retry_config(once())
                    .build(),
            ),
            autoscaling: aws_sdk_applicationautoscaling::Client::from_conf(
                clients
                    .autoscaling
                    .config()
                    .to_builder()
                    .retry_config(once())
                    .build(),
            ),
        }
    }
}

/// State shared by every backend of one sagetop process (kept across `reconnect`).
#[derive(Debug, Clone)]
pub(crate) struct SharedState {
    pub limiter: Arc<RateLimiter>,
    pub stats: Arc<ApiAccounting>,
}

impl Default for SharedState {
    fn default() -> Self {
        SharedState {
            limiter: Arc::new(RateLimiter::lookup_events()),
            stats: Arc::new(ApiAccounting::default()),
        }
    }
}

/// Caches of what AWS says does not change (endpoint configs) or changes slowly.
#[derive(Debug, Default)]
struct Caches {
    /// Endpoint config name → its variants (configs are immutable).
    configs: HashMap<String, Arc<sagemaker::ConfigVariants>>,
    /// Endpoint → variant names, from the last `DescribeEndpoint`.
    variants: HashMap<String, Vec<String>>,
    /// Endpoint → variants with a registered scalable target, from the last autoscaling read.
    scaled: HashMap<String, Vec<String>>,
    /// `ListAWSDefaultServiceQuotas` and when it was read.
    default_quotas: Option<(std::time::Instant, Arc<Vec<ServiceQuota>>)>,
    /// Endpoint config name → its hosting facts (async, managed scaling, provisioned concurrency).
    hosting: HashMap<String, Arc<hosting::ConfigHosting>>,
    /// Model name → runs a multi-model container (models are immutable).
    multi_model: HashMap<String, bool>,
    /// Inference experiment → its endpoint (fixed at creation; `describe_deployment`).
    experiments: HashMap<String, String>,
}

/// The `Backend` on a real AWS account (or an emulator behind `--endpoint-url`).
pub struct AwsBackend {
    clients: Clients,
    writes: WriteClients,
    profile: Option<String>,
    region: String,
    shared: SharedState,
    caches: Mutex<Caches>,
    metric_cache: Mutex<metrics::MetricCache>,
    /// What "now" is for receipts (the simulated account's clock on `--demo`).
    clock: crate::clock::SharedClock,
}

impl std::fmt::Debug for AwsBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AwsBackend")
            .field("profile", &self.profile)
            .field("region", &self.region)
            .finish()
    }
}

impl AwsBackend {
    /// A backend on ready-made clients (tests build them with mocks). No start-up check.
    pub fn new(clients: Clients, profile: Option<String>, region: impl Into<String>) -> Self {
        Self::with_shared(clients, profile, region.into(), SharedState::default())
    }

    fn with_shared(
        clients: Clients,
        profile: Option<String>,
        region: String,
        shared: SharedState,
    ) -> Self {
        let counter = accounting::AttemptCounter {
            stats: shared.stats.clone(),
        };
        let clients = clients.instrumented(&counter);
        AwsBackend {
            writes: WriteClients::from(&clients),
            clients,
            profile,
            region,
            shared,
            caches: Mutex::new(Caches::default()),
            metric_cache: Mutex::new(metrics::MetricCache::default()),
            clock: std::sync::Arc::new(crate::clock::SystemClock),
        }
    }

    /// The same backend telling time by `clock` (the simulated account's on `--demo`, so a
    /// write's receipt and the account's own timestamps agree at any demo speed).
    pub fn with_clock(mut self, clock: crate::clock::SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// Now, by this backend's clock.
    pub(crate) fn now(&self) -> Timestamp {
        self.clock.now()
    }

    pub fn profile(&self) -> Option<&str> {
        self.profile.as_deref()
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn clients(&self) -> &Clients {
        &self.clients
    }

    /// Calls per minute per operation, throttles, and the cost of metric polling.
    pub fn api_stats(&self) -> ApiStats {
        self.shared.stats.snapshot()
    }

    /// The CloudTrail limiter every `LookupEvents` call of this process waits on.
    pub fn lookup_events_limiter(&self) -> Arc<RateLimiter> {
        self.shared.limiter.clone()
    }

    fn caches(&self) -> std::sync::MutexGuard<'_, Caches> {
        self.caches.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn error_context<'a>(
        &'a self,
        operation: Operation,
        resource: Option<&'a str>,
    ) -> ErrorContext<'a> {
        ErrorContext {
            operation,
            profile: self.profile.as_deref(),
            resource,
            timeout_secs: operation_timeout(operation).as_secs(),
        }
    }

    /// Runs one SDK call: maps its error and keeps it as the operation's last error (the
    /// interceptor counts every attempt the SDK sent).
    async fn call<T, E, F>(
        &self,
        operation: Operation,
        resource: Option<&str>,
        fut: F,
    ) -> BackendResult<T>
    where
        F: Future<Output = Result<T, SdkError<E, HttpResponse>>>,
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
    {
        match fut.await {
            Ok(v) => Ok(v),
            Err(e) => {
                let err = map_sdk_error(self.error_context(operation, resource), e);
                self.record_failure(&err);
                Err(err)
            }
        }
    }

    fn record_failure(&self, err: &BackendError) {
        self.shared.stats.last_error(err);
        tracing::debug!(operation = %err.operation(), error = %err, "AWS call failed");
    }

    fn identity_from(&self, account: Option<&str>, arn: Option<&str>) -> Identity {
        Identity {
            account: account.unwrap_or_default().to_string(),
            arn: arn.unwrap_or_default().to_string(),
            profile: self.profile.clone(),
            region: self.region.clone(),
            demo: false,
        }
    }
}

/// Moves a paged call on: `returned` is the NextToken of the page just read. True (with
/// `token` set) when there is another page; false at the end, and when AWS hands back an
/// empty token or the one just sent (guards against a server that never ends the paging).
pub(crate) fn next_page(token: &mut Option<String>, returned: Option<&str>) -> bool {
    match returned {
        Some(t) if !t.is_empty() && token.as_deref() != Some(t) => {
            *token = Some(t.to_string());
            true
        }
        _ => false,
    }
}

/// SDK timestamp → ours.
pub(crate) fn to_time(t: &aws_smithy_types::DateTime) -> Timestamp {
    chrono::DateTime::from_timestamp(t.secs(), t.subsec_nanos()).unwrap_or_default()
}

/// Ours → SDK timestamp.
pub(crate) fn from_time(t: Timestamp) -> aws_smithy_types::DateTime {
    aws_smithy_types::DateTime::from_secs_and_nanos(t.timestamp(), t.timestamp_subsec_nanos())
}

#[async_trait]
impl Backend for AwsBackend {
    async fn identity(&self) -> BackendResult<Identity> {
        let out = self
            .call(
                Operation::GetCallerIdentity,
                None,
                self.clients.sts.get_caller_identity().send(),
            )
            .await?;
        Ok(self.identity_from(out.account(), out.arn()))
    }

    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.list_endpoints_impl().await
    }

    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.describe_endpoint_impl(name).await
    }

    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        self.describe_deployment_impl(endpoint).await
    }

    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.list_endpoint_configs_impl().await
    }

    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.list_alarm_names_impl().await
    }

    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        self.update_endpoint_impl(request).await
    }

    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.describe_autoscaling_impl(endpoint).await
    }

    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.describe_fleet_autoscaling_impl().await
    }

    async fn describe_component_autoscaling(
        &self,
        components: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        self.describe_component_autoscaling_impl(components).await
    }

    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.scaling_activities_impl(endpoint, max).await
    }

    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.get_metrics_impl(query).await
    }

    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.lookup_events_impl(query).await
    }

    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.list_quotas_impl().await
    }

    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.update_weights_impl(endpoint, changes).await
    }

    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        self.register_target_impl(endpoint, variant, min_capacity, max_capacity)
            .await
    }

    async fn list_log_streams(&self, endpoint: &str) -> BackendResult<Vec<LogStream>> {
        self.list_log_streams_impl(endpoint).await
    }

    async fn filter_log_events(&self, query: &LogQuery) -> BackendResult<LogPage> {
        self.filter_log_events_impl(query).await
    }

    fn api_stats(&self) -> Option<ApiStats> {
        Some(self.shared.stats.snapshot())
    }
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.invoke_impl(request).await
    }

    async fn describe_hosting(
        &self,
        endpoint: &Endpoint,
        models: bool,
    ) -> BackendResult<EndpointHosting> {
        self.describe_hosting_impl(endpoint, models).await
    }

    async fn update_component_copies(&self, change: &CopyChange) -> BackendResult<WriteReceipt> {
        self.update_copies_impl(change).await
    }
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn paging_ends_on_no_empty_or_repeated_token() {
        let mut token = None;
        assert!(next_page(&mut token, Some("a")));
        assert_eq!(token.as_deref(), Some("a"));
        assert!(next_page(&mut token, Some("b")));
        assert!(!next_page(&mut token, Some("b")), "the same token again");
        assert!(!next_page(&mut token, Some("")), "an empty token");
        assert!(!next_page(&mut token, None), "no token");
    }
}
