//! The events view and the event JSON view: filters (`/` text, `:events ep= user= name=`,
//! Describe/List noise hidden unless toggled), selection kept on an event id, the JSON of an
//! event pretty-printed in CloudTrail's own key order, and what opening them asks to fetch.

use super::action::Command;
use super::state::{AppState, View};
use super::trail_log::{self, LookupScope};
use crate::domain::*;

/// The events view keeps paging back until it has this many rows to show…
pub const FILL_ROWS: usize = 30;
/// …fetching at most this many pages by itself (50 events each, 2 a second).
pub const FILL_PAGES: usize = 20;

/// What the events view shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCriteria {
    /// Events naming this endpoint (paged with CloudTrail's ResourceName lookup).
    pub endpoint: Option<String>,
    /// Substring of the principal (user, role session, service).
    pub user: Option<String>,
    /// Substring of the event name.
    pub name: Option<String>,
    /// The `/` filter: substring of name, principal, source IP, resources or error.
    pub text: String,
    /// Show read-only Describe/List/Get calls too.
    pub show_reads: bool,
}

/// Read-only calls (CloudTrail's readOnly flag, or a Describe/List/Get/Search name).
pub fn is_read_noise(ev: &TrailEvent) -> bool {
    ev.read_only
        || ["Describe", "List", "Get", "Search"]
            .iter()
            .any(|p| ev.name.starts_with(p))
}

fn contains(hay: &str, needle: &str) -> bool {
    hay.to_lowercase().contains(&needle.to_lowercase())
}

impl EventCriteria {
    pub fn matches(&self, ev: &TrailEvent) -> bool {
        if !self.show_reads && is_read_noise(ev) {
            return false;
        }
        if self.endpoint.as_deref().is_some_and(|ep| !ev.touches(ep)) {
            return false;
        }
        if self
            .user
            .as_deref()
            .is_some_and(|u| !contains(&ev.principal, u))
        {
            return false;
        }
        if self.name.as_deref().is_some_and(|n| !contains(&ev.name, n)) {
            return false;
        }
        let t = self.text.trim();
        t.is_empty()
            || contains(&ev.name, t)
            || contains(&ev.principal, t)
            || ev.source_ip.as_deref().is_some_and(|ip| contains(ip, t))
            || ev.resources.iter().any(|r| contains(r, t))
            || ev.error_code.as_deref().is_some_and(|c| contains(c, t))
    }

    /// The CloudTrail lookup that pages this view back fastest.
    pub fn scope(&self) -> LookupScope {
        self.endpoint.clone()
    }

    /// "ep=fraud user=dana" (empty when nothing narrows the list).
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(e) = &self.endpoint {
            parts.push(format!("ep={e}"));
        }
        if let Some(u) = &self.user {
            parts.push(format!("user={u}"));
        }
        if let Some(n) = &self.name {
            parts.push(format!("name={n}"));
        }
        if !self.text.is_empty() {
            parts.push(format!("/{}", self.text));
        }
        parts.join(" ")
    }
}

/// Parses the arguments of `:events`: `ep=NAME`, `user=NAME`, `name=NAME`, `all` (show
/// Describe/List calls); any other word filters like `/`.
pub fn parse_args(words: &[&str]) -> Result<EventCriteria, String> {
    let mut c = EventCriteria::default();
    let mut text = Vec::new();
    for w in words {
        match w.split_once('=') {
            Some((k, v)) => {
                if v.is_empty() {
                    return Err(format!("`{k}=` needs a value, e.g. {k}=fraud"));
                }
                let v = Some(v.to_string());
                match k.to_ascii_lowercase().as_str() {
                    "ep" | "endpoint" => c.endpoint = v,
                    "user" | "principal" | "by" => c.user = v,
                    "name" | "event" => c.name = v,
                    other => {
                        return Err(format!(
                            "unknown events filter `{other}=`: use ep=NAME, user=NAME or name=NAME"
                        ));
                    }
                }
            }
            None if w.eq_ignore_ascii_case("all") => c.show_reads = true,
            None => text.push(*w),
        }
    }
    c.text = text.join(" ");
    Ok(c)
}

/// One event's JSON, pretty-printed, with a scroll offset (in wrapped lines).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventJson {
    pub id: String,
    pub lines: Vec<String>,
    pub scroll: usize,
}

/// State of the events view (the list filters, selection, and where `esc` goes back to).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsView {
    pub criteria: EventCriteria,
    /// Id of the selected event (stable while new events arrive on top).
    pub selected: Option<String>,
    pub back_to: Option<View>,
    pub json: Option<EventJson>,
}

/// The events the view shows, newest first: with several contexts open, those of the
/// contexts `:ctx` selects, merged by time.
pub fn rows(state: &AppState) -> Vec<&TrailEvent> {
    let c = &state.events_view.criteria;
    state
        .trail
        .events
        .iter()
        .filter(|e| c.matches(e) && state.contexts.shows(&e.id))
        .collect()
}

/// The CloudTrail lookups that page the view back: the endpoint's (in its own context), or
/// each shown context's account-wide lookup (`@LABEL`), or the one account's.
pub fn scopes(state: &AppState) -> Vec<LookupScope> {
    let c = &state.events_view.criteria;
    if c.endpoint.is_some() || !state.contexts.multi() {
        return vec![c.scope()];
    }
    super::ctx_views::shown(state)
        .into_iter()
        .map(|x| Some(super::ctx_views::account_scope(&x.label)))
        .collect()
}

/// Raises every shown lookup's automatic page budget (the view opened, or `:ctx` changed
/// what it shows).
pub fn want_pages_all(state: &mut AppState) -> Vec<Command> {
    let mut cmds = Vec::new();
    for scope in scopes(state) {
        cmds.extend(trail_log::want_pages(state, scope, FILL_PAGES));
    }
    cmds
}

/// One more page of every shown lookup that has older pages (`m`, the last row).
pub fn ask_pages(state: &mut AppState) -> Vec<Command> {
    let mut cmds = Vec::new();
    for scope in scopes(state) {
        cmds.extend(trail_log::ask_page(state, scope));
    }
    cmds
}

/// Index of the selection among the rows (0 when unset or filtered out).
pub fn selected_index(state: &AppState, rows: &[&TrailEvent]) -> usize {
    state
        .events_view
        .selected
        .as_ref()
        .and_then(|id| rows.iter().position(|e| &e.id == id))
        .unwrap_or(0)
}

/// Whether the events view is open on `scope` and still has fewer rows than a screenful.
pub fn needs_rows(state: &AppState, scope: &LookupScope) -> bool {
    matches!(state.view, View::Events)
        && scopes(state).contains(scope)
        && rows(state).len() < FILL_ROWS
}

/// Opens the events view with `criteria`; `esc` returns to the current view.
pub fn open(state: &mut AppState, mut criteria: EventCriteria) -> Vec<Command> {
    if let Some(ep) = criteria.endpoint.take() {
        match resolve_endpoint(state, &ep) {
            Some(key) => criteria.endpoint = Some(key),
            // With several accounts, a name that is not one endpoint of the contexts shown
            // (the same name in two accounts) narrows every shown context's events by text.
            None if state.contexts.multi() => {
                criteria.text = [criteria.text.as_str(), ep.as_str()]
                    .iter()
                    .filter(|t| !t.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join(" ");
            }
            None => criteria.endpoint = Some(ep),
        }
    }
    let back = match &state.view {
        View::Events | View::EventJson => state.events_view.back_to.clone(),
        View::Quotas => state.quotas_view.back_to.clone(),
        other => Some(other.clone()),
    };
    state.events_view = EventsView {
        criteria,
        selected: None,
        back_to: back,
        json: None,
    };
    state.view = View::Events;
    want_pages_all(state)
}

/// An endpoint name as typed: exact, else the one endpoint (of the contexts shown) whose
/// name is it or contains it.
fn resolve_endpoint(state: &AppState, typed: &str) -> Option<String> {
    if state.endpoint(typed).is_some() {
        return Some(typed.to_string());
    }
    let shown = || {
        state
            .endpoints
            .iter()
            .filter(|e| state.contexts.shows(&e.name))
    };
    let exact: Vec<&Endpoint> = shown()
        .filter(|e| crate::boundary::context::plain(&e.name) == typed)
        .collect();
    let hits: Vec<&Endpoint> = if exact.is_empty() {
        shown().filter(|e| e.name.contains(typed)).collect()
    } else {
        exact
    };
    match hits.as_slice() {
        [one] => Some(one.name.clone()),
        _ => None,
    }
}

/// Moves the selection; reaching the last row asks for the next older page.
pub fn move_by(state: &mut AppState, delta: i64) -> Vec<Command> {
    let ids: Vec<String> = rows(state).iter().map(|e| e.id.clone()).collect();
    if ids.is_empty() {
        return Vec::new();
    }
    let cur = {
        let r = rows(state);
        selected_index(state, &r) as i64
    };
    let next = cur.saturating_add(delta).clamp(0, ids.len() as i64 - 1) as usize;
    state.events_view.selected = Some(ids[next].clone());
    if next + 1 == ids.len() {
        return ask_pages(state);
    }
    Vec::new()
}

/// `Enter`: the selected event's JSON.
pub fn open_json(state: &mut AppState) {
    let r = rows(state);
    let Some(ev) = r.get(selected_index(state, &r)).copied() else {
        return;
    };
    let json = EventJson {
        id: ev.id.clone(),
        lines: pretty_json(&ev.raw),
        scroll: 0,
    };
    state.events_view.selected = Some(json.id.clone());
    state.events_view.json = Some(json);
    state.view = View::EventJson;
}

/// The event shown in the JSON view.
pub fn json_event(state: &AppState) -> Option<&TrailEvent> {
    let id = &state.events_view.json.as_ref()?.id;
    state.trail.events.iter().find(|e| &e.id == id)
}

/// Scrolls the JSON view; `width` and `height` are what the body shows.
pub fn scroll_json(state: &mut AppState, delta: i64) {
    let (w, h) = json_body_size(state.size);
    let Some(j) = state.events_view.json.as_mut() else {
        return;
    };
    let total = wrap_lines(&j.lines, w).len();
    let max = total.saturating_sub(h) as i64;
    j.scroll = (j.scroll as i64).saturating_add(delta).clamp(0, max) as usize;
}

/// Width and height of the JSON body for a terminal of `size` (header, title rule, footer).
pub fn json_body_size(size: (u16, u16)) -> (usize, usize) {
    (
        size.0.saturating_sub(1).max(10) as usize,
        size.1.saturating_sub(3).max(1) as usize,
    )
}

/// `esc`: JSON → list; list → where the events view was opened from (a set `/` filter is
/// cleared first).
pub fn back(state: &mut AppState) -> Vec<Command> {
    match state.view {
        View::EventJson => {
            state.events_view.json = None;
            state.view = View::Events;
            Vec::new()
        }
        _ if !state.events_view.criteria.text.is_empty() => {
            state.events_view.criteria.text.clear();
            Vec::new()
        }
        _ => {
            let to = state.events_view.back_to.take().unwrap_or(View::Endpoints);
            let leaving_detail = !matches!(to, View::Detail { .. });
            state.view = to;
            if leaving_detail {
                vec![Command::Watch(None)]
            } else {
                Vec::new()
            }
        }
    }
}

/// Shows or hides the Describe/List noise.
pub fn toggle_reads(state: &mut AppState) -> Vec<Command> {
    let c = &mut state.events_view.criteria;
    c.show_reads = !c.show_reads;
    let reads = c.show_reads;
    let mut cmds = Vec::new();
    for scope in scopes(state) {
        let asked = trail_log::want_pages(state, scope.clone(), FILL_PAGES);
        // The polled events are writes only: showing reads needs at least their newest page.
        if reads && asked.is_empty() {
            cmds.extend(trail_log::ask_page(state, scope));
        } else {
            cmds.extend(asked);
        }
    }
    cmds
}

/// Sets the `/` text filter of the events view.
pub fn set_text(state: &mut AppState, text: String) -> Vec<Command> {
    state.events_view.criteria.text = text;
    let mut cmds = Vec::new();
    for scope in scopes(state) {
        cmds.extend(trail_log::pump(state, &scope));
    }
    cmds
}

/// Re-indents compact JSON (two spaces) keeping the document's key order; text that is not
/// JSON is returned line by line as it is.
pub fn pretty_json(raw: &str) -> Vec<String> {
    if serde_json::from_str::<serde_json::Value>(raw).is_err() {
        return raw.lines().map(str::to_string).collect();
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0usize;
    let (mut in_str, mut escaped) = (false, false);
    let chars: Vec<char> = raw.chars().collect();
    let newline = |out: &mut Vec<String>, cur: &mut String, depth: usize| {
        out.push(std::mem::take(cur));
        cur.push_str(&"  ".repeat(depth));
    };
    let mut i = 0;
    while i < chars.len() {
        let ch = chars[i];
        if in_str {
            cur.push(ch);
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match ch {
            '"' => {
                in_str = true;
                cur.push(ch);
            }
            '{' | '[' => {
                let close = if ch == '{' { '}' } else { ']' };
                let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
                if next == Some(&close) {
                    cur.push(ch);
                    cur.push(close);
                    i += chars[i + 1..].iter().position(|c| *c == close).unwrap_or(0) + 1;
                } else {
                    cur.push(ch);
                    depth += 1;
                    newline(&mut out, &mut cur, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, &mut cur, depth);
                cur.push(ch);
            }
            ',' => {
                cur.push(ch);
                newline(&mut out, &mut cur, depth);
            }
            ':' => cur.push_str(": "),
            c if c.is_whitespace() => {}
            c => cur.push(c),
        }
        i += 1;
    }
    if !cur.trim().is_empty() {
        out.push(cur);
    }
    out
}

/// Wraps lines to `width` cells; continuation lines keep the indentation plus two spaces.
pub fn wrap_lines(lines: &[String], width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for l in lines {
        let chars: Vec<char> = l.chars().collect();
        if chars.len() <= width {
            out.push(l.clone());
            continue;
        }
        let indent = (chars.iter().take_while(|c| **c == ' ').count() + 2).min(width / 2);
        out.push(chars[..width].iter().collect());
        let mut rest = &chars[width..];
        let room = width - indent;
        while !rest.is_empty() {
            let n = rest.len().min(room);
            out.push(format!(
                "{}{}",
                " ".repeat(indent),
                rest[..n].iter().collect::<String>()
            ));
            rest = &rest[n..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(name: &str, principal: &str, read_only: bool, resources: &[&str]) -> TrailEvent {
        TrailEvent {
            id: format!("{name}-{principal}"),
            time: crate::clock::fixture_epoch(),
            name: name.into(),
            principal: principal.into(),
            source_ip: Some("198.51.100.12".into()),
            resources: resources.iter().map(|s| s.to_string()).collect(),
            error_code: None,
            error_message: None,
            read_only,
            raw: "{}".into(),
        }
    }

    #[test]
    fn filters_by_endpoint_user_name_text_and_hide_reads() {
        let weights = ev(
            "UpdateEndpointWeightsAndCapacities",
            "application-autoscaling.amazonaws.com",
            false,
            &["fraud-detection-xgb"],
        );
        let update = ev(
            "UpdateEndpoint",
            "MLPlatformAdmin/dana.kim",
            false,
            &["churn-predictor"],
        );
        let describe = ev(
            "DescribeEndpoint",
            "DataScientist/maria.garcia",
            true,
            &["fraud-detection-xgb"],
        );
        // A List call without the readOnly flag is still noise.
        let list = ev("ListEndpoints", "grafana/x", false, &[]);
        let all = [&weights, &update, &describe, &list];
        let pick = |c: &EventCriteria| -> Vec<&str> {
            all.iter()
                .filter(|e| c.matches(e))
                .map(|e| e.name.as_str())
                .collect()
        };
        let c = EventCriteria::default();
        assert_eq!(
            pick(&c),
            ["UpdateEndpointWeightsAndCapacities", "UpdateEndpoint"]
        );
        let c = EventCriteria {
            show_reads: true,
            ..c
        };
        assert_eq!(pick(&c).len(), 4);
        let c = parse_args(&["ep=fraud-detection-xgb", "all"]).unwrap();
        assert_eq!(
            pick(&c),
            ["UpdateEndpointWeightsAndCapacities", "DescribeEndpoint"]
        );
        let c = parse_args(&["user=DANA"]).unwrap();
        assert_eq!(pick(&c), ["UpdateEndpoint"]);
        let c = parse_args(&["name=weights"]).unwrap();
        assert_eq!(pick(&c), ["UpdateEndpointWeightsAndCapacities"]);
        let c = parse_args(&["churn"]).unwrap();
        assert_eq!(pick(&c), ["UpdateEndpoint"]);
        assert_eq!(c.describe(), "/churn");
        assert!(
            parse_args(&["host=x"])
                .unwrap_err()
                .contains("unknown events filter")
        );
        assert!(parse_args(&["ep="]).unwrap_err().contains("needs a value"));
    }

    #[test]
    fn json_is_indented_in_document_order() {
        let lines =
            pretty_json(r#"{"eventVersion":"1.09","b":{"x":[1,2],"e":{}},"s":"a,{b}:\"c\""}"#);
        assert_eq!(
            lines,
            [
                "{",
                r#"  "eventVersion": "1.09","#,
                r#"  "b": {"#,
                r#"    "x": ["#,
                "      1,",
                "      2",
                "    ],",
                r#"    "e": {}"#,
                "  },",
                r#"  "s": "a,{b}:\"c\"""#,
                "}",
            ]
        );
        assert_eq!(pretty_json("not json"), ["not json"]);
        let wrapped = wrap_lines(&["    abcdefghijklmnop".to_string()], 10);
        assert_eq!(wrapped, ["    abcdef", "     ghijk", "     lmnop"]);
    }
}
