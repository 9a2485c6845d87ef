//! The `:api` view: calls counted at the boundary per operation, throttles, metrics requested,
//! and the view opening, refreshing only on change, and closing.

use std::sync::Arc;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use sagetop::api_stats::Counted;
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, View, update};
use sagetop::boundary::{Backend, Operation};
use sagetop::clock::{ManualClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::sim::SimAccount;
use sagetop::theme::Theme;

#[tokio::test]
async fn counted_backend_counts_calls_errors_and_metrics_per_operation() {
    let clock = ManualClock::new(fixture_epoch());
    let sim = Arc::new(SimAccount::new(7, Arc::new(clock.clone())));
    let backend = Counted::new(sim);
    let state = sagetop::effects::prime_state(&backend, &clock, SessionInfo::default()).await;
    assert!(backend.describe_endpoint("no-such-endpoint").await.is_err());

    let stats = backend.api_stats().expect("counted backends report stats");
    let op = |o: Operation| stats.operations.iter().find(|s| s.operation == o).cloned();
    let describe = op(Operation::DescribeEndpoint).expect("describes counted");
    assert_eq!(
        describe.calls,
        state.endpoints.len() as u64 + 1,
        "one describe per endpoint plus the failed one"
    );
    assert_eq!(describe.errors, 1);
    assert!(
        describe
            .last_error
            .as_deref()
            .unwrap()
            .contains("no-such-endpoint")
    );
    assert_eq!(op(Operation::ListEndpoints).unwrap().calls, 1);
    assert_eq!(op(Operation::GetMetricData).unwrap().calls, 1);
    let series: usize = state.metrics.series.len();
    assert_eq!(
        stats.metrics_requested, series as u64,
        "every series asked for is billed"
    );
    assert!(
        op(Operation::UpdateEndpointWeightsAndCapacities).is_none(),
        "no writes were made"
    );
    assert_eq!(stats.throttles, 0);
}

fn key(code: KeyCode) -> Action {
    Action::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

#[tokio::test]
async fn api_view_opens_refreshes_on_change_and_goes_back() {
    let clock = ManualClock::new(fixture_epoch());
    let backend = Counted::new(Arc::new(SimAccount::new(7, Arc::new(clock.clone()))));
    let session = SessionInfo {
        demo: true,
        ..SessionInfo::default()
    };
    let mut s = sagetop::effects::prime_state(&backend, &clock, session).await;
    let now = fixture_epoch() + Duration::seconds(1);
    update(&mut s, Action::RunCommand(":api".into()), now);
    assert_eq!(s.view, View::Api);

    update(&mut s, Action::ApiStats(backend.api_stats()), now);
    s.dirty = false;
    update(&mut s, Action::ApiStats(backend.api_stats()), now);
    assert!(!s.dirty, "unchanged accounting causes no redraw");

    let mut term = Terminal::new(TestBackend::new(100, 24)).unwrap();
    term.draw(|f| sagetop::ui::render(f, &s, &Theme::default_theme()))
        .unwrap();
    let screen = format!("{}", term.backend());
    for needle in [
        "API calls",
        "DescribeEndpoint",
        "GetMetricData",
        "calls/min",
        "cost nothing",
    ] {
        assert!(screen.contains(needle), "{needle} missing:\n{screen}");
    }

    update(&mut s, key(KeyCode::Esc), now);
    assert_eq!(s.view, View::Endpoints);
    update(&mut s, Action::RunCommand(":api now".into()), now);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains(":api takes no arguments")
    );
}

#[tokio::test]
async fn throttles_are_counted_as_errors_and_throttles() {
    use async_trait::async_trait;
    use sagetop::boundary::{BackendError, BackendResult};
    struct Throttling;
    #[async_trait]
    impl Backend for Throttling {
        async fn identity(&self) -> BackendResult<Identity> {
            Err(BackendError::Throttled {
                operation: Operation::GetCallerIdentity,
                message: "Rate exceeded".into(),
            })
        }
        async fn list_endpoints(&self) -> BackendResult<Vec<EndpointSummary>> {
            Ok(Vec::new())
        }
        async fn describe_endpoint(&self, _: &str) -> BackendResult<Endpoint> {
            unimplemented!("not called")
        }
        async fn describe_autoscaling(&self, _: &str) -> BackendResult<Vec<VariantAutoscaling>> {
            Ok(Vec::new())
        }
        async fn scaling_activities(
            &self,
            _: &str,
            _: usize,
        ) -> BackendResult<Vec<ScalingActivity>> {
            Ok(Vec::new())
        }
        async fn get_metrics(&self, _: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
            Ok(Vec::new())
        }
        async fn lookup_events(&self, _: &EventQuery) -> BackendResult<EventPage> {
            Ok(EventPage::default())
        }
        async fn list_quotas(&self) -> BackendResult<Vec<ServiceQuota>> {
            Ok(Vec::new())
        }
        async fn update_weights_and_capacities(
            &self,
            _: &str,
            _: &[VariantChange],
        ) -> BackendResult<WriteReceipt> {
            unimplemented!("not called")
        }
        async fn register_scalable_target(
            &self,
            _: &str,
            _: &str,
            _: u32,
            _: u32,
        ) -> BackendResult<WriteReceipt> {
            unimplemented!("not called")
        }
        async fn invoke(&self, _: &InvokeRequest) -> BackendResult<InvokeResponse> {
            unimplemented!("not called")
        }
    }
    let b = Counted::new(Arc::new(Throttling));
    for _ in 0..3 {
        let _ = b.identity().await;
    }
    let stats = b.api_stats().unwrap();
    assert_eq!(stats.throttles, 3);
    assert_eq!(stats.operations[0].errors, 3);
    assert_eq!(stats.calls_last_minute, 3);
}
