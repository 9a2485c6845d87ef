//! CloudWatch metric names, units, statistics and the batch query shape.

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::Timestamp;

/// CloudWatch namespace a metric lives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Namespace {
    /// `AWS/SageMaker`: invocation metrics.
    Invocations,
    /// `/aws/sagemaker/Endpoints`: instance utilization metrics.
    Instances,
    /// `/aws/sagemaker/InferenceComponents`: utilization normalized to a component's share.
    /// https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html#cloudwatch-metrics-inference-component
    Components,
}

impl Namespace {
    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Invocations => "AWS/SageMaker",
            Namespace::Instances => "/aws/sagemaker/Endpoints",
            Namespace::Components => "/aws/sagemaker/InferenceComponents",
        }
    }
}

/// Unit CloudWatch reports a metric in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MetricUnit {
    Count,
    Microseconds,
    Percent,
    Seconds,
}

/// The endpoint metrics sagetop reads (real CloudWatch names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum MetricName {
    Invocations,
    InvocationsPerInstance,
    ModelLatency,
    OverheadLatency,
    Invocation4XXErrors,
    Invocation5XXErrors,
    CPUUtilization,
    MemoryUtilization,
    DiskUtilization,
    GPUUtilization,
    GPUMemoryUtilization,
    // Hosting beyond classic variants (see `domain::hosting`).
    ApproximateBacklogSize,
    ApproximateBacklogSizePerInstance,
    ApproximateAgeOfOldestRequest,
    HasBacklogWithoutCapacity,
    ModelSetupTime,
    LoadedModelCount,
    ModelCacheHit,
    ModelLoadingWaitTime,
    ModelUnloadingTime,
    InvocationsPerCopy,
    ConcurrentRequestsPerCopy,
    CPUUtilizationNormalized,
    GPUUtilizationNormalized,
    GPUMemoryUtilizationNormalized,
}

impl MetricName {
    pub const ALL: [MetricName; 25] = [
        MetricName::Invocations,
        MetricName::InvocationsPerInstance,
        MetricName::ModelLatency,
        MetricName::OverheadLatency,
        MetricName::Invocation4XXErrors,
        MetricName::Invocation5XXErrors,
        MetricName::CPUUtilization,
        MetricName::MemoryUtilization,
        MetricName::DiskUtilization,
        MetricName::GPUUtilization,
        MetricName::GPUMemoryUtilization,
        MetricName::ApproximateBacklogSize,
        MetricName::ApproximateBacklogSizePerInstance,
        MetricName::ApproximateAgeOfOldestRequest,
        MetricName::HasBacklogWithoutCapacity,
        MetricName::ModelSetupTime,
        MetricName::LoadedModelCount,
        MetricName::ModelCacheHit,
        MetricName::ModelLoadingWaitTime,
        MetricName::ModelUnloadingTime,
        MetricName::InvocationsPerCopy,
        MetricName::ConcurrentRequestsPerCopy,
        MetricName::CPUUtilizationNormalized,
        MetricName::GPUUtilizationNormalized,
        MetricName::GPUMemoryUtilizationNormalized,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MetricName::Invocations => "Invocations",
            MetricName::InvocationsPerInstance => "InvocationsPerInstance",
            MetricName::ModelLatency => "ModelLatency",
            MetricName::OverheadLatency => "OverheadLatency",
            MetricName::Invocation4XXErrors => "Invocation4XXErrors",
            MetricName::Invocation5XXErrors => "Invocation5XXErrors",
            MetricName::CPUUtilization => "CPUUtilization",
            MetricName::MemoryUtilization => "MemoryUtilization",
            MetricName::DiskUtilization => "DiskUtilization",
            MetricName::GPUUtilization => "GPUUtilization",
            MetricName::GPUMemoryUtilization => "GPUMemoryUtilization",
            MetricName::ApproximateBacklogSize => "ApproximateBacklogSize",
            MetricName::ApproximateBacklogSizePerInstance => "ApproximateBacklogSizePerInstance",
            MetricName::ApproximateAgeOfOldestRequest => "ApproximateAgeOfOldestRequest",
            MetricName::HasBacklogWithoutCapacity => "HasBacklogWithoutCapacity",
            MetricName::ModelSetupTime => "ModelSetupTime",
            MetricName::LoadedModelCount => "LoadedModelCount",
            MetricName::ModelCacheHit => "ModelCacheHit",
            MetricName::ModelLoadingWaitTime => "ModelLoadingWaitTime",
            MetricName::ModelUnloadingTime => "ModelUnloadingTime",
            MetricName::InvocationsPerCopy => "InvocationsPerCopy",
            MetricName::ConcurrentRequestsPerCopy => "ConcurrentRequestsPerCopy",
            MetricName::CPUUtilizationNormalized => "CPUUtilizationNormalized",
            MetricName::GPUUtilizationNormalized => "GPUUtilizationNormalized",
            MetricName::GPUMemoryUtilizationNormalized => "GPUMemoryUtilizationNormalized",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    pub fn namespace(self) -> Namespace {
        match self {
            MetricName::CPUUtilization
            | MetricName::MemoryUtilization
            | MetricName::DiskUtilization
            | MetricName::GPUUtilization
            | MetricName::GPUMemoryUtilization => Namespace::Instances,
            MetricName::CPUUtilizationNormalized
            | MetricName::GPUUtilizationNormalized
            | MetricName::GPUMemoryUtilizationNormalized => Namespace::Components,
            _ => Namespace::Invocations,
        }
    }

    pub fn unit(self) -> MetricUnit {
        match self {
            MetricName::ModelLatency
            | MetricName::OverheadLatency
            | MetricName::ModelSetupTime
            | MetricName::ModelLoadingWaitTime
            | MetricName::ModelUnloadingTime => MetricUnit::Microseconds,
            // https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-monitor.html
            MetricName::ApproximateAgeOfOldestRequest => MetricUnit::Seconds,
            MetricName::Invocations
            | MetricName::InvocationsPerInstance
            | MetricName::Invocation4XXErrors
            | MetricName::Invocation5XXErrors
            | MetricName::ApproximateBacklogSize
            | MetricName::ApproximateBacklogSizePerInstance
            | MetricName::HasBacklogWithoutCapacity
            | MetricName::LoadedModelCount
            | MetricName::ModelCacheHit
            | MetricName::InvocationsPerCopy
            | MetricName::ConcurrentRequestsPerCopy => MetricUnit::Count,
            _ => MetricUnit::Percent,
        }
    }

    /// Only GPU instances publish these.
    pub fn is_gpu(self) -> bool {
        matches!(
            self,
            MetricName::GPUUtilization | MetricName::GPUMemoryUtilization
        )
    }
}

impl std::fmt::Display for MetricName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// CloudWatch statistic requested for a series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Statistic {
    Sum,
    Average,
    Maximum,
    Minimum,
    SampleCount,
    /// The extended statistic `p99`.
    P99,
}

impl Statistic {
    pub fn as_str(self) -> &'static str {
        match self {
            Statistic::Sum => "Sum",
            Statistic::Average => "Average",
            Statistic::Maximum => "Maximum",
            Statistic::Minimum => "Minimum",
            Statistic::SampleCount => "SampleCount",
            Statistic::P99 => "p99",
        }
    }
}

/// One series: a metric of one variant of one endpoint under one statistic.
///
/// Dimensions sent to CloudWatch: `EndpointName` + `VariantName`; `EndpointName` alone when
/// `variant` is empty (async endpoints' backlog metrics); `InferenceComponentName` alone when
/// `component` is set (`endpoint` then only says whose component it is).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SeriesKey {
    pub endpoint: String,
    pub variant: String,
    pub metric: MetricName,
    pub stat: Statistic,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
}

impl SeriesKey {
    pub fn new(endpoint: &str, variant: &str, metric: MetricName, stat: Statistic) -> Self {
        SeriesKey {
            endpoint: endpoint.to_string(),
            variant: variant.to_string(),
            metric,
            stat,
            component: None,
        }
    }

    /// A series of one inference component (dimension `InferenceComponentName`).
    pub fn component(endpoint: &str, component: &str, metric: MetricName, stat: Statistic) -> Self {
        SeriesKey {
            component: Some(component.to_string()),
            ..SeriesKey::new(endpoint, "", metric, stat)
        }
    }

    /// CloudWatch dimensions of this series, as (name, value) pairs.
    pub fn dimensions(&self) -> Vec<(&'static str, &str)> {
        match &self.component {
            Some(c) => vec![("InferenceComponentName", c.as_str())],
            None if self.variant.is_empty() => vec![("EndpointName", self.endpoint.as_str())],
            None => vec![
                ("EndpointName", self.endpoint.as_str()),
                ("VariantName", self.variant.as_str()),
            ],
        }
    }
}

/// A batch query for many series over one window (one `GetMetricData` call or more).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricQuery {
    pub series: Vec<SeriesKey>,
    /// Inclusive start of the window.
    pub start: Timestamp,
    /// Exclusive end of the window.
    pub end: Timestamp,
    /// Aggregation period; a multiple of 60 s.
    #[serde(with = "secs")]
    pub period: Duration,
}

/// One datapoint: the start of its period and the value in the metric's own unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Datapoint {
    pub at: Timestamp,
    pub value: f64,
}

/// Whether CloudWatch delivered a series (GetMetricData's per-result `StatusCode`): one series
/// can fail (`InternalError`, `Forbidden`) while the others of the same call succeed.
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataResult.html>
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeriesStatus {
    #[default]
    Complete,
    /// The series could not be read; `points` is empty. `code` is AWS's StatusCode.
    Failed { code: String, message: String },
}

/// Datapoints of one series, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricSeries {
    pub key: SeriesKey,
    pub points: Vec<Datapoint>,
    #[serde(default)]
    pub status: SeriesStatus,
}

impl MetricSeries {
    pub fn latest(&self) -> Option<Datapoint> {
        self.points.last().copied()
    }
}

/// Microseconds (CloudWatch's latency unit) to milliseconds (what people read).
pub fn micros_to_ms(us: f64) -> f64 {
    us / 1000.0
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_secs(u64::deserialize(d)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_namespaces_and_units_match_cloudwatch() {
        assert_eq!(
            MetricName::ModelLatency.namespace().as_str(),
            "AWS/SageMaker"
        );
        assert_eq!(
            MetricName::CPUUtilization.namespace().as_str(),
            "/aws/sagemaker/Endpoints"
        );
        assert_eq!(MetricName::OverheadLatency.unit(), MetricUnit::Microseconds);
        assert_eq!(MetricName::GPUMemoryUtilization.unit(), MetricUnit::Percent);
        for m in MetricName::ALL {
            assert_eq!(MetricName::parse(m.as_str()), Some(m));
        }
        assert_eq!(micros_to_ms(12_500.0), 12.5);
    }
}
