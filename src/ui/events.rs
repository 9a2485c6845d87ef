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
use crate::app::ctx_views;
use crate::app::events_view::{rows, scopes, selected_index};
use crate::app::trail_log::{Cursor, LookupScope};
use crate::app::{AppState, Panel};
use crate::boundary::context::{context_of, plain};
use crate::domain::TrailEvent;
use crate::theme::Theme;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum C {
    Context,
    Time,
    Age,
    Event,
    Principal,
    Ip,
    Resource,
    Error,
}

/// "loading older…", "older: m", "all loaded", or the paging error: of the one lookup, or
/// of every shown context's (each pages with its own tokens).
fn paging_note(state: &AppState) -> (String, bool) {
    let scopes = scopes(state);
    if let [scope] = scopes.as_slice() {
        return cursor_note(state, scope);
    }
    let cursors: Vec<(&str, Option<&Cursor>)> = scopes
        .iter()
        .map(|s| {
            let label = ctx_views::scope_context(s).unwrap_or_default();
            (label, state.trail.cursor(s))
        })
        .collect();
    let loading: usize = cursors
        .iter()
        .filter_map(|(_, c)| c.filter(|c| c.loading).map(|c| c.pages))
        .sum();
    if cursors.iter().any(|(_, c)| c.is_some_and(|c| c.loading)) {
        return (format!("loading older… ({loading} pages)"), false);
    }
    for (label, c) in &cursors {
        if let Some(e) = c.and_then(|c| c.error.as_ref()) {
            return (
                format!("{label} older events: {} (m retries)", e.short()),
                true,
            );
        }
        if let Some(n) = c.and_then(|c| c.notice.as_ref()) {
            return (format!("{label}: {n}"), true);
        }
    }
    if cursors
        .iter()
        .all(|(_, c)| c.is_some_and(|c| !c.has_more()))
    {
        return ("all events loaded".into(), false);
    }
    // The merged list is whole back to the newest of the contexts' oldest pages.
    let reached = cursors
        .iter()
        .map(|(_, c)| c.and_then(|c| c.oldest))
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().max());
    match reached {
        Some(o) => (
            format!("back to {} (m: older)", format::date_time(o)),
            false,
        ),
        None => ("m loads older".into(), false),
    }
}

fn cursor_note(state: &AppState, scope: &LookupScope) -> (String, bool) {
    let Some(c) = state.trail.cursor(scope) else {
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
    if let Some(ctxs) = ctx_views::title_contexts(state) {
        spans.push(Span::styled(format!(" {ctxs} "), theme.accent));
    }
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

/// More than one context's events are listed: each row names its context.
fn context_column(state: &AppState) -> bool {
    state.contexts.multi() && ctx_views::shown(state).len() > 1
}

/// The CONTEXT cell: the label, or profile (account) and region code where narrow.
fn context_text(state: &AppState, e: &TrailEvent, w: usize) -> String {
    let Some(c) = context_of(&e.id).and_then(|l| state.contexts.get(l)) else {
        return MISSING.into();
    };
    if format::width(&c.label) <= w {
        return c.label.clone();
    }
    let who = c.profile.as_deref().or(c.account.as_deref()).unwrap_or("");
    format!("{who}/{}", format::region_code(&c.region))
}

fn resources_text(e: &TrailEvent) -> String {
    e.resources
        .iter()
        .map(|r| plain(r))
        .collect::<Vec<_>>()
        .join(",")
}

fn specs(state: &AppState, rows: &[&TrailEvent]) -> Vec<ColumnSpec<C>> {
    let maxw = |f: &dyn Fn(&TrailEvent) -> usize| rows.iter().map(|e| f(e)).max().unwrap_or(1);
    let event_w = maxw(&|e| format::width(&e.name));
    let principal_w = maxw(&|e| format::width(&e.principal));
    let res_w = maxw(&|e| format::width(&resources_text(e)));
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
    if context_column(state) {
        let ctx_w = maxw(&|e| format::width(&context_text(state, e, usize::MAX)));
        cols.insert(0, ColumnSpec::flexible(C::Context, "CONTEXT", ctx_w, 9, 0));
    }
    cols
}

fn cell(key: C, e: &TrailEvent, state: &AppState, theme: &Theme) -> (String, Style) {
    match key {
        // Filled in `render`, where the column's width is known.
        C::Context => (String::new(), theme.muted),
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
                resources_text(e)
            },
            Style::default(),
        ),
        C::Error => (e.error_code.clone().unwrap_or_default(), theme.danger),
    }
}

fn empty_lines(state: &AppState, theme: &Theme) -> Vec<Line<'static>> {
    let h = ctx_views::view_health(state, Panel::Events);
    let loading = scopes(state)
        .iter()
        .any(|s| state.trail.cursor(s).is_some_and(|c| c.loading))
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
    let fitted = columns::fit(specs(state, &rows[offset..end]), inner.width);
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
                if c.key == C::Context {
                    text = context_text(state, e, w);
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
