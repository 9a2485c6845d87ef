//! The logs view: a title with the endpoint, stream choice, filter pattern and the tail's state
//! (following / paused / scrolled back, age of the last read), the read's error explained in
//! place, then one line per log event: time, variant, instance, message (level coloured).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format;
use crate::app::AppState;
use crate::app::logs_view::{explain, top};
use crate::theme::Theme;

/// Draws the view; returns the footer's position text ("120/2000").
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) -> Option<String> {
    let v = &state.logs;
    let w = area.width as usize;
    let now = state.now;
    let mut lines: Vec<Line> = Vec::new();

    let mode = if v.paused {
        Span::styled(" PAUSED ", theme.warning)
    } else if v.scroll.is_some() {
        Span::styled(" scrolled back (G follows) ", theme.info)
    } else {
        Span::styled(" following ", theme.ok)
    };
    let fresh = match (v.last_ok, v.error.is_some()) {
        (Some(t), false) => Span::styled(
            format!(" updated {} ago ", format::age(now, t)),
            theme.muted,
        ),
        (Some(t), true) => Span::styled(
            format!(" stale: last good read {} ago ", format::age(now, t)),
            theme.stale,
        ),
        (None, _) if v.in_flight => Span::styled(" loading… ", theme.muted),
        (None, _) => Span::styled(" no read yet ", theme.stale),
    };
    let filter = if v.filter.is_empty() {
        Span::styled(" no filter ", theme.muted)
    } else {
        Span::styled(format!(" filter: {} ", v.filter), theme.accent)
    };
    lines.push(Line::from(vec![
        Span::styled(format!(" logs {} ", v.endpoint), theme.title),
        Span::raw(format!(" {} ", v.choice.label())),
        filter,
        mode,
        fresh,
    ]));

    let mut notes: Vec<Line> = Vec::new();
    if let Some(e) = &v.error {
        let retry = v
            .next_poll
            .filter(|_| !v.paused)
            .map(|t| (t - now).num_seconds().max(0));
        for l in super::text::wrap(&explain(e, &v.endpoint, retry), w.max(20)) {
            notes.push(Line::styled(l, theme.danger));
        }
    } else if v.behind {
        notes.push(Line::styled(
            "catching up: more lines matched than one read brings",
            theme.info,
        ));
    }
    if let Some(e) = &v.streams_error
        && v.error.is_none()
    {
        notes.push(Line::styled(
            format::truncate(
                &format!("stream list unavailable: {}", explain(e, &v.endpoint, None)),
                w,
            ),
            theme.warning,
        ));
    }
    lines.extend(notes);

    let rows = (area.height as usize).saturating_sub(lines.len()).max(1);
    let first = top(v, rows);
    if v.lines.is_empty() && v.error.is_none() {
        let msg = if v.last_ok.is_some() {
            format!(
                "no log lines{} in the last {} min",
                if v.filter.is_empty() {
                    ""
                } else {
                    " matching the filter"
                },
                crate::app::logs_view::FIRST_WINDOW.as_secs() / 60
            )
        } else {
            "reading…".to_string()
        };
        lines.push(Line::styled(msg, theme.muted));
    }
    let inst_w = if w >= 120 { 19 } else { 8 };
    let var_w = v
        .lines
        .iter()
        .map(|l| format::width(&l.variant))
        .max()
        .unwrap_or(0)
        .clamp(4, if w >= 120 { 20 } else { 10 });
    for l in v.lines.iter().skip(first).take(rows) {
        let style = if l.message.contains("ERROR") {
            theme.danger
        } else if l.message.contains("WARN") {
            theme.warning
        } else {
            theme.base
        };
        let head = format!(
            "{} {:<var_w$} {:<inst_w$} ",
            format::clock_time(l.time),
            format::truncate(&l.variant, var_w),
            format::truncate(&l.instance, inst_w),
        );
        let rest = w.saturating_sub(format::width(&head));
        lines.push(Line::from(vec![
            Span::styled(head, theme.muted),
            Span::styled(format::truncate(&l.message, rest), style),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
    let shown_to = (first + rows).min(v.lines.len());
    Some(format!("{shown_to}/{}", v.lines.len()))
}
