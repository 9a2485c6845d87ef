//! The "Changes" section of the endpoint detail: a write in flight with its pending change,
//! a traffic shift's progress (step, next step time, guard figures), the last outcome.

use ratatui::text::{Line, Span};

use super::format::{self, clock_time};
use super::text::{pack, wrap};
use crate::app::AppState;
use crate::app::ops::TrackPhase;
use crate::app::state::NoticeLevel;
use crate::domain::Endpoint;
use crate::rollout::ShiftPhase;
use crate::theme::Theme;
use crate::units::format_duration;

fn level_style(level: NoticeLevel, theme: &Theme) -> ratatui::style::Style {
    match level {
        NoticeLevel::Info => theme.ok,
        NoticeLevel::Warning => theme.warning,
        NoticeLevel::Error => theme.danger,
    }
}

fn pct(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// The section's lines (empty when nothing was written to the endpoint).
pub fn lines<'a>(state: &AppState, theme: &Theme, e: &Endpoint, w: usize) -> Vec<Line<'a>> {
    let now = state.now;
    let mut out = Vec::new();
    if let Some(s) = state.ops.shifts.get(&e.name) {
        let running = !s.phase.is_done();
        let style = match &s.phase {
            ShiftPhase::Completed => theme.ok,
            ShiftPhase::RolledBack { .. }
            | ShiftPhase::Failed { .. }
            | ShiftPhase::RollingBack { .. } => theme.danger,
            ShiftPhase::Stopped => theme.warning,
            _ => theme.info,
        };
        let mut items = vec![
            vec![
                Span::styled("shift ", theme.muted),
                Span::raw(format!("{} → {}", s.from, s.to)),
            ],
            vec![Span::raw(format!(
                "{}, wait {}",
                s.mode.label(),
                format_duration(s.wait)
            ))],
            vec![
                Span::styled("step ", theme.muted),
                Span::raw(format!("{}/{} ", s.step, s.steps())),
                Span::styled(s.phase.label().to_string(), style),
            ],
        ];
        if running && let Some(next) = s.next_step_at {
            let left = (next - now).num_seconds().max(0) as u64;
            let what = if s.step >= s.steps() {
                "done at"
            } else {
                "next step"
            };
            if now >= next && s.figures.minutes_checked == 0 {
                items.push(vec![Span::styled(
                    "waiting for a minute of CloudWatch data",
                    theme.warning,
                )]);
            } else {
                items.push(vec![
                    Span::styled(format!("{what} "), theme.muted),
                    Span::raw(format!(
                        "{} (in {})",
                        clock_time(next),
                        format_duration(std::time::Duration::from_secs(left))
                    )),
                ]);
            }
        }
        out.extend(pack(items, w, 2));
        // Shares the target has at each step, the current one marked.
        let mut steps = vec![Span::styled(format!("{} share ", s.to), theme.muted)];
        for (i, share) in s.to_shares.iter().enumerate() {
            let text = pct(*share);
            let st =
                if i + 1 < s.step || (i + 1 == s.step && !matches!(s.phase, ShiftPhase::Sending)) {
                    theme.ok
                } else if i + 1 == s.step {
                    theme.info
                } else {
                    theme.muted
                };
            if i > 0 {
                steps.push(Span::styled(" → ", theme.muted));
            }
            steps.push(Span::styled(text, st));
        }
        out.push(Line::from(steps));
        let f = &s.figures;
        let mut guard = vec![vec![
            Span::styled("guard ", theme.muted),
            Span::raw(s.guard.label()),
        ]];
        match f.minute {
            Some(m) => {
                let over_rate = f.rate_5xx.is_some_and(|r| r > s.guard.max_5xx_rate);
                let over_lat = f.latency_ms.is_some_and(|l| l > s.guard.max_latency_ms);
                let flag = |over: bool| if over { theme.danger } else { theme.ok };
                let rate = f
                    .rate_5xx
                    .map_or("-".into(), |r| format!("{}%", format::share_pct(r)));
                let inv = f.invocations.map_or("-".into(), format::count);
                let lat = f.latency_ms.map_or("-".into(), format::ms);
                guard.push(vec![
                    Span::styled(format!("{} {} ", s.to, m.format("%H:%M")), theme.muted),
                    Span::styled(format!("5XX {rate}"), flag(over_rate)),
                    Span::raw(format!(" ({inv} invocations)")),
                ]);
                guard.push(vec![Span::styled(
                    format!("latency {lat} ms"),
                    flag(over_lat),
                )]);
                guard.push(vec![Span::styled(
                    format!("{} min checked this step", f.minutes_checked),
                    theme.muted,
                )]);
            }
            None => guard.push(vec![Span::styled(
                format!("{}: no complete minute with traffic yet", s.to),
                theme.muted,
            )]),
        }
        out.extend(pack(guard, w, 2));
        if running && let Some(why) = &f.holding {
            out.push(Line::from(Span::styled(why.clone(), theme.warning)));
        }
        let reason = match &s.phase {
            ShiftPhase::RollingBack { reason } | ShiftPhase::RolledBack { reason } => {
                Some(format!("why: {reason}"))
            }
            ShiftPhase::Failed { message } => Some(message.clone()),
            _ => None,
        };
        if let Some(r) = reason {
            out.extend(
                wrap(&r, w)
                    .into_iter()
                    .map(|l| Line::styled(l, theme.danger)),
            );
        }
        if running {
            out.push(Line::styled(
                format!(
                    "{} aborts (asks: roll back or keep the step)",
                    state.keymap.keys(
                        crate::app::keymap::Scope::Shift,
                        crate::app::keymap::KeyAction::AbortShift,
                        " or "
                    )
                ),
                theme.muted,
            ));
        }
    }
    if let Some(t) = state.ops.writes.get(&e.name) {
        let phase = match t.phase {
            TrackPhase::Sending => "sending",
            TrackPhase::Applying { .. } => "accepted, Updating",
        };
        let text = format!(
            "{} {} — {phase}, sent {}s ago by {}",
            t.request.operation(),
            t.request.summary(),
            (now - t.sent_at).num_seconds().max(0),
            t.origin.label()
        );
        out.extend(
            wrap(&text, w)
                .into_iter()
                .map(|l| Line::styled(l, theme.warning)),
        );
    } else if let Some(last) = state.ops.last.get(&e.name) {
        let text = format!(
            "last write {} ({} ago, {}): {}",
            clock_time(last.at),
            format::age(now, last.at),
            last.origin.label(),
            last.text
        );
        out.extend(
            wrap(&text, w)
                .into_iter()
                .map(|l| Line::styled(l, level_style(last.level, theme))),
        );
    }
    out
}

/// Draws the section (its rule titled "Changes", then the lines) in `area`.
pub fn render(
    frame: &mut ratatui::Frame,
    area: ratatui::layout::Rect,
    theme: &Theme,
    lines: Vec<Line>,
) {
    if area.height == 0 || lines.is_empty() {
        return;
    }
    let block = super::detail::section(theme, Line::styled(" Changes ", theme.title));
    frame.render_widget(ratatui::widgets::Paragraph::new(lines).block(block), area);
}
