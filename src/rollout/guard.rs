//! The guard of a traffic shift: per-minute Invocation5XXErrors rate and ModelLatency of the
//! target variant, read through the Backend (GetMetricData), checked against thresholds.

use std::collections::BTreeMap;
use std::time::Duration;

use super::Guard;
use crate::domain::*;
use crate::write::request::weight_text;

/// One complete minute of the target variant.
#[derive(Debug, Clone, PartialEq)]
pub struct MinuteFigures {
    pub minute: Timestamp,
    pub invocations: f64,
    pub errors_5xx: f64,
    pub latency_ms: Option<f64>,
}

impl MinuteFigures {
    pub fn rate_5xx(&self) -> Option<f64> {
        (self.invocations > 0.0).then(|| (self.errors_5xx / self.invocations).clamp(0.0, 1.0))
    }
}

/// The three series the guard reads for `variant`, minutes in [start, end).
pub fn query(endpoint: &str, variant: &str, start: Timestamp, end: Timestamp) -> MetricQuery {
    let key = |m, s| SeriesKey::new(endpoint, variant, m, s);
    MetricQuery {
        series: vec![
            key(MetricName::Invocations, Statistic::Sum),
            key(MetricName::Invocation5XXErrors, Statistic::Sum),
            key(MetricName::ModelLatency, Statistic::Average),
        ],
        start,
        end,
        period: Duration::from_secs(60),
    }
}

/// Folds the series into minutes (oldest first); minutes without invocations are left out.
pub fn minutes(series: &[MetricSeries]) -> Vec<MinuteFigures> {
    let mut by_minute: BTreeMap<Timestamp, MinuteFigures> = BTreeMap::new();
    for s in series {
        for p in &s.points {
            let m = by_minute.entry(p.at).or_insert(MinuteFigures {
                minute: p.at,
                invocations: 0.0,
                errors_5xx: 0.0,
                latency_ms: None,
            });
            match s.key.metric {
                MetricName::Invocations => m.invocations = p.value,
                MetricName::Invocation5XXErrors => m.errors_5xx = p.value,
                MetricName::ModelLatency => m.latency_ms = Some(p.value / 1000.0),
                _ => {}
            }
        }
    }
    by_minute
        .into_values()
        .filter(|m| m.invocations > 0.0)
        .collect()
}

/// Why this minute breaches the guard, in the metrics' own names.
pub fn breach(guard: &Guard, variant: &str, m: &MinuteFigures) -> Option<String> {
    let at = m.minute.format("%H:%M UTC");
    if let Some(rate) = m.rate_5xx()
        && rate > guard.max_5xx_rate
    {
        return Some(format!(
            "{variant} Invocation5XXErrors rate {}% > {}% in the minute of {at} ({} of {} invocations)",
            weight_text((rate * 1000.0).round() / 10.0),
            weight_text(guard.max_5xx_rate * 100.0),
            m.errors_5xx,
            m.invocations
        ));
    }
    if let Some(ms) = m.latency_ms
        && ms > guard.max_latency_ms
    {
        return Some(format!(
            "{variant} ModelLatency {} ms > {} ms in the minute of {at}",
            weight_text(ms.round()),
            weight_text(guard.max_latency_ms)
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaches_name_the_metric_and_the_figures() {
        let g = Guard {
            max_5xx_rate: 0.01,
            max_latency_ms: 100.0,
        };
        let m = |inv: f64, err: f64, lat: f64| MinuteFigures {
            minute: crate::clock::fixture_epoch(),
            invocations: inv,
            errors_5xx: err,
            latency_ms: Some(lat),
        };
        assert_eq!(
            breach(&g, "B", &m(1000.0, 10.0, 50.0)),
            None,
            "exactly 1% is fine"
        );
        let r = breach(&g, "B", &m(1000.0, 125.0, 50.0)).unwrap();
        assert!(r.contains("Invocation5XXErrors rate 12.5% > 1%"), "{r}");
        let r = breach(&g, "B", &m(1000.0, 0.0, 180.0)).unwrap();
        assert!(r.contains("ModelLatency 180 ms > 100 ms"), "{r}");
    }
}
