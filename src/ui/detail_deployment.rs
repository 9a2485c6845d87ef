//! Owns the detail's "Deployment" section: the strategy of the endpoint's last (or running)
//! UpdateEndpoint, where a running one is (phase, time left in the bake), its rollback alarms
//! and their states, a shadow test with production vs shadow figures side by side, data
//! capture and Model Monitor schedules (last run; CompletedWithViolations flagged).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use crate::app::AppState;
use crate::app::deploy::ShadowFigures;
use crate::domain::*;
use crate::theme::Theme;

fn fig(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| format::MISSING.to_string(), |v| format!("{v:.digits$}"))
}

fn shadow_row<'a>(f: &ShadowFigures, role: &str, theme: &Theme) -> Line<'a> {
    let errs = f.errors_5xx.unwrap_or(0.0) > 0.0;
    Line::from(vec![
        Span::styled(format!("  {role:<11}"), theme.muted),
        Span::raw(format!("{:<16}", format::truncate(&f.variant, 15))),
        Span::raw(format!(" lat {:>7} ms", fig(f.model_latency_ms, 1))),
        Span::raw(format!("  inv {:>7}", fig(f.invocations, 0))),
        Span::raw(format!("  4xx {:>5}", fig(f.errors_4xx, 0))),
        Span::styled(
            format!("  5xx {:>5}", fig(f.errors_5xx, 0)),
            if errs { theme.danger } else { theme.base },
        ),
    ])
}

/// The section's lines (empty when the endpoint has none of it).
pub fn lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let now = state.now;
    let mut out: Vec<Line<'a>> = Vec::new();
    let push = |out: &mut Vec<Line<'a>>, text: String, style| {
        out.push(Line::styled(format::truncate(&text, w), style));
    };
    if let Some(err) = state.deploy.errors.get(&e.name) {
        push(
            &mut out,
            format!("deployment read failed: {err} — {}", err.hint()),
            theme.stale,
        );
    }
    let Some((_, snap)) = state.deploy.details.get(&e.name) else {
        return out;
    };
    let d = &snap.detail;
    let moving = e.pending.is_some()
        || matches!(
            e.status,
            EndpointStatus::Updating | EndpointStatus::RollingBack
        );
    if let Some(c) = &d.config {
        let strategy = c.strategy.map_or(
            "blue/green, all at once (SageMaker's default)".to_string(),
            |s| s.describe(),
        );
        let lead = if moving {
            "deploying"
        } else {
            "last deployment"
        };
        push(
            &mut out,
            format!("{lead}: {strategy}"),
            if moving { theme.warning } else { theme.muted },
        );
        if moving {
            let mut t = String::new();
            if let Some(p) = &e.pending {
                t.push_str(&format!("to {}", p.config_name));
                if let Some(s) = p.variants.iter().flat_map(|v| v.statuses.last()).next() {
                    t.push_str(&format!(" · {}", s.status));
                }
            }
            if let Some(b) = bake_left(e, c, now) {
                t.push_str(&format!(
                    " · bake {} left",
                    secs_text(b.bake_left_s.max(0) as u64)
                ));
                if b.termination_wait_s > 0 {
                    t.push_str(&format!(
                        ", then {} termination wait",
                        secs_text(b.termination_wait_s as u64)
                    ));
                }
            }
            if e.status == EndpointStatus::RollingBack {
                // Bake time and the new fleet's phase no longer apply: say where it goes back
                // to and which alarm sent it there.
                t = format!("ROLLING BACK to {}", e.config_name);
                let fired: Vec<&str> = d
                    .alarms
                    .iter()
                    .filter(|a| a.state == Some(AlarmStateValue::Alarm))
                    .map(|a| a.name.as_str())
                    .collect();
                if !fired.is_empty() {
                    t.push_str(&format!(" · {} in ALARM", fired.join(", ")));
                }
            }
            if !t.is_empty() {
                push(&mut out, format!("  {t}"), theme.warning);
            }
        }
        if !d.alarms.is_empty() {
            let mut spans = vec![Span::styled("  rollback alarms ", theme.muted)];
            for a in &d.alarms {
                let (st, style) = match a.state {
                    Some(AlarmStateValue::Alarm) => ("ALARM", theme.danger),
                    Some(AlarmStateValue::Ok) => ("OK", theme.ok),
                    Some(AlarmStateValue::InsufficientData) => ("INSUFFICIENT_DATA", theme.warning),
                    None => ("not found", theme.danger),
                };
                spans.push(Span::raw(format!("{} ", a.name)));
                spans.push(Span::styled(format!("{st}  "), style));
            }
            out.push(Line::from(spans));
        } else if c.rollback_alarms.is_empty() {
            push(
                &mut out,
                "  no rollback alarms: nothing rolls it back automatically".into(),
                theme.muted,
            );
        }
    }
    for t in d.shadow_tests.iter().filter(|t| t.is_active()) {
        let shadows = t
            .shadows
            .iter()
            .map(|s| format!("{} {}%", s.variant, s.sampling_percent))
            .collect::<Vec<_>>()
            .join(", ");
        let until = t
            .schedule_end
            .map(|end| format!(" · ends in {}", format::age(end, now)))
            .unwrap_or_default();
        push(
            &mut out,
            format!(
                "shadow test {} {} · copies of {} → {shadows}{until}",
                t.name,
                t.status,
                t.source_variant.as_deref().unwrap_or("?")
            ),
            theme.accent,
        );
        for (i, f) in snap.shadow_figures.iter().enumerate() {
            out.push(shadow_row(
                f,
                if i == 0 { "production" } else { "shadow" },
                theme,
            ));
        }
    }
    if let Some(c) = &d.data_capture {
        let text = if c.enabled {
            format!(
                "data capture on, {}% → {} ({})",
                c.sampling_percent, c.destination, c.status
            )
        } else {
            format!("data capture off ({})", c.status)
        };
        push(&mut out, text, theme.muted);
    }
    for s in &d.schedules {
        let last = s
            .last_execution
            .as_ref()
            .map_or("no run yet".to_string(), |x| {
                let at = x
                    .scheduled_time
                    .map(|t| format!(" {} ago", format::age(now, t)))
                    .unwrap_or_default();
                format!("last run {}{at}", x.status)
            });
        let flag = if s.needs_attention() { "⚠ " } else { "" };
        let style = if s.needs_attention() {
            theme.danger
        } else {
            theme.muted
        };
        push(
            &mut out,
            format!(
                "{flag}monitor {} {} · {last}",
                s.name,
                s.monitoring_type.as_deref().unwrap_or("")
            ),
            style,
        );
    }
    for (what, err) in &d.errors {
        push(&mut out, format!("{what}: {err}"), theme.stale);
    }
    out
}

/// The endpoints list's status: `Updating+bg` while a blue/green deployment's new fleet
/// runs beside the old one.
pub fn status_text(e: &Endpoint) -> String {
    if e.pending.is_some() {
        format!("{}+bg", e.status.as_str())
    } else {
        e.status.as_str().to_string()
    }
}

pub fn render<'a>(frame: &mut Frame, area: Rect, theme: &Theme, lines: Vec<Line<'a>>) {
    if area.height == 0 {
        return;
    }
    let block = super::detail::section(theme, Line::styled(" Deployment ", theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
