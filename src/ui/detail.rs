//! The endpoint detail view: summary, per-variant table (with the selected variant's
//! remaining figures), charts (in `charts`), then autoscaling, quotas and scaling activities
//! (in `detail_scaling`).

use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table, TableState};

use super::columns::{self, ColumnSpec, Fitted};
use super::detail_scaling;
use super::endpoints::{STALE_METRICS_SECS, error_rate_style, status_style};
use super::format::{self, MISSING, opt};
use super::text::{pack, truncate_spans, wrap};
use crate::app::action::VariantMetrics;
use crate::app::figures::error_rate;
use crate::app::{AppState, Panel};
use crate::domain::{Endpoint, MetricName, Statistic, Variant, percentages};
use crate::poll::fleet::is_gpu_instance;
use crate::theme::Theme;

/// A section: a top rule carrying the title, then the body.
pub fn section<'a>(theme: &Theme, title: Line<'a>) -> Block<'a> {
    Block::new()
        .borders(Borders::TOP)
        .border_style(theme.border)
        .title(title)
}

/// Title spans: name, then the panel's freshness (or its failure, styled stale).
pub fn section_title<'a>(state: &AppState, theme: &Theme, name: String, panel: Panel) -> Line<'a> {
    let (fresh, failing) = format::panel_freshness(state, panel);
    Line::from(vec![
        Span::styled(format!(" {name} "), theme.title),
        Span::styled(
            format!(" {fresh} "),
            if failing { theme.stale } else { theme.muted },
        ),
    ])
}

fn label<'a>(theme: &Theme, l: &str, v: String) -> Vec<Span<'a>> {
    vec![Span::styled(format!("{l} "), theme.muted), Span::raw(v)]
}

fn summary_lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let now = state.now;
    let mut lines = vec![Line::from(truncate_spans(
        label(theme, "arn", e.arn.clone()),
        w,
    ))];
    let items = vec![
        label(theme, "config", e.config_name.clone()),
        label(
            theme,
            "created",
            format!(
                "{} ({} ago)",
                format::date_time(e.creation_time),
                format::age(now, e.creation_time)
            ),
        ),
        label(
            theme,
            "modified",
            format!(
                "{} ({} ago)",
                format::date_time(e.last_modified_time),
                format::age(now, e.last_modified_time)
            ),
        ),
    ];
    lines.extend(pack(items, w, 0));
    if let Some(err) = state.endpoint_errors.get(&e.name) {
        let text = format!("describe failed: {err}; showing the last good description");
        lines.extend(
            wrap(&text, w)
                .into_iter()
                .map(|l| Line::styled(l, theme.stale)),
        );
    }
    if let Some(reason) = &e.failure_reason {
        lines.extend(
            wrap(&format!("failure reason: {reason}"), w)
                .into_iter()
                .map(|l| Line::styled(l, theme.danger)),
        );
    }
    for (text, moving) in super::detail_deploy::lines(e, now) {
        let style = if moving { theme.warning } else { theme.muted };
        lines.extend(wrap(&text, w).into_iter().map(|l| Line::styled(l, style)));
    }
    lines
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum V {
    Variant,
    Model,
    Type,
    Inst,
    Weight,
    Inv,
    InvInst,
    Lat,
    P99,
    Overhead,
    E4,
    E5,
    E5Rate,
    Cpu,
    Mem,
    Disk,
    Gpu,
    GpuMem,
}

/// Instance type, or serverless memory / max concurrency.
fn type_text(v: &Variant) -> String {
    match (&v.instance_type, v.serverless) {
        (_, Some(s)) => format!("srvless {}MB/{}", s.memory_size_mb, s.max_concurrency),
        (Some(t), None) => t.clone(),
        (None, None) => MISSING.into(),
    }
}

fn arrow<T: PartialEq + ToString>(
    cur: Option<T>,
    desired: Option<T>,
    suffix: &str,
) -> (String, bool) {
    let s = |x: &Option<T>| {
        x.as_ref()
            .map_or_else(|| MISSING.to_string(), |v| v.to_string())
    };
    if cur == desired || desired.is_none() {
        (format!("{}{suffix}", s(&cur)), false)
    } else {
        (format!("{}→{}{suffix}", s(&cur), s(&desired)), true)
    }
}

/// Current and desired traffic shares (%) of each variant.
fn shares(e: &Endpoint) -> (Vec<u32>, Vec<u32>) {
    let cur: Vec<f64> = e.variants.iter().map(Variant::effective_weight).collect();
    let des: Vec<f64> = e
        .variants
        .iter()
        .map(|v| v.desired_weight.or(v.current_weight).unwrap_or(1.0))
        .collect();
    (percentages(&cur), percentages(&des))
}

fn is_gpu(v: &Variant, m: Option<&VariantMetrics>) -> bool {
    v.instance_type.as_deref().is_some_and(is_gpu_instance) || m.is_some_and(|m| m.gpu.is_some())
}

fn specs(state: &AppState, e: &Endpoint) -> Vec<ColumnSpec<V>> {
    let maxw = |f: &dyn Fn(&Variant) -> usize| e.variants.iter().map(f).max().unwrap_or(1);
    let name_w = maxw(&|v| format::width(&v.name));
    let model_w = maxw(&|v| v.model_name.as_deref().map_or(1, format::width));
    let type_w = maxw(&|v| format::width(&type_text(v)));
    let any_gpu = e
        .variants
        .iter()
        .any(|v| is_gpu(v, state.variant_metrics(&e.name, &v.name)));
    let r = Alignment::Right;
    let mut cols = vec![
        ColumnSpec::flexible(V::Variant, "VARIANT", name_w, name_w.min(20), 0),
        ColumnSpec::flexible(V::Model, "MODEL", model_w.min(40), 10, 9),
        ColumnSpec::flexible(V::Type, "TYPE", type_w, type_w.min(18), 6),
        ColumnSpec::fixed(V::Inst, "INST", 5, 2, r),
        ColumnSpec::fixed(V::Weight, "WEIGHT", 7, 1, r),
        ColumnSpec::fixed(V::Inv, "INV/MIN", 6, 4, r),
        ColumnSpec::fixed(V::InvInst, "INV/INST", 6, 10, r),
        ColumnSpec::fixed(V::Lat, "LAT MS", 6, 5, r),
        ColumnSpec::fixed(V::P99, "P99 MS", 6, 8, r),
        ColumnSpec::fixed(V::Overhead, "OVH MS", 6, 13, r),
        ColumnSpec::fixed(V::E4, "4XX", 5, 12, r),
        ColumnSpec::fixed(V::E5, "5XX", 5, 11, r),
        ColumnSpec::fixed(V::E5Rate, "5XX%", 5, 3, r),
        ColumnSpec::fixed(V::Cpu, "CPU%", 4, 7, r),
        ColumnSpec::fixed(V::Mem, "MEM%", 4, 14, r),
        ColumnSpec::fixed(V::Disk, "DISK%", 4, 16, r),
    ];
    if any_gpu {
        cols.push(ColumnSpec::fixed(V::Gpu, "GPU%", 4, 15, r));
        cols.push(ColumnSpec::fixed(V::GpuMem, "GMEM%", 4, 17, r));
    }
    cols
}

/// Text and style of one figure of one variant.
fn cell(
    key: V,
    e: &Endpoint,
    i: usize,
    m: Option<&VariantMetrics>,
    stale: bool,
    theme: &Theme,
) -> (String, Style) {
    let v = &e.variants[i];
    // A series CloudWatch failed to deliver is shown as failed, not as a figure or a blank.
    if let Some(series) = figure_series(key)
        && m.is_some_and(|m| m.failed.contains(&series))
    {
        return ("failed".into(), theme.warning);
    }
    let ms = if stale { theme.stale } else { Style::default() };
    let f = |g: fn(&VariantMetrics) -> Option<f64>, fmt: fn(f64) -> String| {
        (opt(m.and_then(g), fmt), ms)
    };
    let instance_metric = |g: fn(&VariantMetrics) -> Option<f64>, fmt: fn(f64) -> String| {
        if v.serverless.is_some() {
            (MISSING.to_string(), Style::default())
        } else {
            f(g, fmt)
        }
    };
    match key {
        V::Variant => (v.name.clone(), Style::default()),
        V::Model => (
            v.model_name.clone().unwrap_or_else(|| MISSING.into()),
            Style::default(),
        ),
        V::Type => (type_text(v), Style::default()),
        V::Inst => {
            if v.serverless.is_some() {
                return (MISSING.into(), Style::default());
            }
            let (t, moving) = arrow(v.current_instance_count, v.desired_instance_count, "");
            (
                t,
                if moving {
                    theme.warning
                } else {
                    Style::default()
                },
            )
        }
        V::Weight => {
            let (cur, des) = shares(e);
            let (t, moving) = arrow(cur.get(i).copied(), des.get(i).copied(), "%");
            (
                t,
                if moving {
                    theme.warning
                } else {
                    Style::default()
                },
            )
        }
        V::Inv => f(|m| m.invocations_per_min, format::rate),
        V::InvInst => instance_metric(|m| m.invocations_per_instance, format::rate),
        V::Lat => f(|m| m.model_latency_ms, format::ms),
        V::P99 => f(|m| m.model_latency_p99_ms, format::ms),
        V::Overhead => f(|m| m.overhead_latency_ms, format::ms),
        V::E4 => f(|m| m.errors_4xx, format::count),
        V::E5 => f(|m| m.errors_5xx, format::count),
        V::E5Rate => {
            let rate = m.and_then(|m| error_rate(m.errors_5xx, m.invocations_per_min));
            (
                opt(rate, format::share_pct),
                if stale {
                    theme.stale
                } else {
                    error_rate_style(rate, theme)
                },
            )
        }
        V::Cpu => instance_metric(|m| m.cpu, format::util),
        V::Mem => instance_metric(|m| m.memory, format::util),
        V::Disk => instance_metric(|m| m.disk, format::util),
        V::Gpu | V::GpuMem if !is_gpu(v, m) => (MISSING.into(), Style::default()),
        V::Gpu => f(|m| m.gpu, format::util),
        V::GpuMem => f(|m| m.gpu_memory, format::util),
    }
}

/// The series a figure is read from.
fn figure_series(key: V) -> Option<(MetricName, Statistic)> {
    use MetricName as M;
    use Statistic as S;
    Some(match key {
        V::Inv => (M::Invocations, S::Sum),
        V::InvInst => (M::InvocationsPerInstance, S::Sum),
        V::Lat => (M::ModelLatency, S::Average),
        V::P99 => (M::ModelLatency, S::P99),
        V::Overhead => (M::OverheadLatency, S::Average),
        V::E4 => (M::Invocation4XXErrors, S::Sum),
        V::E5 | V::E5Rate => (M::Invocation5XXErrors, S::Sum),
        V::Cpu => (M::CPUUtilization, S::Average),
        V::Mem => (M::MemoryUtilization, S::Average),
        V::Disk => (M::DiskUtilization, S::Average),
        V::Gpu => (M::GPUUtilization, S::Average),
        V::GpuMem => (M::GPUMemoryUtilization, S::Average),
        _ => return None,
    })
}

/// Label and unit of a figure shown under the table because its column did not fit.
fn long_label(key: V) -> (&'static str, &'static str) {
    match key {
        V::Variant => ("variant", ""),
        V::Model => ("model", ""),
        V::Type => ("type", ""),
        V::Inst => ("instances", ""),
        V::Weight => ("weight", ""),
        V::Inv => ("inv/min", ""),
        V::InvInst => ("inv/inst", ""),
        V::Lat => ("latency", "ms"),
        V::P99 => ("p99", "ms"),
        V::Overhead => ("overhead", "ms"),
        V::E4 => ("4xx", ""),
        V::E5 => ("5xx", ""),
        V::E5Rate => ("5xx", "%"),
        V::Cpu => ("cpu", "%"),
        V::Mem => ("mem", "%"),
        V::Disk => ("disk", "%"),
        V::Gpu => ("gpu", "%"),
        V::GpuMem => ("gpu mem", "%"),
    }
}

fn metrics_stale(state: &AppState, m: Option<&VariantMetrics>) -> bool {
    state.health(Panel::Metrics).error.is_some()
        || m.and_then(|m| m.at)
            .is_some_and(|at| (state.now - at).num_seconds() > STALE_METRICS_SECS)
}

struct VariantsTable<'a> {
    fitted: Fitted<V>,
    rows: Vec<Row<'a>>,
    /// The selected variant's figures that did not fit as columns.
    extra: Vec<Line<'a>>,
    selected: usize,
}

fn variants_table<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: u16) -> VariantsTable<'a> {
    let all = specs(state, e);
    let fitted = columns::fit(all.clone(), w);
    let selected = state
        .detail_selected
        .min(e.variants.len().saturating_sub(1));
    let mut rows = Vec::new();
    for (i, v) in e.variants.iter().enumerate() {
        let m = state.variant_metrics(&e.name, &v.name);
        let stale = metrics_stale(state, m);
        let cells = fitted.columns.iter().enumerate().map(|(c, spec)| {
            let (text, style) = cell(spec.key, e, i, m, stale, theme);
            fitted.cell(c, &text, style)
        });
        rows.push(Row::new(cells));
    }
    let mut extra = Vec::new();
    let hidden: Vec<V> = all
        .iter()
        .map(|c| c.key)
        .filter(|k| !fitted.has(*k))
        .collect();
    if let (false, Some(v)) = (hidden.is_empty(), e.variants.get(selected)) {
        let m = state.variant_metrics(&e.name, &v.name);
        let stale = metrics_stale(state, m);
        let mut items = vec![vec![Span::styled(v.name.clone(), theme.title)]];
        for key in hidden {
            let (text, style) = cell(key, e, selected, m, stale, theme);
            if text == MISSING {
                continue;
            }
            let (label, unit) = long_label(key);
            items.push(vec![
                Span::styled(format!("{label} "), theme.muted),
                Span::styled(format!("{text}{unit}"), style),
            ]);
        }
        if items.len() > 1 {
            extra = pack(items, w as usize, 2);
        }
    }
    VariantsTable {
        fitted,
        rows,
        extra,
        selected,
    }
}

fn missing(frame: &mut Frame, area: Rect, theme: &Theme, name: &str) {
    let text = vec![
        Line::styled(
            format!("Endpoint `{name}` is not in the endpoint list."),
            theme.warning,
        ),
        Line::styled(
            "It may have been deleted, or the list has not loaded yet. Press esc to go back.",
            theme.muted,
        ),
    ];
    let block = section(theme, Line::styled(format!(" {name} "), theme.title));
    frame.render_widget(
        Paragraph::new(text)
            .wrap(ratatui::widgets::Wrap { trim: true })
            .block(block),
        area,
    );
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, name: &str) {
    let Some(e) = state.endpoint(name) else {
        missing(frame, area, theme, name);
        return;
    };
    let w = area.width;
    let summary = summary_lines(state, theme, e, w as usize);
    let vt = variants_table(state, theme, e, w);
    let scaling = detail_scaling::autoscaling_lines(state, theme, e, w as usize);

    // Heights: each section is its rule plus its lines; what does not fit is cut from the end.
    let mut left = area.height;
    let mut take = |want: usize| {
        let h = (want as u16).min(left);
        left -= h;
        h
    };
    let summary_h = take(1 + summary.len());
    let variants_h = take(2 + vt.rows.len() + vt.extra.len());
    // Writes in flight and traffic shifts (`detail_ops`), only when there are any.
    let ops = super::detail_ops::lines(state, theme, e, w as usize);
    let ops_h = take(if ops.is_empty() { 0 } else { 1 + ops.len() });
    // Components, async queue, multi-model cache (`detail_hosting`), only when there are any.
    let hosting = super::detail_hosting::lines(state, theme, e, w as usize);
    let hosting_h = take(if hosting.is_empty() {
        0
    } else {
        1 + super::detail_hosting::rows(&hosting, w as usize)
    });
    // Deployments, shadow tests, data capture, Model Monitor (`detail_deployment`).
    let deploy = super::detail_deployment::lines(state, theme, e, w as usize);
    let deploy_h = take(if deploy.is_empty() {
        0
    } else {
        1 + deploy.len()
    });
    // Charts take what is left after a few rows kept for autoscaling.
    let scaling_reserve = (1 + scaling.len()).min(4) as u16;
    let charts_avail = (area
        .height
        .saturating_sub(summary_h + variants_h + ops_h + hosting_h + deploy_h))
    .saturating_sub(scaling_reserve);
    let charts_h = take(super::charts::section_height(state, e, w, charts_avail).into());
    let scaling_h = take(1 + scaling.len());
    let [
        a_summary,
        a_variants,
        a_ops,
        a_hosting,
        a_deploy,
        a_charts,
        a_scaling,
        a_activities,
    ] = Layout::vertical([
        Constraint::Length(summary_h),
        Constraint::Length(variants_h),
        Constraint::Length(ops_h),
        Constraint::Length(hosting_h),
        Constraint::Length(deploy_h),
        Constraint::Length(charts_h),
        Constraint::Length(scaling_h),
        Constraint::Fill(1),
    ])
    .areas(area);

    let title = Line::from(vec![
        Span::styled(format!(" {} ", e.name), theme.title),
        Span::styled(
            format!(" {} ", e.status.as_str()),
            status_style(e.status, theme),
        ),
        Span::styled(
            format!(" {} ", format::panel_freshness(state, Panel::Endpoints).0),
            theme.muted,
        ),
    ]);
    frame.render_widget(
        Paragraph::new(summary).block(section(theme, title)),
        a_summary,
    );

    let block = section(
        theme,
        section_title(
            state,
            theme,
            format!("Variants ({})", e.variants.len()),
            Panel::Metrics,
        ),
    );
    let inner = block.inner(a_variants);
    frame.render_widget(block, a_variants);
    let table_h = (1 + vt.rows.len() as u16).min(inner.height);
    let [a_table, a_extra] =
        Layout::vertical([Constraint::Length(table_h), Constraint::Fill(1)]).areas(inner);
    let table = Table::new(vt.rows, vt.fitted.constraints())
        .header(Row::new(vt.fitted.header_cells()).style(theme.table_header))
        .column_spacing(vt.fitted.spacing)
        .row_highlight_style(theme.selection);
    let mut ts = TableState::default().with_selected(Some(vt.selected));
    frame.render_stateful_widget(table, a_table, &mut ts);
    frame.render_widget(Paragraph::new(vt.extra), a_extra);

    super::detail_ops::render(frame, a_ops, theme, ops);
    super::detail_hosting::render(frame, a_hosting, theme, hosting);
    super::detail_deployment::render(frame, a_deploy, theme, deploy);
    super::charts::render(frame, a_charts, state, theme, e);

    let block = section(
        theme,
        section_title(state, theme, "Autoscaling".into(), Panel::Autoscaling),
    );
    frame.render_widget(Paragraph::new(scaling).block(block), a_scaling);

    detail_scaling::render_activities(frame, a_activities, state, theme, e);
}
