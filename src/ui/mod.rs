//! Everything that draws: `render(frame, state, theme)` lays out header, view, input and
//! footer lines. Pure: reads `&AppState` (time is `state.now`) and styles only via `Theme`.

pub mod api;
pub mod charts;
pub mod columns;
pub mod detail;
pub mod detail_deploy;
pub mod detail_deployment;
pub mod detail_hosting;
pub mod detail_ops;
pub mod detail_scaling;
pub mod dialog_deploy;
pub mod dialogs;
pub mod dialogs_confirm;
pub mod dialogs_copies;
pub mod endpoints;
pub mod event_json;
pub mod events;
pub mod footer;
pub mod format;
pub mod header;
pub mod help;
pub mod logs;
pub mod quotas;
pub mod runs;
pub mod runs_panel;
pub mod text;

#[cfg(test)]
mod tests;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::app::{AppState, Overlay, View};
use crate::theme::Theme;

/// Smallest screen the full layout is drawn on.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// Draws the whole screen for `state`.
pub fn render(frame: &mut Frame, state: &AppState, theme: &Theme) {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return;
    }
    frame.render_widget(Block::new().style(theme.base), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(frame, area, theme);
        return;
    }
    let input_h = u16::from(state.input.is_some());
    let [header_area, main_area, input_area, footer_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(input_h),
        Constraint::Length(1),
    ])
    .areas(area);

    header::render(frame, header_area, state, theme);
    let position = match &state.view {
        View::Endpoints => endpoints::render(frame, main_area, state, theme),
        View::Detail { endpoint } => {
            detail::render(frame, main_area, state, theme, endpoint);
            None
        }
        View::Events => events::render(frame, main_area, state, theme),
        View::EventJson => event_json::render(frame, main_area, state, theme),
        View::Quotas => quotas::render(frame, main_area, state, theme),
        View::Logs => logs::render(frame, main_area, state, theme),
        View::Api => {
            api::render(frame, main_area, state, theme);
            None
        }
    };
    if let Overlay::Help { scroll } = state.overlay {
        help::render(frame, main_area, state, theme, scroll);
    }
    runs::render(frame, main_area, state, theme);
    dialogs::render(frame, main_area, state, theme);
    footer::render_input(frame, input_area, state, theme);
    footer::render(frame, footer_area, state, theme, position);
}

/// A centred message instead of a broken layout.
fn too_small(frame: &mut Frame, area: Rect, theme: &Theme) {
    let text = format!(
        "terminal too small: need at least {MIN_WIDTH}×{MIN_HEIGHT}, have {}×{}",
        area.width, area.height
    );
    let lines = text::wrap(&text, area.width as usize);
    let h = (lines.len() as u16).min(area.height);
    let y = area.y + (area.height - h) / 2;
    let body: Vec<Line> = lines
        .into_iter()
        .map(|l| Line::styled(l, theme.warning).centered())
        .collect();
    frame.render_widget(
        Paragraph::new(body).wrap(Wrap { trim: true }),
        Rect::new(area.x, y, area.width, h),
    );
}
