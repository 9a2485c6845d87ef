//! Owns endpoint identity across contexts (`--profile a,b --region x,y`, `[fleet]`): an
//! endpoint name is unique only within one account and region, so with more than one context
//! open every name above the boundary is a key `NAME@CONTEXT`. [`Qualified`] wraps one
//! context's backend: it strips the context from every name it is handed and adds it to every
//! name it returns, so pollers, writes and the app key endpoints uniquely while AWS sees plain
//! names. SageMaker endpoint names never contain `@` (`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}`,
//! https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CreateEndpoint.html), so the
//! first `@` always splits a key.

use std::sync::Arc;

use async_trait::async_trait;

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
pub struct Qualified<B: ?Sized> {
    label: String,
    inner: Arc<B>,
}

impl<B: Backend + ?Sized> Qualified<B> {
    pub fn new(label: impl Into<String>, inner: Arc<B>) -> Self {
        Qualified {
            label: label.into(),
            inner,
        }
    }

    fn q(&self, name: &str) -> String {
        qualify(plain(name), &self.label)
    }

    fn q_endpoint(&self, mut e: Endpoint) -> Endpoint {
        e.name = self.q(&e.name);
        e
    }

    fn q_autoscaling(&self, mut v: Vec<VariantAutoscaling>) -> Vec<VariantAutoscaling> {
        for a in &mut v {
            if let Some(t) = &mut a.target {
                t.endpoint = self.q(&t.endpoint);
            }
        }
        v
    }

    fn q_hosting(&self, mut h: EndpointHosting) -> EndpointHosting {
        h.endpoint = self.q(&h.endpoint);
        for c in &mut h.components {
            c.endpoint = self.q(&c.endpoint);
        }
        h
    }
}

#[async_trait]
impl<B: Backend + ?Sized> Backend for Qualified<B> {
    async fn identity(&self) -> BackendResult<Identity> {
        self.inner.identity().await
    }

    async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
        let mut list = self.inner.list_endpoints().await?;
        for e in &mut list {
            e.name = self.q(&e.name);
        }
        Ok(list)
    }

    async fn describe_endpoint(&self, name: &str) -> BackendResult<Endpoint> {
        let e = self.inner.describe_endpoint(plain(name)).await?;
        Ok(self.q_endpoint(e))
    }

    async fn describe_autoscaling(&self, endpoint: &str) -> BackendResult<Vec<VariantAutoscaling>> {
        let v = self.inner.describe_autoscaling(plain(endpoint)).await?;
        Ok(self.q_autoscaling(v))
    }

    async fn describe_fleet_autoscaling(&self) -> BackendResult<FleetAutoscaling> {
        let fleet = self.inner.describe_fleet_autoscaling().await?;
        Ok(fleet
            .into_iter()
            .map(|(name, v)| (self.q(&name), self.q_autoscaling(v)))
            .collect())
    }

    async fn describe_component_autoscaling(
        &self,
        components: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        // Component names are plain above the boundary too (copy changes name them so).
        self.inner.describe_component_autoscaling(components).await
    }

    async fn scaling_activities(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        let mut v = self.inner.scaling_activities(plain(endpoint), max).await?;
        for a in &mut v {
            a.endpoint = self.q(&a.endpoint);
        }
        Ok(v)
    }

    async fn get_metrics(&self, query: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        let mut plain_query = query.clone();
        for k in &mut plain_query.series {
            k.endpoint = plain(&k.endpoint).to_string();
        }
        let mut series = self.inner.get_metrics(&plain_query).await?;
        for s in &mut series {
            s.key.endpoint = self.q(&s.key.endpoint);
        }
        Ok(series)
    }

    async fn lookup_events(&self, query: &EventQuery) -> BackendResult<EventPage> {
        let mut q = query.clone();
        q.resource = q.resource.map(|r| plain(&r).to_string());
        self.inner.lookup_events(&q).await
    }

    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.inner.list_quotas().await
    }

    async fn update_weights_and_capacities(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.inner
            .update_weights_and_capacities(plain(endpoint), changes)
            .await
    }

    async fn register_scalable_target(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        self.inner
            .register_scalable_target(plain(endpoint), variant, min_capacity, max_capacity)
            .await
    }

    async fn invoke(&self, request: &InvokeRequest) -> BackendResult<InvokeResponse> {
        let mut r = request.clone();
        r.endpoint = plain(&r.endpoint).to_string();
        self.inner.invoke(&r).await
    }

    async fn list_log_streams(&self, endpoint: &str) -> BackendResult<Vec<LogStream>> {
        self.inner.list_log_streams(plain(endpoint)).await
    }

    async fn filter_log_events(&self, query: &LogQuery) -> BackendResult<LogPage> {
        let mut q = query.clone();
        q.endpoint = plain(&q.endpoint).to_string();
        self.inner.filter_log_events(&q).await
    }

    async fn describe_hosting(
        &self,
        endpoint: &Endpoint,
        models: bool,
    ) -> BackendResult<EndpointHosting> {
        let mut e = endpoint.clone();
        e.name = plain(&e.name).to_string();
        let h = self.inner.describe_hosting(&e, models).await?;
        Ok(self.q_hosting(h))
    }

    async fn update_component_copies(&self, change: &CopyChange) -> BackendResult<WriteReceipt> {
        self.inner.update_component_copies(change).await
    }

    async fn describe_deployment(&self, endpoint: &str) -> BackendResult<DeploymentDetail> {
        let mut d = self.inner.describe_deployment(plain(endpoint)).await?;
        d.endpoint = self.q(&d.endpoint);
        Ok(d)
    }

    async fn list_endpoint_configs(&self) -> BackendResult<Vec<EndpointConfigSummary>> {
        self.inner.list_endpoint_configs().await
    }

    async fn list_alarm_names(&self) -> BackendResult<Vec<String>> {
        self.inner.list_alarm_names().await
    }

    async fn update_endpoint(&self, request: &DeploymentRequest) -> BackendResult<WriteReceipt> {
        let mut r = request.clone();
        r.endpoint = plain(&r.endpoint).to_string();
        self.inner.update_endpoint(&r).await
    }

    fn api_stats(&self) -> Option<ApiStats> {
        self.inner.api_stats()
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
mod tests {
    use super::*;

    #[test]
    fn keys_split_at_the_first_separator() {
        let k = qualify("ranker", "prod@corp/eu-west-1");
        assert_eq!(k, "ranker@prod@corp/eu-west-1");
        assert_eq!(plain(&k), "ranker");
        assert_eq!(context_of(&k), Some("prod@corp/eu-west-1"));
        assert_eq!(plain("ranker"), "ranker");
        assert_eq!(context_of("ranker"), None);
    }

    #[tokio::test]
    async fn unconnected_answers_every_call_with_its_credentials_error() {
        let b = Unconnected {
            profile: Some("staging".into()),
            message: "the SSO session has expired".into(),
        };
        let err = b.list_endpoints().await.unwrap_err();
        assert!(matches!(
            err,
            super::super::BackendError::Credentials { .. }
        ));
        assert!(err.to_string().contains("SSO session has expired"), "{err}");
    }
}
