//! Load runs in the console, through `update` only: the `b` dialog and its confirm, starting,
//! live progress, stopping with partial results, `:runs`, saving, read-only refusal — and
//! snapshots of the live run panel at 80×24 and 160×45 from a fixed fake progress snapshot.

use std::collections::BTreeMap;
use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagetop::app::runs::{RunScreen, RunsAction, RunsCommand};
use sagetop::app::runs_dialog::RunPlan;
use sagetop::app::{Action, AppState, Command, update};
use sagetop::load::engine::{Progress, RunResult, StopReason};
use sagetop::load::stats::Bucket;
use sagetop::load::summary::{RatePercentiles, StreamStats};
use sagetop::load::{
    ErrorKind, LatencyStats, PayloadSource, RunParams, RunReport, StopAfter, Summary, TargetInfo,
    VariantStats,
};
use sagetop::screenshots::{FIXTURE_SEED, fixture_state};
use sagetop::theme::Theme;

const EP: &str = "recommender-ranking";

fn fixture() -> AppState {
    let mut s = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(fixture_state(FIXTURE_SEED, 0));
    let now = s.now;
    update(&mut s, Action::RunCommand(format!(":ep {EP}")), now);
    s
}

fn key(s: &mut AppState, code: KeyCode) -> Vec<Command> {
    let now = s.now;
    update(s, Action::Key(KeyEvent::new(code, KeyModifiers::NONE)), now)
}

fn typed(s: &mut AppState, text: &str) {
    for c in text.chars() {
        key(s, KeyCode::Char(c));
    }
}

fn clear_field(s: &mut AppState) {
    for _ in 0..20 {
        key(s, KeyCode::Backspace);
    }
}

fn ms(v: f64) -> Duration {
    Duration::from_secs_f64(v / 1000.0)
}

fn latency(p50: f64) -> LatencyStats {
    LatencyStats {
        fastest: ms(p50 * 0.55),
        slowest: ms(p50 * 9.0),
        average: ms(p50 * 1.1),
        stddev: ms(p50 * 0.4),
        p10: ms(p50 * 0.7),
        p25: ms(p50 * 0.85),
        p50: ms(p50),
        p75: ms(p50 * 1.2),
        p90: ms(p50 * 1.5),
        p95: ms(p50 * 1.8),
        p99: ms(p50 * 2.9),
        p999: ms(p50 * 5.0),
        p9999: ms(p50 * 8.0),
    }
}

/// A fixed mid-run snapshot: 12.5 s into a 30 s run, 90/10 split, a few model errors.
fn fake_summary() -> Summary {
    let per_second = vec![
        180, 196, 201, 199, 204, 198, 202, 200, 197, 203, 199, 201, 95,
    ];
    let counts = [
        12, 28, 120, 190, 380, 440, 350, 290, 170, 130, 90, 70, 40, 30, 18, 12, 8, 4, 3, 6,
    ];
    let histogram = counts
        .iter()
        .enumerate()
        .map(|(i, &count)| Bucket {
            upper: ms(9.0 + 1.5 * (i + 1) as f64),
            count,
        })
        .collect();
    Summary {
        elapsed: Duration::from_millis(12_500),
        requests: 2_396,
        succeeded: 2_391,
        failed: 5,
        aborted: 0,
        requests_per_sec: 191.7,
        latency: Some(latency(16.3)),
        histogram,
        per_second,
        status_codes: BTreeMap::from([(200, 2_391), (424, 5)]),
        errors: BTreeMap::from([(ErrorKind::ModelError, 5)]),
        error_samples: BTreeMap::from([(
            ErrorKind::ModelError,
            "Received server error (503) from primary with message \"upstream request timeout\""
                .into(),
        )]),
        variants: BTreeMap::from([
            (
                "Canary".to_string(),
                VariantStats {
                    requests: 241,
                    errors: 1,
                    share: 0.1006,
                    latency: Some(latency(15.7)),
                },
            ),
            (
                "Production".to_string(),
                VariantStats {
                    requests: 2_155,
                    errors: 4,
                    share: 0.8994,
                    latency: Some(latency(16.4)),
                },
            ),
        ]),
        bytes_sent: 74_276,
        bytes_received: 496_000,
        ..Summary::empty()
    }
}

/// Opens the dialog, sets c=8 and 30 s, confirms; returns the plan sent to the runtime.
fn start_run(s: &mut AppState) -> RunPlan {
    assert!(key(s, KeyCode::Char('b')).is_empty());
    assert_eq!(s.runs.screen, Some(RunScreen::Dialog));
    clear_field(s);
    typed(s, "8");
    assert!(key(s, KeyCode::Enter).is_empty());
    assert_eq!(s.runs.screen, Some(RunScreen::Confirm));
    let cmds = key(s, KeyCode::Char('y'));
    match cmds.as_slice() {
        [Command::Runs(RunsCommand::Start(plan))] => (**plan).clone(),
        other => panic!("expected a start command, got {other:?}"),
    }
}

fn progress(s: &mut AppState, id: u64) {
    let now = s.now;
    let p = Progress {
        at: now,
        started: 2_404,
        summary: fake_summary(),
    };
    update(
        s,
        Action::Runs(RunsAction::Progress {
            id,
            progress: Box::new(p),
        }),
        now,
    );
}

fn report(plan: &RunPlan, s: &AppState, stop: StopReason) -> RunReport {
    RunReport {
        params: RunParams {
            target: TargetInfo {
                kind: "endpoint".into(),
                name: plan.endpoint.clone(),
                variant: plan.variant.clone(),
                demo: true,
                via: "sagemaker-runtime SDK to the simulated runtime at http://127.0.0.1:1".into(),
            },
            spec: plan.spec.clone(),
            payload: plan.payload.clone(),
            payload_count: 1,
            shuffle_seed: None,
            content_type: plan.content_type.clone(),
            accept: None,
        },
        result: RunResult {
            started_at: s.now,
            finished_at: s.now,
            stop,
            summary: fake_summary(),
            in_flight: Default::default(),
            open_loop: None,
            threads: 2,
        },
    }
}

#[test]
fn b_opens_a_dialog_that_starts_a_run_after_the_confirm() {
    let mut s = fixture();
    let plan = start_run(&mut s);
    assert_eq!(plan.endpoint, EP);
    assert_eq!(plan.spec.concurrency, 8);
    assert_eq!(plan.spec.stop, StopAfter::Duration(Duration::from_secs(30)));
    assert_eq!(plan.spec.rate, None);
    assert_eq!(
        plan.payload,
        PayloadSource::DemoSample,
        "demo runs need no payload file"
    );
    assert!(plan.demo);
    assert_eq!(s.runs.screen, Some(RunScreen::Panel { id: plan.id }));
    assert!(s.runs.active.is_some());
    // `b` again while it runs shows the run instead of a second dialog.
    key(&mut s, KeyCode::Esc);
    assert!(key(&mut s, KeyCode::Char('b')).len() <= 1);
}

#[test]
fn the_dialog_validates_and_esc_cancels() {
    let mut s = fixture();
    key(&mut s, KeyCode::Char('b'));
    clear_field(&mut s);
    typed(&mut s, "0");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.runs.screen, Some(RunScreen::Dialog));
    let err = s.runs.dialog.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("at least 1"), "{err}");
    clear_field(&mut s);
    typed(&mut s, "4");
    key(&mut s, KeyCode::Tab); // duration
    key(&mut s, KeyCode::Tab); // requests
    typed(&mut s, "500");
    key(&mut s, KeyCode::Enter);
    let err = s.runs.dialog.as_ref().unwrap().error.clone().unwrap();
    assert!(err.contains("not both"), "{err}");
    key(&mut s, KeyCode::Up); // back to duration
    clear_field(&mut s);
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab); // rate
    typed(&mut s, "50");
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::Tab); // variant chooser
    key(&mut s, KeyCode::Right);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.runs.screen, Some(RunScreen::Confirm));
    let plan = s.runs.dialog.as_ref().unwrap().plan.clone().unwrap();
    assert_eq!(plan.spec.stop, StopAfter::Requests(500));
    assert_eq!(plan.spec.rate, Some(50.0));
    assert_eq!(
        plan.variant.as_deref(),
        Some("Production"),
        "the first variant after by-weight"
    );
    key(&mut s, KeyCode::Char('n'));
    assert_eq!(s.runs.screen, Some(RunScreen::Dialog));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.runs.screen, None);
    assert!(s.runs.active.is_none());
}

#[test]
fn stopping_keeps_the_partial_results_and_runs_lists_them() {
    let mut s = fixture();
    let plan = start_run(&mut s);
    progress(&mut s, plan.id);
    assert_eq!(
        s.runs
            .active
            .as_ref()
            .unwrap()
            .progress
            .as_ref()
            .unwrap()
            .summary
            .requests,
        2_396
    );
    let cmds = key(&mut s, KeyCode::Char('x'));
    assert_eq!(cmds, vec![Command::Runs(RunsCommand::Stop(plan.id))]);
    assert!(s.runs.active.as_ref().unwrap().stopping);
    assert!(
        key(&mut s, KeyCode::Esc).is_empty(),
        "a second stop sends nothing"
    );
    let now = s.now;
    let r = report(&plan, &s, StopReason::Stopped);
    update(
        &mut s,
        Action::Runs(RunsAction::Finished {
            id: plan.id,
            report: Box::new(r),
        }),
        now,
    );
    assert!(s.runs.active.is_none());
    let rec = s.runs.record(plan.id).expect("the stopped run is kept");
    assert_eq!(rec.report.result.summary.requests, 2_396);
    assert_eq!(s.runs.screen, Some(RunScreen::Panel { id: plan.id }));
    // The decomposition view gets the client latency of each invoked variant.
    let c = &s.client_latency[&(EP.to_string(), "Canary".to_string())];
    assert_eq!(c.requests, 241);
    assert!((c.avg_ms - 15.7 * 1.1).abs() < 0.01, "{}", c.avg_ms);
    assert!(s.notice.as_ref().unwrap().text.contains("stopped early"));

    // Saving the shown run, then :runs lists it and enter re-opens it.
    let cmds = key(&mut s, KeyCode::Char('s'));
    let [Command::Runs(RunsCommand::Save { path, contents })] = cmds.as_slice() else {
        panic!("expected a save command, got {cmds:?}");
    };
    assert!(
        path.to_string_lossy()
            .starts_with("sagetop-run-1-recommender-ranking-")
    );
    let j: serde_json::Value = serde_json::from_str(contents).unwrap();
    assert_eq!(j["run"]["stopReason"], serde_json::json!("stopped"));
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.runs.screen, None);
    update(&mut s, Action::RunCommand(":runs".into()), now);
    assert_eq!(s.runs.screen, Some(RunScreen::List));
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.runs.screen, Some(RunScreen::Panel { id: plan.id }));
    let cmds = update(
        &mut s,
        Action::RunCommand(":save /tmp/run.json".into()),
        now,
    );
    assert!(matches!(
        cmds.as_slice(),
        [Command::Runs(RunsCommand::Save { path, .. })] if path.to_str() == Some("/tmp/run.json")
    ));
}

#[test]
fn read_only_refuses_load_runs_and_failures_close_the_panel() {
    let mut s = fixture();
    s.session.read_only = true;
    key(&mut s, KeyCode::Char('b'));
    assert_eq!(s.runs.screen, None);
    assert!(s.notice.as_ref().unwrap().text.contains("read-only"));

    let mut s = fixture();
    let plan = start_run(&mut s);
    let now = s.now;
    update(
        &mut s,
        Action::Runs(RunsAction::Failed {
            id: plan.id,
            message: "cannot read payload file x.csv".into(),
        }),
        now,
    );
    assert!(s.runs.active.is_none());
    assert_eq!(s.runs.screen, None);
    assert!(s.notice.as_ref().unwrap().text.contains("x.csv"));
}

fn screen(s: &AppState, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut s = s.clone();
    let now = s.now;
    update(&mut s, Action::Resize(w, h), now);
    s.notice = None;
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| sagetop::ui::render(f, &s, &Theme::default_theme()))
        .unwrap();
    t
}

fn live_panel() -> AppState {
    let mut s = fixture();
    let plan = start_run(&mut s);
    progress(&mut s, plan.id);
    s
}

#[test]
fn live_run_panel_80x24() {
    insta::assert_snapshot!(screen(&live_panel(), 80, 24).backend());
}

#[test]
fn live_run_panel_160x45() {
    insta::assert_snapshot!(screen(&live_panel(), 160, 45).backend());
}

fn text_of(t: &Terminal<TestBackend>) -> Vec<String> {
    let buf = t.backend().buffer();
    (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect()
}

/// A streaming run: the dialog's answers switch, then a snapshot whose streams took 180 ms to
/// the first chunk (p50) and 2.4 s in all, at 42 chunks/s.
fn live_stream_panel() -> AppState {
    let mut s = fixture();
    assert!(key(&mut s, KeyCode::Char('b')).is_empty());
    clear_field(&mut s);
    typed(&mut s, "8");
    // Up from the first field wraps to the last one: the whole/streamed switch.
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Char(' '));
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let confirm = text_of(&screen(&s, 80, 24)).join("\n");
    assert!(
        confirm.contains("streamed (InvokeEndpointWithResponseStream)"),
        "{confirm}"
    );
    let plan = match key(&mut s, KeyCode::Char('y')).as_slice() {
        [Command::Runs(RunsCommand::Start(plan))] => (**plan).clone(),
        other => panic!("expected a start command, got {other:?}"),
    };
    assert!(plan.stream, "the plan asks for streamed answers");
    let mut summary = fake_summary();
    summary.stream = Some(StreamStats {
        responses: 2_391,
        chunks: 239_100,
        first_chunk: Some(latency(180.0)),
        total: Some(latency(2_400.0)),
        chunks_per_sec: Some(RatePercentiles {
            p50: 42.0,
            p90: 37.5,
            p99: 20.25,
            p999: 11.0,
        }),
    });
    let now = s.now;
    let p = Progress {
        at: now,
        started: 2_404,
        summary,
    };
    update(
        &mut s,
        Action::Runs(RunsAction::Progress {
            id: plan.id,
            progress: Box::new(p),
        }),
        now,
    );
    s
}

fn assert_stream_rows(rows: &[String]) {
    // Figures are right-aligned in their columns: compare with runs of spaces made one.
    let rows: Vec<String> = rows
        .iter()
        .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let ttfc = rows
        .iter()
        .find(|r| r.contains("TTFC"))
        .unwrap_or_else(|| panic!("no TTFC row:\n{}", rows.join("\n")));
    // latency(180): p50 180 ms, p90 1.5×, p99 2.9×.
    for want in ["p50 180.00 ms", "p90 270.00 ms", "p99 522.00 ms"] {
        assert!(ttfc.contains(want), "{want} missing from {ttfc:?}");
    }
    let total = rows
        .iter()
        .find(|r| r.contains("total ") && r.contains("chunks/s"))
        .unwrap_or_else(|| panic!("no total row:\n{}", rows.join("\n")));
    for want in [
        "p50 2.400 s",
        "p90 3.600 s",
        "p99 6.960 s",
        "chunks/s p50 42.0",
    ] {
        assert!(total.contains(want), "{want} missing from {total:?}");
    }
}

#[test]
fn live_stream_panel_80x24() {
    let t = screen(&live_stream_panel(), 80, 24);
    assert_stream_rows(&text_of(&t));
    insta::assert_snapshot!(t.backend());
}

#[test]
fn live_stream_panel_160x45() {
    let t = screen(&live_stream_panel(), 160, 45);
    let rows = text_of(&t);
    assert_stream_rows(&rows);
    let ttfc = rows.iter().find(|r| r.contains("TTFC")).unwrap();
    assert!(ttfc.contains("2391 streams, 239100 chunks"), "{ttfc:?}");
    assert!(
        rows.iter()
            .any(|r| r.contains("chunks/s p50 42.0  p90 37.5")),
        "{}",
        rows.join("\n")
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn confirm_names_the_target_and_billing() {
    let mut s = fixture();
    key(&mut s, KeyCode::Char('b'));
    key(&mut s, KeyCode::Enter);
    let t = screen(&s, 80, 24);
    let text: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(|c| c.symbol())
        .collect();
    assert!(
        text.contains("endpoint recommender-ranking in us-east-1"),
        "{text}"
    );
    assert!(text.contains("billed"), "{text}");
    assert!(text.contains("the simulated account"), "{text}");
}
