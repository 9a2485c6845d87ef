//! What the command line and the config file resolve to: the AWS options, the theme to draw
//! with, and the write settings. Shared by start-up, the console's `:theme` and `sagetop bench`.

use crate::aws::AwsOptions;
use crate::cli::Cli;
use crate::config::Config;
use crate::theme::Theme;

/// A theme by built-in name or file path, mapped to the terminal's colour depth; NO_COLOR
/// keeps mono whatever is asked.
pub fn resolve_theme(name: &str) -> Result<Theme, String> {
    choose_theme(Some(name), &Config::default())
}

/// The theme to draw with: `--theme`, else the config's, else default; NO_COLOR forces mono;
/// the palette is mapped down to what the terminal can show.
pub fn choose_theme(cli_theme: Option<&str>, config: &Config) -> Result<Theme, String> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = if no_color {
        Theme::mono()
    } else {
        match cli_theme.or(config.theme.as_deref()) {
            None => Theme::default_theme(),
            Some(name) => match Theme::builtin(name) {
                Some(t) => t,
                None => Theme::load(std::path::Path::new(name)).map_err(|e| e.to_string())?,
            },
        }
    };
    let depth = crate::theme::ColorDepth::detect(
        std::env::var("COLORTERM").ok().as_deref(),
        std::env::var("TERM").ok().as_deref(),
    );
    Ok(theme.for_depth(depth))
}

/// Options for the AWS backend: flags first, then the config file (`profile`, the profile's
/// `region`, `region`), then aws-config's own chain (AWS_PROFILE, AWS_REGION, ~/.aws/config).
pub fn aws_options(cli: &Cli, config: &Config) -> AwsOptions {
    let s = &cli.source;
    let profile = s.profile.clone().or_else(|| config.profile.clone());
    let region = s
        .region
        .clone()
        .or_else(|| config.profile(profile.as_deref()).region)
        .or_else(|| config.region.clone());
    AwsOptions::from_flags(profile, region, s.endpoint_url.clone())
}

/// The (profile, region) contexts to open in one view: every pair of `--profile a,b` and
/// `--region x,y` when either lists more than one, else `[fleet] contexts` when neither flag
/// is given. One pair or none: the single-context console.
pub fn context_specs(cli: &Cli, config: &Config) -> Vec<(Option<String>, Option<String>)> {
    let s = &cli.source;
    let list = |v: &Option<String>| -> Vec<Option<String>> {
        match v {
            None => vec![None],
            Some(text) => {
                let items: Vec<Option<String>> = text
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(|x| Some(x.to_string()))
                    .collect();
                if items.is_empty() { vec![None] } else { items }
            }
        }
    };
    let (profiles, regions) = (list(&s.profile), list(&s.region));
    if profiles.len() > 1 || regions.len() > 1 {
        let profiles: Vec<Option<String>> = profiles
            .into_iter()
            .map(|p| p.or_else(|| config.profile.clone()))
            .collect();
        let mut out = Vec::new();
        for p in &profiles {
            for r in &regions {
                let r = r
                    .clone()
                    .or_else(|| config.profile(p.as_deref()).region)
                    .or_else(|| config.region.clone());
                if !out.contains(&(p.clone(), r.clone())) {
                    out.push((p.clone(), r));
                }
            }
        }
        return out;
    }
    if s.profile.is_none() && s.region.is_none() && config.fleet.contexts.len() > 1 {
        return config
            .fleet
            .contexts
            .iter()
            .map(|c| {
                let p = c.profile.clone().or_else(|| config.profile.clone());
                let r = c
                    .region
                    .clone()
                    .or_else(|| config.profile(p.as_deref()).region)
                    .or_else(|| config.region.clone());
                (p, r)
            })
            .collect();
    }
    Vec::new()
}

/// Write settings: `--audit-log`, else config `audit_log`, else the XDG state directory.
pub fn ops_setup(
    cli: &crate::cli::Cli,
    config: &crate::config::Config,
    profile: Option<&str>,
    region: Option<&str>,
) -> crate::rollout::OpsSetup {
    let audit_log = cli
        .audit_log
        .clone()
        .or_else(|| {
            let home = config.home.as_deref();
            (config.audit_log.as_deref()).map(|p| crate::units::expand_home(p, home))
        })
        .unwrap_or_else(crate::logging::default_audit_log);
    let d = crate::rollout::DEFAULT_GUARD;
    crate::rollout::OpsSetup {
        writes: crate::write::WriteSetup {
            audit_log,
            facts: crate::write::SessionFacts {
                profile: profile.map(str::to_string),
                region: region.map(str::to_string),
            },
        },
        production: config.profile(profile).production,
        guard: crate::rollout::Guard {
            max_5xx_rate: config.guard.max_5xx_rate.unwrap_or(d.max_5xx_rate),
            max_latency_ms: config
                .guard
                .max_model_latency_ms
                .unwrap_or(d.max_latency_ms),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use clap::Parser;

    use super::*;

    #[test]
    fn the_config_audit_log_expands_against_the_home_read_at_start_up() {
        let cli = crate::cli::Cli::parse_from(["sagetop"]);
        let config = crate::config::Config {
            audit_log: Some(PathBuf::from("~/ops/audit.log")),
            home: Some(PathBuf::from("/home/op")),
            ..Default::default()
        };
        let ops = ops_setup(&cli, &config, None, None);
        assert_eq!(ops.writes.audit_log, Path::new("/home/op/ops/audit.log"));
    }
}
