//! Owns the statistics of a load run: the per-request `Outcome` and `Figures` — hdrhistograms
//! (successful, answered, all finished requests, first byte/chunk, connection dial, streamed
//! chunk rate) and counters. Workers record into a few shards of `Figures` (one uncontended
//! lock per request, memory independent of the concurrency); the engine merges the shards a
//! few times a second into the run's totals, which produce the owned `Summary` (in `summary`).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use hyper::header::HeaderValue;
use serde::{Deserialize, Serialize};

pub use super::summary::{Bucket, HISTOGRAM_BARS, LatencyStats, Summary, VariantStats};
use super::summary::{RpsStats, StreamStats, buckets};

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
    /// AWS's error code (`ModelError`, `ThrottlingException`, …) when the answer carried one.
    pub code: Option<String>,
    /// When the answer's headers arrived, or with `--stream` its first `PayloadPart`.
    pub first_at: Option<tokio::time::Instant>,
    /// `PayloadPart` events of a streamed answer.
    pub chunks: u32,
    /// Time to open the connection (TCP, and TLS for https) when this request opened one.
    pub dial: Option<Duration>,
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

/// Auto-resizing, 3 significant digits, starting small.
fn histogram() -> Histogram<u64> {
    Histogram::new(3).expect("3 significant digits is valid")
}

/// Records into an auto-resizing histogram (the saturating variants clamp instead of growing).
#[inline]
fn record(h: &mut Histogram<u64>, v: u64) {
    if h.record(v).is_err() {
        h.saturating_record(v);
    }
}

/// Adds `from` into `into` and empties `from`.
fn drain_into(into: &mut Histogram<u64>, from: &mut Histogram<u64>) {
    if from.is_empty() {
        return;
    }
    if into.add(&*from).is_err() {
        for v in from.iter_recorded() {
            let _ = into.record_n(v.value_iterated_to(), v.count_at_value());
        }
    }
    from.reset();
}

/// Adds `from[i]` into `into[i]` and empties `from`.
fn drain_counts<T: Copy + Default + std::ops::AddAssign>(into: &mut Vec<T>, from: &mut Vec<T>) {
    if into.len() < from.len() {
        into.resize(from.len(), T::default());
    }
    for (i, n) in from.drain(..).enumerate() {
        into[i] += n;
    }
}

/// Counts per 10 ms of run time: the base of oha's `rps` figures.
pub const RPS_WINDOW: Duration = Duration::from_millis(10);

struct VariantFigures {
    name: HeaderValue,
    latency: Histogram<u64>,
    requests: u64,
    errors: u64,
}

/// Figures of some requests: a shard that workers record into, or the run's totals.
pub(crate) struct Figures {
    /// Successful requests (2XX and no error).
    ok: Histogram<u64>,
    /// Requests that got an HTTP answer, whatever its status (oha's response times).
    answered: Histogram<u64>,
    /// Every finished request, timeouts at the time they were given up (not aborted ones).
    all: Histogram<u64>,
    /// From the request's start to the answer's headers (or the first streamed chunk).
    first: Histogram<u64>,
    /// Connection opening times.
    dial: Histogram<u64>,
    /// Streamed answers: chunks per second after the first chunk, in hundredths.
    chunk_rate: Histogram<u64>,
    streamed: u64,
    chunks: u64,
    variants: Vec<VariantFigures>,
    statuses: Vec<(u16, u64)>,
    codes: Vec<(String, u64)>,
    errors: [u64; ErrorKind::ALL.len()],
    samples: BTreeMap<ErrorKind, String>,
    per_second: Vec<u64>,
    per_window: Vec<u32>,
    completed: u64,
    succeeded: u64,
    answered_count: u64,
    pub(crate) aborted: u64,
    /// Open loop: slots that started after their due time (no worker was free).
    pub(crate) late: u64,
    sent: u64,
    received: u64,
}

impl Figures {
    pub(crate) fn new() -> Figures {
        Figures {
            ok: histogram(),
            answered: histogram(),
            all: histogram(),
            first: histogram(),
            dial: histogram(),
            chunk_rate: histogram(),
            streamed: 0,
            chunks: 0,
            variants: Vec::new(),
            statuses: Vec::new(),
            codes: Vec::new(),
            errors: [0; ErrorKind::ALL.len()],
            samples: BTreeMap::new(),
            per_second: Vec::new(),
            per_window: Vec::new(),
            completed: 0,
            succeeded: 0,
            answered_count: 0,
            aborted: 0,
            late: 0,
            sent: 0,
            received: 0,
        }
    }

    /// Records one finished request: `latency` as measured (from the scheduled start in open
    /// loop), `since_start` when it finished, `begin` when it started.
    pub(crate) fn record(
        &mut self,
        outcome: Outcome,
        latency: Duration,
        since_start: Duration,
        begin: tokio::time::Instant,
    ) {
        self.completed += 1;
        self.sent += outcome.sent;
        self.received += outcome.received;
        let second = since_start.as_secs() as usize;
        if self.per_second.len() <= second {
            self.per_second.resize(second + 1, 0);
        }
        self.per_second[second] += 1;
        let window = (since_start.as_nanos() / RPS_WINDOW.as_nanos()) as usize;
        if self.per_window.len() <= window {
            self.per_window.resize(window + 1, 0);
        }
        self.per_window[window] += 1;
        let us = micros(latency);
        record(&mut self.all, us);
        if let Some(d) = outcome.dial {
            record(&mut self.dial, micros(d));
        }
        if let Some(code) = outcome.status {
            self.answered_count += 1;
            record(&mut self.answered, us);
            match self.statuses.iter_mut().find(|(c, _)| *c == code) {
                Some((_, n)) => *n += 1,
                None => self.statuses.push((code, 1)),
            }
            if let Some(at) = outcome.first_at {
                record(&mut self.first, micros(at.saturating_duration_since(begin)));
            }
        }
        if outcome.chunks > 0 {
            self.streamed += 1;
            self.chunks += u64::from(outcome.chunks);
            if let Some(at) = outcome.first_at {
                let after_first = latency.saturating_sub(at.saturating_duration_since(begin));
                let rate = f64::from(outcome.chunks) / after_first.as_secs_f64().max(1e-6);
                record(&mut self.chunk_rate, (rate * 100.0) as u64);
            }
        }
        let ok = outcome.error.is_none();
        if ok {
            self.succeeded += 1;
            record(&mut self.ok, us);
        } else if let Some(kind) = outcome.error {
            self.errors[kind.index()] += 1;
            if let std::collections::btree_map::Entry::Vacant(e) = self.samples.entry(kind) {
                e.insert(outcome.detail.unwrap_or_else(|| kind.label().to_string()));
            }
            if let Some(code) = outcome.code {
                match self.codes.iter_mut().find(|(c, _)| *c == code) {
                    Some((_, n)) => *n += 1,
                    None => self.codes.push((code, 1)),
                }
            }
        }
        if let Some(name) = outcome.variant {
            let i = match self.variants.iter().position(|v| v.name == name) {
                Some(i) => i,
                None => {
                    self.variants.push(VariantFigures {
                        name,
                        latency: histogram(),
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

    /// Moves everything `from` holds into `self`; `from` starts the next interval empty.
    pub(crate) fn drain_from(&mut self, from: &mut Figures) {
        drain_into(&mut self.ok, &mut from.ok);
        drain_into(&mut self.answered, &mut from.answered);
        drain_into(&mut self.all, &mut from.all);
        drain_into(&mut self.first, &mut from.first);
        drain_into(&mut self.dial, &mut from.dial);
        drain_into(&mut self.chunk_rate, &mut from.chunk_rate);
        for v in &mut from.variants {
            if v.requests == 0 {
                continue;
            }
            let i = match self.variants.iter().position(|x| x.name == v.name) {
                Some(i) => i,
                None => {
                    self.variants.push(VariantFigures {
                        name: v.name.clone(),
                        latency: histogram(),
                        requests: 0,
                        errors: 0,
                    });
                    self.variants.len() - 1
                }
            };
            let into = &mut self.variants[i];
            into.requests += std::mem::take(&mut v.requests);
            into.errors += std::mem::take(&mut v.errors);
            drain_into(&mut into.latency, &mut v.latency);
        }
        for (code, n) in from.statuses.drain(..) {
            match self.statuses.iter_mut().find(|(c, _)| *c == code) {
                Some((_, m)) => *m += n,
                None => self.statuses.push((code, n)),
            }
        }
        for (code, n) in from.codes.drain(..) {
            match self.codes.iter_mut().find(|(c, _)| *c == code) {
                Some((_, m)) => *m += n,
                None => self.codes.push((code, n)),
            }
        }
        for (i, n) in from.errors.iter_mut().enumerate() {
            self.errors[i] += std::mem::take(n);
        }
        // A shard keeps its samples (one per kind is all it ever records); totals take the first.
        for (kind, text) in &from.samples {
            self.samples.entry(*kind).or_insert_with(|| text.clone());
        }
        drain_counts(&mut self.per_second, &mut from.per_second);
        drain_counts(&mut self.per_window, &mut from.per_window);
        self.streamed += std::mem::take(&mut from.streamed);
        self.chunks += std::mem::take(&mut from.chunks);
        self.completed += std::mem::take(&mut from.completed);
        self.succeeded += std::mem::take(&mut from.succeeded);
        self.answered_count += std::mem::take(&mut from.answered_count);
        self.aborted += std::mem::take(&mut from.aborted);
        self.late += std::mem::take(&mut from.late);
        self.sent += std::mem::take(&mut from.sent);
        self.received += std::mem::take(&mut from.received);
    }

    /// The owned summary after `elapsed` of run time; `last`: the run is over (adds the
    /// per-10 ms request rate figures, too costly to compute a few times a second).
    pub(crate) fn summary(&self, elapsed: Duration, last: bool) -> Summary {
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
        let attributed: u64 = self.variants.iter().map(|v| v.requests).sum();
        let variants = self
            .variants
            .iter()
            .map(|v| {
                (
                    String::from_utf8_lossy(v.name.as_bytes()).into_owned(),
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
        let stream = (self.streamed > 0).then(|| StreamStats {
            responses: self.streamed,
            chunks: self.chunks,
            first_chunk: LatencyStats::of(&self.first),
            total: LatencyStats::of(&self.answered),
            chunks_per_sec: super::summary::rate_percentiles(&self.chunk_rate, 100.0),
        });
        let windows = (elapsed.as_nanos() / RPS_WINDOW.as_nanos()) as usize;
        Summary {
            elapsed,
            requests: self.completed,
            succeeded: self.succeeded,
            failed: self.completed - self.succeeded,
            aborted: self.aborted,
            requests_per_sec,
            latency: LatencyStats::of(&self.ok),
            histogram: buckets(&self.ok, HISTOGRAM_BARS),
            per_second: self.per_second.clone(),
            status_codes: self.statuses.iter().copied().collect(),
            errors,
            error_samples: self.samples.clone(),
            variants,
            bytes_sent: self.sent,
            bytes_received: self.received,
            answered: self.answered_count,
            latency_answered: LatencyStats::of(&self.answered),
            latency_all: LatencyStats::of(&self.all),
            first_byte: LatencyStats::of(&self.first),
            dial: LatencyStats::of(&self.dial),
            answered_histogram: super::summary::oha_bins(&self.answered),
            error_codes: self.codes.iter().cloned().collect(),
            late_starts: self.late,
            stream,
            rps: last.then(|| RpsStats::of(&self.per_window, windows.max(1))),
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
    fn shards_merge_into_the_same_figures() {
        let t0 = tokio::time::Instant::now();
        let mut totals = Figures::new();
        let mut a = Figures::new();
        let mut b = Figures::new();
        for ms in 1..=50 {
            let (o, l) = ok(ms);
            a.record(o, l, Duration::from_millis(100), t0);
        }
        totals.drain_from(&mut a);
        for ms in 51..=100 {
            let (o, l) = ok(ms);
            b.record(o, l, Duration::from_millis(1500), t0);
        }
        b.record(
            Outcome {
                status: Some(500),
                error: Some(ErrorKind::Server5xx),
                code: Some("InternalFailure".into()),
                variant: Some(HeaderValue::from_static("B")),
                ..Outcome::default()
            },
            Duration::from_millis(3),
            Duration::from_millis(1500),
            t0,
        );
        b.record(
            Outcome::failed(ErrorKind::Timeout, "no answer"),
            Duration::from_millis(900),
            Duration::from_millis(1600),
            t0,
        );
        totals.drain_from(&mut b);
        totals.drain_from(&mut b);
        let s = totals.summary(Duration::from_secs(2), true);
        assert_eq!(
            (s.requests, s.succeeded, s.failed, s.answered),
            (102, 100, 2, 101)
        );
        let lat = s.latency.unwrap();
        assert!((50..=51).contains(&lat.p50.as_millis()), "{:?}", lat.p50);
        assert_eq!(lat.slowest.as_millis(), 100);
        // The timeout shows in the all-requests view only; the 500 in answered and all.
        assert_eq!(s.latency_all.unwrap().slowest.as_millis(), 900);
        assert_eq!(s.latency_answered.unwrap().slowest.as_millis(), 100);
        assert_eq!(s.status_codes, BTreeMap::from([(200, 100), (500, 1)]));
        assert_eq!(
            s.errors,
            BTreeMap::from([(ErrorKind::Timeout, 1), (ErrorKind::Server5xx, 1)])
        );
        assert_eq!(
            s.error_codes,
            BTreeMap::from([("InternalFailure".to_string(), 1)])
        );
        assert_eq!(s.per_second, vec![50, 52]);
        assert_eq!(s.variants["A"].requests, 100);
        assert_eq!(s.variants["B"].errors, 1);
        assert_eq!((s.bytes_sent, s.bytes_received), (1000, 400));
        assert_eq!(s.histogram.iter().map(|b| b.count).sum::<u64>(), 100);
        assert!((s.requests_per_sec - 51.0).abs() < 1e-9);
        let rps = s.rps.unwrap();
        assert_eq!(rps.max, 5100.0, "51 requests in one 10 ms window");
    }
}
