//! Owns the owned statistics a run reports: `Summary` (counts, requests/s, percentiles,
//! histogram, status codes, errors by kind, per-variant split, bytes), `LatencyStats` and the
//! histogram bars, computed from the merged hdrhistograms in `stats::Totals`.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::stats::{ErrorKind, Figures};

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
    /// Requests that got an HTTP answer, whatever its status.
    #[serde(default)]
    pub answered: u64,
    /// Of every answered request (any status): oha's response times.
    #[serde(default)]
    pub latency_answered: Option<LatencyStats>,
    /// Of every finished request, timeouts and connection failures included.
    #[serde(default)]
    pub latency_all: Option<LatencyStats>,
    /// From the start to the answer's headers (to the first chunk when streaming).
    #[serde(default)]
    pub first_byte: Option<LatencyStats>,
    /// Connection opening times (TCP, and TLS for https).
    #[serde(default)]
    pub dial: Option<LatencyStats>,
    /// oha's 11 response-time bins of the answered requests.
    #[serde(default)]
    pub answered_histogram: Vec<Bucket>,
    /// AWS error codes of the failed answers (`ModelError`, `ThrottlingException`, …).
    #[serde(default)]
    pub error_codes: BTreeMap<String, u64>,
    /// Open loop: requests that started after their scheduled time (no worker was free).
    #[serde(default)]
    pub late_starts: u64,
    /// Streamed answers (`--stream`).
    #[serde(default)]
    pub stream: Option<StreamStats>,
    /// Requests/s per 10 ms window (the final summary only).
    #[serde(default)]
    pub rps: Option<RpsStats>,
}

/// Figures of streamed answers (InvokeEndpointWithResponseStream).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamStats {
    pub responses: u64,
    pub chunks: u64,
    /// From the start to the first `PayloadPart`.
    pub first_chunk: Option<LatencyStats>,
    /// From the start to the end of the stream.
    pub total: Option<LatencyStats>,
    /// Per request: chunks per second after the first chunk.
    pub chunks_per_sec: Option<RatePercentiles>,
}

/// Percentiles of a per-request rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RatePercentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
}

/// Percentiles of a rate recorded in `1/scale` units.
pub(crate) fn rate_percentiles(h: &Histogram<u64>, scale: f64) -> Option<RatePercentiles> {
    if h.is_empty() {
        return None;
    }
    let q = |x: f64| h.value_at_quantile(x) as f64 / scale;
    Some(RatePercentiles {
        p50: q(0.5),
        p90: q(0.9),
        p99: q(0.99),
        p999: q(0.999),
    })
}

/// oha's `rps`: requests/s of every 10 ms window of the run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RpsStats {
    pub mean: f64,
    pub stddev: f64,
    pub max: f64,
    pub min: f64,
    /// "p10" … "p99.99", oha's percentile points.
    pub percentiles: BTreeMap<String, f64>,
}

/// oha's percentile points.
pub const OHA_PERCENTILES: [(&str, f64); 9] = [
    ("p10", 10.0),
    ("p25", 25.0),
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
    ("p99.99", 99.99),
];

impl RpsStats {
    pub(crate) fn of(per_window: &[u32], windows: usize) -> RpsStats {
        let per_sec = 1.0 / super::stats::RPS_WINDOW.as_secs_f64();
        let mut v: Vec<f64> = (0..windows)
            .map(|i| f64::from(per_window.get(i).copied().unwrap_or(0)) * per_sec)
            .collect();
        v.sort_by(f64::total_cmp);
        let n = v.len() as f64;
        let mean = v.iter().sum::<f64>() / n;
        let var = if v.len() > 1 {
            v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)
        } else {
            0.0
        };
        let percentiles = OHA_PERCENTILES
            .iter()
            .map(|(k, p)| {
                let i = ((p / 100.0 * n) as usize).min(v.len() - 1);
                (k.to_string(), v[i])
            })
            .collect();
        RpsStats {
            mean,
            stddev: var.sqrt(),
            max: v.last().copied().unwrap_or(0.0),
            min: v.first().copied().unwrap_or(0.0),
            percentiles,
        }
    }
}

/// oha's response-time histogram: 11 equal bins from the fastest answer to the slowest or
/// three times the average, whichever is less (slower answers fall into the last bin).
pub(crate) fn oha_bins(h: &Histogram<u64>) -> Vec<Bucket> {
    const BINS: u64 = 11;
    if h.is_empty() {
        return Vec::new();
    }
    let lo = h.min();
    let hi = h.max().min((h.mean() * 3.0) as u64).max(lo + 1);
    let step = ((hi - lo) as f64 / BINS as f64).max(1.0);
    let mut out: Vec<Bucket> = (1..=BINS)
        .map(|i| Bucket {
            upper: Duration::from_micros(lo + (step * i as f64) as u64),
            count: 0,
        })
        .collect();
    for v in h.iter_recorded() {
        let value = h.median_equivalent(v.value_iterated_to());
        let i = (((value.saturating_sub(lo)) as f64 / step) as usize).min(BINS as usize - 1);
        out[i].count += v.count_at_value();
    }
    out
}

impl Summary {
    /// An empty summary (no request finished yet).
    pub fn empty() -> Summary {
        Figures::new().summary(Duration::ZERO, false)
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
