//! sagetop: a terminal operations console for SageMaker real-time endpoints.

pub mod boundary;
pub mod clock;
pub mod app;
pub mod domain;
