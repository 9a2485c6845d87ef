//! Owns what is said about a finished run: `RunReport` (parameters + result), its JSON (a
//! field named like oha's has oha's meaning — summary, latencyPercentiles, rps,
//! responseTimeHistogram, details, statusCodeDistribution, errorDistribution — and sagetop's
//! own figures have their own names; schema in the README), the text summary, CI budgets.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::engine::RunResult;
use super::payload::PayloadSource;
use super::spec::{LoadSpec, StopAfter, trim_float};
use super::stats::{ErrorKind, LatencyStats, Summary};
use crate::units::format_duration;

/// Where the load went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetInfo {
    /// "endpoint" or "url".
    pub kind: String,
    /// Endpoint name, or the URL.
    pub name: String,
    pub variant: Option<String>,
    /// On the simulated account.
    pub demo: bool,
    /// How the requests travelled: "sagemaker-runtime", "http" (plain URL), "backend".
    pub via: String,
}

impl TargetInfo {
    pub fn describe(&self) -> String {
        let mut s = match self.kind.as_str() {
            "endpoint" => format!("endpoint {}", self.name),
            _ => self.name.clone(),
        };
        if let Some(v) = &self.variant {
            let _ = write!(s, " (variant {v})");
        }
        if self.demo {
            s.push_str(" [demo]");
        }
        s
    }
}

/// The parameters of a run, kept with its results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunParams {
    pub target: TargetInfo,
    pub spec: LoadSpec,
    pub payload: PayloadSource,
    pub payload_count: usize,
    /// Seed of the sending order; `None`: in file order.
    pub shuffle_seed: Option<u64>,
    pub content_type: String,
    pub accept: Option<String>,
}

/// A finished (or stopped) run: what was asked and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunReport {
    pub params: RunParams,
    pub result: RunResult,
}

fn secs(d: Duration) -> Value {
    json!(d.as_secs_f64())
}

/// oha's percentile object: "p10" … "p99.99", in seconds (an empty object without data).
fn percentiles(l: Option<&LatencyStats>) -> Value {
    let Some(l) = l else {
        return json!({});
    };
    json!({
        "p10": secs(l.p10),
        "p25": secs(l.p25),
        "p50": secs(l.p50),
        "p75": secs(l.p75),
        "p90": secs(l.p90),
        "p95": secs(l.p95),
        "p99": secs(l.p99),
        "p99.9": secs(l.p999),
        "p99.99": secs(l.p9999),
    })
}

/// oha's {average, fastest, slowest} triple, in seconds.
fn triple(l: Option<&LatencyStats>) -> Value {
    json!({
        "average": l.map_or(0.0, |l| l.average.as_secs_f64()),
        "fastest": l.map_or(0.0, |l| l.fastest.as_secs_f64()),
        "slowest": l.map_or(0.0, |l| l.slowest.as_secs_f64()),
    })
}

/// sagetop's fuller latency object: min, max, mean, stddev and the percentiles, in seconds.
fn latency_view(l: Option<&LatencyStats>) -> Value {
    match l {
        None => Value::Null,
        Some(l) => json!({
            "fastest": secs(l.fastest),
            "slowest": secs(l.slowest),
            "average": secs(l.average),
            "stddev": secs(l.stddev),
            "percentiles": percentiles(Some(l)),
        }),
    }
}

/// A JSON object whose keys are numbers, in numeric order (serde_json sorts keys as text).
fn numeric_map<K: ToString>(pairs: impl IntoIterator<Item = (f64, K, Value)>) -> Value {
    let mut v: Vec<(f64, K, Value)> = pairs.into_iter().collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut m = Map::new();
    for (_, k, val) in v {
        m.insert(k.to_string(), val);
    }
    Value::Object(m)
}

impl RunReport {
    /// The JSON document of `sagetop bench --json`, `:save` and the `s` key. Fields named like
    /// oha's carry oha's meaning (README: "JSON output"); sagetop's own figures have their own names.
    pub fn to_json(&self) -> Value {
        let s = &self.result.summary;
        let p = &self.params;
        let total_secs = s.elapsed.as_secs_f64();
        let answered = s.latency_answered.as_ref();
        // oha: successRate = answers / (finished requests, deadline aborts left out);
        // requestsPerSec counts every request, deadline aborts included.
        let success_rate = if s.requests > 0 {
            s.answered as f64 / s.requests as f64
        } else {
            0.0
        };
        let deadline_aborts = if self.result.stop == super::engine::StopReason::Stopped {
            0
        } else {
            s.aborted
        };
        let oha_rps = if total_secs > 0.0 {
            (s.requests + deadline_aborts) as f64 / total_secs
        } else {
            0.0
        };
        let histogram = numeric_map(s.answered_histogram.iter().map(|b| {
            let upper = b.upper.as_secs_f64();
            (upper, format!("{upper}"), json!(b.count))
        }));
        // oha's errorDistribution: requests without an HTTP answer, by error.
        let mut errors = Map::new();
        for (kind, n) in &s.errors {
            if matches!(
                kind,
                ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Other
            ) {
                errors.insert(kind.label().to_string(), json!(n));
            }
        }
        if s.aborted > 0 {
            let key = if deadline_aborts > 0 {
                "aborted due to deadline"
            } else {
                "aborted (run stopped)"
            };
            errors.insert(key.to_string(), json!(s.aborted));
        }
        let rps = match &s.rps {
            Some(r) => json!({
                "mean": r.mean,
                "stddev": r.stddev,
                "max": r.max,
                "min": r.min,
                "percentiles": numeric_map(super::summary::OHA_PERCENTILES.iter().map(|(k, v)| {
                    (*v, k.to_string(), json!(r.percentiles.get(*k).copied().unwrap_or(0.0)))
                })),
            }),
            None => Value::Null,
        };
        let variants: Map<String, Value> = s
            .variants
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    json!({
                        "requests": v.requests,
                        "errors": v.errors,
                        "share": v.share,
                        "latencySuccessful": latency_view(v.latency.as_ref()),
                    }),
                )
            })
            .collect();
        let stream = s.stream.as_ref().map(|st| {
            json!({
                "responses": st.responses,
                "chunks": st.chunks,
                "timeToFirstChunk": latency_view(st.first_chunk.as_ref()),
                "totalTime": latency_view(st.total.as_ref()),
                "chunksPerSecond": st.chunks_per_sec.map(|c| json!({
                    "p50": c.p50, "p90": c.p90, "p99": c.p99, "p99.9": c.p999,
                })),
            })
        });
        let open_loop = self.result.open_loop.as_ref().map(|o| {
            json!({
                "targetRate": o.target_rate,
                "achievedRate": o.achieved_rate,
                "scheduled": o.scheduled,
                "started": o.issued,
                "missedSlots": o.missed,
                "lateStarts": o.late,
                "warning": o.warning(),
            })
        });
        json!({
            "summary": {
                "successRate": success_rate,
                "total": total_secs,
                "slowest": answered.map_or(0.0, |l| l.slowest.as_secs_f64()),
                "fastest": answered.map_or(0.0, |l| l.fastest.as_secs_f64()),
                "average": answered.map_or(0.0, |l| l.average.as_secs_f64()),
                "requestsPerSec": oha_rps,
                "totalData": s.bytes_received,
                "sizePerRequest": s.bytes_received.checked_div(s.answered),
                "sizePerSec": if total_secs > 0.0 { s.bytes_received as f64 / total_secs } else { 0.0 },
            },
            "responseTimeHistogram": histogram,
            "latencyPercentiles": percentiles(answered),
            "rps": rps,
            "details": {
                // Names are resolved once before the run, so no request spends time on DNS.
                "DNSDialup": triple(s.dial.as_ref()),
                "DNSLookup": triple(None),
                "firstByte": triple(s.first_byte.as_ref()),
            },
            "statusCodeDistribution": numeric_map(s.status_codes.iter().map(|(c, n)| (f64::from(*c), c, json!(n)))),
            "errorDistribution": errors,
            "requests": {
                "finished": s.requests,
                "succeeded": s.succeeded,
                "failed": s.failed,
                "answered": s.answered,
                "aborted": s.aborted,
                "errorRate": s.error_rate(),
                "completedPerSec": s.requests_per_sec,
            },
            "inFlightAtDeadline": match self.result.in_flight {
                super::spec::InFlight::Count => "counted",
                super::spec::InFlight::Wait => "waited",
            },
            "latencySuccessful": latency_view(s.latency.as_ref()),
            "latencyAnswered": latency_view(answered),
            "latencyAll": latency_view(s.latency_all.as_ref()),
            "errorKinds": s.errors.iter().map(|(k, n)| (k.label().to_string(), json!(n))).collect::<Map<_, _>>(),
            "awsErrorCodes": s.error_codes.iter().map(|(k, n)| (k.clone(), json!(n))).collect::<Map<_, _>>(),
            "errorSamples": s.error_samples.iter().map(|(k, t)| (k.label().to_string(), json!(t))).collect::<Map<_, _>>(),
            "bytes": { "sent": s.bytes_sent, "received": s.bytes_received },
            "variants": variants,
            "requestsPerSecond": s.per_second,
            "openLoop": open_loop,
            "stream": stream,
            "parameters": {
                "target": p.target,
                "concurrency": p.spec.concurrency,
                "duration": p.spec.duration().map(|d| d.as_secs_f64()),
                "requests": p.spec.requests(),
                "rate": p.spec.rate,
                "ramp": p.spec.ramp.map(|d| d.as_secs_f64()),
                "timeout": p.spec.timeout.as_secs_f64(),
                "latencyCorrection": p.spec.rate.is_some(),
                "threads": self.result.threads,
                "payload": p.payload,
                "payloadCount": p.payload_count,
                "shuffleSeed": p.shuffle_seed,
                "contentType": p.content_type,
                "accept": p.accept,
            },
            "run": {
                "startedAt": self.result.started_at,
                "finishedAt": self.result.finished_at,
                "stopReason": self.result.stop,
            },
            "sagetopVersion": env!("CARGO_PKG_VERSION"),
        })
    }

    /// The readable summary printed by `sagetop bench` without `--json`.
    pub fn text(&self) -> String {
        let s = &self.result.summary;
        let p = &self.params;
        let mut o = String::new();
        let _ = writeln!(o, "sagetop bench: {}", p.target.describe());
        let _ = writeln!(
            o,
            "  {}{}  payload {} ({} request{})",
            p.spec.describe(),
            if p.spec.rate.is_some() {
                " (latency from scheduled start)"
            } else {
                ""
            },
            p.payload.describe(),
            p.payload_count,
            if p.payload_count == 1 { "" } else { "s" }
        );
        let _ = writeln!(o, "\nSummary:");
        let _ = writeln!(o, "  Success rate:   {:.2}%", s.success_rate() * 100.0);
        let _ = writeln!(o, "  Total:          {:.4} secs", s.elapsed.as_secs_f64());
        let _ = writeln!(
            o,
            "  Requests:       {} ({} ok, {} failed{})",
            s.requests,
            s.succeeded,
            s.failed,
            if s.aborted > 0 {
                format!(", {} aborted in flight", s.aborted)
            } else {
                String::new()
            }
        );
        let _ = writeln!(o, "  Requests/sec:   {:.2}", s.requests_per_sec);
        if let Some(l) = &s.latency {
            let _ = writeln!(o, "  Slowest:        {}", latency(l.slowest));
            let _ = writeln!(o, "  Fastest:        {}", latency(l.fastest));
            let _ = writeln!(o, "  Average:        {}", latency(l.average));
            let _ = writeln!(o, "\nLatency of successful requests:");
            for (label, v) in l.rows() {
                let _ = writeln!(o, "  {label:<6} {}", latency(v));
            }
        } else {
            let _ = writeln!(o, "  (no successful request: no latency figures)");
        }
        if let Some(all) = &s.latency_all
            && s.failed > 0
        {
            let _ = writeln!(
                o,
                "\nLatency of all finished requests (errors and timeouts included):"
            );
            for (label, v) in all.rows() {
                let _ = writeln!(o, "  {label:<6} {}", latency(v));
            }
        }
        if let Some(st) = &s.stream {
            let _ = writeln!(
                o,
                "\nStreamed answers: {} ({} chunks)",
                st.responses, st.chunks
            );
            if let (Some(f), Some(t)) = (&st.first_chunk, &st.total) {
                let _ = writeln!(o, "  {:<6} {:>12} {:>12}", "", "first chunk", "total");
                for ((label, a), (_, b)) in f.rows().into_iter().zip(t.rows()) {
                    let _ = writeln!(o, "  {label:<6} {:>12} {:>12}", latency(a), latency(b));
                }
            }
            if let Some(c) = st.chunks_per_sec {
                let _ = writeln!(
                    o,
                    "  chunks/s per request: p50 {:.1}  p90 {:.1}  p99 {:.1}  p99.9 {:.1}",
                    c.p50, c.p90, c.p99, c.p999
                );
            }
        }
        if !s.status_codes.is_empty() {
            let codes: Vec<String> = s
                .status_codes
                .iter()
                .map(|(c, n)| format!("{c}: {n}"))
                .collect();
            let _ = writeln!(o, "\nStatus codes:   {}", codes.join(", "));
        }
        if !s.errors.is_empty() {
            let _ = writeln!(o, "\nErrors:");
            for (k, n) in &s.errors {
                let sample = s.error_samples.get(k).map(String::as_str).unwrap_or("");
                let _ = writeln!(
                    o,
                    "  {:<12} {n:>8}  {:.2}%  e.g. {}",
                    k.label(),
                    *n as f64 * 100.0 / s.requests.max(1) as f64,
                    one_line(sample, 100)
                );
            }
        }
        if !s.variants.is_empty() {
            let _ = writeln!(o, "\nInvoked variants:");
            for (name, v) in &s.variants {
                let lat = v.latency.map_or_else(
                    || "no successful request".to_string(),
                    |l| format!("p50 {}  p99 {}", latency(l.p50), latency(l.p99)),
                );
                let _ = writeln!(
                    o,
                    "  {name:<20} {:>8} ({:>5.1}%)  errors {}  {lat}",
                    v.requests,
                    v.share * 100.0,
                    v.errors
                );
            }
        }
        let _ = writeln!(
            o,
            "\nData:           sent {}, received {}",
            bytes(s.bytes_sent),
            bytes(s.bytes_received)
        );
        let _ = writeln!(o, "Run:            {}", self.result.stop.label());
        if s.aborted > 0 || self.result.in_flight == super::spec::InFlight::Wait {
            let _ = writeln!(o, "In flight:      {}", self.result.in_flight.label());
        }
        if let Some(ol) = &self.result.open_loop {
            let _ = writeln!(
                o,
                "Open loop:      {:.1} of {} requests/s, {} slots missed ({} late starts)",
                ol.achieved_rate,
                trim_float(ol.target_rate),
                ol.missed,
                ol.late
            );
            if let Some(w) = ol.warning() {
                let _ = writeln!(o, "WARNING:        {w}");
            }
        }
        o
    }
}

/// "850 µs", "10.81 ms", "1.204 s".
pub fn latency(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us < 1000.0 {
        format!("{us:.0} µs")
    } else if us < 1e6 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{:.3} s", us / 1e6)
    }
}

/// "512 B", "1.2 KiB", "3.4 MiB".
pub fn bytes(n: u64) -> String {
    let f = n as f64;
    if f < 1024.0 {
        format!("{n} B")
    } else if f < 1024.0 * 1024.0 {
        format!("{:.1} KiB", f / 1024.0)
    } else if f < 1024.0 * 1024.0 * 1024.0 {
        format!("{:.1} MiB", f / 1024.0 / 1024.0)
    } else {
        format!("{:.2} GiB", f / 1024.0 / 1024.0 / 1024.0)
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > max {
        format!("{}…", flat.chars().take(max).collect::<String>())
    } else {
        flat
    }
}

/// CI budgets of `sagetop bench`: breaching one makes the exit status non-zero.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Budgets {
    /// Highest acceptable failed share of finished requests (0..=1).
    pub max_error_rate: Option<f64>,
    /// Highest acceptable p99 latency of successful requests.
    pub p99: Option<Duration>,
}

impl Budgets {
    /// One message per breached budget (empty: all met).
    pub fn check(&self, s: &Summary) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(max) = self.max_error_rate {
            let rate = s.error_rate();
            if rate > max || s.requests == 0 {
                out.push(format!(
                    "error rate {:.2}% is over the budget of {:.2}% (--max-error-rate {}): {} of {} requests failed",
                    rate * 100.0,
                    max * 100.0,
                    trim_float(max),
                    s.failed,
                    s.requests
                ));
            }
        }
        if let Some(max) = self.p99 {
            match &s.latency {
                Some(l) if l.p99 > max => out.push(format!(
                    "p99 latency {} is over the budget of {} (--p99 {})",
                    latency(l.p99),
                    latency(max),
                    format_duration(max)
                )),
                Some(_) => {}
                None => out.push(format!(
                    "p99 latency budget {} cannot be met: no request succeeded",
                    format_duration(max)
                )),
            }
        }
        out
    }
}

/// A one-line live progress: "12.3s/30s  2,468 req  199.8 req/s  p99 12.1 ms  0.1% err".
pub fn progress_line(spec: &LoadSpec, s: &Summary) -> String {
    let plan = match spec.stop {
        StopAfter::Duration(d) => format!(
            "{:.1}s/{}",
            s.elapsed.as_secs_f64(),
            format_duration(d.min(spec.max_duration))
        ),
        StopAfter::Requests(n) => format!("{}/{n} req", s.requests),
    };
    let p99 = s
        .latency
        .map_or_else(|| "-".to_string(), |l| latency(l.p99));
    format!(
        "{plan}  {} req  {:.1} req/s  p99 {p99}  {:.2}% errors",
        s.requests,
        s.requests_per_sec,
        s.error_rate() * 100.0
    )
}
