//! Owns `sagetop bench`: the headless load run — its flags (in `cli::bench`), checks that turn bad input into a
//! message and exit status 2, the target (SageMaker endpoint, demo endpoint behind the sim's
//! HTTP server, or plain URL), live progress on a terminal, the text or JSON report, and CI
//! budgets (`--max-error-rate`, `--p99`) that make the exit status non-zero when breached.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::aws::signing::{SigningCredentials, SigningKeys};
use crate::boundary::{Backend, BackendError, SharedBackend};
use crate::cli::Cli;
use crate::clock::{ScaledClock, SharedClock, SystemClock};
use crate::config::Config;
use crate::load::sign::Signer;
use crate::load::spec::DEFAULT_DURATION;
use crate::load::{
    BackendTarget, Budgets, Caps, InFlight, LoadSpec, LoadTarget, PayloadSource, Progress,
    RequestOptions, RunControl, RunParams, RunReport, StopAfter, StopReason, TargetInfo, UrlTarget,
};
use crate::sim::SimAccount;
use crate::sim::wire::SimServer;

/// Exit status when a budget is breached.
pub const EXIT_BUDGET: u8 = 3;
/// Exit status after Ctrl-C (the partial results are still printed).
pub const EXIT_INTERRUPTED: u8 = 130;

pub use crate::cli::BenchArgs;

/// Input that stops a bench before anything is sent (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Spec(#[from] crate::load::SpecError),
    #[error(transparent)]
    Payload(#[from] crate::load::PayloadError),
    #[error(transparent)]
    Target(#[from] crate::load::TargetError),
    #[error(
        "no payload: pass --body STRING, --payload FILE (one request per line), --payload-file FILE (one body) or --payload-dir DIR"
    )]
    NoPayload,
    #[error(
        "read-only mode refuses load runs against SageMaker endpoints (every invocation is production traffic, and billed); drop --read-only, or use --url for a local container"
    )]
    ReadOnly,
    #[error("no endpoint named {name:?}{}", known_list(.known))]
    UnknownEndpoint { name: String, known: Vec<String> },
    #[error("endpoint {name} is {status} and serves no requests; wait until it is InService")]
    NotServing { name: String, status: String },
    #[error("endpoint {endpoint} has no production variant {variant:?}; its variants: {}", .known.join(", "))]
    UnknownVariant {
        endpoint: String,
        variant: String,
        known: Vec<String>,
    },
    #[error("cannot describe endpoint {name}: {error} ({})", .error.hint())]
    Describe { name: String, error: BackendError },
    #[error("{0}")]
    Aws(String),
    #[error("cannot start the simulated runtime server: {0}")]
    SimServer(String),
    #[error("{0}")]
    Export(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        String::new()
    } else {
        format!("; endpoints here: {}", known.join(", "))
    }
}

/// What the run needs besides the spec; kept alive until the run ends.
struct Prepared {
    target: LoadTarget,
    info: TargetInfo,
    clock: SharedClock,
    /// The demo's HTTP server (stopped after the run).
    server: Option<SimServer>,
}

/// Runs `sagetop bench` and returns the process exit status.
pub async fn run(cli: &Cli, args: &BenchArgs, config: &Config) -> ExitCode {
    if let Some(path) = &args.export_locust {
        return match export_locust(cli, args, config, path).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sagetop bench: {e}");
                ExitCode::from(crate::cli::EXIT_USAGE)
            }
        };
    }
    let (spec, params_payload, prepared) = match prepare(cli, args, config).await {
        Ok(p) => p,
        Err(e) => {
            eprintln!("sagetop bench: {e}");
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let (payload_source, payload_count) = params_payload;
    let Prepared {
        target,
        info,
        clock,
        server,
    } = prepared;
    let params = RunParams {
        target: info,
        spec: spec.clone(),
        payload: payload_source,
        payload_count,
        shuffle_seed: args.shuffle.then_some(cli.source.seed),
        content_type: args.content_type.clone(),
        accept: args.accept.clone(),
    };

    let cancel = CancellationToken::new();
    let live = !args.json && std::io::stderr().is_terminal();
    let (tx, rx) = tokio::sync::mpsc::channel::<Progress>(4);
    let printer = live.then(|| tokio::spawn(print_progress(rx, spec.clone())));
    let ctl = RunControl {
        clock,
        cancel: cancel.clone(),
        progress: live.then_some(tx),
    };
    let run = crate::load::run(target, &spec, ctl);
    tokio::pin!(run);
    let result = tokio::select! {
        r = &mut run => r,
        _ = tokio::signal::ctrl_c() => {
            cancel.cancel();
            run.await
        }
    };
    if let Some(p) = printer {
        let _ = p.await;
        eprint!("\r\x1b[2K");
    }
    if let Some(s) = server {
        s.shutdown().await;
    }
    let report = RunReport { params, result };
    let text = if args.json {
        match serde_json::to_string_pretty(&report.to_json()) {
            Ok(t) => t + "\n",
            Err(e) => {
                eprintln!("sagetop bench: cannot encode the results: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        report.text()
    };
    if std::io::stdout().lock().write_all(text.as_bytes()).is_err() {
        return ExitCode::FAILURE;
    }
    if report.result.stop == StopReason::Stopped {
        eprintln!("sagetop bench: interrupted; the results above are partial");
        return ExitCode::from(EXIT_INTERRUPTED);
    }
    let breaches = Budgets {
        max_error_rate: args.max_error_rate,
        p99: args.p99,
    }
    .check(&report.result.summary);
    for b in &breaches {
        eprintln!("sagetop bench: budget breached: {b}");
    }
    if breaches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_BUDGET)
    }
}

async fn print_progress(mut rx: tokio::sync::mpsc::Receiver<Progress>, spec: LoadSpec) {
    while let Some(p) = rx.recv().await {
        let line = crate::load::report::progress_line(&spec, &p.summary);
        eprint!("\r\x1b[2K{line}");
        let _ = std::io::stderr().flush();
    }
}

type PayloadInfo = (PayloadSource, usize);

type Plan = (
    LoadSpec,
    PayloadSource,
    crate::load::Payloads,
    RequestOptions,
);

/// The spec, payloads and request options of the run, checked (no I/O but reading payloads).
fn plan(cli: &Cli, args: &BenchArgs, config: &Config) -> Result<Plan, BenchError> {
    let caps = Caps::from_config(&config.load, args.allow_large);
    let stop = match (args.duration, args.requests) {
        (_, Some(n)) => StopAfter::Requests(n),
        (Some(d), None) => StopAfter::Duration(d),
        (None, None) => StopAfter::Duration(DEFAULT_DURATION),
    };
    let spec = LoadSpec {
        concurrency: args.concurrency,
        stop,
        rate: args.rate,
        ramp: args.ramp.filter(|r| !r.is_zero()),
        timeout: args.timeout,
        max_duration: caps.max_duration,
        in_flight: if args.in_flight == "wait" {
            InFlight::Wait
        } else {
            InFlight::Count
        },
        threads: args.threads,
    };
    spec.validate(&caps)?;

    let demo = cli.source.demo;
    let source = match (
        &args.body,
        &args.payload,
        &args.payload_file,
        &args.payload_dir,
    ) {
        (Some(b), ..) => PayloadSource::Body(b.clone()),
        (None, Some(p), ..) => PayloadSource::File(p.clone()),
        (None, None, Some(p), _) => PayloadSource::OneFile(p.clone()),
        (None, None, None, Some(d)) => PayloadSource::Dir(d.clone()),
        (None, None, None, None) if demo => PayloadSource::DemoSample,
        (None, None, None, None) => return Err(BenchError::NoPayload),
    };
    let mut payloads = source.load()?;
    if args.shuffle {
        payloads = payloads.shuffled(cli.source.seed);
    }
    let opts = RequestOptions {
        content_type: args.content_type.clone(),
        accept: args.accept.clone(),
        variant: args.variant.clone(),
        custom_attributes: args.custom_attributes.clone(),
        inference_component: args.inference_component.clone(),
        target_container_hostname: args.target_container_hostname.clone(),
        headers: args.headers.clone(),
        insecure: args.insecure,
        client: args.http_client,
    };
    Ok((spec, source, payloads, opts))
}

/// `--export-locust FILE`: writes the equivalent locustfile instead of running.
async fn export_locust(
    cli: &Cli,
    args: &BenchArgs,
    config: &Config,
    path: &std::path::Path,
) -> Result<(), BenchError> {
    let Some(endpoint) = args.endpoint.as_deref().filter(|_| !cli.source.demo) else {
        return Err(BenchError::Export(
            "--export-locust takes --endpoint NAME on AWS (or an emulator's --endpoint-url); --url and --demo targets cannot be reached from Locust's machines".into(),
        ));
    };
    let (spec, _, payloads, opts) = plan(cli, args, config)?;
    let aws_opts = crate::settings::aws_options(cli, config);
    let region = crate::aws::signing::resolved_region(&aws_opts)
        .await
        .ok_or_else(|| {
            BenchError::Export("no AWS region: pass --region or set AWS_REGION".into())
        })?;
    let text = crate::load::locust::locustfile(
        &crate::load::locust::LocustTarget {
            endpoint,
            region: &region,
            endpoint_url: aws_opts.endpoint_url.as_deref(),
        },
        &spec,
        &opts,
        &payloads,
        &Budgets {
            max_error_rate: args.max_error_rate,
            p99: args.p99,
        },
    );
    std::fs::write(path, text)
        .map_err(|e| BenchError::Export(format!("cannot write {}: {e}", path.display())))?;
    eprintln!(
        "sagetop bench: wrote {} ({} payload{}); run it with: locust -f {} --headless",
        path.display(),
        payloads.len(),
        if payloads.len() == 1 { "" } else { "s" },
        path.display()
    );
    Ok(())
}

async fn prepare(
    cli: &Cli,
    args: &BenchArgs,
    config: &Config,
) -> Result<(LoadSpec, PayloadInfo, Prepared), BenchError> {
    let (spec, source, payloads, opts) = plan(cli, args, config)?;
    let demo = cli.source.demo;
    let count = payloads.len();
    let clock: SharedClock = if demo && (cli.source.demo_speed - 1.0).abs() > f64::EPSILON {
        Arc::new(ScaledClock::new(chrono::Utc::now(), cli.source.demo_speed))
    } else {
        Arc::new(SystemClock)
    };

    let prepared = if let Some(url) = &args.url {
        let target = UrlTarget::new(url, &opts, payloads).await?;
        if !args.no_ping {
            target.ping().await?;
        }
        Prepared {
            info: TargetInfo {
                kind: "url".into(),
                name: url.clone(),
                variant: args.variant.clone(),
                demo: false,
                via: "http".into(),
            },
            target: LoadTarget::Url(Box::new(target)),
            clock,
            server: None,
        }
    } else {
        let name = args.endpoint.clone().unwrap_or_default();
        let profile = cli
            .source
            .profile
            .clone()
            .or_else(|| config.profile.clone());
        let read_only = cli.read_only
            || config.read_only.unwrap_or(false)
            || config.profile(profile.as_deref()).read_only;
        if read_only {
            return Err(BenchError::ReadOnly);
        }
        if !demo {
            let aws_opts =
                crate::load::sdk::single_attempt(crate::settings::aws_options(cli, config));
            if !args.no_describe {
                let aws = crate::aws::connect(&aws_opts)
                    .await
                    .map_err(|e| BenchError::Aws(e.to_string()))?;
                let backend: SharedBackend = Arc::new(aws);
                let known = match backend.list_endpoints().await {
                    Ok(list) => list.into_iter().map(|e| e.name).collect(),
                    Err(_) => Vec::new(),
                };
                check_endpoint(backend.as_ref(), &name, args.variant.as_deref(), known).await?;
            }
            let access = crate::aws::signing::runtime_access(&aws_opts)
                .await
                .map_err(|e| BenchError::Aws(e.to_string()))?;
            let base = crate::load::runtime_url(&access);
            let signer = Signer {
                region: access.region.clone(),
                credentials: access.credentials.clone(),
            };
            let target =
                UrlTarget::endpoint(&base, &name, &opts, payloads, signer, args.stream).await?;
            return Ok((
                spec,
                (source, count),
                Prepared {
                    info: TargetInfo {
                        kind: "endpoint".into(),
                        name,
                        variant: args.variant.clone(),
                        demo: false,
                        via: format!(
                            "InvokeEndpoint{} (SigV4 over HTTPS) at {base}",
                            if args.stream {
                                "WithResponseStream"
                            } else {
                                ""
                            }
                        ),
                    },
                    target: LoadTarget::Url(Box::new(target)),
                    clock,
                    server: None,
                },
            ));
        }
        let sim = Arc::new(SimAccount::with_extra_endpoints(
            cli.source.seed,
            clock.clone(),
            cli.source.demo_endpoints,
        ));
        let known = sim.endpoint_names();
        check_endpoint(sim.as_ref(), &name, args.variant.as_deref(), known).await?;
        // `--demo-faults` applies to load runs too (throttling, errors, latency).
        let backend: SharedBackend = match &cli.source.demo_faults {
            Some(spec) => crate::sim::faults::demo_backend(
                sim,
                spec,
                clock.clone(),
                cli.source.seed,
                profile.clone(),
            )
            .map_err(BenchError::Aws)?,
            None => sim,
        };
        // The demo's load travels over real HTTP to the sim's runtime server: through the SDK
        // runtime client (SigV4, test credentials) by default, or as plain POSTs.
        let server = SimServer::start(backend, clock.clone())
            .await
            .map_err(|e| BenchError::SimServer(e.to_string()))?;
        let (target, via) = if args.demo_via == "sigv4" {
            let creds = crate::load::sdk::sim_options(&server.base_url())
                .credentials
                .expect("the simulated account has test keys");
            let signer = Signer {
                region: crate::load::sdk::SIM_REGION.into(),
                credentials: Arc::new(SigningCredentials::fixed(SigningKeys {
                    access_key_id: creds.access_key_id,
                    secret_access_key: creds.secret_access_key,
                    session_token: creds.session_token,
                    expires: None,
                })),
            };
            let t = UrlTarget::endpoint(
                &server.base_url(),
                &name,
                &opts,
                payloads,
                signer,
                args.stream,
            )
            .await?;
            (
                LoadTarget::Url(Box::new(t)),
                format!(
                    "SigV4 over HTTP to the simulated runtime at {}",
                    server.base_url()
                ),
            )
        } else if args.demo_via == "http" {
            let t = UrlTarget::new(&server.invocations_url(&name), &opts, payloads).await?;
            (
                LoadTarget::Url(Box::new(t)),
                format!("http to the simulated runtime at {}", server.base_url()),
            )
        } else {
            let client = crate::load::sdk::sim_runtime(&server.base_url())
                .await
                .map_err(BenchError::Aws)?;
            let t = BackendTarget::new(client, &name, &opts, payloads);
            (
                LoadTarget::Backend(t),
                format!(
                    "sagemaker-runtime SDK to the simulated runtime at {}",
                    server.base_url()
                ),
            )
        };
        Prepared {
            info: TargetInfo {
                kind: "endpoint".into(),
                name,
                variant: args.variant.clone(),
                demo: true,
                via,
            },
            target,
            clock,
            server: Some(server),
        }
    };
    Ok((spec, (source, count), prepared))
}

/// The endpoint exists, serves requests, and has the asked variant.
pub async fn check_endpoint(
    backend: &dyn Backend,
    name: &str,
    variant: Option<&str>,
    known: Vec<String>,
) -> Result<(), BenchError> {
    let endpoint = match backend.describe_endpoint(name).await {
        Ok(e) => e,
        Err(BackendError::NotFound { .. }) => {
            return Err(BenchError::UnknownEndpoint {
                name: name.to_string(),
                known,
            });
        }
        Err(error) => {
            return Err(BenchError::Describe {
                name: name.to_string(),
                error,
            });
        }
    };
    use crate::domain::EndpointStatus as S;
    if !matches!(
        endpoint.status,
        S::InService | S::Updating | S::SystemUpdating | S::RollingBack
    ) {
        return Err(BenchError::NotServing {
            name: name.to_string(),
            status: endpoint.status.as_str().to_string(),
        });
    }
    if let Some(v) = variant
        && endpoint.variants.iter().all(|x| x.name != v)
    {
        return Err(BenchError::UnknownVariant {
            endpoint: name.to_string(),
            variant: v.to_string(),
            known: endpoint.variants.iter().map(|x| x.name.clone()).collect(),
        });
    }
    Ok(())
}
