//! The charts section of the endpoint detail: per-variant latency decomposition, a grid of
//! time-series charts for the selected variant (braille or plain dots) with their own y labels
//! in units, UTC time labels, and the endpoint's changes as markers on the time axis.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Chart, Dataset, GraphType, Paragraph};

use super::detail::section;
use super::format::{self, MISSING};
use super::text::truncate_spans;
use crate::app::charts::{
    ChartKind, ChartLine, ChartMarker, ChartsData, MarkerKind, chart_kinds, chart_lines, decompose,
    lane, marker_column, markers,
};
use crate::app::{AppState, Panel};
use crate::domain::{Endpoint, Timestamp, Variant};
use crate::theme::Theme;

/// Rows of one chart cell: title, plot (at least 3), time axis with markers, time labels.
const MIN_CELL_H: u16 = 6;
const MAX_CELL_H: u16 = 14;
/// Width per chart when choosing how many go side by side.
const CELL_W: u16 = 40;

/// How many charts go side by side and in how many rows, for `n` charts in `w` cells.
fn grid(n: usize, w: u16) -> (usize, usize) {
    let max_cols = usize::from((w / CELL_W).max(1)).min(n.max(1));
    let rows = n.div_ceil(max_cols).max(1);
    (n.div_ceil(rows).max(1), rows)
}

fn selected_variant<'a>(state: &AppState, e: &'a Endpoint) -> Option<&'a Variant> {
    e.variants.get(
        state
            .detail_selected
            .min(e.variants.len().saturating_sub(1)),
    )
}

/// Lines of latency decomposition: every variant on tall screens; on small ones the selected
/// variant's, and only once a load run measured it (the table shows the rest).
fn latency_count(state: &AppState, e: &Endpoint, v: &Variant) -> usize {
    if state.size.1 >= 40 {
        e.variants.len().max(1)
    } else {
        usize::from(
            state
                .client_latency
                .contains_key(&(e.name.clone(), v.name.clone())),
        )
    }
}

fn charts_of<'a>(state: &'a AppState, e: &Endpoint) -> Option<&'a ChartsData> {
    state.charts.as_ref().filter(|d| d.endpoint == e.name)
}

/// Height the section wants out of `avail` rows (0 when charts do not fit at all).
pub fn section_height(state: &AppState, e: &Endpoint, w: u16, avail: u16) -> u16 {
    let Some(v) = selected_variant(state, e) else {
        return 0;
    };
    let fixed = 1 + latency_count(state, e, v) as u16 + 1;
    if charts_of(state, e).is_none() {
        // Rule, latency, and "loading charts…" or the charts' error.
        return fixed.min(avail);
    }
    if avail < fixed + MIN_CELL_H {
        return 0;
    }
    let (_, rows) = grid(chart_kinds(v).len(), w);
    let fit_rows = usize::from((avail - fixed) / MIN_CELL_H).clamp(1, rows);
    let cell_h = ((avail - fixed) / fit_rows as u16).clamp(MIN_CELL_H, MAX_CELL_H);
    fixed + cell_h * fit_rows as u16
}

fn title<'a>(state: &AppState, theme: &Theme, v: &Variant, data: Option<&ChartsData>) -> Line<'a> {
    let want = state.chart_window;
    let mut spans = vec![Span::styled(format!(" Charts {} ", v.name), theme.title)];
    let period = data.filter(|d| d.window == want).map(|d| d.period);
    let mut what = format!("{} window", want.label());
    if let Some(p) = period {
        what.push_str(&format!(", {} period", crate::units::format_duration(p)));
    }
    what.push_str(", UTC");
    spans.push(Span::styled(format!(" {what} "), theme.accent));
    if let Some(d) = data.filter(|d| d.window != want) {
        spans.push(Span::styled(
            format!(" loading, showing {} ", d.window.label()),
            theme.info,
        ));
    }
    let (fresh, failing) = format::panel_freshness(state, Panel::Charts);
    spans.push(Span::styled(
        format!(" {fresh} "),
        if failing { theme.stale } else { theme.muted },
    ));
    Line::from(spans)
}

fn latency_line<'a>(
    state: &AppState,
    theme: &Theme,
    e: &Endpoint,
    v: &Variant,
    name_w: usize,
) -> Line<'a> {
    let m = state.variant_metrics(&e.name, &v.name);
    let client = state.client_latency.get(&(e.name.clone(), v.name.clone()));
    let b = decompose(
        client,
        m.and_then(|m| m.model_latency_ms),
        m.and_then(|m| m.overhead_latency_ms),
    );
    let ms =
        |x: Option<f64>| x.map_or_else(|| MISSING.to_string(), |x| format!("{} ms", format::ms(x)));
    let label = |s: &str| Span::styled(format!("{s} "), theme.muted);
    let mut spans = vec![
        Span::styled(
            format!("{:<name_w$}  ", format::truncate(&v.name, name_w)),
            theme.title,
        ),
        label("client"),
    ];
    match client {
        None => spans.push(Span::styled("–/no load run yet", theme.muted)),
        Some(c) => {
            spans.push(Span::raw(ms(b.client_ms)));
            spans.push(Span::styled(
                format!(
                    " (load run {} ago, {} requests)",
                    format::age(state.now, c.at),
                    c.requests
                ),
                theme.muted,
            ));
        }
    }
    // With a load run the parts add up to what the client saw.
    let (eq, plus) = if client.is_some() {
        ("= ", "+ ")
    } else {
        ("", "")
    };
    for (name, v) in [
        (format!("{eq}model"), b.model_ms),
        (format!("{plus}overhead"), b.overhead_ms),
        (format!("{plus}network"), b.network_ms),
    ] {
        spans.push(Span::raw("  "));
        spans.push(label(&name));
        spans.push(Span::raw(ms(v)));
    }
    Line::from(spans)
}

/// "markers  A autoscaling  U UpdateEndpoint · newest U 20h ago UpdateEndpoint by …", or
/// why there are none.
fn legend_line<'a>(
    state: &AppState,
    theme: &Theme,
    e: &Endpoint,
    ms: &[ChartMarker],
    start: Timestamp,
) -> Line<'a> {
    let mut spans = vec![Span::styled("markers ", theme.muted)];
    let mut kinds: Vec<MarkerKind> = ms.iter().map(|m| m.kind).collect();
    kinds.sort();
    kinds.dedup();
    for k in &kinds {
        spans.push(Span::styled(format!(" {}", k.letter()), theme.marker));
        spans.push(Span::raw(format!(" {} ", k.meaning())));
    }
    if let Some(m) = ms.last() {
        spans.push(Span::styled(
            format!(
                " newest {} {} ago: {}",
                m.kind.letter(),
                format::age(state.now, m.at),
                m.text
            ),
            theme.muted,
        ));
    } else {
        spans.push(Span::styled(
            " no changes to this endpoint in the window",
            theme.muted,
        ));
    }
    let scope = Some(e.name.clone());
    if let Some(c) = state.trail.cursor(&scope) {
        let covered = c.oldest.is_some_and(|o| o <= start) || !c.has_more();
        let note = if c.loading {
            Some(" (loading events…)".to_string())
        } else if let Some(err) = &c.error {
            Some(format!(
                " (events: {}; press e, then m to retry)",
                err.short()
            ))
        } else if !covered {
            c.oldest
                .map(|o| format!(" (events loaded back to {})", format::date_time(o)))
        } else {
            None
        };
        if let Some(n) = note {
            spans.push(Span::styled(n, theme.stale));
        }
    }
    Line::from(spans)
}

/// A value without its unit (the chart title has it): "1.2k", "40", "0.12".
fn value_text(v: f64, kind: ChartKind) -> String {
    let label = y_label(v, kind);
    label
        .strip_suffix(kind.unit())
        .unwrap_or(&label)
        .to_string()
}

/// "1.2k", "40ms", "80%": y labels with the chart's unit.
fn y_label(v: f64, kind: ChartKind) -> String {
    if v == 0.0 {
        return format!("0{}", kind.unit());
    }
    let n = match kind {
        ChartKind::Latency => format::ms(v),
        ChartKind::Errors => format::share_pct(v / 100.0),
        ChartKind::Utilization | ChartKind::Gpu => format::util(v),
        ChartKind::Invocations => format::rate(v),
    };
    format!("{n}{}", kind.unit())
}

/// A round upper bound at or above `v` (1, 2, 2.5, 5 × 10^k).
pub fn nice_ceil(v: f64) -> f64 {
    if !v.is_finite() || v <= 0.0 {
        return 1.0;
    }
    let mag = 10f64.powf(v.log10().floor());
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * mag >= v - 1e-9 {
            return m * mag;
        }
    }
    10.0 * mag
}

/// Splits a series where a datapoint is missing (no line drawn across gaps).
fn segments(points: &[(f64, f64)], period_s: f64) -> Vec<&[(f64, f64)]> {
    let mut out = Vec::new();
    let mut from = 0;
    for i in 1..points.len() {
        if points[i].0 - points[i - 1].0 > period_s * 1.5 {
            out.push(&points[from..i]);
            from = i;
        }
    }
    if from < points.len() {
        out.push(&points[from..]);
    }
    out
}

fn time_label(t: Timestamp, span_secs: i64) -> String {
    if span_secs > 86_400 {
        t.format("%m-%d").to_string()
    } else {
        t.format("%H:%M").to_string()
    }
}

#[allow(clippy::too_many_arguments)]
fn render_chart(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    theme: &Theme,
    data: &ChartsData,
    variant: &str,
    kind: ChartKind,
    ms: &[ChartMarker],
) {
    if area.height < MIN_CELL_H || area.width < 12 {
        return;
    }
    let lines: Vec<ChartLine> = chart_lines(data, variant, kind);
    // Title: the chart name, then each line's newest value in its colour.
    let mut head = vec![Span::styled(kind.title().to_string(), theme.table_header)];
    for (i, l) in lines.iter().enumerate() {
        let style = Style::default().fg(theme.series_color(i));
        let mut v = l
            .latest
            .map_or_else(|| MISSING.to_string(), |x| value_text(x, kind));
        if let Some(total) = l.total {
            v.push_str(&format!(" ({})", format::count(total)));
        }
        head.push(Span::raw("  "));
        head.push(Span::styled(format!("{} {v}", l.label), style));
    }
    frame.render_widget(
        Paragraph::new(Line::from(truncate_spans(head, area.width as usize))),
        Rect::new(area.x, area.y, area.width, 1),
    );

    let max = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|p| p.1))
        .fold(0.0_f64, f64::max);
    let top = nice_ceil(max * 1.05);
    let plot_h = area.height - 3;
    let labels = [
        y_label(top, kind),
        y_label(top / 2.0, kind),
        y_label(0.0, kind),
    ];
    let gutter = labels.iter().map(|l| format::width(l)).max().unwrap_or(1) as u16 + 1;
    let plot = Rect::new(area.x + gutter, area.y + 1, area.width - gutter, plot_h);

    // Y labels and axis.
    let buf = frame.buffer_mut();
    for row in 0..plot_h {
        let y = plot.y + row;
        let label = if row == 0 {
            Some(&labels[0])
        } else if row == plot_h - 1 {
            Some(&labels[2])
        } else if plot_h >= 5 && row == (plot_h - 1) / 2 {
            Some(&labels[1])
        } else {
            None
        };
        if let Some(l) = label {
            let x = area.x + gutter - 1 - format::width(l) as u16;
            buf.set_string(x, y, l, theme.muted);
        }
        let tick = if label.is_some() { "┤" } else { "│" };
        buf.set_string(area.x + gutter - 1, y, tick, theme.border);
    }

    // The series.
    let span_s = (data.end - data.start).num_seconds().max(60) as f64;
    let marker = if state.braille {
        Marker::Braille
    } else {
        Marker::Dot
    };
    let period_s = data.period.as_secs() as f64;
    let mut datasets = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        for seg in segments(&l.points, period_s) {
            datasets.push(
                Dataset::default()
                    .marker(marker)
                    .graph_type(if seg.len() > 1 {
                        GraphType::Line
                    } else {
                        GraphType::Scatter
                    })
                    .style(Style::default().fg(theme.series_color(i)))
                    .data(seg),
            );
        }
    }
    let chart = Chart::new(datasets)
        .legend_position(None)
        .x_axis(Axis::default().bounds([0.0, span_s]))
        .y_axis(Axis::default().bounds([0.0, top]));
    frame.render_widget(chart, plot);

    // Markers: a rule through empty plot cells, a letter on the time axis.
    let sub = if state.braille { 2 } else { 1 };
    let lane = lane(ms, data.start, data.end, plot.width, sub);
    let buf = frame.buffer_mut();
    for &col in lane.keys() {
        for y in plot.y..plot.bottom() {
            let cell = &mut buf[(plot.x + col, y)];
            if cell.symbol() == " " {
                cell.set_symbol("│").set_style(theme.marker);
            }
        }
    }
    let axis_y = plot.bottom();
    buf.set_string(area.x + gutter - 1, axis_y, "└", theme.border);
    buf.set_string(
        plot.x,
        axis_y,
        "─".repeat(plot.width as usize),
        theme.border,
    );
    for (&col, kind) in &lane {
        buf.set_string(
            plot.x + col,
            axis_y,
            kind.letter().to_string(),
            theme.marker,
        );
    }

    // Time labels: start, middle, end (UTC).
    let label_y = axis_y + 1;
    let secs = (data.end - data.start).num_seconds();
    let first = time_label(data.start, secs);
    let last = time_label(data.end, secs);
    let mid_t = data.start + (data.end - data.start) / 2;
    let mid = time_label(mid_t, secs);
    buf.set_string(plot.x, label_y, &first, theme.muted);
    let last_x = plot.right().saturating_sub(format::width(&last) as u16);
    buf.set_string(last_x, label_y, &last, theme.muted);
    if let Some(c) = marker_column(mid_t, data.start, data.end, plot.width, sub) {
        let x = plot.x + c.saturating_sub(format::width(&mid) as u16 / 2);
        let room_left = plot.x + format::width(&first) as u16 + 1;
        if x >= room_left && x + (format::width(&mid) as u16) < last_x {
            buf.set_string(x, label_y, &mid, theme.muted);
        }
    }
}

/// Draws the section into `area` (its top row is the section rule).
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, e: &Endpoint) {
    if area.height == 0 {
        return;
    }
    let Some(v) = selected_variant(state, e) else {
        return;
    };
    let data = charts_of(state, e);
    let block = section(theme, title(state, theme, v, data));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let mut y = inner.y;
    let bottom = inner.bottom();

    // Latency decomposition.
    let n = latency_count(state, e, v);
    let shown: Vec<&Variant> = match n {
        0 => Vec::new(),
        n if n >= e.variants.len() => e.variants.iter().collect(),
        _ => vec![v],
    };
    let name_w = shown
        .iter()
        .map(|v| format::width(&v.name))
        .max()
        .unwrap_or(1)
        .min(w / 4);
    for var in shown {
        if y >= bottom {
            return;
        }
        let line = latency_line(state, theme, e, var, name_w);
        frame.render_widget(
            Paragraph::new(Line::from(truncate_spans(line.spans, w))),
            Rect::new(inner.x, y, inner.width, 1),
        );
        y += 1;
    }
    if y >= bottom {
        return;
    }

    let Some(data) = data else {
        let h = state.health(Panel::Charts);
        let text = match &h.error {
            Some(err) => format!("could not read the charts: {err}"),
            None => "loading charts…".to_string(),
        };
        frame.render_widget(
            Paragraph::new(Line::styled(
                text,
                if h.error.is_some() {
                    theme.stale
                } else {
                    theme.muted
                },
            )),
            Rect::new(inner.x, y, inner.width, 1),
        );
        return;
    };
    let ms = markers(state, &e.name, data.start, data.end);
    let legend = legend_line(state, theme, e, &ms, data.start);
    frame.render_widget(
        Paragraph::new(Line::from(truncate_spans(legend.spans, w))),
        Rect::new(inner.x, y, inner.width, 1),
    );
    y += 1;

    let kinds = chart_kinds(v);
    let (cols, rows) = grid(kinds.len(), inner.width);
    let grid_h = bottom.saturating_sub(y);
    let fit_rows = usize::from(grid_h / MIN_CELL_H).min(rows);
    if fit_rows == 0 {
        return;
    }
    let cell_h = (grid_h / fit_rows as u16).min(MAX_CELL_H);
    let cell_w = inner.width / cols as u16;
    for (i, kind) in kinds.iter().take(cols * fit_rows).enumerate() {
        let (r, c) = ((i / cols) as u16, (i % cols) as u16);
        let x = inner.x + c * cell_w;
        let width = if c as usize == cols - 1 {
            inner.right() - x
        } else {
            cell_w - 1
        };
        let cell = Rect::new(x, y + r * cell_h, width, cell_h);
        render_chart(frame, cell, state, theme, data, &v.name, *kind, &ms);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids_balance_rows_and_nice_bounds_round_up() {
        assert_eq!(grid(4, 160), (4, 1));
        assert_eq!(grid(5, 160), (3, 2));
        assert_eq!(grid(4, 80), (2, 2));
        assert_eq!(grid(3, 30), (1, 3));
        assert_eq!(nice_ceil(0.0), 1.0);
        assert_eq!(nice_ceil(812.0), 1000.0);
        assert_eq!(nice_ceil(41.0), 50.0);
        assert_eq!(nice_ceil(2.2), 2.5);
        assert_eq!(nice_ceil(100.0), 100.0);
        let pts = [(0.0, 1.0), (60.0, 1.0), (300.0, 2.0)];
        assert_eq!(segments(&pts, 60.0).len(), 2);
    }
}
