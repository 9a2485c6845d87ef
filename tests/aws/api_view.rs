//! The `:api` view: requests counted per AWS operation by the SDK backend's interceptor (on the
//! simulated account's server, as on `--demo`), throttles, metrics requested, and the view
//! opening, refreshing only on change, and closing.

use crate::wire_rig;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::{Terminal, backend::TestBackend};
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, View, update};
use sagetop::aws::AwsBackend;
use sagetop::boundary::{Backend, Operation};
use sagetop::clock::fixture_epoch;
use sagetop::theme::Theme;

/// The `--demo` path: the SDK backend on the simulated account's server, whose interceptor
/// counts every request the SDK sends (one attempt each here).
async fn demo(faults: Option<&str>) -> (wire_rig::Rig, AwsBackend) {
    let rig = wire_rig::Rig::new(0, faults).await;
    let backend = rig.backend(1).await;
    (rig, backend)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sdk_backend_counts_each_request_errors_and_metrics_per_operation() {
    let (rig, backend) = demo(None).await;
    let state = sagetop::effects::prime_state(&backend, &rig.clock, SessionInfo::default()).await;
    assert!(backend.describe_endpoint("no-such-endpoint").await.is_err());

    let stats = backend.api_stats();
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
    assert!(
        op(Operation::DescribeEndpointConfig).is_some_and(|c| c.calls >= 1),
        "a describe is two requests on AWS, both counted"
    );
    assert_eq!(op(Operation::ListEndpoints).unwrap().calls, 1);
    assert!(op(Operation::GetMetricData).unwrap().calls >= 1);
    // The fleet's metrics and, with the fleet's hosting, async endpoints' backlog series.
    let hosting: usize = state
        .autoscaling
        .hosting_metrics
        .values()
        .map(Vec::len)
        .sum();
    assert!(hosting >= 2, "the async endpoint's backlog series");
    let series: usize = state.metrics.series.len() + hosting;
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
    let (rig, backend) = demo(None).await;
    let clock = rig.clock.clone();
    let session = SessionInfo {
        demo: true,
        ..SessionInfo::default()
    };
    let mut s = sagetop::effects::prime_state(&backend, &clock, session).await;
    let now = fixture_epoch() + Duration::seconds(1);
    update(&mut s, Action::RunCommand(":api".into()), now);
    assert_eq!(s.view, View::Api);

    let stats = backend.api_stats();
    update(&mut s, Action::ApiStats(Some(stats.clone())), now);
    s.dirty = false;
    update(&mut s, Action::ApiStats(Some(stats)), now);
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttles_are_counted_as_errors_and_throttles() {
    let (_rig, b) = demo(Some("throttle=1:quotas")).await;
    for _ in 0..3 {
        assert!(b.list_quotas().await.is_err());
    }
    let stats = b.api_stats();
    let quotas: Vec<_> = stats
        .operations
        .iter()
        .filter(|o| o.operation.service() == sagetop::boundary::Service::ServiceQuotas)
        .collect();
    let sum = |f: fn(&&sagetop::boundary::api_stats::OperationStats) -> u64| -> u64 {
        quotas.iter().map(f).sum()
    };
    assert_eq!(sum(|o| o.calls), 3, "{quotas:?}");
    assert_eq!(sum(|o| o.throttles), 3);
    assert_eq!(sum(|o| o.errors), 3);
    assert_eq!(sum(|o| o.calls_last_minute), 3);
    assert_eq!(stats.throttles, 3);
}
