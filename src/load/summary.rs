//! Owns the owned statistics a run reports: `Summary` (counts, requests/s, percentiles,
//! histogram, status codes, errors by kind, per-variant split, bytes), `LatencyStats` and the
//! histogram bars, computed from the merged hdrhistograms in `stats::Totals`.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::stats::{ErrorKind, Totals};

/// Latency figures of the successful requests.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LatencyStats {
    #[serde(with = "crate::domain::duration_ms")]
    pub fastest: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub slowest: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub average: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub stddev: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p10: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p25: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p50: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p75: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p90: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p95: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p99: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p999: Duration,
    #[serde(with = "crate::domain::duration_ms")]
    pub p9999: Duration,
}

impl LatencyStats {
    pub(crate) fn of(h: &Histogram<u64>) -> Option<LatencyStats> {
        if h.is_empty() {
            return None;
        }
        let us = Duration::from_micros;
        let q = |x: f64| us(h.value_at_quantile(x));
        Some(LatencyStats {
            fastest: us(h.min()),
            slowest: us(h.max()),
            average: Duration::from_secs_f64(h.mean().max(0.0) / 1e6),
            stddev: Duration::from_secs_f64(h.stdev().max(0.0) / 1e6),
            p10: q(0.10),
            p25: q(0.25),
            p50: q(0.50),
            p75: q(0.75),
            p90: q(0.90),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            p9999: q(0.9999),
        })
    }

    /// The percentile rows shown in tables: (label, value).
    pub fn rows(&self) -> [(&'static str, Duration); 6] {
        [
            ("p50", self.p50),
            ("p90", self.p90),
            ("p95", self.p95),
            ("p99", self.p99),
            ("p99.9", self.p999),
            ("max", self.slowest),
        ]
    }
}

/// Bars of the latency histogram (the panel merges neighbours when it has fewer rows).
pub const HISTOGRAM_BARS: usize = 20;

/// One bar of the latency histogram: requests at or below `upper` (and above the previous
/// bar); the last bar also holds everything slower than p99.9.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    #[serde(with = "crate::domain::duration_ms")]
    pub upper: Duration,
    pub count: u64,
}

/// `n` equal-width bars from the fastest request to p99.9 (outliers fold into the last bar).
pub(crate) fn buckets(h: &Histogram<u64>, n: usize) -> Vec<Bucket> {
    if h.is_empty() || n == 0 {
        return Vec::new();
    }
    let lo = h.min();
    let hi = h.value_at_quantile(0.999).max(lo + 1);
    let width = (hi - lo).div_ceil(n as u64).max(1);
    let mut out: Vec<Bucket> = (1..=n as u64)
        .map(|i| Bucket {
            upper: Duration::from_micros(lo + width * i),
            count: 0,
        })
        .collect();
    for v in h.iter_recorded() {
        let value = h.lowest_equivalent(v.value_iterated_to());
        let i = (value.saturating_sub(lo) / width).min(n as u64 - 1) as usize;
        out[i].count += v.count_since_last_iteration();
    }
    out
}

/// Figures of one invoked production variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariantStats {
    /// Answers that named this variant (successes and errors).
    pub requests: u64,
    pub errors: u64,
    /// Share of the answers that named a variant.
    pub share: f64,
    pub latency: Option<LatencyStats>,
}

/// Owned statistics of a run so far (live) or of a whole run (final).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    #[serde(with = "crate::domain::duration_ms")]
    pub elapsed: Duration,
    /// Requests that finished (success or error); aborted ones are not included.
    pub requests: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// In flight when the run stopped (deadline or stop), neither success nor error.
    pub aborted: u64,
    pub requests_per_sec: f64,
    /// Of the successful requests; `None` before the first success.
    pub latency: Option<LatencyStats>,
    pub histogram: Vec<Bucket>,
    /// Requests finished in each second of the run.
    pub per_second: Vec<u64>,
    pub status_codes: BTreeMap<u16, u64>,
    pub errors: BTreeMap<ErrorKind, u64>,
    /// The first message seen for each error kind.
    pub error_samples: BTreeMap<ErrorKind, String>,
    pub variants: BTreeMap<String, VariantStats>,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

impl Summary {
    /// An empty summary (no request finished yet).
    pub fn empty() -> Summary {
        Totals::new().summary(Duration::ZERO)
    }

    /// Failed share of finished requests (0 when none finished).
    pub fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failed as f64 / self.requests as f64
        }
    }

    /// Succeeded share of finished requests (oha's successRate).
    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.succeeded as f64 / self.requests as f64
        }
    }

    /// Share of finished requests whose error is of `kind`.
    pub fn error_share(&self, kind: ErrorKind) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.errors.get(&kind).copied().unwrap_or(0) as f64 / self.requests as f64
        }
    }
}
