//! The `:api` view: sagetop's own calls per operation, throttles and errors, and what its
//! CloudWatch polling costs (GetMetricData is billed per metric requested).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table};

use crate::app::AppState;
use crate::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border)
        .title(Span::styled(" API calls ", theme.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(stats) = &state.api_stats else {
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
    if let Some(b) = &state.metrics.budget {
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
    let rows = stats.operations.iter().map(|o| {
        let err_style = if o.errors > 0 {
            theme.danger
        } else {
            theme.base
        };
        Row::new(vec![
            Cell::from(o.operation.as_str()),
            Cell::from(Line::from(o.calls.to_string()).right_aligned()),
            Cell::from(Line::from(o.calls_last_minute.to_string()).right_aligned()),
            Cell::from(Line::from(o.throttles.to_string()).right_aligned()).style(
                if o.throttles > 0 {
                    theme.warning
                } else {
                    theme.base
                },
            ),
            Cell::from(Line::from(o.errors.to_string()).right_aligned()).style(err_style),
            Cell::from(o.last_error.clone().unwrap_or_default()).style(theme.muted),
        ])
    });
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
