//! The account-wide views with two simulated accounts open: each context's quotas (usage
//! from its own endpoints, staleness its own), CloudTrail events merged by time with a
//! CONTEXT column and paged per context, an endpoint's events from its own account, and
//! `:api` rows per context with a total.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use sagetop::app::ctx_views::account_scope;
use sagetop::app::events_view;
use sagetop::app::quotas_view::sections;
use sagetop::app::{Action, Panel, View};
use sagetop::boundary::Operation;
use sagetop::boundary::api_stats::{ApiAccounting, AttemptOutcome};
use sagetop::boundary::context::{Unconnected, context_of, qualify};
use sagetop::clock::Clock;

use crate::contexts::{PROD, PROD_ACCOUNT, Rig, STAGING, STAGING_ACCOUNT};
use crate::harness::CHURN;

/// Data lines of the quotas table naming `account` (its ACCOUNT/REGION cell).
fn quota_rows(text: &str, account: &str) -> usize {
    text.lines()
        .filter(|l| l.contains(&format!("\"{account} ")) && l.contains('%'))
        .count()
}

#[tokio::test]
async fn quotas_of_each_context_count_its_own_endpoints_and_show_together() {
    let mut rig = Rig::new(false).await;
    rig.command(":quotas").await;
    assert_eq!(rig.state.view, View::Quotas);
    let secs = sections(&rig.state);
    assert_eq!(secs.len(), 2);
    for s in &secs {
        let label = s.context.unwrap().label.clone();
        // Usage of each instance type is that context's endpoints' only.
        let mine: Vec<_> = rig
            .state
            .endpoints
            .iter()
            .filter(|e| context_of(&e.name) == Some(label.as_str()))
            .cloned()
            .collect();
        let usage = sagetop::app::figures::instance_usage(&mine);
        assert!(!s.endpoint_rows.is_empty(), "{label} has quotas");
        for r in &s.endpoint_rows {
            assert_eq!(
                r.used,
                usage.get(&r.instance_type).copied().unwrap_or(0),
                "{label} {}",
                r.instance_type
            );
        }
        assert!(!s.context.unwrap().quotas.is_empty(), "{label} quotas kept");
    }
    let wide = rig.text(160, 45);
    let title = wide.lines().nth(1).unwrap_or_default();
    assert!(
        title.contains(&format!("{PROD} + {STAGING}")),
        "the title names the contexts shown: {title}"
    );
    for account in [PROD_ACCOUNT, STAGING_ACCOUNT] {
        assert!(quota_rows(&wide, account) >= 3, "{account} rows:\n{wide}");
    }
    assert!(wide.contains("ACCOUNT/REGION"), "{wide}");
    insta::assert_snapshot!("two_contexts_quotas_160x45", wide);
    let narrow = rig.text(80, 24);
    for account in [PROD_ACCOUNT, STAGING_ACCOUNT] {
        assert!(
            quota_rows(&narrow, account) >= 1,
            "{account} rows:\n{narrow}"
        );
    }
    assert!(
        narrow.contains("use1") && narrow.contains("euw1"),
        "{narrow}"
    );
    insta::assert_snapshot!("two_contexts_quotas_80x24", narrow);
    // `:ctx` keeps the view open on one context.
    rig.command(":ctx staging").await;
    assert_eq!(rig.state.view, View::Quotas);
    let one = rig.text(160, 45);
    assert_eq!(quota_rows(&one, PROD_ACCOUNT), 0, "{one}");
    assert!(quota_rows(&one, STAGING_ACCOUNT) >= 3, "{one}");
    let title = one.lines().nth(1).unwrap_or_default();
    assert!(title.contains(STAGING) && !title.contains(PROD), "{title}");
}

#[tokio::test]
async fn a_failing_contexts_quotas_show_stale_while_the_others_stay_fresh() {
    let mut rig = Rig::new(false).await;
    let staging_quotas = rig.state.contexts.get(STAGING).unwrap().quotas.clone();
    rig.backends[1] = Arc::new(Unconnected {
        profile: Some("staging".into()),
        message: "the SSO session token has expired".into(),
    });
    rig.clock.advance(Duration::from_secs(60));
    rig.poll().await;
    let now = rig.clock.now();
    let prod = rig.state.contexts.get(PROD).unwrap();
    let staging = rig.state.contexts.get(STAGING).unwrap();
    assert_eq!(prod.panels[&Panel::Quotas].last_ok, Some(now));
    assert!(prod.panels[&Panel::Quotas].error.is_none());
    assert!(staging.panels[&Panel::Quotas].error.is_some());
    // Its last good quotas stay.
    assert_eq!(staging.quotas, staging_quotas);
    rig.command(":quotas").await;
    let wide = rig.text(160, 45);
    let line_of = |label: &str| {
        wide.lines()
            .find(|l| l.starts_with(&format!("\" {label} ")))
            .unwrap_or_default()
            .to_string()
    };
    let (p, s) = (line_of(PROD), line_of(STAGING));
    assert!(p.contains("0s ago") && !p.contains("stale"), "{p}\n{wide}");
    assert!(
        s.contains("stale: quotas: credentials expired"),
        "{s}\n{wide}"
    );
    for account in [PROD_ACCOUNT, STAGING_ACCOUNT] {
        assert!(quota_rows(&wide, account) >= 3, "{account} rows:\n{wide}");
    }
    insta::assert_snapshot!("one_context_failing_quotas_160x45", wide);
    let narrow = rig.text(80, 24);
    assert!(narrow.contains("stale: quotas: credentials"), "{narrow}");
    assert!(quota_rows(&narrow, PROD_ACCOUNT) >= 1, "{narrow}");
    insta::assert_snapshot!("one_context_failing_quotas_80x24", narrow);
    // With `:ctx` on the fresh context, the title's freshness is its own.
    rig.command(":ctx prod").await;
    let title = rig
        .text(160, 45)
        .lines()
        .nth(1)
        .unwrap_or_default()
        .to_string();
    assert!(
        !title.contains("credentials") && title.contains("ago"),
        "{title}"
    );
}

/// The context labels of the events on screen (the CONTEXT column).
fn event_contexts(text: &str) -> (usize, usize) {
    let n = |label: &str| {
        text.lines()
            .filter(|l| l.starts_with(&format!("\"{label}")) || l.contains(&format!("│{label}")))
            .count()
    };
    (n(PROD), n(STAGING))
}

#[tokio::test]
async fn events_of_every_context_merge_by_time_and_page_per_context() {
    let mut rig = Rig::new(false).await;
    rig.poll_panels(&[Panel::Events]).await;
    let s = &rig.state;
    let of = |l: &str| {
        s.trail
            .events
            .iter()
            .filter(|e| context_of(&e.id) == Some(l))
            .count()
    };
    assert!(
        of(PROD) > 0 && of(STAGING) > 0,
        "{} / {}",
        of(PROD),
        of(STAGING)
    );
    // Every event is keyed with its context, resources too.
    assert!(s.trail.events.iter().all(|e| context_of(&e.id).is_some()));
    rig.key(KeyCode::Char('e')).await;
    assert_eq!(rig.state.view, View::Events);
    // The polled pages fill the screen; `m` asks each context for its next older page,
    // each with its own lookup and tokens.
    rig.key(KeyCode::Char('m')).await;
    for _ in 0..10 {
        rig.settle().await;
    }
    for label in [PROD, STAGING] {
        let c = rig
            .state
            .trail
            .cursor(&Some(account_scope(label)))
            .unwrap_or_else(|| panic!("{label} has its own cursor"));
        assert!(c.pages >= 1 && c.error.is_none(), "{label}: {c:?}");
    }
    assert!(
        rig.state.trail.cursor(&None).is_none(),
        "no lookup without a context"
    );
    let rows = events_view::rows(&rig.state);
    assert!(
        rows.windows(2).all(|w| w[0].time >= w[1].time),
        "newest first"
    );
    let wide = rig.text(160, 45);
    let (p, st) = event_contexts(&wide);
    assert!(p > 0 && st > 0, "both contexts' events: {p} / {st}\n{wide}");
    assert!(wide.contains("CONTEXT"), "{wide}");
    let title = wide.lines().nth(1).unwrap_or_default();
    assert!(title.contains(&format!("{PROD} + {STAGING}")), "{title}");
    assert!(
        !wide.contains(&format!("{CHURN}@")),
        "keys stay off screen:\n{wide}"
    );
    insta::assert_snapshot!("two_contexts_events_160x45", wide);
    let narrow = rig.text(80, 24);
    assert!(narrow.contains("CONTEXT"), "{narrow}");
    assert!(
        narrow.contains("prod/use1") || narrow.contains(PROD),
        "{narrow}"
    );
    insta::assert_snapshot!("two_contexts_events_80x24", narrow);
    // `:ctx` narrows the events to one context and drops the CONTEXT column.
    rig.command(":ctx staging").await;
    assert_eq!(rig.state.view, View::Events);
    assert!(
        events_view::rows(&rig.state)
            .iter()
            .all(|e| context_of(&e.id) == Some(STAGING))
    );
    let one = rig.text(160, 45);
    assert!(!one.contains("CONTEXT"), "{one}");
    let title = one.lines().nth(1).unwrap_or_default();
    assert!(title.contains(STAGING) && !title.contains(PROD), "{title}");
}

#[tokio::test]
async fn an_endpoints_events_are_its_own_contexts() {
    let mut rig = Rig::new(false).await;
    rig.poll_panels(&[Panel::Events]).await;
    let key = qualify(CHURN, STAGING);
    rig.state.selected = Some(key.clone());
    rig.key(KeyCode::Enter).await;
    rig.key(KeyCode::Char('e')).await;
    assert_eq!(rig.state.view, View::Events);
    for _ in 0..20 {
        rig.settle().await;
    }
    let scope = Some(key.clone());
    let c = rig
        .state
        .trail
        .cursor(&scope)
        .expect("the endpoint's lookup");
    assert!(c.pages >= 1 && c.error.is_none(), "{c:?}");
    let rows = events_view::rows(&rig.state);
    assert!(!rows.is_empty(), "churn-predictor has events in staging");
    assert!(
        rows.iter()
            .all(|e| context_of(&e.id) == Some(STAGING) && e.touches(&key)),
        "{:?}",
        rows.iter().map(|e| &e.id).collect::<Vec<_>>()
    );
    // `:events ep=NAME` names one endpoint only within one context: with both shown it
    // narrows both accounts' events to that name; with `:ctx` on one, it is that one's.
    rig.command(":events ep=churn-predictor").await;
    let rows = events_view::rows(&rig.state);
    let in_ctx = |l: &str| rows.iter().filter(|e| context_of(&e.id) == Some(l)).count();
    assert!(in_ctx(PROD) > 0 && in_ctx(STAGING) > 0, "{rows:?}");
    assert!(
        rows.iter()
            .all(|e| e.resources.iter().any(|r| r.contains(CHURN)))
    );
    rig.command(":ctx staging").await;
    rig.command(":events ep=churn-predictor").await;
    assert_eq!(
        rig.state.events_view.criteria.endpoint.as_deref(),
        Some(key.as_str())
    );
}

fn stats(calls: &[(Operation, u32, u32)]) -> sagetop::boundary::ApiStats {
    let a = ApiAccounting::default();
    for &(op, ok, throttled) in calls {
        for _ in 0..ok {
            a.attempt(op, AttemptOutcome::Ok);
        }
        for _ in 0..throttled {
            a.attempt(op, AttemptOutcome::Throttled);
        }
    }
    a.snapshot()
}

#[tokio::test]
async fn api_shows_each_contexts_calls_and_their_total() {
    let mut rig = Rig::new(false).await;
    rig.command(":api").await;
    assert_eq!(rig.state.view, View::Api);
    // What the runtime reads every second: one accounting per context, kept apart.
    let read = rig.fx.api_stats();
    let labels: Vec<String> = read
        .iter()
        .map(|a| match a {
            Action::Ctx { label, .. } => label.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(labels, [PROD, STAGING]);
    let prod = stats(&[
        (Operation::ListEndpoints, 7, 0),
        (Operation::DescribeEndpoint, 30, 2),
    ]);
    let staging = stats(&[
        (Operation::ListEndpoints, 4, 1),
        (Operation::ListServiceQuotas, 3, 0),
    ]);
    for (label, s) in [(PROD, prod), (STAGING, staging)] {
        rig.apply(Action::Ctx {
            label: label.into(),
            action: Box::new(Action::ApiStats(Some(s))),
        })
        .await;
    }
    let wide = rig.text(160, 45);
    // The four counts after `label` on its row: calls, /min, throttled, errors.
    let row = |label: &str| {
        let line = wide.lines().find(|l| l.contains(label)).unwrap_or_default();
        let after = &line[line.find(label).unwrap_or(0) + label.len()..];
        after
            .split_whitespace()
            .take(4)
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Heading rows per context: calls, /min, throttled, errors.
    assert_eq!(row(&format!("│{PROD}")), "39 39 2 2", "{wide}");
    assert_eq!(row(&format!("│{STAGING}")), "8 8 1 1", "{wide}");
    assert_eq!(row("│TOTAL (2 contexts)"), "47 47 3 3", "{wide}");
    assert_eq!(
        wide.lines()
            .filter(|l| l.contains("│  ListEndpoints"))
            .count(),
        2,
        "ListEndpoints once per context:\n{wide}"
    );
    assert!(
        wide.lines()
            .nth(1)
            .unwrap_or_default()
            .contains(&format!("{PROD} + {STAGING}"))
    );
    insta::assert_snapshot!("two_contexts_api_160x45", wide);
    let narrow = rig.text(80, 24);
    for want in [
        PROD,
        STAGING,
        "TOTAL (2 contexts)",
        "DescribeEndpoint",
        "ListServiceQuotas",
    ] {
        assert!(narrow.contains(want), "{want}:\n{narrow}");
    }
    insta::assert_snapshot!("two_contexts_api_80x24", narrow);
    rig.command(":ctx staging").await;
    assert_eq!(rig.state.view, View::Api);
    let one = rig.text(160, 45);
    assert!(
        !one.contains(&format!("│{PROD}")) && !one.contains("TOTAL"),
        "{one}"
    );
}
