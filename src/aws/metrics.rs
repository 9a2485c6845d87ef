//! Owns CloudWatch `GetMetricData`: every series of a query in as few calls as AWS's limits
//! allow (≤ 500 queries, ≤ 100,800 datapoints per call), `NextToken` paging, query ids mapped
//! back to series, and an incremental cache so later polls only ask for the newest minutes
//! (each series keeps the longest window asked for recently).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_cloudwatch::types::{
    Dimension, Metric, MetricDataQuery, MetricStat, ScanBy, StatusCode,
};

use super::{AwsBackend, from_time, to_time};
use crate::boundary::{BackendResult, Operation};
use crate::domain::*;

/// Most metric queries one `GetMetricData` call may carry.
pub const MAX_QUERIES_PER_CALL: usize = 500;

/// Most datapoints one `GetMetricData` call returns before paging.
pub const MAX_DATAPOINTS_PER_CALL: usize = 100_800;

/// Periods re-read before the end of what is cached: CloudWatch keeps filling the newest
/// minutes for a while, so those are asked for again (datapoints are not billed, metrics are).
const OVERLAP_PERIODS: i32 = 2;

/// A cached series no query asked for within this long is dropped.
const IDLE_EVICTION: chrono::Duration = chrono::Duration::hours(1);

/// How many series go into each call: as many as fit in 500 queries and 100,800 datapoints.
/// Returns the size of every call, in order.
pub fn plan_batches(series: usize, points_per_series: usize) -> Vec<usize> {
    let per_call =
        (MAX_DATAPOINTS_PER_CALL / points_per_series.max(1)).clamp(1, MAX_QUERIES_PER_CALL);
    let mut sizes = Vec::new();
    let mut left = series;
    while left > 0 {
        let n = left.min(per_call);
        sizes.push(n);
        left -= n;
    }
    sizes
}

/// The query id of the `i`-th series of a call (matches `^[a-z][a-zA-Z0-9_]*$`).
fn query_id(i: usize) -> String {
    format!("m{i}")
}

fn parse_query_id(id: &str) -> Option<usize> {
    id.strip_prefix('m')?.parse().ok()
}

/// A window length asked for recently is kept this long after its last query: the chart of a
/// 6 h window polled every few minutes keeps its 6 h while the fleet poll asks for 10 minutes.
const WINDOW_MEMORY: chrono::Duration = chrono::Duration::minutes(15);

#[derive(Debug, Clone)]
struct CacheEntry {
    /// Oldest first, one per timestamp.
    points: Vec<Datapoint>,
    /// The points are complete from here…
    covered_from: Timestamp,
    /// …to the end of the last window fetched for this series.
    covered_until: Timestamp,
    /// End of the last query that asked for this series.
    last_used: Timestamp,
    /// The longest window asked for recently and when it was last asked: what is kept.
    longest: chrono::Duration,
    longest_asked: Timestamp,
}

/// Series already fetched, keyed by series and period. Each series keeps the longest window
/// any caller asked for in the last [`WINDOW_MEMORY`] (a chart's 24 h and the fleet poll's
/// 10 minutes share one entry), so memory is bounded by that window's points.
#[derive(Debug, Default)]
pub(crate) struct MetricCache {
    entries: HashMap<(SeriesKey, u64), CacheEntry>,
}

impl MetricCache {
    /// Where the fetch of `key` must start: after the first load, only the newest periods.
    fn fetch_start(&self, key: &SeriesKey, q: &MetricQuery, period: chrono::Duration) -> Timestamp {
        match self.entries.get(&(key.clone(), q.period.as_secs())) {
            Some(e)
                if e.covered_from <= q.start
                    && e.covered_until > q.start
                    && e.covered_until <= q.end =>
            {
                (e.covered_until - period * OVERLAP_PERIODS).max(q.start)
            }
            _ => q.start,
        }
    }

    /// Replaces what was held from `from` on with `fresh` (fetched over `from..q.end`), then
    /// trims to the longest window asked for recently.
    fn merge(&mut self, key: &SeriesKey, q: &MetricQuery, from: Timestamp, fresh: Vec<Datapoint>) {
        let span = q.end - q.start;
        let entry = self
            .entries
            .entry((key.clone(), q.period.as_secs()))
            .or_insert_with(|| CacheEntry {
                points: Vec::new(),
                covered_from: from,
                covered_until: from,
                last_used: q.end,
                longest: span,
                longest_asked: q.end,
            });
        if span >= entry.longest || q.end - entry.longest_asked > WINDOW_MEMORY {
            entry.longest = span;
            entry.longest_asked = q.end;
        }
        // Contiguous with what is held: coverage grows; otherwise it starts again at `from`.
        let contiguous = from >= entry.covered_from && from <= entry.covered_until;
        if !contiguous {
            entry.points.clear();
            entry.covered_from = from;
        }
        entry.points.retain(|p| p.at < from);
        entry
            .points
            .extend(fresh.into_iter().filter(|p| p.at >= from && p.at < q.end));
        entry.points.sort_by_key(|p| p.at);
        entry.points.dedup_by_key(|p| p.at);
        let keep_from = q.end - entry.longest;
        entry.covered_from = entry.covered_from.max(keep_from);
        let covered_from = entry.covered_from;
        entry.points.retain(|p| p.at >= covered_from);
        entry.covered_until = q.end;
        entry.last_used = q.end;
    }

    fn points(&self, key: &SeriesKey, q: &MetricQuery) -> Vec<Datapoint> {
        self.entries
            .get(&(key.clone(), q.period.as_secs()))
            .map(|e| {
                e.points
                    .iter()
                    .copied()
                    .filter(|p| p.at >= q.start && p.at < q.end)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn evict_idle(&mut self, now: Timestamp) {
        self.entries
            .retain(|_, e| now - e.last_used <= IDLE_EVICTION);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

fn metric_query(id: String, key: &SeriesKey, period_secs: i32) -> MetricDataQuery {
    let mut metric = Metric::builder()
        .namespace(key.metric.namespace().as_str())
        .metric_name(key.metric.as_str());
    // Components by InferenceComponentName, async backlog by EndpointName alone:
    // https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html
    for (name, value) in key.dimensions() {
        metric = metric.dimensions(Dimension::builder().name(name).value(value).build());
    }
    let metric = metric.build();
    let stat = MetricStat::builder()
        .metric(metric)
        .period(period_secs)
        .stat(key.stat.as_str())
        .build();
    MetricDataQuery::builder()
        .id(id)
        .metric_stat(stat)
        .return_data(true)
        .build()
}

impl AwsBackend {
    pub(crate) async fn get_metrics_impl(
        &self,
        q: &MetricQuery,
    ) -> BackendResult<Vec<MetricSeries>> {
        let period_secs = i32::try_from(q.period.as_secs().max(1)).unwrap_or(i32::MAX);
        let period = chrono::Duration::seconds(i64::from(period_secs));
        if q.series.is_empty() || q.end <= q.start {
            return Ok(q
                .series
                .iter()
                .map(|k| MetricSeries {
                    key: k.clone(),
                    points: Vec::new(),
                    status: SeriesStatus::Complete,
                })
                .collect());
        }
        // Each distinct series once, grouped by where its fetch starts.
        let mut unique: Vec<&SeriesKey> = Vec::new();
        for k in &q.series {
            if !unique.contains(&k) {
                unique.push(k);
            }
        }
        let groups: BTreeMap<Timestamp, Vec<&SeriesKey>> = {
            let cache = self.metric_cache.lock().unwrap_or_else(|p| p.into_inner());
            let mut g: BTreeMap<Timestamp, Vec<&SeriesKey>> = BTreeMap::new();
            for k in unique {
                g.entry(cache.fetch_start(k, q, period))
                    .or_default()
                    .push(k);
            }
            g
        };
        let mut failed: HashMap<SeriesKey, SeriesStatus> = HashMap::new();
        for (start, keys) in groups {
            let periods = (q.end - start)
                .num_seconds()
                .div_euclid(i64::from(period_secs))
                .max(1);
            let points = usize::try_from(periods).unwrap_or(usize::MAX);
            let mut offset = 0;
            for size in plan_batches(keys.len(), points) {
                let batch = &keys[offset..offset + size];
                offset += size;
                let fresh = self.fetch_batch(batch, start, q.end, period_secs).await?;
                let mut cache = self.metric_cache.lock().unwrap_or_else(|p| p.into_inner());
                for (key, got) in batch.iter().zip(fresh) {
                    match got {
                        Ok(pts) => cache.merge(key, q, start, pts),
                        // What is cached stays as it was; the next poll asks again.
                        Err(status) => {
                            failed.insert((*key).clone(), status);
                        }
                    }
                }
            }
        }
        let mut cache = self.metric_cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.evict_idle(q.end);
        Ok(q.series
            .iter()
            .map(|k| match failed.get(k) {
                Some(status) => MetricSeries {
                    key: k.clone(),
                    points: Vec::new(),
                    status: status.clone(),
                },
                None => MetricSeries {
                    key: k.clone(),
                    points: cache.points(k, q),
                    status: SeriesStatus::Complete,
                },
            })
            .collect())
    }

    /// One batch (≤ 500 series) over [start, end), every page; per series, in order, its
    /// points or why CloudWatch could not deliver it. Each `MetricDataResult` has its own
    /// StatusCode: Complete, PartialData (more on the next page, asked for with the same
    /// parameters and the NextToken), InternalError or Forbidden (that series alone failed).
    /// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html
    /// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
    async fn fetch_batch(
        &self,
        batch: &[&SeriesKey],
        start: Timestamp,
        end: Timestamp,
        period_secs: i32,
    ) -> BackendResult<Vec<Result<Vec<Datapoint>, SeriesStatus>>> {
        let op = Operation::GetMetricData;
        let queries: Vec<MetricDataQuery> = batch
            .iter()
            .enumerate()
            .map(|(i, k)| metric_query(query_id(i), k, period_secs))
            .collect();
        let mut points: Vec<Result<Vec<Datapoint>, SeriesStatus>> =
            vec![Ok(Vec::new()); batch.len()];
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .cloudwatch
                .get_metric_data()
                .set_metric_data_queries(Some(queries.clone()))
                .start_time(from_time(start))
                .end_time(from_time(end))
                .scan_by(ScanBy::TimestampAscending)
                .set_next_token(token.clone());
            self.shared.stats.metrics_requested(queries.len() as u64);
            let out = self.call(op, None, req.send()).await?;
            for r in out.metric_data_results() {
                let Some(i) = r.id().and_then(parse_query_id).filter(|i| *i < batch.len()) else {
                    tracing::warn!(id = ?r.id(), "GetMetricData returned an unknown query id");
                    continue;
                };
                let failure = match r.status_code() {
                    Some(StatusCode::Forbidden) => {
                        Some(("Forbidden", "access to this metric is denied"))
                    }
                    Some(StatusCode::InternalError) => {
                        Some(("InternalError", "CloudWatch could not compute the series"))
                    }
                    _ => None,
                };
                if let Some((code, default)) = failure {
                    let message = result_message(r, default);
                    tracing::debug!(series = ?batch[i], code, %message, "metric series failed");
                    points[i] = Err(SeriesStatus::Failed {
                        code: code.to_string(),
                        message,
                    });
                    continue;
                }
                if let Ok(p) = &mut points[i] {
                    p.extend(
                        r.timestamps()
                            .iter()
                            .zip(r.values())
                            .map(|(t, v)| Datapoint {
                                at: to_time(t),
                                value: *v,
                            }),
                    );
                }
            }
            if !super::next_page(&mut token, out.next_token()) {
                break;
            }
        }
        Ok(points)
    }
}

fn result_message(r: &aws_sdk_cloudwatch::types::MetricDataResult, default: &str) -> String {
    let m: Vec<&str> = r.messages().iter().filter_map(|m| m.value()).collect();
    if m.is_empty() {
        default.to_string()
    } else {
        m.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_query_and_datapoint_limits() {
        assert_eq!(plan_batches(0, 10), Vec::<usize>::new());
        assert_eq!(plan_batches(1200, 10), vec![500, 500, 200]);
        // A day of minutes: 1,440 points per series → 70 series per call.
        assert_eq!(plan_batches(150, 1440), vec![70, 70, 10]);
        // More points than one call holds: one series per call, paged by NextToken.
        assert_eq!(plan_batches(2, 200_000), vec![1, 1]);
        for (n, p) in [(1234, 10), (999, 1440), (10, 100_800)] {
            let plan = plan_batches(n, p);
            assert_eq!(plan.iter().sum::<usize>(), n);
            assert!(
                plan.iter()
                    .all(|s| *s <= MAX_QUERIES_PER_CALL && s * p <= MAX_DATAPOINTS_PER_CALL)
            );
        }
    }

    #[test]
    fn query_ids_are_valid_and_round_trip() {
        for i in [0, 7, 499] {
            let id = query_id(i);
            let mut chars = id.chars();
            assert!(chars.next().is_some_and(|c| c.is_ascii_lowercase()));
            assert!(chars.all(|c| c.is_ascii_alphanumeric() || c == '_'));
            assert_eq!(parse_query_id(&id), Some(i));
        }
        assert_eq!(parse_query_id("x1"), None);
    }

    #[test]
    fn cache_asks_only_for_the_newest_periods_and_evicts_idle_series() {
        let t0 = crate::clock::fixture_epoch();
        let min = chrono::Duration::minutes(1);
        let key = SeriesKey::new("ep", "v", MetricName::Invocations, Statistic::Sum);
        let q = |end: i32| MetricQuery {
            series: vec![key.clone()],
            start: t0 + min * (end - 10),
            end: t0 + min * end,
            period: std::time::Duration::from_secs(60),
        };
        let mut cache = MetricCache::default();
        assert_eq!(cache.fetch_start(&key, &q(10), min), t0);
        let pts: Vec<Datapoint> = (0..10)
            .map(|i| Datapoint {
                at: t0 + min * i,
                value: f64::from(i),
            })
            .collect();
        cache.merge(&key, &q(10), t0, pts);
        // One minute later: re-read the last two minutes held, nothing older.
        assert_eq!(cache.fetch_start(&key, &q(11), min), t0 + min * 8);
        let fresh = vec![
            Datapoint {
                at: t0 + min * 9,
                value: 90.0,
            },
            Datapoint {
                at: t0 + min * 10,
                value: 100.0,
            },
        ];
        cache.merge(&key, &q(11), t0 + min * 8, fresh);
        let got = cache.points(&key, &q(11));
        assert_eq!(
            got.len(),
            9,
            "minute 8 was re-asked and came back empty; minute 0 left the window"
        );
        assert_eq!(got.first().unwrap().at, t0 + min);
        assert_eq!(got.last().unwrap().value, 100.0);
        assert_eq!(got[got.len() - 2].value, 90.0);
        cache.evict_idle(t0 + min * 11 + chrono::Duration::hours(2));
        assert_eq!(cache.len(), 0);
    }

    #[test]
    fn a_short_poll_does_not_trim_what_a_long_chart_window_holds() {
        let t0 = crate::clock::fixture_epoch();
        let min = chrono::Duration::minutes(1);
        let key = SeriesKey::new("ep", "v", MetricName::Invocations, Statistic::Sum);
        let q = |end: i32, len: i32| MetricQuery {
            series: vec![key.clone()],
            start: t0 + min * (end - len),
            end: t0 + min * end,
            period: std::time::Duration::from_secs(60),
        };
        let pts = |from: i32, to: i32| -> Vec<Datapoint> {
            (from..to)
                .map(|i| Datapoint {
                    at: t0 + min * i,
                    value: f64::from(i),
                })
                .collect()
        };
        let mut cache = MetricCache::default();
        // The chart loads an hour.
        cache.merge(&key, &q(60, 60), t0, pts(0, 60));
        // The fleet poll asks for the last 10 minutes, one minute later.
        let start = cache.fetch_start(&key, &q(61, 10), min);
        assert_eq!(start, t0 + min * 58);
        cache.merge(&key, &q(61, 10), start, pts(58, 61));
        // The chart's next poll only needs the newest minutes and still gets the whole hour.
        let start = cache.fetch_start(&key, &q(62, 60), min);
        assert_eq!(start, t0 + min * 59, "only the newest periods are re-read");
        cache.merge(&key, &q(62, 60), start, pts(59, 62));
        let got = cache.points(&key, &q(62, 60));
        assert_eq!(got.len(), 60, "the hour is still there");
        assert_eq!(got.first().unwrap().at, t0 + min * 2);
        // A window held but not covered (asked first for 10 minutes) is fetched whole.
        let mut fresh = MetricCache::default();
        fresh.merge(&key, &q(60, 10), t0 + min * 50, pts(50, 60));
        assert_eq!(fresh.fetch_start(&key, &q(61, 60), min), t0 + min);
        // Long windows not asked for in a while stop being kept.
        for end in 63..(63 + 20) {
            let start = cache.fetch_start(&key, &q(end, 10), min);
            cache.merge(&key, &q(end, 10), start, pts(end - 2, end));
        }
        assert!(cache.points(&key, &q(82, 60)).len() <= 10);
    }
}
