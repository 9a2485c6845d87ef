//! The CloudTrail events loaded so far (the polled newest page plus older pages fetched on
//! demand), one paging cursor per lookup, and the pure paging decisions: which page to ask
//! for next, and when to stop. The runtime fetches one page per `Command::FetchEvents`, paced
//! to CloudTrail's 2 calls a second.

use std::collections::{BTreeMap, HashSet};

use super::action::Command;
use super::state::AppState;
use crate::boundary::BackendError;
use crate::domain::*;

/// Events kept in memory (about 1.5 KB each); the oldest go first.
pub const MAX_EVENTS: usize = 3_000;

/// Which lookup a page belongs to: every SageMaker event (`None`), or the events naming one
/// resource (`Some(endpoint)`, CloudTrail's ResourceName lookup attribute).
pub type LookupScope = Option<String>;

/// One `LookupEvents` page to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventsRequest {
    pub resource: LookupScope,
    pub next_token: Option<String>,
    /// Without a token: start at this time (the oldest event of the newest polled page, so
    /// the first page asked for is older than what the poller already brought).
    pub end: Option<Timestamp>,
}

impl EventsRequest {
    pub fn query(&self) -> EventQuery {
        EventQuery {
            resource: self.resource.clone(),
            next_token: self.next_token.clone(),
            end: self.end.filter(|_| self.next_token.is_none()),
            max_results: MAX_EVENTS_PER_PAGE,
            ..EventQuery::default()
        }
    }
}

/// What came back for an [`EventsRequest`].
#[derive(Debug, Clone, PartialEq)]
pub struct EventsPageResult {
    pub resource: LookupScope,
    pub at: Timestamp,
    pub result: Result<EventPage, BackendError>,
}

/// Paging state of one lookup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Cursor {
    /// Token of the next older page (`None` before the first page and after the last).
    pub next_token: Option<String>,
    /// The last page said there is nothing older.
    pub exhausted: bool,
    /// A page is being fetched.
    pub loading: bool,
    /// Pages fetched so far.
    pub pages: usize,
    /// Oldest event this lookup has returned.
    pub oldest: Option<Timestamp>,
    pub last_ok: Option<Timestamp>,
    pub error: Option<BackendError>,
    pub error_at: Option<Timestamp>,
    /// Automatic goal: reach back at least to this time.
    pub until: Option<Timestamp>,
    /// Pages automatic goals may still fetch.
    pub budget: usize,
    /// Pages asked for explicitly, fetched whatever the goals say.
    pub asked: usize,
}

impl Cursor {
    /// Older pages may exist.
    pub fn has_more(&self) -> bool {
        !self.exhausted && (self.pages == 0 || self.next_token.is_some())
    }

    fn request(&self, resource: &LookupScope, polled_oldest: Option<Timestamp>) -> EventsRequest {
        EventsRequest {
            resource: resource.clone(),
            next_token: self.next_token.clone(),
            end: if self.pages == 0 && self.next_token.is_none() {
                polled_oldest
            } else {
                None
            },
        }
    }
}

/// Every event loaded, newest first, unique by event id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrailLog {
    pub events: Vec<TrailEvent>,
    pub cursors: BTreeMap<LookupScope, Cursor>,
}

impl TrailLog {
    /// Adds events not seen before; keeps newest first and at most [`MAX_EVENTS`].
    pub fn merge(&mut self, events: &[TrailEvent]) -> usize {
        let known: HashSet<&str> = self.events.iter().map(|e| e.id.as_str()).collect();
        let fresh: Vec<TrailEvent> = events
            .iter()
            .filter(|e| !known.contains(e.id.as_str()))
            .cloned()
            .collect();
        let n = fresh.len();
        if n > 0 {
            self.events.extend(fresh);
            self.events
                .sort_by(|a, b| b.time.cmp(&a.time).then_with(|| b.id.cmp(&a.id)));
            self.events.truncate(MAX_EVENTS);
        }
        n
    }

    pub fn cursor(&self, scope: &LookupScope) -> Option<&Cursor> {
        self.cursors.get(scope)
    }

    /// Oldest event loaded that the lookup `scope` would return.
    pub fn oldest_for(&self, scope: &LookupScope) -> Option<Timestamp> {
        self.events
            .iter()
            .rev()
            .find(|e| scope.as_deref().is_none_or(|r| e.touches(r)))
            .map(|e| e.time)
    }
}

/// Asks for the events of `scope` back to `until` (and at most `pages` more pages for it).
pub fn want_until(
    state: &mut AppState,
    scope: LookupScope,
    until: Timestamp,
    pages: usize,
) -> Vec<Command> {
    let c = state.trail.cursors.entry(scope.clone()).or_default();
    c.until = Some(c.until.map_or(until, |u| u.min(until)));
    c.budget = c.budget.max(pages);
    pump(state, &scope)
}

/// Raises the automatic page budget of `scope` (the events view filling the screen).
pub fn want_pages(state: &mut AppState, scope: LookupScope, pages: usize) -> Vec<Command> {
    let c = state.trail.cursors.entry(scope.clone()).or_default();
    c.budget = c.budget.max(pages);
    pump(state, &scope)
}

/// One more page of `scope`, explicitly (the `m` key, or the selection at the last row).
/// Also retries after an error.
pub fn ask_page(state: &mut AppState, scope: LookupScope) -> Vec<Command> {
    let c = state.trail.cursors.entry(scope.clone()).or_default();
    if c.has_more() && c.asked == 0 {
        c.asked = 1;
    }
    c.error = None;
    pump(state, &scope)
}

/// Whether an automatic goal of `scope` is still unmet.
fn goal_unmet(state: &AppState, scope: &LookupScope, c: &Cursor) -> bool {
    let until = c
        .until
        .is_some_and(|u| c.oldest.is_none_or(|oldest| oldest > u));
    until || super::events_view::needs_rows(state, scope)
}

/// Starts the next page of `scope` if nothing is in flight and a goal wants it.
pub fn pump(state: &mut AppState, scope: &LookupScope) -> Vec<Command> {
    let Some(c) = state.trail.cursors.get(scope) else {
        return Vec::new();
    };
    if c.loading || !c.has_more() || c.error.is_some() {
        return Vec::new();
    }
    let auto = c.budget > 0 && goal_unmet(state, scope, c);
    if c.asked == 0 && !auto {
        return Vec::new();
    }
    // Every event after the newest polled page's oldest one is already loaded.
    let polled_oldest = state.events.iter().map(|e| e.time).min();
    let c = state.trail.cursors.get_mut(scope).expect("cursor exists");
    if c.asked > 0 {
        c.asked -= 1;
    } else {
        c.budget -= 1;
    }
    c.loading = true;
    state.dirty = true;
    vec![Command::FetchEvents(c.request(scope, polled_oldest))]
}

/// A page arrived: merge it, move the cursor, and maybe ask for the next one.
pub fn on_page(state: &mut AppState, page: EventsPageResult) -> Vec<Command> {
    let EventsPageResult {
        resource,
        at,
        result,
    } = page;
    let c = state.trail.cursors.entry(resource.clone()).or_default();
    c.loading = false;
    match result {
        Err(e) => {
            // Stop paging until asked again (m, or the next view that wants more).
            c.error = Some(e);
            c.error_at = Some(at);
            c.budget = 0;
            c.asked = 0;
            Vec::new()
        }
        Ok(p) => {
            c.error = None;
            c.error_at = None;
            c.last_ok = Some(at);
            c.pages += 1;
            c.next_token = p.next_token.clone();
            c.exhausted = p.next_token.is_none();
            if let Some(o) = p.events.iter().map(|e| e.time).min() {
                c.oldest = Some(c.oldest.map_or(o, |x| x.min(o)));
            }
            state.trail.merge(&p.events);
            state.dirty = true;
            pump(state, &resource)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::SessionInfo;
    use crate::clock::fixture_epoch;

    pub(crate) fn ev(id: &str, mins_ago: i64, name: &str, read_only: bool) -> TrailEvent {
        TrailEvent {
            id: id.into(),
            time: fixture_epoch() - chrono::Duration::minutes(mins_ago),
            name: name.into(),
            principal: "ci-deploy/github-actions".into(),
            source_ip: Some("140.82.112.21".into()),
            resources: vec!["fraud".into()],
            error_code: None,
            error_message: None,
            read_only,
            raw: "{}".into(),
        }
    }

    #[test]
    fn merge_keeps_newest_first_without_duplicates() {
        let mut log = TrailLog::default();
        assert_eq!(
            log.merge(&[ev("a", 5, "X", false), ev("b", 1, "X", false)]),
            2
        );
        assert_eq!(
            log.merge(&[ev("b", 1, "X", false), ev("c", 9, "X", false)]),
            1
        );
        let ids: Vec<&str> = log.events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["b", "a", "c"]);
    }

    #[test]
    fn paging_follows_tokens_until_the_goal_and_stops_on_errors() {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        let scope = Some("fraud".to_string());
        let until = fixture_epoch() - chrono::Duration::minutes(100);
        let cmds = want_until(&mut s, scope.clone(), until, 5);
        assert_eq!(
            cmds,
            vec![Command::FetchEvents(EventsRequest {
                resource: scope.clone(),
                next_token: None,
                end: None,
            })]
        );
        // Nothing more while a page is in flight.
        assert!(want_until(&mut s, scope.clone(), until, 5).is_empty());
        let page = |events, token: Option<&str>| EventsPageResult {
            resource: scope.clone(),
            at: fixture_epoch(),
            result: Ok(EventPage {
                events,
                next_token: token.map(str::to_string),
            }),
        };
        let cmds = on_page(&mut s, page(vec![ev("a", 10, "X", false)], Some("t1")));
        assert_eq!(
            cmds,
            vec![Command::FetchEvents(EventsRequest {
                resource: scope.clone(),
                next_token: Some("t1".into()),
                end: None,
            })]
        );
        // Past the goal: stop although older pages exist.
        let cmds = on_page(&mut s, page(vec![ev("b", 200, "X", false)], Some("t2")));
        assert!(cmds.is_empty());
        assert_eq!(s.trail.events.len(), 2);
        // Asked explicitly: one more page; an error stops paging until asked again.
        assert_eq!(ask_page(&mut s, scope.clone()).len(), 1);
        let err = EventsPageResult {
            resource: scope.clone(),
            at: fixture_epoch(),
            result: Err(BackendError::Throttled {
                operation: crate::boundary::Operation::LookupEvents,
                message: "Rate exceeded".into(),
            }),
        };
        assert!(on_page(&mut s, err).is_empty());
        assert!(s.trail.cursor(&scope).unwrap().error.is_some());
        assert_eq!(ask_page(&mut s, scope.clone()).len(), 1);
        // The last page has no token: nothing older to ask for.
        assert!(on_page(&mut s, page(vec![], None)).is_empty());
        assert!(ask_page(&mut s, scope).is_empty());
    }
}
