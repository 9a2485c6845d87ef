//! Many accounts and regions in one view: the contexts open (`--profile a,b --region x,y`,
//! `[fleet] contexts`), each with its own panel health, read-only and production flags, and
//! the `:ctx` filter. Endpoints of a context are keyed `NAME@LABEL`
//! (`boundary::context`); a context's services report through `Action::Ctx`, and their polls
//! replace only that context's rows, so a failing context leaves the others live.

use std::collections::BTreeMap;

use super::action::{Action, Command, Panel, PanelData, Polled};
use super::state::{AppState, PanelHealth};
use crate::boundary::context::{context_of, plain};
use crate::domain::{Identity, ServiceQuota, Timestamp};

/// One (account/profile, region) the console reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ctx {
    /// Unique label, the suffix of its endpoint keys ("prod/us-east-1").
    pub label: String,
    pub profile: Option<String>,
    pub region: String,
    /// From STS once the identity poll answers.
    pub account: Option<String>,
    pub read_only: bool,
    pub production: bool,
    /// Freshness and failure of each of this context's panels.
    pub panels: BTreeMap<Panel, PanelHealth>,
    /// This account and region's service quotas (the last good read).
    pub quotas: Vec<ServiceQuota>,
    /// This context's call accounting (`:api`), read while the view is open.
    pub api_stats: Option<crate::boundary::api_stats::ApiStats>,
    /// What this context's metric polling spends against its own budget (`:api`).
    pub budget: Option<crate::poll::metric_budget::BudgetReport>,
}

impl Ctx {
    pub fn new(
        label: impl Into<String>,
        profile: Option<String>,
        region: impl Into<String>,
    ) -> Ctx {
        Ctx {
            label: label.into(),
            profile,
            region: region.into(),
            ..Ctx::default()
        }
    }

    /// The endpoints list failed last time (its rows are the last good ones).
    pub fn stale(&self) -> bool {
        self.panels
            .get(&Panel::Endpoints)
            .is_some_and(|h| h.error.is_some())
    }

    /// "account 111122223333 (profile prod) · region eu-west-1" for dialogs and notices.
    pub fn describe(&self) -> String {
        let account = self.account.as_deref().unwrap_or("unknown");
        match &self.profile {
            Some(p) => format!("account {account} (profile {p}) · region {}", self.region),
            None => format!("account {account} · region {}", self.region),
        }
    }
}

/// The contexts of the session; empty or one means the single-context console of old.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Contexts {
    pub list: Vec<Ctx>,
    /// `:ctx LABEL` shows one context's rows; `None` (`:ctx all`) shows every context.
    pub filter: Option<String>,
}

impl Contexts {
    /// More than one context is open: keys carry contexts, ACCOUNT/REGION columns show.
    pub fn multi(&self) -> bool {
        self.list.len() > 1
    }

    pub fn get(&self, label: &str) -> Option<&Ctx> {
        self.list.iter().find(|c| c.label == label)
    }

    /// The context an endpoint key belongs to.
    pub fn of(&self, key: &str) -> Option<&Ctx> {
        context_of(key).and_then(|l| self.get(l))
    }

    /// The first context: the header's identity is its (each context's quotas, events and
    /// call accounting are its own: `app::ctx_views`).
    pub fn primary(&self) -> Option<&Ctx> {
        self.list.first()
    }

    pub fn stale_count(&self) -> usize {
        self.list.iter().filter(|c| c.stale()).count()
    }

    /// Whether an endpoint key passes the `:ctx` filter.
    pub fn shows(&self, key: &str) -> bool {
        match &self.filter {
            None => true,
            Some(l) => context_of(key) == Some(l.as_str()),
        }
    }

    /// The label `text` names: a label, or a unique profile, region, account or prefix.
    pub fn find(&self, text: &str) -> Result<String, String> {
        if let Some(c) = self.get(text) {
            return Ok(c.label.clone());
        }
        let hits: Vec<&Ctx> = self
            .list
            .iter()
            .filter(|c| {
                c.profile.as_deref() == Some(text)
                    || c.region == text
                    || c.account.as_deref() == Some(text)
                    || c.label.starts_with(text)
            })
            .collect();
        match hits.as_slice() {
            [one] => Ok(one.label.clone()),
            [] => Err(format!(
                "no context {text}; open: {}",
                self.labels().join(", ")
            )),
            many => Err(format!(
                "{text} names {} contexts ({}); give a full label",
                many.len(),
                many.iter()
                    .map(|c| c.label.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }

    pub fn labels(&self) -> Vec<&str> {
        self.list.iter().map(|c| c.label.as_str()).collect()
    }
}

impl AppState {
    /// Production applies per profile: the context's flag when several are open.
    pub fn production_for(&self, endpoint: &str) -> bool {
        match self.contexts.of(endpoint) {
            Some(c) if self.contexts.multi() => c.production,
            _ => self.ops.production,
        }
    }

    /// Read-only applies per profile: the context's flag when several are open.
    pub fn read_only_for(&self, endpoint: &str) -> bool {
        match self.contexts.of(endpoint) {
            Some(c) if self.contexts.multi() => c.read_only,
            _ => self.session.read_only,
        }
    }

    /// The endpoint's name as AWS knows it (without its context).
    pub fn plain_name<'a>(&self, endpoint: &'a str) -> &'a str {
        plain(endpoint)
    }
}

/// An action a context's services sent. `Err` hands back an action to apply as usual.
pub fn on_ctx(
    state: &mut AppState,
    label: &str,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Box<Action>> {
    if state.contexts.get(label).is_none() {
        return Ok(Vec::new());
    }
    match action {
        Action::PollStarted(panel) => {
            ctx_health(state, label, panel).refreshing = true;
            Err(Box::new(Action::PollStarted(panel)))
        }
        Action::Polled(polled) => Ok(polled_in(state, label, polled, now)),
        Action::EventsPage(mut page) => {
            super::ctx_views::key_page(&mut page, label);
            Err(Box::new(Action::EventsPage(page)))
        }
        Action::ApiStats(stats) => {
            super::ctx_views::on_api_stats(state, label, stats);
            Ok(Vec::new())
        }
        other => Err(Box::new(other)),
    }
}

fn ctx_health<'a>(state: &'a mut AppState, label: &str, panel: Panel) -> &'a mut PanelHealth {
    let ctx = state
        .contexts
        .list
        .iter_mut()
        .find(|c| c.label == label)
        .expect("context checked by on_ctx");
    ctx.panels.entry(panel).or_default()
}

fn polled_in(
    state: &mut AppState,
    label: &str,
    mut polled: Polled,
    now: Timestamp,
) -> Vec<Command> {
    let panel = polled.panel;
    // This context's health, as `apply_polled` keeps the session's.
    {
        let h = ctx_health(state, label, panel);
        h.refreshing = false;
        match &polled.result {
            Err(e) => {
                h.error = Some(e.clone());
                h.error_at = Some(polled.at);
                h.retry_at = polled
                    .retry_in
                    .and_then(|d| chrono::Duration::from_std(d).ok())
                    .map(|d| polled.at + d);
            }
            Ok(_) => {
                h.last_ok = Some(polled.at);
                h.error = None;
                h.error_at = None;
                h.retry_at = None;
            }
        }
    }
    let primary = state.contexts.primary().map(|c| c.label.clone()) == Some(label.to_string());
    if let Ok(PanelData::Metrics(m)) = &polled.result
        && let Some(b) = &m.budget
        && let Some(c) = state.contexts.list.iter_mut().find(|c| c.label == label)
    {
        c.budget = Some(b.clone());
    }
    if let Ok(data) = &mut polled.result {
        match data {
            PanelData::Identity(id) => {
                let id: Identity = id.clone();
                if let Some(c) = state.contexts.list.iter_mut().find(|c| c.label == label) {
                    c.account = Some(id.account.clone());
                }
                if !primary {
                    return finish(state, panel, Vec::new(), now);
                }
            }
            PanelData::Endpoints(d) => {
                // Other contexts' rows (and their describe failures) stay as they are.
                let mine = |k: &str| context_of(k) == Some(label);
                d.endpoints
                    .extend(state.endpoints.iter().filter(|e| !mine(&e.name)).cloned());
                for (k, e) in &state.endpoint_errors {
                    if !mine(k) {
                        d.failed.insert(k.clone(), e.clone());
                    }
                }
            }
            PanelData::Metrics(m) if m.fetched_at.is_empty() => {
                // A full snapshot of this context replaces this context's figures only.
                let mine = |k: &str| context_of(k) == Some(label);
                let cur = &mut state.metrics;
                cur.latest.retain(|(e, _), _| !mine(e));
                cur.series.retain(|s| !mine(&s.key.endpoint));
                cur.fetched_at.retain(|e, _| !mine(e));
                for (e, _) in m.latest.keys() {
                    m.fetched_at.insert(e.clone(), polled.at);
                }
            }
            // Each context's quotas and events are its own (`app::ctx_views`).
            PanelData::Quotas(q) => {
                let q = std::mem::take(q);
                if primary {
                    state.quotas = q.clone();
                }
                if let Some(c) = state.contexts.list.iter_mut().find(|c| c.label == label) {
                    c.quotas = q;
                }
                return finish(state, panel, Vec::new(), now);
            }
            PanelData::Events(e) => {
                let e = std::mem::take(e);
                let cmds = super::ctx_views::on_events(state, label, e, polled.at);
                return finish(state, panel, cmds, now);
            }
            _ => {}
        }
    } else if matches!(panel, Panel::Quotas | Panel::Events)
        || (!primary && panel == Panel::Identity)
    {
        // The context's health holds the failure; its last good quotas and events stay.
        return finish(state, panel, Vec::new(), now);
    }
    let cmds = super::polled::apply_polled(state, polled);
    finish(state, panel, cmds, now)
}

/// The session's health of `panel` summarises its contexts': the first error, the oldest
/// good data, refreshing while any context is.
fn finish(state: &mut AppState, panel: Panel, cmds: Vec<Command>, _now: Timestamp) -> Vec<Command> {
    state.dirty = true;
    let mut sum = PanelHealth::default();
    for c in &state.contexts.list {
        let Some(h) = c.panels.get(&panel) else {
            continue;
        };
        if sum.error.is_none() && h.error.is_some() {
            sum.error = h.error.clone();
            sum.error_at = h.error_at;
            sum.retry_at = h.retry_at;
        }
        sum.last_ok = match (sum.last_ok, h.last_ok) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        sum.refreshing |= h.refreshing;
    }
    state.panels.insert(panel, sum);
    cmds
}

/// `:ctx NAME` / `:ctx all`: which contexts' rows the endpoints view shows.
pub fn set_filter(state: &mut AppState, name: Option<String>, now: Timestamp) -> Vec<Command> {
    use super::update::{error, info};
    if !state.contexts.multi() {
        let msg = "one account and region is open (--profile a,b --region x,y opens several)";
        error(state, msg.into(), now);
        return Vec::new();
    }
    match name {
        None => {
            state.contexts.filter = None;
            let n = state.contexts.list.len();
            info(state, format!("showing all {n} contexts"), now);
        }
        Some(text) => match state.contexts.find(&text) {
            Ok(label) => {
                let what = state
                    .contexts
                    .get(&label)
                    .map(Ctx::describe)
                    .unwrap_or_default();
                state.contexts.filter = Some(label.clone());
                info(state, format!("showing {label}: {what}"), now);
            }
            Err(msg) => {
                error(state, msg, now);
                return Vec::new();
            }
        },
    }
    // The selection follows to a row that is shown.
    if state
        .selected
        .as_ref()
        .is_none_or(|s| !state.contexts.shows(s))
    {
        state.selected = state.visible_endpoints().first().map(|e| e.name.clone());
    }
    // The account-wide views stay open on the contexts now shown; the others go back to
    // the endpoints view, where the filter shows.
    use super::state::View;
    match state.view {
        View::Events | View::EventJson => {
            state.view = View::Events;
            state.events_view.json = None;
            super::events_view::want_pages_all(state)
        }
        View::Quotas => {
            state.quotas_view.selected = 0;
            Vec::new()
        }
        View::Api => Vec::new(),
        _ => {
            state.view = View::Endpoints;
            vec![Command::Watch(None)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Contexts {
        let mut list = vec![
            Ctx::new("prod/us-east-1", Some("prod".into()), "us-east-1"),
            Ctx::new("prod/eu-west-1", Some("prod".into()), "eu-west-1"),
            Ctx::new("staging/eu-west-1", Some("staging".into()), "eu-west-1"),
        ];
        list[0].account = Some("111122223333".into());
        Contexts { list, filter: None }
    }

    #[test]
    fn ctx_names_a_label_a_unique_profile_region_or_account_and_refuses_ambiguity() {
        let c = three();
        assert_eq!(c.find("prod/eu-west-1").unwrap(), "prod/eu-west-1");
        assert_eq!(c.find("staging").unwrap(), "staging/eu-west-1");
        assert_eq!(c.find("us-east-1").unwrap(), "prod/us-east-1");
        assert_eq!(c.find("111122223333").unwrap(), "prod/us-east-1");
        let two = c.find("prod").unwrap_err();
        assert!(two.contains("names 2 contexts"), "{two}");
        let eu = c.find("eu-west-1").unwrap_err();
        assert!(eu.contains("names 2 contexts"), "{eu}");
        let none = c.find("dev").unwrap_err();
        assert!(none.contains("no context dev"), "{none}");
    }

    #[test]
    fn the_filter_shows_only_its_contexts_keys() {
        let mut c = three();
        assert!(c.shows("a@prod/us-east-1") && c.shows("a@staging/eu-west-1"));
        c.filter = Some("staging/eu-west-1".into());
        assert!(!c.shows("a@prod/us-east-1"));
        assert!(c.shows("a@staging/eu-west-1"));
        assert_eq!(
            c.of("a@prod/eu-west-1").map(|x| x.region.as_str()),
            Some("eu-west-1")
        );
    }
}
