//! Console tests: `update`, views and their snapshots, keymap, theme, writes made from the
//! console (actions_*), load-run screens, and property tests of the app and its parsers.

mod fixture;
mod harness;

mod update;
mod views;
mod snapshots;
mod keymap_override;
mod theme;
mod proptest_app;
mod proptest_parsers;
mod api_view;
mod actions_audit;
mod actions_shift;
mod actions_sim;
mod actions_snapshots;
mod actions_update;
mod actions_update_scale;
mod load_ui;
