//! The one boundary to AWS: the `Backend` trait, its operations and typed errors. Middleware
//! (read-only, fault injection, test gates) wraps a backend as a [`Layer`] (`layer`); the API
//! accounting (`api_stats`) and the mapping of AWS's error answers (`errors`) live here too.

pub mod api_stats;
pub mod context;
pub mod errors;
pub mod layer;
pub mod read_only;

pub use api_stats::{ApiAccounting, ApiStats};
pub use layer::{Call, Layer, Layered, Reply};
pub use read_only::{ReadOnly, read_only};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use crate::domain::*;

/// AWS service behind an operation (for messages, backoff keys and the API status view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Service {
    SageMaker,
    SageMakerRuntime,
    ApplicationAutoScaling,
    CloudWatch,
    CloudTrail,
    ServiceQuotas,
    Sts,
    /// CloudWatch Logs (endpoint container logs).
    Logs,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Service::SageMaker => "sagemaker",
            Service::SageMakerRuntime => "sagemaker-runtime",
            Service::ApplicationAutoScaling => "application-autoscaling",
            Service::CloudWatch => "cloudwatch",
            Service::CloudTrail => "cloudtrail",
            Service::ServiceQuotas => "servicequotas",
            Service::Sts => "sts",
            Service::Logs => "logs",
        }
    }
}

/// Every operation the boundary performs, named as AWS names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Operation {
    GetCallerIdentity,
    ListEndpoints,
    DescribeEndpoint,
    DescribeEndpointConfig,
    DescribeScalableTargets,
    DescribeScalingPolicies,
    DescribeScalingActivities,
    GetMetricData,
    LookupEvents,
    ListServiceQuotas,
    ListAWSDefaultServiceQuotas,
    UpdateEndpointWeightsAndCapacities,
    RegisterScalableTarget,
    InvokeEndpoint,
    DescribeLogStreams,
    FilterLogEvents,
    ListInferenceComponents,
    DescribeInferenceComponent,
    UpdateInferenceComponentRuntimeConfig,
    DescribeModel,
    ListInferenceExperiments,
    DescribeInferenceExperiment,
    ListEndpointConfigs,
    UpdateEndpoint,
    ListMonitoringSchedules,
    DescribeMonitoringSchedule,
    DescribeAlarms,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::GetCallerIdentity => "GetCallerIdentity",
            Operation::ListEndpoints => "ListEndpoints",
            Operation::DescribeEndpoint => "DescribeEndpoint",
            Operation::DescribeEndpointConfig => "DescribeEndpointConfig",
            Operation::DescribeScalableTargets => "DescribeScalableTargets",
            Operation::DescribeScalingPolicies => "DescribeScalingPolicies",
            Operation::DescribeScalingActivities => "DescribeScalingActivities",
            Operation::GetMetricData => "GetMetricData",
            Operation::LookupEvents => "LookupEvents",
            Operation::ListServiceQuotas => "ListServiceQuotas",
            Operation::ListAWSDefaultServiceQuotas => "ListAWSDefaultServiceQuotas",
            Operation::UpdateEndpointWeightsAndCapacities => "UpdateEndpointWeightsAndCapacities",
            Operation::RegisterScalableTarget => "RegisterScalableTarget",
            Operation::InvokeEndpoint => "InvokeEndpoint",
            Operation::DescribeLogStreams => "DescribeLogStreams",
            Operation::FilterLogEvents => "FilterLogEvents",
            Operation::ListInferenceComponents => "ListInferenceComponents",
            Operation::DescribeInferenceComponent => "DescribeInferenceComponent",
            Operation::UpdateInferenceComponentRuntimeConfig => {
                "UpdateInferenceComponentRuntimeConfig"
            }
            Operation::DescribeModel => "DescribeModel",
            Operation::ListInferenceExperiments => "ListInferenceExperiments",
            Operation::DescribeInferenceExperiment => "DescribeInferenceExperiment",
            Operation::ListEndpointConfigs => "ListEndpointConfigs",
            Operation::UpdateEndpoint => "UpdateEndpoint",
            Operation::ListMonitoringSchedules => "ListMonitoringSchedules",
            Operation::DescribeMonitoringSchedule => "DescribeMonitoringSchedule",
            Operation::DescribeAlarms => "DescribeAlarms",
        }
    }

    /// The operation AWS names `name` (the SDK's operation metadata), if sagetop calls it.
    pub fn parse(name: &str) -> Option<Operation> {
        const ALL: [Operation; 27] = [
            Operation::GetCallerIdentity,
            Operation::ListEndpoints,
            Operation::DescribeEndpoint,
            Operation::DescribeEndpointConfig,
            Operation::DescribeScalableTargets,
            Operation::DescribeScalingPolicies,
            Operation::DescribeScalingActivities,
            Operation::GetMetricData,
            Operation::LookupEvents,
            Operation::ListServiceQuotas,
            Operation::ListAWSDefaultServiceQuotas,
            Operation::UpdateEndpointWeightsAndCapacities,
            Operation::RegisterScalableTarget,
            Operation::InvokeEndpoint,
            Operation::DescribeLogStreams,
            Operation::FilterLogEvents,
            Operation::ListInferenceComponents,
            Operation::DescribeInferenceComponent,
            Operation::UpdateInferenceComponentRuntimeConfig,
            Operation::DescribeModel,
            Operation::ListInferenceExperiments,
            Operation::DescribeInferenceExperiment,
            Operation::ListEndpointConfigs,
            Operation::UpdateEndpoint,
            Operation::ListMonitoringSchedules,
            Operation::DescribeMonitoringSchedule,
            Operation::DescribeAlarms,
        ];
        ALL.into_iter().find(|o| o.as_str() == name)
    }

    pub fn service(self) -> Service {
        match self {
            Operation::GetCallerIdentity => Service::Sts,
            Operation::ListEndpoints
            | Operation::DescribeEndpoint
            | Operation::DescribeEndpointConfig
            | Operation::UpdateEndpointWeightsAndCapacities
            | Operation::ListInferenceComponents
            | Operation::DescribeInferenceComponent
            | Operation::UpdateInferenceComponentRuntimeConfig
            | Operation::DescribeModel
            | Operation::ListInferenceExperiments
            | Operation::DescribeInferenceExperiment
            | Operation::ListEndpointConfigs
            | Operation::UpdateEndpoint
            | Operation::ListMonitoringSchedules
            | Operation::DescribeMonitoringSchedule => Service::SageMaker,
            Operation::DescribeScalableTargets
            | Operation::DescribeScalingPolicies
            | Operation::DescribeScalingActivities
            | Operation::RegisterScalableTarget => Service::ApplicationAutoScaling,
            Operation::GetMetricData | Operation::DescribeAlarms => Service::CloudWatch,
            Operation::LookupEvents => Service::CloudTrail,
            Operation::ListServiceQuotas | Operation::ListAWSDefaultServiceQuotas => {
                Service::ServiceQuotas
            }
            Operation::InvokeEndpoint => Service::SageMakerRuntime,
            Operation::DescribeLogStreams | Operation::FilterLogEvents => Service::Logs,
        }
    }

    /// The IAM action a caller needs for this operation (named in AccessDenied messages).
    pub fn iam_action(self) -> String {
        let prefix = match self.service() {
            Service::SageMaker | Service::SageMakerRuntime => "sagemaker",
            Service::ApplicationAutoScaling => "application-autoscaling",
            Service::CloudWatch => "cloudwatch",
            Service::CloudTrail => "cloudtrail",
            Service::ServiceQuotas => "servicequotas",
            Service::Sts => "sts",
            Service::Logs => "logs",
        };
        format!("{prefix}:{}", self.as_str())
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong at the boundary. Every variant says what to do next via [`BackendError::hint`].
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
pub enum BackendError {
    #[error("{operation}: throttled by AWS ({message})")]
    Throttled {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: access denied ({message})")]
    AccessDenied {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: credentials expired or invalid ({message})")]
    Credentials {
        operation: Operation,
        message: String,
        profile: Option<String>,
    },
    #[error("{operation}: {message}")]
    NotFound {
        operation: Operation,
        resource: String,
        message: String,
    },
    #[error("{operation}: {message}")]
    Validation {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: {message}")]
    LimitExceeded {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: refused, sagetop is in read-only mode")]
    ReadOnly { operation: Operation },
    #[error("{operation}: no response within {seconds} s")]
    Timeout { operation: Operation, seconds: u64 },
    #[error("{operation}: network error ({message})")]
    Network {
        operation: Operation,
        message: String,
    },
    #[error("{operation}: {code}: {message}")]
    Service {
        operation: Operation,
        code: String,
        message: String,
    },
}

impl BackendError {
    pub fn operation(&self) -> Operation {
        match self {
            BackendError::Throttled { operation, .. }
            | BackendError::AccessDenied { operation, .. }
            | BackendError::Credentials { operation, .. }
            | BackendError::NotFound { operation, .. }
            | BackendError::Validation { operation, .. }
            | BackendError::LimitExceeded { operation, .. }
            | BackendError::ReadOnly { operation }
            | BackendError::Timeout { operation, .. }
            | BackendError::Network { operation, .. }
            | BackendError::Service { operation, .. } => *operation,
        }
    }

    /// CloudTrail (or another List/Lookup API) refused a NextToken: retrying it cannot succeed,
    /// paging has to start again without a token.
    pub fn is_invalid_next_token(&self) -> bool {
        match self {
            BackendError::Validation { message, .. } => message.contains("InvalidNextToken"),
            BackendError::Service { code, message, .. } => {
                code.starts_with("InvalidNextToken") || message.contains("InvalidNextToken")
            }
            _ => false,
        }
    }

    /// Worth retrying later by itself (with backoff).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            BackendError::Throttled { .. }
                | BackendError::Timeout { .. }
                | BackendError::Network { .. }
                | BackendError::Service { .. }
        )
    }

    /// Short label for a panel title ("throttled", "access denied", …).
    pub fn short(&self) -> &'static str {
        match self {
            BackendError::Throttled { .. } => "throttled",
            BackendError::AccessDenied { .. } => "access denied",
            BackendError::Credentials { .. } => "credentials expired",
            BackendError::NotFound { .. } => "not found",
            BackendError::Validation { .. } => "rejected",
            BackendError::LimitExceeded { .. } => "limit exceeded",
            BackendError::ReadOnly { .. } => "read-only",
            BackendError::Timeout { .. } => "timed out",
            BackendError::Network { .. } => "network error",
            BackendError::Service { .. } => "service error",
        }
    }

    /// What the person at the keyboard can do about it.
    pub fn hint(&self) -> String {
        match self {
            BackendError::Throttled { .. } => {
                "sagetop backs off and retries by itself; other panels keep updating".into()
            }
            BackendError::AccessDenied { operation, .. } => {
                format!("grant {} to your role or user", operation.iam_action())
            }
            BackendError::Credentials { profile, .. } => match profile {
                Some(p) => format!(
                    "run `aws sso login --profile {p}` (or refresh your credentials), then press r"
                ),
                None => "refresh your credentials (e.g. `aws sso login`), then press r".into(),
            },
            BackendError::NotFound { resource, .. } => {
                format!("{resource} no longer exists; it may have been deleted")
            }
            BackendError::Validation { .. } => "check the request values and try again".into(),
            BackendError::LimitExceeded { .. } => {
                "request a quota increase in Service Quotas, or choose a smaller change".into()
            }
            BackendError::ReadOnly { .. } => "restart without --read-only to make changes".into(),
            BackendError::Timeout { .. } | BackendError::Network { .. } => {
                "check your network; sagetop retries by itself".into()
            }
            BackendError::Service { .. } => {
                "AWS reported an error; sagetop retries reads by itself".into()
            }
        }
    }
}

pub type BackendResult<T> = Result<T, BackendError>;

/// Everything sagetop reads from or writes to AWS goes through this trait.
/// The SDK backend and the simulated account both implement it; middleware wraps it with
/// [`Layered`]. Every method is required (no provided bodies): a new one must be listed in
/// `layer.rs`, or `Layered` does not compile, so no call can bypass a layer.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Account, caller and region (STS `GetCallerIdentity`).
    async fn identity(&self) -> BackendResult<Identity>;

    /// All endpoints in the region (`ListEndpoints`, every page).
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>>;

    /// One endpoint with its variants (`DescribeEndpoint` + `DescribeEndpointConfig`).
    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint>;

    /// Scalable targets and policies of every variant of an endpoint.
    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>>;

    /// Scalable targets and policies of every endpoint variant in the region, by endpoint
    /// (namespace-wide `DescribeScalableTargets` / `DescribeScalingPolicies` pages on AWS).
    /// Backends that cannot page the namespace answer with [`fleet_autoscaling_per_endpoint`].
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling>;

    /// Copy-count autoscaling of the named inference components (their scalable targets on
    /// `sagemaker:inference-component:DesiredCopyCount` and policies), one entry per name in
    /// the order asked; `range` is `None` for a component with no registered target.
    async fn describe_component_autoscaling(
        &self,
        components: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>>;

    /// Recent scaling activities of an endpoint's variants, newest first.
    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>>;

    /// Many series over one window in as few `GetMetricData` calls as the limits allow.
    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>>;

    /// SageMaker management events, newest first, one page.
    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage>;

    /// SageMaker service quotas (every page).
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>>;

    /// `UpdateEndpointWeightsAndCapacities` for one or more variants in one call.
    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt>;

    /// `RegisterScalableTarget` for a variant: new min/max capacity.
    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt>;

    /// `InvokeEndpoint` (sagemaker-runtime).
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse>;

    /// The endpoint's log streams (CloudWatch Logs `DescribeLogStreams` on
    /// `/aws/sagemaker/Endpoints/NAME`, newest event first).
    async fn list_log_streams(&self, endpoint: &str) -> BackendResult<Vec<LogStream>>;

    /// The endpoint's log events from `query.start` on, oldest first (`FilterLogEvents`).
    async fn filter_log_events(&self, query: &LogQuery) -> BackendResult<LogPage>;

    /// How `endpoint` is hosted beyond classic variants: async config, managed instance
    /// scaling, provisioned concurrency (from its cached endpoint config), its inference
    /// components (only for endpoints whose variants carry no model) and, with `models`, whether
    /// its models run multi-model containers (`DescribeModel`, cached).
    async fn describe_hosting(
        &self,
        endpoint: &Endpoint,
        models: bool,
    ) -> BackendResult<EndpointHosting>;

    /// `UpdateInferenceComponentRuntimeConfig`: a new copy count for one inference component.
    async fn update_component_copies(&self, change: &CopyChange) -> BackendResult<WriteReceipt>;

    /// What the detail's deployment section shows for one endpoint: its last deployment
    /// config and rollback alarms' states, shadow tests, data capture, Model Monitor
    /// schedules (`domain::deployment`). Read only while its detail is open.
    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail>;

    /// Endpoint configs of the account, newest first (`ListEndpointConfigs`), to deploy to.
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>>;

    /// Names of the CloudWatch metric alarms of the account (`DescribeAlarms`), to choose
    /// rollback alarms from.
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>>;

    /// `UpdateEndpoint` to another endpoint config with a deployment configuration.
    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt>;

    /// Calls made so far, per operation, and the cost of metric polling (`:api`);
    /// `None` when the backend keeps no accounting.
    fn api_stats(&self) -> Option<ApiStats>;
}

/// Scalable targets and policies of every endpoint, asked endpoint by endpoint (for backends
/// without a namespace-wide read).
pub async fn fleet_autoscaling_per_endpoint<B: Backend + ?Sized>(
    b: &B,
) -> BackendResult<FleetAutoscaling> {
    let mut out = FleetAutoscaling::new();
    for e in b.list_endpoints().await? {
        let v = b.describe_autoscaling(&e.name).await?;
        out.insert(e.name, v);
    }
    Ok(out)
}

/// Shared handle to a backend.
pub type SharedBackend = Arc<dyn Backend>;
