//! `sagetop serve-demo`: the simulated account alone on AWS's wire protocols, for boto3, the
//! AWS CLI or any SDK (`--endpoint-url http://127.0.0.1:PORT`, any credentials). Prints one
//! line with the URL, serves until SIGINT or SIGTERM, then exits cleanly. It has no
//! authentication, so it refuses non-loopback addresses unless told otherwise.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::cli::EXIT_USAGE;
use crate::cli::{Cli, ServeDemoArgs, SourceArgs};
use crate::clock::SharedClock;
use crate::sim::SimAccount;
use crate::sim::wire::{AccountOptions, SimServer};

/// The simulated account the flags ask for (`--seed`, `--demo-endpoints`), with its
/// `--demo-faults` spec checked against it (an endpoint the spec deletes must exist). Shared
/// by `serve-demo` and `--demo`.
pub fn demo_account(s: &SourceArgs, clock: &SharedClock) -> Result<Arc<SimAccount>, String> {
    let sim = Arc::new(SimAccount::with_extra_endpoints(
        s.seed,
        clock.clone(),
        s.demo_endpoints,
    ));
    // The demo shows a blue/green deployment baking behind its rollback alarms.
    sim.start_demo_deployment();
    if let Some(spec) = &s.demo_faults {
        crate::sim::faults::check_spec(&sim, spec)?;
    }
    Ok(sim)
}

pub async fn run(cli: &Cli, args: &ServeDemoArgs) -> ExitCode {
    let s = &cli.source;
    if !args.listen.ip().is_loopback() && !args.allow_non_loopback {
        eprintln!(
            "sagetop: serve-demo has no authentication; refusing to listen on {} (a non-loopback address). Use 127.0.0.1, or pass --allow-non-loopback if everyone who can reach it may change the simulated account.",
            args.listen
        );
        return ExitCode::from(EXIT_USAGE);
    }
    let clock = crate::clock::demo_clock(s.demo_speed);
    let sim = match demo_account(s, &clock) {
        Ok(sim) => sim,
        Err(msg) => {
            eprintln!("sagetop: {msg}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let endpoints = sim.endpoint_names().len();
    let server = match SimServer::start_account(AccountOptions {
        sim,
        clock,
        faults: s.demo_faults.clone(),
        seed: s.seed,
        listen: args.listen,
    })
    .await
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("sagetop: serve-demo cannot listen on {}: {e}", args.listen);
            return ExitCode::FAILURE;
        }
    };
    println!(
        "sagetop serve-demo: simulated AWS account 111122223333 (us-east-1, seed {}, {endpoints} endpoints) listening on {}",
        s.seed,
        server.base_url()
    );
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    tracing::info!(calls = %server.calls(), "serve-demo stopping");
    server.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
