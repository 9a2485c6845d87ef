//! Native guarded deployments end to end against the simulated account: `D` in the detail →
//! the deploy dialog (configs from ListEndpointConfigs, alarms from DescribeAlarms) → confirm
//! (endpoint, from → to config, strategy, alarms, account and region, the exact call) → one
//! UpdateEndpoint → tracked through the blue/green phases to InService, or to the old config
//! when a rollback alarm fires → audit line; refused in read-only mode.

use crate::harness;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use harness::*;
use sagetop::app::deploy::{DeployCommand, DeployEvent};
use sagetop::app::dialogs::Dialog;
use sagetop::app::state::NoticeLevel;
use sagetop::app::{Action, Command, View, update};
use sagetop::boundary::{Backend, BackendError};
use sagetop::clock::Clock;
use sagetop::domain::*;
use sagetop::write::{Origin, WriteJob, WriteOutcome, WriteRequest};

const TARGET: &str = "churn-predictor-ab-2026-03-01";
const ALARM: &str = "churn-predictor-5xx-rate";

fn open_detail(h: &mut Harness, endpoint: &str) {
    h.select(endpoint);
    h.state.view = View::Detail {
        endpoint: endpoint.into(),
    };
}

/// `D`, then what the runtime does for `Command::Deploy(FetchChoices)`.
async fn press_deploy(h: &mut Harness) -> Vec<Command> {
    let key = Action::Key(KeyEvent::new(KeyCode::Char('D'), KeyModifiers::NONE));
    let cmds = update(&mut h.state, key, h.clock.now());
    if cmds
        .iter()
        .any(|c| matches!(c, Command::Deploy(DeployCommand::FetchChoices { .. })))
    {
        let configs = h.backend.list_endpoint_configs().await;
        let alarms = h.backend.list_alarm_names().await;
        let choices = Action::from(DeployEvent::Choices { configs, alarms });
        update(&mut h.state, choices, h.clock.now());
    }
    // What the key asked for beyond the usual bookkeeping (`Visible`).
    cmds.into_iter()
        .filter(|c| !matches!(c, Command::Visible(_)))
        .collect()
}

fn deploy_dialog(h: &Harness) -> &sagetop::app::dialogs::deploy::DeployDialog {
    match &h.state.ops.dialog {
        Some(Dialog::Deploy(d)) => d,
        other => panic!("{other:?} / {}", h.notice()),
    }
}

/// Fills the dialog: TARGET, canary 10%, 120 s per step, the churn alarm; then review.
async fn start_canary(h: &mut Harness) {
    open_detail(h, CHURN);
    let cmds = press_deploy(h).await;
    assert_eq!(
        cmds,
        vec![Command::Deploy(DeployCommand::FetchChoices {
            endpoint: CHURN.into()
        })]
    );
    let configs = deploy_dialog(h).configs.clone().unwrap();
    assert!(
        !configs.contains(&"churn-predictor-ab-2026-02-28".to_string()),
        "not the current one"
    );
    while deploy_dialog(h).chosen_config() != Some(TARGET) {
        h.key(KeyCode::Right);
    }
    h.key(KeyCode::Tab); // strategy: canary is the default
    h.key(KeyCode::Tab); // canary %
    h.key(KeyCode::Tab); // wait
    for _ in 0..3 {
        h.key(KeyCode::Backspace);
    }
    h.type_str("120");
    h.key(KeyCode::Tab); // termination wait
    h.key(KeyCode::Tab); // alarms
    let alarms = deploy_dialog(h).alarms.clone().unwrap();
    let at = alarms.iter().position(|(n, _)| n == ALARM).unwrap();
    for _ in 0..at {
        h.key(KeyCode::Right);
    }
    h.key(KeyCode::Char(' '));
    assert_eq!(deploy_dialog(h).chosen_alarms(), vec![ALARM.to_string()]);
    h.key(KeyCode::Enter);
    let Some(Dialog::Confirm(c)) = &h.state.ops.dialog else {
        panic!("{:?}", h.state.ops.dialog)
    };
    // The exact change: endpoint, from → to config, strategy, alarms, account and region.
    assert_eq!(c.rows[0].variant, CHURN);
    assert_eq!(
        (c.rows[0].from.as_str(), c.rows[0].to.as_str()),
        ("churn-predictor-ab-2026-02-28", TARGET)
    );
    assert_eq!(
        c.rows[1].to,
        "blue/green canary 10%, bake 2m, termination wait 0s"
    );
    assert_eq!(c.rows[2].to, ALARM);
    assert_eq!(
        c.notes[0],
        "churn-predictor: churn-predictor-ab-2026-02-28 → churn-predictor-ab-2026-03-01"
    );
    assert_eq!(c.notes[1], "account 111122223333 in us-east-1");
    assert!(
        c.api.iter().any(|l| l.contains("Type=CANARY")),
        "{:?}",
        c.api
    );
    assert_eq!(c.action, "Deploy");
    h.key(KeyCode::Char('y'));
    h.settle().await;
}

fn in_service_without_writes(h: &Harness) -> bool {
    h.state
        .endpoint(CHURN)
        .is_some_and(|e| e.status == EndpointStatus::InService)
        && !h.state.ops.writes.contains_key(CHURN)
}

#[tokio::test]
async fn a_canary_deployment_from_the_dialog_is_tracked_to_the_new_config() {
    let mut h = Harness::new().await;
    start_canary(&mut h).await;
    let d = h.describe(CHURN).await;
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_eq!(d.pending.as_ref().unwrap().config_name, TARGET);
    assert!(h.state.ops.writes.contains_key(CHURN), "tracked");
    // Another deployment is refused while this one runs: nothing more is sent.
    let cmds = press_deploy(&mut h).await;
    assert!(cmds.is_empty() && h.state.ops.dialog.is_none());
    assert!(h.notice().contains("in flight"), "{}", h.notice());

    let done = h.until(900, 30, in_service_without_writes).await;
    assert!(done, "{}", h.notice());
    // (The phases are checked over the wire in wire_deployments; here: the end state.)
    let e = h.describe(CHURN).await;
    assert!(e.pending.is_none());
    assert_eq!(e.config_name, TARGET);
    assert!(
        h.notice().starts_with(
            "churn-predictor is InService with the change: deploy churn-predictor-ab-2026-03-01"
        ),
        "{}",
        h.notice()
    );
    let audit = h.audit_lines();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["operation"], "UpdateEndpoint");
    assert_eq!(audit[0]["outcome"], "accepted");
    assert_eq!(audit[0]["account"], "111122223333");
    assert_eq!(audit[0]["region"], "us-east-1");
    assert_eq!(audit[0]["request"]["EndpointConfigName"], TARGET);
    assert_eq!(
        audit[0]["request"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"][0]["AlarmName"],
        ALARM
    );
    let page = h
        .sim
        .lookup_events(&EventQuery {
            resource: Some(CHURN.into()),
            max_results: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let sent = page
        .events
        .iter()
        .filter(|e| e.name == "UpdateEndpoint" && !e.read_only && e.time >= h.started)
        .count();
    assert_eq!(sent, 1, "one UpdateEndpoint");
}

#[tokio::test]
async fn a_rollback_alarm_firing_brings_the_old_config_back_and_says_why() {
    let mut h = Harness::new().await;
    start_canary(&mut h).await;
    h.advance(180, 30).await;
    assert_eq!(
        h.state.endpoint(CHURN).unwrap().status,
        EndpointStatus::Updating
    );
    h.sim.set_alarm_state(
        ALARM,
        AlarmStateValue::Alarm,
        "Threshold Crossed: 5XX rate 3% > 1%",
    );
    assert!(
        h.until(600, 30, in_service_without_writes).await,
        "{}",
        h.notice()
    );
    let e = h.describe(CHURN).await;
    assert_eq!(
        e.config_name, "churn-predictor-ab-2026-02-28",
        "the old config is back"
    );
    let n = h.state.notice.as_ref().unwrap();
    assert_eq!(n.level, NoticeLevel::Warning);
    assert!(
        n.text.contains("did not take effect")
            && n.text.contains(ALARM)
            && n.text.contains("rolled back"),
        "{}",
        n.text
    );
    let last = h.state.ops.last.get(CHURN).unwrap();
    assert!(
        last.summary
            .starts_with("deploy churn-predictor-ab-2026-03-01")
    );
}

#[tokio::test]
async fn read_only_has_no_deploy_key_and_the_boundary_refuses_update_endpoint() {
    let mut h = Harness::read_only().await;
    open_detail(&mut h, CHURN);
    let cmds = press_deploy(&mut h).await;
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(h.state.ops.dialog.is_none());
    let request = DeploymentRequest {
        endpoint: CHURN.into(),
        config_name: TARGET.into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::AllAtOnce,
            wait_interval_s: 60,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        },
        rollback_alarms: vec![],
    };
    let e = h.backend.update_endpoint(&request).await.unwrap_err();
    assert!(matches!(e, BackendError::ReadOnly { .. }), "{e:?}");
    let job = WriteJob {
        id: 1,
        request: WriteRequest::Deploy(Box::new(request)),
        origin: Origin::User,
    };
    let outcome = h.executor.service().execute(job).await;
    assert!(
        matches!(outcome, WriteOutcome::Failed(BackendError::ReadOnly { .. })),
        "{outcome:?}"
    );
    assert_eq!(h.describe(CHURN).await.status, EndpointStatus::InService);
    assert_eq!(h.audit_lines()[0]["outcome"], "refused");
}

/// While the open detail's endpoint moves (a deployment baking, a rollback) and when its
/// status changes (it ended), every endpoints poll asks the deploy poller for a read now, so
/// the section's alarms and phase keep up with the status line instead of lagging up to 30 s;
/// a settled endpoint, or another endpoint's moves, ask nothing.
#[test]
fn the_open_endpoints_deployment_is_read_while_it_moves_and_when_it_settles() {
    use sagetop::app::Panel;
    use sagetop::app::action::{EndpointsData, PanelData, Polled};
    use sagetop::app::state::SessionInfo;

    let ep = |name: &str, status: EndpointStatus| Endpoint {
        name: name.into(),
        arn: format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{name}"),
        status,
        failure_reason: None,
        creation_time: sagetop::clock::fixture_epoch(),
        last_modified_time: sagetop::clock::fixture_epoch(),
        config_name: format!("{name}-config"),
        shadow_variants: Vec::new(),
        pending: None,
        variants: Vec::new(),
    };
    let poll = |s: &mut sagetop::app::AppState, fraud: EndpointStatus, churn: EndpointStatus| {
        let now = s.now;
        let data = PanelData::Endpoints(EndpointsData {
            endpoints: vec![ep("churn", churn), ep("fraud", fraud)],
            ..Default::default()
        });
        update(
            s,
            Action::Polled(Polled {
                panel: Panel::Endpoints,
                at: now,
                result: Ok(data),
                retry_in: None,
            }),
            now,
        )
    };
    let read_now = |cmds: &[Command]| -> Vec<String> {
        cmds.iter()
            .filter_map(|c| match c {
                Command::Deploy(DeployCommand::ReadNow { endpoint }) => Some(endpoint.clone()),
                _ => None,
            })
            .collect()
    };
    use EndpointStatus::*;
    let mut s =
        sagetop::app::AppState::new(SessionInfo::default(), sagetop::clock::fixture_epoch());
    poll(&mut s, Updating, InService);
    let now = s.now;
    update(&mut s, Action::RunCommand(":ep fraud".into()), now);
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: "fraud".into()
        }
    );
    for (fraud, churn, want) in [
        (Updating, InService, vec!["fraud"]), // baking: read with every poll
        (RollingBack, Updating, vec!["fraud"]), // the rollback began
        (InService, Updating, vec!["fraud"]), // it ended
        (InService, Updating, vec![]),        // settled; another endpoint moves
        (InService, InService, vec![]),       // nothing moves
    ] {
        let cmds = poll(&mut s, fraud, churn);
        assert_eq!(read_now(&cmds), want, "fraud {fraud:?}, churn {churn:?}");
    }
    // On the endpoints list nothing is watched, so nothing is read.
    update(
        &mut s,
        Action::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        now,
    );
    assert_eq!(s.view, View::Endpoints);
    assert!(read_now(&poll(&mut s, Updating, InService)).is_empty());
}
