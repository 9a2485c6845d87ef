//! Charts of the endpoint detail: the series each chart draws (µs → ms, sums → per minute,
//! averages → rates) and the latency decomposition. Time windows and the charts query live
//! with the charts poller (`poll::charts`); markers on the time axis live in `markers`.

use crate::domain::*;
use serde::{Deserialize, Serialize};

pub use super::markers::*;
pub use crate::poll::charts::*;

/// The charts drawn for a variant, in priority order (what does not fit is left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    Invocations,
    Latency,
    Errors,
    Utilization,
    Gpu,
}

impl ChartKind {
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Invocations => "Inv/min",
            ChartKind::Latency => "Latency ms",
            ChartKind::Errors => "Errors % (n)",
            ChartKind::Utilization => "Util %",
            ChartKind::Gpu => "GPU %",
        }
    }

    /// Unit suffix of the y-axis labels.
    pub fn unit(self) -> &'static str {
        match self {
            ChartKind::Invocations => "",
            ChartKind::Latency => "ms",
            _ => "%",
        }
    }
}

/// The charts a variant has: utilization only for instance-backed, GPU only on GPU types.
pub fn chart_kinds(variant: &Variant) -> Vec<ChartKind> {
    let mut out = vec![
        ChartKind::Invocations,
        ChartKind::Latency,
        ChartKind::Errors,
    ];
    if variant.serverless.is_none() {
        out.push(ChartKind::Utilization);
        if variant
            .instance_type
            .as_deref()
            .is_some_and(crate::poll::fleet::is_gpu_instance)
        {
            out.push(ChartKind::Gpu);
        }
    }
    out
}

/// One drawn line: (seconds since the window start, value in display units).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartLine {
    pub label: &'static str,
    pub points: Vec<(f64, f64)>,
    /// Newest value (display units).
    pub latest: Option<f64>,
    /// Sum of the raw series over the window (error counts), when meaningful.
    pub total: Option<f64>,
}

#[derive(Clone, Copy)]
enum Convert {
    PerMinute,
    Ms,
    Percent,
    Plain,
}

fn line(
    data: &ChartsData,
    variant: &str,
    label: &'static str,
    metric: MetricName,
    stat: Statistic,
    convert: Convert,
    total_of: Option<(MetricName, Statistic)>,
) -> Option<ChartLine> {
    let find = |m: MetricName, s: Statistic| {
        data.series
            .iter()
            .find(|x| x.key.variant == variant && x.key.metric == m && x.key.stat == s)
    };
    let series = find(metric, stat)?;
    let minutes = (data.period.as_secs() as f64 / 60.0).max(1.0);
    let f = |v: f64| match convert {
        Convert::PerMinute => v / minutes,
        Convert::Ms => micros_to_ms(v),
        Convert::Percent => v * 100.0,
        Convert::Plain => v,
    };
    let points: Vec<(f64, f64)> = series
        .points
        .iter()
        .filter(|p| p.at >= data.start && p.at < data.end && p.value.is_finite())
        .map(|p| ((p.at - data.start).num_seconds() as f64, f(p.value)))
        .collect();
    let total = total_of
        .and_then(|(m, s)| find(m, s))
        .map(|s| s.points.iter().map(|p| p.value).sum());
    Some(ChartLine {
        label,
        latest: points.last().map(|p| p.1),
        points,
        total,
    })
}

/// The lines of one chart of one variant, from a charts poll.
pub fn chart_lines(data: &ChartsData, variant: &str, kind: ChartKind) -> Vec<ChartLine> {
    use Convert as C;
    use MetricName as M;
    use Statistic as S;
    let l = |label, m, s, c, t| line(data, variant, label, m, s, c, t);
    let lines = match kind {
        ChartKind::Invocations => vec![
            l("total", M::Invocations, S::Sum, C::PerMinute, None),
            l(
                "/inst",
                M::InvocationsPerInstance,
                S::Sum,
                C::PerMinute,
                None,
            ),
        ],
        ChartKind::Latency => vec![
            l("avg", M::ModelLatency, S::Average, C::Ms, None),
            l("p99", M::ModelLatency, S::P99, C::Ms, None),
            l("ovh", M::OverheadLatency, S::Average, C::Ms, None),
        ],
        ChartKind::Errors => vec![
            l(
                "5XX",
                M::Invocation5XXErrors,
                S::Average,
                C::Percent,
                Some((M::Invocation5XXErrors, S::Sum)),
            ),
            l(
                "4XX",
                M::Invocation4XXErrors,
                S::Average,
                C::Percent,
                Some((M::Invocation4XXErrors, S::Sum)),
            ),
        ],
        ChartKind::Utilization => vec![
            l("cpu", M::CPUUtilization, S::Average, C::Plain, None),
            l("mem", M::MemoryUtilization, S::Average, C::Plain, None),
            l("disk", M::DiskUtilization, S::Average, C::Plain, None),
        ],
        ChartKind::Gpu => vec![
            l("gpu", M::GPUUtilization, S::Average, C::Plain, None),
            l("mem", M::GPUMemoryUtilization, S::Average, C::Plain, None),
        ],
    };
    lines.into_iter().flatten().collect()
}

/// Client-visible latency of one variant measured by the last load run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientLatency {
    /// Mean round trip seen by the client, milliseconds.
    pub avg_ms: f64,
    pub p99_ms: Option<f64>,
    pub requests: u64,
    /// When the load run ended.
    pub at: Timestamp,
}

/// Client latency split into what the model, SageMaker's overhead and the network took.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatencyBreakdown {
    pub client_ms: Option<f64>,
    pub model_ms: Option<f64>,
    pub overhead_ms: Option<f64>,
    /// client − model − overhead (never below 0); `None` without a load run.
    pub network_ms: Option<f64>,
}

/// Client-visible = network + OverheadLatency + ModelLatency (AWS's decomposition).
pub fn decompose(
    client: Option<&ClientLatency>,
    model_ms: Option<f64>,
    overhead_ms: Option<f64>,
) -> LatencyBreakdown {
    let client_ms = client.map(|c| c.avg_ms);
    let network_ms = match (client_ms, model_ms, overhead_ms) {
        (Some(c), Some(m), Some(o)) => Some((c - m - o).max(0.0)),
        _ => None,
    };
    LatencyBreakdown {
        client_ms,
        model_ms,
        overhead_ms,
        network_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::fixture_epoch;
    use std::time::Duration;

    fn t(secs: i64) -> Timestamp {
        fixture_epoch() + chrono::Duration::seconds(secs)
    }

    #[test]
    fn windows_cycle_and_parse() {
        let mut w = ChartWindow::M15;
        let mut seen = vec![];
        for _ in 0..6 {
            seen.push(w.label());
            w = w.next();
        }
        assert_eq!(seen, ["15m", "1h", "3h", "12h", "24h", "7d"]);
        assert_eq!(w, ChartWindow::M15);
        assert_eq!(ChartWindow::parse("24H"), Some(ChartWindow::H24));
        assert_eq!(ChartWindow::parse("2h"), None);
    }

    #[test]
    fn every_window_query_stays_inside_get_metric_data_limits() {
        for w in ChartWindow::ALL {
            for series in 1..=1_200 {
                let p = w.period(series);
                assert_eq!(p.as_secs() % 60, 0, "{w:?} {series}: period {p:?}");
                let points = w.duration().as_secs().div_ceil(p.as_secs());
                assert!(points <= MAX_POINTS_PER_SERIES, "{w:?}: {points} points");
                let per_call = series.min(MAX_QUERIES_PER_CALL) as u64;
                assert!(
                    points * per_call <= MAX_DATAPOINTS_PER_CALL,
                    "{w:?} x {series}: {} datapoints",
                    points * per_call
                );
                assert!(w.poll_interval(series) >= Duration::from_secs(60));
            }
        }
        // One variant's charts at one-minute resolution up to a day; a week needs 10 min.
        assert_eq!(ChartWindow::H1.period(15).as_secs(), 60);
        assert_eq!(ChartWindow::H24.period(15).as_secs(), 60);
        assert_eq!(ChartWindow::D7.period(15).as_secs(), 600);
        // 500 series leave 201 points each.
        assert_eq!(ChartWindow::H24.period(500).as_secs(), 600);
    }

    #[test]
    fn periods_respect_cloudwatch_retention() {
        let day = Duration::from_secs(86_400);
        assert_eq!(choose_period(day, 1, day * 14).as_secs(), 60);
        assert_eq!(choose_period(day, 1, day * 16).as_secs(), 300);
        assert_eq!(choose_period(day, 1, day * 64).as_secs(), 3_600);
    }

    fn data(series: Vec<MetricSeries>, period: u64) -> ChartsData {
        ChartsData {
            endpoint: "ep".into(),
            window: ChartWindow::H1,
            start: t(0),
            end: t(3_600),
            period: Duration::from_secs(period),
            series,
        }
    }

    fn series(metric: MetricName, stat: Statistic, values: &[(i64, f64)]) -> MetricSeries {
        MetricSeries {
            key: SeriesKey::new("ep", "v1", metric, stat),
            points: values
                .iter()
                .map(|(s, v)| Datapoint {
                    at: t(*s),
                    value: *v,
                })
                .collect(),
            status: SeriesStatus::Complete,
        }
    }

    #[test]
    fn latency_is_drawn_in_milliseconds_from_microseconds() {
        let d = data(
            vec![series(
                MetricName::ModelLatency,
                Statistic::Average,
                &[(0, 12_500.0), (60, 850.0)],
            )],
            60,
        );
        let lines = chart_lines(&d, "v1", ChartKind::Latency);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].points, vec![(0.0, 12.5), (60.0, 0.85)]);
        assert_eq!(lines[0].latest, Some(0.85));
    }

    #[test]
    fn sums_become_per_minute_and_averages_become_rates() {
        let d = data(
            vec![
                series(MetricName::Invocations, Statistic::Sum, &[(0, 3_000.0)]),
                series(
                    MetricName::Invocation5XXErrors,
                    Statistic::Average,
                    &[(0, 0.002)],
                ),
                series(
                    MetricName::Invocation5XXErrors,
                    Statistic::Sum,
                    &[(0, 4.0), (300, 2.0)],
                ),
            ],
            300,
        );
        let inv = chart_lines(&d, "v1", ChartKind::Invocations);
        assert_eq!(inv[0].latest, Some(600.0));
        let err = chart_lines(&d, "v1", ChartKind::Errors);
        assert!((err[0].latest.unwrap() - 0.2).abs() < 1e-9);
        assert_eq!(err[0].total, Some(6.0));
    }

    #[test]
    fn network_is_what_the_model_and_overhead_do_not_explain() {
        let c = ClientLatency {
            avg_ms: 52.0,
            p99_ms: None,
            requests: 100,
            at: t(0),
        };
        let b = decompose(Some(&c), Some(38.0), Some(4.0));
        assert_eq!(b.network_ms, Some(10.0));
        assert_eq!(decompose(None, Some(38.0), Some(4.0)).network_ms, None);
        let fast = ClientLatency { avg_ms: 40.0, ..c };
        assert_eq!(
            decompose(Some(&fast), Some(38.0), Some(4.0)).network_ms,
            Some(0.0)
        );
    }
}
