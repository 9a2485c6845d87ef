//! Detail view sections about autoscaling: per-variant targets and policies with the current
//! metric against its target and the last scaling activity, the endpoint-usage quotas of the
//! endpoint's instance types (with the room autoscaling would need), and the recent scaling
//! activities table.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Row, Table};

use super::columns::{self, ColumnSpec};
use super::detail::{section, section_title};
use super::format;
use super::text::pack;
use crate::app::{AppState, Panel};
use crate::domain::{
    ActivityStatus, Endpoint, INVOCATIONS_PER_INSTANCE_METRIC, ScalingPolicy, resource_id,
};
use crate::theme::Theme;

fn policy_items<'a>(
    theme: &Theme,
    p: &ScalingPolicy,
    current_per_instance: Option<f64>,
) -> Vec<Vec<Span<'a>>> {
    let mut items = vec![vec![Span::raw(format::policy_label(&p.policy_type))]];
    // Step scaling is driven by CloudWatch alarms (mapped into `metric`), not by a target:
    // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
    if p.policy_type == "StepScaling" {
        items.push(vec![
            Span::styled("on alarm ", theme.muted),
            Span::raw(p.metric.clone()),
        ]);
        return items;
    }
    let mut metric = vec![Span::styled(
        format!("{} ", format::metric_label(&p.metric)),
        theme.muted,
    )];
    let is_ipi =
        p.metric == INVOCATIONS_PER_INSTANCE_METRIC || p.metric == "InvocationsPerInstance";
    match (is_ipi, current_per_instance, p.target_value) {
        (true, Some(cur), Some(target)) => {
            let style = if cur > target {
                theme.warning
            } else {
                theme.ok
            };
            metric.push(Span::styled(format::rate(cur), style));
            metric.push(Span::raw(format!(" / target {}", format::rate(target))));
            if target > 0.0 {
                metric.push(Span::styled(
                    format!(" ({:.0}%)", cur / target * 100.0),
                    style,
                ));
            }
        }
        (_, _, Some(target)) => metric.push(Span::raw(format!("target {}", format::rate(target)))),
        _ => metric.push(Span::raw("no target")),
    }
    items.push(metric);
    let cd = |d: Option<std::time::Duration>| {
        d.map_or_else(
            || format::MISSING.to_string(),
            crate::units::format_duration,
        )
    };
    items.push(vec![
        Span::styled("cooldown ", theme.muted),
        Span::raw(format!(
            "out {} in {}",
            cd(p.scale_out_cooldown),
            cd(p.scale_in_cooldown)
        )),
    ]);
    if p.disable_scale_in {
        items.push(vec![Span::styled("scale-in disabled", theme.warning)]);
    }
    items
}

/// Lines of the autoscaling section: one group per variant, then the endpoint's quota rows,
/// wrapped to `w`.
pub fn autoscaling_lines<'a>(
    state: &AppState,
    theme: &Theme,
    e: &Endpoint,
    w: usize,
) -> Vec<Line<'a>> {
    let mut lines = variant_lines(state, theme, e, w);
    lines.extend(quota_lines(state, theme, e, w));
    lines
}

/// "quota ml.c5.2xlarge 5/6 (83%) ████████░░ autoscaling max needs 4 more, the quota leaves 1".
fn quota_lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for row in crate::app::quotas_view::rows_for_endpoint(state, e) {
        let style = super::quotas::level_style(&row, theme);
        let mut items = vec![
            vec![
                Span::styled("quota ", theme.muted),
                Span::raw(row.instance_type.clone()),
            ],
            super::quotas::usage_spans(&row, theme, 10),
        ];
        let potential = crate::app::quotas_view::scale_out_potential(state, e, &row.instance_type);
        if let Some(limit) = row.limit {
            let room = (limit - f64::from(row.used)).max(0.0) as u32;
            if potential > room {
                items.push(vec![Span::styled(
                    format!("autoscaling max needs {potential} more, the quota leaves {room}"),
                    theme.warning,
                )]);
            }
        }
        if let Some(flag) = &row.flag {
            items.push(vec![Span::styled(flag.clone(), style)]);
        }
        lines.extend(pack(items, w, 6));
    }
    lines
}

/// "last scaled 2d ago: Setting desired instance count to 4. Successful".
fn last_activity<'a>(
    state: &AppState,
    theme: &Theme,
    e: &Endpoint,
    variant: &str,
) -> Option<Vec<Span<'a>>> {
    let a = state
        .autoscaling
        .activities
        .get(&e.name)?
        .iter()
        .filter(|a| a.variant == variant)
        .max_by_key(|a| a.start_time)?;
    Some(vec![
        Span::styled(
            format!("last scaled {} ago ", format::age(state.now, a.start_time)),
            theme.muted,
        ),
        Span::raw(a.description.trim_end_matches('.').to_string()),
        Span::styled(
            format!(" {}", a.status.as_str()),
            activity_style(a.status, theme),
        ),
    ])
}

fn variant_lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let Some(config) = state.autoscaling.config.get(&e.name) else {
        let h = state.health(Panel::Autoscaling);
        let text = match (&h.error, h.last_ok) {
            (Some(err), _) => format!("could not read autoscaling: {err}"),
            (None, None) => "loading…".to_string(),
            (None, Some(_)) => "no autoscaling data for this endpoint yet".to_string(),
        };
        return vec![Line::styled(text, theme.muted)];
    };
    let name_w = e
        .variants
        .iter()
        .map(|v| format::width(&v.name))
        .max()
        .unwrap_or(0)
        .min(w / 3);
    let mut lines = Vec::new();
    for v in &e.variants {
        let mut items = vec![vec![Span::styled(
            format!("{:<name_w$}", format::truncate(&v.name, name_w)),
            theme.title,
        )]];
        let va = config.iter().find(|c| c.variant == v.name);
        match va.and_then(|va| va.target.as_ref().map(|t| (va, t))) {
            None => items.push(vec![Span::styled("not registered", theme.muted)]),
            Some((va, t)) => {
                let mut range = vec![
                    Span::styled("min ", theme.muted),
                    Span::raw(t.min_capacity.to_string()),
                    Span::styled(" max ", theme.muted),
                    Span::raw(t.max_capacity.to_string()),
                ];
                if let Some(cur) = v.current_instance_count {
                    let at_edge = cur >= t.max_capacity && t.max_capacity > 0;
                    range.push(Span::styled(" now ", theme.muted));
                    range.push(Span::styled(
                        cur.to_string(),
                        if at_edge {
                            theme.warning
                        } else {
                            Style::default()
                        },
                    ));
                }
                items.push(range);
                if va.policies.is_empty() {
                    items.push(vec![Span::styled("no scaling policy", theme.muted)]);
                }
                let ipi = state
                    .variant_metrics(&e.name, &v.name)
                    .and_then(|m| m.invocations_per_instance);
                for p in &va.policies {
                    items.extend(policy_items(theme, p, ipi));
                }
                items.extend(last_activity(state, theme, e, &v.name));
            }
        }
        lines.extend(pack(items, w, name_w + 2));
    }
    lines
}

fn activity_style(s: ActivityStatus, theme: &Theme) -> Style {
    match s {
        ActivityStatus::Successful => theme.ok,
        ActivityStatus::Pending | ActivityStatus::InProgress => theme.info,
        ActivityStatus::Overridden => theme.muted,
        ActivityStatus::Unfulfilled | ActivityStatus::Failed => theme.danger,
    }
}

/// Shortens Application Auto Scaling's cause: "monitor alarm
/// TargetTracking-endpoint/E/variant/V-AlarmHigh-<uuid> in state ALARM triggered policy P"
/// becomes "AlarmHigh in state ALARM triggered policy P" (endpoint and variant are on screen).
pub fn compact_cause(cause: &str, endpoint: &str, variant: &str) -> String {
    let prefix = format!("TargetTracking-{}-", resource_id(endpoint, variant));
    let mut out = cause.replacen(&prefix, "", 1);
    if let Some(rest) = out.strip_prefix("monitor alarm ") {
        out = rest.to_string();
    }
    for kind in ["AlarmHigh-", "AlarmLow-"] {
        if let Some(i) = out.find(kind) {
            let id_start = i + kind.len();
            let id_len = out[id_start..].find(' ').unwrap_or(out.len() - id_start);
            let id = &out[id_start..id_start + id_len];
            if id.len() == 36 && id.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
                out.replace_range(id_start - 1..id_start + id_len, "");
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum A {
    Time,
    Age,
    Variant,
    Status,
    Description,
    Cause,
}

/// The recent scaling activities of the endpoint, newest first.
pub fn render_activities(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    theme: &Theme,
    e: &Endpoint,
) {
    if area.height == 0 {
        return;
    }
    let mut acts: Vec<_> = state
        .autoscaling
        .activities
        .get(&e.name)
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    acts.sort_by_key(|a| std::cmp::Reverse(a.start_time));
    let title = section_title(
        state,
        theme,
        format!("Scaling activities ({})", acts.len()),
        Panel::Autoscaling,
    );
    let block = section(theme, title);
    let inner = block.inner(area);
    if acts.is_empty() {
        let h = state.health(Panel::Autoscaling);
        let text = if h.last_ok.is_none() && h.error.is_none() {
            "loading…"
        } else {
            "no recent scaling activities"
        };
        frame.render_widget(
            Paragraph::new(Line::styled(text, theme.muted)).block(block),
            area,
        );
        return;
    }
    let variant_w = acts
        .iter()
        .map(|a| format::width(&a.variant))
        .max()
        .unwrap_or(1);
    let status_w = acts
        .iter()
        .map(|a| a.status.as_str().len())
        .max()
        .unwrap_or(6);
    let desc_w = acts
        .iter()
        .map(|a| format::width(&a.description))
        .max()
        .unwrap_or(1);
    let causes: Vec<String> = acts
        .iter()
        .map(|a| compact_cause(&a.cause, &e.name, &a.variant))
        .collect();
    let cause_w = causes.iter().map(|c| format::width(c)).max().unwrap_or(1);
    let specs = vec![
        ColumnSpec::fixed(A::Time, "TIME UTC", 8, 5, Alignment::Left),
        ColumnSpec::fixed(A::Age, "AGE", 4, 1, Alignment::Right),
        ColumnSpec::flexible(A::Variant, "VARIANT", variant_w, 8, 0),
        ColumnSpec::flexible(A::Status, "STATUS", status_w, 10, 2),
        ColumnSpec::flexible(
            A::Description,
            "DESCRIPTION",
            desc_w.min(80),
            desc_w.min(40),
            0,
        ),
        ColumnSpec::flexible(A::Cause, "CAUSE", cause_w, 10, 4),
    ];
    let fitted = columns::fit(specs, inner.width);
    let rows: Vec<Row> = acts
        .iter()
        .zip(&causes)
        .take(inner.height.saturating_sub(1) as usize)
        .map(|(a, cause)| {
            let cells = fitted.columns.iter().enumerate().map(|(i, c)| {
                let (text, style) = match c.key {
                    A::Time => (format::clock_time(a.start_time), Style::default()),
                    A::Age => (format::age(state.now, a.start_time), theme.muted),
                    A::Variant => (a.variant.clone(), Style::default()),
                    A::Status => (
                        a.status.as_str().to_string(),
                        activity_style(a.status, theme),
                    ),
                    A::Description => {
                        let text = match &a.status_message {
                            Some(m)
                                if matches!(
                                    a.status,
                                    ActivityStatus::Failed | ActivityStatus::Unfulfilled
                                ) =>
                            {
                                format!("{} ({m})", a.description)
                            }
                            _ => a.description.clone(),
                        };
                        (text, Style::default())
                    }
                    A::Cause => (cause.clone(), theme.muted),
                };
                fitted.cell(i, &text, style)
            });
            Row::new(cells)
        })
        .collect();
    let table = Table::new(rows, fitted.constraints())
        .header(Row::new(fitted.header_cells()).style(theme.table_header))
        .column_spacing(fitted.spacing)
        .block(block);
    frame.render_widget(table, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_lose_what_the_screen_already_says() {
        let cause = "monitor alarm TargetTracking-endpoint/ep/variant/v1-AlarmHigh-0b7cbe1c-4f1a-4c0e-9a57-0d7e4a1c2b3d in state ALARM triggered policy ipi";
        assert_eq!(
            compact_cause(cause, "ep", "v1"),
            "AlarmHigh in state ALARM triggered policy ipi"
        );
        assert_eq!(compact_cause("manual change", "ep", "v1"), "manual change");
    }
}
