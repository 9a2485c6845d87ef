//! The top bar: app name, account / profile / region or DEMO, read-only badge,
//! endpoints freshness and failing panels; compacts itself to fit the width.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::format::{age, width};
use crate::app::{AppState, Panel};
use crate::theme::Theme;
use crate::units::format_age;

/// One failing panel, as the header reports it.
struct Failure {
    full: String,
    short: String,
}

fn failures(state: &AppState) -> Vec<Failure> {
    if state.contexts.multi() {
        return context_failures(state);
    }
    Panel::ALL
        .into_iter()
        .filter_map(|p| {
            let h = state.health(p);
            let err = h.error.as_ref()?;
            let mut full = format!("{}: {}", p.label(), err.short());
            if let Some(retry) = h.retry_at {
                let secs = (retry - state.now).num_seconds();
                if secs > 0 {
                    full.push_str(&format!(", retry in {}", format_age(secs)));
                } else {
                    full.push_str(", retrying");
                }
            }
            Some(Failure {
                full,
                short: format!("{} {}", p.label(), err.short()),
            })
        })
        .collect()
}

/// With several contexts, one failure per failing context, named by its label.
fn context_failures(state: &AppState) -> Vec<Failure> {
    state
        .contexts
        .list
        .iter()
        .filter_map(|c| {
            let failing: Vec<(Panel, &crate::boundary::BackendError)> = Panel::ALL
                .into_iter()
                .filter_map(|p| Some((p, c.panels.get(&p)?.error.as_ref()?)))
                .collect();
            let (panel, err) = failing.first()?;
            let more = match failing.len() {
                1 => String::new(),
                n => format!(" (+{} panels)", n - 1),
            };
            Some(Failure {
                full: format!("{} {}: {}{more}", c.label, panel.label(), err.short()),
                short: format!("{} {}", c.label, err.short()),
            })
        })
        .collect()
}

/// How hard the header is squeezed.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Full,
    ShortFailures,
    NoProfile,
    NoAccount,
    ShortAge,
    CountFailures,
    NoRegion,
}

const LEVELS: [Level; 7] = [
    Level::Full,
    Level::ShortFailures,
    Level::NoProfile,
    Level::NoAccount,
    Level::ShortAge,
    Level::CountFailures,
    Level::NoRegion,
];

fn build<'a>(
    state: &AppState,
    theme: &Theme,
    fails: &[Failure],
    level: Level,
) -> (Vec<Span<'a>>, Vec<Span<'a>>) {
    let gap = || Span::raw("  ");
    let mut left = vec![Span::styled(" sagetop", theme.accent)];
    let session = &state.session;
    let id = state.identity.as_ref();
    if session.demo {
        left.push(gap());
        left.push(Span::styled(" DEMO ", theme.badge));
    }
    // Several accounts or regions: how many, which (when there is room), how many are stale.
    let ctxs = &state.contexts;
    if ctxs.multi() {
        left.push(gap());
        let n = ctxs.list.len();
        left.push(Span::raw(if level == Level::Full {
            format!("{n} contexts: {}", ctxs.labels().join(", "))
        } else {
            format!("{n} contexts")
        }));
        let stale = ctxs.stale_count();
        if stale > 0 {
            left.push(gap());
            left.push(Span::styled(format!("{stale} stale"), theme.stale));
        }
    } else if !session.demo
        && level < Level::NoAccount
        && let Some(id) = id
    {
        left.push(gap());
        left.push(Span::raw(id.account.clone()));
    }
    let profile = session
        .profile
        .clone()
        .or_else(|| id.and_then(|i| i.profile.clone()));
    if level < Level::NoProfile
        && !session.demo
        && !ctxs.multi()
        && let Some(p) = profile
    {
        left.push(gap());
        left.push(Span::styled("profile ", theme.muted));
        left.push(Span::raw(p));
    }
    let region = session
        .region
        .clone()
        .or_else(|| id.map(|i| i.region.clone()));
    if level < Level::NoRegion
        && !ctxs.multi()
        && let Some(r) = region
    {
        left.push(gap());
        left.push(Span::raw(r));
    }
    if session.read_only {
        left.push(gap());
        let label = if level == Level::Full {
            " read-only "
        } else {
            " RO "
        };
        left.push(Span::styled(label, theme.badge));
    }

    let mut right = Vec::new();
    if !fails.is_empty() {
        let text = match level {
            Level::Full => fails
                .iter()
                .map(|f| f.full.as_str())
                .collect::<Vec<_>>()
                .join(" | "),
            l if l < Level::CountFailures => {
                let mut s = fails[0].short.clone();
                if fails.len() > 1 {
                    s.push_str(&format!(" +{}", fails.len() - 1));
                }
                s
            }
            _ => format!("{} failing", fails.len()),
        };
        right.push(Span::styled(text, theme.danger));
        right.push(gap());
    }
    let h = state.health(Panel::Endpoints);
    let age_style = if h.error.is_some() {
        theme.stale
    } else {
        Style::default()
    };
    let age_text = match h.last_ok {
        Some(t) if level < Level::ShortAge => format!("refreshed {} ago", age(state.now, t)),
        Some(t) => format!("{} ago", age(state.now, t)),
        None if h.error.is_some() => "no data".to_string(),
        None => "loading…".to_string(),
    };
    right.push(Span::styled(age_text, age_style));
    right.push(Span::raw(" "));
    (left, right)
}

fn spans_width(spans: &[Span]) -> usize {
    spans.iter().map(|s| width(&s.content)).sum()
}

pub fn render(frame: &mut Frame, area: Rect, state: &AppState, theme: &Theme) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let fails = failures(state);
    let avail = area.width as usize;
    let mut chosen = None;
    for level in LEVELS {
        let (l, r) = build(state, theme, &fails, level);
        if spans_width(&l) + 1 + spans_width(&r) <= avail || level == Level::NoRegion {
            chosen = Some((l, r));
            break;
        }
    }
    let (mut left, right) = chosen.unwrap_or_default();
    let used = spans_width(&left) + spans_width(&right);
    if used < avail {
        left.push(Span::raw(" ".repeat(avail - used)));
    }
    left.extend(right);
    frame.render_widget(Paragraph::new(Line::from(left)).style(theme.header), area);
}
