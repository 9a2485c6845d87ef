//! The one boundary to AWS: the `Backend` trait, its typed errors and the read-only guard.

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
        const ALL: [Operation; 21] = [
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
/// The SDK backend and the simulated account both implement it.
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
    /// The provided version asks per endpoint; backends that can page the namespace override it.
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        let mut out = FleetAutoscaling::new();
        for e in self.list_endpoints().await? {
            let v = self.describe_autoscaling(&e.name).await?;
            out.insert(e.name, v);
        }
        Ok(out)
    }

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

    /// What the detail's deployment section shows for one endpoint: its last deployment
    /// config and rollback alarms' states, shadow tests, data capture, Model Monitor
    /// schedules (`domain::deployment`). Read only while its detail is open.
    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        Ok(DeploymentDetail {
            endpoint: endpoint.to_string(),
            ..Default::default()
        })
    }

    /// Endpoint configs of the account, newest first (`ListEndpointConfigs`), to deploy to.
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        Ok(Vec::new())
    }

    /// Names of the CloudWatch metric alarms of the account (`DescribeAlarms`), to choose
    /// rollback alarms from.
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        Ok(Vec::new())
    }

    /// `UpdateEndpoint` to another endpoint config with a deployment configuration.
    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        let _ = request;
        Err(BackendError::Validation {
            operation: Operation::UpdateEndpoint,
            message: "this backend cannot deploy endpoint configs".into(),
        })
    }

    /// Calls made so far, per operation, and the cost of metric polling (`:api`).
    /// Wrappers forward it; `None` when the backend keeps no accounting.
    fn api_stats(&self) -> Option<crate::api_stats::ApiStats> {
        None
    }
}

/// Shared handle to a backend.
pub type SharedBackend = Arc<dyn Backend>;

/// Wraps a backend and refuses every write: read-only mode enforced at the boundary,
/// whatever the UI shows or hides.
pub struct ReadOnly<B: ?Sized>(pub Arc<B>);

#[async_trait]
impl<B: Backend + ?Sized> Backend for ReadOnly<B> {
    async fn identity(&self) -> BackendResult<Identity> {
        self.0.identity().await
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.0.list_endpoints().await
    }
    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        self.0.describe_endpoint(name).await
    }
    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.0.describe_autoscaling(endpoint).await
    }
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.0.describe_fleet_autoscaling().await
    }
    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        self.0.scaling_activities(endpoint, max).await
    }
    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.0.get_metrics(query).await
    }
    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        self.0.lookup_events(query).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.0.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        _: &str,
        _: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        Err(BackendError::ReadOnly {
            operation: Operation::UpdateEndpointWeightsAndCapacities,
        })
    }
    async fn register_scalable_target(
        &self,
        _: &str,
        _: &str,
        _: u32,
        _: u32,
    ) -> BackendResult<WriteReceipt> {
        Err(BackendError::ReadOnly {
            operation: Operation::RegisterScalableTarget,
        })
    }
    fn api_stats(&self) -> Option<crate::api_stats::ApiStats> {
        self.0.api_stats()
    }
    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        self.0.describe_deployment(endpoint).await
    }
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.0.list_endpoint_configs().await
    }
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.0.list_alarm_names().await
    }
    async fn update_endpoint(&self, _: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        Err(BackendError::ReadOnly {
            operation: Operation::UpdateEndpoint,
        })
    }
    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        // Invocations against AWS endpoints are production traffic; read-only forbids them.
        let _ = request;
        Err(BackendError::ReadOnly {
            operation: Operation::InvokeEndpoint,
        })
    }
}
