//! The quotas view: endpoint-usage quotas per instance type with used/limit, a bar and the
//! percent in the ok/warning/danger role (80% and 100% marks), flags for types in use without
//! quota, then the other SageMaker quotas; plus the usage spans the detail shows inline.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::{section, section_title};
use super::endpoints::scroll_offset;
use super::format::{self, MISSING};
use super::text::truncate_spans;
use crate::app::quotas_view::{EndpointQuotaRow, OtherQuotaRow, endpoint_rows, other_rows};
use crate::app::{AppState, Panel};
use crate::domain::QuotaLevel;
use crate::theme::Theme;

fn role(level: QuotaLevel, theme: &Theme) -> Style {
    match level {
        QuotaLevel::Ok => theme.ok,
        QuotaLevel::Warning => theme.warning,
        QuotaLevel::Exceeded => theme.danger,
    }
}

/// The role of a row: danger at or above 100% (or quota 0 for a type in use), warning at or
/// above 80%, ok below.
pub fn level_style(row: &EndpointQuotaRow, theme: &Theme) -> Style {
    role(row.level, theme)
}

/// "█████░░░░░" for `percent` in `width` cells.
pub fn bar(percent: Option<f64>, width: usize) -> (String, String) {
    let filled = percent
        .map_or(0, |p| {
            ((p.clamp(0.0, 100.0) / 100.0) * width as f64).round() as usize
        })
        .min(width);
    ("█".repeat(filled), "░".repeat(width - filled))
}

fn pct_text(p: Option<f64>) -> String {
    p.map_or_else(|| MISSING.to_string(), |p| format!("{p:.0}%"))
}

fn limit_text(limit: Option<f64>) -> String {
    limit.map_or_else(|| MISSING.to_string(), format::rate)
}

/// "5/6 ████████░░ 83%" in the row's role.
pub fn usage_spans<'a>(row: &EndpointQuotaRow, theme: &Theme, bar_w: usize) -> Vec<Span<'a>> {
    let style = level_style(row, theme);
    let (full, empty) = bar(row.percent, bar_w);
    vec![
        Span::raw(format!("{}/{} ", row.used, limit_text(row.limit))),
        Span::styled(full, style),
        Span::styled(empty, theme.muted),
        Span::styled(format!(" {}", pct_text(row.percent)), style),
    ]
}

fn pad(s: &str, w: usize, right: bool) -> String {
    let s = format::truncate(s, w);
    let gap = " ".repeat(w.saturating_sub(format::width(&s)));
    if right {
        format!("{gap}{s}")
    } else {
        format!("{s}{gap}")
    }
}

fn endpoint_line<'a>(
    row: &EndpointQuotaRow,
    theme: &Theme,
    type_w: usize,
    bar_w: usize,
    w: usize,
) -> Line<'a> {
    let style = level_style(row, theme);
    let (full, empty) = bar(row.percent, bar_w);
    let mut spans = vec![
        Span::raw(pad(&row.instance_type, type_w, false)),
        Span::raw("  "),
        Span::raw(pad(
            &format!("{}/{}", row.used, limit_text(row.limit)),
            10,
            true,
        )),
        Span::raw("  "),
        Span::styled(full, style),
        Span::styled(empty, theme.muted),
        Span::raw("  "),
        Span::styled(pad(&pct_text(row.percent), 4, true), style),
    ];
    let mut note = Vec::new();
    if let Some(f) = &row.flag {
        note.push(f.clone());
    } else if !row.endpoints.is_empty() {
        note.push(format!("used by {}", row.endpoints.join(", ")));
    }
    if row.desired != row.used && row.flag.is_none() {
        note.push(format!("desired {}", row.desired));
    }
    if !note.is_empty() {
        spans.push(Span::raw("  "));
        spans.push(Span::styled(
            note.join("; "),
            if row.flag.is_some() {
                style
            } else {
                theme.muted
            },
        ));
    }
    Line::from(truncate_spans(spans, w))
}

fn other_line<'a>(row: &OtherQuotaRow, theme: &Theme, name_w: usize, w: usize) -> Line<'a> {
    let style = role(row.level, theme);
    let used = row.used.map_or_else(|| MISSING.to_string(), format::rate);
    let spans = vec![
        Span::raw(pad(&row.name, name_w, false)),
        Span::raw("  "),
        Span::styled(pad(&used, 6, true), style),
        Span::raw("  "),
        Span::raw(pad(&format::rate(row.limit), 6, true)),
        Span::raw("  "),
        Span::styled(pad(&pct_text(row.percent), 4, true), style),
    ];
    Line::from(truncate_spans(spans, w))
}

/// Draws the view; returns the footer's position text ("3/14").
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let eps = endpoint_rows(state);
    let others = other_rows(state);
    let w = area.width as usize;
    let region = state
        .identity
        .as_ref()
        .map(|i| i.region.clone())
        .or_else(|| state.session.region.clone())
        .unwrap_or_default();
    let total = eps.len() + others.len();
    let selected = state.quotas_view.selected.min(total.saturating_sub(1));

    let mut lines: Vec<Line> = Vec::new();
    let mut selected_line = 0;
    let type_w = eps
        .iter()
        .map(|r| format::width(&r.instance_type))
        .max()
        .unwrap_or(13)
        .clamp(13, 20);
    let bar_w = w
        .saturating_sub(type_w + 2 + 10 + 2 + 2 + 4 + 2 + 24)
        .clamp(8, 30);
    let header = format!(
        "{}  {}  {}  {}  NOTE",
        pad("INSTANCE TYPE", type_w, false),
        pad("USED/LIMIT", 10, true),
        pad("USE", bar_w, false),
        pad("%", 4, true),
    );
    lines.push(Line::styled(
        format::truncate(&header, w),
        theme.table_header,
    ));
    if eps.is_empty() {
        let h = state.health(Panel::Quotas);
        let text = match &h.error {
            Some(err) => format!("could not read the quotas: {err}"),
            None if h.last_ok.is_none() => "loading…".to_string(),
            None => "no endpoint-usage quotas listed".to_string(),
        };
        lines.push(Line::styled(text, theme.muted));
    }
    for (i, r) in eps.iter().enumerate() {
        if i == selected {
            selected_line = lines.len();
        }
        let l = endpoint_line(r, theme, type_w, bar_w, w);
        lines.push(if i == selected {
            l.style(theme.selection)
        } else {
            l
        });
    }
    if !others.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled(" Other SageMaker quotas", theme.title));
        let longest = others
            .iter()
            .map(|r| format::width(&r.name))
            .max()
            .unwrap_or(4);
        let name_w = w
            .saturating_sub(2 + 6 + 2 + 6 + 2 + 4)
            .max(10)
            .min(longest.max(4));
        lines.push(Line::styled(
            format::truncate(
                &format!(
                    "{}  {}  {}  {}",
                    pad("NAME", name_w, false),
                    pad("USED", 6, true),
                    pad("LIMIT", 6, true),
                    pad("%", 4, true)
                ),
                w,
            ),
            theme.table_header,
        ));
        for (j, r) in others.iter().enumerate() {
            let i = eps.len() + j;
            if i == selected {
                selected_line = lines.len();
            }
            let l = other_line(r, theme, name_w, w);
            lines.push(if i == selected {
                l.style(theme.selection)
            } else {
                l
            });
        }
    }
    let title = section_title(
        state,
        theme,
        format!(
            "Quotas: <instance type> for endpoint usage ({}, {region})",
            eps.len()
        ),
        Panel::Quotas,
    );
    let block = section(theme, title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = inner.height as usize;
    let offset = scroll_offset(selected_line, lines.len(), h);
    let visible: Vec<Line> = lines.into_iter().skip(offset).take(h).collect();
    frame.render_widget(Paragraph::new(visible), inner);
    (total > 0).then(|| format!("{}/{}", selected + 1, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_fill_by_percent() {
        assert_eq!(bar(Some(50.0), 10), ("█".repeat(5), "░".repeat(5)));
        assert_eq!(bar(Some(130.0), 4), ("█".repeat(4), String::new()));
        assert_eq!(bar(None, 3), (String::new(), "░".repeat(3)));
    }
}
