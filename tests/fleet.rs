//! Fetching panels through the boundary: partial failures keep what loaded and say what did not.

use std::sync::Arc;

use async_trait::async_trait;
use sagetop::app::Panel;
use sagetop::app::state::SessionInfo;
use sagetop::boundary::{Backend, BackendError, BackendResult, Operation};
use sagetop::clock::{ManualClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::sim::SimAccount;
use sagetop::snapshot::FleetSnapshot;

/// The simulated account with DescribeScalingActivities failing, as on an emulator that
/// does not serve it or a role without the permission.
struct NoActivities(Arc<SimAccount>);

#[async_trait]
impl Backend for NoActivities {
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
    async fn scaling_activities(&self, _: &str, _: usize) -> BackendResult<Vec<ScalingActivity>> {
        Err(BackendError::AccessDenied {
            operation: Operation::DescribeScalingActivities,
            message: "User is not authorized to perform: application-autoscaling:DescribeScalingActivities".into(),
        })
    }
    async fn get_metrics(&self, q: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
        self.0.get_metrics(q).await
    }
    async fn lookup_events(&self, q: &EventQuery) -> BackendResult<EventPage> {
        self.0.lookup_events(q).await
    }
    async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
        self.0.list_quotas().await
    }
    async fn update_weights_and_capacities(
        &self,
        e: &str,
        c: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        self.0.update_weights_and_capacities(e, c).await
    }
    async fn register_scalable_target(
        &self,
        e: &str,
        v: &str,
        min: u32,
        max: u32,
    ) -> BackendResult<WriteReceipt> {
        self.0.register_scalable_target(e, v, min, max).await
    }
    async fn invoke(&self, r: &InvokeRequest) -> BackendResult<InvokeResponse> {
        self.0.invoke(r).await
    }
}

#[tokio::test]
async fn failing_scaling_activities_keep_the_autoscaling_configuration() {
    let clock = ManualClock::new(fixture_epoch());
    let sim = Arc::new(SimAccount::new(7, Arc::new(clock.clone())));
    let backend = NoActivities(sim);
    let state = sagetop::effects::prime_state(&backend, &clock, SessionInfo::default()).await;

    let scaled = state
        .autoscaling
        .config
        .iter()
        .find(|(_, variants)| variants.iter().any(|v| v.target.is_some()))
        .map(|(name, _)| name.clone())
        .expect("the simulated fleet has autoscaled endpoints");
    assert!(
        state
            .autoscaling
            .activities
            .get(&scaled)
            .is_none_or(|a| a.is_empty())
    );
    let health = state.health(Panel::Autoscaling);
    assert!(health.last_ok.is_some(), "configuration loaded");
    let err = health
        .error
        .as_ref()
        .expect("the failure is shown on the panel");
    assert_eq!(err.operation(), Operation::DescribeScalingActivities);
    assert!(
        err.hint()
            .contains("application-autoscaling:DescribeScalingActivities")
    );

    let snap = FleetSnapshot::from_state(&state);
    assert!(
        snap.errors
            .iter()
            .any(|e| e.operation == "DescribeScalingActivities")
    );
    let ep = snap
        .endpoints
        .iter()
        .find(|e| e.endpoint.name == scaled)
        .unwrap();
    assert!(
        ep.autoscaling.iter().any(|v| v.target.is_some()),
        "snapshot keeps the configuration"
    );
}
