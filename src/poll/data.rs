//! What the pollers deliver: the panels, each poll's owned and timestamped snapshot, and the
//! events the polling services send (mapped to `app::Action`s by the runtime).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::boundary::BackendError;
use crate::domain::*;

/// A data source the console polls; each has its own health and staleness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Panel {
    Identity,
    Endpoints,
    Metrics,
    Autoscaling,
    Quotas,
    Events,
    /// Series of the endpoint on screen over the chart window.
    Charts,
}

impl Panel {
    pub const ALL: [Panel; 7] = [
        Panel::Identity,
        Panel::Endpoints,
        Panel::Metrics,
        Panel::Autoscaling,
        Panel::Quotas,
        Panel::Events,
        Panel::Charts,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Panel::Identity => "identity",
            Panel::Endpoints => "endpoints",
            Panel::Metrics => "metrics",
            Panel::Autoscaling => "autoscaling",
            Panel::Quotas => "quotas",
            Panel::Events => "events",
            Panel::Charts => "charts",
        }
    }
}

/// Latest figures of one variant, from the newest complete CloudWatch datapoints.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantMetrics {
    /// Start of the minute the newest datapoint covers.
    pub at: Option<Timestamp>,
    pub invocations_per_min: Option<f64>,
    pub invocations_per_instance: Option<f64>,
    /// Milliseconds (converted from CloudWatch's microseconds).
    pub model_latency_ms: Option<f64>,
    pub model_latency_p99_ms: Option<f64>,
    pub overhead_latency_ms: Option<f64>,
    pub errors_4xx: Option<f64>,
    pub errors_5xx: Option<f64>,
    /// Percent, summed over cores (a 4-vCPU instance reads 0–400).
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    pub disk: Option<f64>,
    /// Percent, summed over GPUs.
    pub gpu: Option<f64>,
    pub gpu_memory: Option<f64>,
    /// Series CloudWatch could not deliver this poll (GetMetricData's per-series StatusCode
    /// InternalError or Forbidden): their figures are unknown, not zero.
    #[serde(default)]
    pub failed: Vec<(crate::domain::MetricName, crate::domain::Statistic)>,
}

/// Endpoint descriptions from one poll; endpoints that failed to describe are listed apart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EndpointsData {
    pub endpoints: Vec<Endpoint>,
    /// Endpoint name → why its describe failed (the rest of the list is still good).
    pub failed: BTreeMap<String, BackendError>,
    /// Endpoint name → when its description (variants) was last read; endpoints missing
    /// here are known only from `ListEndpoints` so far.
    #[serde(default)]
    pub described_at: BTreeMap<String, Timestamp>,
}

/// Latest metrics of every variant, keyed by (endpoint, variant), plus the raw recent series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MetricsData {
    pub latest: BTreeMap<(String, String), VariantMetrics>,
    pub series: Vec<MetricSeries>,
    /// Endpoint name → when its figures were read (the cost governor reads some endpoints
    /// less often than every minute; rows show how old their figures are).
    #[serde(default)]
    pub fetched_at: BTreeMap<String, Timestamp>,
    /// What the cost governor chose in the newest poll (`:api`).
    #[serde(default)]
    pub budget: Option<super::metric_budget::BudgetReport>,
}

/// Autoscaling of every endpoint polled: configuration and recent activities.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoscalingData {
    pub config: BTreeMap<String, Vec<VariantAutoscaling>>,
    pub activities: BTreeMap<String, Vec<ScalingActivity>>,
    /// Activities that could not be read while the configuration could (shown as the
    /// panel's error next to the configuration that did load).
    #[serde(default)]
    pub activity_errors: BTreeMap<String, BackendError>,
    /// How endpoints are hosted beyond classic variants (components, async, multi-model).
    #[serde(default)]
    pub hosting: BTreeMap<String, EndpointHosting>,
    /// The watched endpoint's hosting metrics (components, backlog, cache), last minutes.
    #[serde(default)]
    pub hosting_metrics: BTreeMap<String, Vec<MetricSeries>>,
    /// Inference components' copy-count autoscaling, by component name.
    #[serde(default)]
    pub components: BTreeMap<String, ComponentAutoscaling>,
}

/// What a successful poll carries.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelData {
    Identity(Identity),
    Endpoints(EndpointsData),
    Metrics(MetricsData),
    Autoscaling(AutoscalingData),
    Quotas(Vec<ServiceQuota>),
    Events(Vec<TrailEvent>),
    Charts(super::charts::ChartsData),
}

impl PanelData {
    pub fn panel(&self) -> Panel {
        match self {
            PanelData::Identity(_) => Panel::Identity,
            PanelData::Endpoints(_) => Panel::Endpoints,
            PanelData::Metrics(_) => Panel::Metrics,
            PanelData::Autoscaling(_) => Panel::Autoscaling,
            PanelData::Quotas(_) => Panel::Quotas,
            PanelData::Events(_) => Panel::Events,
            PanelData::Charts(_) => Panel::Charts,
        }
    }
}

/// An owned, timestamped result of one poll.
#[derive(Debug, Clone, PartialEq)]
pub struct Polled {
    pub panel: Panel,
    /// When the poll finished (injected clock).
    pub at: Timestamp,
    pub result: Result<PanelData, BackendError>,
    /// After a failure: how long the poller waits before trying again.
    pub retry_in: Option<Duration>,
}

/// What the pollers send: a poll started (shown as "refreshing") or finished.
#[derive(Debug, Clone, PartialEq)]
pub enum PollEvent {
    Started(Panel),
    Polled(Polled),
}
