//! Draws the load-run panel (live or finished): progress, parameters, key figures, streamed
//! answers' time to first chunk, chunks/s and total time (streaming runs), a requests/s sparkline, the latency histogram, the percentile table, status codes and errors
//! by kind, and the per-variant split. Degrades from 160×45 down to 80×24.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Sparkline};

use super::format::{truncate, width};
use crate::app::AppState;
use crate::app::runs_dialog::RunPlan;
use crate::load::report::{bytes, latency};
use crate::load::{StopAfter, StopReason, Summary};
use crate::theme::Theme;
use crate::units::format_duration;

/// Where the shown run is.
enum Phase {
    Starting,
    Running { stopping: bool },
    Done(StopReason),
}

/// Draws run `id` (the active run or a past one) over `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, id: u64) {
    let empty;
    let (plan, summary, phase, via): (&RunPlan, &Summary, Phase, Option<&str>) =
        match (&state.runs.active, state.runs.record(id)) {
            (Some(a), _) if a.plan.id == id => match &a.progress {
                Some(p) => (
                    &a.plan,
                    &p.summary,
                    Phase::Running {
                        stopping: a.stopping,
                    },
                    None,
                ),
                None => {
                    empty = Summary::empty();
                    (&a.plan, &empty, Phase::Starting, None)
                }
            },
            (_, Some(r)) => (
                &r.plan,
                &r.report.result.summary,
                Phase::Done(r.report.result.stop),
                Some(r.report.params.target.via.as_str()),
            ),
            _ => return,
        };
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::styled(
            format!(" load run #{id} · {} ", plan.endpoint),
            theme.title,
        ))
        .style(theme.base);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 6 || inner.width < 30 {
        return;
    }
    // Streaming runs: two rows of stream figures under the key figures.
    let stream_h = if summary.stream.is_some() || plan.stream {
        2
    } else {
        0
    };
    let h = inner.height.saturating_sub(stream_h);
    let var_h = (summary.variants.len() as u16 + 1).clamp(2, if h >= 30 { 8 } else { 3 });
    // Histogram, percentiles and errors take a row per bar (bars merge on small screens);
    // the sparkline 3 to 12 rows of the rest; what remains stays blank below the variants.
    let bars = summary.histogram.len().max(1) as u16;
    let avail = h.saturating_sub(6 + var_h);
    let merged = bars.div_ceil(bars.div_ceil(avail.saturating_sub(1).max(1)));
    let mid_h = (merged + 1).max(9).min(avail);
    let spark_h = h.saturating_sub(3 + mid_h + var_h).clamp(3, 12);
    let [
        progress_a,
        params_a,
        figures_a,
        stream_a,
        spark_a,
        mid_a,
        var_a,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(stream_h),
        Constraint::Length(spark_h),
        Constraint::Length(mid_h),
        Constraint::Fill(1),
    ])
    .areas(inner);
    progress(frame, progress_a, theme, plan, summary, &phase);
    params(frame, params_a, theme, plan, via);
    figures(frame, figures_a, theme, summary);
    if stream_h > 0 {
        stream(frame, stream_a, theme, summary);
    }
    let planned_secs = plan
        .spec
        .duration()
        .map(|d| d.as_secs_f64().ceil() as usize);
    sparkline(
        frame,
        spark_a,
        theme,
        summary,
        matches!(phase, Phase::Done(_)),
        planned_secs,
    );
    let side = if inner.width >= 120 { 34 } else { 24 };
    let [hist_a, pct_a, status_a] = Layout::horizontal([
        Constraint::Fill(1),
        Constraint::Length(20),
        Constraint::Length(side),
    ])
    .spacing(1)
    .areas(mid_a);
    histogram(frame, hist_a, theme, summary);
    percentiles(frame, pct_a, theme, summary);
    statuses(frame, status_a, theme, summary);
    variants(frame, var_a, theme, summary);
}

fn progress(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    plan: &RunPlan,
    s: &Summary,
    phase: &Phase,
) {
    let (label, style) = match phase {
        Phase::Starting => ("starting".to_string(), theme.info),
        Phase::Running { stopping: true } => ("stopping".to_string(), theme.warning),
        Phase::Running { stopping: false } => ("running".to_string(), theme.info),
        Phase::Done(StopReason::Completed) => ("completed".to_string(), theme.ok),
        Phase::Done(r) => (r.label().to_string(), theme.warning),
    };
    let (ratio, of) = match plan.spec.stop {
        StopAfter::Duration(d) => (
            s.elapsed.as_secs_f64() / d.as_secs_f64().max(1e-9),
            format!("{:.1}s / {}", s.elapsed.as_secs_f64(), format_duration(d)),
        ),
        StopAfter::Requests(n) => (
            s.requests as f64 / n.max(1) as f64,
            format!("{} / {n} requests", s.requests),
        ),
    };
    let ratio = if matches!(phase, Phase::Done(StopReason::Completed)) {
        1.0
    } else {
        ratio.clamp(0.0, 1.0)
    };
    let head = format!("● {label}  {of}  ");
    let tail = format!(" {:>3.0}%", ratio * 100.0);
    let bar_w = (area.width as usize).saturating_sub(width(&head) + width(&tail) + 2);
    let filled = (ratio * bar_w as f64).round() as usize;
    let line = Line::from(vec![
        Span::styled(head, style),
        Span::styled("▕", theme.muted),
        Span::styled("█".repeat(filled), theme.accent),
        Span::styled("░".repeat(bar_w - filled.min(bar_w)), theme.muted),
        Span::styled("▏", theme.muted),
        Span::raw(tail),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn params(frame: &mut Frame, area: Rect, theme: &Theme, plan: &RunPlan, via: Option<&str>) {
    let mode = if plan.spec.rate.is_some() {
        "open loop, latency from scheduled start"
    } else {
        "closed loop"
    };
    let variant = plan.variant.as_deref().map_or_else(
        || "variants by weight".to_string(),
        |v| format!("variant {v} only"),
    );
    let mut text = format!(
        "{} ({mode}) · {variant} · payload {}",
        plan.spec.describe(),
        plan.payload.describe()
    );
    if let Some(v) = via {
        text.push_str(&format!(" · {v}"));
    }
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(&text, area.width as usize),
            theme.muted,
        )),
        area,
    );
}

fn figures(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let err_style = if s.failed > 0 { theme.danger } else { theme.ok };
    let mut spans = vec![
        Span::styled(format!("{}", s.requests), theme.accent),
        Span::raw(" req  "),
        Span::styled(format!("{:.1}", s.requests_per_sec), theme.accent),
        Span::raw(" req/s  "),
        Span::styled(format!("{:.2}% ok", s.success_rate() * 100.0), err_style),
        Span::raw(format!("  {} failed", s.failed)),
    ];
    if s.aborted > 0 {
        spans.push(Span::styled(
            format!("  {} aborted", s.aborted),
            theme.muted,
        ));
    }
    spans.push(Span::styled(
        format!("  ↑{} ↓{}", bytes(s.bytes_sent), bytes(s.bytes_received)),
        theme.muted,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Time to first chunk and total time (p50, p90, p99), chunks/s per stream, counts.
fn stream(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let w = area.width as usize;
    let pcts = |l: Option<&crate::load::LatencyStats>| match l {
        Some(l) => format!(
            "p50 {:>8}  p90 {:>8}  p99 {:>8}",
            latency(l.p50),
            latency(l.p90),
            latency(l.p99)
        ),
        None => "—".to_string(),
    };
    let st = s.stream.as_ref();
    let first = pcts(st.and_then(|t| t.first_chunk.as_ref()));
    let total = pcts(st.and_then(|t| t.total.as_ref()));
    let rate = st.and_then(|t| t.chunks_per_sec).map_or_else(
        || "—".to_string(),
        |r| format!("p50 {:.1}  p90 {:.1}", r.p50, r.p90),
    );
    let counts = st.map_or_else(
        || "no stream finished yet".to_string(),
        |t| format!("{} streams, {} chunks", t.responses, t.chunks),
    );
    let label = |text: &str| Span::styled(format!("{text:<6}"), theme.table_header);
    let lines = vec![
        Line::from(vec![
            label("TTFC"),
            Span::raw(first),
            Span::styled(format!("  · {counts}"), theme.muted),
        ]),
        Line::from(vec![
            label("total"),
            Span::raw(total),
            Span::raw(format!("  · chunks/s {rate}")),
        ]),
    ];
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l| {
            // Cut at the panel's width, keeping the styles of what fits.
            let mut room = w;
            let spans: Vec<Span> = l
                .spans
                .into_iter()
                .filter_map(|sp| {
                    if room == 0 {
                        return None;
                    }
                    let text = truncate(&sp.content, room);
                    room = room.saturating_sub(width(&text));
                    Some(Span::styled(text, sp.style))
                })
                .collect();
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

fn sparkline(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    s: &Summary,
    done: bool,
    planned_secs: Option<usize>,
) {
    if area.height < 2 {
        return;
    }
    // While running, the current second is still filling: leave it out.
    let full = if done {
        &s.per_second[..]
    } else {
        &s.per_second[..s.per_second.len().saturating_sub(1)]
    };
    let w = area.width.saturating_sub(1) as usize;
    let shown = &full[full.len().saturating_sub(w)..];
    let peak = shown.iter().max().copied().unwrap_or(0);
    let last = shown.last().copied().unwrap_or(0);
    let [title_a, chart_a] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let title = format!(
        "requests/s per second — now {last}, peak {peak}{}",
        if full.len() > shown.len() {
            format!(", last {} s", shown.len())
        } else {
            String::new()
        }
    );
    frame.render_widget(
        Paragraph::new(Line::styled(
            truncate(&title, area.width as usize),
            theme.title,
        )),
        title_a,
    );
    if shown.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled(
                "waiting for the first full second…",
                theme.muted,
            )),
            chart_a,
        );
        return;
    }
    let style = theme
        .chart_series
        .first()
        .map_or(theme.accent, |c| Style::default().fg(*c));
    // Each second gets equal columns, so a timed run fills the width as it goes.
    let seconds = planned_secs.unwrap_or(shown.len()).max(shown.len()).max(1);
    let per = (w / seconds).clamp(1, 8);
    let wide: Vec<u64> = shown
        .iter()
        .flat_map(|v| std::iter::repeat_n(*v, per))
        .collect();
    frame.render_widget(Sparkline::default().data(&wide).style(style), chart_a);
}

fn histogram(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let mut lines = vec![Line::styled("latency histogram (ok)", theme.title)];
    let rows = area.height.saturating_sub(1) as usize;
    if s.histogram.is_empty() || rows == 0 {
        lines.push(Line::styled("no successful request yet", theme.muted));
        frame.render_widget(Paragraph::new(lines), area);
        return;
    }
    // Merge neighbouring bars when there are more bars than rows.
    let per = s.histogram.len().div_ceil(rows);
    let bars: Vec<(std::time::Duration, u64)> = s
        .histogram
        .chunks(per)
        .map(|c| {
            (
                c.last().map(|b| b.upper).unwrap_or_default(),
                c.iter().map(|b| b.count).sum(),
            )
        })
        .collect();
    let max = bars.iter().map(|b| b.1).max().unwrap_or(1).max(1);
    let count_w = bars
        .iter()
        .map(|b| b.1.to_string().len())
        .max()
        .unwrap_or(1);
    let label_w = 11;
    let bar_room = (area.width as usize).saturating_sub(label_w + count_w + 3);
    let n = bars.len();
    for (i, &(upper, count)) in bars.iter().enumerate() {
        let len = ((count as f64 / max as f64) * bar_room as f64).round() as usize;
        // The last bar also holds the outliers beyond p99.9.
        let label = match i.checked_sub(1) {
            Some(prev) if i + 1 == n => format!(">{}", latency(bars[prev].0)),
            _ => format!("≤{}", latency(upper)),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{label:>label_w$} "), theme.muted),
            Span::styled("█".repeat(len.max(usize::from(count > 0))), theme.accent),
            Span::raw(format!(" {count:>count_w$}")),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn percentiles(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let mut lines = vec![Line::styled("percentiles", theme.title)];
    match &s.latency {
        None => lines.push(Line::styled("—", theme.muted)),
        Some(l) => {
            for (label, v) in l.rows() {
                lines.push(Line::from(vec![
                    Span::styled(format!("{label:<6}"), theme.table_header),
                    Span::raw(format!("{:>12}", latency(v))),
                ]));
            }
            lines.push(Line::from(vec![
                Span::styled(format!("{:<6}", "avg"), theme.table_header),
                Span::raw(format!("{:>12}", latency(l.average))),
            ]));
        }
    }
    lines.truncate(area.height as usize);
    frame.render_widget(Paragraph::new(lines), area);
}

fn statuses(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let w = area.width as usize;
    let mut lines = vec![Line::styled("status codes", theme.title)];
    if s.status_codes.is_empty() {
        lines.push(Line::styled("—", theme.muted));
    }
    for (code, n) in &s.status_codes {
        let style = match code {
            200..=299 => theme.ok,
            400..=499 => theme.warning,
            _ => theme.danger,
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{code:<5}"), style),
            Span::raw(format!("{n:>9}")),
        ]));
    }
    lines.push(Line::styled("errors", theme.title));
    if s.errors.is_empty() {
        lines.push(Line::styled("none", theme.ok));
    }
    for (kind, n) in &s.errors {
        let text = format!(
            "{:<11}{n:>5} {:>5.1}%",
            kind.label(),
            *n as f64 * 100.0 / s.requests.max(1) as f64
        );
        lines.push(Line::styled(truncate(&text, w), theme.danger));
        if let Some(sample) = s.error_samples.get(kind) {
            // As much of the first message as the rows left allow (at least one line).
            let room = (area.height as usize)
                .saturating_sub(lines.len() + 1)
                .clamp(1, 4);
            let wrapped = super::text::wrap(sample, w.saturating_sub(1));
            let n = wrapped.len();
            for (i, l) in wrapped.into_iter().take(room).enumerate() {
                let l = if i + 1 == room && n > room {
                    truncate(&format!("{l}…"), w.saturating_sub(1))
                } else {
                    l
                };
                lines.push(Line::styled(format!(" {l}"), theme.muted));
            }
        }
    }
    lines.truncate(area.height as usize);
    frame.render_widget(Paragraph::new(lines), area);
}

fn variants(frame: &mut Frame, area: Rect, theme: &Theme, s: &Summary) {
    let w = area.width as usize;
    let header = format!(
        "{:<24} {:>9} {:>7} {:>7} {:>11} {:>11}",
        "invoked variant", "requests", "share", "errors", "p50", "p99"
    );
    let mut lines = vec![Line::styled(truncate(&header, w), theme.table_header)];
    if s.variants.is_empty() {
        lines.push(Line::styled(
            "no answer named a variant yet (x-Amzn-Invoked-Production-Variant)",
            theme.muted,
        ));
    }
    for (name, v) in &s.variants {
        let (p50, p99) = v.latency.map_or(("-".into(), "-".into()), |l| {
            (latency(l.p50), latency(l.p99))
        });
        let text = format!(
            "{:<24} {:>9} {:>6.1}% {:>7} {:>11} {:>11}",
            truncate(name, 24),
            v.requests,
            v.share * 100.0,
            v.errors,
            p50,
            p99
        );
        lines.push(Line::styled(
            truncate(&text, w),
            if v.errors > 0 {
                theme.warning
            } else {
                theme.base
            },
        ));
    }
    lines.truncate(area.height as usize);
    frame.render_widget(Paragraph::new(lines), area);
}
