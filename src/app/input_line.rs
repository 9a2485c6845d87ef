//! The line typed at the bottom: a `/` filter or a `:` command, its keys (from the keymap's
//! filter and command-line scopes) and Tab completion from the command registry.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Command;
use super::keymap::KeyAction;
use super::state::{AppState, InputKind, NoticeLevel};
use crate::domain::Timestamp;

/// A key while a line is typed: `action` is what the keymap binds it to in the `/` filter or
/// `:` command scope; a character bound to nothing is typed.
pub fn on_key(
    state: &mut AppState,
    action: Option<KeyAction>,
    key: KeyEvent,
    now: Timestamp,
) -> Vec<Command> {
    let Some(input) = state.input.as_mut() else {
        return Vec::new();
    };
    state.dirty = true;
    match action {
        Some(KeyAction::Cancel) => {
            // Cancel abandons the line; a filter being typed goes back to what it was.
            state.input = None;
        }
        Some(KeyAction::Submit) => {
            let line = state.input.take().expect("input present");
            match line.kind {
                InputKind::Filter if super::logs_view::takes_filter(state) => {
                    let text = line.text.trim().to_string();
                    return super::logs_view::set_filter(state, text, now);
                }
                InputKind::Filter if super::views::takes_filter(state) => {
                    return super::views::set_filter(state, line.text.trim().to_string());
                }
                InputKind::Filter => set_filter(state, line.text.trim().to_string()),
                InputKind::Command => {
                    if !line.text.trim().is_empty() {
                        return super::run_command::run_command(state, &line.text, now);
                    }
                }
            }
        }
        Some(KeyAction::DeleteChar) => {
            if input.text.pop().is_none() {
                state.input = None;
            }
        }
        Some(KeyAction::Complete) if input.kind == InputKind::Command => {
            let typed = input.text.clone();
            let (text, candidates) = super::command_registry::complete(state, &typed);
            if let Some(input) = state.input.as_mut() {
                input.text = text;
            }
            if !candidates.is_empty() {
                let shown: Vec<String> = candidates.into_iter().take(12).collect();
                state.notice = Some(super::state::Notice {
                    level: NoticeLevel::Info,
                    text: shown.join("  "),
                    at: now,
                });
            }
        }
        None => match key.code {
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                if input.text.chars().count() < 200 && !c.is_control() {
                    input.text.push(c);
                }
            }
            _ => state.dirty = false,
        },
        Some(_) => state.dirty = false,
    }
    Vec::new()
}

pub fn set_filter(state: &mut AppState, filter: String) {
    state.filter = filter;
    // Keep the selection if it is still visible; otherwise select the first visible row.
    let rows = state.visible_endpoints();
    let keep = state
        .selected
        .as_ref()
        .is_some_and(|s| rows.iter().any(|e| &e.name == s));
    if !keep {
        state.selected = rows.first().map(|e| e.name.clone());
    }
}
