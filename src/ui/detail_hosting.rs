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
        let full = w >= FULL_WIDTH;
        let wide = w >= 120;
        out.push(Line::styled(
            if full {
                format!(
                    "{:<22} {:<22} {:>7} {:>4} {:>4} {:>6} {:>10} {:>8} {:>7} {:>7} {:>9} {:>5} {:>5} {:>6} {:<TREND_W$}",
                    "COMPONENT",
                    "MODEL",
                    "COPIES",
                    "CPU",
                    "GPU",
                    "MEM GB",
                    "STATUS",
                    "INV/MIN",
                    "INV/CP",
                    "CONC/CP",
                    "LATENCY",
                    "CPU%",
                    "GPU%",
                    "GMEM%",
                    "INV/CP 12m"
                )
            } else if wide {
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
            let norm = |m: MetricName| num(latest(series, name, "", m), 0);
            let text = if full {
                format!(
                    "{:<22} {:<22} {:>7} {:>4} {:>4} {:>6} {:>10} {:>8} {:>7} {:>7} {:>9} {:>5} {:>5} {:>6} {:<TREND_W$}",
                    trim(&c.name, 22),
                    trim(c.model.as_deref().unwrap_or("-"), 22),
                    copies,
                    num(c.compute.cpu_cores, 0),
                    num(c.compute.accelerators, 0),
                    c.compute
                        .min_memory_mb
                        .map_or("-".into(), |m| format!("{:.0}", f64::from(m) / 1024.0)),
                    status,
                    num(latest(series, name, "", MetricName::Invocations), 0),
                    inv,
                    num(
                        latest(series, name, "", MetricName::ConcurrentRequestsPerCopy),
                        0
                    ),
                    lat,
                    norm(MetricName::CPUUtilizationNormalized),
                    norm(MetricName::GPUUtilizationNormalized),
                    norm(MetricName::GPUMemoryUtilizationNormalized),
                    trend(series, &c.name, MetricName::InvocationsPerCopy, TREND_W),
                )
            } else if wide {
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

/// From this width on, the component table shows every metric the issue names for a
/// component (invocations, per copy, concurrency per copy, latency, CPU/GPU/GPU-memory
/// utilization normalized to 0–100%) and a trend of invocations per copy.
const FULL_WIDTH: usize = 150;
/// Characters of the per-component trend: one per minute of the window's last minutes.
const TREND_W: usize = 12;

/// The last `n` datapoints of `component`'s `metric` as block characters from their low to
/// their peak ("▁▂▃▅▇█"), oldest first; blank where there is no data. A series that moves
/// less than a tenth of its peak is drawn flat, so noise does not look like a trend.
fn trend(series: &[MetricSeries], component: &str, metric: MetricName, n: usize) -> String {
    const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let Some(s) = series
        .iter()
        .find(|s| s.key.metric == metric && s.key.component.as_deref() == Some(component))
    else {
        return String::new();
    };
    let points = &s.points[s.points.len().saturating_sub(n)..];
    let peak = points.iter().map(|p| p.value).fold(0.0_f64, f64::max);
    let low = points.iter().map(|p| p.value).fold(peak, f64::min);
    let span = peak - low;
    points
        .iter()
        .map(|p| {
            if peak <= 0.0 {
                BLOCKS[0]
            } else if span <= peak * 0.1 {
                BLOCKS[3]
            } else {
                let i = ((p.value - low) / span * (BLOCKS.len() - 1) as f64).round() as usize;
                BLOCKS[i.min(BLOCKS.len() - 1)]
            }
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn series(values: &[f64]) -> Vec<MetricSeries> {
        let t0 = crate::clock::fixture_epoch();
        vec![MetricSeries {
            key: SeriesKey::component(
                "llm",
                "chat",
                MetricName::InvocationsPerCopy,
                Statistic::Sum,
            ),
            points: values
                .iter()
                .enumerate()
                .map(|(i, v)| Datapoint {
                    at: t0 + chrono::Duration::minutes(i as i64),
                    value: *v,
                })
                .collect(),
            status: SeriesStatus::Complete,
        }]
    }

    #[test]
    fn a_trend_rises_with_its_values_and_noise_stays_flat() {
        let m = MetricName::InvocationsPerCopy;
        let ramp = series(&[0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0]);
        assert_eq!(trend(&ramp, "chat", m, 12), "▁▂▃▄▅▆▇█");
        // Only the last `n` minutes, scaled among themselves.
        assert_eq!(trend(&ramp, "chat", m, 3), "▁▅█");
        // Within a tenth of the peak: flat, not a made-up trend.
        assert_eq!(
            trend(&series(&[40.0, 41.0, 39.5, 40.5]), "chat", m, 12),
            "▄▄▄▄"
        );
        assert_eq!(trend(&series(&[0.0, 0.0]), "chat", m, 12), "▁▁");
        // No series for that component: nothing drawn.
        assert_eq!(trend(&ramp, "other", m, 12), "");
    }
}
