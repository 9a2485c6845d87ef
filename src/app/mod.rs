//! The Elm-style core: state, actions, commands, keymap and the pure `update` function.

pub mod action;
pub mod command_line;
pub mod figures;
pub mod keymap;
pub mod state;
pub mod update;

pub use action::{Action, Command, Panel, PanelData, Polled};
pub use keymap::{KeyAction, Keymap, Scope};
pub use state::{
    AppState, Column, InputKind, InputLine, Notice, NoticeLevel, Overlay, PanelHealth, SortSpec,
    View,
};
pub use update::update;
