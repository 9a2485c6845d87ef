//! The logs view (`l` in the detail): the update table for follow, pause, filter and stream
//! choice (reads never overlap, backoff on errors, stale reads dropped), and screen snapshots
//! at 80×24 and 160×45 with explicit asserts beside them.

use std::sync::Arc;
use std::time::Duration;

use sagetop::app::logs_view::{LogsAction, backoff};
use sagetop::app::{Action, AppState, Command, View, update};
use sagetop::boundary::{BackendError, Operation};
use sagetop::clock::{ManualClock, SharedClock, fixture_epoch};
use sagetop::domain::*;
use sagetop::logs_tail::{LogsRequest, read};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state, screen};
use sagetop::sim::SimAccount;

const FRAUD: &str = "fraud-detection-xgb";

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The fixture in FRAUD's detail, and a simulated account at the same instant.
fn setup() -> (AppState, Arc<SimAccount>, SharedClock) {
    let mut s = rt().block_on(fixture_state(FIXTURE_SEED, 0));
    let now = s.now;
    update(&mut s, Action::RunCommand(format!(":ep {FRAUD}")), now);
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: FRAUD.into()
        }
    );
    let clock = ManualClock::new(fixture_epoch());
    let shared: SharedClock = Arc::new(clock.clone());
    let sim = Arc::new(SimAccount::new(FIXTURE_SEED, shared.clone()));
    clock.advance((now - fixture_epoch()).to_std().unwrap());
    (s, sim, shared)
}

fn key(c: char) -> Action {
    Action::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Char(c),
    ))
}

fn reads(cmds: &[Command]) -> Vec<LogsRequest> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Logs(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// Answers one read from the account.
fn answer(s: &mut AppState, sim: &SimAccount, clock: &SharedClock, r: LogsRequest) -> Vec<Command> {
    let f = rt().block_on(read(sim, clock, r));
    let now = s.now;
    update(s, Action::Logs(LogsAction::Fetched(f)), now)
}

#[test]
fn l_opens_the_tail_and_reads_never_overlap() {
    let (mut s, sim, clock) = setup();
    let now = s.now;
    let cmds = update(&mut s, key('l'), now);
    assert_eq!(s.view, View::Logs);
    let r = reads(&cmds);
    assert_eq!(r.len(), 1, "one read at once");
    assert!(r[0].streams, "the first read lists the streams too");
    assert_eq!(r[0].query.endpoint, FRAUD);
    assert_eq!(r[0].query.start, now - chrono::Duration::minutes(10));
    // Ticks while it is in flight ask for nothing.
    for secs in [1, 3, 4] {
        let t = now + chrono::Duration::seconds(secs);
        assert!(
            reads(&update(&mut s, Action::Tick, t)).is_empty(),
            "{secs}s"
        );
    }
    let cmds = answer(&mut s, &sim, &clock, r[0].clone());
    assert!(
        reads(&cmds).is_empty(),
        "the next read waits {POLL:?}",
        POLL = Duration::from_secs(5)
    );
    assert!(!s.logs.lines.is_empty());
    assert!(!s.logs.streams.is_empty());
    assert!(s.logs.scroll.is_none(), "following");
    // Due 5 s after the answer: the next read starts just before the newest line.
    let at = s.logs.last_ok.unwrap();
    assert!(
        reads(&update(
            &mut s,
            Action::Tick,
            at + chrono::Duration::seconds(4)
        ))
        .is_empty()
    );
    let next = reads(&update(
        &mut s,
        Action::Tick,
        at + chrono::Duration::seconds(5),
    ));
    assert_eq!(next.len(), 1);
    assert!(
        !next[0].streams,
        "streams are read again only after a minute"
    );
    assert_eq!(
        next[0].query.start,
        s.logs.newest.unwrap() - chrono::Duration::seconds(5)
    );
    // The same lines again (the overlap) are not shown twice.
    let before = s.logs.lines.len();
    answer(&mut s, &sim, &clock, next[0].clone());
    assert_eq!(s.logs.lines.len(), before);
}

#[test]
fn pause_stops_reads_and_keeps_the_position_then_follow_resumes() {
    let (mut s, sim, clock) = setup();
    let now = s.now;
    let r = reads(&update(&mut s, key('l'), now));
    answer(&mut s, &sim, &clock, r[0].clone());
    update(&mut s, key('k'), now);
    let pos = s.logs.scroll;
    assert!(pos.is_some(), "scrolled back");
    update(&mut s, key(' '), now);
    assert!(s.logs.paused);
    let later = now + chrono::Duration::seconds(120);
    assert!(
        reads(&update(&mut s, Action::Tick, later)).is_empty(),
        "no reads while paused"
    );
    assert_eq!(s.logs.scroll, pos, "position kept");
    let cmds = update(&mut s, key('p'), later);
    assert!(!s.logs.paused);
    assert!(s.logs.scroll.is_none(), "following again");
    assert_eq!(reads(&cmds).len(), 1, "reads again at once");
}

#[test]
fn filter_and_stream_choice_restart_the_tail_and_drop_stale_reads() {
    let (mut s, sim, clock) = setup();
    let now = s.now;
    let first = reads(&update(&mut s, key('l'), now));
    answer(&mut s, &sim, &clock, first[0].clone());
    let due = s.logs.last_ok.unwrap() + chrono::Duration::seconds(5);
    let stale = reads(&update(&mut s, Action::Tick, due));
    assert_eq!(stale.len(), 1);
    // `/ERROR` + enter while that read is in flight.
    update(&mut s, key('/'), due);
    for c in "ERROR".chars() {
        update(&mut s, key(c), due);
    }
    let enter = Action::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Enter,
    ));
    let cmds = update(&mut s, enter, due);
    assert_eq!(s.logs.filter, "ERROR");
    assert!(s.logs.lines.is_empty(), "lines of the old filter are gone");
    assert!(reads(&cmds).is_empty(), "never two reads at once");
    // The stale answer frees the slot and is dropped; the new read carries the pattern.
    let cmds = answer(&mut s, &sim, &clock, stale[0].clone());
    assert!(s.logs.lines.is_empty());
    let r = reads(&cmds);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].query.filter_pattern.as_deref(), Some("ERROR"));
    answer(&mut s, &sim, &clock, r[0].clone());
    assert!(s.logs.lines.iter().all(|l| l.message.contains("ERROR")));
    // Esc clears the filter first, then goes back to the detail.
    let esc = Action::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Esc,
    ));
    update(&mut s, esc.clone(), due);
    assert_eq!(s.logs.filter, "");
    assert_eq!(s.view, View::Logs);

    // Stream choice: all → the variant → each instance.
    let t = due + chrono::Duration::seconds(1);
    let mut s2 = s.clone();
    s2.logs.in_flight = false;
    let r = reads(&update(&mut s2, key('s'), t));
    assert_eq!(s2.logs.choice, StreamChoice::Variant("AllTraffic".into()));
    assert_eq!(
        r[0].query.streams,
        StreamChoice::Variant("AllTraffic".into())
    );
    s2.logs.in_flight = false;
    let r = reads(&update(&mut s2, key('s'), t));
    let StreamChoice::Stream(name) = &r[0].query.streams else {
        panic!("{:?}", r[0].query.streams)
    };
    assert!(name.starts_with("AllTraffic/i-0"));
    update(&mut s, esc, due);
    assert_eq!(
        s.view,
        View::Detail {
            endpoint: FRAUD.into()
        }
    );
}

#[test]
fn errors_back_off_and_are_explained() {
    let (mut s, _sim, _clock) = setup();
    let now = s.now;
    let r = reads(&update(&mut s, key('l'), now));
    let fail = |e: BackendError, generation: u64, at| {
        Action::Logs(LogsAction::Fetched(sagetop::logs_tail::LogsFetched {
            generation,
            at,
            streams: None,
            events: Err(e),
        }))
    };
    let throttled = BackendError::Throttled {
        operation: Operation::FilterLogEvents,
        message: "Rate exceeded".into(),
    };
    update(&mut s, fail(throttled.clone(), r[0].generation, now), now);
    assert_eq!(s.logs.next_poll, Some(now + chrono::Duration::seconds(10)));
    assert!(
        reads(&update(
            &mut s,
            Action::Tick,
            now + chrono::Duration::seconds(9)
        ))
        .is_empty()
    );
    assert_eq!(backoff(1), Duration::from_secs(10));
    assert_eq!(backoff(2), Duration::from_secs(20));
    assert_eq!(backoff(9), Duration::from_secs(60));
    let denied = BackendError::AccessDenied {
        operation: Operation::FilterLogEvents,
        message: "not authorized".into(),
    };
    let text = sagetop::app::logs_view::explain(&denied, FRAUD, Some(10));
    assert!(text.contains("logs:FilterLogEvents"), "{text}");
    assert!(text.contains("logs:DescribeLogStreams"), "{text}");
    let missing = BackendError::NotFound {
        operation: Operation::FilterLogEvents,
        resource: endpoint_log_group(FRAUD),
        message: "The specified log group does not exist.".into(),
    };
    let text = sagetop::app::logs_view::explain(&missing, FRAUD, None);
    assert!(text.contains("does not exist yet"), "{text}");
    assert!(text.contains("/aws/sagemaker/Endpoints/fraud-detection-xgb"));
}

fn logs_screen() -> AppState {
    let (mut s, sim, clock) = setup();
    let now = s.now;
    let r = reads(&update(&mut s, key('l'), now));
    answer(&mut s, &sim, &clock, r[0].clone());
    let later = now + chrono::Duration::seconds(3);
    update(&mut s, Action::Tick, later);
    s
}

#[test]
fn logs_80x24() {
    let s = logs_screen();
    let t = screen(&s, 80, 24);
    let text = format!("{:?}", t.backend());
    assert!(
        text.contains("logs fraud-detection-xgb"),
        "title names the endpoint"
    );
    assert!(text.contains("following"), "follow state shown");
    assert!(text.contains("updated 3s ago"), "staleness shown");
    assert!(text.contains("AllTraffic"), "variant per line");
    assert!(text.contains("POST /invocations"), "request lines");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn logs_160x45_paused_with_error() {
    let mut s = logs_screen();
    let now = s.now;
    update(&mut s, key('p'), now);
    s.logs.error = Some(BackendError::AccessDenied {
        operation: Operation::FilterLogEvents,
        message: "not authorized".into(),
    });
    let t = screen(&s, 160, 45);
    let text = format!("{:?}", t.backend());
    assert!(text.contains("PAUSED"));
    assert!(text.contains("stale: last good read 3s ago"));
    assert!(
        text.contains("logs:FilterLogEvents"),
        "the missing IAM action"
    );
    assert!(text.contains("i-0"), "instance per line at full width");
    insta::assert_snapshot!(t.backend());
}
