//! The account-wide views (quotas, CloudTrail events, `:api`) with several accounts and
//! regions open: each context's quotas, events and call accounting are kept apart, and the
//! views show the contexts `:ctx` selects. A context's events are keyed like its endpoints
//! (`ID@LABEL`, resources `NAME@LABEL`), so they merge by time without colliding and an
//! endpoint's events are its own context's; `@LABEL` alone is the lookup of a context's
//! account-wide events.

use super::action::{Command, Panel};
use super::contexts::Ctx;
use super::state::{AppState, PanelHealth};
use super::trail_log::{EventsPageResult, LookupScope};
use crate::boundary::api_stats::ApiStats;
use crate::boundary::context::{context_of, plain, qualify};
use crate::domain::{Timestamp, TrailEvent};
use crate::poll::metric_budget::BudgetReport;

/// The lookup of context `label`'s account-wide events (`@LABEL`: no endpoint, one context).
pub fn account_scope(label: &str) -> String {
    qualify("", label)
}

/// The context a lookup belongs to (`None` with a single context open).
pub fn scope_context(scope: &LookupScope) -> Option<&str> {
    scope.as_deref().and_then(context_of)
}

/// Whether a lookup asks for a whole context's events (not one endpoint's).
pub fn is_account_scope(scope: &LookupScope) -> bool {
    scope.as_deref().is_none_or(|s| plain(s).is_empty())
}

/// Whether lookup `scope` returns `ev`.
pub fn in_scope(ev: &TrailEvent, scope: &LookupScope) -> bool {
    match scope.as_deref() {
        None => true,
        Some(s) if plain(s).is_empty() => context_of(&ev.id) == context_of(s),
        Some(endpoint) => ev.touches(endpoint),
    }
}

/// Whether `ev` was read in the same context as lookup `scope` (every event, with one).
pub fn same_context(ev: &TrailEvent, scope: &LookupScope) -> bool {
    match scope_context(scope) {
        None => true,
        Some(l) => context_of(&ev.id) == Some(l),
    }
}

/// Keys context `label`'s events as its endpoints are keyed: the id and every resource
/// name get `@LABEL` (so two accounts' events never collide and `touches(NAME@LABEL)`
/// finds an endpoint's own). Keying twice changes nothing.
pub fn key_events(events: &mut [TrailEvent], label: &str) {
    for e in events {
        e.id = qualify(plain(&e.id), label);
        for r in &mut e.resources {
            *r = qualify(plain(r), label);
        }
    }
}

/// A page of context `label`'s events: keyed, and an account-wide lookup's answer put
/// back under the context's own lookup (`@LABEL`).
pub fn key_page(page: &mut EventsPageResult, label: &str) {
    if page.resource.is_none() {
        page.resource = Some(account_scope(label));
    }
    if let Ok(p) = &mut page.result {
        key_events(&mut p.events, label);
    }
}

/// A context's poll of its newest events: its rows replace only its own.
pub fn on_events(
    state: &mut AppState,
    label: &str,
    mut events: Vec<TrailEvent>,
    at: Timestamp,
) -> Vec<Command> {
    key_events(&mut events, label);
    state.events.retain(|e| context_of(&e.id) != Some(label));
    state.trail.merge(&events);
    state.events.extend(events);
    state
        .events
        .sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.id.cmp(&a.id)));
    super::trail_log::recovered(state, at, Some(label))
}

/// The contexts the account-wide views show: the one `:ctx` selects, else every one.
pub fn shown(state: &AppState) -> Vec<&Ctx> {
    let c = &state.contexts;
    c.list
        .iter()
        .filter(|x| c.filter.as_deref().is_none_or(|f| f == x.label))
        .collect()
}

/// What a view's title says of the contexts shown: `None` with one context open; the label
/// of the one shown; up to three labels; else "N contexts".
pub fn title_contexts(state: &AppState) -> Option<String> {
    if !state.contexts.multi() {
        return None;
    }
    let shown = shown(state);
    Some(match shown.as_slice() {
        [one] => one.label.clone(),
        few if few.len() <= 3 => few
            .iter()
            .map(|c| c.label.as_str())
            .collect::<Vec<_>>()
            .join(" + "),
        many => format!("{} contexts", many.len()),
    })
}

/// The health of `panel` as an account-wide view shows it: the selected context's when
/// `:ctx` selects one, else the session's summary.
pub fn view_health(state: &AppState, panel: Panel) -> &PanelHealth {
    match state.contexts.filter.as_deref() {
        Some(l) if state.contexts.multi() => state
            .contexts
            .get(l)
            .and_then(|c| c.panels.get(&panel))
            .unwrap_or_else(|| state.health(panel)),
        _ => state.health(panel),
    }
}

/// The `:api` figures of one context, or of all of them added up.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiTotals {
    pub calls: u64,
    pub calls_last_minute: u64,
    pub throttles: u64,
    pub errors: u64,
    pub metrics_requested_last_hour: u64,
    /// `None` until every context counted has a rate.
    pub metric_cost_usd_per_hour: Option<f64>,
    pub uptime_secs: u64,
}

impl ApiTotals {
    pub fn of(stats: &ApiStats) -> ApiTotals {
        ApiTotals {
            calls: stats.operations.iter().map(|o| o.calls).sum(),
            calls_last_minute: stats.calls_last_minute,
            throttles: stats.throttles,
            errors: stats.operations.iter().map(|o| o.errors).sum(),
            metrics_requested_last_hour: stats.metrics_requested_last_hour,
            metric_cost_usd_per_hour: stats.metric_cost_usd_per_hour,
            uptime_secs: stats.uptime_secs,
        }
    }

    /// Figures of several contexts added up (cost known once any context knows its own).
    pub fn sum<'a>(all: impl IntoIterator<Item = &'a ApiStats>) -> ApiTotals {
        let mut t = ApiTotals::default();
        for s in all {
            let one = ApiTotals::of(s);
            t.calls += one.calls;
            t.calls_last_minute += one.calls_last_minute;
            t.throttles += one.throttles;
            t.errors += one.errors;
            t.metrics_requested_last_hour += one.metrics_requested_last_hour;
            t.metric_cost_usd_per_hour =
                match (t.metric_cost_usd_per_hour, one.metric_cost_usd_per_hour) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
            t.uptime_secs = t.uptime_secs.max(one.uptime_secs);
        }
        t
    }
}

/// The metric budget `:api` compares the spend with: the one poller's, or the shown
/// contexts' budgets and plans added up (each context polls against its own budget).
pub fn budget_total(state: &AppState) -> Option<BudgetReport> {
    if !state.contexts.multi() {
        return state.metrics.budget.clone();
    }
    shown(state)
        .into_iter()
        .filter_map(|c| c.budget.as_ref())
        .fold(None, |sum: Option<BudgetReport>, b| {
            Some(match sum {
                None => b.clone(),
                Some(t) => BudgetReport {
                    budget_usd_per_hour: t.budget_usd_per_hour + b.budget_usd_per_hour,
                    planned_usd_per_hour: t.planned_usd_per_hour + b.planned_usd_per_hour,
                    charts_usd_per_hour: t.charts_usd_per_hour + b.charts_usd_per_hour,
                    every_cycle: t.every_cycle + b.every_cycle,
                    round_robin: t.round_robin + b.round_robin,
                    slowest_every: match (t.slowest_every, b.slowest_every) {
                        (Some(x), Some(y)) => Some(x.max(y)),
                        _ => None,
                    },
                },
            })
        })
}

/// A context's call accounting, read by the runtime every second while `:api` is open.
pub fn on_api_stats(state: &mut AppState, label: &str, stats: Option<ApiStats>) {
    if let Some(c) = state.contexts.list.iter_mut().find(|c| c.label == label)
        && c.api_stats != stats
    {
        c.api_stats = stats;
        state.dirty = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(id: &str, resource: &str) -> TrailEvent {
        TrailEvent {
            id: id.into(),
            time: crate::clock::fixture_epoch(),
            name: "UpdateEndpoint".into(),
            principal: "dana".into(),
            source_ip: None,
            resources: vec![resource.into()],
            error_code: None,
            error_message: None,
            read_only: false,
            raw: "{}".into(),
        }
    }

    #[test]
    fn a_contexts_events_are_keyed_once_and_found_by_its_own_endpoint_keys() {
        let mut v = vec![
            ev("e1", "fraud"),
            ev("e2", "arn:aws:sagemaker:eu-west-1:4:endpoint/fraud"),
        ];
        key_events(&mut v, "staging/eu-west-1");
        key_events(&mut v, "staging/eu-west-1");
        assert_eq!(v[0].id, "e1@staging/eu-west-1");
        assert!(v.iter().all(|e| e.touches("fraud@staging/eu-west-1")));
        assert!(v.iter().all(|e| !e.touches("fraud@prod/us-east-1")));
        let own: LookupScope = Some(account_scope("staging/eu-west-1"));
        let other: LookupScope = Some(account_scope("prod/us-east-1"));
        assert!(is_account_scope(&own) && is_account_scope(&None));
        assert!(!is_account_scope(&Some("fraud@prod/us-east-1".into())));
        assert!(in_scope(&v[0], &own) && !in_scope(&v[0], &other));
        assert!(same_context(&v[1], &Some("x@staging/eu-west-1".into())));
        assert_eq!(scope_context(&own), Some("staging/eu-west-1"));
    }
}

#[cfg(test)]
#[path = "ctx_views_tests.rs"]
mod update_tests;
