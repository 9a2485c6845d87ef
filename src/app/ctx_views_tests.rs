//! Table tests of `update` with two contexts open: what each context's quota, events and
//! accounting reports do to the state, and what the events view asks each context for.

use super::*;
use crate::app::action::{Action, PanelData, Polled};
use crate::app::contexts::Ctx;
use crate::app::state::{SessionInfo, View};
use crate::app::update;
use crate::boundary::{BackendError, Operation};
use crate::clock::fixture_epoch;
use crate::domain::{EventPage, ServiceQuota};

const A: &str = "prod/us-east-1";
const B: &str = "staging/eu-west-1";

fn two() -> AppState {
    let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
    s.contexts.list = vec![
        Ctx::new(A, Some("prod".into()), "us-east-1"),
        Ctx::new(B, Some("staging".into()), "eu-west-1"),
    ];
    s
}

fn quota(value: f64) -> ServiceQuota {
    ServiceQuota {
        name: "ml.m5.large for endpoint usage".into(),
        code: "L-1".into(),
        value,
        unit: "None".into(),
        adjustable: true,
    }
}

fn ev(id: &str, mins_ago: i64) -> TrailEvent {
    TrailEvent {
        id: id.into(),
        time: fixture_epoch() - chrono::Duration::minutes(mins_ago),
        name: "UpdateEndpoint".into(),
        principal: "dana".into(),
        source_ip: None,
        resources: vec!["fraud".into()],
        error_code: None,
        error_message: None,
        read_only: false,
        raw: "{}".into(),
    }
}

fn denied() -> BackendError {
    BackendError::AccessDenied {
        operation: Operation::ListServiceQuotas,
        message: "not authorized".into(),
    }
}

fn polled(label: &str, result: Result<PanelData, BackendError>) -> Action {
    let panel = match &result {
        Ok(d) => d.panel(),
        Err(_) => Panel::Quotas,
    };
    Action::Ctx {
        label: label.into(),
        action: Box::new(Action::Polled(Polled {
            panel,
            at: fixture_epoch(),
            result,
            retry_in: None,
        })),
    }
}

fn quotas_of<'a>(s: &'a AppState, label: &str) -> &'a [ServiceQuota] {
    &s.contexts.get(label).unwrap().quotas
}

fn ids(s: &AppState) -> Vec<&str> {
    s.trail.events.iter().map(|e| e.id.as_str()).collect()
}

#[test]
fn each_contexts_reports_change_its_own_quotas_events_and_accounting() {
    type Check = fn(&AppState) -> Result<(), String>;
    let cases: Vec<(&str, Vec<Action>, Check)> = vec![
        (
            "quotas are kept per context",
            vec![
                polled(A, Ok(PanelData::Quotas(vec![quota(20.0)]))),
                polled(B, Ok(PanelData::Quotas(vec![quota(4.0)]))),
            ],
            |s| {
                let (a, b) = (quotas_of(s, A), quotas_of(s, B));
                (a[0].value == 20.0 && b[0].value == 4.0)
                    .then_some(())
                    .ok_or(format!("{a:?} / {b:?}"))
            },
        ),
        (
            "a failing context keeps its last quotas and only it is failing",
            vec![
                polled(A, Ok(PanelData::Quotas(vec![quota(20.0)]))),
                polled(B, Ok(PanelData::Quotas(vec![quota(4.0)]))),
                polled(B, Err(denied())),
            ],
            |s| {
                let h = |l: &str| s.contexts.get(l).unwrap().panels[&Panel::Quotas].clone();
                let fine = quotas_of(s, B).len() == 1
                    && h(B).error.is_some()
                    && h(A).error.is_none()
                    && h(A).last_ok.is_some();
                fine.then_some(()).ok_or(format!("{:?}", s.contexts))
            },
        ),
        (
            "the same event id in two accounts is two events, keyed by context",
            vec![
                polled(A, Ok(PanelData::Events(vec![ev("e1", 5)]))),
                polled(B, Ok(PanelData::Events(vec![ev("e1", 3)]))),
            ],
            |s| {
                let want = [format!("e1@{B}"), format!("e1@{A}")];
                (ids(s) == want.iter().map(String::as_str).collect::<Vec<_>>())
                    .then_some(())
                    .ok_or(format!("{:?}", ids(s)))
            },
        ),
        (
            "a context's events poll replaces only its own polled page",
            vec![
                polled(A, Ok(PanelData::Events(vec![ev("a1", 5)]))),
                polled(B, Ok(PanelData::Events(vec![ev("b1", 3)]))),
                polled(B, Ok(PanelData::Events(vec![ev("b2", 1)]))),
            ],
            |s| {
                let polled: Vec<&str> = s.events.iter().map(|e| e.id.as_str()).collect();
                let want = [format!("b2@{B}"), format!("a1@{A}")];
                (polled == want.iter().map(String::as_str).collect::<Vec<_>>())
                    .then_some(())
                    .ok_or(format!("{polled:?}"))
            },
        ),
        (
            "an account-wide page of a context comes back under its own lookup",
            vec![
                Action::OpenEvents,
                Action::Ctx {
                    label: B.into(),
                    action: Box::new(Action::EventsPage(EventsPageResult {
                        resource: None,
                        at: fixture_epoch(),
                        result: Ok(EventPage {
                            events: vec![ev("old", 90)],
                            next_token: Some("t-b".into()),
                            reached: None,
                        }),
                    })),
                },
            ],
            |s| {
                let c = s.trail.cursor(&Some(account_scope(B)));
                let fine = c.is_some_and(|c| c.next_token.as_deref() == Some("t-b"))
                    && s.trail.cursor(&None).is_none()
                    && ids(s) == [format!("old@{B}").as_str()];
                fine.then_some(()).ok_or(format!("{:?}", s.trail.cursors))
            },
        ),
        (
            "call accounting is kept per context",
            vec![Action::Ctx {
                label: B.into(),
                action: Box::new(Action::ApiStats(Some({
                    let a = crate::boundary::ApiAccounting::default();
                    a.call(Operation::ListEndpoints);
                    a.snapshot()
                }))),
            }],
            |s| {
                let fine = s.contexts.get(B).unwrap().api_stats.is_some()
                    && s.contexts.get(A).unwrap().api_stats.is_none()
                    && s.api_stats.is_none();
                fine.then_some(()).ok_or("accounting misplaced".into())
            },
        ),
    ];
    for (name, actions, check) in cases {
        let mut s = two();
        for a in actions {
            update(&mut s, a, fixture_epoch());
        }
        if let Err(why) = check(&s) {
            panic!("{name}: {why}");
        }
    }
}

#[test]
fn the_events_view_pages_each_shown_context_with_its_own_lookup() {
    let mut s = two();
    let cmds = update(&mut s, Action::OpenEvents, fixture_epoch());
    assert_eq!(s.view, View::Events);
    let asked: Vec<Option<String>> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::FetchEvents(r) => Some(r.resource.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(asked, [Some(account_scope(A)), Some(account_scope(B))]);
    // `:ctx` keeps the view and pages only the context it selects.
    let cmds = update(
        &mut s,
        Action::RunCommand("ctx staging".into()),
        fixture_epoch(),
    );
    assert_eq!(s.view, View::Events);
    assert_eq!(
        crate::app::events_view::scopes(&s),
        [Some(account_scope(B))]
    );
    assert!(
        cmds.iter().all(|c| !matches!(c, Command::FetchEvents(_))),
        "B's page is already in flight: {cmds:?}"
    );
}

#[test]
fn the_api_views_budget_adds_up_the_shown_contexts_budgets() {
    use crate::app::action::MetricsData;
    use crate::poll::metric_budget::BudgetReport;
    use std::time::Duration;
    let mut s = two();
    let report = |every: u64| BudgetReport {
        budget_usd_per_hour: 0.5,
        planned_usd_per_hour: 0.4,
        charts_usd_per_hour: 0.0,
        every_cycle: 3,
        round_robin: 10,
        slowest_every: Some(Duration::from_secs(every)),
    };
    for (label, every) in [(A, 20), (B, 60)] {
        let m = MetricsData {
            budget: Some(report(every)),
            ..MetricsData::default()
        };
        update(
            &mut s,
            polled(label, Ok(PanelData::Metrics(m))),
            fixture_epoch(),
        );
    }
    let all = budget_total(&s).expect("both budgets");
    assert_eq!(all.budget_usd_per_hour, 1.0);
    assert!((all.planned_usd_per_hour - 0.8).abs() < 1e-9);
    assert_eq!((all.every_cycle, all.round_robin), (6, 20));
    assert_eq!(all.slowest_every, Some(Duration::from_secs(60)));
    update(
        &mut s,
        Action::RunCommand("ctx staging".into()),
        fixture_epoch(),
    );
    assert_eq!(budget_total(&s).unwrap().budget_usd_per_hour, 0.5);
}

#[test]
fn an_endpoints_chart_markers_are_its_own_contexts_writes() {
    let mut s = two();
    // The same endpoint name written to in both accounts, at different times.
    update(
        &mut s,
        polled(A, Ok(PanelData::Events(vec![ev("a1", 5)]))),
        fixture_epoch(),
    );
    update(
        &mut s,
        polled(B, Ok(PanelData::Events(vec![ev("b1", 3)]))),
        fixture_epoch(),
    );
    let start = fixture_epoch() - chrono::Duration::hours(1);
    let at = |key: &str| -> Vec<crate::domain::Timestamp> {
        crate::app::markers::markers(&s, key, start, fixture_epoch())
            .iter()
            .map(|m| m.at)
            .collect()
    };
    assert_eq!(
        at("fraud@staging/eu-west-1"),
        [fixture_epoch() - chrono::Duration::minutes(3)]
    );
    assert_eq!(
        at("fraud@prod/us-east-1"),
        [fixture_epoch() - chrono::Duration::minutes(5)]
    );
}
