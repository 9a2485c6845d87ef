//! Owns the logs view (`l` in the endpoint detail): the tail of the endpoint's CloudWatch Logs
//! across its streams, following the newest lines (polled every few seconds, backing off on
//! errors; the next read is asked for only once the last one answered), paused (no reads, no
//! scrolling), filtered by a CloudWatch filter pattern (applied by the service), narrowed to
//! one variant or one instance, and the pure decisions behind all of it.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use super::action::{Action, Command};
use super::state::{AppState, InputKind, InputLine, Overlay, View};
use crate::boundary::BackendError;
use crate::domain::*;
use crate::logs_tail::{LogsFetched, LogsRequest};

/// Time between reads while following.
pub const POLL_EVERY: Duration = Duration::from_secs(5);
/// Longest wait between reads after errors.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How far back the tail starts.
pub const FIRST_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Lines kept (the oldest go first).
pub const MAX_LINES: usize = 2_000;
/// Events one read brings at most (a bigger backlog is caught up read after read).
pub const MAX_EVENTS_PER_READ: usize = 1_000;
/// The stream list is read again after this long.
pub const STREAMS_EVERY: Duration = Duration::from_secs(60);
/// Reads start this much before the newest line seen: CloudWatch Logs may make an event
/// readable a little after later ones; what was seen already is dropped by event id.
pub const OVERLAP: Duration = Duration::from_secs(5);
/// Rows of chrome around the lines (header, borders, status line, footer).
pub const CHROME_ROWS: u16 = 6;

/// What the logs view's keys and reads do.
#[derive(Debug, Clone, PartialEq)]
pub enum LogsAction {
    /// Open the view on the detail's endpoint.
    Open,
    /// Pause (no reads, no scrolling) or follow again.
    TogglePause,
    /// The next (or previous) stream choice: all, each variant, each instance.
    NextStreams,
    PrevStreams,
    /// A read answered.
    Fetched(LogsFetched),
}

/// The logs view's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogsView {
    pub endpoint: String,
    pub streams: Vec<LogStream>,
    pub choice: StreamChoice,
    /// The CloudWatch filter pattern in force (empty: every line).
    pub filter: String,
    pub lines: VecDeque<LogEvent>,
    /// Event ids seen near the newest line, with their time (duplicates of the overlap).
    seen: HashMap<String, Timestamp>,
    pub newest: Option<Timestamp>,
    /// Where the tail started.
    pub since: Option<Timestamp>,
    pub paused: bool,
    /// First line shown when scrolled back; `None` follows the newest line.
    pub scroll: Option<usize>,
    pub in_flight: bool,
    pub generation: u64,
    pub next_poll: Option<Timestamp>,
    pub failures: u32,
    pub error: Option<BackendError>,
    pub error_at: Option<Timestamp>,
    pub streams_error: Option<BackendError>,
    pub streams_at: Option<Timestamp>,
    pub last_ok: Option<Timestamp>,
    /// The last read left events for the next one (catching up).
    pub behind: bool,
}

fn dur(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or_default()
}

/// Wait before the next read after `failures` failed reads in a row: 5 s doubled per
/// failure, at most a minute (throttling included: CloudWatch Logs' quotas are per account
/// and region, and other tools share them).
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return POLL_EVERY;
    }
    let secs = POLL_EVERY.as_secs().saturating_mul(1 << failures.min(6));
    Duration::from_secs(secs).min(MAX_BACKOFF)
}

fn active(state: &AppState) -> bool {
    matches!(state.view, View::Logs)
}

/// Lines that fit on screen.
pub fn page_rows(state: &AppState) -> usize {
    state.size.1.saturating_sub(CHROME_ROWS).max(1) as usize
}

/// Index of the first line on screen.
pub fn top(view: &LogsView, rows: usize) -> usize {
    let last_top = view.lines.len().saturating_sub(rows);
    view.scroll.map_or(last_top, |s| s.min(last_top))
}

/// Handles the logs view's actions and keys; gives every other action back.
#[allow(clippy::result_large_err)]
pub fn intercept(
    state: &mut AppState,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Action> {
    let cmds = match action {
        Action::Logs(a) => on_action(state, a, now),
        a if !active(state) || matches!(state.overlay, Overlay::Help { .. }) => return Err(a),
        Action::StartFilter => {
            state.input = Some(InputLine {
                kind: InputKind::Filter,
                text: state.logs.filter.clone(),
            });
            Vec::new()
        }
        Action::Back | Action::Quit => back(state, now),
        Action::MoveDown => scroll_by(state, 1),
        Action::MoveUp => scroll_by(state, -1),
        Action::PageDown => scroll_by(state, page_rows(state) as i64),
        Action::PageUp => scroll_by(state, -(page_rows(state) as i64)),
        Action::Top => scroll_by(state, i64::MIN / 2),
        Action::Bottom => scroll_by(state, i64::MAX / 2),
        Action::Refresh => {
            state.logs.next_poll = Some(now);
            state.logs.failures = 0;
            maybe_poll(state, now)
        }
        other => return Err(other),
    };
    state.dirty = true;
    Ok(cmds)
}

fn on_action(state: &mut AppState, action: LogsAction, now: Timestamp) -> Vec<Command> {
    match action {
        LogsAction::Open => open(state, now),
        LogsAction::Fetched(f) => fetched(state, f, now),
        _ if !active(state) => Vec::new(),
        LogsAction::TogglePause => {
            let rows = page_rows(state);
            let v = &mut state.logs;
            v.paused = !v.paused;
            if v.paused {
                // Keep the position: the lines on screen stay where they are.
                v.scroll = Some(top(v, rows));
                Vec::new()
            } else {
                v.scroll = None;
                v.next_poll = Some(now);
                maybe_poll(state, now)
            }
        }
        LogsAction::NextStreams => cycle_streams(state, 1, now),
        LogsAction::PrevStreams => cycle_streams(state, -1, now),
    }
}

/// `l` in the detail: the tail of that endpoint's logs.
pub fn open(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let Some(endpoint) = state.detail_endpoint().map(str::to_string) else {
        return Vec::new();
    };
    let generation = state.logs.generation + 1;
    state.logs = LogsView {
        endpoint,
        generation,
        since: Some(now - dur(FIRST_WINDOW)),
        next_poll: Some(now),
        ..LogsView::default()
    };
    state.view = View::Logs;
    maybe_poll(state, now)
}

/// Esc: clear the filter first, then back to the detail.
fn back(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    if !state.logs.filter.is_empty() {
        state.logs.filter.clear();
        return restart(state, now);
    }
    state.view = View::Detail {
        endpoint: state.logs.endpoint.clone(),
    };
    // Whatever is still in flight is about a view that is gone.
    state.logs.generation += 1;
    Vec::new()
}

/// The logs view takes a `/` line as its filter pattern.
pub fn takes_filter(state: &AppState) -> bool {
    active(state)
}

/// Enter on the `/` line: the new filter pattern (read again from the start of the tail).
pub fn set_filter(state: &mut AppState, pattern: String, now: Timestamp) -> Vec<Command> {
    if pattern == state.logs.filter {
        return Vec::new();
    }
    state.logs.filter = pattern;
    restart(state, now)
}

/// Forgets the lines and reads again (a new filter or stream choice).
fn restart(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let v = &mut state.logs;
    v.generation += 1;
    v.lines.clear();
    v.seen.clear();
    v.newest = None;
    v.since = Some(now - dur(FIRST_WINDOW));
    v.scroll = None;
    v.paused = false;
    v.failures = 0;
    v.error = None;
    v.next_poll = Some(now);
    maybe_poll(state, now)
}

/// Stream choices: every stream, each variant, each instance (by variant, then instance).
pub fn choices(view: &LogsView) -> Vec<StreamChoice> {
    let mut streams: Vec<&LogStream> = view.streams.iter().collect();
    streams.sort_by(|a, b| (&a.variant, &a.instance).cmp(&(&b.variant, &b.instance)));
    let mut out = vec![StreamChoice::All];
    for s in &streams {
        let c = StreamChoice::Variant(s.variant.clone());
        if !s.variant.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out.extend(streams.iter().map(|s| StreamChoice::Stream(s.name.clone())));
    out
}

fn cycle_streams(state: &mut AppState, step: i64, now: Timestamp) -> Vec<Command> {
    let all = choices(&state.logs);
    let i = all
        .iter()
        .position(|c| *c == state.logs.choice)
        .unwrap_or(0) as i64;
    let n = all.len() as i64;
    let next = all[((i + step).rem_euclid(n)) as usize].clone();
    if next == state.logs.choice {
        return Vec::new();
    }
    state.logs.choice = next;
    restart(state, now)
}

fn scroll_by(state: &mut AppState, delta: i64) -> Vec<Command> {
    let rows = page_rows(state);
    let v = &mut state.logs;
    let last_top = v.lines.len().saturating_sub(rows) as i64;
    let t = (top(v, rows) as i64)
        .saturating_add(delta)
        .clamp(0, last_top);
    // Back at the bottom: follow again (unless paused, which keeps the position).
    v.scroll = if t >= last_top && !v.paused {
        None
    } else {
        Some(t as usize)
    };
    Vec::new()
}

/// Every tick: read again when following and due.
pub fn on_tick(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    let cmds = maybe_poll(state, now);
    if !cmds.is_empty() {
        state.dirty = true;
    }
    cmds
}

/// The next read, if the view is open, not paused, nothing is in flight and it is due.
fn maybe_poll(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    if !active(state) {
        return Vec::new();
    }
    let v = &mut state.logs;
    if v.paused || v.in_flight || v.next_poll.is_none_or(|t| t > now) {
        return Vec::new();
    }
    let start = match v.newest {
        Some(t) => t - dur(OVERLAP),
        None => v.since.unwrap_or(now - dur(FIRST_WINDOW)),
    };
    let streams = v.streams_at.is_none_or(|t| now - t >= dur(STREAMS_EVERY));
    v.in_flight = true;
    vec![Command::Logs(LogsRequest {
        generation: v.generation,
        streams,
        query: LogQuery {
            endpoint: v.endpoint.clone(),
            streams: v.choice.clone(),
            filter_pattern: (!v.filter.is_empty()).then(|| v.filter.clone()),
            start,
            max_events: MAX_EVENTS_PER_READ,
        },
    })]
}

fn fetched(state: &mut AppState, f: LogsFetched, now: Timestamp) -> Vec<Command> {
    let rows = page_rows(state);
    let v = &mut state.logs;
    v.in_flight = false;
    if f.generation != v.generation {
        // A read for another filter, stream choice or a closed view: only the slot frees.
        return maybe_poll(state, now);
    }
    match f.streams {
        Some(Ok(s)) => {
            v.streams = s;
            v.streams_at = Some(f.at);
            v.streams_error = None;
        }
        Some(Err(e)) => {
            v.streams_error = Some(e);
            v.streams_at = Some(f.at);
        }
        None => {}
    }
    match f.events {
        Ok(page) => {
            merge(v, page.events, rows);
            v.behind = page.truncated;
            v.failures = 0;
            v.error = None;
            v.last_ok = Some(f.at);
            let wait = if page.truncated {
                Duration::ZERO
            } else {
                POLL_EVERY
            };
            v.next_poll = Some(f.at + dur(wait));
        }
        Err(e) => {
            v.failures = v.failures.saturating_add(1);
            v.next_poll = Some(f.at + dur(backoff(v.failures)));
            v.error = Some(e);
            v.error_at = Some(f.at);
        }
    }
    maybe_poll(state, now)
}

/// Adds the events not seen yet, in time order, keeping at most [`MAX_LINES`].
fn merge(v: &mut LogsView, events: Vec<LogEvent>, rows: usize) {
    let mut out_of_order = false;
    for e in events {
        if v.seen.contains_key(&e.id) {
            continue;
        }
        if v.lines.back().is_some_and(|l| l.time > e.time) {
            out_of_order = true;
        }
        v.newest = Some(v.newest.map_or(e.time, |n| n.max(e.time)));
        v.seen.insert(e.id.clone(), e.time);
        v.lines.push_back(e);
    }
    if out_of_order {
        v.lines.make_contiguous().sort_by_key(|l| l.time);
    }
    if let Some(newest) = v.newest {
        let keep_from = newest - dur(OVERLAP) - chrono::Duration::seconds(1);
        v.seen.retain(|_, t| *t >= keep_from);
    }
    let excess = v.lines.len().saturating_sub(MAX_LINES);
    if excess > 0 {
        v.lines.drain(..excess);
        if let Some(s) = v.scroll.as_mut() {
            *s = s.saturating_sub(excess);
        }
    }
    let _ = rows;
}

/// What the view says about a failed read: what it means and what to do.
pub fn explain(err: &BackendError, endpoint: &str, retry_in: Option<i64>) -> String {
    let group = endpoint_log_group(endpoint);
    let retry = retry_in.map_or(String::new(), |s| format!(" Next try in {s} s."));
    match err {
        BackendError::NotFound { .. } => format!(
            "Log group {group} does not exist yet: CloudWatch Logs creates it when the endpoint's containers write their first line, so an endpoint still being created, or whose containers never started, has none.{retry}"
        ),
        BackendError::AccessDenied { operation, .. } => format!(
            "Access denied: grant {} on arn:aws:logs:*:*:log-group:/aws/sagemaker/Endpoints/* (the stream picker also needs logs:DescribeLogStreams).{retry}",
            operation.iam_action()
        ),
        BackendError::Throttled { .. } => {
            format!("CloudWatch Logs is throttling reads; sagetop backs off.{retry}")
        }
        other => format!("{other}. {}.{retry}", other.hint()),
    }
}
