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

/// `[fleet]`: the accounts and regions to show in one view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetConfig {
    /// Every (profile, region) pair to poll, e.g.
    /// `contexts = [{ profile = "prod", region = "us-east-1" }, …]`.
    #[serde(default)]
    pub contexts: Vec<FleetContext>,
}

/// One account/profile and region of `[fleet] contexts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetContext {
    pub profile: Option<String>,
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

/// A `[keys]` entry: keys for an action in the views (`open = "l"`), or a `[keys.SCOPE]`
/// table of them (`[keys.weights]` `submit = "r"`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum KeyEntry {
    Keys(KeyList),
    Table(BTreeMap<String, KeyList>),
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
    pub fleet: FleetConfig,
    #[serde(default)]
    pub load: LoadConfig,
    /// Action name → key(s), e.g. `open = "l"` or `move_down = ["j", "down"]`; or a scope's
    /// table of them, e.g. `[keys.dialog]` `confirm = "y"`.
    #[serde(default)]
    pub keys: BTreeMap<String, KeyEntry>,
    /// Where the `[keys]` entries are (file and line of each), for messages about them.
    #[serde(skip)]
    pub keys_origin: KeysOrigin,
    /// The home directory for `~/` in paths (`audit_log`, load-run payloads): read from `$HOME`
    /// once at start-up, never from the file.
    #[serde(skip)]
    pub home: Option<PathBuf>,
}

/// The file the `[keys]` entries come from and the line of each (`scope.action` or `action`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeysOrigin {
    pub path: String,
    pub lines: BTreeMap<String, usize>,
}

/// Lines of `[keys]` entries: `action` under `[keys]`, `scope.action` under `[keys.scope]`
/// (or written `scope.action = …` under `[keys]`).
fn key_lines(text: &str) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    let mut table: Option<String> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        if let Some(h) = line.strip_prefix('[') {
            let h = h.trim_end_matches(']').trim();
            table = match h {
                "keys" => Some(String::new()),
                _ => h.strip_prefix("keys.").map(|s| format!("{}.", s.trim())),
            };
            continue;
        }
        let (Some(prefix), Some((name, _))) = (&table, line.split_once('=')) else {
            continue;
        };
        let name: String = name
            .split('.')
            .map(|p| p.trim().trim_matches('"'))
            .collect::<Vec<_>>()
            .join(".");
        out.insert(format!("{prefix}{name}"), i + 1);
    }
    out
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
        let mut config = config;
        if !config.keys.is_empty() {
            config.keys_origin = KeysOrigin {
                path: path.to_string(),
                lines: key_lines(text),
            };
        }
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

    /// `[keys]` and `[keys.SCOPE]` entries for `Keymap::from_config`, with their lines.
    pub fn key_overrides(&self) -> Vec<crate::app::keymap::KeyOverride> {
        use crate::app::keymap::KeyOverride;
        let line = |k: &str| self.keys_origin.lines.get(k).copied();
        let mut out = Vec::new();
        for (name, entry) in &self.keys {
            match entry {
                KeyEntry::Keys(keys) => out.push(KeyOverride {
                    scope: None,
                    action: name.clone(),
                    keys: keys.to_vec(),
                    line: line(name),
                }),
                KeyEntry::Table(table) => {
                    for (action, keys) in table {
                        out.push(KeyOverride {
                            scope: Some(name.clone()),
                            action: action.clone(),
                            keys: keys.to_vec(),
                            line: line(&format!("{name}.{action}")),
                        });
                    }
                }
            }
        }
        out
    }

    /// The file the `[keys]` entries come from, for messages.
    pub fn keys_file(&self) -> &str {
        if self.keys_origin.path.is_empty() {
            "config"
        } else {
            &self.keys_origin.path
        }
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

# Many accounts and regions in one view (or --profile a,b --region x,y: every pair). Each
# context uses its profile's credentials and its [profiles.X] read_only / production.
# [fleet]
# contexts = [{ profile = "prod", region = "us-east-1" }, { profile = "prod", region = "eu-west-1" }]

# Guarded traffic shifts roll back when the target variant breaches these.
[guard]
# max_5xx_rate = 0.01
# max_model_latency_ms = 500

# Caps of local load runs (raise explicitly to go beyond).
[load]
# max_duration_secs = 600
# max_concurrency = 256

# Key bindings: action = "key" or ["key", "key"]. Keys: a character, enter, esc, up, down,
# left, right, pgup, pgdn, home, end, tab, backtab, space, backspace, f1..f12, ctrl-LETTER.
# Under [keys] an action is rebound in every view; [keys.SCOPE] rebinds it in one scope:
# endpoints, detail, shift, events, event_json, quotas, api, help, filter, command_line,
# weights, scale, confirm, confirm_production, abort_shift, quit, load_plan, load_confirm,
# load_run, load_done, load_runs, or the groups dialog and load. Help (?) lists every action
# with its scope. A wrong or clashing entry is reported and keeps its default keys.
# [keys.dialog]
# confirm = "y"
# [keys.load_run]
# stop = ["x", "esc"]
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
            c.key_overrides()
                .into_iter()
                .map(|o| (o.scope, o.action, o.keys, o.line))
                .collect::<Vec<_>>(),
            vec![
                (
                    None,
                    "move_down".to_string(),
                    vec!["j".to_string(), "n".to_string()],
                    Some(9)
                ),
                (None, "open".to_string(), vec!["l".to_string()], Some(8)),
            ]
        );
    }

    #[test]
    fn scoped_key_tables_keep_their_scope_and_line() {
        let text = "[keys]\nhelp = \"h\"\nload_runs.save = \"S\"\n\n[keys.dialog]\n# note\nconfirm = \"Y\"\n[keys.load_run]\nstop = [\"x\", \"X\"]\n";
        let c = Config::parse(text, "k.toml").unwrap();
        let got: Vec<_> = c
            .key_overrides()
            .into_iter()
            .map(|o| (o.scope, o.action, o.line))
            .collect();
        let s = |v: &str| Some(v.to_string());
        assert_eq!(
            got,
            vec![
                (s("dialog"), "confirm".to_string(), Some(7)),
                (None, "help".to_string(), Some(2)),
                (s("load_run"), "stop".to_string(), Some(9)),
                (s("load_runs"), "save".to_string(), Some(3)),
            ]
        );
        assert_eq!(c.keys_file(), "k.toml");
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
