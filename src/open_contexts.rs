//! Opening several contexts (accounts/profiles × regions) for one view: each its own
//! credentials chain (aws-config per profile and region), its own read-only and production
//! flags (`[profiles.X]`), its own write settings; `--demo-accounts N` serves N simulated
//! accounts, each on its own port like `--demo`. A context whose credentials fail still
//! opens, as [`Unconnected`], so its rows say why while the others stay live.

use std::sync::Arc;

use crate::app::contexts::Ctx;
use crate::aws::AwsOptions;
use crate::boundary::SharedBackend;
use crate::boundary::context::{Unconnected, qualified};
use crate::cli::Cli;
use crate::clock::SharedClock;
use crate::config::Config;
use crate::ctx_effects::ContextConn;
use crate::load::console::LoadSetup;
use crate::sim::SimAccount;
use crate::sim::wire::{AccountOptions, SimServer};

/// One context, ready for the app (`ctx`) and the runtime (`conn`).
pub struct Opened {
    pub ctx: Ctx,
    pub conn: ContextConn,
    /// The simulated account's server (`--demo-accounts`), kept running while used.
    pub server: Option<SimServer>,
}

/// Regions the simulated accounts are placed in, in order.
pub const DEMO_REGIONS: [&str; 8] = [
    "us-east-1",
    "eu-west-1",
    "ap-southeast-2",
    "us-west-2",
    "eu-central-1",
    "ap-northeast-1",
    "sa-east-1",
    "ca-central-1",
];

/// The account id of simulated account `i` (0-based): distinct twelve-digit ids.
pub fn demo_account_id(i: usize) -> String {
    format!("{:012}", 111_122_223_333u64 + i as u64 * 100_010_001)
}

/// A context's backend as the console uses it: keyed by `label`, refusing writes when
/// `read_only`.
fn wrap(label: &str, inner: SharedBackend, read_only: bool) -> SharedBackend {
    let q: SharedBackend = Arc::new(qualified(label, inner));
    if read_only {
        Arc::new(crate::boundary::read_only(q))
    } else {
        q
    }
}

fn ctx_of(
    cli: &Cli,
    config: &Config,
    label: &str,
    profile: Option<String>,
    region: &str,
) -> (Ctx, crate::rollout::OpsSetup) {
    let flags = config.profile(profile.as_deref());
    let read_only = cli.read_only || config.read_only.unwrap_or(false) || flags.read_only;
    let ops = crate::settings::ops_setup(cli, config, profile.as_deref(), Some(region));
    let mut ctx = Ctx::new(label, profile, region);
    ctx.read_only = read_only;
    ctx.production = ops.production;
    (ctx, ops)
}

/// Every (profile, region) of `specs` on AWS, connected at once.
pub async fn open_aws(
    cli: &Cli,
    config: &Config,
    specs: Vec<(Option<String>, Option<String>)>,
) -> Vec<Opened> {
    let tries = specs.into_iter().map(|(profile, region)| async move {
        let opts = AwsOptions::from_flags(
            profile.clone(),
            region.clone(),
            cli.source.endpoint_url.clone(),
        );
        let connected = crate::aws::connect(&opts).await;
        (profile, region, opts, connected)
    });
    let mut out = Vec::new();
    for (profile, region, opts, connected) in futures::future::join_all(tries).await {
        let (inner, region): (SharedBackend, String) = match connected {
            Ok(aws) => {
                let r = aws.region().to_string();
                (Arc::new(aws), r)
            }
            Err(e) => {
                tracing::warn!(?profile, ?region, error = %e, "context did not connect");
                let b = Unconnected {
                    profile: profile.clone(),
                    message: e.to_string(),
                };
                (Arc::new(b), region.unwrap_or_else(|| "no-region".into()))
            }
        };
        let label = format!("{}/{region}", profile.as_deref().unwrap_or("default"));
        let (ctx, ops) = ctx_of(cli, config, &label, profile, &region);
        let backend = wrap(&label, inner, ctx.read_only);
        out.push(Opened {
            conn: ContextConn {
                label,
                backend,
                writes: ops.writes,
                loads: LoadSetup {
                    demo: false,
                    aws: Some(opts),
                },
            },
            ctx,
            server: None,
        });
    }
    out
}

/// `--demo --demo-accounts N`: N simulated accounts (seeds `--seed`+i, distinct account ids,
/// regions from [`DEMO_REGIONS`]), each served on its own loopback port and read through the
/// SDK backend like `--demo`. `--demo-faults` apply to the last account only, so one failing
/// account can be watched next to healthy ones. Profiles are `demo1`, `demo2`, … so
/// `[profiles.demo2]` flags apply per account.
pub async fn open_demo(
    cli: &Cli,
    config: &Config,
    clock: &SharedClock,
) -> Result<Vec<Opened>, String> {
    let s = &cli.source;
    let n = usize::from(s.demo_accounts);
    let mut out = Vec::new();
    for i in 0..n {
        let region = DEMO_REGIONS[i % DEMO_REGIONS.len()];
        let seed = s.seed.wrapping_add(i as u64);
        let sim = Arc::new(
            // Each account's fleet differs: two more generated endpoints per account.
            SimAccount::with_extra_endpoints(seed, clock.clone(), s.demo_endpoints + 2 * i)
                .with_account_id(demo_account_id(i)),
        );
        let faults = if i + 1 == n {
            s.demo_faults.clone()
        } else {
            None
        };
        if let Some(spec) = &faults {
            crate::sim::faults::check_spec(&sim, spec)?;
        }
        let server = SimServer::start_account(AccountOptions {
            sim,
            clock: clock.clone(),
            faults,
            seed,
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        })
        .await
        .map_err(|e| format!("cannot start simulated account {} on 127.0.0.1: {e}", i + 1))?;
        let opts = AwsOptions {
            max_attempts: None,
            ..crate::load::sdk::sim_options(&server.base_url())
        };
        let aws = crate::aws::connect(&opts)
            .await
            .map_err(|e| e.to_string())?
            .with_clock(clock.clone());
        let profile = format!("demo{}", i + 1);
        let label = format!("{profile}/{region}");
        let (mut ctx, ops) = ctx_of(cli, config, &label, Some(profile), region);
        ctx.account = Some(demo_account_id(i));
        let backend = wrap(&label, Arc::new(aws), ctx.read_only);
        out.push(Opened {
            conn: ContextConn {
                label,
                backend,
                writes: ops.writes,
                loads: LoadSetup {
                    demo: true,
                    aws: Some(opts),
                },
            },
            ctx,
            server: Some(server),
        });
    }
    Ok(out)
}
