//! Console tests: `update`, views and their snapshots, keymap, theme, writes made from the
//! console (actions_*), load-run screens, and property tests of the app and its parsers.

mod fixture;
mod harness;

mod actions_audit;
mod actions_copies;
mod actions_deploy;
mod actions_shift;
mod actions_sim;
mod actions_snapshots;
mod actions_update;
mod actions_update_scale;
mod contexts;
mod contexts_snapshot;
mod contexts_views;
mod hosting_snapshots;
mod keymap_override;
mod load_ui;
mod logs_view;
mod proptest_app;
mod proptest_parsers;
mod snapshots;
mod snapshots_deploy;
mod theme;
mod update;
mod views;
