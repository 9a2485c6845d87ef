//! The help overlay: generated from the keymap (every scope) and the `:` command registry;
//! scrollable, centred, fits 80×24.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::format::{truncate, width};
use crate::app::AppState;
use crate::app::command_registry::help_rows;
use crate::app::keymap::{KeyAction, Scope, VIEWS};
use crate::theme::Theme;

/// Help rows of one group: (keys, what they do).
type Rows<'a> = Vec<(String, &'a str)>;

/// Every help line (before scrolling), for a body `w` cells wide.
pub fn lines<'a>(state: &AppState, theme: &Theme, w: usize) -> Vec<Line<'a>> {
    let scope_rows = |s: Scope| {
        let rows: Vec<(String, &str)> = state
            .keymap
            .bindings_for(s)
            .into_iter()
            .filter(|b| b.scope == s)
            .map(|b| (b.keys_label(), b.help))
            .collect();
        (s.title(), rows)
    };
    // The views and help first, then the `:` commands, then the typed lines, dialogs and
    // load-run screens. Each of these three parts lines its keys up in its own column.
    let views: Vec<_> = VIEWS.iter().map(|&s| scope_rows(s)).collect();
    let commands = vec![(
        "Commands",
        help_rows(!state.session.read_only)
            .into_iter()
            .map(|(c, h)| (c.to_string(), h))
            .collect::<Vec<_>>(),
    )];
    let screens: Vec<_> = Scope::ALL
        .iter()
        .filter(|s| !VIEWS.contains(s))
        .map(|&s| scope_rows(s))
        .collect();
    let key_width = |part: &[(&str, Rows)]| {
        part.iter()
            .flat_map(|(_, rows)| rows.iter().map(|(k, _)| width(k)))
            .max()
            .unwrap_or(4)
            .min(w / 2)
            .max(1)
    };
    let groups: Vec<(usize, &str, Rows)> = [
        (key_width(&views), views),
        (key_width(&commands), commands),
        (key_width(&screens), screens),
    ]
    .into_iter()
    .flat_map(|(kw, part)| part.into_iter().map(move |(t, rows)| (kw, t, rows)))
    .filter(|(_, _, rows)| !rows.is_empty())
    .collect();
    let mut out = Vec::new();
    for (i, (key_w, title, rows)) in groups.into_iter().enumerate() {
        if i > 0 {
            out.push(Line::raw(""));
        }
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

/// "? or esc": the first two keys that close help.
fn closes(state: &AppState) -> String {
    let keys: Vec<String> = state
        .keymap
        .binding(Scope::Help, KeyAction::Help)
        .map(|b| b.keys.iter().take(2).map(|k| k.label()).collect())
        .unwrap_or_default();
    keys.join(" or ")
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
        let km = &state.keymap;
        let keys = format!(
            "{}/{}",
            km.key(Scope::Help, KeyAction::MoveDown),
            km.key(Scope::Help, KeyAction::MoveUp)
        );
        let more = if scroll < max_scroll {
            format!("  {keys} scroll ↓ ")
        } else {
            format!("  {keys} scroll ")
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
            Line::from(vec![Span::styled(
                format!(" {} closes ", closes(state)),
                theme.muted,
            )])
            .right_aligned(),
        )
        .padding(ratatui::widgets::Padding::horizontal(1))
        .style(theme.base);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(all).block(block).scroll((scroll as u16, 0)),
        popup,
    );
}
