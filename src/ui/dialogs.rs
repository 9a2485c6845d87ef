//! Dialogs over the view: the box and buttons they share, the weights and scale dialogs (the
//! confirm, abort and quit prompts are in `dialogs_confirm`), and their footer hints.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::dialogs_confirm;
use super::format::{truncate, width};
use super::text::wrap;
use crate::app::AppState;
use crate::app::dialogs::scale::{self, Refusal};
use crate::app::dialogs::weights::PRESETS;
use crate::app::dialogs::{Dialog, ScaleDialog, ScaleFocus, WeightsDialog, WeightsFocus};
use crate::app::keymap::{KeyAction, Scope};
use crate::theme::Theme;

/// Widest a dialog gets.
const MAX_W: u16 = 78;

/// Draws the open dialog, if any, over `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(d) = &state.ops.dialog else { return };
    match d {
        Dialog::Weights(w) => weights(frame, area, state, theme, w),
        Dialog::Scale(s) => scale_dialog(frame, area, state, theme, s),
        Dialog::Copies(c) => super::dialogs_copies::render(frame, area, state, theme, c),
        Dialog::Confirm(c) => {
            let place = state
                .contexts
                .of(&c.endpoint)
                .filter(|_| state.contexts.multi())
                .map(|ctx| ctx.describe());
            dialogs_confirm::confirm(frame, area, &state.keymap, theme, c, place)
        }
        Dialog::Abort(a) => dialogs_confirm::abort(frame, area, &state.keymap, theme, a),
        Dialog::Quit(q) => dialogs_confirm::quit(frame, area, &state.keymap, theme, q),
        Dialog::Deploy(d) => super::dialog_deploy::render(frame, area, &state.keymap, theme, d),
    }
}

/// A centred box of `h` content lines inside `area`; returns its inner area.
pub fn frame_box(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    bottom: Option<&str>,
    h: u16,
) -> Rect {
    let w = area.width.min(MAX_W);
    let h = (h + 2).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let mut block = Block::bordered()
        .border_style(theme.accent)
        .title(Line::styled(
            format!(" {} ", truncate(title, w.saturating_sub(4) as usize)),
            theme.title,
        ))
        .padding(ratatui::widgets::Padding::horizontal(1))
        .style(theme.base);
    if let Some(b) = bottom {
        block = block.title_bottom(Line::styled(format!(" {b} "), theme.muted).right_aligned());
    }
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    inner
}

/// "[ label ]", highlighted when focused, dimmed when disabled.
pub fn button<'a>(label: &str, focused: bool, enabled: bool, theme: &Theme) -> Span<'a> {
    let style = if focused {
        theme.selection
    } else if enabled {
        theme.footer_key
    } else {
        theme.muted
    };
    let text = if focused {
        format!("[>{label}<]")
    } else {
        format!("[ {label} ]")
    };
    Span::styled(text, style)
}

/// Buttons right-aligned on one line `w` wide.
pub fn button_line<'a>(buttons: Vec<Span<'a>>, w: usize) -> Line<'a> {
    let used: usize = buttons.iter().map(|b| width(&b.content)).sum::<usize>() + buttons.len();
    let mut spans = vec![Span::raw(" ".repeat(w.saturating_sub(used)))];
    for b in buttons {
        spans.push(b);
        spans.push(Span::raw(" "));
    }
    Line::from(spans)
}

/// A message (error or fact) wrapped to `w`.
pub fn message_lines<'a>(text: &str, style: Style, w: usize) -> Vec<Line<'a>> {
    wrap(text, w)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// Draws `lines` in `inner`; the field at `cursor` (line, column) gets the terminal cursor.
pub fn draw_lines(frame: &mut Frame, inner: Rect, lines: Vec<Line>, cursor: Option<(u16, u16)>) {
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((y, x)) = cursor
        && y < inner.height
        && x < inner.width
    {
        frame.set_cursor_position(Position::new(inner.x + x, inner.y + y));
    }
}

/// A field: `[text     ]`, focused or not; returns the span and where the cursor goes.
pub fn field<'a>(text: &str, w: usize, focused: bool, selected: bool, theme: &Theme) -> Span<'a> {
    let shown = truncate(text, w);
    let pad = w.saturating_sub(width(&shown));
    let style = match (focused, selected) {
        (true, true) => theme.selection,
        (true, false) => theme.input,
        _ => theme.base,
    };
    Span::styled(format!("[{shown}{}]", " ".repeat(pad)), style)
}

fn weights(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, d: &WeightsDialog) {
    let cur = d.current_pct();
    let new = d.new_pct();
    let name_w = d
        .rows
        .iter()
        .map(|r| width(&r.name))
        .max()
        .unwrap_or(7)
        .clamp(7, 24);
    let now_w = d
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| width(&format!("{} ({}%)", field_text(r.weight), cur[i])))
        .max()
        .unwrap_or(3)
        .max(9);
    const FIELD_W: usize = 10;
    let validated = d.validate();
    let inner_w = area.width.min(MAX_W).saturating_sub(4) as usize;
    let mut lines = vec![Line::styled(
        format!(
            "{:<name_w$}  {:<now_w$}  NEW WEIGHT    NEW SHARE",
            "VARIANT", "NOW"
        ),
        theme.table_header,
    )];
    let mut cursor = None;
    for (i, r) in d.rows.iter().enumerate() {
        let focused = d.focus == WeightsFocus::Field(i);
        let now = format!("{} ({}%)", field_text(r.weight), cur[i]);
        let share = match new[i] {
            Some(p) => format!("→ {p}%"),
            None => "→ ?".into(),
        };
        let share_style = match new[i] {
            Some(p) if p != cur[i] => theme.warning,
            Some(_) => theme.base,
            None => theme.danger,
        };
        if focused {
            cursor = Some((
                lines.len() as u16,
                (name_w + now_w + 5 + width(&r.text).min(FIELD_W)) as u16,
            ));
        }
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<name_w$}  ", truncate(&r.name, name_w)),
                if i == d.target {
                    theme.accent
                } else {
                    theme.base
                },
            ),
            Span::styled(format!("{now:<now_w$}  "), theme.muted),
            field(&r.text, FIELD_W, focused, focused && d.selected, theme),
            Span::raw("  "),
            Span::styled(share, share_style),
        ]));
    }
    lines.push(Line::raw(""));
    let target = d.rows.get(d.target).map_or("", |r| r.name.as_str());
    let mut presets = vec![Span::styled(
        format!("{}: ", truncate(target, 20)),
        theme.muted,
    )];
    for (j, p) in PRESETS.iter().enumerate() {
        presets.push(button(
            &format!("{p}%"),
            d.focus == WeightsFocus::Preset(j),
            true,
            theme,
        ));
    }
    presets.push(button(
        "even",
        d.focus == WeightsFocus::Preset(PRESETS.len()),
        true,
        theme,
    ));
    lines.push(Line::from(presets));
    let refused = state
        .endpoint(&d.endpoint)
        .map(|e| crate::app::ops::updatable(state, e));
    match (&d.message, &validated) {
        (Some(m), _) => lines.extend(message_lines(&format!("✗ {m}"), theme.danger, inner_w)),
        (None, _) if matches!(refused, Some(Err(_))) => {
            if let Some(Err(why)) = &refused {
                lines.extend(message_lines(&format!("✗ {why}"), theme.danger, inner_w));
            }
        }
        (None, Err(e)) => lines.extend(message_lines(&format!("✗ {e}"), theme.danger, inner_w)),
        (None, Ok(_)) => lines.push(Line::styled(
            "weights are relative: shares = weight ÷ sum of weights",
            theme.muted,
        )),
    }
    lines.push(button_line(
        vec![
            button("Cancel", d.focus == WeightsFocus::Cancel, true, theme),
            button(
                "Review",
                d.focus == WeightsFocus::Review,
                validated.is_ok(),
                theme,
            ),
        ],
        inner_w,
    ));
    let inner = frame_box(
        frame,
        area,
        theme,
        &format!("Traffic weights · {}", d.endpoint),
        Some(&state.keymap.hint_line(
            Scope::Weights,
            &[(KeyAction::Submit, "review"), (KeyAction::Cancel, "cancel")],
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, cursor);
}

fn field_text(v: f64) -> String {
    crate::write::request::weight_text(v)
}

fn scale_dialog(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, d: &ScaleDialog) {
    let inner_w = area.width.min(MAX_W).saturating_sub(4) as usize;
    let facts = scale::facts(state, &d.endpoint, d.variant());
    let checked = facts.as_ref().map(|f| scale::check(f, &d.text));
    let label = |l: &str| Span::styled(format!("{l:<12}"), theme.muted);
    let mut lines = Vec::new();
    let itype = facts
        .as_ref()
        .and_then(|f| f.instance_type.clone())
        .unwrap_or_else(|| "-".into());
    let mut variant = vec![
        label("variant"),
        Span::styled(d.variant().to_string(), theme.accent),
        Span::raw(format!(" ({itype})")),
    ];
    if d.variants.len() > 1 {
        variant.push(Span::styled(
            format!("  ←/→ {} variants", d.variants.len()),
            theme.muted,
        ));
    }
    lines.push(Line::from(variant));
    let focused = d.focus == ScaleFocus::Field;
    let current = facts.as_ref().map_or(0, |f| f.current);
    let prefix = format!("now {current} → ");
    let cursor = focused.then(|| {
        (
            lines.len() as u16,
            (12 + width(&prefix) + 1 + width(&d.text).min(8)) as u16,
        )
    });
    lines.push(Line::from(vec![
        label("instances"),
        Span::raw(prefix),
        field(&d.text, 8, focused, focused && d.selected, theme),
        Span::styled(
            {
                let k = |a| state.keymap.key(Scope::Scale, a);
                format!(
                    "  {}/{} ±1 · {}/{} ±5",
                    k(KeyAction::MoveUp),
                    k(KeyAction::MoveDown),
                    k(KeyAction::PageUp),
                    k(KeyAction::PageDown)
                )
            },
            theme.muted,
        ),
    ]));
    if let Some(f) = &facts {
        lines.push(Line::from(vec![
            label("status"),
            Span::styled(
                f.status.as_str().to_string(),
                super::endpoints::status_style(f.status, theme),
            ),
        ]));
        let range = match f.range {
            Some((min, max)) => format!(
                "registered, min {min} · max {max}{}",
                if f.has_policy {
                    " (a policy may change the count again)"
                } else {
                    ""
                }
            ),
            None => "not registered".into(),
        };
        lines.push(Line::from(vec![label("autoscaling"), Span::raw(range)]));
        let quota = match (f.headroom(), &f.instance_type) {
            (Some(h), _) => h,
            (None, Some(t)) => format!(
                "{}: not known (quotas not loaded); AWS checks it",
                crate::domain::endpoint_quota_name(t)
            ),
            (None, None) => "-".into(),
        };
        let quota_style = match &checked {
            Some(Err(Refusal::Quota(_))) => theme.danger,
            _ => theme.base,
        };
        lines.push(Line::from(vec![
            label("quota"),
            Span::styled(truncate(&quota, inner_w.saturating_sub(12)), quota_style),
        ]));
    }
    let offer = match &checked {
        Some(Err(Refusal::Range { offer, .. })) => Some(*offer),
        _ => None,
    };
    let problem = d.message.clone().or_else(|| match &checked {
        Some(Err(r)) => Some(r.message().to_string()),
        _ => None,
    });
    match (problem, &checked) {
        (Some(m), _) => lines.extend(message_lines(&format!("✗ {m}"), theme.danger, inner_w)),
        (None, Some(Ok(n))) => {
            let delta = i64::from(*n) - i64::from(current);
            lines.push(Line::styled(
                format!("ready: {current} → {n} ({delta:+} instances); enter to review"),
                theme.ok,
            ));
        }
        (None, _) => {}
    }
    let mut buttons = vec![button("Cancel", d.focus == ScaleFocus::Cancel, true, theme)];
    if let Some((min, max)) = offer {
        buttons.push(button(
            &format!("Set range {min}–{max}"),
            d.focus == ScaleFocus::Range,
            true,
            theme,
        ));
    }
    buttons.push(button(
        "Review",
        d.focus == ScaleFocus::Review,
        matches!(checked, Some(Ok(_))),
        theme,
    ));
    lines.push(button_line(buttons, inner_w));
    let inner = frame_box(
        frame,
        area,
        theme,
        &format!("Scale · {}", d.endpoint),
        Some(&state.keymap.hint_line(
            Scope::Scale,
            &[(KeyAction::Submit, "review"), (KeyAction::Cancel, "cancel")],
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, cursor);
}
