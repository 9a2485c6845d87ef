//! Owns the simulated account's endpoint logs: every instance of every variant writes to its
//! stream `VARIANT/INSTANCE-ID` of `/aws/sagemaker/Endpoints/NAME` — model server start-up when
//! an instance comes up, one line per request at a sampled rate, warnings for 4XX, errors for
//! 5XX (more of them when the variant's error rate is up). Lines are a pure function of the seed
//! and the variant's published figures, so the same instant always shows the same lines.
//!
//! Lines of minute `m` are paced by the figures of minute `m - 1` (already closed), so lines
//! appear as time passes inside the open minute and never change afterwards. The account keeps
//! the last [`RETENTION_MIN`] minutes of lines.
//!
//! Filter patterns: the subset of CloudWatch Logs' syntax for unstructured events — terms
//! (all must occur), "quoted phrases", `?term` (any of them), `-term` (must not occur); case
//! sensitive. JSON (`{ … }`), space-delimited (`[ … ]`) and regex (`%…%`) patterns are refused.
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html>

use super::ids::{self, Fast, MINUTE_MS};
use super::metrics::stats_at;
use super::world::{EndpointState, World};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::{LogEvent, LogPage, LogQuery, LogStream, StreamChoice, endpoint_log_group};

/// Minutes of lines the account keeps.
pub(crate) const RETENTION_MIN: i64 = 180;
/// Share of requests that write a line.
const REQUEST_SAMPLE: f64 = 0.02;
/// Share of 5XX requests that write an error line.
const ERROR_SAMPLE: f64 = 0.25;
/// Share of 4XX requests that write a warning.
const WARN_SAMPLE: f64 = 0.05;
/// Lines of one kind per instance and minute at most.
const MAX_PER_MINUTE: f64 = 12.0;
const TAG_LOGS: u64 = 0x4c4f_4753;

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Line {
    pub ms: i64,
    pub stream: String,
    pub message: String,
    pub id: String,
}

/// The EC2-style id of instance `i` of variant `vi`.
pub(crate) fn instance_id(seed: u64, ep: u64, vi: usize, i: u32) -> String {
    let h = ids::mix(&[seed, TAG_LOGS, ep, vi as u64, u64::from(i)]);
    format!("i-0{:016x}", h)
}

/// The group exists once any instance has written to it (CloudWatch creates it on the first
/// write): the endpoint served in its synthesized past or in a closed minute since.
pub(crate) fn group_exists(w: &World, ep: &EndpointState) -> bool {
    ep.history_serving.is_some()
        || (0..ep.variants.len())
            .any(|vi| stats_at(w.seed, w.start_min, ep, vi, w.open_min - 1).is_some())
}

/// Every line of `ep` with `from_ms <= ms <= to_ms` (clamped to retention and now), oldest
/// first, ties by id.
pub(crate) fn lines(w: &World, ep: &EndpointState, from_ms: i64, to_ms: i64) -> Vec<Line> {
    let now = w.now_ms;
    let from_ms = from_ms.max(now - RETENTION_MIN * MINUTE_MS);
    let to_ms = to_ms.min(now);
    let mut out = Vec::new();
    if from_ms > to_ms {
        return out;
    }
    for m in ids::minute_of(from_ms)..=ids::minute_of(to_ms) {
        for vi in 0..ep.variants.len() {
            minute_lines(w, ep, vi, m, &mut out);
        }
    }
    out.retain(|l| l.ms >= from_ms && l.ms <= to_ms);
    out.sort_by(|a, b| (a.ms, &a.id).cmp(&(b.ms, &b.id)));
    out
}

/// Streams of `ep` with the time of their newest line (in retention), newest first.
pub(crate) fn streams(w: &World, ep: &EndpointState) -> Vec<(String, Option<i64>)> {
    let mut last: std::collections::BTreeMap<String, Option<i64>> = Default::default();
    for (vi, v) in ep.variants.iter().enumerate() {
        let n = stats_at(w.seed, w.start_min, ep, vi, w.open_min - 1).map_or(0, |s| s.instances);
        for i in 0..n {
            last.insert(
                format!("{}/{}", v.name, instance_id(w.seed, ep.idx, vi, i)),
                None,
            );
        }
    }
    for l in lines(w, ep, w.now_ms - 60 * MINUTE_MS, w.now_ms) {
        let e = last.entry(l.stream).or_insert(None);
        *e = Some(e.map_or(l.ms, |t| t.max(l.ms)));
    }
    let mut out: Vec<(String, Option<i64>)> = last.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

fn minute_lines(w: &World, ep: &EndpointState, vi: usize, m: i64, out: &mut Vec<Line>) {
    let Some(pace) = stats_at(w.seed, w.start_min, ep, vi, m - 1) else {
        return;
    };
    let before = stats_at(w.seed, w.start_min, ep, vi, m - 2).map_or(0, |s| s.instances);
    let v = &ep.variants[vi];
    let gpu = v.model.kind.gpus > 0;
    let n = pace.instances.max(1);
    let per = |x: f64| x / f64::from(n);
    let error_rate = if pace.invocations > 0.0 {
        pace.e5xx / pace.invocations
    } else {
        0.0
    };
    let model_ms = pace.model.avg / 1000.0;
    for i in 0..pace.instances {
        let stream = format!("{}/{}", v.name, instance_id(w.seed, ep.idx, vi, i));
        let mut r = Fast::new(&[w.seed, TAG_LOGS, ep.idx, vi as u64, u64::from(i), m as u64]);
        let base = m * MINUTE_MS;
        let mut seq = 0u32;
        let mut push = |ms: i64, message: String| {
            seq += 1;
            let id = format!(
                "{:020}{:04}",
                ids::mix(&[w.seed, TAG_LOGS, ep.idx, vi as u64, u64::from(i), ms as u64]),
                seq
            );
            out.push(Line {
                ms,
                stream: stream.clone(),
                message,
                id,
            });
        };
        if i >= before {
            let load = r.range(4.0, 14.0);
            let t0 = base + (r.unit() * 5_000.0) as i64;
            let workers = v.model.kind.vcpus.max(1);
            push(
                t0,
                format!("[INFO ] model server starting: {workers} workers, listening on port 8080"),
            );
            push(
                t0 + 40,
                format!("[INFO ] loading model {} from /opt/ml/model", v.model_name),
            );
            push(
                t0 + (load * 1000.0) as i64,
                format!("[INFO ] model {} loaded in {load:.1} s", v.model_name),
            );
            push(
                t0 + (load * 1000.0) as i64 + 900,
                "[INFO ] GET /ping 200: ready for traffic".into(),
            );
        }
        let count = |r: &mut Fast, mean: f64| r.poisson(mean.min(MAX_PER_MINUTE)) as u32;
        for _ in 0..count(&mut r, per(pace.invocations) * REQUEST_SAMPLE) {
            let ms = base + (r.unit() * MINUTE_MS as f64) as i64;
            let lat = (model_ms * r.range(0.7, 1.5)).max(0.1);
            push(ms, format!("[INFO ] POST /invocations 200 {lat:.1} ms"));
        }
        for _ in 0..count(&mut r, per(pace.e4xx) * WARN_SAMPLE) {
            let ms = base + (r.unit() * MINUTE_MS as f64) as i64;
            push(
                ms,
                format!(
                    "[WARN ] POST /invocations 400 {:.1} ms: request body could not be parsed as the model's input",
                    r.range(0.3, 2.0)
                ),
            );
        }
        for _ in 0..count(&mut r, per(pace.e5xx) * ERROR_SAMPLE) {
            let ms = base + (r.unit() * MINUTE_MS as f64) as i64;
            let why = if gpu {
                "worker died: RuntimeError: CUDA out of memory"
            } else {
                "prediction failed: worker timed out after 60 s"
            };
            push(
                ms,
                format!(
                    "[ERROR] POST /invocations 500 {:.1} ms: {why}",
                    model_ms * r.range(1.0, 3.0)
                ),
            );
        }
        if error_rate > 0.05 {
            let ms = base + (r.unit() * MINUTE_MS as f64) as i64;
            push(
                ms,
                format!(
                    "[WARN ] {:.0}% of requests failed in the last minute; worker queue is backing up",
                    error_rate * 100.0
                ),
            );
        }
    }
}

/// A parsed filter pattern (the supported subset; see the module docs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FilterPattern {
    all: Vec<String>,
    any: Vec<String>,
    none: Vec<String>,
}

impl FilterPattern {
    /// Parses a pattern; `Err` names what is not supported or malformed.
    pub(crate) fn parse(pattern: &str) -> Result<FilterPattern, String> {
        let p = pattern.trim();
        if p.starts_with('{') || p.starts_with('[') || p.starts_with('%') {
            return Err(format!(
                "the simulated account matches terms, \"phrases\", ?any and -excluded terms only; JSON, space-delimited and regex patterns are not supported: {p}"
            ));
        }
        let mut out = FilterPattern::default();
        let mut chars = p.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            let Some(&first) = chars.peek() else { break };
            let kind = match first {
                '?' | '-' => {
                    chars.next();
                    first
                }
                _ => ' ',
            };
            let mut term = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    term.push(c);
                }
                if !closed {
                    return Err(format!("unterminated quoted term in filter pattern: {p}"));
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() {
                        break;
                    }
                    term.push(c);
                    chars.next();
                }
            }
            if term.is_empty() {
                continue;
            }
            match kind {
                '?' => out.any.push(term),
                '-' => out.none.push(term),
                _ => out.all.push(term),
            }
        }
        Ok(out)
    }

    /// Does `message` match? Case sensitive, like CloudWatch Logs.
    pub(crate) fn matches(&self, message: &str) -> bool {
        self.all.iter().all(|t| message.contains(t.as_str()))
            && (self.any.is_empty() || self.any.iter().any(|t| message.contains(t.as_str())))
            && !self.none.iter().any(|t| message.contains(t.as_str()))
    }
}

/// Why a read of an endpoint's logs cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LogsError {
    /// No such log group (the endpoint does not exist or never wrote a line).
    NoGroup(String),
    /// A malformed or unsupported filter pattern.
    Pattern(String),
}

/// The group's lines in `[from_ms, to_ms]` on the chosen streams that match `pattern`.
pub(crate) fn select(
    w: &World,
    endpoint: &str,
    streams: &StreamChoice,
    pattern: Option<&str>,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<Line>, LogsError> {
    let group = endpoint_log_group(endpoint);
    let ep = w
        .endpoints
        .get(endpoint)
        .filter(|ep| group_exists(w, ep))
        .ok_or(LogsError::NoGroup(group))?;
    let pattern = FilterPattern::parse(pattern.unwrap_or_default()).map_err(LogsError::Pattern)?;
    let mut out = lines(w, ep, from_ms, to_ms);
    out.retain(|l| {
        let on_stream = match streams {
            StreamChoice::All => true,
            StreamChoice::Variant(v) => l.stream.starts_with(&format!("{v}/")),
            StreamChoice::Stream(s) => &l.stream == s,
        };
        on_stream && pattern.matches(&l.message)
    });
    Ok(out)
}

fn backend_error(operation: Operation, e: LogsError) -> BackendError {
    match e {
        LogsError::NoGroup(group) => BackendError::NotFound {
            operation,
            message: "ResourceNotFoundException: The specified log group does not exist.".into(),
            resource: group,
        },
        LogsError::Pattern(message) => BackendError::Validation { operation, message },
    }
}

/// `Backend::list_log_streams` on the account.
pub(crate) fn list_streams(w: &World, endpoint: &str) -> BackendResult<Vec<LogStream>> {
    let op = Operation::DescribeLogStreams;
    let ep = w
        .endpoints
        .get(endpoint)
        .filter(|ep| group_exists(w, ep))
        .ok_or_else(|| backend_error(op, LogsError::NoGroup(endpoint_log_group(endpoint))))?;
    Ok(streams(w, ep)
        .into_iter()
        .map(|(name, last)| LogStream::new(&name, last.map(ids::from_ms)))
        .collect())
}

/// `Backend::filter_log_events` on the account.
pub(crate) fn filter(w: &World, q: &LogQuery) -> BackendResult<LogPage> {
    let all = select(
        w,
        &q.endpoint,
        &q.streams,
        q.filter_pattern.as_deref(),
        ids::to_ms(q.start),
        w.now_ms,
    )
    .map_err(|e| backend_error(Operation::FilterLogEvents, e))?;
    let max = q.max_events.max(1);
    let truncated = all.len() > max;
    let events = all
        .into_iter()
        .take(max)
        .map(|l| LogEvent::new(ids::from_ms(l.ms), &l.stream, &l.message, &l.id))
        .collect();
    Ok(LogPage { events, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_terms_phrases_any_and_excluded() {
        let p = FilterPattern::parse("POST \"500\" -ping").unwrap();
        assert!(p.matches("[ERROR] POST /invocations 500 3 ms"));
        assert!(!p.matches("[INFO ] POST /invocations 200 3 ms"));
        assert!(!p.matches("POST 500 /ping"));
        let any = FilterPattern::parse("?ERROR ?WARN").unwrap();
        assert!(any.matches("[WARN ] x"));
        assert!(!any.matches("[INFO ] x"));
        assert!(
            !FilterPattern::parse("error").unwrap().matches("[ERROR]"),
            "case"
        );
        let phrase = FilterPattern::parse("\"CUDA out of memory\"").unwrap();
        assert!(phrase.matches("worker died: RuntimeError: CUDA out of memory"));
        assert!(!phrase.matches("CUDA memory out"));
        assert!(FilterPattern::parse("{ $.level = \"ERROR\" }").is_err());
        assert!(FilterPattern::parse("\"open").is_err());
        assert!(FilterPattern::parse("").unwrap().matches("anything"));
    }
}
