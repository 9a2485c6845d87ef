//! The command line: flags and subcommands (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// A terminal operations console for Amazon SageMaker real-time inference endpoints.
#[derive(Debug, Parser)]
#[command(name = "sagetop", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub source: SourceArgs,

    /// Refuse every write at the boundary; write keys disappear.
    #[arg(long, global = true)]
    pub read_only: bool,

    /// Log file (default: $XDG_STATE_HOME/sagetop/sagetop.log). Nothing is logged to the terminal.
    #[arg(long, global = true, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// Log level: error, warn, info, debug, trace.
    #[arg(long, global = true, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

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
    #[arg(long, global = true, default_value_t = 0, value_name = "N", hide = true)]
    pub demo_endpoints: usize,

    /// AWS named profile.
    #[arg(long, global = true, value_name = "P")]
    pub profile: Option<String>,

    /// AWS region.
    #[arg(long, global = true, value_name = "R")]
    pub region: Option<String>,

    /// Send every AWS call to this URL (an emulator such as moto).
    #[arg(long, global = true, value_name = "URL")]
    pub endpoint_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Print the fleet state (endpoints, variants, metrics, quotas, events) and exit.
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
}

fn parse_speed(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("`{s}` is not a number (e.g. 1, 10, 60)"))?;
    if !v.is_finite() || v <= 0.0 || v > 3600.0 {
        return Err(format!("demo speed must be more than 0 and at most 3600, got {s}"));
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
    fn demo_speed_is_validated() {
        assert_eq!(parse_speed("30"), Ok(30.0));
        for bad in ["0", "-1", "NaN", "inf", "fast", "1e9"] {
            assert!(parse_speed(bad).is_err(), "{bad}");
        }
    }
}
