//! Owns the parameters of a load run (`LoadSpec`), their validation against the safety caps,
//! and the duration/rate parsers shared by `sagetop bench` and the console's run dialog.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::units::format_duration;

/// Longest run and most concurrent requests without `--allow-large` or `[load]` in the config.
pub const DEFAULT_MAX_DURATION: Duration = Duration::from_secs(10 * 60);
pub const DEFAULT_MAX_CONCURRENCY: u32 = 256;

/// The ceilings `--allow-large` lifts the caps to (still finite: a typo must not run for days).
pub const LARGE_MAX_DURATION: Duration = Duration::from_secs(24 * 3600);
pub const LARGE_MAX_CONCURRENCY: u32 = 10_000;

/// SageMaker gives a model 60 s to answer; the client waits a little longer by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(65);

/// Default concurrency and duration when neither `-z` nor `-n` is given.
pub const DEFAULT_CONCURRENCY: u32 = 10;
pub const DEFAULT_DURATION: Duration = Duration::from_secs(10);

/// When a run ends by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopAfter {
    /// `-z`: stop issuing at this point; requests still in flight are aborted.
    Duration(#[serde(with = "crate::domain::duration_ms")] Duration),
    /// `-n`: this many requests in total (still bounded by the duration cap).
    Requests(u64),
}

/// Everything that shapes the traffic of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoadSpec {
    /// Requests in flight at most (`-c`): workers, each with its own connection.
    pub concurrency: u32,
    pub stop: StopAfter,
    /// Open loop (`-q`): requests per second in total, latency measured from each request's
    /// scheduled start. `None`: closed loop, each worker sends as soon as it has an answer.
    pub rate: Option<f64>,
    /// Linear ramp-up of the rate (open loop) or of the active workers (closed loop).
    #[serde(with = "opt_ms")]
    pub ramp: Option<Duration>,
    /// Per-request timeout; a request over it counts as a `timeout` error.
    #[serde(with = "crate::domain::duration_ms")]
    pub timeout: Duration,
    /// Hard stop whatever `stop` says (the duration cap), so `-n` cannot run forever.
    #[serde(with = "crate::domain::duration_ms")]
    pub max_duration: Duration,
    /// Requests in flight at the deadline: counted as aborted, or waited for (up to the timeout).
    #[serde(default)]
    pub in_flight: InFlight,
    /// Threads of the engine's own runtime (`-j`); `None`: one per core.
    #[serde(default)]
    pub threads: Option<u32>,
}

/// What happens to requests still in flight when the run's time is up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InFlight {
    /// Abandoned at the deadline and counted as "aborted" (oha's "aborted due to deadline"),
    /// outside the latency figures.
    #[default]
    Count,
    /// Waited for, up to the per-request timeout; their latencies are in the figures and the
    /// run's duration includes the wait.
    Wait,
}

impl InFlight {
    pub fn label(self) -> &'static str {
        match self {
            InFlight::Count => {
                "requests in flight at the deadline were abandoned and counted as aborted"
            }
            InFlight::Wait => {
                "requests in flight at the deadline were waited for (up to the timeout)"
            }
        }
    }
}

// Rates are validated finite, so equality is reflexive.
impl Eq for LoadSpec {}

impl Default for LoadSpec {
    fn default() -> Self {
        LoadSpec {
            concurrency: DEFAULT_CONCURRENCY,
            stop: StopAfter::Duration(DEFAULT_DURATION),
            rate: None,
            ramp: None,
            timeout: DEFAULT_TIMEOUT,
            max_duration: DEFAULT_MAX_DURATION,
            in_flight: InFlight::Count,
            threads: None,
        }
    }
}

impl LoadSpec {
    /// The planned length of the run, if it is time-bound.
    pub fn duration(&self) -> Option<Duration> {
        match self.stop {
            StopAfter::Duration(d) => Some(d.min(self.max_duration)),
            StopAfter::Requests(_) => None,
        }
    }

    /// The planned number of requests, if the run is count-bound.
    pub fn requests(&self) -> Option<u64> {
        match self.stop {
            StopAfter::Requests(n) => Some(n),
            StopAfter::Duration(_) => None,
        }
    }

    /// One line naming the parameters: "c=10 z=30s q=200/s ramp=10s".
    pub fn describe(&self) -> String {
        let mut s = format!("c={}", self.concurrency);
        match self.stop {
            StopAfter::Duration(d) => s.push_str(&format!(" z={}", format_duration(d))),
            StopAfter::Requests(n) => s.push_str(&format!(" n={n}")),
        }
        if let Some(q) = self.rate {
            s.push_str(&format!(" q={}/s", trim_float(q)));
        }
        if let Some(r) = self.ramp {
            s.push_str(&format!(" ramp={}", format_duration(r)));
        }
        s
    }

    /// Checks the spec against the caps; every error says what to do instead.
    pub fn validate(&self, caps: &Caps) -> Result<(), SpecError> {
        if self.concurrency == 0 {
            return Err(SpecError::ZeroConcurrency);
        }
        if self.concurrency > caps.max_concurrency {
            return Err(SpecError::ConcurrencyOverCap {
                asked: self.concurrency,
                cap: caps.max_concurrency,
            });
        }
        match self.stop {
            StopAfter::Duration(d) if d.is_zero() => return Err(SpecError::ZeroDuration),
            StopAfter::Duration(d) if d > caps.max_duration => {
                return Err(SpecError::DurationOverCap {
                    asked: format_duration(d),
                    cap: format_duration(caps.max_duration),
                });
            }
            StopAfter::Requests(0) => return Err(SpecError::ZeroRequests),
            _ => {}
        }
        if let Some(q) = self.rate
            && !(q.is_finite() && q > 0.0)
        {
            return Err(SpecError::BadRate(trim_float(q)));
        }
        if let (Some(r), Some(d)) = (self.ramp, self.duration())
            && r >= d
        {
            return Err(SpecError::RampTooLong {
                ramp: format_duration(r),
                duration: format_duration(d),
            });
        }
        if self.timeout.is_zero() {
            return Err(SpecError::ZeroTimeout);
        }
        if self.threads == Some(0) {
            return Err(SpecError::ZeroThreads);
        }
        Ok(())
    }
}

/// Caps of local load runs: the `[load]` section of the config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadConfig {
    /// Longest run, in seconds.
    pub max_duration_secs: Option<u64>,
    pub max_concurrency: Option<u32>,
}

/// The safety caps in force: defaults, `[load]` from the config, or `--allow-large`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caps {
    #[serde(with = "crate::domain::duration_ms")]
    pub max_duration: Duration,
    pub max_concurrency: u32,
}

impl Default for Caps {
    fn default() -> Self {
        Caps {
            max_duration: DEFAULT_MAX_DURATION,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
        }
    }
}

impl Caps {
    /// `[load]` values replace the defaults; `allow_large` lifts both to the large ceilings.
    pub fn from_config(load: &LoadConfig, allow_large: bool) -> Caps {
        if allow_large {
            return Caps {
                max_duration: LARGE_MAX_DURATION,
                max_concurrency: LARGE_MAX_CONCURRENCY,
            };
        }
        Caps {
            max_duration: load
                .max_duration_secs
                .map_or(DEFAULT_MAX_DURATION, Duration::from_secs),
            max_concurrency: load.max_concurrency.unwrap_or(DEFAULT_MAX_CONCURRENCY),
        }
    }
}

/// A load spec that cannot run as given.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("concurrency must be at least 1 (-c N: requests in flight at once)")]
    ZeroConcurrency,
    #[error(
        "concurrency {asked} is above the cap of {cap}: pass --allow-large, or raise max_concurrency under [load] in the config"
    )]
    ConcurrencyOverCap { asked: u32, cap: u32 },
    #[error("duration must be more than 0 (e.g. -z 30s)")]
    ZeroDuration,
    #[error(
        "duration {asked} is above the cap of {cap}: pass --allow-large, or raise max_duration_secs under [load] in the config"
    )]
    DurationOverCap { asked: String, cap: String },
    #[error("request count must be at least 1 (-n N)")]
    ZeroRequests,
    #[error("rate must be more than 0 requests/s (-q RPS), got {0}")]
    BadRate(String),
    #[error("ramp-up {ramp} must be shorter than the run ({duration})")]
    RampTooLong { ramp: String, duration: String },
    #[error("timeout must be more than 0")]
    ZeroTimeout,
    #[error("the engine needs at least 1 thread (-j N)")]
    ZeroThreads,
}

/// Parses a rate in requests/s ("200", "0.5"); must be finite and positive.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .trim_end_matches("/s")
        .parse()
        .map_err(|_| format!("`{s}` is not a rate: give requests per second, e.g. -q 200"))?;
    if !v.is_finite() || v <= 0.0 {
        return Err(format!(
            "rate must be more than 0 requests/s (-q RPS), got {s}"
        ));
    }
    if v > 10_000_000.0 {
        return Err(format!("rate {s} is beyond what one client can send"));
    }
    Ok(v)
}

/// 200 → "200", 0.5 → "0.5", 33.333 → "33.33".
pub fn trim_float(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() || s == "-" {
        "0".into()
    } else {
        s.to_string()
    }
}

mod opt_ms {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&(d.as_secs_f64() * 1000.0)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        let ms = Option::<f64>::deserialize(d)?;
        match ms {
            Some(ms) if ms.is_finite() && ms >= 0.0 => {
                Ok(Some(Duration::from_secs_f64(ms / 1000.0)))
            }
            Some(_) => Err(serde::de::Error::custom(
                "ramp must be a non-negative number",
            )),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_must_be_positive_and_finite() {
        assert_eq!(parse_rate("200"), Ok(200.0));
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["0", "-5", "NaN", "inf", "fast", ""] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn caps_refuse_large_runs_unless_raised() {
        let caps = Caps::default();
        let mut spec = LoadSpec {
            concurrency: 300,
            ..LoadSpec::default()
        };
        assert!(matches!(
            spec.validate(&caps),
            Err(SpecError::ConcurrencyOverCap { cap: 256, .. })
        ));
        assert!(
            spec.validate(&Caps::from_config(&LoadConfig::default(), true))
                .is_ok()
        );
        spec.concurrency = 10;
        spec.stop = StopAfter::Duration(Duration::from_secs(11 * 60));
        let err = spec.validate(&caps).unwrap_err().to_string();
        assert!(err.contains("--allow-large"), "{err}");
        let raised = Caps::from_config(
            &LoadConfig {
                max_duration_secs: Some(3600),
                max_concurrency: None,
            },
            false,
        );
        assert!(spec.validate(&raised).is_ok());
        spec.stop = StopAfter::Duration(Duration::from_secs(10));
        spec.ramp = Some(Duration::from_secs(10));
        assert!(matches!(
            spec.validate(&caps),
            Err(SpecError::RampTooLong { .. })
        ));
    }
}
