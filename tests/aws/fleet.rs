//! Fetching panels through the boundary: partial failures keep what loaded and say what did not.

use std::sync::Arc;

use async_trait::async_trait;
use sagetop::app::Panel;
use sagetop::app::state::SessionInfo;
use sagetop::boundary::{BackendError, BackendResult, Call, Layer, Operation};
use sagetop::clock::{ManualClock, fixture_epoch};
use sagetop::sim::SimAccount;
use sagetop::snapshot::FleetSnapshot;

/// The simulated account with DescribeScalingActivities failing, as on an emulator that
/// does not serve it or a role without the permission.
struct NoActivities;

#[async_trait]
impl Layer for NoActivities {
    type Carry = ();

    async fn before(&self, call: &Call<'_>) -> BackendResult<()> {
        if let Call::ScalingActivities { .. } = call {
            return Err(BackendError::AccessDenied {
                operation: Operation::DescribeScalingActivities,
                message: "User is not authorized to perform: application-autoscaling:DescribeScalingActivities".into(),
            });
        }
        Ok(())
    }
}

#[tokio::test]
async fn failing_scaling_activities_keep_the_autoscaling_configuration() {
    let clock = ManualClock::new(fixture_epoch());
    let sim = Arc::new(SimAccount::new(7, Arc::new(clock.clone())));
    let backend = NoActivities.over(sim);
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
