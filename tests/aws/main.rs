//! The AWS backend: SDK contracts and mocks, moto over the wire, the simulated account's wire
//! server (also checked with boto3), the pollers' budgets and fleet fetching.

#[path = "../support/mod.rs"]
mod support;
mod wire_rig;

mod api_view;
mod aws_cli;
mod aws_contracts;
mod aws_invoke_once;
mod aws_mocks;
mod aws_moto;
mod component_scaling;
mod fleet;
mod poll_budget;
mod poll_scaling;
mod wire;
mod wire_accounts;
mod wire_boto3;
mod wire_contracts;
mod wire_deployments;
mod wire_hosting;
mod wire_logs;
