//! Owns the one middleware mechanism for backends: a [`Layer`] may rewrite each call's
//! arguments on their way down, sees the call before it reaches the backend below (and may hold
//! it or answer it with an error) and its result after (and may replace it); [`Layered`] wraps
//! a backend in a layer and implements every `Backend` method once, from the method list at the
//! bottom of this file.
//!
//! Stacking: `Layered<A, Layered<B, X>>` is an onion. A call meets `A.rewrite`, `A.before`,
//! then `B.rewrite`, `B.before`, then `X`; its result meets `B.after`, then `A.after`. A layer's
//! hooks and everything below it see the call as its `rewrite` left it. An error from a layer's
//! `before` is the call's result: nothing below it runs, its own `after` does not run, and the
//! layers above see the error in their `after`.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;

use super::{ApiStats, Backend, BackendError, BackendResult, Operation};
use crate::domain::*;

/// One call through the boundary: the method and its arguments. Arguments are borrowed from
/// the caller (`Cow::Borrowed`, nothing copied) until a layer's [`Layer::rewrite`] replaces
/// one.
#[derive(Debug, Clone)]
pub enum Call<'a> {
    Identity,
    ListEndpoints,
    DescribeEndpoint {
        name: Cow<'a, str>,
    },
    DescribeAutoscaling {
        endpoint: Cow<'a, str>,
    },
    DescribeFleetAutoscaling,
    DescribeComponentAutoscaling {
        components: Cow<'a, [String]>,
    },
    ScalingActivities {
        endpoint: Cow<'a, str>,
        max: usize,
    },
    GetMetrics {
        query: Cow<'a, MetricQuery>,
    },
    LookupEvents {
        query: Cow<'a, EventQuery>,
    },
    ListQuotas,
    UpdateWeightsAndCapacities {
        endpoint: Cow<'a, str>,
        changes: Cow<'a, [VariantChange]>,
    },
    RegisterScalableTarget {
        endpoint: Cow<'a, str>,
        variant: Cow<'a, str>,
        min_capacity: u32,
        max_capacity: u32,
    },
    Invoke {
        request: Cow<'a, InvokeRequest>,
    },
    ListLogStreams {
        endpoint: Cow<'a, str>,
    },
    FilterLogEvents {
        query: Cow<'a, LogQuery>,
    },
    DescribeHosting {
        endpoint: Cow<'a, Endpoint>,
        models: bool,
    },
    UpdateComponentCopies {
        change: Cow<'a, CopyChange>,
    },
    DescribeDeployment {
        endpoint: Cow<'a, str>,
    },
    ListEndpointConfigs,
    ListAlarmNames,
    UpdateEndpoint {
        request: Cow<'a, DeploymentRequest>,
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
            Call::DescribeEndpoint { name } => Some(&**name),
            Call::DescribeAutoscaling { endpoint }
            | Call::ScalingActivities { endpoint, .. }
            | Call::UpdateWeightsAndCapacities { endpoint, .. }
            | Call::RegisterScalableTarget { endpoint, .. }
            | Call::ListLogStreams { endpoint }
            | Call::DescribeDeployment { endpoint } => Some(&**endpoint),
            Call::Invoke { request } => Some(&request.endpoint),
            Call::FilterLogEvents { query } => Some(&query.endpoint),
            Call::DescribeHosting { endpoint, .. } => Some(&endpoint.name),
            Call::UpdateComponentCopies { change } => Some(&change.component),
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

    /// A call's arguments on their way down, before `before`: replace any of them (an owned
    /// `Cow`, or a shorter borrow of the same text). The method stays the same. The default
    /// leaves the call as made, borrowed: nothing is copied.
    fn rewrite(&self, call: &mut Call<'_>) {
        let _ = call;
    }

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

    fn rewrite(&self, call: &mut Call<'_>) {
        (**self).rewrite(call)
    }

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

/// Implements `Backend` for `Layered` from one list: each method, the `Call` variant it is
/// (its fields named as the method's arguments) and the `Reply` variant its result is seen as.
/// The backend below is called with the arguments of the call as the layer's `rewrite` left it.
macro_rules! layered_backend {
    ($( fn $m:ident(&self $(, $a:ident : $t:ty)*) -> $out:ty = $call:ident, $reply:ident; )*) => {
        #[async_trait]
        impl<L: Layer, B: Backend + ?Sized> Backend for Layered<L, B> {
            $(
                async fn $m(&self $(, $a: $t)*) -> BackendResult<$out> {
                    let mut call = Call::$call { $($a: $a.into()),* };
                    self.layer.rewrite(&mut call);
                    let carry = self.layer.before(&call).await?;
                    let Call::$call { $($a),* } = &call else {
                        unreachable!("a layer's rewrite turned {} into another call", stringify!($m))
                    };
                    let mut result = self.inner.$m($($a.pass()),*).await;
                    self.layer.after(&call, carry, Reply::$reply(&mut result)).await;
                    result
                }
            )*

            fn api_stats(&self) -> Option<ApiStats> {
                self.layer.api_stats(self.inner.api_stats())
            }
        }
    };
}

/// Arguments the macro borrows into a `Call` (`&str` and `&[T]` have std's `From`).
macro_rules! borrowed_args {
    ($($t:ty),*) => {
        $(
            impl<'a> From<&'a $t> for Cow<'a, $t> {
                fn from(arg: &'a $t) -> Self {
                    Cow::Borrowed(arg)
                }
            }
        )*
    };
}

borrowed_args!(
    MetricQuery,
    EventQuery,
    InvokeRequest,
    LogQuery,
    Endpoint,
    CopyChange,
    DeploymentRequest
);

/// How a call's argument is handed to the backend below: a `Cow` as the reference it holds,
/// a number or flag as itself.
trait Pass {
    type Out<'b>
    where
        Self: 'b;
    fn pass(&self) -> Self::Out<'_>;
}

impl<T: ToOwned + ?Sized> Pass for Cow<'_, T> {
    type Out<'b>
        = &'b T
    where
        Self: 'b;
    fn pass(&self) -> &T {
        self
    }
}

macro_rules! pass_by_value {
    ($($t:ty),*) => {
        $(
            impl Pass for $t {
                type Out<'b> = $t;
                fn pass(&self) -> $t {
                    *self
                }
            }
        )*
    };
}

pass_by_value!(usize, u32, bool);

layered_backend! {
    fn identity(&self) -> Identity = Identity, Identity;
    fn list_endpoints(&self) -> Vec<EndpointSummary> = ListEndpoints, Endpoints;
    fn describe_endpoint(&self, name: &str) -> Endpoint = DescribeEndpoint, Endpoint;
    fn describe_autoscaling(&self, endpoint: &str) -> Vec<VariantAutoscaling>
        = DescribeAutoscaling, Autoscaling;
    fn describe_fleet_autoscaling(&self) -> FleetAutoscaling
        = DescribeFleetAutoscaling, FleetAutoscaling;
    fn describe_component_autoscaling(&self, components: &[String]) -> Vec<ComponentAutoscaling>
        = DescribeComponentAutoscaling, ComponentAutoscaling;
    fn scaling_activities(&self, endpoint: &str, max: usize) -> Vec<ScalingActivity>
        = ScalingActivities, Activities;
    fn get_metrics(&self, query: &MetricQuery) -> Vec<MetricSeries> = GetMetrics, Metrics;
    fn lookup_events(&self, query: &EventQuery) -> EventPage = LookupEvents, Events;
    fn list_quotas(&self) -> Vec<ServiceQuota> = ListQuotas, Quotas;
    fn update_weights_and_capacities(&self, endpoint: &str, changes: &[VariantChange]) -> WriteReceipt
        = UpdateWeightsAndCapacities, Receipt;
    fn register_scalable_target(
        &self, endpoint: &str, variant: &str, min_capacity: u32, max_capacity: u32
    ) -> WriteReceipt
        = RegisterScalableTarget, Receipt;
    fn invoke(&self, request: &InvokeRequest) -> InvokeResponse = Invoke, Invoked;
    fn list_log_streams(&self, endpoint: &str) -> Vec<LogStream> = ListLogStreams, LogStreams;
    fn filter_log_events(&self, query: &LogQuery) -> LogPage = FilterLogEvents, LogEvents;
    fn describe_hosting(&self, endpoint: &Endpoint, models: bool) -> EndpointHosting
        = DescribeHosting, Hosting;
    fn update_component_copies(&self, change: &CopyChange) -> WriteReceipt
        = UpdateComponentCopies, Receipt;
    fn describe_deployment(&self, endpoint: &str) -> DeploymentDetail
        = DescribeDeployment, Deployment;
    fn list_endpoint_configs(&self) -> Vec<EndpointConfigSummary>
        = ListEndpointConfigs, EndpointConfigs;
    fn list_alarm_names(&self) -> Vec<String> = ListAlarmNames, AlarmNames;
    fn update_endpoint(&self, request: &DeploymentRequest) -> WriteReceipt
        = UpdateEndpoint, Receipt;
}

#[cfg(test)]
#[path = "layer_tests.rs"]
pub(crate) mod tests;

#[cfg(test)]
#[path = "layer_rewrite_tests.rs"]
mod rewrite_tests;
