//! Owns the statistics of a load run: the per-request `Outcome`, each worker's `Recorder`
//! (hdrhistograms and counters touched by that worker only — no lock per request), the
//! `Delta`s workers flush a few times a second, and the merged `Totals` that produce the
//! owned `Summary` (in `summary`).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use hyper::header::HeaderValue;
use serde::{Deserialize, Serialize};

use super::summary::buckets;
pub use super::summary::{Bucket, HISTOGRAM_BARS, LatencyStats, Summary, VariantStats};

/// Why a request did not succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ErrorKind {
    /// No answer within the per-request timeout.
    #[serde(rename = "timeout")]
    Timeout,
    /// Could not connect (refused, reset before the request was sent, DNS).
    #[serde(rename = "connect")]
    Connect,
    /// `ThrottlingException` or HTTP 429.
    #[serde(rename = "throttled")]
    Throttled,
    /// SageMaker's `ModelError` (HTTP 424): the container answered with an error.
    #[serde(rename = "model error")]
    ModelError,
    /// Any other 4XX (validation, access denied, unknown endpoint or variant).
    #[serde(rename = "4XX")]
    Client4xx,
    /// Any other 5XX.
    #[serde(rename = "5XX")]
    Server5xx,
    /// The connection broke mid-response, or an answer that is not HTTP success nor error.
    #[serde(rename = "other")]
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::Timeout,
        ErrorKind::Connect,
        ErrorKind::Throttled,
        ErrorKind::ModelError,
        ErrorKind::Client4xx,
        ErrorKind::Server5xx,
        ErrorKind::Other,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Throttled => "throttled",
            ErrorKind::ModelError => "model error",
            ErrorKind::Client4xx => "4XX",
            ErrorKind::Server5xx => "5XX",
            ErrorKind::Other => "other",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What one request came to. Built by a target, recorded by the worker that sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    /// HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// `None`: success.
    pub error: Option<ErrorKind>,
    /// What went wrong, for the first error of each kind.
    pub detail: Option<String>,
    /// `x-Amzn-Invoked-Production-Variant` of the answer.
    pub variant: Option<HeaderValue>,
    /// Request body bytes sent.
    pub sent: u64,
    /// Response body bytes received.
    pub received: u64,
}

impl Outcome {
    pub fn failed(kind: ErrorKind, detail: impl Into<String>) -> Outcome {
        Outcome {
            error: Some(kind),
            detail: Some(detail.into()),
            ..Outcome::default()
        }
    }
}

/// Latency as recorded: whole microseconds.
fn micros(d: Duration) -> u64 {
    d.as_micros().min(u128::from(u64::MAX)) as u64
}

/// A worker's histogram: auto-resizing, 3 significant digits, starting small.
fn worker_histogram() -> Histogram<u32> {
    Histogram::new(3).expect("3 significant digits is valid")
}

fn total_histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is valid")
}

/// Records into an auto-resizing histogram (the saturating variants clamp instead of growing).
#[inline]
fn record(h: &mut Histogram<u32>, us: u64) {
    if h.record(us).is_err() {
        h.saturating_record(us);
    }
}

/// The nonzero buckets of a worker histogram, then the histogram reset.
fn drain(h: &mut Histogram<u32>) -> Vec<(u64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    let out = h
        .iter_recorded()
        .map(|v| (v.value_iterated_to(), v.count_since_last_iteration()))
        .collect();
    h.reset();
    out
}

struct WorkerVariant {
    name: HeaderValue,
    latency: Histogram<u32>,
    requests: u64,
    errors: u64,
}

/// One worker's figures since its last flush. Only that worker touches it.
pub(crate) struct Recorder {
    latency: Histogram<u32>,
    variants: Vec<WorkerVariant>,
    statuses: Vec<(u16, u64)>,
    errors: [u64; ErrorKind::ALL.len()],
    sampled: [bool; ErrorKind::ALL.len()],
    samples: Vec<(ErrorKind, String)>,
    per_second: Vec<(u32, u32)>,
    completed: u64,
    succeeded: u64,
    pub(crate) aborted: u64,
    sent: u64,
    received: u64,
}

/// One variant's part of a flush: name, requests, errors, latency buckets.
type VariantDelta = (String, u64, u64, Vec<(u64, u64)>);

/// What a worker flushes: its figures since the last flush (nonzero histogram buckets only).
#[derive(Debug, Default)]
pub(crate) struct Delta {
    latency: Vec<(u64, u64)>,
    variants: Vec<VariantDelta>,
    statuses: Vec<(u16, u64)>,
    errors: [u64; ErrorKind::ALL.len()],
    samples: Vec<(ErrorKind, String)>,
    per_second: Vec<(u32, u32)>,
    completed: u64,
    succeeded: u64,
    aborted: u64,
    sent: u64,
    received: u64,
}

impl Recorder {
    pub(crate) fn new() -> Recorder {
        Recorder {
            latency: worker_histogram(),
            variants: Vec::new(),
            statuses: Vec::new(),
            errors: [0; ErrorKind::ALL.len()],
            sampled: [false; ErrorKind::ALL.len()],
            samples: Vec::new(),
            per_second: Vec::new(),
            completed: 0,
            succeeded: 0,
            aborted: 0,
            sent: 0,
            received: 0,
        }
    }

    /// Records one finished request: `latency` as measured (from the scheduled start in open
    /// loop), `second` the second of the run it finished in.
    #[inline]
    pub(crate) fn record(&mut self, outcome: Outcome, latency: Duration, second: u32) {
        self.completed += 1;
        self.sent += outcome.sent;
        self.received += outcome.received;
        match self.per_second.last_mut() {
            Some((s, n)) if *s == second => *n += 1,
            _ => self.per_second.push((second, 1)),
        }
        if let Some(code) = outcome.status {
            match self.statuses.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => self.statuses.push((code, 1)),
            }
        }
        let us = micros(latency);
        let ok = outcome.error.is_none();
        if ok {
            self.succeeded += 1;
            record(&mut self.latency, us);
        } else if let Some(kind) = outcome.error {
            self.errors[kind.index()] += 1;
            if !self.sampled[kind.index()] {
                self.sampled[kind.index()] = true;
                let detail = outcome.detail.unwrap_or_else(|| kind.label().to_string());
                self.samples.push((kind, detail));
            }
        }
        if let Some(name) = outcome.variant {
            let i = match self.variants.iter().position(|v| v.name == name) {
                Some(i) => i,
                None => {
                    self.variants.push(WorkerVariant {
                        name,
                        latency: worker_histogram(),
                        requests: 0,
                        errors: 0,
                    });
                    self.variants.len() - 1
                }
            };
            let v = &mut self.variants[i];
            v.requests += 1;
            if ok {
                record(&mut v.latency, us);
            } else {
                v.errors += 1;
            }
        }
    }

    /// Everything since the last flush; the recorder starts the next interval empty.
    pub(crate) fn take_delta(&mut self) -> Delta {
        let variants = self
            .variants
            .iter_mut()
            .filter(|v| v.requests > 0)
            .map(|v| {
                (
                    String::from_utf8_lossy(v.name.as_bytes()).into_owned(),
                    std::mem::take(&mut v.requests),
                    std::mem::take(&mut v.errors),
                    drain(&mut v.latency),
                )
            })
            .collect();
        Delta {
            latency: drain(&mut self.latency),
            variants,
            statuses: std::mem::take(&mut self.statuses),
            errors: std::mem::replace(&mut self.errors, [0; ErrorKind::ALL.len()]),
            samples: std::mem::take(&mut self.samples),
            per_second: std::mem::take(&mut self.per_second),
            completed: std::mem::take(&mut self.completed),
            succeeded: std::mem::take(&mut self.succeeded),
            aborted: std::mem::take(&mut self.aborted),
            sent: std::mem::take(&mut self.sent),
            received: std::mem::take(&mut self.received),
        }
    }
}

struct TotalVariant {
    latency: Histogram<u64>,
    requests: u64,
    errors: u64,
}

/// The merged figures of every worker so far (owned by the engine's aggregating loop).
pub(crate) struct Totals {
    latency: Histogram<u64>,
    variants: BTreeMap<String, TotalVariant>,
    statuses: BTreeMap<u16, u64>,
    errors: [u64; ErrorKind::ALL.len()],
    samples: BTreeMap<ErrorKind, String>,
    per_second: Vec<u64>,
    completed: u64,
    succeeded: u64,
    aborted: u64,
    sent: u64,
    received: u64,
}

fn merge_into(h: &mut Histogram<u64>, buckets: &[(u64, u64)]) {
    for &(value, count) in buckets {
        // `record_n` auto-resizes; the saturating variants would clamp instead.
        if h.record_n(value, count).is_err() {
            h.saturating_record_n(value, count);
        }
    }
}

impl Totals {
    pub(crate) fn new() -> Totals {
        Totals {
            latency: total_histogram(),
            variants: BTreeMap::new(),
            statuses: BTreeMap::new(),
            errors: [0; ErrorKind::ALL.len()],
            samples: BTreeMap::new(),
            per_second: Vec::new(),
            completed: 0,
            succeeded: 0,
            aborted: 0,
            sent: 0,
            received: 0,
        }
    }

    pub(crate) fn apply(&mut self, d: Delta) {
        merge_into(&mut self.latency, &d.latency);
        for (name, requests, errors, buckets) in d.variants {
            let v = self.variants.entry(name).or_insert_with(|| TotalVariant {
                latency: total_histogram(),
                requests: 0,
                errors: 0,
            });
            v.requests += requests;
            v.errors += errors;
            merge_into(&mut v.latency, &buckets);
        }
        for (code, n) in d.statuses {
            *self.statuses.entry(code).or_default() += n;
        }
        for (i, n) in d.errors.iter().enumerate() {
            self.errors[i] += n;
        }
        for (kind, text) in d.samples {
            self.samples.entry(kind).or_insert(text);
        }
        for (second, n) in d.per_second {
            let s = second as usize;
            if self.per_second.len() <= s {
                self.per_second.resize(s + 1, 0);
            }
            self.per_second[s] += u64::from(n);
        }
        self.completed += d.completed;
        self.succeeded += d.succeeded;
        self.aborted += d.aborted;
        self.sent += d.sent;
        self.received += d.received;
    }

    /// The owned summary after `elapsed` of run time.
    pub(crate) fn summary(&self, elapsed: Duration) -> Summary {
        let secs = elapsed.as_secs_f64();
        let requests_per_sec = if secs > 0.0 {
            self.completed as f64 / secs
        } else {
            0.0
        };
        let errors: BTreeMap<ErrorKind, u64> = ErrorKind::ALL
            .into_iter()
            .filter(|k| self.errors[k.index()] > 0)
            .map(|k| (k, self.errors[k.index()]))
            .collect();
        let attributed: u64 = self.variants.values().map(|v| v.requests).sum();
        let variants = self
            .variants
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    VariantStats {
                        requests: v.requests,
                        errors: v.errors,
                        share: if attributed > 0 {
                            v.requests as f64 / attributed as f64
                        } else {
                            0.0
                        },
                        latency: LatencyStats::of(&v.latency),
                    },
                )
            })
            .collect();
        Summary {
            elapsed,
            requests: self.completed,
            succeeded: self.succeeded,
            failed: self.completed - self.succeeded,
            aborted: self.aborted,
            requests_per_sec,
            latency: LatencyStats::of(&self.latency),
            histogram: buckets(&self.latency, HISTOGRAM_BARS),
            per_second: self.per_second.clone(),
            status_codes: self.statuses.clone(),
            errors,
            error_samples: self.samples.clone(),
            variants,
            bytes_sent: self.sent,
            bytes_received: self.received,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(ms: u64) -> (Outcome, Duration) {
        (
            Outcome {
                status: Some(200),
                variant: Some(HeaderValue::from_static("A")),
                sent: 10,
                received: 4,
                ..Outcome::default()
            },
            Duration::from_millis(ms),
        )
    }

    #[test]
    fn worker_deltas_merge_into_the_same_figures() {
        let mut totals = Totals::new();
        let mut a = Recorder::new();
        let mut b = Recorder::new();
        for ms in 1..=50 {
            let (o, l) = ok(ms);
            a.record(o, l, 0);
        }
        totals.apply(a.take_delta());
        for ms in 51..=100 {
            let (o, l) = ok(ms);
            b.record(o, l, 1);
        }
        b.record(
            Outcome {
                status: Some(500),
                error: Some(ErrorKind::Server5xx),
                variant: Some(HeaderValue::from_static("B")),
                ..Outcome::default()
            },
            Duration::from_millis(3),
            1,
        );
        totals.apply(b.take_delta());
        totals.apply(b.take_delta());
        let s = totals.summary(Duration::from_secs(2));
        assert_eq!((s.requests, s.succeeded, s.failed), (101, 100, 1));
        let lat = s.latency.unwrap();
        assert!((50..=51).contains(&lat.p50.as_millis()), "{:?}", lat.p50);
        assert_eq!(lat.slowest.as_millis(), 100);
        assert_eq!(s.status_codes, BTreeMap::from([(200, 100), (500, 1)]));
        assert_eq!(s.errors, BTreeMap::from([(ErrorKind::Server5xx, 1)]));
        assert_eq!(s.per_second, vec![50, 51]);
        assert_eq!(s.variants["A"].requests, 100);
        assert_eq!(s.variants["B"].errors, 1);
        assert_eq!((s.bytes_sent, s.bytes_received), (1000, 400));
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), 100);
        assert!((s.requests_per_sec - 50.5).abs() < 1e-9);
    }
}
