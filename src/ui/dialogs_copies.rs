//! The copies dialog over the detail: the inference component (←/→ picks another), its copy
//! count now → the field, its status and autoscaling range, and why a count cannot be sent.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialogs::{button, button_line, draw_lines, field, frame_box, message_lines};
use super::format::{truncate, width};
use crate::app::AppState;
use crate::app::dialogs::{CopiesDialog, CopiesFocus};
use crate::app::keymap::{KeyAction, Scope};
use crate::app::ops::copies::{check, facts};
use crate::theme::Theme;

const MAX_W: u16 = 78;

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, d: &CopiesDialog) {
    let inner_w = area.width.min(MAX_W).saturating_sub(4) as usize;
    let f = facts(state, &d.endpoint, d.component());
    let checked = f.as_ref().map(|f| check(f, &d.text));
    let label = |l: &str| Span::styled(format!("{l:<12}"), theme.muted);
    let mut lines = Vec::new();
    let mut component = vec![
        label("component"),
        Span::styled(truncate(d.component(), 40), theme.accent),
    ];
    if d.components.len() > 1 {
        component.push(Span::styled(
            format!("  ←/→ {} components", d.components.len()),
            theme.muted,
        ));
    }
    lines.push(Line::from(component));
    if let Some(m) = f.as_ref().and_then(|f| f.model.clone()) {
        lines.push(Line::from(vec![
            label("model"),
            Span::raw(truncate(&m, inner_w.saturating_sub(12))),
        ]));
    }
    let focused = d.focus == CopiesFocus::Field;
    let current = f.as_ref().map_or(0, |f| f.current);
    let prefix = format!("now {current} → ");
    let cursor = focused.then(|| {
        (
            lines.len() as u16,
            (12 + width(&prefix) + 1 + width(&d.text).min(8)) as u16,
        )
    });
    let k = |a| state.keymap.key(Scope::Copies, a);
    lines.push(Line::from(vec![
        label("copies"),
        Span::raw(prefix),
        field(&d.text, 8, focused, focused && d.selected, theme),
        Span::styled(
            format!("  {}/{} ±1", k(KeyAction::MoveUp), k(KeyAction::MoveDown)),
            theme.muted,
        ),
    ]));
    if let Some(f) = &f {
        let status = f.status.map_or("unknown", |s| s.as_str());
        let desired = f
            .desired
            .filter(|d| *d != f.current)
            .map(|d| format!(" (→ {d} desired)"))
            .unwrap_or_default();
        lines.push(Line::from(vec![
            label("status"),
            Span::raw(format!("{status}{desired}")),
        ]));
        let range = match f.range {
            Some((min, max)) => format!(
                "registered, min {min} · max {max} copies{}",
                if f.has_policy {
                    " (a policy may change the count again)"
                } else {
                    ""
                }
            ),
            None => "not registered".into(),
        };
        lines.push(Line::from(vec![label("autoscaling"), Span::raw(range)]));
    }
    let problem = d.message.clone().or_else(|| match &checked {
        Some(Err(m)) => Some(m.clone()),
        _ => None,
    });
    match (problem, &checked) {
        (Some(m), _) => lines.extend(message_lines(&format!("✗ {m}"), theme.danger, inner_w)),
        (None, Some(Ok(n))) => {
            let delta = i64::from(*n) - i64::from(current);
            lines.push(Line::styled(
                format!("ready: {current} → {n} ({delta:+} copies); enter to review"),
                theme.ok,
            ));
        }
        (None, _) => {}
    }
    let buttons = vec![
        button("Cancel", d.focus == CopiesFocus::Cancel, true, theme),
        button(
            "Review",
            d.focus == CopiesFocus::Review,
            matches!(checked, Some(Ok(_))),
            theme,
        ),
    ];
    lines.push(button_line(buttons, inner_w));
    let inner = frame_box(
        frame,
        area,
        theme,
        &format!("Copies · {}", d.endpoint),
        Some(&state.keymap.hint_line(
            Scope::Copies,
            &[(KeyAction::Submit, "review"), (KeyAction::Cancel, "cancel")],
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, cursor);
}
