//! sagetop: a terminal operations console for SageMaker real-time endpoints.

pub mod boundary;
pub mod clock;
pub mod app;
pub mod domain;
pub mod fleet;
pub mod poll;
pub mod snapshot;
pub mod cli;
pub mod logging;
pub mod config;
