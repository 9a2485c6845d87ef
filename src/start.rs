//! Start-up: logging, the backend (simulated or AWS), then the console, `snapshot` or
//! `screenshots`. Every failure becomes a message and an exit status, never a panic.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use crate::app::AppState;
use crate::app::state::SessionInfo;
use crate::aws::AwsOptions;
use crate::boundary::SharedBackend;
use crate::cli::{Cli, Cmd};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::poll::PollIntervals;
use crate::runtime::{Console, run};
use crate::sim::wire::{AccountOptions, SimServer};
use crate::snapshot::FleetSnapshot;
use crate::snapshot::contexts::{ContextsSnapshot, read_contexts};
use crate::theme::Theme;

pub use crate::cli::EXIT_USAGE;
use crate::settings::{aws_options, choose_theme, ops_setup};

pub fn main(cli: Cli) -> ExitCode {
    // Subcommands that print something about sagetop itself need no config, log or runtime.
    match &cli.command {
        Some(Cmd::Completions { shell }) => {
            crate::cli::write_completions(*shell, &mut std::io::stdout().lock());
            return ExitCode::SUCCESS;
        }
        Some(Cmd::Man) => {
            return match crate::cli::write_man(&mut std::io::stdout().lock()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("sagetop: cannot write the man page: {e}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Cmd::Config { default, path }) => {
            if *path || !*default {
                println!(
                    "{}",
                    cli.config
                        .clone()
                        .unwrap_or_else(crate::config::default_path)
                        .display()
                );
            }
            if *default {
                print!("{}", crate::config::DEFAULT_CONFIG);
            }
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let mut config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("sagetop: config: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    // The only read of $HOME for `~/` paths; everything below is handed this.
    config.home = std::env::var_os("HOME").map(std::path::PathBuf::from);
    let log_path = cli
        .log_file
        .clone()
        .unwrap_or_else(crate::logging::default_log_path);
    let interactive = cli.command.is_none();
    // Logging failures are not fatal; the console says nothing on the terminal about them.
    let (_guard, log_path) = match crate::logging::init(&log_path, &cli.log_level) {
        Ok(g) => (Some(g), Some(log_path)),
        Err(msg) => {
            if !interactive || msg.starts_with("bad --log-level") {
                eprintln!("sagetop: {msg}");
            }
            if msg.starts_with("bad --log-level") {
                return ExitCode::from(EXIT_USAGE);
            }
            (None, None)
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("sagetop: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async_main(cli, config, log_path))
}

struct Source {
    backend: SharedBackend,
    clock: SharedClock,
    session: SessionInfo,
    intervals: PollIntervals,
    ops: crate::rollout::OpsSetup,
    /// Caps of console load runs (`[load]`).
    load_caps: crate::load::Caps,
    /// The simulated accounts' servers on `--demo`, kept running while the source is used.
    servers: Vec<SimServer>,
    /// Several accounts or regions in one view (empty: one context, `backend` above).
    contexts: Vec<(crate::app::contexts::Ctx, crate::ctx_effects::ContextConn)>,
    /// Where the console's load runs send their requests.
    loads: crate::load::console::LoadSetup,
    /// For `~/` in load-run payload paths.
    home: Option<std::path::PathBuf>,
}

async fn open_source(cli: &Cli, config: &Config) -> Result<Source, String> {
    if cli.source.demo && cli.source.demo_accounts > 1 {
        let clock = crate::clock::demo_clock(cli.source.demo_speed);
        let opened = crate::open_contexts::open_demo(cli, config, &clock).await?;
        return Ok(many(
            cli,
            config,
            opened,
            clock,
            true,
            PollIntervals::demo(),
        ));
    }
    if cli.source.demo {
        return open_demo(cli, config).await;
    }
    let specs = crate::settings::context_specs(cli, config);
    if specs.len() > 1 {
        let opened = crate::open_contexts::open_aws(cli, config, specs).await;
        let mut intervals = PollIntervals::aws();
        config.apply_refresh(&mut intervals);
        return Ok(many(
            cli,
            config,
            opened,
            Arc::new(SystemClock),
            false,
            intervals,
        ));
    }
    open_aws(cli, config).await
}

/// A source of several contexts: the session is read-only only when every context is; the
/// guard thresholds are the config's; `snapshot` reads every context.
fn many(
    cli: &Cli,
    config: &Config,
    opened: Vec<crate::open_contexts::Opened>,
    clock: SharedClock,
    demo: bool,
    intervals: PollIntervals,
) -> Source {
    let read_only = opened.iter().all(|o| o.ctx.read_only);
    let first = &opened[0];
    let ops = ops_setup(
        cli,
        config,
        first.ctx.profile.as_deref(),
        Some(&first.ctx.region),
    );
    let backend = first.conn.backend.clone();
    let loads = first.conn.loads.clone();
    let mut servers = Vec::new();
    let mut contexts = Vec::new();
    for o in opened {
        servers.extend(o.server);
        contexts.push((o.ctx, o.conn));
    }
    Source {
        backend,
        clock,
        session: SessionInfo {
            profile: None,
            region: None,
            demo,
            read_only,
        },
        intervals,
        ops,
        load_caps: crate::load::Caps::from_config(&config.load, false),
        servers,
        loads,
        home: config.home.clone(),
        contexts,
    }
}

/// `--demo`: the simulated account served on AWS's wire protocols on loopback, read and
/// written through the same SDK backend (`src/aws`) as a real account, so a demo runs the
/// production code path; `--demo-faults` arrive as AWS's own error responses.
async fn open_demo(cli: &Cli, config: &Config) -> Result<Source, String> {
    let s = &cli.source;
    let profile = s.profile.clone().or_else(|| config.profile.clone());
    let read_only = cli.read_only
        || config.read_only.unwrap_or(false)
        || config.profile(profile.as_deref()).read_only;
    let clock = crate::clock::demo_clock(s.demo_speed);
    let sim = crate::serve_demo::demo_account(s, &clock)?;
    if let Some(spec) = &s.demo_faults {
        crate::faults::arm_console_panic(spec, clock.clone());
    }
    let server = SimServer::start_account(AccountOptions {
        sim,
        clock: clock.clone(),
        faults: s.demo_faults.clone(),
        seed: s.seed,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
    })
    .await
    .map_err(|e| format!("cannot start the simulated account on 127.0.0.1: {e}"))?;
    // The simulated account's test keys; the SDK's own retries, as against AWS.
    let opts = AwsOptions {
        max_attempts: None,
        ..crate::load::sdk::sim_options(&server.base_url())
    };
    let aws = crate::aws::connect(&opts)
        .await
        .map_err(|e| e.to_string())?
        .with_clock(clock.clone());
    // Load runs sign their requests to the same server's runtime route.
    let loads = crate::load::console::LoadSetup {
        demo: true,
        aws: Some(opts),
    };
    let aws: SharedBackend = Arc::new(aws);
    let backend: SharedBackend = if read_only {
        Arc::new(crate::boundary::read_only(aws))
    } else {
        aws
    };
    Ok(Source {
        backend,
        clock,
        ops: ops_setup(cli, config, profile.as_deref(), Some(DEMO_REGION)),
        load_caps: crate::load::Caps::from_config(&config.load, false),
        home: config.home.clone(),
        session: SessionInfo {
            profile,
            region: Some(DEMO_REGION.into()),
            demo: true,
            read_only,
        },
        intervals: PollIntervals::demo(),
        servers: vec![server],
        loads,
        contexts: Vec::new(),
    })
}

/// The simulated account's region.
const DEMO_REGION: &str = crate::load::sdk::SIM_REGION;

/// Connects to AWS (credentials checked with STS before anything is drawn).
async fn open_aws(cli: &Cli, config: &Config) -> Result<Source, String> {
    let opts = aws_options(cli, config);
    let aws = crate::aws::connect(&opts)
        .await
        .map_err(|e| e.to_string())?;
    let profile = aws.profile().map(str::to_string);
    let read_only = cli.read_only
        || config.read_only.unwrap_or(false)
        || config.profile(profile.as_deref()).read_only;
    let session = SessionInfo {
        profile,
        region: Some(aws.region().to_string()),
        demo: false,
        read_only,
    };
    tracing::info!(profile = ?session.profile, region = ?session.region, read_only, "connected to AWS");
    let aws = Arc::new(aws);
    let backend: SharedBackend = if read_only {
        Arc::new(crate::boundary::read_only(aws))
    } else {
        aws
    };
    let mut intervals = PollIntervals::aws();
    config.apply_refresh(&mut intervals);
    let ops = ops_setup(
        cli,
        config,
        session.profile.as_deref(),
        session.region.as_deref(),
    );
    Ok(Source {
        backend,
        clock: Arc::new(SystemClock),
        session,
        intervals,
        ops,
        load_caps: crate::load::Caps::from_config(&config.load, false),
        home: config.home.clone(),
        servers: Vec::new(),
        loads: crate::load::console::LoadSetup {
            demo: false,
            aws: Some(opts),
        },
        contexts: Vec::new(),
    })
}

/// `:profile` / `:region` on AWS: connect again (credentials checked first, as at start-up)
/// with the new choice; choices made earlier, on the command line or in the console, stay.
fn aws_reconnector(cli: Cli, config: Config) -> crate::runtime::Reconnector {
    let chosen = Arc::new(std::sync::Mutex::new(cli));
    Arc::new(move |profile: Option<String>, region: Option<String>| {
        let chosen = chosen.clone();
        let config = config.clone();
        Box::pin(async move {
            let mut cli = chosen.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if profile.is_some() {
                cli.source.profile = profile;
            }
            if region.is_some() {
                cli.source.region = region;
            }
            let source = open_aws(&cli, &config).await?;
            *chosen.lock().unwrap_or_else(|p| p.into_inner()) = cli;
            Ok(crate::runtime::NewConnection {
                backend: source.backend,
                session: source.session,
                writes: source.ops.writes,
                production: source.ops.production,
                loads: source.loads,
            })
        })
    })
}

async fn async_main(cli: Cli, config: Config, log_path: Option<std::path::PathBuf>) -> ExitCode {
    if let Some(Cmd::Screenshots { out }) = &cli.command {
        return match crate::screenshots::write_all(out).await {
            Ok(files) => {
                for f in files {
                    println!("{}", f.display());
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!(
                    "sagetop: cannot write screenshots to {}: {e}",
                    out.display()
                );
                ExitCode::FAILURE
            }
        };
    }
    let serving = matches!(cli.command, Some(Cmd::ServeDemo(_)));
    if cli.source.demo_faults.is_some() && !cli.source.demo && !serving {
        eprintln!("sagetop: --demo-faults needs --demo (or the serve-demo subcommand)");
        return ExitCode::from(EXIT_USAGE);
    }
    if let Some(Cmd::Bench(args)) = &cli.command {
        return crate::bench_cli::run(&cli, args, &config).await;
    }
    if let Some(Cmd::ServeDemo(args)) = &cli.command {
        return crate::serve_demo::run(&cli, args).await;
    }
    let source = match open_source(&cli, &config).await {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("sagetop: {msg}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    match &cli.command {
        Some(Cmd::Snapshot { json: _ }) => snapshot(source).await,
        Some(
            Cmd::Screenshots { .. }
            | Cmd::Completions { .. }
            | Cmd::Man
            | Cmd::Config { .. }
            | Cmd::Bench(_)
            | Cmd::ServeDemo(_),
        ) => {
            unreachable!("handled before start-up")
        }
        None => {
            let theme = match choose_theme(cli.theme.as_deref(), &config) {
                Ok(t) => t,
                Err(msg) => {
                    eprintln!("sagetop: theme: {msg}");
                    return ExitCode::from(EXIT_USAGE);
                }
            };
            // A wrong or clashing [keys] entry keeps its default keys: reported, never fatal.
            let (keymap, key_errors) =
                crate::app::Keymap::from_config(&config.key_overrides(), config.keys_file());
            let key_errors: Vec<String> = key_errors.iter().map(|e| e.to_string()).collect();
            for e in &key_errors {
                eprintln!("sagetop: config: {e}");
                tracing::warn!("config: {e}");
            }
            let reconnect = (!cli.source.demo && source.contexts.is_empty())
                .then(|| aws_reconnector(cli.clone(), config.clone()));
            console(
                source,
                theme,
                (keymap, key_errors),
                cli.mouse || config.mouse.unwrap_or(false),
                !cli.no_braille && config.braille.unwrap_or(true),
                log_path,
                reconnect,
            )
            .await
        }
    }
}

async fn snapshot(source: Source) -> ExitCode {
    let code = write_snapshot(&source).await;
    for server in source.servers {
        server.shutdown().await;
    }
    code
}

/// One context: the fleet document of old, exit 1 when its endpoints could not be listed.
/// Several: every context read at once, one document, exit 1 when any context's endpoints
/// could not be listed (the others' are printed all the same).
async fn write_snapshot(source: &Source) -> ExitCode {
    if source.contexts.len() > 1 {
        let contexts: Vec<_> = source
            .contexts
            .iter()
            .map(|(ctx, conn)| (ctx.clone(), conn.backend.as_ref()))
            .collect();
        let states = read_contexts(&contexts, source.clock.as_ref(), source.session.demo).await;
        let snap = ContextsSnapshot::from_states(&states);
        return print_snapshot(&snap, snap.complete());
    }
    let state = crate::effects::prime_state(
        source.backend.as_ref(),
        source.clock.as_ref(),
        source.session.clone(),
    )
    .await;
    let snap = FleetSnapshot::from_state(&state);
    print_snapshot(&snap, FleetSnapshot::endpoints_read(&state))
}

/// Prints the document; the exit status is 0 only when it is `complete`.
fn print_snapshot(snap: &impl serde::Serialize, complete: bool) -> ExitCode {
    let text = match serde_json::to_string_pretty(snap) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("sagetop: cannot encode the snapshot: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut out = std::io::stdout().lock();
    if writeln!(out, "{text}").is_err() {
        return ExitCode::FAILURE;
    }
    if complete {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn console(
    source: Source,
    theme: Theme,
    (keymap, key_errors): (crate::app::Keymap, Vec<String>),
    mouse: bool,
    braille: bool,
    log_path: Option<std::path::PathBuf>,
    reconnect: Option<crate::runtime::Reconnector>,
) -> ExitCode {
    let mut state = AppState::new(source.session, source.clock.now());
    state.keymap_configured = Some(keymap.clone());
    state.keymap = if state.session.read_only {
        crate::app::ops::without_writes(keymap)
    } else {
        keymap
    };
    state.ops.production = source.ops.production;
    state.ops.guard = source.ops.guard;
    state.braille = braille;
    state.clock_speed = source.clock.speed();
    state.runs.caps = source.load_caps;
    state.runs.home = source.home;
    let (ctxs, conns): (Vec<_>, Vec<_>) = source.contexts.into_iter().unzip();
    state.contexts.list = ctxs;
    if let Some(first) = key_errors.first() {
        let more = match key_errors.len() {
            1 => String::new(),
            n => format!(" ({} more in the log)", n - 1),
        };
        state.notice = Some(crate::app::Notice {
            level: crate::app::NoticeLevel::Warning,
            text: format!("config: {first}{more}"),
            at: state.now,
        });
    }
    let console = Console {
        backend: source.backend,
        clock: source.clock,
        state,
        mouse,
        theme,
        intervals: source.intervals,
        seed: 0x5a6e_7a09,
        log_path,
        writes: source.ops.writes,
        reconnect,
        loads: source.loads,
        contexts: conns,
    };
    let code = match run(console).await {
        Ok(summary) => {
            tracing::info!(redraws = summary.redraws, "bye");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sagetop: terminal error: {e}");
            ExitCode::FAILURE
        }
    };
    for server in source.servers {
        server.shutdown().await;
    }
    code
}
