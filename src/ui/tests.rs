//! UI unit tests on a hand-built state: no panics at any size, degradation at 80×24,
//! staleness, empty states, help and input lines.

use std::time::Duration;

use chrono::Duration as Age;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::action::{AutoscalingData, EndpointsData, MetricsData, VariantMetrics};
use crate::app::state::SessionInfo;
use crate::app::{Action, InputKind, InputLine, Panel, PanelData, Polled, update};
use crate::boundary::{BackendError, Operation};
use crate::clock::fixture_epoch;
use crate::domain::*;

fn variant(name: &str, ty: Option<&str>, cur: u32, des: u32, w: f64) -> Variant {
    Variant {
        name: name.into(),
        model_name: Some(format!("{name}-model")),
        instance_type: ty.map(Into::into),
        current_instance_count: ty.map(|_| cur),
        desired_instance_count: ty.map(|_| des),
        current_weight: Some(w),
        desired_weight: Some(w),
        serverless: if ty.is_none() {
            Some(ServerlessConfig {
                memory_size_mb: 2048,
                max_concurrency: 20,
            })
        } else {
            None
        },
        statuses: Vec::new(),
    }
}

fn endpoint(name: &str, status: EndpointStatus, variants: Vec<Variant>) -> Endpoint {
    let t0 = fixture_epoch();
    Endpoint {
        name: name.into(),
        arn: format!("arn:aws:sagemaker:us-east-1:123456789012:endpoint/{name}"),
        status,
        failure_reason: (status == EndpointStatus::Failed)
            .then(|| "The primary container for production variant AllTraffic did not pass the ping health check. Please check CloudWatch logs for this endpoint.".into()),
        creation_time: t0 - Age::days(20),
        last_modified_time: t0 - Age::minutes(42),
        config_name: format!("{name}-config"),
        shadow_variants: Vec::new(),
        pending: None,
        variants,
    }
}

fn metrics(at: Timestamp, inv: f64, lat: f64, e5: f64, cpu: f64, gpu: bool) -> VariantMetrics {
    VariantMetrics {
        at: Some(at),
        invocations_per_min: Some(inv),
        invocations_per_instance: Some(inv / 2.0),
        model_latency_ms: Some(lat),
        model_latency_p99_ms: Some(lat * 3.0),
        overhead_latency_ms: Some(1.4),
        errors_4xx: Some(3.0),
        errors_5xx: Some(e5),
        cpu: Some(cpu),
        memory: Some(61.0),
        disk: Some(12.0),
        gpu: gpu.then_some(73.0),
        gpu_memory: gpu.then_some(55.0),
        failed: Vec::new(),
    }
}

/// A small fleet covering every status style, serverless, GPU and a two-variant split.
pub fn fixture_state(extra: usize) -> AppState {
    let now = fixture_epoch() + Age::minutes(10);
    let session = SessionInfo {
        profile: Some("prod-ops".into()),
        region: Some("us-east-1".into()),
        demo: false,
        read_only: true,
    };
    let mut state = AppState::new(session, now);
    let mut eps = vec![
        endpoint(
            "fraud-detector-xgb-prod",
            EndpointStatus::InService,
            vec![
                variant("blue", Some("ml.c5.xlarge"), 2, 2, 9.0),
                variant("green", Some("ml.c5.xlarge"), 1, 1, 1.0),
            ],
        ),
        endpoint(
            "llm-chat-g5-canary-with-a-very-long-name",
            EndpointStatus::Updating,
            vec![variant("AllTraffic", Some("ml.g5.12xlarge"), 2, 3, 1.0)],
        ),
        endpoint(
            "recsys-serverless",
            EndpointStatus::InService,
            vec![variant("AllTraffic", None, 0, 0, 1.0)],
        ),
        endpoint(
            "churn-model",
            EndpointStatus::Failed,
            vec![variant("AllTraffic", Some("ml.m5.large"), 0, 1, 1.0)],
        ),
        endpoint(
            "search-rerank",
            EndpointStatus::UpdateRollbackFailed,
            vec![
                variant("a", Some("ml.m5.xlarge"), 1, 1, 2.0),
                variant("b", Some("ml.m5.xlarge"), 1, 1, 1.0),
            ],
        ),
    ];
    for i in 0..extra {
        eps.push(endpoint(
            &format!("bulk-{i:04}"),
            EndpointStatus::InService,
            vec![variant("AllTraffic", Some("ml.m5.large"), 1, 1, 1.0)],
        ));
    }
    let mut latest = std::collections::BTreeMap::new();
    let at = now - Age::minutes(2);
    for e in &eps {
        for (i, v) in e.variants.iter().enumerate() {
            let gpu = v
                .instance_type
                .as_deref()
                .is_some_and(|t| t.starts_with("ml.g5"));
            let m = metrics(
                at,
                1200.0 / (i + 1) as f64,
                23.4 + i as f64,
                if e.name.starts_with("search") {
                    90.0
                } else {
                    0.0
                },
                45.0,
                gpu,
            );
            latest.insert((e.name.clone(), v.name.clone()), m);
        }
    }
    let policy = ScalingPolicy {
        name: "ipi".into(),
        policy_type: "TargetTrackingScaling".into(),
        metric: INVOCATIONS_PER_INSTANCE_METRIC.into(),
        target_value: Some(500.0),
        scale_in_cooldown: Some(Duration::from_secs(600)),
        scale_out_cooldown: Some(Duration::from_secs(60)),
        disable_scale_in: false,
    };
    let mut autoscaling = AutoscalingData::default();
    autoscaling.config.insert(
        "fraud-detector-xgb-prod".into(),
        vec![VariantAutoscaling {
            variant: "blue".into(),
            target: Some(ScalableTarget {
                endpoint: "fraud-detector-xgb-prod".into(),
                variant: "blue".into(),
                min_capacity: 1,
                max_capacity: 4,
            }),
            policies: vec![policy],
        }],
    );
    autoscaling.activities.insert(
        "fraud-detector-xgb-prod".into(),
        vec![ScalingActivity {
            id: "a1".into(),
            endpoint: "fraud-detector-xgb-prod".into(),
            variant: "blue".into(),
            start_time: now - Age::minutes(7),
            end_time: Some(now - Age::minutes(5)),
            description: "Setting desired instance count to 2.".into(),
            cause: "monitor alarm TargetTracking-endpoint/fraud-detector-xgb-prod/variant/blue-AlarmHigh in state ALARM triggered policy ipi".into(),
            status: ActivityStatus::Successful,
            status_message: None,
        }],
    );
    let identity = Identity {
        account: "123456789012".into(),
        arn: "arn:aws:sts::123456789012:assumed-role/ops/me".into(),
        profile: Some("prod-ops".into()),
        region: "us-east-1".into(),
        demo: false,
    };
    for data in [
        PanelData::Identity(identity),
        PanelData::Endpoints(EndpointsData {
            endpoints: eps,
            failed: Default::default(),
            ..Default::default()
        }),
        PanelData::Metrics(MetricsData {
            latest,
            series: Vec::new(),
            ..Default::default()
        }),
        PanelData::Autoscaling(autoscaling),
    ] {
        let panel = data.panel();
        update(
            &mut state,
            Action::Polled(Polled {
                panel,
                at: now - Age::seconds(4),
                result: Ok(data),
                retry_in: None,
            }),
            now,
        );
    }
    state
}

fn draw(state: &AppState, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, state, &Theme::default_theme()))
        .unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            (0..w)
                .map(|x| buf[(x, y)].symbol().to_string())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn throttle_metrics(state: &mut AppState) {
    let now = state.now;
    let err = BackendError::Throttled {
        operation: Operation::GetMetricData,
        message: "Rate exceeded".into(),
    };
    update(
        state,
        Action::Polled(Polled {
            panel: Panel::Metrics,
            at: now,
            result: Err(err),
            retry_in: Some(Duration::from_secs(8)),
        }),
        now,
    );
}

#[test]
fn never_panics_at_any_size() {
    let mut states = vec![
        fixture_state(30),
        AppState::new(SessionInfo::default(), fixture_epoch()),
    ];
    let mut detail = fixture_state(0);
    detail.view = View::Detail {
        endpoint: "fraud-detector-xgb-prod".into(),
    };
    states.push(detail.clone());
    detail.overlay = Overlay::Help { scroll: 400 };
    states.push(detail);
    let mut typing = fixture_state(3);
    typing.input = Some(InputLine {
        kind: InputKind::Command,
        text: "sort cpu desc and a lot more text".repeat(4),
    });
    states.push(typing);
    for s in &states {
        for (w, h) in [
            (0, 0),
            (1, 1),
            (2, 40),
            (59, 14),
            (60, 15),
            (61, 16),
            (80, 24),
            (120, 30),
            (200, 50),
            (300, 5),
            (5, 300),
        ] {
            draw(s, w, h);
        }
        for w in (0..=200).step_by(7) {
            for h in (0..=60).step_by(5) {
                draw(s, w, h);
            }
        }
    }
}

#[test]
fn too_small_says_what_it_needs() {
    let s = draw(&fixture_state(0), 50, 10);
    assert!(s.contains("terminal too small"), "{s}");
    assert!(s.contains("50×10"), "{s}");
}

#[test]
fn endpoints_fit_80_columns_and_use_200() {
    let state = fixture_state(0);
    let narrow = draw(&state, 80, 24);
    assert!(narrow.contains("NAME"));
    assert!(narrow.contains("5XX%"));
    assert!(!narrow.contains("CHANGED"), "{narrow}");
    assert!(narrow.contains("llm-chat-g5-canary"), "{narrow}");
    assert!(narrow.contains('…'), "long names truncate: {narrow}");
    assert!(narrow.contains("90/10"), "{narrow}");
    assert!(narrow.contains("67/33"), "{narrow}");
    assert!(narrow.contains("srvless"), "{narrow}");
    assert!(narrow.contains("2/3"), "{narrow}");
    assert!(
        narrow.contains("RO") || narrow.contains("read-only"),
        "{narrow}"
    );
    for line in narrow.lines() {
        assert!(line.chars().count() <= 80);
    }
    let wide = draw(&state, 200, 50);
    assert!(wide.contains("CHANGED") && wide.contains("CPU%"), "{wide}");
    assert!(
        wide.contains("llm-chat-g5-canary-with-a-very-long-name"),
        "{wide}"
    );
    assert!(wide.contains("refreshed 4s ago"), "{wide}");
    assert!(wide.contains("profile prod-ops"), "{wide}");
}

#[test]
fn selection_stays_visible_with_many_rows() {
    let mut state = fixture_state(1000);
    let now = state.now;
    update(&mut state, Action::Bottom, now);
    let s = draw(&state, 80, 24);
    let last = state.visible_endpoints().last().unwrap().name.clone();
    assert!(s.contains(&last), "{s}");
    assert!(s.contains("1005/1005"), "{s}");
}

#[test]
fn failing_metrics_show_in_header_and_title() {
    let mut state = fixture_state(0);
    throttle_metrics(&mut state);
    let s = draw(&state, 120, 30);
    assert!(s.contains("metrics: throttled, retry in 8s"), "{s}");
    assert!(s.contains("data 10s old") || s.contains("old)"), "{s}");
}

#[test]
fn empty_states() {
    let mut state = AppState::new(
        SessionInfo {
            region: Some("eu-west-1".into()),
            ..Default::default()
        },
        fixture_epoch(),
    );
    assert!(draw(&state, 80, 24).contains("loading…"));
    let now = state.now;
    let polled = Polled {
        panel: Panel::Endpoints,
        at: now,
        result: Ok(PanelData::Endpoints(EndpointsData::default())),
        retry_in: None,
    };
    update(&mut state, Action::Polled(polled), now);
    assert!(draw(&state, 80, 24).contains("No endpoints in eu-west-1"));
    let mut state = fixture_state(0);
    state.filter = "nothing-matches".into();
    assert!(draw(&state, 80, 24).contains("No endpoints match `nothing-matches`"));
}

#[test]
fn detail_shows_variants_autoscaling_and_activities() {
    let mut state = fixture_state(0);
    state.view = View::Detail {
        endpoint: "fraud-detector-xgb-prod".into(),
    };
    for (w, h) in [(80, 24), (160, 45)] {
        let s = draw(&state, w, h);
        assert!(
            s.contains("VARIANT") && s.contains("blue") && s.contains("green"),
            "{s}"
        );
        assert!(s.contains("90%") && s.contains("10%"), "{s}");
        assert!(s.contains("not registered"), "{s}");
        assert!(s.contains("min 1 max 4"), "{s}");
        assert!(s.contains("Successful"), "{s}");
        assert!(s.contains("Setting desired instance count"), "{s}");
    }
    state.view = View::Detail {
        endpoint: "churn-model".into(),
    };
    let s = draw(&state, 80, 24);
    assert!(s.contains("failure reason: The primary container"), "{s}");
    state.view = View::Detail {
        endpoint: "gone".into(),
    };
    assert!(draw(&state, 80, 24).contains("`gone` is not in the endpoint list"));
}

#[test]
fn help_lists_keys_and_commands_and_scrolls() {
    let mut state = fixture_state(0);
    state.overlay = Overlay::Help { scroll: 0 };
    let s = draw(&state, 80, 24);
    assert!(s.contains("Everywhere") && s.contains("move down"), "{s}");
    // The commands follow the views; the dialogs and load-run screens come last.
    let text: Vec<String> = super::help::lines(&state, &Theme::default_theme(), 76)
        .iter()
        .map(|l| l.to_string())
        .collect();
    let at = |needle: &str| text.iter().position(|l| l.contains(needle));
    let (help, sort, typed) = (
        at("close help"),
        at(":sort COLUMN"),
        at("Typing a / filter"),
    );
    assert!(help.is_some() && sort > help && typed > sort, "{text:?}");
    state.overlay = Overlay::Help { scroll: 500 };
    let s = draw(&state, 80, 24);
    assert!(s.contains("Past load runs"), "{s}");
}

#[test]
fn input_line_shows_prompt_and_footer_hints() {
    let mut state = fixture_state(0);
    let s = draw(&state, 80, 24);
    assert!(s.contains("enter detail") && s.contains("/ filter"), "{s}");
    state.input = Some(InputLine {
        kind: InputKind::Filter,
        text: "fraud".into(),
    });
    let s = draw(&state, 80, 24);
    assert!(s.contains(" /fraud"), "{s}");
    assert!(s.contains("enter apply filter"), "{s}");
}

fn buffer(state: &AppState, w: u16, h: u16, theme: &Theme) -> ratatui::buffer::Buffer {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| render(f, state, theme)).unwrap();
    t.backend().buffer().clone()
}

/// Style of the first cell of the first occurrence of `needle` on screen.
fn style_of(buf: &ratatui::buffer::Buffer, needle: &str) -> ratatui::style::Style {
    let area = buf.area;
    for y in 0..area.height {
        let line: String = (0..area.width)
            .map(|x| buf[(x, y)].symbol().to_string())
            .collect();
        if let Some(byte) = line.find(needle) {
            let x = line[..byte].chars().count() as u16;
            return buf[(x, y)].style();
        }
    }
    panic!("{needle} not on screen");
}

#[test]
fn statuses_errors_and_staleness_are_styled_by_role() {
    let theme = Theme::default_theme();
    let mut state = fixture_state(0);
    let buf = buffer(&state, 120, 30, &theme);
    assert_eq!(style_of(&buf, "Failed").fg, theme.danger.fg);
    assert_eq!(style_of(&buf, "Updating").fg, theme.info.fg);
    assert_eq!(style_of(&buf, "InService").fg, theme.ok.fg);
    // search-rerank serves 10% 5XX: danger.
    assert_eq!(style_of(&buf, "10.0").fg, theme.danger.fg);
    assert_eq!(
        style_of(&buf, "1800").fg,
        theme.base.fg,
        "fresh numbers are plain"
    );

    throttle_metrics(&mut state);
    let buf = buffer(&state, 120, 30, &theme);
    assert_eq!(
        style_of(&buf, "1800").fg,
        theme.stale.fg,
        "numbers of a failing poll are stale"
    );

    let mut state = fixture_state(0);
    let now = state.now;
    let mut data = EndpointsData {
        endpoints: state.endpoints.clone(),
        failed: Default::default(),
        ..Default::default()
    };
    data.endpoints.retain(|e| e.name != "churn-model");
    data.failed.insert(
        "churn-model".into(),
        BackendError::Throttled {
            operation: Operation::DescribeEndpoint,
            message: "Rate exceeded".into(),
        },
    );
    let polled = Polled {
        panel: Panel::Endpoints,
        at: now,
        result: Ok(PanelData::Endpoints(data)),
        retry_in: None,
    };
    update(&mut state, Action::Polled(polled), now);
    let buf = buffer(&state, 120, 30, &theme);
    assert_eq!(
        style_of(&buf, "churn-model").fg,
        theme.stale.fg,
        "describe failed: the row is stale"
    );
    assert_eq!(style_of(&buf, "fraud-detector").fg, theme.base.fg);
    let text = draw(&state, 120, 30);
    assert!(text.contains("1 describe failed"), "{text}");
}

#[test]
fn old_datapoints_are_stale_even_without_a_poll_error() {
    let theme = Theme::default_theme();
    let mut state = fixture_state(0);
    let later = state.now + Age::minutes(10);
    update(&mut state, Action::Tick, later);
    let buf = buffer(&state, 120, 30, &theme);
    assert_eq!(style_of(&buf, "1800").fg, theme.stale.fg);
}

#[test]
fn mono_theme_renders_without_colour() {
    let theme = Theme::mono();
    let buf = buffer(&fixture_state(0), 80, 24, &theme);
    for cell in buf.content() {
        assert!(matches!(cell.fg, ratatui::style::Color::Reset), "{cell:?}");
        assert!(matches!(cell.bg, ratatui::style::Color::Reset), "{cell:?}");
    }
}
