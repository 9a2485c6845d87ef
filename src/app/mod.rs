//! The Elm-style core: state, actions, commands, keymap and the pure `update` function.

pub mod action;
pub mod charts;
pub mod command_line;
pub mod command_registry;
pub mod contexts;
pub mod ctx_views;
pub mod deploy;
pub mod dialogs;
pub mod events_view;
pub mod figures;
pub mod input_line;
pub mod keymap;
pub mod keys;
pub mod logs_view;
pub mod markers;
pub mod ops;
pub mod polled;
pub mod quotas_view;
pub mod run_command;
pub mod runs;
pub mod runs_dialog;
pub mod state;
pub mod trail_log;
pub mod update;
pub mod views;

pub use action::{Action, Command, Panel, PanelData, Polled, Reconnected};
pub use keymap::{KeyAction, Keymap, Scope};
pub use state::{
    AppState, Column, InputKind, InputLine, Notice, NoticeLevel, Overlay, PanelHealth, SortSpec,
    View,
};
pub use update::update;
