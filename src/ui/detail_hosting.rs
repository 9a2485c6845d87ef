//! The detail view's hosting section: inference components (copies, compute, metrics, and
//! their copy-count autoscaling), the managed instance scaling range, an async endpoint's queue (and what 0 instances means),
//! serverless provisioned concurrency and cold starts, a multi-model endpoint's model cache.

use ratatui::text::{Line, Span};

use crate::app::AppState;
use crate::domain::*;
use crate::poll::hosting::latest;
use crate::theme::Theme;

fn num(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

fn ms(us: Option<f64>) -> String {
    us.map_or("-".into(), |v| format!("{:.0} ms", v / 1000.0))
}

/// The section's lines; empty for classic endpoints.
pub fn lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let Some(h) = state.autoscaling.hosting.get(&e.name) else {
        return Vec::new();
    };
    let empty = Vec::new();
    let series = state
        .autoscaling
        .hosting_metrics
        .get(&e.name)
        .unwrap_or(&empty);
    let mut out = Vec::new();
    for v in &h.variants {
        if let Some(m) = v.managed_scaling {
            out.push(Line::from(format!(
                "{}: managed instance scaling {} min {} max {}",
                v.variant,
                if m.enabled { "on" } else { "off" },
                m.min_instances.map_or("-".into(), |n| n.to_string()),
                m.max_instances.map_or("-".into(), |n| n.to_string()),
            )));
        }
    }
    if h.uses_components() {
        let (cur, want) = h.copies();
        out.push(Line::styled(
            format!(
                "{} inference components, copies {cur}/{want}",
                h.components.len()
            ),
            theme.title,
        ));
        let wide = w >= 120;
        out.push(Line::styled(
            if wide {
                format!(
                    "{:<24} {:<26} {:>7} {:>5} {:>4} {:>7} {:>10} {:>7} {:>9} {:>5}",
                    "COMPONENT",
                    "MODEL",
                    "COPIES",
                    "CPU",
                    "GPU",
                    "MEM GB",
                    "STATUS",
                    "INV/CP",
                    "LATENCY",
                    "GPU%"
                )
            } else {
                format!(
                    "{:<20} {:>7} {:>4} {:>10} {:>6} {:>8}",
                    "COMPONENT", "COPIES", "GPU", "STATUS", "INV/CP", "LATENCY"
                )
            },
            theme.table_header,
        ));
        for c in &h.components {
            let copies = format!(
                "{}/{}",
                c.current_copies.map_or("-".into(), |n| n.to_string()),
                c.desired_copies.map_or("-".into(), |n| n.to_string())
            );
            let status = c.status.map_or("?", ComponentStatus::as_str);
            let name = Some(c.name.as_str());
            let inv = num(latest(series, name, "", MetricName::InvocationsPerCopy), 0);
            let lat = ms(latest(series, name, "", MetricName::ModelLatency));
            let style = if c.is_scaling() {
                theme.info
            } else {
                theme.base
            };
            let text = if wide {
                format!(
                    "{:<24} {:<26} {:>7} {:>5} {:>4} {:>7} {:>10} {:>7} {:>9} {:>5}",
                    trim(&c.name, 24),
                    trim(c.model.as_deref().unwrap_or("-"), 26),
                    copies,
                    num(c.compute.cpu_cores, 0),
                    num(c.compute.accelerators, 0),
                    c.compute
                        .min_memory_mb
                        .map_or("-".into(), |m| format!("{:.0}", f64::from(m) / 1024.0)),
                    status,
                    inv,
                    lat,
                    num(
                        latest(series, name, "", MetricName::GPUUtilizationNormalized),
                        0
                    ),
                )
            } else {
                format!(
                    "{:<20} {:>7} {:>4} {:>10} {:>6} {:>8}",
                    trim(&c.name, 20),
                    copies,
                    num(c.compute.accelerators, 0),
                    status,
                    inv,
                    lat
                )
            };
            out.push(Line::styled(text, style));
        }
        for c in &h.components {
            if let Some(a) = state.autoscaling.components.get(&c.name) {
                out.push(Line::styled(
                    format!("  {}  {}", trim(&c.name, 24), copy_scaling(a)),
                    theme.muted,
                ));
            }
        }
    }
    if let Some(a) = &h.async_config {
        let backlog = latest(series, None, "", MetricName::ApproximateBacklogSize);
        let age = latest(series, None, "", MetricName::ApproximateAgeOfOldestRequest);
        let without = latest(series, None, "", MetricName::HasBacklogWithoutCapacity);
        out.push(Line::from(vec![
            Span::styled("async ", theme.title),
            Span::raw(format!(
                "backlog {} ({}/instance), oldest {} s, max {} concurrent/instance",
                num(backlog, 0),
                num(
                    latest(
                        series,
                        None,
                        "",
                        MetricName::ApproximateBacklogSizePerInstance
                    ),
                    1
                ),
                num(age, 0),
                a.max_concurrent_per_instance
                    .map_or("auto".into(), |n| n.to_string()),
            )),
        ]));
        if let Some(p) = &a.output_path {
            out.push(Line::styled(format!("output {p}"), theme.muted));
        }
        if e.current_instances() == Some(0) {
            out.push(Line::styled(
                "0 instances: scaled to zero; requests queue until a scaling policy on HasBacklogWithoutCapacity adds an instance",
                theme.warning,
            ));
        } else if without == Some(1.0) {
            out.push(Line::styled(
                "HasBacklogWithoutCapacity: requests wait with no instance to run them",
                theme.danger,
            ));
        }
    }
    if h.serverless {
        for v in &h.variants {
            out.push(Line::from(format!(
                "serverless {}: provisioned concurrency {}, cold start (ModelSetupTime) {}",
                v.variant,
                v.provisioned_concurrency
                    .map_or("none".into(), |n| n.to_string()),
                ms(latest(series, None, &v.variant, MetricName::ModelSetupTime)),
            )));
        }
    }
    for v in h.variants.iter().filter(|v| v.multi_model == Some(true)) {
        let hit = latest(series, None, &v.variant, MetricName::ModelCacheHit);
        out.push(Line::from(format!(
            "multi-model {}: {} models loaded, cache hit {}, loading wait {}, unloading {}",
            v.variant,
            num(
                latest(series, None, &v.variant, MetricName::LoadedModelCount),
                0
            ),
            hit.map_or("-".into(), |h| format!("{:.0}%", h * 100.0)),
            ms(latest(
                series,
                None,
                &v.variant,
                MetricName::ModelLoadingWaitTime
            )),
            ms(latest(
                series,
                None,
                &v.variant,
                MetricName::ModelUnloadingTime
            )),
        )));
    }
    out
}

/// "copies 1–8 · target InvocationsPerCopy 40.0": the registered copy range and each policy
/// (target tracking with its metric and target, step scaling with its alarms).
pub fn copy_scaling(a: &ComponentAutoscaling) -> String {
    let Some((min, max)) = a.range else {
        return "no copy autoscaling registered".into();
    };
    let mut parts = vec![format!("copies {min}–{max}")];
    for p in &a.policies {
        let metric = p
            .metric
            .strip_prefix("SageMakerInferenceComponent")
            .unwrap_or(&p.metric);
        parts.push(match p.target_value {
            Some(t) if p.policy_type == "TargetTrackingScaling" => {
                format!("target {metric} {t:.1}")
            }
            _ if p.policy_type == "StepScaling" => format!("step on {metric}"),
            _ => format!("{} {metric}", p.policy_type),
        });
    }
    if a.policies.is_empty() {
        parts.push("no policy".into());
    }
    parts.join(" · ")
}

fn trim(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Screen rows `lines` take at width `w`, wrapped as the section draws them (a long line at
/// 80 columns takes two rows, not one cut short).
pub fn rows(lines: &[Line], w: usize) -> usize {
    lines
        .iter()
        .map(|l| {
            let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
            super::text::wrap(&text, w.max(1)).len().max(1)
        })
        .sum()
}

pub fn render(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    theme: &Theme,
    lines: Vec<Line>,
) {
    if area.height == 0 || lines.is_empty() {
        return;
    }
    let block = super::detail::section(theme, Line::styled(" Hosting ", theme.title));
    frame.render_widget(
        ratatui::widgets::Paragraph::new(lines)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
        area,
    );
}
