//! Screen snapshots of the real renderer on the simulated account (seed 7, fixture clock
//! run 10 minutes): endpoints and detail views at 80×24 and 160×45, help, too small,
//! a filtered view and a failing metrics panel.

use std::time::Duration;

use sagetop::app::{Action, AppState, Overlay, Panel, Polled, View, update};
use sagetop::boundary::{BackendError, Operation};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state, two_variant_endpoint};

/// The fixture (four seconds after its polls, so ages on screen are not all zero).
fn fixture() -> AppState {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fixture_state(FIXTURE_SEED, 0))
}

use sagetop::screenshots::screen;

fn detail(state: &AppState) -> AppState {
    let name = two_variant_endpoint(state).expect("a two-variant endpoint in the demo fleet");
    detail_of(state, &name)
}

fn detail_of(state: &AppState, name: &str) -> AppState {
    let mut s = state.clone();
    let name = name.to_string();
    let now = s.now;
    update(&mut s, Action::RunCommand(format!(":ep {name}")), now);
    assert_eq!(s.view, View::Detail { endpoint: name });
    s
}

#[test]
fn endpoints_80x24() {
    insta::assert_snapshot!(screen(&fixture(), 80, 24).backend());
}

#[test]
fn endpoints_160x45() {
    insta::assert_snapshot!(screen(&fixture(), 160, 45).backend());
}

#[test]
fn detail_80x24() {
    insta::assert_snapshot!(screen(&detail(&fixture()), 80, 24).backend());
}

#[test]
fn detail_160x45() {
    insta::assert_snapshot!(screen(&detail(&fixture()), 160, 45).backend());
}

#[test]
fn detail_failed_endpoint_80x24() {
    let s = fixture();
    let failed = s
        .endpoints
        .iter()
        .find(|e| e.failure_reason.is_some())
        .expect("a failed endpoint")
        .name
        .clone();
    insta::assert_snapshot!(screen(&detail_of(&s, &failed), 80, 24).backend());
}

#[test]
fn help_80x24() {
    let mut s = fixture();
    s.overlay = Overlay::Help { scroll: 0 };
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}

#[test]
fn too_small_59x14() {
    insta::assert_snapshot!(screen(&fixture(), 59, 14).backend());
}

#[test]
fn filtered_sorted_80x24() {
    let mut s = fixture();
    let now = s.now;
    update(&mut s, Action::RunCommand(":filter g5".into()), now);
    update(&mut s, Action::RunCommand(":sort inv".into()), now);
    s.notice = None;
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}

#[test]
fn failing_metrics_panel_80x24() {
    let mut s = fixture();
    let at = s.now + chrono::Duration::seconds(90);
    let error = BackendError::Throttled {
        operation: Operation::GetMetricData,
        message: "Rate exceeded".into(),
    };
    let polled = Polled {
        panel: Panel::Metrics,
        at,
        result: Err(error),
        retry_in: Some(Duration::from_secs(8)),
    };
    update(&mut s, Action::Polled(polled), at);
    update(&mut s, Action::Tick, at + chrono::Duration::seconds(3));
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}

#[test]
fn failing_metrics_panel_detail_80x24() {
    let mut s = detail(&fixture());
    let at = s.now + chrono::Duration::seconds(90);
    let error = BackendError::Throttled {
        operation: Operation::GetMetricData,
        message: "Rate exceeded".into(),
    };
    let polled = Polled {
        panel: Panel::Metrics,
        at,
        result: Err(error),
        retry_in: Some(Duration::from_secs(8)),
    };
    update(&mut s, Action::Polled(polled), at);
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}
