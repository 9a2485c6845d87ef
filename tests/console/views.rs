//! The charts, events, event JSON and quotas views on the simulated account (seed 7, manual
//! clock at the fixture epoch + 10 minutes): screen snapshots at 80×24 and 160×45, and what
//! `update` asks the runtime to fetch. Commands are run by a small in-test runtime against the
//! same `SimAccount`, so paging and chart polls go through the real code paths.

use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use sagetop::app::charts::{ChartWindow, ClientLatency};
use sagetop::app::{Action, Command, Panel, Polled, View, update};
use sagetop::boundary::{BackendError, Operation};
use sagetop::clock::Clock;
use sagetop::screenshots::{FIXTURE_SEED, Fixture, two_variant_endpoint};
use sagetop::theme::Theme;

type Fx = Fixture;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// The fixture of the screenshots, keeping the simulated account to run commands against.
async fn fixture() -> Fx {
    Fixture::new(FIXTURE_SEED, 0).await
}

use sagetop::screenshots::screen;

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let mut s = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            s.push_str(buf[(x, y)].symbol());
        }
        s.push('\n');
    }
    s
}

/// The detail of the two-variant endpoint with its charts over `window`.
async fn detail_with_charts(window: &str) -> Fx {
    let mut fx = fixture().await;
    let name = two_variant_endpoint(&fx.state).unwrap();
    fx.command(&format!(":ep {name}")).await;
    fx.command(&format!(":window {window}")).await;
    fx.settle();
    fx
}

#[test]
fn detail_charts_with_markers_160x45() {
    let fx = rt().block_on(detail_with_charts("7d"));
    let t = screen(&fx.state, 160, 45);
    let s = text(&t);
    // The scaling episode three days ago and the UpdateEndpoint 20 hours ago are on the axis.
    assert!(s.contains("A autoscaling"), "{s}");
    assert!(s.contains("U UpdateEndpoint"), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn detail_charts_with_markers_80x24() {
    let fx = rt().block_on(detail_with_charts("24h"));
    let t = screen(&fx.state, 80, 24);
    let s = text(&t);
    assert!(s.contains("24h window"), "{s}");
    assert!(s.contains('U'), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn plain_dots_replace_braille_when_asked() {
    let braille = |s: &str| s.chars().any(|c| ('\u{2800}'..='\u{28FF}').contains(&c));
    let mut fx = rt().block_on(detail_with_charts("1h"));
    let s = text(&screen(&fx.state, 160, 45));
    assert!(braille(&s), "braille by default:\n{s}");
    fx.state.braille = false;
    let s = text(&screen(&fx.state, 160, 45));
    assert!(!braille(&s), "no braille with --no-braille:\n{s}");
    assert!(s.contains('•'), "plain dots instead:\n{s}");
}

#[test]
fn window_key_relabels_and_repolls_the_charts() {
    rt().block_on(async {
        let mut fx = detail_with_charts("1h").await;
        let cmds = update(&mut fx.state, Action::CycleWindow, fx.clock.now());
        assert_eq!(cmds[0], Command::ChartWindow(ChartWindow::H3));
        let s = text(&screen(&fx.state, 80, 24));
        assert!(s.contains("3h window"), "{s}");
        assert!(s.contains("loading, showing 1h"), "{s}");
        fx.run(cmds).await;
        let data = fx.state.charts.as_ref().unwrap();
        assert_eq!(data.window, ChartWindow::H3);
        assert_eq!((data.end - data.start).num_hours(), 3);
    });
}

#[test]
fn latency_decomposition_uses_the_last_load_run() {
    let mut fx = rt().block_on(detail_with_charts("1h"));
    let name = fx.state.detail_endpoint().unwrap().to_string();
    let s = text(&screen(&fx.state, 160, 45));
    assert!(s.contains("–/no load run yet"), "{s}");
    let variant = fx.state.endpoint(&name).unwrap().variants[0].name.clone();
    let m = fx.state.variant_metrics(&name, &variant).unwrap().clone();
    let model = m.model_latency_ms.unwrap();
    let overhead = m.overhead_latency_ms.unwrap();
    fx.state.client_latency.insert(
        (name, variant),
        ClientLatency {
            avg_ms: model + overhead + 12.0,
            p99_ms: None,
            requests: 500,
            at: fx.state.now - chrono::Duration::minutes(3),
        },
    );
    let s = text(&screen(&fx.state, 160, 45));
    assert!(s.contains("+ network 12 ms"), "{s}");
    assert!(s.contains("load run 3m ago, 500 requests"), "{s}");
}

#[test]
fn a_failing_charts_poll_says_so_in_its_section() {
    let mut fx = rt().block_on(detail_with_charts("1h"));
    let at = fx.state.now + chrono::Duration::seconds(30);
    let polled = Polled {
        panel: Panel::Charts,
        at,
        result: Err(BackendError::Throttled {
            operation: Operation::GetMetricData,
            message: "Rate exceeded".into(),
        }),
        retry_in: Some(Duration::from_secs(8)),
    };
    update(&mut fx.state, Action::Polled(polled), at);
    let s = text(&screen(&fx.state, 160, 45));
    assert!(
        s.contains("charts: throttled, retry in 8s (data 34s old)"),
        "{s}"
    );
}

async fn events_view() -> Fx {
    let mut fx = fixture().await;
    fx.act(Action::OpenEvents).await;
    fx.settle();
    fx
}

#[test]
fn events_view_80x24() {
    let fx = rt().block_on(events_view());
    assert_eq!(fx.state.view, View::Events);
    let t = screen(&fx.state, 80, 24);
    let s = text(&t);
    assert!(s.contains("UpdateEndpointWeightsAndCapacities"), "{s}");
    assert!(!s.contains("DescribeEndpoint "), "reads hidden:\n{s}");
    // The poller loads writes only (ReadOnly=false): every loaded event is a row here (two
    // are the async endpoint's autoscaling: out of zero, then to 2).
    assert!(s.contains("Events (49 of 49 loaded)"), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn events_view_160x45() {
    let fx = rt().block_on(events_view());
    insta::assert_snapshot!(screen(&fx.state, 160, 45).backend());
}

#[test]
fn events_filters_toggle_and_page_back() {
    rt().block_on(async {
        let mut fx = events_view().await;
        let writes = sagetop::app::events_view::rows(&fx.state).len();
        assert!(writes >= 5, "{writes} writes");
        fx.act(Action::ToggleReadEvents).await;
        let all = sagetop::app::events_view::rows(&fx.state);
        assert!(all.len() > writes);
        assert!(all.iter().any(|e| e.read_only));
        fx.command(":events user=dana name=Update").await;
        let rows = sagetop::app::events_view::rows(&fx.state);
        assert!(!rows.is_empty());
        assert!(
            rows.iter()
                .all(|e| e.principal.contains("dana") && e.name.contains("Update"))
        );
        assert_eq!(fx.state.events_view.criteria.user.as_deref(), Some("dana"));
    });
}

#[test]
fn older_events_are_paged_on_demand() {
    rt().block_on(async {
        let mut fx = fixture().await;
        // With Describe/List shown the polled writes fill the screen: no page by itself.
        fx.command(":events all").await;
        assert!(fx.state.trail.cursor(&None).unwrap().pages == 0);
        let before = fx.state.trail.events.len();
        assert!(
            fx.state.trail.events.iter().all(|e| !e.read_only),
            "the poller reads writes only"
        );
        // `m`: the newest page of the lookup with reads (the polled events are writes only).
        fx.act(Action::OlderEvents).await;
        assert_eq!(fx.state.trail.cursor(&None).unwrap().pages, 1);
        let after_one = fx.state.trail.events.len();
        assert!(after_one > before, "{before} → {after_one}");
        assert!(fx.state.trail.events.iter().any(|e| e.read_only));
        // So does reaching the last row: the next older page of the same lookup.
        fx.act(Action::Bottom).await;
        assert_eq!(fx.state.trail.cursor(&None).unwrap().pages, 2);
        assert!(fx.state.trail.events.len() >= after_one + 40);
    });
}

#[test]
fn events_from_the_detail_are_that_endpoints_and_esc_goes_back() {
    rt().block_on(async {
        let mut fx = fixture().await;
        fx.command(":ep fraud-detection-xgb").await;
        fx.act(Action::OpenEvents).await;
        assert_eq!(fx.state.view, View::Events);
        let rows = sagetop::app::events_view::rows(&fx.state);
        assert!(rows.len() >= 5, "{} rows", rows.len());
        assert!(rows.iter().all(|e| e.touches("fraud-detection-xgb")));
        assert!(
            rows.iter()
                .any(|e| e.name == "UpdateEndpointWeightsAndCapacities")
        );
        let cmds = update(&mut fx.state, Action::Back, fx.clock.now());
        assert!(cmds.is_empty(), "the detail stays watched: {cmds:?}");
        assert_eq!(
            fx.state.view,
            View::Detail {
                endpoint: "fraud-detection-xgb".into()
            }
        );
    });
}

async fn event_json() -> Fx {
    let mut fx = fixture().await;
    fx.command(":events ep=fraud name=Weights").await;
    fx.act(Action::MoveDown).await;
    fx.act(Action::Open).await;
    fx.settle();
    fx
}

#[test]
fn event_json_80x24() {
    let fx = rt().block_on(event_json());
    assert_eq!(fx.state.view, View::EventJson);
    let t = screen(&fx.state, 80, 24);
    let s = text(&t);
    assert!(
        s.contains("Event UpdateEndpointWeightsAndCapacities"),
        "{s}"
    );
    assert!(s.contains("\"eventVersion\": \"1.09\""), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn event_json_scrolls_to_its_end_and_back_returns_to_the_list() {
    rt().block_on(async {
        let mut fx = event_json().await;
        update(&mut fx.state, Action::Resize(80, 24), fx.clock.now());
        fx.act(Action::Bottom).await;
        let s = text(&screen(&fx.state, 80, 24));
        assert!(s.contains("\"tlsDetails\""), "{s}");
        fx.act(Action::Back).await;
        assert_eq!(fx.state.view, View::Events);
    });
}

/// Quotas with one type above 80% (the sim's ml.c5.2xlarge at 5 of 6) and one set by hand to
/// exactly its usage (100%).
async fn quotas() -> Fx {
    let mut fx = fixture().await;
    let usage = fx.state.instance_usage();
    let (itype, used) = usage
        .iter()
        .find(|(t, n)| t.as_str() == "ml.m5.xlarge" && **n > 0)
        .map(|(t, n)| (t.clone(), *n))
        .expect("fraud-detection-xgb runs on ml.m5.xlarge");
    for q in &mut fx.state.quotas {
        if q.endpoint_instance_type() == Some(itype.as_str()) {
            q.value = f64::from(used);
        }
    }
    fx.act(Action::OpenQuotas).await;
    fx.settle();
    fx
}

#[test]
fn quotas_80x24() {
    let fx = rt().block_on(quotas());
    let t = screen(&fx.state, 80, 24);
    let s = text(&t);
    assert!(s.contains("for endpoint usage"), "{s}");
    assert!(s.contains("5/6"), "{s}");
    assert!(s.contains("100%"), "{s}");
    insta::assert_snapshot!(t.backend());
}

#[test]
fn quotas_160x45() {
    let fx = rt().block_on(quotas());
    insta::assert_snapshot!(screen(&fx.state, 160, 45).backend());
}

#[test]
fn quota_roles_follow_the_80_and_100_percent_marks() {
    let fx = rt().block_on(quotas());
    let theme = Theme::default_theme();
    let t = screen(&fx.state, 120, 30);
    let buf = t.backend().buffer();
    let style_of = |needle: &str| {
        for y in 0..buf.area.height {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            if line.starts_with(needle) {
                let x = line.find('%').unwrap();
                let col = line[..x].chars().count() as u16;
                return buf[(col, y)].fg;
            }
        }
        panic!("no row for {needle}");
    };
    assert_eq!(style_of("ml.m5.xlarge"), theme.danger.fg.unwrap());
    assert_eq!(style_of("ml.c5.2xlarge"), theme.warning.fg.unwrap());
    assert_eq!(style_of("ml.m5.large "), theme.ok.fg.unwrap());
}

#[test]
fn the_detail_shows_its_instance_quotas_inline() {
    let fx = rt().block_on(detail_with_charts("1h"));
    let s = text(&screen(&fx.state, 160, 45));
    assert!(s.contains("quota ml.c5.2xlarge  5/6"), "{s}");
    assert!(s.contains("autoscaling max needs"), "{s}");
}
