//! Table tests of `update`: navigation, filter, sort, help, commands, quit, resize, polls.

use std::collections::BTreeMap;

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use sagetop::app::action::{EndpointsData, MetricsData, VariantMetrics};
use sagetop::app::state::SessionInfo;
use sagetop::app::{
    Action, AppState, Column, Command, InputKind, Overlay, Panel, PanelData, Polled, View, update,
};
use sagetop::boundary::{BackendError, Operation};
use sagetop::clock::fixture_epoch;
use sagetop::domain::*;

fn variant(name: &str, weight: f64, count: u32, itype: &str) -> Variant {
    Variant {
        name: name.into(),
        model_name: Some(format!("{name}-model")),
        instance_type: Some(itype.into()),
        current_instance_count: Some(count),
        desired_instance_count: Some(count),
        current_weight: Some(weight),
        desired_weight: Some(weight),
        serverless: None,
        statuses: Vec::new(),
    }
}

fn endpoint(
    name: &str,
    status: EndpointStatus,
    variants: Vec<Variant>,
    modified_mins_ago: i64,
) -> Endpoint {
    Endpoint {
        name: name.into(),
        arn: format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{name}"),
        status,
        failure_reason: None,
        creation_time: fixture_epoch() - Duration::days(3),
        last_modified_time: fixture_epoch() - Duration::minutes(modified_mins_ago),
        config_name: format!("{name}-config"),
        shadow_variants: Vec::new(),
        pending: None,
        variants,
    }
}

fn metrics(inv: f64, lat_ms: f64, err5: f64, cpu: f64) -> VariantMetrics {
    VariantMetrics {
        invocations_per_min: Some(inv),
        model_latency_ms: Some(lat_ms),
        errors_5xx: Some(err5),
        cpu: Some(cpu),
        ..VariantMetrics::default()
    }
}

/// Four endpoints: names sort alpha < bravo < charlie < delta; each column orders them differently.
fn fleet() -> (Vec<Endpoint>, MetricsData) {
    let eps = vec![
        endpoint(
            "alpha-fraud",
            EndpointStatus::InService,
            vec![variant("AllTraffic", 1.0, 2, "ml.m5.xlarge")],
            300,
        ),
        endpoint(
            "bravo-churn",
            EndpointStatus::Updating,
            vec![
                variant("v1", 1.0, 1, "ml.m5.large"),
                variant("v2", 1.0, 1, "ml.m5.large"),
            ],
            2,
        ),
        endpoint(
            "charlie-gpu",
            EndpointStatus::Failed,
            vec![variant("AllTraffic", 1.0, 4, "ml.g5.2xlarge")],
            60,
        ),
        endpoint(
            "delta-canary",
            EndpointStatus::InService,
            vec![
                variant("prod", 9.0, 4, "ml.c5.xlarge"),
                variant("canary", 1.0, 1, "ml.c5.xlarge"),
            ],
            30,
        ),
    ];
    let mut latest = BTreeMap::new();
    let mut put = |e: &str, v: &str, m| {
        latest.insert((e.to_string(), v.to_string()), m);
    };
    put(
        "alpha-fraud",
        "AllTraffic",
        metrics(900.0, 12.0, 0.0, 150.0),
    );
    put("bravo-churn", "v1", metrics(100.0, 40.0, 1.0, 30.0));
    put("bravo-churn", "v2", metrics(100.0, 60.0, 9.0, 50.0));
    put("charlie-gpu", "AllTraffic", metrics(10.0, 300.0, 5.0, 20.0));
    put("delta-canary", "prod", metrics(2700.0, 8.0, 0.0, 90.0));
    put("delta-canary", "canary", metrics(300.0, 9.0, 0.0, 95.0));
    (
        eps,
        MetricsData {
            latest,
            series: Vec::new(),
            ..Default::default()
        },
    )
}

fn t(secs: i64) -> Timestamp {
    fixture_epoch() + Duration::seconds(secs)
}

fn polled(panel: Panel, data: PanelData, at: Timestamp) -> Action {
    Action::Polled(Polled {
        panel,
        at,
        result: Ok(data),
        retry_in: None,
    })
}

fn loaded() -> AppState {
    let mut s = AppState::new(
        SessionInfo {
            demo: true,
            ..SessionInfo::default()
        },
        t(0),
    );
    let (eps, m) = fleet();
    update(
        &mut s,
        polled(
            Panel::Endpoints,
            PanelData::Endpoints(EndpointsData {
                endpoints: eps,
                failed: BTreeMap::new(),
                ..Default::default()
            }),
            t(0),
        ),
        t(0),
    );
    update(
        &mut s,
        polled(Panel::Metrics, PanelData::Metrics(m), t(0)),
        t(0),
    );
    s.dirty = false;
    s
}

fn key(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

fn code(c: KeyCode) -> Action {
    Action::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Commands of `actions`, less the rows-on-screen reports (tested on their own).
fn run(state: &mut AppState, actions: Vec<Action>) -> Vec<Command> {
    let mut out = Vec::new();
    for a in actions {
        out.extend(update(state, a, t(1)));
    }
    out.retain(|c| !matches!(c, Command::Visible(_)));
    out
}

#[test]
fn the_pollers_are_told_which_rows_are_on_screen() {
    let mut s = loaded();
    // A screen of 8 rows: 3 rows of table body (8 less 5 rows of chrome).
    let cmds = update(&mut s, Action::Resize(120, 8), t(1));
    let shown: Vec<String> = visible(&s).into_iter().take(3).collect();
    assert_eq!(cmds, vec![Command::Visible(shown.clone())]);
    // Nothing changes on screen: nothing is sent.
    assert!(update(&mut s, Action::Resize(120, 8), t(1)).is_empty());
    // The detail shows no rows: the pollers hear it.
    let cmds = update(&mut s, Action::Open, t(1));
    assert!(cmds.contains(&Command::Visible(Vec::new())), "{cmds:?}");
}

fn visible(state: &AppState) -> Vec<String> {
    state
        .visible_endpoints()
        .iter()
        .map(|e| e.name.clone())
        .collect()
}

#[test]
fn navigation_moves_and_clamps() {
    let cases: Vec<(&str, Vec<Action>, &str)> = vec![
        ("starts on first row", vec![], "alpha-fraud"),
        ("j moves down", vec![key('j')], "bravo-churn"),
        (
            "down arrow moves down",
            vec![code(KeyCode::Down), code(KeyCode::Down)],
            "charlie-gpu",
        ),
        ("k at top stays", vec![key('k')], "alpha-fraud"),
        (
            "past the end clamps",
            vec![key('j'), key('j'), key('j'), key('j'), key('j')],
            "delta-canary",
        ),
        ("G goes to last", vec![key('G')], "delta-canary"),
        ("g goes to first", vec![key('G'), key('g')], "alpha-fraud"),
        (
            "page down clamps",
            vec![code(KeyCode::PageDown)],
            "delta-canary",
        ),
        (
            "up arrow after down",
            vec![key('j'), key('j'), code(KeyCode::Up)],
            "bravo-churn",
        ),
    ];
    for (name, actions, want) in cases {
        let mut s = loaded();
        run(&mut s, actions);
        assert_eq!(
            s.selected_endpoint().map(|e| e.name.as_str()),
            Some(want),
            "{name}"
        );
    }
}

#[test]
fn enter_opens_detail_and_esc_goes_back() {
    let mut s = loaded();
    let cmds = run(&mut s, vec![key('j'), code(KeyCode::Enter)]);
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: "bravo-churn".into()
        }
    );
    assert_eq!(cmds[0], Command::Watch(Some("bravo-churn".into())));
    // …and its CloudTrail events are paged in for the chart markers.
    assert!(
        matches!(&cmds[1..], [Command::FetchEvents(r)] if r.resource.as_deref() == Some("bravo-churn")),
        "{cmds:?}"
    );
    // j/k move across variants in the detail view.
    run(&mut s, vec![key('j'), key('j')]);
    assert_eq!(s.detail_selected, 1);
    let cmds = run(&mut s, vec![code(KeyCode::Esc)]);
    assert_eq!(s.view, View::Endpoints);
    assert_eq!(cmds, vec![Command::Watch(None)]);
    assert_eq!(
        s.selected_endpoint().unwrap().name,
        "bravo-churn",
        "selection kept"
    );
    // q in the detail view is Back, not quit.
    run(&mut s, vec![code(KeyCode::Enter), key('q')]);
    assert_eq!(s.view, View::Endpoints);
    assert!(!s.should_quit);
}

#[test]
fn filter_narrows_rows_live_and_esc_clears() {
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("by name", "churn", vec!["bravo-churn"]),
        ("case-insensitive", "GPU", vec!["charlie-gpu"]),
        ("by status", "failed", vec!["charlie-gpu"]),
        ("by variant", "canary", vec!["delta-canary"]),
        (
            "by instance type",
            "ml.m5",
            vec!["alpha-fraud", "bravo-churn"],
        ),
        ("no match", "zzz", vec![]),
    ];
    for (name, text, want) in cases {
        let mut s = loaded();
        let mut actions = vec![key('/')];
        actions.extend(text.chars().map(key));
        actions.push(code(KeyCode::Enter));
        run(&mut s, actions);
        assert_eq!(visible(&s), want, "{name}");
        assert_eq!(s.input, None, "{name}: input closed");
    }
    // Esc in the view clears an applied filter.
    let mut s = loaded();
    run(
        &mut s,
        vec![key('/'), key('g'), key('p'), key('u'), code(KeyCode::Enter)],
    );
    assert_eq!(
        s.selected_endpoint().unwrap().name,
        "charlie-gpu",
        "selection follows the filter"
    );
    run(&mut s, vec![code(KeyCode::Esc)]);
    assert_eq!(visible(&s).len(), 4);
    // Esc while typing abandons the edit; keys typed go to the line, not the keymap.
    let mut s = loaded();
    run(&mut s, vec![key('/'), key('q'), key('j')]);
    assert!(!s.should_quit);
    assert_eq!(
        s.input.as_ref().map(|i| (i.kind, i.text.as_str())),
        Some((InputKind::Filter, "qj"))
    );
    run(&mut s, vec![code(KeyCode::Esc)]);
    assert_eq!(s.input, None);
    assert_eq!(s.filter, "");
}

#[test]
fn sort_orders_rows_by_column() {
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            ":sort name",
            vec!["alpha-fraud", "bravo-churn", "charlie-gpu", "delta-canary"],
        ),
        (
            ":sort name desc",
            vec!["delta-canary", "charlie-gpu", "bravo-churn", "alpha-fraud"],
        ),
        (
            ":sort invocations",
            vec!["delta-canary", "alpha-fraud", "bravo-churn", "charlie-gpu"],
        ),
        (
            ":sort latency",
            vec!["charlie-gpu", "bravo-churn", "alpha-fraud", "delta-canary"],
        ),
        (
            ":sort 5xx",
            vec!["charlie-gpu", "bravo-churn", "alpha-fraud", "delta-canary"],
        ),
        (
            ":sort cpu",
            vec!["alpha-fraud", "delta-canary", "bravo-churn", "charlie-gpu"],
        ),
        (
            ":sort status",
            vec!["charlie-gpu", "bravo-churn", "alpha-fraud", "delta-canary"],
        ),
        (
            ":sort instances",
            vec!["delta-canary", "charlie-gpu", "alpha-fraud", "bravo-churn"],
        ),
        (
            ":sort changed",
            vec!["bravo-churn", "delta-canary", "charlie-gpu", "alpha-fraud"],
        ),
        (
            ":sort cpu asc",
            vec!["charlie-gpu", "bravo-churn", "delta-canary", "alpha-fraud"],
        ),
    ];
    for (cmd, want) in cases {
        let mut s = loaded();
        run(&mut s, vec![Action::RunCommand(cmd.into())]);
        assert_eq!(visible(&s), want, "{cmd}");
    }
    // The sort key cycles columns; O reverses.
    let mut s = loaded();
    run(&mut s, vec![key('o')]);
    assert_eq!(s.sort.column, Column::Status);
    run(&mut s, vec![key('O')]);
    assert!(s.sort.descending);
    // A bad column leaves the sort alone and says why.
    let mut s = loaded();
    run(&mut s, vec![Action::RunCommand(":sort bogus".into())]);
    assert_eq!(s.sort.column, Column::Name);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("unknown column `bogus`")
    );
}

#[test]
fn selection_survives_resort() {
    let mut s = loaded();
    run(&mut s, vec![key('j'), key('j')]);
    assert_eq!(s.selected_endpoint().unwrap().name, "charlie-gpu");
    run(&mut s, vec![Action::RunCommand(":sort cpu".into())]);
    assert_eq!(s.selected_endpoint().unwrap().name, "charlie-gpu");
    assert_eq!(s.selected_index(), 3);
}

#[test]
fn help_toggles_and_captures_keys() {
    let mut s = loaded();
    run(&mut s, vec![key('?')]);
    assert_eq!(s.overlay, Overlay::Help { scroll: 0 });
    // q closes help rather than quitting; j scrolls help rather than moving the selection.
    run(&mut s, vec![key('j')]);
    assert_eq!(s.overlay, Overlay::Help { scroll: 1 });
    assert_eq!(s.selected_endpoint().unwrap().name, "alpha-fraud");
    run(&mut s, vec![key('q')]);
    assert_eq!(s.overlay, Overlay::None);
    assert!(!s.should_quit);
    run(&mut s, vec![key('?'), code(KeyCode::Esc)]);
    assert_eq!(s.overlay, Overlay::None);
    run(&mut s, vec![Action::RunCommand(":help".into())]);
    assert!(matches!(s.overlay, Overlay::Help { .. }));
}

#[test]
fn quitting() {
    let cases: Vec<(&str, Vec<Action>, bool)> = vec![
        ("q on the endpoints view quits", vec![key('q')], true),
        (
            "ctrl-c quits from the detail view",
            vec![code(KeyCode::Enter), ctrl('c')],
            true,
        ),
        ("ctrl-c quits from help", vec![key('?'), ctrl('c')], true),
        (
            "ctrl-c quits while typing a filter",
            vec![key('/'), ctrl('c')],
            true,
        ),
        (":q quits", vec![Action::RunCommand(":q".into())], true),
        (
            "q in detail goes back",
            vec![code(KeyCode::Enter), key('q')],
            false,
        ),
        ("plain c does nothing", vec![key('c')], false),
    ];
    for (name, actions, want) in cases {
        let mut s = loaded();
        let cmds = run(&mut s, actions);
        assert_eq!(s.should_quit, want, "{name}");
        assert_eq!(cmds.contains(&Command::Quit), want, "{name}");
    }
}

#[test]
fn command_line_opens_endpoints_and_reports_errors() {
    let mut s = loaded();
    run(
        &mut s,
        [':', 'e', 'p', ' ', 'c', 'h', 'u', 'r', 'n']
            .into_iter()
            .map(key)
            .chain([code(KeyCode::Enter)])
            .collect(),
    );
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: "bravo-churn".into()
        },
        "unique substring opens it"
    );
    run(&mut s, vec![Action::RunCommand(":ep".into())]);
    assert_eq!(s.view, View::Endpoints);
    run(&mut s, vec![Action::RunCommand(":ep nosuch".into())]);
    assert_eq!(s.view, View::Endpoints);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("no endpoint named `nosuch`")
    );
    run(&mut s, vec![Action::RunCommand(":ep a".into())]);
    assert!(
        s.notice.as_ref().unwrap().text.contains("matches"),
        "ambiguous name is reported"
    );
    run(&mut s, vec![Action::RunCommand(":launch".into())]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("unknown command :launch")
    );
    assert!(!s.should_quit);
}

#[test]
fn refresh_asks_every_poller() {
    let mut s = loaded();
    assert_eq!(run(&mut s, vec![key('r')]), vec![Command::Refresh(None)]);
    assert_eq!(
        run(&mut s, vec![Action::RunCommand(":refresh".into())]),
        vec![Command::Refresh(None)]
    );
}

#[test]
fn resize_records_size_and_redraws() {
    let mut s = loaded();
    run(&mut s, vec![Action::Resize(200, 50)]);
    assert_eq!(s.size, (200, 50));
    assert!(s.dirty);
    // Page size follows the height.
    let mut s = loaded();
    run(&mut s, vec![Action::Resize(80, 7), code(KeyCode::PageDown)]);
    assert_eq!(s.selected_endpoint().unwrap().name, "charlie-gpu");
}

#[test]
fn notices_last_six_real_seconds_at_any_demo_speed() {
    for speed in [1.0, 30.0] {
        let mut s = loaded();
        s.clock_speed = speed;
        run(&mut s, vec![Action::RunCommand(":nosuch".into())]);
        let shown = s.notice.as_ref().unwrap().at;
        let sim = |real: f64| shown + Duration::milliseconds((real * speed * 1000.0) as i64);
        update(&mut s, Action::Tick, sim(5.0));
        assert!(s.notice.is_some(), "speed {speed}: gone before 6 s");
        update(&mut s, Action::Tick, sim(6.1));
        assert!(s.notice.is_none(), "speed {speed}: still shown after 6 s");
    }
}

#[test]
fn ticks_redraw_only_when_the_shown_second_changes() {
    let mut s = loaded();
    update(&mut s, Action::Tick, t(0));
    assert!(!s.dirty, "same second: nothing changed");
    update(&mut s, Action::Tick, t(0) + Duration::milliseconds(400));
    assert!(!s.dirty, "still the same second");
    update(&mut s, Action::Tick, t(1));
    assert!(s.dirty, "ages shown on screen moved on");
    // A poll starting for a panel that already has data shows nothing new.
    s.dirty = false;
    update(&mut s, Action::PollStarted(Panel::Metrics), t(1));
    assert!(!s.dirty, "background poll caused a redraw");
    let mut fresh = AppState::new(SessionInfo::default(), t(0));
    fresh.dirty = false;
    update(&mut fresh, Action::PollStarted(Panel::Endpoints), t(0));
    assert!(fresh.dirty, "first load shows loading…");
    // Unbound keys change nothing and cause no redraw.
    s.dirty = false;
    update(&mut s, key('z'), t(1));
    assert!(!s.dirty);
}

#[test]
fn failed_poll_keeps_data_and_marks_only_that_panel() {
    let mut s = loaded();
    let err = BackendError::Throttled {
        operation: Operation::GetMetricData,
        message: "Rate exceeded".into(),
    };
    let action = Action::Polled(Polled {
        panel: Panel::Metrics,
        at: t(30),
        result: Err(err.clone()),
        retry_in: Some(std::time::Duration::from_secs(8)),
    });
    update(&mut s, action, t(30));
    let h = s.health(Panel::Metrics);
    assert_eq!(h.error, Some(err));
    assert_eq!(h.last_ok, Some(t(0)), "age of the data is kept");
    assert_eq!(h.retry_at, Some(t(38)));
    assert_eq!(
        s.variant_metrics("alpha-fraud", "AllTraffic")
            .unwrap()
            .invocations_per_min,
        Some(900.0)
    );
    assert_eq!(
        s.health(Panel::Endpoints).error,
        None,
        "other panels unaffected"
    );
    // Recovery clears the error.
    let (_, m) = fleet();
    update(
        &mut s,
        polled(Panel::Metrics, PanelData::Metrics(m), t(40)),
        t(40),
    );
    assert_eq!(s.health(Panel::Metrics).error, None);
    assert_eq!(s.health(Panel::Metrics).last_ok, Some(t(40)));
}

#[test]
fn deleted_endpoint_leaves_its_detail_view_with_a_message() {
    let mut s = loaded();
    run(&mut s, vec![key('j'), code(KeyCode::Enter)]);
    let (mut eps, _) = fleet();
    eps.retain(|e| e.name != "bravo-churn");
    let data = PanelData::Endpoints(EndpointsData {
        endpoints: eps,
        failed: BTreeMap::new(),
        ..Default::default()
    });
    update(&mut s, polled(Panel::Endpoints, data, t(5)), t(5));
    assert_eq!(s.view, View::Endpoints);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("bravo-churn no longer exists")
    );
    assert!(s.selected_endpoint().is_some());
}

#[test]
fn endpoint_whose_describe_failed_keeps_its_last_description() {
    let mut s = loaded();
    let (mut eps, _) = fleet();
    eps.retain(|e| e.name != "alpha-fraud");
    let err = BackendError::Throttled {
        operation: Operation::DescribeEndpoint,
        message: "Rate exceeded".into(),
    };
    let failed = BTreeMap::from([("alpha-fraud".to_string(), err)]);
    update(
        &mut s,
        polled(
            Panel::Endpoints,
            PanelData::Endpoints(EndpointsData {
                endpoints: eps,
                failed,
                ..Default::default()
            }),
            t(5),
        ),
        t(5),
    );
    assert_eq!(visible(&s).len(), 4);
    assert!(s.endpoint_errors.contains_key("alpha-fraud"));
}

#[test]
fn y_copies_the_focused_endpoint_name_and_shift_y_its_arn() {
    let mut s = loaded();
    let cmds = run(&mut s, vec![key('j'), key('y')]);
    assert_eq!(cmds, vec![Command::Copy("bravo-churn".into())]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("copied the name bravo-churn")
    );
    run(&mut s, vec![code(KeyCode::Enter)]);
    let cmds = run(&mut s, vec![key('Y')]);
    assert_eq!(
        cmds,
        vec![Command::Copy(
            "arn:aws:sagemaker:us-east-1:111122223333:endpoint/bravo-churn".into()
        )]
    );
    // Nothing to copy when the filter hides every row.
    let mut s = loaded();
    run(&mut s, vec![Action::RunCommand(":filter zzz".into())]);
    assert_eq!(run(&mut s, vec![key('y')]), vec![]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("no endpoint selected")
    );
}

#[test]
fn theme_command_asks_the_runtime_and_reports_back() {
    let mut s = loaded();
    assert_eq!(
        run(&mut s, vec![Action::RunCommand(":theme light".into())]),
        vec![Command::SetTheme("light".into())]
    );
    run(&mut s, vec![Action::RunCommand(":theme".into())]);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains(":theme takes one theme name")
    );
    run(
        &mut s,
        vec![Action::Notify(
            sagetop::app::NoticeLevel::Error,
            "no theme `x`".into(),
        )],
    );
    assert_eq!(s.notice.as_ref().unwrap().text, "no theme `x`");
}

#[test]
fn profile_and_region_switches_ask_the_runtime_unless_unsafe() {
    // The simulated account has nothing to switch to.
    let mut demo = loaded();
    assert_eq!(
        run(
            &mut demo,
            vec![Action::RunCommand(":region eu-west-1".into())]
        ),
        vec![]
    );
    assert!(
        demo.notice
            .as_ref()
            .unwrap()
            .text
            .contains("run without --demo")
    );

    let aws = SessionInfo {
        profile: Some("ops".into()),
        region: Some("us-east-1".into()),
        ..SessionInfo::default()
    };
    let mut s = AppState::new(aws.clone(), t(0));
    let cmds = run(&mut s, vec![Action::RunCommand(":region eu-west-1".into())]);
    assert_eq!(
        cmds,
        vec![Command::Reconnect {
            profile: None,
            region: Some("eu-west-1".into())
        }]
    );
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("connecting: ops in eu-west-1")
    );
    let cmds = run(&mut s, vec![Action::RunCommand(":profile prod".into())]);
    assert_eq!(
        cmds,
        vec![Command::Reconnect {
            profile: Some("prod".into()),
            region: None
        }]
    );

    for (line, needle) in [
        (":region Europe", "not a region name"),
        (":region eu-west", "not a region name"),
        (":profile", ":profile takes one AWS profile name"),
    ] {
        assert_eq!(
            run(&mut s, vec![Action::RunCommand(line.into())]),
            vec![],
            "{line}"
        );
        assert!(s.notice.as_ref().unwrap().text.contains(needle), "{line}");
    }
}

#[test]
fn a_new_connection_starts_fresh_but_keeps_the_persons_settings() {
    let aws = SessionInfo {
        profile: Some("ro".into()),
        region: Some("us-east-1".into()),
        read_only: true,
        ..SessionInfo::default()
    };
    let mut s = AppState::new(aws, t(0));
    let (eps, _) = fleet();
    update(
        &mut s,
        polled(
            Panel::Endpoints,
            PanelData::Endpoints(EndpointsData {
                endpoints: eps,
                failed: BTreeMap::new(),
                ..Default::default()
            }),
            t(0),
        ),
        t(0),
    );
    // As start-up does: the configured keymap is kept; the read-only one is in use.
    s.keymap_configured = Some(sagetop::app::Keymap::default());
    let has_w = |s: &AppState| {
        s.keymap
            .bindings
            .iter()
            .any(|b| b.keys.contains(&sagetop::app::keymap::KeySpec::char('w')))
    };
    assert!(!has_w(&s), "read-only session has no write keys");
    run(
        &mut s,
        vec![
            Action::Resize(120, 40),
            Action::RunCommand(":sort cpu".into()),
            key('j'),
        ],
    );

    let session = SessionInfo {
        profile: Some("ops".into()),
        region: Some("eu-west-1".into()),
        ..SessionInfo::default()
    };
    let r = sagetop::app::Reconnected {
        session: session.clone(),
        production: true,
    };
    run(&mut s, vec![Action::Reconnected(Ok(r))]);
    assert_eq!(s.session, session);
    assert!(
        s.endpoints.is_empty(),
        "the old region's endpoints are gone"
    );
    assert_eq!(s.health(Panel::Endpoints).last_ok, None);
    assert_eq!(s.size, (120, 40));
    assert_eq!(s.sort.column, Column::Cpu);
    assert!(s.ops.production);
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("connected: ops in eu-west-1")
    );
    assert!(has_w(&s), "a writable profile gets the write keys back");

    // A failed switch says why and keeps everything.
    run(
        &mut s,
        vec![Action::Reconnected(Err(
            "the config profile (nope) could not be found".into(),
        ))],
    );
    assert_eq!(s.session.region.as_deref(), Some("eu-west-1"));
    assert!(
        s.notice
            .as_ref()
            .unwrap()
            .text
            .contains("could not be found")
    );
}
