//! Draws the load-run screens over the view: the `b` dialog, its confirm (naming the target
//! and that every invocation is billed), the `:runs` list, and dispatches the run panel to
//! `runs_panel`. Footer hints for those screens. Pure: reads `&AppState`, styles via `Theme`.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Padding, Paragraph};

use super::format::{truncate, width};
use super::text::wrap;
use crate::app::AppState;
use crate::app::runs::{RunScreen, list_order};
use crate::app::runs_dialog::{
    FIELDS, RunDialog, STREAM_FIELD, VARIANT_FIELD, planned_invocations,
};
use crate::load::report::latency;
use crate::theme::Theme;
use crate::units::format_duration;

const DIALOG_W: u16 = 76;

/// Draws the open load-run screen, if any, over `area`.
pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let Some(screen) = state.runs.screen else {
        return;
    };
    if area.width < 20 || area.height < 6 {
        return;
    }
    match screen {
        RunScreen::Dialog => {
            if let Some(d) = &state.runs.dialog {
                dialog(frame, area, theme, d);
            }
        }
        RunScreen::Confirm => {
            if let Some(d) = &state.runs.dialog {
                confirm(frame, area, state, theme, d);
            }
        }
        RunScreen::Panel { id } => super::runs_panel::render(frame, area, state, theme, id),
        RunScreen::List => list(frame, area, state, theme),
    }
}

/// A centred box with `h` content lines; returns the inner area.
fn boxed(frame: &mut Frame, area: Rect, theme: &Theme, title: &str, h: u16) -> Rect {
    let w = area.width.min(DIALOG_W);
    let h = (h + 2).min(area.height);
    let r = Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    );
    let block = Block::bordered()
        .border_style(theme.accent)
        .title(Line::styled(
            format!(" {} ", truncate(title, w.saturating_sub(4) as usize)),
            theme.title,
        ))
        .padding(Padding::horizontal(1))
        .style(theme.base);
    let inner = block.inner(r);
    frame.render_widget(Clear, r);
    frame.render_widget(block, r);
    inner
}

fn dialog(frame: &mut Frame, area: Rect, theme: &Theme, d: &RunDialog) {
    let inner_w = area.width.min(DIALOG_W).saturating_sub(4) as usize;
    let label_w = 13;
    let field_w = 16.min(inner_w.saturating_sub(label_w + 4));
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor = None;
    for (i, (label, help)) in FIELDS.iter().enumerate() {
        let focused = d.focus == i;
        let text = &d.fields[i];
        let shown = if width(text) > field_w {
            let skip = text.chars().count() - field_w.saturating_sub(1);
            format!("…{}", text.chars().skip(skip).collect::<String>())
        } else {
            text.clone()
        };
        let pad = " ".repeat(field_w.saturating_sub(width(&shown)));
        let style = if focused {
            theme.selection
        } else {
            theme.input
        };
        if focused {
            cursor = Some((label_w + 1 + width(&shown), lines.len()));
        }
        let hint_room = inner_w.saturating_sub(label_w + field_w + 3);
        lines.push(Line::from(vec![
            Span::styled(format!("{label:<label_w$}"), theme.table_header),
            Span::styled(format!("[{shown}{pad}]"), style),
            Span::styled(format!(" {}", truncate(help, hint_room)), theme.muted),
        ]));
    }
    let focused = d.focus == VARIANT_FIELD;
    let variant = truncate(&d.variant_label(), inner_w.saturating_sub(label_w + 4));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<label_w$}", "Variant"), theme.table_header),
        Span::styled(
            format!("◂ {variant} ▸"),
            if focused {
                theme.selection
            } else {
                theme.input
            },
        ),
    ]));
    let answers = truncate(d.stream_label(), inner_w.saturating_sub(label_w + 4));
    lines.push(Line::from(vec![
        Span::styled(format!("{:<label_w$}", "Answers"), theme.table_header),
        Span::styled(
            format!("◂ {answers} ▸"),
            if d.focus == STREAM_FIELD {
                theme.selection
            } else {
                theme.input
            },
        ),
    ]));
    lines.push(Line::raw(""));
    match &d.error {
        Some(e) => {
            for l in wrap(e, inner_w) {
                lines.push(Line::styled(l, theme.danger));
            }
        }
        None => lines.push(Line::styled(
            if d.demo {
                "Simulated account: the load drives its metrics and autoscaling."
            } else {
                "Every invocation is billed: the next step asks before anything is sent."
            },
            theme.muted,
        )),
    }
    let inner = boxed(
        frame,
        area,
        theme,
        &format!("load run · {}", d.endpoint),
        lines.len() as u16,
    );
    frame.render_widget(Paragraph::new(lines), inner);
    if let Some((x, y)) = cursor {
        let pos = Position::new(inner.x + x as u16, inner.y + y as u16);
        if pos.x < inner.right() && pos.y < inner.bottom() {
            frame.set_cursor_position(pos);
        }
    }
}

fn confirm(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme, d: &RunDialog) {
    let Some(plan) = &d.plan else { return };
    let inner_w = area.width.min(DIALOG_W).saturating_sub(4) as usize;
    let region = state
        .session
        .region
        .clone()
        .or_else(|| state.identity.as_ref().map(|i| i.region.clone()))
        .unwrap_or_else(|| "an unknown region".into());
    let account = if plan.demo {
        "the simulated account".to_string()
    } else {
        state.identity.as_ref().map_or_else(
            || "this account".into(),
            |i| format!("account {}", i.account),
        )
    };
    let volume = match planned_invocations(plan) {
        Some(n) => format!("{n} invocations"),
        None => format!(
            "as many invocations as answered in {}",
            plan.spec
                .duration()
                .map_or_else(|| "the run".into(), format_duration)
        ),
    };
    let mode = if plan.spec.rate.is_some() {
        "open loop, latency from scheduled start"
    } else {
        "closed loop"
    };
    let row = |k: &str, v: String| {
        Line::from(vec![
            Span::styled(format!("{k:<9}"), theme.table_header),
            Span::raw(truncate(&v, inner_w.saturating_sub(9))),
        ])
    };
    let mut lines = vec![
        row("Target", format!("endpoint {} in {region}", plan.endpoint)),
        row("Account", account),
        row("Variant", d.variant_label()),
        row("Answers", d.stream_label().to_string()),
        row("Load", format!("{} ({mode})", plan.spec.describe())),
        row(
            "Payload",
            format!("{}, {}", plan.payload.describe(), plan.content_type),
        ),
        row("Volume", volume),
        Line::raw(""),
    ];
    let warning = if plan.demo {
        "Simulated account: nothing is billed here. On AWS every invocation is billed and is production traffic.".to_string()
    } else {
        format!(
            "Every invocation is billed and is production traffic for {}.",
            plan.endpoint
        )
    };
    for l in wrap(&warning, inner_w) {
        lines.push(Line::styled(
            l,
            if plan.demo { theme.info } else { theme.warning },
        ));
    }
    lines.push(Line::raw(""));
    let buttons = "[ y start ]  [ n back ]";
    lines.push(Line::from(vec![
        Span::raw(" ".repeat(inner_w.saturating_sub(width(buttons)))),
        Span::styled(buttons, theme.footer_key),
    ]));
    let inner = boxed(
        frame,
        area,
        theme,
        "start this load run?",
        lines.len() as u16,
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

fn list(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    let runs = list_order(state);
    let block = Block::bordered()
        .border_style(theme.border)
        .title(Line::styled(
            format!(" load runs ({}) ", runs.len()),
            theme.title,
        ))
        .style(theme.base);
    let inner = block.inner(area);
    frame.render_widget(Clear, area);
    frame.render_widget(block, area);
    if runs.is_empty() {
        let msg = if state.runs.is_running() {
            "a load run is going; it is listed here when it ends"
        } else {
            "no load runs yet: press b on an endpoint"
        };
        frame.render_widget(Paragraph::new(Line::styled(msg, theme.muted)), inner);
        return;
    }
    let w = inner.width as usize;
    let header = format!(
        "{:>3} {:<20} {:<16} {:>8} {:>7} {:>9} {:>9} {:>7} {:<8} {}",
        "#", "endpoint", "parameters", "requests", "req/s", "p50", "p99", "errors", "ended", "how"
    );
    let mut lines = vec![Line::styled(truncate(&header, w), theme.table_header)];
    let rows = inner.height.saturating_sub(1) as usize;
    let sel = state.runs.list_selected.min(runs.len() - 1);
    let first = sel.saturating_sub(rows.saturating_sub(1));
    for (i, r) in runs.iter().enumerate().skip(first).take(rows) {
        let s = &r.report.result.summary;
        let (p50, p99) = s.latency.map_or(("-".into(), "-".into()), |l| {
            (latency(l.p50), latency(l.p99))
        });
        let text = format!(
            "{:>3} {:<20} {:<16} {:>8} {:>7.1} {:>9} {:>9} {:>6.2}% {:<8} {}",
            r.plan.id,
            truncate(&r.plan.endpoint, 20),
            truncate(&r.plan.spec.describe(), 16),
            s.requests,
            s.requests_per_sec,
            p50,
            p99,
            s.error_rate() * 100.0,
            r.report.result.finished_at.format("%H:%M:%S"),
            r.report.result.stop.short(),
        );
        let style = if i == sel {
            theme.selection
        } else if s.failed > 0 {
            theme.warning
        } else {
            theme.base
        };
        lines.push(Line::styled(truncate(&text, w), style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
