//! Draws the deploy dialog (`D`): endpoint config to deploy (from ListEndpointConfigs),
//! strategy, step size, wait per step, termination wait, rollback alarms (from DescribeAlarms).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::dialogs::{draw_lines, frame_box, message_lines};
use super::format::truncate;
use crate::app::dialogs::deploy::{DeployDialog, DeployFocus, StrategyKind};
use crate::app::keymap::{KeyAction, Keymap, Scope};
use crate::theme::Theme;

pub fn render(frame: &mut Frame, area: Rect, keymap: &Keymap, theme: &Theme, d: &DeployDialog) {
    let inner_w = area.width.min(78).saturating_sub(4) as usize;
    let label = |l: &str| Span::styled(format!("{l:<18}"), theme.muted);
    let value = |text: String, focus: DeployFocus| {
        let shown = truncate(&text, inner_w.saturating_sub(19));
        if d.focus == focus {
            Span::styled(shown, theme.selection)
        } else {
            Span::styled(shown, theme.accent)
        }
    };
    let mut lines = vec![Line::from(vec![
        label("from config"),
        Span::raw(d.from_config.clone()),
    ])];
    let config = match &d.configs {
        None => "reading ListEndpointConfigs…".to_string(),
        Some(c) if c.is_empty() => "no other endpoint config".to_string(),
        Some(c) => format!(
            "‹ {} ›  {}/{}",
            d.chosen_config().unwrap_or_default(),
            d.config + 1,
            c.len()
        ),
    };
    lines.push(Line::from(vec![
        label("to config"),
        value(config, DeployFocus::Config),
    ]));
    lines.push(Line::from(vec![
        label("strategy"),
        value(format!("‹ {} ›", d.strategy.label()), DeployFocus::Strategy),
    ]));
    if let Some(l) = d.strategy.size_label() {
        lines.push(Line::from(vec![
            label(l),
            value(d.size.clone(), DeployFocus::Size),
        ]));
    }
    lines.push(Line::from(vec![
        label("wait per step (s)"),
        value(d.wait.clone(), DeployFocus::Wait),
    ]));
    if d.strategy != StrategyKind::Rolling {
        lines.push(Line::from(vec![
            label("termination (s)"),
            value(d.termination.clone(), DeployFocus::Termination),
        ]));
    }
    let alarms = match &d.alarms {
        None => "reading DescribeAlarms…".to_string(),
        Some(a) if a.is_empty() => "no alarms in this account and region".to_string(),
        Some(a) => {
            let (name, on) = &a[d.alarm_cursor.min(a.len() - 1)];
            format!(
                "‹ [{}] {name} ›  {} chosen",
                if *on { "x" } else { " " },
                d.chosen_alarms().len()
            )
        }
    };
    lines.push(Line::from(vec![
        label("rollback alarms"),
        value(alarms, DeployFocus::Alarms),
    ]));
    match (&d.message, d.request()) {
        (Some(m), _) => lines.extend(message_lines(&format!("✗ {m}"), theme.danger, inner_w)),
        (None, Ok(r)) => lines.extend(message_lines(
            &format!("ready: {}; enter to review", r.strategy.describe()),
            theme.ok,
            inner_w,
        )),
        (None, Err(e)) => lines.extend(message_lines(&e, theme.muted, inner_w)),
    }
    let inner = frame_box(
        frame,
        area,
        theme,
        &format!("Deploy · {}", d.endpoint),
        Some(&format!(
            "{} · {}/{} choose · {}",
            keymap.hint_line(Scope::Deploy, &[(KeyAction::Next, "field")]),
            keymap.hint_keys(Scope::Deploy, KeyAction::Left),
            keymap.hint_keys(Scope::Deploy, KeyAction::Right),
            keymap.hint_line(
                Scope::Deploy,
                &[
                    (KeyAction::Toggle, "alarm"),
                    (KeyAction::Submit, "review"),
                    (KeyAction::Cancel, "cancel"),
                ],
            ),
        )),
        lines.len() as u16,
    );
    draw_lines(frame, inner, lines, None);
}
