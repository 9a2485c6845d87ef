//! The bottom lines: key hints of the scope on top, from the keymap only (or the current
//! notice), and the `/` filter or `:` command line while typing.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{truncate, width};
use crate::app::{AppState, InputKind, NoticeLevel};
use crate::theme::Theme;

fn hint_spans<'a>(pairs: &[(String, &str)], theme: &Theme, avail: usize) -> Vec<Span<'a>> {
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    let hint_w = |(key, label): &(String, &str)| width(key) + 1 + width(label) + 2;
    // The help hint is never crowded out: room for it is kept until it is placed.
    let mut help_w = pairs.iter().find(|p| p.1 == "help").map_or(0, hint_w);
    for pair in pairs {
        let (key, label) = pair;
        let w = hint_w(pair);
        let is_help = *label == "help";
        if used + w + if is_help { 0 } else { help_w } > avail {
            if is_help {
                break;
            }
            continue;
        }
        if is_help {
            help_w = 0;
        }
        spans.push(Span::styled(key.clone(), theme.footer_key));
        spans.push(Span::styled(format!(" {label}  "), theme.footer_text));
        used += w;
    }
    spans
}

/// The footer line. `right` is shown at the right edge when it fits (e.g. "12/340").
pub fn render(
    frame: &mut Frame,
    area: Rect,
    state: &AppState,
    theme: &Theme,
    right: Option<String>,
) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let avail = area.width as usize;
    let right = right
        .map(|r| format!("{r} "))
        .filter(|r| width(r) + 20 <= avail);
    let right_w = right.as_deref().map_or(0, width);
    let mut spans: Vec<Span> = if let Some(notice) = &state.notice {
        let style = match notice.level {
            NoticeLevel::Info => theme.info,
            NoticeLevel::Warning => theme.warning,
            NoticeLevel::Error => theme.danger,
        };
        vec![
            Span::raw(" "),
            Span::styled(
                truncate(&notice.text, avail.saturating_sub(right_w + 2)),
                style,
            ),
        ]
    } else {
        hint_spans(
            &crate::app::keys::footer(state),
            theme,
            avail.saturating_sub(right_w),
        )
    };
    if let Some(r) = right {
        let used: usize = spans.iter().map(|s| width(&s.content)).sum();
        spans.push(Span::raw(" ".repeat(avail.saturating_sub(used + right_w))));
        spans.push(Span::styled(r, theme.muted));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.footer_text),
        area,
    );
}

/// The line being typed, with a visible cursor (the terminal cursor is placed there too).
pub fn render_input(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(input) = &state.input else { return };
    if area.width < 4 || area.height == 0 {
        return;
    }
    let prompt = match input.kind {
        InputKind::Filter => "/",
        InputKind::Command => ":",
    };
    // Keep the end of the text (where the cursor is) visible on narrow screens.
    let room = area.width as usize - 3;
    let text = if width(&input.text) > room {
        let skip = input
            .text
            .chars()
            .count()
            .saturating_sub(room.saturating_sub(1));
        format!("…{}", input.text.chars().skip(skip).collect::<String>())
    } else {
        input.text.clone()
    };
    let cursor_x = area.x + 2 + width(&text) as u16;
    let line = Line::from(vec![
        Span::raw(" "),
        Span::styled(prompt, theme.accent),
        Span::raw(text),
        Span::styled(
            " ",
            Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
        ),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.input), area);
    if cursor_x < area.right() {
        frame.set_cursor_position(Position::new(cursor_x, area.y));
    }
}
