//! How `update` reaches the events, event JSON and quotas views and the detail charts: the
//! actions those own are handled here first (`intercept`), plus the hooks `update` calls when
//! the detail opens or a `/` filter is applied.

use super::action::{Action, Command};
use super::charts::ChartWindow;
use super::state::{AppState, InputKind, InputLine, Overlay, View};
use super::{events_view, quotas_view, trail_log};
use crate::domain::Timestamp;

/// Pages of an endpoint's events fetched by themselves for the chart markers.
pub const MARKER_PAGES: usize = 6;

fn is_mine(view: &View) -> bool {
    matches!(view, View::Events | View::EventJson | View::Quotas)
}

/// Rows a page key moves in the events and quotas lists.
fn page(state: &AppState) -> i64 {
    i64::from(state.size.1.saturating_sub(6).max(1))
}

/// Handles the actions of these views; gives every other action back to `update`.
// The action is handed back by value to `update`, which owns it next.
#[allow(clippy::result_large_err)]
pub fn intercept(
    state: &mut AppState,
    action: Action,
    now: Timestamp,
) -> Result<Vec<Command>, Action> {
    let cmds = match action {
        Action::CycleWindow => cycle_window(state, now),
        Action::OpenEvents => {
            let criteria = match &state.view {
                View::Detail { endpoint } => events_view::EventCriteria {
                    endpoint: Some(endpoint.clone()),
                    ..Default::default()
                },
                View::Events | View::EventJson => state.events_view.criteria.clone(),
                _ => Default::default(),
            };
            events_view::open(state, criteria)
        }
        Action::OpenQuotas => quotas_view::open(state),
        Action::ToggleReadEvents if matches!(state.view, View::Events) => {
            events_view::toggle_reads(state)
        }
        Action::OlderEvents if matches!(state.view, View::Events) => events_view::ask_pages(state),
        Action::ToggleReadEvents | Action::OlderEvents => Vec::new(),
        Action::EventsPage(page) => trail_log::on_page(state, page),
        a if !is_mine(&state.view) || matches!(state.overlay, Overlay::Help { .. }) => {
            return Err(a);
        }
        Action::StartFilter if matches!(state.view, View::Events) => {
            state.input = Some(InputLine {
                kind: InputKind::Filter,
                text: state.events_view.criteria.text.clone(),
            });
            Vec::new()
        }
        Action::Open if matches!(state.view, View::Events) => {
            events_view::open_json(state);
            Vec::new()
        }
        Action::Back => match state.view {
            View::Quotas => quotas_view::back(state),
            _ => events_view::back(state),
        },
        Action::MoveDown => move_by(state, 1),
        Action::MoveUp => move_by(state, -1),
        Action::PageDown => move_by(state, page(state)),
        Action::PageUp => move_by(state, -page(state)),
        Action::Top => move_by(state, i64::MIN / 2),
        Action::Bottom => move_by(state, i64::MAX / 2),
        other => return Err(other),
    };
    state.dirty = true;
    Ok(cmds)
}

fn move_by(state: &mut AppState, delta: i64) -> Vec<Command> {
    match state.view {
        View::Events => events_view::move_by(state, delta),
        View::EventJson => {
            events_view::scroll_json(state, delta);
            Vec::new()
        }
        View::Quotas => {
            quotas_view::move_by(state, delta);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// `t`: the next chart window; the charts poll again at once for it and the markers page
/// back far enough.
fn cycle_window(state: &mut AppState, now: Timestamp) -> Vec<Command> {
    set_window(state, state.chart_window.next(), now)
}

/// Sets the chart window (from `t` or `:window`).
pub fn set_window(state: &mut AppState, window: ChartWindow, now: Timestamp) -> Vec<Command> {
    state.chart_window = window;
    let mut cmds = vec![Command::ChartWindow(window)];
    if let View::Detail { endpoint } = &state.view {
        cmds.extend(want_markers(state, endpoint.clone(), now));
    }
    cmds
}

/// Pages the endpoint's CloudTrail events back to the start of the chart window.
fn want_markers(state: &mut AppState, endpoint: String, now: Timestamp) -> Vec<Command> {
    let span = chrono::Duration::from_std(state.chart_window.duration()).unwrap_or_default();
    trail_log::want_until(state, Some(endpoint), now - span, MARKER_PAGES)
}

/// Called when the detail of `endpoint` opens: fetch its events for the chart markers.
pub fn on_open_detail(state: &mut AppState, endpoint: &str, now: Timestamp) -> Vec<Command> {
    want_markers(state, endpoint.to_string(), now)
}

/// Whether a `/` filter being applied belongs to these views (rather than the endpoints).
pub fn takes_filter(state: &AppState) -> bool {
    matches!(state.view, View::Events)
}

/// Applies a `/` filter typed in these views.
pub fn set_filter(state: &mut AppState, text: String) -> Vec<Command> {
    events_view::set_text(state, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::SessionInfo;
    use crate::clock::fixture_epoch;

    #[test]
    fn window_cycles_only_with_a_command_for_the_poller() {
        let mut s = AppState::new(SessionInfo::default(), fixture_epoch());
        s.view = View::Detail {
            endpoint: "fraud".into(),
        };
        let cmds = intercept(&mut s, Action::CycleWindow, fixture_epoch()).unwrap();
        assert_eq!(s.chart_window, ChartWindow::H3);
        assert_eq!(cmds[0], Command::ChartWindow(ChartWindow::H3));
        assert!(matches!(cmds[1], Command::FetchEvents(_)));
        assert!(intercept(&mut s, Action::MoveDown, fixture_epoch()).is_err());
    }
}
