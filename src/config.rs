//! The config file (`$XDG_CONFIG_HOME/sagetop/config.toml`): parsing with path:line errors,
//! defaults, and the commented default file. sagetop only reads it, never writes it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

/// Why the config file could not be used. Shown as `path:line: message`, exit status 2.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    Read { path: String, message: String },
    #[error("{path}:{line}: {message}")]
    Parse {
        path: String,
        line: usize,
        message: String,
    },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// Poll intervals in seconds (real AWS); missing fields keep the built-in defaults.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshConfig {
    pub endpoints: Option<u64>,
    pub endpoints_busy: Option<u64>,
    pub metrics: Option<u64>,
    pub autoscaling: Option<u64>,
    pub quotas: Option<u64>,
    pub events: Option<u64>,
    /// What metric polling may cost per hour (the cost governor keeps to it).
    pub metrics_budget_usd_per_hour: Option<f64>,
    /// SageMaker calls a second the endpoints poller spends on routine describes and lists.
    pub control_plane_calls_per_second: Option<f64>,
}

/// Per-profile settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileConfig {
    /// Writes need the endpoint name typed to confirm.
    #[serde(default)]
    pub production: bool,
    /// Refuse every write for this profile.
    #[serde(default)]
    pub read_only: bool,
    /// Region to use with this profile when none is given.
    pub region: Option<String>,
}

/// Guard thresholds of guarded traffic shifts.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Highest acceptable Invocation5XXErrors rate of the target variant (0..1).
    pub max_5xx_rate: Option<f64>,
    /// Highest acceptable ModelLatency average of the target variant, in ms.
    pub max_model_latency_ms: Option<f64>,
}

pub use crate::load::spec::LoadConfig;

/// One key or several for a `[keys]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyList {
    One(String),
    Many(Vec<String>),
}

impl KeyList {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            KeyList::One(k) => vec![k.clone()],
            KeyList::Many(ks) => ks.clone(),
        }
    }
}

/// The whole config file. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub profile: Option<String>,
    pub region: Option<String>,
    /// Theme name (a file in themes/) or path.
    pub theme: Option<String>,
    /// Braille chart markers (false: plain dots, for fonts without braille).
    pub braille: Option<bool>,
    pub mouse: Option<bool>,
    pub read_only: Option<bool>,
    pub audit_log: Option<PathBuf>,
    #[serde(default)]
    pub refresh: RefreshConfig,
    #[serde(default)]
    pub profiles: BTreeMap<String, ProfileConfig>,
    #[serde(default)]
    pub guard: GuardConfig,
    #[serde(default)]
    pub load: LoadConfig,
    /// Action name → key(s), e.g. `open = "l"` or `move_down = ["j", "down"]`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyList>,
}

/// `$XDG_CONFIG_HOME/sagetop/config.toml`, or `~/.config/sagetop/config.toml`.
pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("sagetop").join("config.toml")
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |s| s.matches('\n').count() + 1)
}

impl Config {
    /// Parses config text; `path` names the file in messages.
    pub fn parse(text: &str, path: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_string(),
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_string(),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// Loads `explicit` (which must exist) or the default path (which may be missing).
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (default_path(), false),
        };
        match std::fs::read(&path) {
            Ok(bytes) => {
                let text = String::from_utf8(bytes).map_err(|_| ConfigError::Read {
                    path: path.display().to_string(),
                    message: "not UTF-8 text".into(),
                })?;
                Config::parse(&text, &path.display().to_string())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(e) => Err(ConfigError::Read {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }

    fn validate(&self, path: &str) -> Result<(), ConfigError> {
        let invalid = |message: String| {
            Err(ConfigError::Invalid {
                path: path.to_string(),
                message,
            })
        };
        let r = &self.refresh;
        for (name, v) in [
            ("endpoints", r.endpoints),
            ("endpoints_busy", r.endpoints_busy),
            ("metrics", r.metrics),
            ("autoscaling", r.autoscaling),
            ("quotas", r.quotas),
            ("events", r.events),
        ] {
            if v == Some(0) {
                return invalid(format!("[refresh] {name} must be at least 1 second"));
            }
        }
        if r.metrics.is_some_and(|m| m < 60) {
            return invalid(
                "[refresh] metrics must be at least 60 seconds: CloudWatch publishes every 60 s"
                    .into(),
            );
        }
        if let Some(usd) = r.metrics_budget_usd_per_hour
            && !(usd.is_finite() && usd >= 0.0)
        {
            return invalid(format!(
                "[refresh] metrics_budget_usd_per_hour must be 0 or more, got {usd}"
            ));
        }
        if let Some(rate) = r.control_plane_calls_per_second
            && !(rate.is_finite() && rate > 0.0)
        {
            return invalid(format!(
                "[refresh] control_plane_calls_per_second must be more than 0, got {rate}"
            ));
        }
        if let Some(rate) = self.guard.max_5xx_rate
            && !(rate.is_finite() && (0.0..=1.0).contains(&rate))
        {
            return invalid(format!(
                "[guard] max_5xx_rate must be between 0 and 1, got {rate}"
            ));
        }
        if let Some(ms) = self.guard.max_model_latency_ms
            && !(ms.is_finite() && ms > 0.0)
        {
            return invalid(format!(
                "[guard] max_model_latency_ms must be a positive number, got {ms}"
            ));
        }
        if self.load.max_concurrency == Some(0) || self.load.max_duration_secs == Some(0) {
            return invalid("[load] caps must be at least 1".into());
        }
        Ok(())
    }

    /// `[keys]` as (action name, keys) pairs for `Keymap::with_overrides`.
    pub fn key_overrides(&self) -> Vec<(String, Vec<String>)> {
        self.keys
            .iter()
            .map(|(k, v)| (k.clone(), v.to_vec()))
            .collect()
    }

    /// Settings of a named profile, if the file has any.
    pub fn profile(&self, name: Option<&str>) -> ProfileConfig {
        name.and_then(|n| self.profiles.get(n))
            .cloned()
            .unwrap_or_default()
    }

    /// Apply `[refresh]` over the given intervals.
    pub fn apply_refresh(&self, iv: &mut crate::poll::PollIntervals) {
        let r = &self.refresh;
        let set = |slot: &mut Duration, v: Option<u64>| {
            if let Some(s) = v {
                *slot = Duration::from_secs(s);
            }
        };
        set(&mut iv.endpoints_stable, r.endpoints);
        set(&mut iv.endpoints_busy, r.endpoints_busy);
        set(&mut iv.metrics, r.metrics);
        set(&mut iv.autoscaling_watched, r.autoscaling);
        set(&mut iv.quotas, r.quotas);
        set(&mut iv.events, r.events);
        if let Some(usd) = r.metrics_budget_usd_per_hour {
            iv.metrics_budget_usd_per_hour = usd;
        }
        if let Some(rate) = r.control_plane_calls_per_second {
            iv.control_plane_calls_per_second = rate;
        }
    }
}

/// The commented default config file printed by `sagetop config --default`.
pub const DEFAULT_CONFIG: &str = r#"# sagetop configuration: $XDG_CONFIG_HOME/sagetop/config.toml (or --config PATH).
# Every setting is optional; the values shown are the defaults. sagetop never writes this file.

# AWS profile and region when --profile / --region are not given (then AWS_PROFILE, AWS_REGION).
# profile = "default"
# region = "us-east-1"

# Theme: a name from themes/ (default, mono, …) or a path to a .toml file.
# theme = "default"

# Braille chart markers; false draws plain dots for fonts without braille.
# braille = true

# Mouse support (off by default: terminals on bastion hosts select text with the mouse).
# mouse = false

# Refuse every write, whatever the profile.
# read_only = false

# Where write attempts are appended as JSON lines.
# audit_log = "~/.local/state/sagetop/audit.log"

# Poll intervals in seconds (real AWS). Metrics are never polled more often than 60 s.
[refresh]
# endpoints = 30        # DescribeEndpoint while every endpoint is stable
# endpoints_busy = 5    # while any endpoint is Creating or Updating
# metrics = 60          # GetMetricData
# autoscaling = 30      # the endpoint on screen
# quotas = 300          # ListServiceQuotas
# events = 60           # CloudTrail LookupEvents
# GetMetricData is billed per metric requested ($0.01 per 1,000 in us-east-1). sagetop polls
# the endpoint on screen and the rows on screen every minute and the rest of the fleet in
# turn, as slowly as this budget requires (charts count too); `:api` shows spend and budget.
# metrics_budget_usd_per_hour = 0.50
# SageMaker calls a second spent listing and describing the fleet. The endpoint on screen is
# described every cycle; then, within this budget, endpoints whose status or LastModifiedTime
# changed or that are in transition, rows on screen, and the rest in turn (a big fleet fills in
# over time, rows on screen first).
# control_plane_calls_per_second = 0.35

# Per-profile settings: production profiles need the endpoint name typed to confirm a write.
# [profiles.prod]
# production = true
# read_only = false
# region = "us-east-1"

# Guarded traffic shifts roll back when the target variant breaches these.
[guard]
# max_5xx_rate = 0.01
# max_model_latency_ms = 500

# Caps of local load runs (raise explicitly to go beyond).
[load]
# max_duration_secs = 600
# max_concurrency = 256

# Key bindings: action = "key" or ["key", "key"]. Keys: a character, enter, esc, up, down,
# left, right, pgup, pgdn, home, end, tab, space, f1..f12, ctrl-LETTER.
[keys]
# move_down = ["j", "down"]
# move_up = ["k", "up"]
# open = "enter"
# filter = "/"
# sort = "o"
# help = "?"
# quit = "q"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_file_parses_to_defaults() {
        assert_eq!(
            Config::parse(DEFAULT_CONFIG, "default").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn parses_a_full_file() {
        let c = Config::parse(
            "profile = \"ops\"\ntheme = \"mono\"\n[refresh]\nmetrics = 120\n[profiles.prod]\nproduction = true\n[keys]\nopen = \"l\"\nmove_down = [\"j\", \"n\"]\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(c.profile.as_deref(), Some("ops"));
        assert!(c.profile(Some("prod")).production);
        assert!(!c.profile(Some("dev")).production);
        assert_eq!(c.refresh.metrics, Some(120));
        assert_eq!(
            c.key_overrides(),
            vec![
                (
                    "move_down".to_string(),
                    vec!["j".to_string(), "n".to_string()]
                ),
                ("open".to_string(), vec!["l".to_string()]),
            ]
        );
    }

    #[test]
    fn bad_files_say_where_and_what() {
        let cases = [
            (
                "profile = \"a\"\ncolour = \"red\"\n",
                2,
                "unknown field `colour`",
            ),
            ("[refresh]\nmetrics = \"fast\"\n", 2, "invalid type"),
            ("braille = yes\n", 1, ""),
            (
                "[profiles.prod]\nproduction = true\nwritable = true\n",
                3,
                "unknown field `writable`",
            ),
        ];
        for (text, line, needle) in cases {
            match Config::parse(text, "/etc/x.toml") {
                Err(ConfigError::Parse {
                    path,
                    line: l,
                    message,
                }) => {
                    assert_eq!(path, "/etc/x.toml");
                    assert_eq!(l, line, "{text:?}: {message}");
                    assert!(message.contains(needle), "{text:?}: {message}");
                }
                other => panic!("{text:?} gave {other:?}"),
            }
        }
        let err = Config::parse("[refresh]\nmetrics = 10\n", "c.toml").unwrap_err();
        assert!(err.to_string().contains("at least 60 seconds"), "{err}");
        let err = Config::parse("[guard]\nmax_5xx_rate = 2.0\n", "c.toml").unwrap_err();
        assert!(err.to_string().contains("between 0 and 1"), "{err}");
    }

    #[test]
    fn missing_default_file_is_fine_but_missing_explicit_file_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.toml");
        let err = Config::load(Some(&missing)).unwrap_err();
        assert!(matches!(err, ConfigError::Read { .. }), "{err}");
        let bin = dir.path().join("bin.toml");
        std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
        assert!(
            Config::load(Some(&bin))
                .unwrap_err()
                .to_string()
                .contains("not UTF-8")
        );
    }
}
