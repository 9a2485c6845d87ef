//! The endpoints poller's memory of the fleet: which endpoints to describe this cycle so that
//! an account with 1,000 endpoints costs a fraction of a SageMaker call a second. `ListEndpoints`
//! says what changed (status, LastModifiedTime); only those, the endpoint on screen, rows on
//! screen never described, endpoints in transition and new endpoints are described at once;
//! the rest are re-described slowly, as a per-second budget of control-plane calls allows.
//! A failed describe keeps the last good description (its variants) and marks the row stale.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::boundary::{BackendError, BackendResult};
use crate::domain::*;
use crate::poll::data::EndpointsData;

/// `ListEndpoints` returns at most 100 endpoints a page (MaxResults 1–100).
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
pub const LIST_PAGE: usize = 100;

/// Default budget of SageMaker control-plane calls a second the endpoints poller spends on
/// routine reads (`[refresh] control_plane_calls_per_second`).
pub const DEFAULT_CALLS_PER_SECOND: f64 = 0.35;

/// Calls the budget may save up (lets the first screen of rows be described at once).
const BURST_CALLS: f64 = 80.0;

/// An endpoint nothing says has changed is described again after at least this long, as the
/// budget allows (oldest first, a few a cycle rather than all at once).
pub const FULL_REFRESH: Duration = Duration::from_secs(10 * 60);

/// Seconds of list pacing per `ListEndpoints` page: a fleet of 1,000 endpoints (10 pages) is
/// listed at most every 100 s, whatever the configured interval.
const SECS_PER_LIST_PAGE: u64 = 10;

/// The last good description of an endpoint and what `ListEndpoints` said at that time.
#[derive(Debug, Clone)]
struct Described {
    endpoint: Endpoint,
    at: Timestamp,
    status: EndpointStatus,
    last_modified: Timestamp,
}

/// What the console has on screen: described first, every cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OnScreen {
    /// The endpoint whose detail is open.
    pub watched: Option<String>,
    /// Rows of the endpoints table on screen.
    pub visible: Vec<String>,
}

/// The endpoints poller's state between cycles.
#[derive(Debug, Clone)]
pub struct FleetSync {
    calls_per_second: f64,
    listed: BTreeMap<String, EndpointSummary>,
    /// Endpoints the newest list has and the one before did not.
    new_since_list: BTreeSet<String>,
    last_list: Option<Timestamp>,
    described: BTreeMap<String, Described>,
    errors: BTreeMap<String, BackendError>,
    tokens: f64,
    tokens_at: Option<Timestamp>,
}

impl Default for FleetSync {
    fn default() -> Self {
        FleetSync::new(DEFAULT_CALLS_PER_SECOND)
    }
}

impl FleetSync {
    pub fn new(calls_per_second: f64) -> Self {
        FleetSync {
            calls_per_second: calls_per_second.max(0.01),
            listed: BTreeMap::new(),
            new_since_list: BTreeSet::new(),
            last_list: None,
            described: BTreeMap::new(),
            errors: BTreeMap::new(),
            tokens: BURST_CALLS,
            tokens_at: None,
        }
    }

    fn refill(&mut self, now: Timestamp) {
        if let Some(at) = self.tokens_at {
            let secs = (now - at).num_milliseconds().max(0) as f64 / 1000.0;
            self.tokens = (self.tokens + secs * self.calls_per_second).min(BURST_CALLS);
        }
        self.tokens_at = Some(now);
    }

    /// Pages one `ListEndpoints` of the fleet as last listed takes.
    pub fn list_pages(&self) -> usize {
        self.listed.len().div_ceil(LIST_PAGE).max(1)
    }

    /// Interval between two lists of a stable fleet: the configured one, longer for big fleets.
    pub fn list_interval(&self, configured: Duration) -> Duration {
        configured.max(Duration::from_secs(
            SECS_PER_LIST_PAGE * self.list_pages() as u64,
        ))
    }

    /// Whether this cycle lists the fleet (cycles in between only describe what is moving).
    pub fn list_due(&self, now: Timestamp, configured: Duration) -> bool {
        self.last_list.is_none_or(|t| {
            (now - t).to_std().unwrap_or_default() + Duration::from_millis(500)
                >= self.list_interval(configured)
        })
    }

    /// Any listed endpoint is Creating, Updating, … (the poller speeds up).
    pub fn busy(&self) -> bool {
        self.listed.values().any(|s| s.status.is_transitional())
    }

    /// A new `ListEndpoints` answer: endpoints gone from it drop out.
    pub fn on_list(&mut self, summaries: Vec<EndpointSummary>, now: Timestamp) {
        self.refill(now);
        let fresh: BTreeMap<String, EndpointSummary> =
            summaries.into_iter().map(|s| (s.name.clone(), s)).collect();
        self.described.retain(|k, _| fresh.contains_key(k));
        self.errors.retain(|k, _| fresh.contains_key(k));
        // The list of a previous cycle tells what is new in this one (on the first list
        // every endpoint is merely not described yet).
        let previous = std::mem::replace(&mut self.listed, fresh);
        self.new_since_list = if self.last_list.is_some() {
            self.listed
                .keys()
                .filter(|n| !previous.contains_key(*n))
                .cloned()
                .collect()
        } else {
            BTreeSet::new()
        };
        self.last_list = Some(now);
        self.tokens -= self.list_pages() as f64;
    }

    /// Names to describe this cycle: what must be (changed, moving, on screen, new), then as
    /// many others as the budget allows (never described, failed, not described for
    /// [`FULL_REFRESH`]), oldest first.
    pub fn plan(&mut self, on_screen: &OnScreen, now: Timestamp) -> Vec<String> {
        self.refill(now);
        // The endpoint on screen is described every cycle, whatever the budget.
        let mut out: Vec<String> = Vec::new();
        if let Some(w) = &on_screen.watched
            && self.listed.contains_key(w)
        {
            self.tokens -= self.cost(w);
            out.push(w.clone());
        }
        // Then, as the budget allows and in this order: what changed or is new; rows on
        // screen never described; endpoints in transition; failed, never described, then the
        // stalest. Even
        // changes wait for the budget, so a fleet where hundreds of endpoints move at once
        // still costs no more than `calls_per_second` (the list keeps their status fresh).
        let stale_before = now - chrono::Duration::from_std(FULL_REFRESH).unwrap_or_default();
        let mut queue: Vec<(u8, Option<Timestamp>, &String)> = Vec::new();
        for (name, s) in &self.listed {
            if out.contains(name) {
                continue;
            }
            let described = self.described.get(name);
            let changed = described
                .is_some_and(|d| d.status != s.status || d.last_modified != s.last_modified_time);
            let moving = s.status.is_transitional();
            let new = self.new_since_list.contains(name) && described.is_none();
            // Moving endpoints come after rows on screen never described, oldest describe
            // first, so a few endpoints in transition cannot starve the screen.
            let rank = if changed || new {
                0
            } else if described.is_none() && on_screen.visible.contains(name) {
                1
            } else if moving {
                2
            } else if self.errors.contains_key(name) {
                3
            } else if described.is_none() {
                4
            } else if described.is_some_and(|d| d.at <= stale_before) {
                5
            } else {
                continue;
            };
            queue.push((rank, described.map(|d| d.at), name));
        }
        queue.sort();
        let mut tokens = self.tokens;
        let mut picked = Vec::new();
        for (_, _, n) in queue {
            let c = self.cost(n);
            if tokens < c {
                break;
            }
            tokens -= c;
            picked.push(n.clone());
        }
        self.tokens = tokens;
        out.extend(picked);
        out
    }

    /// Calls one describe costs: `DescribeEndpointConfig` too the first time.
    fn cost(&self, name: &str) -> f64 {
        if self.described.contains_key(name) {
            1.0
        } else {
            2.0
        }
    }

    /// The outcome of one describe. `NotFound`: deleted since the list, dropped.
    pub fn on_described(&mut self, name: &str, result: BackendResult<Endpoint>, now: Timestamp) {
        match result {
            Ok(e) => {
                // The describe is newer than the list: the next list showing the same status
                // and time is no change, and an endpoint done updating stops the fast polls.
                if let Some(s) = self.listed.get_mut(name) {
                    s.status = e.status;
                    s.last_modified_time = e.last_modified_time;
                }
                self.errors.remove(name);
                self.described.insert(
                    name.to_string(),
                    Described {
                        status: e.status,
                        last_modified: e.last_modified_time,
                        endpoint: e,
                        at: now,
                    },
                );
            }
            Err(BackendError::NotFound { .. }) => {
                self.listed.remove(name);
                self.described.remove(name);
                self.errors.remove(name);
            }
            Err(e) => {
                self.errors.insert(name.to_string(), e);
            }
        }
    }

    /// Whether any endpoint has ever been described.
    pub fn any_described(&self) -> bool {
        !self.described.is_empty()
    }

    /// The fleet as the console shows it: each listed endpoint with its last good description
    /// (status and times from the newest list), or what the list alone says.
    pub fn data(&self) -> EndpointsData {
        let mut data = EndpointsData::default();
        for (name, s) in &self.listed {
            let e = match self.described.get(name) {
                Some(d) => {
                    let mut e = d.endpoint.clone();
                    // A row whose describe failed still shows the status the list reports.
                    if self.errors.contains_key(name) {
                        e.status = s.status;
                        e.last_modified_time = s.last_modified_time;
                    }
                    e
                }
                None => listed_only(s.clone()),
            };
            data.endpoints.push(e);
            if let Some(err) = self.errors.get(name) {
                data.failed.insert(name.clone(), err.clone());
            }
            if let Some(d) = self.described.get(name) {
                data.described_at.insert(name.clone(), d.at);
            }
        }
        data
    }
}

/// An endpoint known only from `ListEndpoints` (not described yet, or its describe failed
/// before any succeeded): no variants.
pub fn listed_only(s: EndpointSummary) -> Endpoint {
    Endpoint {
        name: s.name,
        arn: s.arn,
        status: s.status,
        failure_reason: None,
        creation_time: s.creation_time,
        last_modified_time: s.last_modified_time,
        config_name: String::new(),
        shadow_variants: Vec::new(),
        pending: None,
        variants: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        crate::clock::fixture_epoch() + chrono::Duration::seconds(secs)
    }

    fn summary(name: &str, status: EndpointStatus, modified: i64) -> EndpointSummary {
        EndpointSummary {
            name: name.into(),
            arn: format!("arn:{name}"),
            status,
            creation_time: t(0),
            last_modified_time: t(modified),
        }
    }

    fn described(s: &EndpointSummary) -> Endpoint {
        let mut e = listed_only(s.clone());
        e.config_name = "c".into();
        e.variants = vec![Variant {
            name: "v".into(),
            model_name: None,
            instance_type: Some("ml.m5.large".into()),
            current_instance_count: Some(1),
            desired_instance_count: Some(1),
            current_weight: Some(1.0),
            desired_weight: Some(1.0),
            serverless: None,
            statuses: Vec::new(),
        }];
        e
    }

    fn fleet(n: usize) -> Vec<EndpointSummary> {
        (0..n)
            .map(|i| summary(&format!("ep-{i:04}"), EndpointStatus::InService, 0))
            .collect()
    }

    fn describe_all(
        sync: &mut FleetSync,
        names: &[String],
        list: &[EndpointSummary],
        at: Timestamp,
    ) {
        for n in names {
            let s = list.iter().find(|s| &s.name == n).unwrap();
            sync.on_described(n, Ok(described(s)), at);
        }
    }

    #[test]
    fn only_changes_the_screen_and_new_endpoints_are_described_at_once() {
        let mut sync = FleetSync::new(0.4);
        let list = fleet(1000);
        let screen = OnScreen {
            watched: None,
            visible: (0..30).map(|i| format!("ep-{i:04}")).collect(),
        };
        sync.on_list(list.clone(), t(0));
        let first = sync.plan(&screen, t(0));
        // The 30 rows on screen at once; nothing else while the list ate the budget.
        assert!(first.len() >= 30 && first.len() <= 35, "{}", first.len());
        for v in &screen.visible {
            assert!(first.contains(v));
        }
        describe_all(&mut sync, &first, &list, t(0));
        // A minute later: one endpoint changed, one is new, one was deleted.
        let mut next = list.clone();
        next[500].status = EndpointStatus::Updating;
        next[600].last_modified_time = t(50);
        next.retain(|s| s.name != "ep-0001");
        next.push(summary("zz-new", EndpointStatus::Creating, 55));
        sync.on_list(next.clone(), t(60));
        let plan = sync.plan(&screen, t(60));
        for must in ["ep-0500", "zz-new"] {
            assert!(plan.contains(&must.to_string()), "{must} in {plan:?}");
        }
        assert!(!plan.contains(&"ep-0001".to_string()));
        assert!(!sync.data().endpoints.iter().any(|e| e.name == "ep-0001"));
        // ep-0600 was never described (not on screen): it waits its turn with the rest.
        assert!(sync.busy());
    }

    #[test]
    fn a_failed_describe_keeps_the_last_good_one_and_reports_the_error() {
        let mut sync = FleetSync::new(0.4);
        let list = fleet(3);
        sync.on_list(list.clone(), t(0));
        let all = sync.plan(&OnScreen::default(), t(0));
        describe_all(&mut sync, &all, &list, t(0));
        let mut next = list.clone();
        next[1].last_modified_time = t(30);
        sync.on_list(next, t(30));
        let plan = sync.plan(&OnScreen::default(), t(30));
        assert_eq!(plan, vec!["ep-0001".to_string()]);
        let throttled = BackendError::Throttled {
            operation: crate::boundary::Operation::DescribeEndpoint,
            message: "Rate exceeded".into(),
        };
        sync.on_described("ep-0001", Err(throttled.clone()), t(31));
        let d = sync.data();
        let e = d.endpoints.iter().find(|e| e.name == "ep-0001").unwrap();
        assert_eq!(e.variants.len(), 1, "variants of the last good describe");
        assert_eq!(e.last_modified_time, t(30), "times from the newest list");
        assert_eq!(d.failed.get("ep-0001"), Some(&throttled));
        assert_eq!(d.described_at.get("ep-0001"), Some(&t(0)));
    }

    #[test]
    fn a_quiet_fleet_is_redescribed_in_turn_within_the_budget() {
        let mut sync = FleetSync::new(0.4);
        let list = fleet(1000);
        let mut calls = 0.0;
        let mut described = BTreeSet::new();
        for minute in 0..60 {
            let now = t(minute * 60);
            if sync.list_due(now, Duration::from_secs(30)) {
                sync.on_list(list.clone(), now);
                calls += sync.list_pages() as f64;
            }
            let plan = sync.plan(&OnScreen::default(), now);
            for n in &plan {
                calls += if described.insert(n.clone()) {
                    2.0
                } else {
                    1.0
                };
            }
            describe_all(&mut sync, &plan, &list, now);
        }
        let rate = calls / 3600.0;
        assert!(rate <= 0.4 + BURST_CALLS / 3600.0, "{rate} calls/s");
        assert!(
            described.len() > 200,
            "{} described in an hour",
            described.len()
        );
    }
}
