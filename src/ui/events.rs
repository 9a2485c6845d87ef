//! The events view: SageMaker API events newest first (time, event, principal, source IP,
//! resources, error), what filters them, and how far back the loaded pages reach.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use super::columns::{self, ColumnSpec};
use super::endpoints::scroll_offset;
use super::format::{self, MISSING};
use crate::app::charts::short_principal;
use crate::app::events_view::{rows, selected_index};
use crate::app::{AppState, Panel};
use crate::domain::TrailEvent;
use crate::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum C {
    Time,
    Age,
    Event,
    Principal,
    Ip,
    Resource,
    Error,
}

/// "loading older…", "older: m", "all loaded", or the paging error.
fn paging_note(state: &AppState) -> (String, bool) {
    let scope = state.events_view.criteria.scope();
    let Some(c) = state.trail.cursor(&scope) else {
        return ("m loads older".into(), false);
    };
    if c.loading {
        return (format!("loading older… ({} pages)", c.pages), false);
    }
    if let Some(e) = &c.error {
        return (format!("older events: {} (m retries)", e.short()), true);
    }
    // CloudTrail refused a page token and paging started again from the newest events.
    if let Some(n) = &c.notice {
        return (n.clone(), true);
    }
    if !c.has_more() {
        return ("all events loaded".into(), false);
    }
    match c.oldest {
        Some(o) => (
            format!("back to {} (m: older)", format::date_time(o)),
            false,
        ),
        None => ("m loads older".into(), false),
    }
}

fn title<'a>(state: &AppState, theme: &Theme, shown: usize) -> Line<'a> {
    let crit = &state.events_view.criteria;
    let mut spans = vec![Span::styled(
        format!(" Events ({shown} of {} loaded) ", state.trail.events.len()),
        theme.title,
    )];
    let filter = crit.describe();
    if !filter.is_empty() {
        spans.push(Span::styled(format!(" {filter} "), theme.accent));
    }
    let reads = if crit.show_reads {
        " with Describe/List "
    } else {
        " Describe/List hidden "
    };
    spans.push(Span::styled(reads, theme.muted));
    let (fresh, failing) = format::panel_freshness(state, Panel::Events);
    spans.push(Span::styled(
        format!(" {fresh} "),
        if failing { theme.stale } else { theme.muted },
    ));
    let (note, bad) = paging_note(state);
    spans.push(Span::styled(
        format!(" {note} "),
        if bad { theme.stale } else { theme.muted },
    ));
    Line::from(spans)
}

fn specs(rows: &[&TrailEvent]) -> Vec<ColumnSpec<C>> {
    let maxw = |f: &dyn Fn(&TrailEvent) -> usize| rows.iter().map(|e| f(e)).max().unwrap_or(1);
    let event_w = maxw(&|e| format::width(&e.name));
    let principal_w = maxw(&|e| format::width(&e.principal));
    let res_w = maxw(&|e| format::width(&e.resources.join(",")));
    let ip_w = maxw(&|e| e.source_ip.as_deref().map_or(1, format::width));
    let any_error = rows.iter().any(|e| e.error_code.is_some());
    let mut cols = vec![
        ColumnSpec::fixed(C::Time, "TIME UTC", 14, 0, Alignment::Left),
        ColumnSpec::fixed(C::Age, "AGE", 4, 5, Alignment::Right),
        ColumnSpec::flexible(C::Event, "EVENT", event_w, event_w.min(22), 0),
        ColumnSpec::flexible(C::Principal, "PRINCIPAL", principal_w.min(60), 13, 0),
        ColumnSpec::flexible(C::Ip, "SOURCE IP", ip_w.min(36), 13, 3),
        ColumnSpec::flexible(C::Resource, "RESOURCE", res_w.min(60), 13, 2),
    ];
    if any_error {
        cols.push(ColumnSpec::flexible(C::Error, "ERROR", 22, 10, 1));
    }
    cols
}

fn cell(key: C, e: &TrailEvent, state: &AppState, theme: &Theme) -> (String, Style) {
    match key {
        C::Time => (
            e.time.format("%m-%d %H:%M:%S").to_string(),
            Style::default(),
        ),
        C::Age => (format::age(state.now, e.time), theme.muted),
        C::Event => (
            e.name.clone(),
            if e.error_code.is_some() {
                theme.danger
            } else if e.read_only {
                theme.muted
            } else {
                Style::default()
            },
        ),
        C::Principal => (e.principal.clone(), Style::default()),
        C::Ip => (
            e.source_ip.clone().unwrap_or_else(|| MISSING.into()),
            theme.muted,
        ),
        C::Resource => (
            if e.resources.is_empty() {
                MISSING.into()
            } else {
                e.resources.join(",")
            },
            Style::default(),
        ),
        C::Error => (e.error_code.clone().unwrap_or_default(), theme.danger),
    }
}

fn empty_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let h = state.health(Panel::Events);
    let scope = state.events_view.criteria.scope();
    let loading = state.trail.cursor(&scope).is_some_and(|c| c.loading)
        || (h.last_ok.is_none() && h.error.is_none());
    if let Some(err) = &h.error
        && state.trail.events.is_empty()
    {
        return vec![
            Line::styled(format!("Could not read CloudTrail: {err}"), theme.danger),
            Line::styled(err.hint(), theme.muted),
        ];
    }
    if loading {
        return vec![Line::styled("loading events…", theme.muted)];
    }
    vec![Line::styled(
        format!(
            "No events match ({} loaded). a shows Describe/List calls, m loads older events, esc clears the / filter.",
            state.trail.events.len()
        ),
        theme.muted,
    )]
}

/// Draws the view; returns "selected/shown" for the footer.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let rows = rows(state);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(title(state, theme, rows.len()));
    let inner = block.inner(area);
    if rows.is_empty() {
        frame.render_widget(
            Paragraph::new(empty_lines(state, theme))
                .wrap(Wrap { trim: true })
                .block(block),
            area,
        );
        return None;
    }
    let selected = selected_index(state, &rows);
    let body_h = inner.height.saturating_sub(1) as usize;
    let offset = scroll_offset(selected, rows.len(), body_h);
    let end = (offset + body_h).min(rows.len());
    let fitted = columns::fit(specs(&rows[offset..end]), inner.width);
    let body: Vec<Row> = rows[offset..end]
        .iter()
        .map(|e| {
            Row::new(fitted.columns.iter().enumerate().map(|(i, c)| {
                let (mut text, style) = cell(c.key, e, state, theme);
                // A narrow principal column shows the role session (or the service) alone.
                let w = fitted.widths.get(i).copied().unwrap_or(0) as usize;
                if c.key == C::Principal && format::width(&text) > w {
                    text = short_principal(&e.principal).to_string();
                }
                fitted.cell(i, &text, style)
            }))
        })
        .collect();
    let table = Table::new(body, fitted.constraints())
        .header(Row::new(fitted.header_cells()).style(theme.table_header))
        .column_spacing(fitted.spacing)
        .row_highlight_style(theme.selection)
        .block(block);
    let mut ts = TableState::default().with_selected(Some(selected - offset));
    frame.render_stateful_widget(table, area, &mut ts);
    Some(format!("{}/{}", selected + 1, rows.len()))
}
