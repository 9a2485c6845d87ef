//! Metric history and `GetMetricData`: per-variant minute inputs (synthesized before the
//! start, a bounded change log after it) and CloudWatch-style aggregation over periods.

use std::collections::{HashMap, VecDeque};

use super::ids::{self, MINUTE_MS};
use super::traffic::{Inputs, MinuteStats, StreamId, Util, minute_stats};
use super::world::{EndpointState, World};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// What a variant's inputs were minute by minute after the start: only changes are kept,
/// plus the minutes that had extra (invoked) requests. Pruned by age, so memory stays flat.
#[derive(Debug, Clone, Default)]
pub(crate) struct InputLog {
    changes: VecDeque<(i64, Inputs)>,
    extras: VecDeque<(i64, u32)>,
    /// First minute recorded (nothing is known before it in the log).
    first: Option<i64>,
}

impl InputLog {
    pub(crate) fn record(&mut self, minute: i64, inputs: Inputs, extra: u32) {
        if self.first.is_none() {
            self.first = Some(minute);
        }
        if self.changes.back().is_none_or(|(_, last)| *last != inputs) {
            self.changes.push_back((minute, inputs));
        }
        if extra > 0 {
            self.extras.push_back((minute, extra));
        }
    }

    /// Inputs and extra requests of a recorded minute.
    pub(crate) fn at(&self, minute: i64) -> Option<(Inputs, u32)> {
        if self.first.is_none_or(|f| minute < f) {
            return None;
        }
        let i = self.changes.partition_point(|(m, _)| *m <= minute);
        let inputs = self.changes.get(i.checked_sub(1)?)?.1;
        let j = self.extras.partition_point(|(m, _)| *m < minute);
        let extra = self
            .extras
            .get(j)
            .filter(|(m, _)| *m == minute)
            .map_or(0, |(_, e)| *e);
        Some((inputs, extra))
    }

    /// Forgets minutes before `cutoff`.
    pub(crate) fn prune(&mut self, cutoff: i64) {
        while self.changes.len() > 1 && self.changes.get(1).is_some_and(|(m, _)| *m <= cutoff) {
            self.changes.pop_front();
        }
        while self.extras.front().is_some_and(|(m, _)| *m < cutoff) {
            self.extras.pop_front();
        }
        if self.first.is_some_and(|f| f < cutoff) {
            self.first = Some(cutoff);
        }
    }
}

/// A variant's figures for one complete minute, or `None` when nothing was published.
pub(crate) fn stats_at(
    seed: u64,
    start_min: i64,
    ep: &EndpointState,
    vi: usize,
    minute: i64,
) -> Option<MinuteStats> {
    let v = ep.variants.get(vi)?;
    let (inputs, extra) = if minute >= start_min {
        v.log.at(minute)?
    } else {
        let (from, until) = ep.history_serving?;
        if minute < from || minute >= until {
            return None;
        }
        let i = v.hist_counts.partition_point(|(m, _)| *m <= minute);
        let instances = i
            .checked_sub(1)
            .and_then(|i| v.hist_counts.get(i))
            .map_or(v.hist_base.instances, |c| c.1);
        (
            Inputs {
                instances,
                ..v.hist_base
            },
            0,
        )
    };
    let id = StreamId {
        seed,
        endpoint: ep.idx,
        variant: vi as u64,
    };
    minute_stats(id, &ep.traffic, &v.model, minute, inputs, extra)
}

/// One minute of one metric, as CloudWatch would hold it.
#[derive(Debug, Clone, Copy)]
struct Sample {
    sum: f64,
    count: f64,
    max: f64,
    min: f64,
    p99: f64,
}

fn util_sample(u: Option<Util>, n: u32) -> Option<Sample> {
    let u = u?;
    let c = f64::from(n.max(1));
    Some(Sample {
        sum: u.avg * c,
        count: c,
        max: u.max,
        min: u.min,
        p99: u.max,
    })
}

fn sample(s: &MinuteStats, metric: MetricName) -> Option<Sample> {
    let n = s.invocations;
    let invoked = n > 0.0;
    let errors = |e: f64| Sample {
        sum: e,
        count: n,
        max: if e > 0.0 { 1.0 } else { 0.0 },
        min: if e >= n { 1.0 } else { 0.0 },
        p99: if e / n > 0.01 { 1.0 } else { 0.0 },
    };
    match metric {
        MetricName::Invocations => invoked.then_some(Sample {
            sum: n,
            count: n,
            max: 1.0,
            min: 1.0,
            p99: 1.0,
        }),
        MetricName::InvocationsPerInstance => s.per_instance().map(|v| Sample {
            sum: v,
            count: 1.0,
            max: v,
            min: v,
            p99: v,
        }),
        MetricName::ModelLatency => invoked.then(|| {
            let l = s.model;
            Sample {
                sum: l.avg * n,
                count: n,
                max: l.max,
                min: l.min,
                p99: l.p99,
            }
        }),
        MetricName::OverheadLatency => invoked.then(|| {
            let l = s.overhead;
            Sample {
                sum: l.avg * n,
                count: n,
                max: l.max,
                min: l.min,
                p99: l.p99,
            }
        }),
        MetricName::Invocation4XXErrors => invoked.then(|| errors(s.e4xx)),
        MetricName::Invocation5XXErrors => invoked.then(|| errors(s.e5xx)),
        MetricName::CPUUtilization => util_sample(s.cpu, s.instances),
        MetricName::MemoryUtilization => util_sample(s.mem, s.instances),
        MetricName::DiskUtilization => util_sample(s.disk, s.instances),
        MetricName::GPUUtilization => util_sample(s.gpu, s.instances),
        MetricName::GPUMemoryUtilization => util_sample(s.gpu_mem, s.instances),
        // Hosting metrics come from `sim::hosting`.
        _ => None,
    }
}

/// Samples of one period, reduced to a statistic.
#[derive(Default)]
struct Bucket {
    sum: f64,
    count: f64,
    max: f64,
    min: f64,
    p99s: Vec<(f64, f64)>,
}

impl Bucket {
    fn add(&mut self, s: Sample) {
        if self.p99s.is_empty() {
            self.max = s.max;
            self.min = s.min;
        } else {
            self.max = self.max.max(s.max);
            self.min = self.min.min(s.min);
        }
        self.sum += s.sum;
        self.count += s.count;
        self.p99s.push((s.p99, s.count));
    }

    fn value(&mut self, stat: Statistic) -> f64 {
        match stat {
            Statistic::Sum => self.sum,
            Statistic::SampleCount => self.count,
            Statistic::Average => {
                if self.count > 0.0 {
                    self.sum / self.count
                } else {
                    0.0
                }
            }
            Statistic::Maximum => self.max,
            Statistic::Minimum => self.min,
            Statistic::P99 => {
                // The per-minute p99 at which the slowest 1% of all samples is reached.
                self.p99s.sort_by(|a, b| b.0.total_cmp(&a.0));
                let budget = self.count * 0.01;
                let mut seen = 0.0;
                for (v, c) in &self.p99s {
                    seen += c;
                    if seen >= budget {
                        return *v;
                    }
                }
                self.p99s.last().map_or(0.0, |p| p.0)
            }
        }
    }
}

/// The `Messages` text CloudWatch gives a failed series.
pub(crate) fn series_fault_message(code: &str) -> String {
    match code {
        "Forbidden" => "You are not authorized to access this metric.".into(),
        "InternalError" => "An internal error occurred while retrieving this metric.".into(),
        other => format!("The metric could not be retrieved ({other})."),
    }
}

/// Oldest data CloudWatch still answers for (455 days).
const MAX_LOOKBACK_MIN: i64 = 455 * 1440;

/// Answers a `MetricQuery` from the world (only complete minutes).
pub(crate) fn get_metrics(w: &World, q: &MetricQuery) -> BackendResult<Vec<MetricSeries>> {
    let period_s = q.period.as_secs();
    if period_s == 0 || !period_s.is_multiple_of(60) || q.period.subsec_nanos() != 0 {
        return Err(BackendError::Validation {
            operation: Operation::GetMetricData,
            message: "The parameter Period must be a multiple of 60.".into(),
        });
    }
    let period_min = (period_s / 60) as i64;
    let start_min = ids::minute_of(ids::to_ms(q.start));
    let end_ms = ids::to_ms(q.end);
    // Minutes m with start_min <= m, m * 60 s < end, m complete, within retention.
    let first = start_min.max(w.open_min - MAX_LOOKBACK_MIN);
    let last_excl = w.open_min.min(ids::minute_of(end_ms - 1) + 1);

    let mut by_variant: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, k) in q.series.iter().enumerate() {
        by_variant
            .entry((k.endpoint.as_str(), k.variant.as_str()))
            .or_default()
            .push(i);
    }
    let mut out: Vec<MetricSeries> = q
        .series
        .iter()
        .map(|k| MetricSeries {
            key: k.clone(),
            points: Vec::new(),
            status: SeriesStatus::Complete,
        })
        .collect();

    for ((endpoint, variant), idxs) in by_variant {
        let Some(ep) = w.endpoints.get(endpoint) else {
            continue;
        };
        let Some(vi) = ep.variants.iter().position(|v| v.name == variant) else {
            continue;
        };
        let mut buckets: Vec<Vec<Bucket>> = idxs.iter().map(|_| Vec::new()).collect();
        let mut bucket_no: Vec<Vec<i64>> = idxs.iter().map(|_| Vec::new()).collect();
        let mut m = first;
        while m < last_excl {
            if let Some(s) = stats_at(w.seed, w.start_min, ep, vi, m) {
                let b = (m - start_min).div_euclid(period_min);
                for (j, &si) in idxs.iter().enumerate() {
                    if let Some(smp) = sample(&s, out[si].key.metric) {
                        if bucket_no[j].last() != Some(&b) {
                            bucket_no[j].push(b);
                            buckets[j].push(Bucket::default());
                        }
                        if let Some(last) = buckets[j].last_mut() {
                            last.add(smp);
                        }
                    }
                }
            }
            m += 1;
        }
        for (j, &si) in idxs.iter().enumerate() {
            let stat = out[si].key.stat;
            let points = bucket_no[j]
                .iter()
                .zip(buckets[j].iter_mut())
                .map(|(b, bucket)| Datapoint {
                    at: ids::from_ms((start_min + b * period_min) * MINUTE_MS),
                    value: bucket.value(stat),
                })
                .collect();
            out[si].points = points;
        }
    }
    super::hosting::fill(w, q, &mut out);
    for s in &mut out {
        if let Some(code) = w.series_faults.get(&(s.key.endpoint.clone(), s.key.metric)) {
            s.points.clear();
            s.status = SeriesStatus::Failed {
                code: code.clone(),
                message: series_fault_message(code),
            };
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inp(n: u32) -> Inputs {
        Inputs {
            instances: n,
            share: 1.0,
            factor: 1.0,
            serving: true,
            fault: 0.0,
        }
    }

    #[test]
    fn log_keeps_changes_and_extras() {
        let mut log = InputLog::default();
        log.record(10, inp(1), 0);
        log.record(11, inp(1), 5);
        log.record(12, inp(2), 0);
        assert_eq!(log.at(9), None);
        assert_eq!(log.at(11), Some((inp(1), 5)));
        assert_eq!(log.at(13), Some((inp(2), 0)));
        log.prune(12);
        assert_eq!(log.at(11), None);
        assert_eq!(log.at(12), Some((inp(2), 0)));
    }
}
