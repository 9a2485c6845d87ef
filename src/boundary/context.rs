//! Owns endpoint identity across contexts (`--profile a,b --region x,y`, `[fleet]`): an
//! endpoint name is unique only within one account and region, so with more than one context
//! open every name above the boundary is a key `NAME@CONTEXT`. [`Qualify`] is the layer over
//! one context's backend: its `rewrite` strips the context from every endpoint name handed
//! down and its `after` adds it to every endpoint name handed up, so pollers, writes and the app
//! key endpoints uniquely while AWS sees plain names. SageMaker endpoint names never contain `@`
//! (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html), so the
//! first `@` always splits a key.

use std::borrow::Cow;
use std::sync::Arc;

use async_trait::async_trait;

use super::layer::{Call, Layer, Layered, Reply};
use super::{ApiStats, Backend, BackendResult};
use crate::domain::*;

/// Separates an endpoint name from its context label in a key.
pub const SEP: char = '@';

/// The key of endpoint `name` in context `label`.
pub fn qualify(name: &str, label: &str) -> String {
    format!("{name}{SEP}{label}")
}

/// The plain endpoint name of a key (the key itself when it names no context).
pub fn plain(key: &str) -> &str {
    key.split_once(SEP).map_or(key, |(n, _)| n)
}

/// The context label of a key, if it names one.
pub fn context_of(key: &str) -> Option<&str> {
    key.split_once(SEP).map(|(_, c)| c)
}

/// One context's backend, speaking in keys `NAME@label`.
pub type Qualified<B> = Layered<Qualify, B>;

/// `inner` speaking in keys `NAME@label`.
pub fn qualified<B: Backend + ?Sized>(label: impl Into<String>, inner: Arc<B>) -> Qualified<B> {
    Qualify::new(label).over(inner)
}

/// The layer that keys one context's endpoints: `NAME@label` above it, `NAME` below it.
#[derive(Debug, Clone)]
pub struct Qualify {
    label: String,
}

impl Qualify {
    pub fn new(label: impl Into<String>) -> Self {
        Qualify {
            label: label.into(),
        }
    }

    /// Makes `name` (plain or a key) this context's key.
    fn q(&self, name: &mut String) {
        *name = qualify(plain(name), &self.label);
    }

    fn q_autoscaling(&self, v: &mut [VariantAutoscaling]) {
        for t in v.iter_mut().filter_map(|a| a.target.as_mut()) {
            self.q(&mut t.endpoint);
        }
    }
}

/// `key` names a context.
fn is_key(key: &str) -> bool {
    key.contains(SEP)
}

/// Drops the context from a key held as a string.
fn strip(key: &mut String) {
    if let Some(i) = key.find(SEP) {
        key.truncate(i);
    }
}

/// Drops the context from a name argument; a borrowed name stays borrowed (a shorter slice).
fn strip_arg(name: &mut Cow<'_, str>) {
    match name {
        Cow::Borrowed(s) => *s = plain(s),
        Cow::Owned(s) => strip(s),
    }
}

#[async_trait]
impl Layer for Qualify {
    type Carry = ();

    /// Every endpoint name a call carries, plain. A struct argument is copied only when it
    /// holds a key. The match lists every call, so a new method must say what it carries.
    fn rewrite(&self, call: &mut Call<'_>) {
        match call {
            Call::DescribeEndpoint { name: endpoint }
            | Call::DescribeAutoscaling { endpoint }
            | Call::ScalingActivities { endpoint, .. }
            | Call::UpdateWeightsAndCapacities { endpoint, .. }
            | Call::RegisterScalableTarget { endpoint, .. }
            | Call::ListLogStreams { endpoint }
            | Call::DescribeDeployment { endpoint } => strip_arg(endpoint),
            Call::GetMetrics { query } => {
                if query.series.iter().any(|k| is_key(&k.endpoint)) {
                    for k in &mut query.to_mut().series {
                        strip(&mut k.endpoint);
                    }
                }
            }
            Call::LookupEvents { query } => {
                if query.resource.as_deref().is_some_and(is_key)
                    && let Some(resource) = &mut query.to_mut().resource
                {
                    strip(resource);
                }
            }
            Call::Invoke { request } => {
                if is_key(&request.endpoint) {
                    strip(&mut request.to_mut().endpoint);
                }
            }
            Call::FilterLogEvents { query } => {
                if is_key(&query.endpoint) {
                    strip(&mut query.to_mut().endpoint);
                }
            }
            Call::DescribeHosting { endpoint, .. } => {
                if is_key(&endpoint.name) {
                    strip(&mut endpoint.to_mut().name);
                }
            }
            Call::UpdateEndpoint { request } => {
                if is_key(&request.endpoint) {
                    strip(&mut request.to_mut().endpoint);
                }
            }
            // An inference component's name is the account's, not an endpoint key.
            Call::UpdateComponentCopies { .. } => {}
            // Component names are plain above the boundary too (copy changes name them so).
            Call::DescribeComponentAutoscaling { .. } => {}
            Call::Identity
            | Call::ListEndpoints
            | Call::DescribeFleetAutoscaling
            | Call::ListQuotas
            | Call::ListEndpointConfigs
            | Call::ListAlarmNames => {}
        }
    }

    async fn before(&self, _: &Call<'_>) -> BackendResult<()> {
        Ok(())
    }

    /// Every endpoint name a result carries, keyed. The match lists every result.
    async fn after(&self, _: &Call<'_>, _: (), reply: Reply<'_>) {
        match reply {
            Reply::Endpoints(Ok(list)) => list.iter_mut().for_each(|e| self.q(&mut e.name)),
            Reply::Endpoint(Ok(e)) => self.q(&mut e.name),
            Reply::Autoscaling(Ok(v)) => self.q_autoscaling(v),
            Reply::FleetAutoscaling(Ok(fleet)) => {
                *fleet = std::mem::take(fleet)
                    .into_iter()
                    .map(|(mut name, mut v)| {
                        self.q(&mut name);
                        self.q_autoscaling(&mut v);
                        (name, v)
                    })
                    .collect();
            }
            Reply::Activities(Ok(v)) => v.iter_mut().for_each(|a| self.q(&mut a.endpoint)),
            Reply::Metrics(Ok(series)) => {
                series.iter_mut().for_each(|s| self.q(&mut s.key.endpoint));
            }
            Reply::Hosting(Ok(h)) => {
                self.q(&mut h.endpoint);
                h.components
                    .iter_mut()
                    .for_each(|c| self.q(&mut c.endpoint));
            }
            Reply::Deployment(Ok(d)) => self.q(&mut d.endpoint),
            Reply::Endpoints(Err(_))
            | Reply::Endpoint(Err(_))
            | Reply::Autoscaling(Err(_))
            | Reply::FleetAutoscaling(Err(_))
            | Reply::Activities(Err(_))
            | Reply::Metrics(Err(_))
            | Reply::Hosting(Err(_))
            | Reply::Deployment(Err(_)) => {}
            // No endpoint keys: CloudTrail's resource names stay as it recorded them (names,
            // config names and ARNs alike), log streams are named by variant and instance.
            Reply::Identity(_)
            | Reply::Events(_)
            | Reply::Quotas(_)
            | Reply::Receipt(_)
            | Reply::Invoked(_)
            | Reply::LogStreams(_)
            | Reply::LogEvents(_)
            | Reply::EndpointConfigs(_)
            | Reply::AlarmNames(_)
            | Reply::ComponentAutoscaling(_) => {}
        }
    }
}

/// A context whose credentials did not check out at start-up: every call answers with why,
/// so its rows show the error and what to do while the other contexts stay live.
#[derive(Debug, Clone)]
pub struct Unconnected {
    pub profile: Option<String>,
    /// Why connecting failed, as start-up said it.
    pub message: String,
}

impl Unconnected {
    fn err<T>(&self, operation: super::Operation) -> BackendResult<T> {
        Err(super::BackendError::Credentials {
            operation,
            message: self.message.clone(),
            profile: self.profile.clone(),
        })
    }
}

#[async_trait]
impl Backend for Unconnected {
    async fn describe_deployment(&self, _: &str) -> BackendResult<DeploymentDetail> {
        self.err(super::Operation::DescribeEndpoint)
    }
    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.err(super::Operation::ListEndpointConfigs)
    }
    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.err(super::Operation::DescribeAlarms)
    }
    async fn update_endpoint(&self, _: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        self.err(super::Operation::UpdateEndpoint)
    }
    async fn identity(&self) -> BackendResult<Identity> {
        self.err(super::Operation::GetCallerIdentity)
    }
    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        self.err(super::Operation::ListEndpoints)
    }
    async fn describe_endpoint(&self, _: &str) -> BackendResult<Endpoint> {
        self.err(super::Operation::DescribeEndpoint)
    }
    async fn describe_autoscaling(&self, _: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        self.err(super::Operation::DescribeScalableTargets)
    }
    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        self.err(super::Operation::DescribeScalableTargets)
    }
    async fn describe_component_autoscaling(
        &self,
        _: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        self.err(super::Operation::DescribeScalableTargets)
    }
    async fn scaling_activities(&self, _: &str, _: usize) -> BackendResult<Vec<ScalingActivity>> {
        self.err(super::Operation::DescribeScalingActivities)
    }
    async fn get_metrics(&self, _: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.err(super::Operation::GetMetricData)
    }
    async fn lookup_events(&self, _: &EventQuery) -> BackendResult<EventPage> {
        self.err(super::Operation::LookupEvents)
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.err(super::Operation::ListServiceQuotas)
    }
    async fn update_weights_and_capacities(
        &self,
        _: &str,
        _: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.err(super::Operation::UpdateEndpointWeightsAndCapacities)
    }
    async fn register_scalable_target(
        &self,
        _: &str,
        _: &str,
        _: u32,
        _: u32,
    ) -> BackendResult<WriteReceipt> {
        self.err(super::Operation::RegisterScalableTarget)
    }
    async fn invoke(&self, _: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.err(super::Operation::InvokeEndpoint)
    }
    async fn list_log_streams(&self, _: &str) -> BackendResult<Vec<LogStream>> {
        self.err(super::Operation::DescribeLogStreams)
    }
    async fn filter_log_events(&self, _: &LogQuery) -> BackendResult<LogPage> {
        self.err(super::Operation::FilterLogEvents)
    }
    async fn describe_hosting(&self, _: &Endpoint, _: bool) -> BackendResult<EndpointHosting> {
        self.err(super::Operation::DescribeEndpointConfig)
    }
    async fn update_component_copies(&self, _: &CopyChange) -> BackendResult<WriteReceipt> {
        self.err(super::Operation::UpdateInferenceComponentRuntimeConfig)
    }
    fn api_stats(&self) -> Option<ApiStats> {
        None
    }
}

#[cfg(test)]
#[path = "context_tests.rs"]
mod tests;
