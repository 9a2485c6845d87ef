//! The event JSON view: one CloudTrail event's whole document, pretty-printed in its own key
//! order, wrapped to the width and scrolled with the movement keys.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::detail::section;
use super::format;
use crate::app::AppState;
use crate::app::events_view::{json_event, wrap_lines};
use crate::theme::Theme;

/// Keys, strings and punctuation told apart without colour names: keys in the title role,
/// string values plain, everything else muted.
fn styled_line<'a>(line: String, theme: &Theme) -> Line<'a> {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if let Some(rest) = trimmed.strip_prefix('"')
        && let Some(end) = rest.find("\": ")
    {
        let key = format!("\"{}\"", &rest[..end]);
        let value = rest[end + 3..].to_string();
        let vstyle = if value.starts_with('"') {
            Style::default()
        } else {
            theme.accent
        };
        return Line::from(vec![
            Span::raw(" ".repeat(indent)),
            Span::styled(key, theme.title),
            Span::styled(": ", theme.muted),
            Span::styled(value, vstyle),
        ]);
    }
    Line::from(Span::raw(line))
}

/// Draws the view; returns "lines a-b of n" for the footer.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let json = state.events_view.json.as_ref()?;
    let ev = json_event(state);
    let mut title = vec![Span::styled(" Event ", theme.title)];
    if let Some(e) = ev {
        title.push(Span::styled(format!("{} ", e.name), theme.title));
        title.push(Span::styled(
            format!(
                " {} UTC ({} ago) by {} ",
                format::date_time(e.time),
                format::age(state.now, e.time),
                crate::app::charts::short_principal(&e.principal)
            ),
            theme.muted,
        ));
        if let Some(code) = &e.error_code {
            title.push(Span::styled(format!(" {code} "), theme.danger));
        }
    }
    let block = section(theme, Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let width = inner.width.saturating_sub(1) as usize;
    let lines = wrap_lines(&json.lines, width);
    let wrapped_total = lines.len();
    let h = inner.height as usize;
    let max = lines.len().saturating_sub(h);
    let scroll = json.scroll.min(max);
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(h)
        .map(|l| styled_line(l, theme))
        .collect();
    let body = Rect::new(
        inner.x + 1,
        inner.y,
        inner.width.saturating_sub(1),
        inner.height,
    );
    frame.render_widget(Paragraph::new(shown), body);
    Some(format!(
        "lines {}-{} of {}",
        (scroll + 1).min(wrapped_total),
        (scroll + h).min(wrapped_total),
        wrapped_total
    ))
}
