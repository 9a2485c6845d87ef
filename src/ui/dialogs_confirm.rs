//! The confirm dialog (change table, notes, the API call, typed name on production) and the
//! abort and quit prompts. Lines that do not fit are cut from the API call first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialogs::{button, button_line, draw_lines, frame_box, message_lines};
use super::format::{truncate, width};
use crate::app::dialogs::{
    AbortDialog, AbortFocus, ConfirmDialog, ConfirmFocus, QuitDialog, QuitFocus,
};
use crate::app::keymap::{KeyAction, Keymap, Scope};
use crate::theme::Theme;

const MAX_W: u16 = 78;

/// `place`: the account and region the write goes to, when several are open.
pub fn confirm(
    frame: &mut Frame,
    area: Rect,
    km: &Keymap,
    theme: &Theme,
    d: &ConfirmDialog,
    place: Option<String>,
) {
    let w = area.width.min(MAX_W).saturating_sub(4) as usize;
    // The change table.
    let col = |f: &dyn Fn(&crate::app::dialogs::confirm::ChangeRow) -> usize, min: usize| {
        d.rows.iter().map(f).max().unwrap_or(min).max(min)
    };
    let vw = col(&|r| width(&r.variant), width(d.subject)).min(24);
    let ww = col(&|r| width(&r.what), 6);
    let fw = col(&|r| width(&r.from), 3);
    let mut head = vec![Line::styled(
        format!(
            "{:<vw$}  {:<ww$}  {:<fw$}   NEW",
            d.subject, "CHANGE", "NOW"
        ),
        theme.table_header,
    )];
    for r in &d.rows {
        let changed = r.from != r.to;
        head.push(Line::from(vec![
            Span::raw(format!("{:<vw$}  ", truncate(&r.variant, vw))),
            Span::styled(format!("{:<ww$}  ", r.what), theme.muted),
            Span::raw(format!("{:<fw$}", r.from)),
            Span::styled(" → ", theme.muted),
            Span::styled(
                r.to.clone(),
                if changed { theme.warning } else { theme.base },
            ),
        ]));
    }
    for n in &d.notes {
        head.extend(message_lines(&format!("· {n}"), theme.muted, w));
    }
    // The API call.
    let mut api = vec![Line::styled("API call", theme.title)];
    for l in &d.api {
        api.push(Line::styled(
            format!("  {}", truncate(l, w.saturating_sub(2))),
            theme.accent,
        ));
    }
    // What must always show.
    let mut tail = Vec::new();
    let mut cursor_col = None;
    if let Some(place) = place {
        tail.extend(message_lines(&format!("→ {place}"), theme.warning, w));
    }
    if d.production {
        let prompt = format!(
            "production: type {} to confirm: ",
            crate::boundary::context::plain(&d.endpoint)
        );
        let typed = truncate(&d.typed, w.saturating_sub(width(&prompt) + 2).max(8));
        cursor_col = Some((width(&prompt) + width(&typed)) as u16);
        tail.push(Line::from(vec![
            Span::styled(prompt, theme.warning),
            Span::styled(typed, if d.armed() { theme.ok } else { theme.input }),
        ]));
    }
    if let Some(m) = &d.message {
        tail.extend(message_lines(&format!("✗ {m}"), theme.danger, w));
    }
    tail.push(button_line(
        vec![
            button("Cancel", d.focus == ConfirmFocus::Cancel, true, theme),
            button(d.action, d.focus == ConfirmFocus::Confirm, d.armed(), theme),
        ],
        w,
    ));
    let avail = area.height.saturating_sub(2) as usize;
    let room_api = avail.saturating_sub(head.len() + tail.len());
    if api.len() > room_api {
        let keep = room_api.saturating_sub(1);
        let cut = api.len() - keep;
        api.truncate(keep);
        if room_api > 0 {
            api.push(Line::styled(format!("  … {cut} more lines"), theme.muted));
        }
    }
    let room_head = avail.saturating_sub(tail.len() + api.len());
    head.truncate(room_head);
    let mut lines = head;
    lines.extend(api);
    let typed_row = lines.len() as u16;
    lines.extend(tail);
    let bottom = if d.production {
        let keys = km.hint_line(
            Scope::ConfirmTyped,
            &[
                (KeyAction::Submit, "focused"),
                (KeyAction::Cancel, "cancel"),
            ],
        );
        format!("type the name · {keys}")
    } else {
        km.hint_line(
            Scope::Confirm,
            &[
                (KeyAction::Confirm, "confirm"),
                (KeyAction::Submit, "focused"),
                (KeyAction::Cancel, "cancel"),
            ],
        )
    };
    let inner = frame_box(
        frame,
        area,
        theme,
        &format!("Confirm · {}", d.title),
        Some(&bottom),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, cursor_col.map(|c| (typed_row, c)));
}

pub fn abort(frame: &mut Frame, area: Rect, km: &Keymap, theme: &Theme, d: &AbortDialog) {
    let w = area.width.min(MAX_W).saturating_sub(4) as usize;
    let mut lines = message_lines(
        &format!(
            "Abort the traffic shift on {} ({})?",
            d.endpoint, d.progress
        ),
        theme.base,
        w,
    );
    lines.extend(message_lines(
        "Roll back restores the starting weights (after any update in progress finishes); keep leaves the weights of the current step.",
        theme.muted,
        w,
    ));
    lines.push(button_line(
        vec![
            button("Cancel", d.focus == AbortFocus::Cancel, true, theme),
            button(
                "Roll back (r)",
                d.focus == AbortFocus::Rollback,
                true,
                theme,
            ),
            button("Keep step (k)", d.focus == AbortFocus::Keep, true, theme),
        ],
        w,
    ));
    let inner = frame_box(
        frame,
        area,
        theme,
        "Abort traffic shift",
        Some(&km.hint_line(
            Scope::AbortShift,
            &[
                (KeyAction::RollBack, "roll back"),
                (KeyAction::KeepStep, "keep"),
                (KeyAction::Cancel, "cancel"),
            ],
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, None);
}

pub fn quit(frame: &mut Frame, area: Rect, km: &Keymap, theme: &Theme, d: &QuitDialog) {
    let w = area.width.min(MAX_W).saturating_sub(4) as usize;
    let mut lines = message_lines(
        &format!(
            "A traffic shift is running on {}. Quitting stops it and leaves the weights at the current step.",
            d.shifts.join(", ")
        ),
        theme.warning,
        w,
    );
    lines.push(button_line(
        vec![
            button("Cancel", d.focus == QuitFocus::Cancel, true, theme),
            button("Quit anyway", d.focus == QuitFocus::Quit, true, theme),
        ],
        w,
    ));
    let inner = frame_box(
        frame,
        area,
        theme,
        "Quit sagetop?",
        Some(&km.hint_line(
            Scope::QuitDialog,
            &[(KeyAction::Confirm, "quit"), (KeyAction::Cancel, "stay")],
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, None);
}
