//! Screen snapshots of the write dialogs and of a traffic shift in progress, at 80×24 and
//! 160×45, on the fixture (simulated account, seed 7, ten minutes in).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sagetop::app::ops::OpsAction;
use sagetop::app::{Action, AppState, View, update};
use sagetop::rollout::{DEFAULT_GUARD, GuardFigures, ShiftMode, ShiftPhase, ShiftSnapshot};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state, two_variant_endpoint};

fn fixture() -> AppState {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fixture_state(FIXTURE_SEED, 0))
}

use sagetop::screenshots::screen;

fn press(s: &mut AppState, keys: &[KeyCode]) {
    for k in keys {
        let now = s.now;
        update(s, Action::Key(KeyEvent::new(*k, KeyModifiers::NONE)), now);
    }
}

fn run(s: &mut AppState, line: &str) {
    let now = s.now;
    update(s, Action::RunCommand(line.into()), now);
}

/// The weights dialog of the two-variant endpoint, canary field focused and edited.
fn weights_dialog() -> AppState {
    let mut s = fixture();
    s.selected = two_variant_endpoint(&s);
    press(
        &mut s,
        &[
            KeyCode::Char('w'),
            KeyCode::Down,
            KeyCode::Right,
            KeyCode::Right,
        ],
    );
    s
}

/// The scale dialog of recommender-ranking's Canary (near its quota), one more instance.
fn scale_dialog() -> AppState {
    let mut s = fixture();
    s.selected = Some("recommender-ranking".into());
    press(&mut s, &[KeyCode::Char('s'), KeyCode::Right, KeyCode::Up]);
    s
}

fn confirm_dialog() -> AppState {
    let mut s = fixture();
    let name = two_variant_endpoint(&s).unwrap();
    let e = s.endpoint(&name).unwrap().clone();
    let (a, b) = (&e.variants[0].name, &e.variants[1].name);
    run(&mut s, &format!(":weights {name} {a}=80 {b}=20"));
    s.notice = None;
    s
}

fn shifting() -> AppState {
    let mut s = fixture();
    let name = "churn-predictor";
    run(&mut s, &format!(":ep {name}"));
    let now = s.now;
    let snap = ShiftSnapshot {
        id: 1,
        endpoint: name.into(),
        from: "VariantA".into(),
        to: "VariantB".into(),
        mode: ShiftMode::Linear(25),
        wait: std::time::Duration::from_secs(300),
        guard: DEFAULT_GUARD,
        step: 2,
        to_shares: vec![0.625, 0.75, 0.875, 1.0],
        phase: ShiftPhase::Baking,
        started_at: now - chrono::Duration::seconds(420),
        at: now,
        next_step_at: Some(now + chrono::Duration::seconds(194)),
        figures: GuardFigures {
            minute: Some(now - chrono::Duration::seconds(64)),
            invocations: Some(812.0),
            rate_5xx: Some(0.0),
            latency_ms: Some(7.9),
            minutes_checked: 2,
            holding: None,
        },
    };
    update(&mut s, Action::Ops(OpsAction::Shift(Box::new(snap))), now);
    s.notice = None;
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: name.into()
        }
    );
    s
}

#[test]
fn weights_dialog_80x24() {
    insta::assert_snapshot!(screen(&weights_dialog(), 80, 24).backend());
}

#[test]
fn weights_dialog_160x45() {
    insta::assert_snapshot!(screen(&weights_dialog(), 160, 45).backend());
}

#[test]
fn scale_dialog_with_quota_80x24() {
    insta::assert_snapshot!(screen(&scale_dialog(), 80, 24).backend());
}

#[test]
fn scale_dialog_with_quota_160x45() {
    insta::assert_snapshot!(screen(&scale_dialog(), 160, 45).backend());
}

#[test]
fn confirm_dialog_80x24() {
    insta::assert_snapshot!(screen(&confirm_dialog(), 80, 24).backend());
}

#[test]
fn confirm_dialog_160x45() {
    insta::assert_snapshot!(screen(&confirm_dialog(), 160, 45).backend());
}

#[test]
fn detail_with_shift_in_progress_80x24() {
    insta::assert_snapshot!(screen(&shifting(), 80, 24).backend());
}

#[test]
fn detail_with_shift_in_progress_160x45() {
    insta::assert_snapshot!(screen(&shifting(), 160, 45).backend());
}
