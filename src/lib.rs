//! sagetop: a terminal operations console for SageMaker real-time endpoints.

pub mod app;
pub mod aws;
pub mod boundary;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod fleet;
pub mod logging;
pub mod poll;
pub mod runtime;
pub mod screenshots;
pub mod sim;
pub mod snapshot;
pub mod start;
pub mod theme;
pub mod ui;
