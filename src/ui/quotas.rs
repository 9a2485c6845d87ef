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
use crate::app::contexts::Ctx;
use crate::app::ctx_views;
use crate::app::quotas_view::{
    EndpointQuotaRow, OtherQuotaRow, QuotaSection, merged_endpoint_rows, merged_other_rows,
    sections,
};
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

/// The ACCOUNT/REGION cell of a context: its account (its profile until STS answers) and
/// its region, as a short code where the column is narrow.
pub fn context_cell(c: &Ctx, wide: bool) -> String {
    let who = c
        .account
        .clone()
        .or_else(|| c.profile.clone())
        .unwrap_or_else(|| c.label.clone());
    let region = if wide {
        c.region.clone()
    } else {
        format::region_code(&c.region)
    };
    format!("{who} {region}")
}

/// Width of the ACCOUNT/REGION column (0 with one context open).
fn context_width(state: &AppState, wide: bool) -> usize {
    if !state.contexts.multi() {
        return 0;
    }
    ctx_views::shown(state)
        .iter()
        .map(|c| format::width(&context_cell(c, wide)))
        .max()
        .unwrap_or(0)
        .max("ACCOUNT/REGION".len())
}

/// The context cell and its gap, stale-styled when that context's quotas failed.
fn context_spans<'a>(ctx: Option<&Ctx>, ctx_w: usize, wide: bool, theme: &Theme) -> Vec<Span<'a>> {
    let Some(c) = ctx.filter(|_| ctx_w > 0) else {
        return Vec::new();
    };
    let failing = c
        .panels
        .get(&Panel::Quotas)
        .is_some_and(|h| h.error.is_some());
    vec![
        Span::styled(
            pad(&context_cell(c, wide), ctx_w, false),
            if failing { theme.stale } else { theme.muted },
        ),
        Span::raw("  "),
    ]
}

struct Layout {
    ctx_w: usize,
    wide: bool,
    type_w: usize,
    bar_w: usize,
    w: usize,
}

fn endpoint_line<'a>(
    ctx: Option<&Ctx>,
    row: &EndpointQuotaRow,
    theme: &Theme,
    l: &Layout,
) -> Line<'a> {
    let style = level_style(row, theme);
    let (full, empty) = bar(row.percent, l.bar_w);
    let mut spans = context_spans(ctx, l.ctx_w, l.wide, theme);
    spans.extend([
        Span::raw(pad(&row.instance_type, l.type_w, false)),
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
    ]);
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
    Line::from(truncate_spans(spans, l.w))
}

fn other_line<'a>(
    ctx: Option<&Ctx>,
    row: &OtherQuotaRow,
    theme: &Theme,
    name_w: usize,
    l: &Layout,
) -> Line<'a> {
    let style = role(row.level, theme);
    let used = row.used.map_or_else(|| MISSING.to_string(), format::rate);
    let mut spans = context_spans(ctx, l.ctx_w, l.wide, theme);
    spans.extend([
        Span::raw(pad(&row.name, name_w, false)),
        Span::raw("  "),
        Span::styled(pad(&used, 6, true), style),
        Span::raw("  "),
        Span::raw(pad(&format::rate(row.limit), 6, true)),
        Span::raw("  "),
        Span::styled(pad(&pct_text(row.percent), 4, true), style),
    ]);
    Line::from(truncate_spans(spans, l.w))
}

/// With several contexts: one line per context shown, with its account and region, how many
/// quotas it listed and how fresh they are (a failing context's quotas are its last good
/// ones, marked stale here and in their ACCOUNT/REGION cells).
fn context_lines<'a>(
    state: &AppState,
    sections: &[QuotaSection],
    theme: &Theme,
    w: usize,
) -> Vec<Line<'a>> {
    sections
        .iter()
        .filter_map(|s| s.context.map(|c| (c, s.len())))
        .map(|(c, n)| {
            let h = c.panels.get(&Panel::Quotas).cloned().unwrap_or_default();
            let (fresh, failing) = format::health_freshness(state, Panel::Quotas, &h);
            let mut spans = vec![Span::styled(format!(" {} ", c.label), theme.title)];
            // Narrow: the rows' ACCOUNT/REGION cells say where; the line says how fresh.
            if w >= 120 {
                spans.push(Span::styled(
                    format!(" {} ", context_cell(c, true)),
                    theme.muted,
                ));
                spans.push(Span::styled(format!(" {n} quotas "), theme.muted));
            }
            spans.push(Span::styled(
                if failing {
                    format!(" stale: {fresh}")
                } else {
                    format!(" {fresh}")
                },
                if failing { theme.stale } else { theme.muted },
            ));
            Line::from(truncate_spans(spans, w))
        })
        .collect()
}

/// Draws the view; returns the footer's position text ("3/14"). With several contexts the
/// rows of every context shown are one list, worst first, with an ACCOUNT/REGION column: on
/// a 24-line screen the account nearest a limit shows first whichever it is, where a section
/// per context would push the second account's rows below the fold.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let sections = sections(state);
    let eps = merged_endpoint_rows(&sections);
    let others = merged_other_rows(&sections);
    let w = area.width as usize;
    let total = eps.len() + others.len();
    let selected = state.quotas_view.selected.min(total.saturating_sub(1));
    let wide = w >= 120;
    let ctx_w = context_width(state, wide);
    let ctx_gap = if ctx_w > 0 { ctx_w + 2 } else { 0 };

    let mut lines: Vec<Line> = context_lines(state, &sections, theme, w);
    let mut selected_line = 0;
    let type_w = eps
        .iter()
        .map(|(_, r)| format::width(&r.instance_type))
        .max()
        .unwrap_or(13)
        .clamp(13, 20);
    let bar_w = w
        .saturating_sub(ctx_gap + type_w + 2 + 10 + 2 + 2 + 4 + 2 + 24)
        .clamp(8, 30);
    let layout = Layout {
        ctx_w,
        wide,
        type_w,
        bar_w,
        w,
    };
    let ctx_head = if ctx_w > 0 {
        format!("{}  ", pad("ACCOUNT/REGION", ctx_w, false))
    } else {
        String::new()
    };
    let header = format!(
        "{ctx_head}{}  {}  {}  {}  NOTE",
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
        let h = ctx_views::view_health(state, Panel::Quotas);
        let text = match &h.error {
            Some(err) => format!("could not read the quotas: {err}"),
            None if h.last_ok.is_none() => "loading…".to_string(),
            None => "no endpoint-usage quotas listed".to_string(),
        };
        lines.push(Line::styled(text, theme.muted));
    }
    for (i, (ctx, r)) in eps.iter().enumerate() {
        if i == selected {
            selected_line = lines.len();
        }
        let l = endpoint_line(*ctx, r, theme, &layout);
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
            .map(|(_, r)| format::width(&r.name))
            .max()
            .unwrap_or(4);
        let name_w = w
            .saturating_sub(ctx_gap + 2 + 6 + 2 + 6 + 2 + 4)
            .max(10)
            .min(longest.max(4));
        lines.push(Line::styled(
            format::truncate(
                &format!(
                    "{ctx_head}{}  {}  {}  {}",
                    pad("NAME", name_w, false),
                    pad("USED", 6, true),
                    pad("LIMIT", 6, true),
                    pad("%", 4, true)
                ),
                w,
            ),
            theme.table_header,
        ));
        for (j, (ctx, r)) in others.iter().enumerate() {
            let i = eps.len() + j;
            if i == selected {
                selected_line = lines.len();
            }
            let l = other_line(*ctx, r, theme, name_w, &layout);
            lines.push(if i == selected {
                l.style(theme.selection)
            } else {
                l
            });
        }
    }
    let name = match ctx_views::title_contexts(state) {
        Some(ctxs) => format!("Quotas · {ctxs} ({} endpoint-usage)", eps.len()),
        None => {
            let region = state
                .identity
                .as_ref()
                .map(|i| i.region.clone())
                .or_else(|| state.session.region.clone())
                .unwrap_or_default();
            format!(
                "Quotas: <instance type> for endpoint usage ({}, {region})",
                eps.len()
            )
        }
    };
    let title = section_title(state, theme, name, Panel::Quotas);
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
