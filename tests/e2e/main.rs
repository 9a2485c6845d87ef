//! The real `sagetop` binary in a private tmux server: the console on `--demo` and against moto,
//! faults and terminal safety, and secrets kept out of every output.

#[path = "../support/mod.rs"]
mod support;
#[path = "../support/tmux.rs"]
mod tmux;

mod aws_console;
mod e2e_faults;
mod e2e_tmux;
mod secrets;
mod snapshot_contexts;
