//! Owns the one middleware mechanism for backends: a [`Layer`] sees each call before it reaches
//! the backend below (and may hold it or answer it with an error) and its result after (and
//! may replace it); [`Layered`] wraps a backend in a layer and implements every `Backend`
//! method once, from the method list at the bottom of this file.
//!
//! Stacking: `Layered<A, Layered<B, X>>` is an onion. A call meets `A.before`, then
//! `B.before`, then `X`; its result meets `B.after`, then `A.after`. An error from a layer's
//! `before` is the call's result: nothing below it runs, its own `after` does not run, and the
//! layers above see the error in their `after`.

use std::sync::Arc;

use async_trait::async_trait;

use super::{ApiStats, Backend, BackendError, BackendResult, Operation};
use crate::domain::*;

/// One call through the boundary: the method and its arguments.
#[derive(Debug, Clone, Copy)]
pub enum Call<'a> {
    Identity,
    ListEndpoints,
    DescribeEndpoint {
        name: &'a str,
    },
    DescribeAutoscaling {
        endpoint: &'a str,
    },
    DescribeFleetAutoscaling,
    DescribeComponentAutoscaling {
        components: &'a [String],
    },
    ScalingActivities {
        endpoint: &'a str,
        max: usize,
    },
    GetMetrics {
        query: &'a MetricQuery,
    },
    LookupEvents {
        query: &'a EventQuery,
    },
    ListQuotas,
    UpdateWeightsAndCapacities {
        endpoint: &'a str,
        changes: &'a [VariantChange],
    },
    RegisterScalableTarget {
        endpoint: &'a str,
        variant: &'a str,
        min_capacity: u32,
        max_capacity: u32,
    },
    Invoke {
        request: &'a InvokeRequest,
    },
    ListLogStreams {
        endpoint: &'a str,
    },
    FilterLogEvents {
        query: &'a LogQuery,
    },
    DescribeHosting {
        endpoint: &'a Endpoint,
        models: bool,
    },
    UpdateComponentCopies {
        change: &'a CopyChange,
    },
    DescribeDeployment {
        endpoint: &'a str,
    },
    ListEndpointConfigs,
    ListAlarmNames,
    UpdateEndpoint {
        request: &'a DeploymentRequest,
    },
}

impl Call<'_> {
    /// The AWS operation the call is named by in errors, IAM actions and fault rules (the
    /// first one when a method makes several).
    pub fn operation(&self) -> Operation {
        match self {
            Call::Identity => Operation::GetCallerIdentity,
            Call::ListEndpoints => Operation::ListEndpoints,
            Call::DescribeEndpoint { .. } => Operation::DescribeEndpoint,
            Call::DescribeAutoscaling { .. }
            | Call::DescribeFleetAutoscaling
            | Call::DescribeComponentAutoscaling { .. } => Operation::DescribeScalableTargets,
            Call::ScalingActivities { .. } => Operation::DescribeScalingActivities,
            Call::GetMetrics { .. } => Operation::GetMetricData,
            Call::LookupEvents { .. } => Operation::LookupEvents,
            Call::ListQuotas => Operation::ListServiceQuotas,
            Call::UpdateWeightsAndCapacities { .. } => {
                Operation::UpdateEndpointWeightsAndCapacities
            }
            Call::RegisterScalableTarget { .. } => Operation::RegisterScalableTarget,
            Call::Invoke { .. } => Operation::InvokeEndpoint,
            Call::ListLogStreams { .. } => Operation::DescribeLogStreams,
            Call::FilterLogEvents { .. } => Operation::FilterLogEvents,
            Call::DescribeHosting { .. } => Operation::DescribeEndpointConfig,
            Call::UpdateComponentCopies { .. } => Operation::UpdateInferenceComponentRuntimeConfig,
            Call::DescribeDeployment { .. } => Operation::DescribeEndpoint,
            Call::ListEndpointConfigs => Operation::ListEndpointConfigs,
            Call::ListAlarmNames => Operation::DescribeAlarms,
            Call::UpdateEndpoint { .. } => Operation::UpdateEndpoint,
        }
    }

    /// The endpoint the call is about, if it is about one.
    pub fn resource(&self) -> Option<&str> {
        match self {
            Call::DescribeEndpoint { name } => Some(name),
            Call::DescribeAutoscaling { endpoint }
            | Call::ScalingActivities { endpoint, .. }
            | Call::UpdateWeightsAndCapacities { endpoint, .. }
            | Call::RegisterScalableTarget { endpoint, .. } => Some(endpoint),
            Call::Invoke { request } => Some(&request.endpoint),
            Call::ListLogStreams { endpoint } => Some(endpoint),
            Call::FilterLogEvents { query } => Some(&query.endpoint),
            Call::DescribeHosting { endpoint, .. } => Some(&endpoint.name),
            Call::UpdateComponentCopies { change } => Some(&change.component),
            Call::DescribeDeployment { endpoint } => Some(endpoint),
            Call::UpdateEndpoint { request } => Some(&request.endpoint),
            Call::ListEndpointConfigs | Call::ListAlarmNames => None,
            Call::Identity
            | Call::ListEndpoints
            | Call::DescribeFleetAutoscaling
            | Call::DescribeComponentAutoscaling { .. }
            | Call::GetMetrics { .. }
            | Call::LookupEvents { .. }
            | Call::ListQuotas => None,
        }
    }

    /// Changes the account (a write).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Call::UpdateWeightsAndCapacities { .. }
                | Call::RegisterScalableTarget { .. }
                | Call::UpdateComponentCopies { .. }
                | Call::UpdateEndpoint { .. }
        )
    }

    /// Only reads the account: neither a write nor an invocation (production traffic).
    pub fn is_read(&self) -> bool {
        !self.is_write() && !matches!(self, Call::Invoke { .. })
    }

    /// The `Backend` method's name (for logs and tests).
    pub fn method(&self) -> &'static str {
        match self {
            Call::Identity => "identity",
            Call::ListEndpoints => "list_endpoints",
            Call::DescribeEndpoint { .. } => "describe_endpoint",
            Call::DescribeAutoscaling { .. } => "describe_autoscaling",
            Call::DescribeFleetAutoscaling => "describe_fleet_autoscaling",
            Call::DescribeComponentAutoscaling { .. } => "describe_component_autoscaling",
            Call::ScalingActivities { .. } => "scaling_activities",
            Call::GetMetrics { .. } => "get_metrics",
            Call::LookupEvents { .. } => "lookup_events",
            Call::ListQuotas => "list_quotas",
            Call::UpdateWeightsAndCapacities { .. } => "update_weights_and_capacities",
            Call::RegisterScalableTarget { .. } => "register_scalable_target",
            Call::Invoke { .. } => "invoke",
            Call::ListLogStreams { .. } => "list_log_streams",
            Call::FilterLogEvents { .. } => "filter_log_events",
            Call::DescribeHosting { .. } => "describe_hosting",
            Call::UpdateComponentCopies { .. } => "update_component_copies",
            Call::DescribeDeployment { .. } => "describe_deployment",
            Call::ListEndpointConfigs => "list_endpoint_configs",
            Call::ListAlarmNames => "list_alarm_names",
            Call::UpdateEndpoint { .. } => "update_endpoint",
        }
    }
}

/// The result of a call, as a layer's `after` sees it: typed, and replaceable in place.
#[derive(Debug)]
pub enum Reply<'r> {
    Identity(&'r mut BackendResult<Identity>),
    Endpoints(&'r mut BackendResult<Vec<EndpointSummary>>),
    Endpoint(&'r mut BackendResult<Endpoint>),
    Autoscaling(&'r mut BackendResult<Vec<VariantAutoscaling>>),
    FleetAutoscaling(&'r mut BackendResult<FleetAutoscaling>),
    ComponentAutoscaling(&'r mut BackendResult<Vec<ComponentAutoscaling>>),
    Activities(&'r mut BackendResult<Vec<ScalingActivity>>),
    Metrics(&'r mut BackendResult<Vec<MetricSeries>>),
    Events(&'r mut BackendResult<EventPage>),
    Quotas(&'r mut BackendResult<Vec<ServiceQuota>>),
    Receipt(&'r mut BackendResult<WriteReceipt>),
    Invoked(&'r mut BackendResult<InvokeResponse>),
    LogStreams(&'r mut BackendResult<Vec<LogStream>>),
    LogEvents(&'r mut BackendResult<LogPage>),
    Hosting(&'r mut BackendResult<EndpointHosting>),
    Deployment(&'r mut BackendResult<DeploymentDetail>),
    EndpointConfigs(&'r mut BackendResult<Vec<EndpointConfigSummary>>),
    AlarmNames(&'r mut BackendResult<Vec<String>>),
}

macro_rules! each_reply {
    ($reply:expr, $r:ident => $body:expr) => {
        match $reply {
            Reply::Identity($r) => $body,
            Reply::Endpoints($r) => $body,
            Reply::Endpoint($r) => $body,
            Reply::Autoscaling($r) => $body,
            Reply::FleetAutoscaling($r) => $body,
            Reply::ComponentAutoscaling($r) => $body,
            Reply::Activities($r) => $body,
            Reply::Metrics($r) => $body,
            Reply::Events($r) => $body,
            Reply::Quotas($r) => $body,
            Reply::Receipt($r) => $body,
            Reply::Invoked($r) => $body,
            Reply::LogStreams($r) => $body,
            Reply::LogEvents($r) => $body,
            Reply::Hosting($r) => $body,
            Reply::Deployment($r) => $body,
            Reply::EndpointConfigs($r) => $body,
            Reply::AlarmNames($r) => $body,
        }
    };
}

impl Reply<'_> {
    /// The error the call ended with, if it failed.
    pub fn error(&self) -> Option<&BackendError> {
        each_reply!(self, r => r.as_ref().err())
    }

    pub fn is_ok(&self) -> bool {
        self.error().is_none()
    }

    /// Replaces the result with `err` (the response is dropped).
    pub fn fail(&mut self, err: BackendError) {
        each_reply!(self, r => **r = Err(err))
    }
}

/// Middleware around a backend. Hooks run for every call of every `Backend` method.
#[async_trait]
pub trait Layer: Send + Sync + 'static {
    /// What `before` hands to `after` for the same call (`()` when nothing).
    type Carry: Send;

    /// A call on its way down. May wait (a delay, a gate). An error is the call's result:
    /// the backend is not called.
    async fn before(&self, call: &Call<'_>) -> BackendResult<Self::Carry>;

    /// The call's result on its way up: observe it, or replace it ([`Reply::fail`], or the
    /// typed result itself).
    async fn after(&self, call: &Call<'_>, carry: Self::Carry, reply: Reply<'_>) {
        let _ = (call, carry, reply);
    }

    /// The accounting as seen above this layer; `below` is the backend's.
    fn api_stats(&self, below: Option<ApiStats>) -> Option<ApiStats> {
        below
    }

    /// `inner` wrapped in this layer.
    fn over<B: Backend + ?Sized>(self, inner: Arc<B>) -> Layered<Self, B>
    where
        Self: Sized,
    {
        Layered::new(self, inner)
    }
}

/// A shared layer is a layer (one fault injector for the wire server and a backend).
#[async_trait]
impl<L: Layer> Layer for Arc<L> {
    type Carry = L::Carry;

    async fn before(&self, call: &Call<'_>) -> BackendResult<Self::Carry> {
        (**self).before(call).await
    }

    async fn after(&self, call: &Call<'_>, carry: Self::Carry, reply: Reply<'_>) {
        (**self).after(call, carry, reply).await
    }

    fn api_stats(&self, below: Option<ApiStats>) -> Option<ApiStats> {
        (**self).api_stats(below)
    }
}

/// A backend wrapped in a layer.
pub struct Layered<L, B: ?Sized> {
    layer: L,
    inner: Arc<B>,
}

impl<L, B: ?Sized> Layered<L, B> {
    pub fn new(layer: L, inner: Arc<B>) -> Self {
        Layered { layer, inner }
    }

    pub fn layer(&self) -> &L {
        &self.layer
    }

    /// The backend below the layer.
    pub fn inner(&self) -> &Arc<B> {
        &self.inner
    }
}

impl<L: std::fmt::Debug, B: ?Sized> std::fmt::Debug for Layered<L, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Layered")
            .field("layer", &self.layer)
            .finish_non_exhaustive()
    }
}

/// Implements `Backend` for `Layered` from one list: each method, the `Call` it is and the
/// `Reply` its result is seen as.
macro_rules! layered_backend {
    ($( fn $m:ident(&self $(, $a:ident : $t:ty)*) -> $out:ty = $call:expr, $reply:path; )*) => {
        #[async_trait]
        impl<L: Layer, B: Backend + ?Sized> Backend for Layered<L, B> {
            $(
                async fn $m(&self $(, $a: $t)*) -> BackendResult<$out> {
                    let call = $call;
                    let carry = self.layer.before(&call).await?;
                    let mut result = self.inner.$m($($a),*).await;
                    self.layer.after(&call, carry, $reply(&mut result)).await;
                    result
                }
            )*

            fn api_stats(&self) -> Option<ApiStats> {
                self.layer.api_stats(self.inner.api_stats())
            }
        }
    };
}

layered_backend! {
    fn identity(&self) -> Identity = Call::Identity, Reply::Identity;
    fn list_endpoints(&self) -> Vec<EndpointSummary> = Call::ListEndpoints, Reply::Endpoints;
    fn describe_endpoint(&self, name: &str) -> Endpoint
        = Call::DescribeEndpoint { name }, Reply::Endpoint;
    fn describe_autoscaling(&self, endpoint: &str) -> Vec<VariantAutoscaling>
        = Call::DescribeAutoscaling { endpoint }, Reply::Autoscaling;
    fn describe_fleet_autoscaling(&self) -> FleetAutoscaling
        = Call::DescribeFleetAutoscaling, Reply::FleetAutoscaling;
    fn describe_component_autoscaling(&self, components: &[String]) -> Vec<ComponentAutoscaling>
        = Call::DescribeComponentAutoscaling { components }, Reply::ComponentAutoscaling;
    fn scaling_activities(&self, endpoint: &str, max: usize) -> Vec<ScalingActivity>
        = Call::ScalingActivities { endpoint, max }, Reply::Activities;
    fn get_metrics(&self, query: &MetricQuery) -> Vec<MetricSeries>
        = Call::GetMetrics { query }, Reply::Metrics;
    fn lookup_events(&self, query: &EventQuery) -> EventPage
        = Call::LookupEvents { query }, Reply::Events;
    fn list_quotas(&self) -> Vec<ServiceQuota> = Call::ListQuotas, Reply::Quotas;
    fn update_weights_and_capacities(&self, endpoint: &str, changes: &[VariantChange]) -> WriteReceipt
        = Call::UpdateWeightsAndCapacities { endpoint, changes }, Reply::Receipt;
    fn register_scalable_target(
        &self, endpoint: &str, variant: &str, min_capacity: u32, max_capacity: u32
    ) -> WriteReceipt
        = Call::RegisterScalableTarget { endpoint, variant, min_capacity, max_capacity },
          Reply::Receipt;
    fn invoke(&self, request: &InvokeRequest) -> InvokeResponse
        = Call::Invoke { request }, Reply::Invoked;
    fn list_log_streams(&self, endpoint: &str) -> Vec<LogStream>
        = Call::ListLogStreams { endpoint }, Reply::LogStreams;
    fn filter_log_events(&self, query: &LogQuery) -> LogPage
        = Call::FilterLogEvents { query }, Reply::LogEvents;
    fn describe_hosting(&self, endpoint: &Endpoint, models: bool) -> EndpointHosting
        = Call::DescribeHosting { endpoint, models }, Reply::Hosting;
    fn update_component_copies(&self, change: &CopyChange) -> WriteReceipt
        = Call::UpdateComponentCopies { change }, Reply::Receipt;
    fn describe_deployment(&self, endpoint: &str) -> DeploymentDetail
        = Call::DescribeDeployment { endpoint }, Reply::Deployment;
    fn list_endpoint_configs(&self) -> Vec<EndpointConfigSummary>
        = Call::ListEndpointConfigs, Reply::EndpointConfigs;
    fn list_alarm_names(&self) -> Vec<String> = Call::ListAlarmNames, Reply::AlarmNames;
    fn update_endpoint(&self, request: &DeploymentRequest) -> WriteReceipt
        = Call::UpdateEndpoint { request }, Reply::Receipt;
}

#[cfg(test)]
#[path = "layer_tests.rs"]
pub(crate) mod tests;
