//! Screen snapshots of the deployment views at 80×24 and 160×45, with explicit asserts beside
//! them: the detail's Deployment section during the demo's blue/green canary (strategy, phase,
//! bake left, rollback alarms), a shadow test (production vs shadow side by side), data capture
//! with a Model Monitor schedule that found violations, the deploy dialog and its confirm.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sagetop::app::deploy::DeployEvent;
use sagetop::app::state::SessionInfo;
use sagetop::app::{Action, AppState, View, update};
use sagetop::boundary::Backend;
use sagetop::clock::{Clock, ManualClock, fixture_epoch};
use sagetop::screenshots::{FIXTURE_RUN, FIXTURE_SEED, screen};
use sagetop::sim::SimAccount;

const FRAUD: &str = "fraud-detection-xgb";
const RANKING: &str = "recommender-ranking";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// The fixture account with the demo's deployment started, the detail of `endpoint` open and
/// its deployment section read once.
fn detail(endpoint: &str) -> (AppState, Arc<SimAccount>) {
    block_on(async {
        let clock = ManualClock::new(fixture_epoch());
        let sim = Arc::new(SimAccount::new(FIXTURE_SEED, Arc::new(clock.clone())));
        clock.advance(FIXTURE_RUN);
        assert!(sim.start_demo_deployment());
        let session = SessionInfo {
            demo: true,
            ..SessionInfo::default()
        };
        let mut s = sagetop::effects::prime_state(sim.as_ref(), &clock, session).await;
        let now = clock.now();
        update(&mut s, Action::RunCommand(format!(":ep {endpoint}")), now);
        assert_eq!(
            s.view,
            View::Detail {
                endpoint: endpoint.into()
            }
        );
        let snap = sagetop::poll::deploy::read(sim.as_ref(), endpoint, now).await;
        update(
            &mut s,
            Action::from(DeployEvent::Polled {
                endpoint: endpoint.into(),
                at: now,
                result: snap.map(Box::new),
            }),
            now,
        );
        s.notice = None;
        (s, sim)
    })
}

fn text(s: &AppState, w: u16, h: u16) -> String {
    let t = screen(s, w, h);
    let buf = t.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn press(s: &mut AppState, keys: &[KeyCode]) {
    for k in keys {
        let now = s.now;
        update(s, Action::Key(KeyEvent::new(*k, KeyModifiers::NONE)), now);
    }
}

#[test]
fn deployment_section_during_a_canary_160x45() {
    let (s, _) = detail(FRAUD);
    let t = text(&s, 160, 45);
    assert!(t.contains("Deployment"), "{t}");
    assert!(
        t.contains("deploying: blue/green canary 10%, bake 10m, termination wait 5m"),
        "{t}"
    );
    assert!(
        t.contains(
            "to fraud-detection-xgb-config-v15 · Baking · bake 7m left, then 5m termination wait"
        ),
        "{t}"
    );
    assert!(t.contains("fraud-detection-xgb-5xx-rate OK"), "{t}");
    assert!(
        t.contains("data capture on, 20% → s3://acme-ml-capture/fraud-detection-xgb/"),
        "{t}"
    );
    assert!(t.contains("⚠ monitor fraud-detection-xgb-data-quality DataQuality · last run CompletedWithViolations"), "{t}");
    insta::assert_snapshot!(screen(&s, 160, 45).backend());
}

#[test]
fn deployment_section_during_a_canary_80x24() {
    let (s, _) = detail(FRAUD);
    let t = text(&s, 80, 24);
    assert!(t.contains("deploying: blue/green canary 10%"), "{t}");
    assert!(t.contains("bake 7m left"), "{t}");
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}

#[test]
fn rollback_alarm_in_alarm_is_shown_in_red_words_160x45() {
    let (mut s, sim) = detail(FRAUD);
    sim.set_alarm_state(
        "fraud-detection-xgb-5xx-rate",
        sagetop::domain::AlarmStateValue::Alarm,
        "Threshold Crossed",
    );
    let now = s.now;
    let snap = block_on(sagetop::poll::deploy::read(sim.as_ref(), FRAUD, now));
    let e = block_on(sim.describe_endpoint(FRAUD)).unwrap();
    assert_eq!(e.status, sagetop::domain::EndpointStatus::RollingBack);
    if let Some(x) = s.endpoints.iter_mut().find(|x| x.name == FRAUD) {
        *x = e;
    }
    update(
        &mut s,
        Action::from(DeployEvent::Polled {
            endpoint: FRAUD.into(),
            at: now,
            result: snap.map(Box::new),
        }),
        now,
    );
    let t = text(&s, 160, 45);
    assert!(t.contains("fraud-detection-xgb-5xx-rate ALARM"), "{t}");
    assert!(
        t.contains(
            "ROLLING BACK to fraud-detection-xgb-config-v14 · fraud-detection-xgb-5xx-rate in ALARM"
        ),
        "where it goes back to and why:\n{t}"
    );
    assert!(
        !t.lines().any(|l| l.contains("bake") && l.contains("left")),
        "no bake time left while rolling back:\n{t}"
    );
}

#[test]
fn shadow_test_side_by_side_160x45() {
    let (s, _) = detail(RANKING);
    let t = text(&s, 160, 45);
    assert!(
        t.contains("shadow test ranker-v43-shadow Running · copies of Production → ShadowV43 30%"),
        "{t}"
    );
    assert!(t.contains("production Production"), "{t}");
    assert!(t.contains("shadow     ShadowV43"), "{t}");
    assert!(t.contains("data capture off (Stopped)"), "{t}");
    insta::assert_snapshot!(screen(&s, 160, 45).backend());
}

#[test]
fn shadow_test_side_by_side_80x24() {
    let (s, _) = detail(RANKING);
    let t = text(&s, 80, 24);
    assert!(t.contains("shadow test ranker-v43-shadow"), "{t}");
    insta::assert_snapshot!(screen(&s, 80, 24).backend());
}

/// The deploy dialog of churn-predictor with its choices read, and the confirm after it.
fn dialog() -> (AppState, AppState) {
    let (mut s, sim) = detail("churn-predictor");
    press(&mut s, &[KeyCode::Char('D')]);
    let configs = block_on(sim.list_endpoint_configs());
    let alarms = block_on(sim.list_alarm_names());
    let now = s.now;
    update(
        &mut s,
        Action::from(DeployEvent::Choices { configs, alarms }),
        now,
    );
    let d = s.clone();
    press(&mut s, &[KeyCode::Enter]);
    (d, s)
}

#[test]
fn deploy_dialog_and_confirm_80x24() {
    let (d, c) = dialog();
    let t = text(&d, 80, 24);
    assert!(t.contains("Deploy · churn-predictor"), "{t}");
    assert!(t.contains("from config"), "{t}");
    assert!(t.contains("blue/green, canary"), "{t}");
    insta::assert_snapshot!("deploy_dialog_80x24", screen(&d, 80, 24).backend());
    let t = text(&c, 80, 24);
    assert!(t.contains("Deploy a new endpoint config"), "{t}");
    assert!(t.contains("account 111122223333 in us-east-1"), "{t}");
    insta::assert_snapshot!("deploy_confirm_80x24", screen(&c, 80, 24).backend());
}

#[test]
fn deploy_dialog_and_confirm_160x45() {
    let (d, c) = dialog();
    let t = text(&d, 160, 45);
    assert!(t.contains("rollback alarms"), "{t}");
    assert!(t.contains("ready: blue/green canary 10%, bake 5m"), "{t}");
    insta::assert_snapshot!("deploy_dialog_160x45", screen(&d, 160, 45).backend());
    let t = text(&c, 160, 45);
    assert!(t.contains("churn-predictor-ab-2026-02-28"), "{t}");
    assert!(t.contains("UpdateEndpoint("), "{t}");
    assert!(t.contains("Type=CANARY"), "{t}");
    insta::assert_snapshot!("deploy_confirm_160x45", screen(&c, 160, 45).backend());
}

#[test]
fn the_list_marks_an_endpoint_mid_deployment() {
    let (mut s, _) = detail(FRAUD);
    let now = s.now;
    update(&mut s, Action::Back, now);
    let t = text(&s, 160, 45);
    let row = t.lines().find(|l| l.contains(FRAUD)).unwrap();
    assert!(row.contains("Updating+bg"), "{row}");
    let other = t.lines().find(|l| l.contains("churn-predictor ")).unwrap();
    assert!(!other.contains("+bg"), "{other}");
}
