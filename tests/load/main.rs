//! Load runs: the engine, the signed wire path, `sagetop bench`, its locust export and runs on
//! the simulated account.

/// Timing-sensitive runs (of every file here) do not overlap each other.
pub static TIMING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

mod load_bench_cli;
mod load_engine;
mod load_locust;
mod load_sim;
mod load_wire;
