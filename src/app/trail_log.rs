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

pub use crate::poll::detail_fetch::{EventsPageResult, EventsRequest, LookupScope};

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
    /// EndTime of this lookup's first call, sent again with every token it returned.
    pub end: Option<Timestamp>,
    /// The lookup under way asks for writes only (fixed from its first page on).
    pub writes_only: bool,
    /// Times paging restarted from the newest events after CloudTrail refused a token.
    pub restarts: u32,
    /// Said to the person when paging had to restart ("paging restarted: …").
    pub notice: Option<String>,
}

/// Restarts from the newest events after refused tokens before paging stops until asked.
const MAX_RESTARTS: u32 = 2;

impl Cursor {
    /// Older pages may exist.
    pub fn has_more(&self) -> bool {
        !self.exhausted && (self.pages == 0 || self.next_token.is_some())
    }

    /// The next page's request. The first page fixes the lookup's parameters (EndTime,
    /// writes only); every later page repeats them with the token.
    fn request(
        &mut self,
        resource: &LookupScope,
        polled_oldest: Option<Timestamp>,
        writes_only: bool,
    ) -> EventsRequest {
        if self.pages == 0 && self.next_token.is_none() {
            // Reads are not in the polled (writes-only) page: start from the newest for them.
            self.end = if writes_only { polled_oldest } else { None };
            self.writes_only = writes_only;
        }
        EventsRequest {
            resource: resource.clone(),
            next_token: self.next_token.clone(),
            end: self.end,
            writes_only: self.writes_only,
        }
    }

    /// Back to before the first page: the next request starts a new lookup from the top.
    fn restart(&mut self) {
        self.next_token = None;
        self.exhausted = false;
        self.pages = 0;
        self.oldest = None;
        self.end = None;
    }
}

/// Whether the lookup of `scope` should hide reads: the events view on that scope with
/// "show reads" on asks for everything; everything else (markers, the view without reads)
/// wants writes only.
fn wants_writes_only(state: &AppState, scope: &LookupScope) -> bool {
    !(matches!(
        state.view,
        super::state::View::Events | super::state::View::EventJson
    ) && super::events_view::scopes(state).contains(scope)
        && state.events_view.criteria.show_reads)
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
            .find(|e| super::ctx_views::in_scope(e, scope))
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
    align(state, &scope);
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

/// Reads shown or hidden is another lookup: its tokens do not fit the other one, so a cursor
/// that paged the other lookup starts again from the top.
fn align(state: &mut AppState, scope: &LookupScope) {
    let writes_only = wants_writes_only(state, scope);
    if let Some(c) = state.trail.cursors.get_mut(scope)
        && !c.loading
        && c.writes_only != writes_only
        && (c.pages > 0 || c.next_token.is_some() || c.exhausted)
    {
        c.restart();
        c.writes_only = writes_only;
    }
}

/// Starts the next page of `scope` if nothing is in flight and a goal wants it.
pub fn pump(state: &mut AppState, scope: &LookupScope) -> Vec<Command> {
    align(state, scope);
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
    // Every event after the newest polled page's oldest one is already loaded (the page of
    // the lookup's own context, with several open).
    let polled_oldest = state
        .events
        .iter()
        .filter(|e| super::ctx_views::same_context(e, scope))
        .map(|e| e.time)
        .min();
    let writes_only = wants_writes_only(state, scope);
    let c = state.trail.cursors.get_mut(scope).expect("cursor exists");
    if c.asked > 0 {
        c.asked -= 1;
    } else {
        c.budget -= 1;
    }
    c.loading = true;
    state.dirty = true;
    vec![Command::FetchEvents(c.request(
        scope,
        polled_oldest,
        writes_only,
    ))]
}

/// The events poll succeeded at `at`: a page error from before it that said CloudTrail could
/// not be read (access denied, throttled, expired credentials, the network) no longer holds,
/// so it leaves the screen and paging goes on where it stopped. A refused request (a bad
/// token or parameter) stays until asked again. With several contexts open, `context` names
/// the one whose poll succeeded: only its lookups recover.
pub fn recovered(state: &mut AppState, at: Timestamp, context: Option<&str>) -> Vec<Command> {
    let stale: Vec<LookupScope> = state
        .trail
        .cursors
        .iter()
        .filter(|(s, _)| context.is_none_or(|l| super::ctx_views::scope_context(s) == Some(l)))
        .filter(|(_, c)| {
            c.error_at.is_some_and(|t| t <= at)
                && c.error.as_ref().is_some_and(|e| {
                    !matches!(
                        e,
                        BackendError::Validation { .. } | BackendError::NotFound { .. }
                    )
                })
        })
        .map(|(s, _)| s.clone())
        .collect();
    let mut cmds = Vec::new();
    for scope in stale {
        if let Some(c) = state.trail.cursors.get_mut(&scope) {
            c.error = None;
            c.error_at = None;
            if c.has_more() {
                c.asked = c.asked.max(1);
            }
            state.dirty = true;
        }
        cmds.extend(pump(state, &scope));
    }
    cmds
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
        Err(e) if e.is_invalid_next_token() && c.restarts < MAX_RESTARTS => {
            // Retrying a refused token fails the same way forever: start again from the
            // newest events (what was loaded stays) and say so.
            c.restarts += 1;
            c.restart();
            c.notice = Some(
                "CloudTrail refused the page token; paging restarted from the newest events".into(),
            );
            c.error = None;
            c.asked = c.asked.max(1);
            state.dirty = true;
            pump(state, &resource)
        }
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
            if c.pages > 0 {
                // The restarted lookup got past its first page again.
                c.notice = None;
            }
            c.pages += 1;
            c.next_token = p.next_token.clone();
            c.exhausted = p.next_token.is_none();
            if let Some(o) = p.events.iter().map(|e| e.time).chain(p.reached).min() {
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
                writes_only: true,
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
                reached: None,
            }),
        };
        let cmds = on_page(&mut s, page(vec![ev("a", 10, "X", false)], Some("t1")));
        assert_eq!(
            cmds,
            vec![Command::FetchEvents(EventsRequest {
                resource: scope.clone(),
                next_token: Some("t1".into()),
                end: None,
                writes_only: true,
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

    #[test]
    fn older_pages_repeat_the_first_calls_parameters_and_a_refused_token_restarts() {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        // The poller brought the newest page: the pager starts below its oldest event.
        s.events = vec![
            ev("p1", 3, "UpdateEndpoint", false),
            ev("p2", 7, "X", false),
        ];
        let polled_oldest = fixture_epoch() - chrono::Duration::minutes(7);
        let scope: LookupScope = None;
        let until = fixture_epoch() - chrono::Duration::days(3);
        let first = want_until(&mut s, scope.clone(), until, 10);
        let Command::FetchEvents(r1) = &first[0] else {
            panic!("{first:?}")
        };
        assert_eq!(
            (r1.end, r1.next_token.as_deref()),
            (Some(polled_oldest), None)
        );
        let page = |token: Option<&str>| EventsPageResult {
            resource: scope.clone(),
            at: fixture_epoch(),
            result: Ok(EventPage {
                events: vec![ev("old", 30, "X", false)],
                next_token: token.map(str::to_string),
                reached: None,
            }),
        };
        let next = on_page(&mut s, page(Some("t1")));
        let Command::FetchEvents(r2) = &next[0] else {
            panic!("{next:?}")
        };
        // The token goes with exactly the first call's parameters.
        assert_eq!(r2.next_token.as_deref(), Some("t1"));
        assert_eq!(r2.query().end, r1.query().end);
        assert_eq!(r2.query().writes_only, r1.query().writes_only);
        assert_eq!(r2.query().resource, r1.query().resource);
        // CloudTrail refuses the token: paging starts again from the top, once, and says so.
        let refused = || EventsPageResult {
            resource: scope.clone(),
            at: fixture_epoch(),
            result: Err(BackendError::Validation {
                operation: crate::boundary::Operation::LookupEvents,
                message: "InvalidNextTokenException: Invalid NextToken".into(),
            }),
        };
        let again = on_page(&mut s, refused());
        let Command::FetchEvents(r3) = &again[0] else {
            panic!("{again:?}")
        };
        assert_eq!(r3.next_token, None, "no stale token is sent again");
        assert!(s.trail.cursor(&scope).unwrap().notice.is_some());
        // Not forever: after the restarts allowed, the error stays until asked again.
        let mut fetched = 1;
        for _ in 0..5 {
            let _ = on_page(&mut s, page(Some("t9")));
            if on_page(&mut s, refused()).is_empty() {
                break;
            }
            fetched += 1;
        }
        assert!(fetched <= MAX_RESTARTS as usize, "{fetched} restarts");
        assert!(s.trail.cursor(&scope).unwrap().error.is_some());
    }
}
