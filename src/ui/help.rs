//! The help overlay: generated from the keymap (grouped by scope) and the `:` command list;
//! scrollable, centred, fits 80×24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::format::{truncate, width};
use crate::app::AppState;
use crate::app::command_line::COMMANDS;
use crate::app::keymap::Scope;
use crate::theme::Theme;

const SCOPES: [Scope; 10] = [
    Scope::Global,
    Scope::Endpoints,
    Scope::Detail,
    Scope::Shift,
    Scope::Events,
    Scope::EventJson,
    Scope::Quotas,
    Scope::Api,
    Scope::Logs,
    Scope::Help,
];

/// Every help line (before scrolling), for a body `w` cells wide.
pub fn lines<'a>(state: &AppState, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    let groups: Vec<(&str, Vec<(String, &str)>)> = SCOPES
        .iter()
        .map(|&s| {
            let rows: Vec<(String, &str)> = state
                .keymap
                .bindings_for(s)
                .into_iter()
                .filter(|b| b.scope == s)
                .map(|b| (b.keys_label(), b.help))
                .collect();
            (s.title(), rows)
        })
        .chain(std::iter::once((
            "Commands",
            COMMANDS
                .iter()
                .chain(
                    crate::app::ops::WRITE_COMMANDS
                        .iter()
                        .filter(|_| !state.session.read_only),
                )
                .map(|(c, h)| (c.to_string(), *h))
                .collect(),
        )))
        .filter(|(_, rows)| !rows.is_empty())
        .collect();
    // Keys line up across the keymap's scopes; the command list has its own column.
    let key_width = |commands: bool| {
        groups
            .iter()
            .filter(|(title, _)| (*title == "Commands") == commands)
            .flat_map(|(_, rows)| rows.iter().map(|(k, _)| width(k)))
            .max()
            .unwrap_or(4)
            .min(w / 2)
            .max(1)
    };
    let (keys_w, commands_w) = (key_width(false), key_width(true));
    let mut out = Vec::new();
    for (i, (title, rows)) in groups.into_iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
        let key_w = if title == "Commands" {
            commands_w
        } else {
            keys_w
        };
        out.push(Line::styled(title.to_string(), theme.title));
        for (keys, help) in rows {
            let keys = truncate(&keys, key_w);
            let pad = key_w - width(&keys);
            let text_w = w.saturating_sub(key_w + 4);
            out.push(Line::from(vec![
                Span::raw("  "),
                Span::styled(keys, theme.footer_key),
                Span::raw(" ".repeat(pad + 2)),
                Span::raw(truncate(help, text_w)),
            ]));
        }
    }
    out
}

/// The overlay box inside `area`: all of it on narrow screens, else 78 wide and centred.
pub fn overlay_area(area: Rect) -> Rect {
    if area.width < 90 {
        return area;
    }
    let w = 78;
    let h = area.height.saturating_sub(2).max(area.height.min(3));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, scroll: u16) {
    let popup = overlay_area(area);
    if popup.width < 3 || popup.height < 3 {
        return;
    }
    let body_w = popup.width.saturating_sub(4) as usize;
    let all = lines(state, theme, body_w);
    let body_h = popup.height.saturating_sub(2) as usize;
    let max_scroll = all.len().saturating_sub(body_h);
    let scroll = (scroll as usize).min(max_scroll);
    let mut title = vec![Span::styled(" Help ", theme.title)];
    if max_scroll > 0 {
        let last = (scroll + body_h).min(all.len());
        let more = if scroll < max_scroll {
            "  j/k scroll ↓ "
        } else {
            "  j/k scroll "
        };
        title.push(Span::styled(
            format!(" lines {}-{} of {}{more}", scroll + 1, last, all.len()),
            theme.muted,
        ));
    }
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::from(title))
        .title_bottom(
            Line::from(vec![Span::styled(" ? or esc closes ", theme.muted)]).right_aligned(),
        )
        .padding(ratatui::widgets::Padding::horizontal(1))
        .style(theme.base);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(all).block(block).scroll((scroll as u16, 0)),
        popup,
    );
}
