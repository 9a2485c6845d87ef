//! sagetop: a terminal operations console for SageMaker real-time endpoints.

pub mod api_stats;
pub mod app;
pub mod aws;
pub mod bench_cli;
pub mod boundary;
pub mod cli;
pub mod clock;
pub mod config;
pub mod detail_fetch;
pub mod domain;
pub mod faults;
pub mod fixture;
pub mod fleet;
pub mod load;
pub mod logging;
pub mod poll;
pub mod rollout;
pub mod runtime;
pub mod screenshots;
pub mod serve_demo;
pub mod sim;
pub mod snapshot;
pub mod start;
pub mod theme;
pub mod ui;
pub mod write;
