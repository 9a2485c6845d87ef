//! The command line: flags and subcommands (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub mod bench;

pub use bench::BenchArgs;

/// Exit status for bad usage or configuration (missing credentials or region, bad flags).
pub const EXIT_USAGE: u8 = 2;

/// A terminal operations console for Amazon SageMaker real-time inference endpoints.
#[derive(Debug, Clone, Parser)]
#[command(name = "sagetop", version, about, long_about = None, after_help = files_help())]
pub struct Cli {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Refuse every write at the boundary; write keys disappear.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Log file (default: $XDG_STATE_HOME/sagetop/sagetop.log). Nothing is logged to the terminal.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Append every write attempt as a JSON line here (default: $XDG_STATE_HOME/sagetop/audit.log, see below).
    #[arg(long, global = true, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,

    /// Log level: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

    /// Config file (default: $XDG_CONFIG_HOME/sagetop/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Theme: a name from themes/ (default, mono, …) or a path to a theme file.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub theme: Option<String>,

    /// Enable the mouse (off by default so terminals keep text selection).
    #[arg(long, global = true)]
    pub mouse: bool,

    /// Plain dots instead of braille in charts (fonts without braille).
    #[arg(long, global = true)]
    pub no_braille: bool,

    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Where the data comes from.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Run on the embedded simulated account (no AWS account needed).
    #[arg(long, global = true)]
    pub demo: bool,

    /// Seed of the simulated account.
    #[arg(long, global = true, default_value_t = 7, value_name = "N")]
    pub seed: u64,

    /// Simulated seconds per real second (e.g. 30 to watch autoscaling in a minute).
    #[arg(long, global = true, default_value_t = 1.0, value_name = "X", value_parser = parse_speed)]
    pub demo_speed: f64,

    /// Extra generated endpoints on the simulated account (load and soak tests).
    #[arg(
        long,
        global = true,
        default_value_t = 0,
        value_name = "N",
        hide = true
    )]
    pub demo_endpoints: usize,

    /// Inject faults into the simulated account, e.g. `throttle=0.3,deny=cloudtrail,latency=2s`;
    /// `alarm=fraud-detection-xgb-5xx-rate@30s` fires the demo canary's rollback alarm
    /// (grammar and behaviour: the README's fault table).
    /// Needs `--demo` (or `serve-demo`).
    #[arg(long, global = true, value_name = "SPEC", value_parser = crate::faults::FaultSpec::parse_arg)]
    pub demo_faults: Option<crate::faults::FaultSpec>,

    /// Simulate N accounts, each in its own region, in one view (with --demo).
    #[arg(long, global = true, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=16))]
    pub demo_accounts: u16,

    /// AWS named profile; a comma list (a,b) opens each, with every --region, in one view.
    #[arg(long, global = true, value_name = "P")]
    pub profile: Option<String>,

    /// AWS region; a comma list (us-east-1,eu-west-1) opens each, with every --profile.
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,

    /// Send every AWS call to this URL (an emulator such as moto).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Cmd {
    /// Print the fleet state (endpoints, variants, metrics, quotas, events) and exit. With
    /// several profiles or regions, every context's, each endpoint with its account and
    /// region; exits 1 when any context could not list its endpoints.
    Snapshot {
        /// JSON output (the default and only format for now).
        #[arg(long)]
        json: bool,
    },
    /// Render README screenshots (SVG) from the simulated account into a folder.
    Screenshots {
        #[arg(long, default_value = "screenshots", value_name = "DIR")]
        out: PathBuf,
    },
    /// Config file helpers.
    Config {
        /// Print a commented default config file.
        #[arg(long)]
        default: bool,
        /// Print where sagetop looks for its config file.
        #[arg(long)]
        path: bool,
    },
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), generated from this command line's definition.
    Man,
    /// Load run without the console: an endpoint (--endpoint) or a container (--url).
    Bench(Box<BenchArgs>),
    /// Serve the simulated account over AWS's wire protocols for any SDK, boto3 or the AWS CLI
    /// (`--endpoint-url`), until interrupted. Honours --seed, --demo-speed, --demo-faults.
    ServeDemo(ServeDemoArgs),
}

/// `sagetop serve-demo`.
#[derive(Debug, Clone, Args)]
pub struct ServeDemoArgs {
    /// Address to listen on (port 0: a free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
    pub listen: std::net::SocketAddr,

    /// Listen on a non-loopback address. The server has no authentication: anyone who can
    /// reach it can read and change the simulated account.
    #[arg(long)]
    pub allow_non_loopback: bool,
}

/// The files sagetop writes, with their paths on this machine (shown by `--help`).
pub fn files_help() -> String {
    format!(
        "Files:\n  audit log  {}  (every write attempt; --audit-log or config audit_log)\n  log        {}  (--log-file)",
        crate::logging::default_audit_log().display(),
        crate::logging::default_log_path().display()
    )
}

/// Writes the completion script for `shell` to `out`.
pub fn write_completions(shell: clap_complete::Shell, out: &mut dyn std::io::Write) {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    clap_complete::generate(shell, &mut cmd, "sagetop", out);
}

/// Writes the man page to `out`.
pub fn write_man(out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let cmd = <Cli as clap::CommandFactory>::command();
    clap_mangen::Man::new(cmd).render(out)
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number (e.g. 1, 10, 60)"))?;
    if !v.is_finite() || v <= 0.0 || v > 3600.0 {
        return Err(format!(
            "demo speed must be more than 0 and at most 3600, got {s}"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn completions_and_man_page_come_from_the_definition() {
        for shell in [
            clap_complete::Shell::Bash,
            clap_complete::Shell::Zsh,
            clap_complete::Shell::Fish,
        ] {
            let mut out = Vec::new();
            write_completions(shell, &mut out);
            let text = String::from_utf8(out).unwrap();
            assert!(
                text.contains("demo-speed"),
                "{shell:?} completion lacks --demo-speed"
            );
            assert!(
                text.contains("snapshot"),
                "{shell:?} completion lacks the snapshot subcommand"
            );
        }
        let mut man = Vec::new();
        write_man(&mut man).unwrap();
        let man = String::from_utf8(man).unwrap();
        assert!(man.contains(".TH sagetop"), "roff title");
        assert!(man.contains("read\\-only"), "flags documented");
    }

    #[test]
    fn demo_speed_is_validated() {
        assert_eq!(parse_speed("30"), Ok(30.0));
        for bad in ["0", "-1", "NaN", "inf", "fast", "1e9"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
    }
}
