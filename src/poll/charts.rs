//! What the charts poller asks for: time windows, the period that keeps a `GetMetricData`
//! query inside its limits, the series of a variant and the data a charts poll carries.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::domain::*;

/// Most datapoints one `GetMetricData` call returns.
pub const MAX_DATAPOINTS_PER_CALL: u64 = 100_800;
/// Most metric queries in one `GetMetricData` call.
pub const MAX_QUERIES_PER_CALL: usize = 500;
/// Datapoints per series we ask for at most (one day of minutes).
pub const MAX_POINTS_PER_SERIES: u64 = 1_440;
/// CloudWatch keeps 60 s data 15 days, 300 s data 63 days, 3600 s data 455 days.
pub const RETENTION_60S: Duration = Duration::from_secs(15 * 86_400);
pub const RETENTION_300S: Duration = Duration::from_secs(63 * 86_400);
/// Periods we choose from (multiples of 60 s that read well on an axis).
pub const PERIODS: [u64; 12] = [
    60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400,
];
/// Charts are never polled more often than this, whatever the period.
pub const MIN_POLL: Duration = Duration::from_secs(60);

/// The time span the detail charts show; `t` cycles through them.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub enum ChartWindow {
    M15,
    #[default]
    H1,
    H3,
    H12,
    H24,
    D7,
}

impl ChartWindow {
    pub const ALL: [ChartWindow; 6] = [
        ChartWindow::M15,
        ChartWindow::H1,
        ChartWindow::H3,
        ChartWindow::H12,
        ChartWindow::H24,
        ChartWindow::D7,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChartWindow::M15 => "15m",
            ChartWindow::H1 => "1h",
            ChartWindow::H3 => "3h",
            ChartWindow::H12 => "12h",
            ChartWindow::H24 => "24h",
            ChartWindow::D7 => "7d",
        }
    }

    pub fn duration(self) -> Duration {
        let mins = match self {
            ChartWindow::M15 => 15,
            ChartWindow::H1 => 60,
            ChartWindow::H3 => 180,
            ChartWindow::H12 => 720,
            ChartWindow::H24 => 1_440,
            ChartWindow::D7 => 7 * 1_440,
        };
        Duration::from_secs(mins * 60)
    }

    /// The next window (7d wraps to 15m).
    pub fn next(self) -> ChartWindow {
        let i = Self::ALL.iter().position(|w| *w == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    pub fn parse(s: &str) -> Option<ChartWindow> {
        let s = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|w| w.label() == s)
    }

    /// The period of this window's query for `series` series (see [`choose_period`]).
    pub fn period(self, series: usize) -> Duration {
        choose_period(self.duration(), series, self.duration())
    }

    /// How often the charts of this window are polled: once per period, at most once a minute.
    pub fn poll_interval(self, series: usize) -> Duration {
        self.period(series).max(MIN_POLL)
    }
}

/// The shortest period (from [`PERIODS`]) that keeps one query of `series` series over
/// `window` within 1,440 points per series and 100,800 datapoints per call (500 series per
/// call at most; the backend splits bigger queries), and that CloudWatch still keeps for data
/// `oldest` old (60 s data 15 days, 300 s data 63 days, then hours).
pub fn choose_period(window: Duration, series: usize, oldest: Duration) -> Duration {
    let per_call = series.clamp(1, MAX_QUERIES_PER_CALL) as u64;
    let max_points = MAX_POINTS_PER_SERIES.min(MAX_DATAPOINTS_PER_CALL / per_call);
    let floor = if oldest > RETENTION_300S {
        3_600
    } else if oldest > RETENTION_60S {
        300
    } else {
        60
    };
    let w = window.as_secs().max(60);
    let p = PERIODS
        .into_iter()
        .filter(|p| *p >= floor)
        .find(|p| w.div_ceil(*p) <= max_points)
        .unwrap_or(86_400);
    Duration::from_secs(p)
}

/// Start of the period containing `t` (periods aligned to the Unix epoch).
pub fn period_floor(t: Timestamp, period: Duration) -> Timestamp {
    let p = period.as_secs().max(60) as i64;
    let secs = t.timestamp() - t.timestamp().rem_euclid(p);
    chrono::DateTime::from_timestamp(secs, 0).unwrap_or(t)
}

/// Series the charts of one variant draw: what the tables poll, plus the error rates
/// (CloudWatch's Average of the 0/1 error metrics).
pub fn chart_series(endpoint: &str, variant: &Variant) -> Vec<SeriesKey> {
    let mut series = crate::poll::fleet::variant_series(endpoint, variant);
    for metric in [
        MetricName::Invocation4XXErrors,
        MetricName::Invocation5XXErrors,
    ] {
        series.push(SeriesKey::new(
            endpoint,
            &variant.name,
            metric,
            Statistic::Average,
        ));
    }
    series
}

/// The one query behind an endpoint's charts: every variant, the window ending at the last
/// complete period before `now`.
pub fn chart_query(endpoint: &Endpoint, window: ChartWindow, now: Timestamp) -> MetricQuery {
    let series: Vec<SeriesKey> = endpoint
        .variants
        .iter()
        .flat_map(|v| chart_series(&endpoint.name, v))
        .collect();
    let period = window.period(series.len());
    let end = period_floor(now, period);
    let start = end - chrono::Duration::from_std(window.duration()).unwrap_or_default();
    MetricQuery {
        series,
        start,
        end,
        period,
    }
}

/// What a charts poll carries: the watched endpoint's series over one window.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartsData {
    pub endpoint: String,
    pub window: ChartWindow,
    pub start: Timestamp,
    pub end: Timestamp,
    pub period: Duration,
    pub series: Vec<MetricSeries>,
}
