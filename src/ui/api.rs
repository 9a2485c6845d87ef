//! The `:api` view: sagetop's own calls per operation, throttles and errors, and what its
//! CloudWatch polling costs (GetMetricData is billed per metric requested).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use crate::app::AppState;
use crate::app::contexts::Ctx;
use crate::app::ctx_views::{self, ApiTotals};
use crate::boundary::api_stats::{ApiStats, OperationStats};
use crate::theme::Theme;

fn count_cell<'a>(n: u64, bad: Option<Style>, theme: &Theme) -> Cell<'a> {
    let style = match bad {
        Some(s) if n > 0 => s,
        _ => theme.base,
    };
    Cell::from(Line::from(n.to_string()).right_aligned()).style(style)
}

/// One operation's row (indented under its context's heading when several are open).
fn op_row<'a>(o: &OperationStats, indent: &str, theme: &Theme) -> Row<'a> {
    Row::new(vec![
        Cell::from(format!("{indent}{}", o.operation.as_str())),
        count_cell(o.calls, None, theme),
        count_cell(o.calls_last_minute, None, theme),
        count_cell(o.throttles, Some(theme.warning), theme),
        count_cell(o.errors, Some(theme.danger), theme),
        Cell::from(o.last_error.clone().unwrap_or_default()).style(theme.muted),
    ])
}

/// A heading or total row: a name and the figures added up.
fn sum_row<'a>(name: String, t: &ApiTotals, theme: &Theme) -> Row<'a> {
    Row::new(vec![
        Cell::from(name).style(theme.title),
        count_cell(t.calls, None, theme),
        count_cell(t.calls_last_minute, None, theme),
        count_cell(t.throttles, Some(theme.warning), theme),
        count_cell(t.errors, Some(theme.danger), theme),
        Cell::from(""),
    ])
}

/// Per context: a heading row with its figures, its operations beneath; then the total of
/// every context shown.
fn context_rows<'a>(shown: &[&Ctx], theme: &Theme) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for c in shown {
        match &c.api_stats {
            Some(s) => {
                rows.push(sum_row(c.label.clone(), &ApiTotals::of(s), theme));
                rows.extend(s.operations.iter().map(|o| op_row(o, "  ", theme)));
            }
            None => rows.push(Row::new(vec![
                Cell::from(c.label.clone()).style(theme.title),
                Cell::from(""),
                Cell::from(""),
                Cell::from(""),
                Cell::from(""),
                Cell::from("no call accounting yet").style(theme.muted),
            ])),
        }
    }
    if shown.len() > 1 {
        let all = ApiTotals::sum(shown.iter().filter_map(|c| c.api_stats.as_ref()));
        rows.push(sum_row(
            format!("TOTAL ({} contexts)", shown.len()),
            &all,
            theme,
        ));
    }
    rows
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let mut title = vec![Span::styled(" API calls ", theme.title)];
    if let Some(ctxs) = ctx_views::title_contexts(state) {
        title.push(Span::styled(format!(" {ctxs} "), theme.accent));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let shown = ctx_views::shown(state);
    let per_ctx: Vec<(&Ctx, &ApiStats)> = shown
        .iter()
        .filter_map(|c| c.api_stats.as_ref().map(|s| (*c, s)))
        .collect();
    let totals = if state.contexts.multi() {
        (!per_ctx.is_empty()).then(|| ApiTotals::sum(per_ctx.iter().map(|(_, s)| *s)))
    } else {
        state.api_stats.as_ref().map(ApiTotals::of)
    };
    let Some(stats) = totals else {
        let text = "no call accounting yet (it refreshes every second while this view is open)";
        frame.render_widget(Paragraph::new(Span::styled(text, theme.muted)), inner);
        return;
    };
    let cost = match stats.metric_cost_usd_per_hour {
        Some(c) => Span::styled(format!("${c:.3}/hour"), theme.accent),
        None => Span::styled("estimating…".to_string(), theme.muted),
    };
    let throttle_style = if stats.throttles > 0 {
        theme.warning
    } else {
        theme.ok
    };
    let mut summary = vec![
        Line::from(vec![
            Span::styled("calls/min ", theme.muted),
            Span::styled(stats.calls_last_minute.to_string(), theme.base),
            Span::styled("  throttles ", theme.muted),
            Span::styled(stats.throttles.to_string(), throttle_style),
            Span::styled("  since ", theme.muted),
            Span::styled(
                crate::units::format_age(stats.uptime_secs as i64),
                theme.base,
            ),
            Span::styled(" ago", theme.muted),
        ]),
        Line::from(vec![
            Span::styled("GetMetricData ", theme.muted),
            Span::styled(stats.metrics_requested_last_hour.to_string(), theme.base),
            Span::styled(" metrics in the last hour ≈ ", theme.muted),
            cost,
            Span::styled(" ($0.01 per 1,000)", theme.muted),
        ]),
    ];
    // The cost governor's choice: spend against budget, and how stale the slowest rows get.
    if let Some(b) = &ctx_views::budget_total(state) {
        let over = stats
            .metric_cost_usd_per_hour
            .is_some_and(|c| c > b.budget_usd_per_hour * 1.05);
        let slowest = match b.slowest_every {
            Some(d) => format!("every {}", crate::units::format_age(d.as_secs() as i64)),
            None => "not until the budget allows".to_string(),
        };
        summary.push(Line::from(vec![
            Span::styled("budget ", theme.muted),
            Span::styled(
                format!("${:.2}/hour", b.budget_usd_per_hour),
                if over { theme.warning } else { theme.base },
            ),
            Span::styled("  planned ", theme.muted),
            Span::styled(format!("${:.3}/hour", b.planned_usd_per_hour), theme.base),
            Span::styled(
                format!(" (charts ${:.3})", b.charts_usd_per_hour),
                theme.muted,
            ),
        ]));
        summary.push(Line::from(vec![
            Span::styled(
                format!(
                    "{} rows on screen every minute, {} others in turn, ",
                    b.every_cycle, b.round_robin
                ),
                theme.muted,
            ),
            Span::styled(slowest, theme.base),
        ]));
    }
    if state.session.demo {
        summary.push(Line::from(Span::styled(
            "simulated account over the wire: its calls cost nothing; rates per real minute",
            theme.muted,
        )));
    }
    let [summary_area, table_area] =
        Layout::vertical([Constraint::Length(summary.len() as u16), Constraint::Min(1)])
            .areas(inner);
    frame.render_widget(Paragraph::new(summary), summary_area);

    let header = Row::new([
        "OPERATION",
        "CALLS",
        "/MIN",
        "THROTTLED",
        "ERRORS",
        "LAST ERROR",
    ])
    .style(theme.table_header);
    let rows: Vec<Row> = if state.contexts.multi() {
        context_rows(&shown, theme)
    } else {
        state
            .api_stats
            .iter()
            .flat_map(|s| s.operations.iter().map(|o| op_row(o, "", theme)))
            .collect()
    };
    let widths = [
        Constraint::Length(34),
        Constraint::Length(7),
        Constraint::Length(5),
        Constraint::Length(9),
        Constraint::Length(6),
        Constraint::Min(10),
    ];
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .style(theme.base),
        table_area,
    );
}
