//! Application Auto Scaling for endpoint variants (targets, policies, activities) and for
//! inference components' copy counts (targets and policies).

use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::Timestamp;

/// The scalable dimension of a SageMaker variant.
pub const SCALABLE_DIMENSION: &str = "sagemaker:variant:DesiredInstanceCount";

/// The predefined metric target tracking uses for variants.
pub const INVOCATIONS_PER_INSTANCE_METRIC: &str = "SageMakerVariantInvocationsPerInstance";

/// The scalable dimension of an inference component's copy count, in namespace `sagemaker`:
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
pub const COMPONENT_SCALABLE_DIMENSION: &str = "sagemaker:inference-component:DesiredCopyCount";

/// The predefined metric target tracking uses for inference components (invocations per
/// minute per copy):
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
pub const INVOCATIONS_PER_COPY_METRIC: &str = "SageMakerInferenceComponentInvocationsPerCopy";

/// `inference-component/<component>`, the resource id of a component's copy count:
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
pub fn component_resource_id(component: &str) -> String {
    format!("inference-component/{component}")
}

/// The component named by `inference-component/<component>`.
pub fn parse_component_resource_id(id: &str) -> Option<&str> {
    id.strip_prefix("inference-component/")
        .filter(|c| !c.is_empty() && !c.contains('/'))
}

/// `endpoint/<endpoint>/variant/<variant>`.
pub fn resource_id(endpoint: &str, variant: &str) -> String {
    format!("endpoint/{endpoint}/variant/{variant}")
}

/// Splits `endpoint/<endpoint>/variant/<variant>` back into its names.
pub fn parse_resource_id(id: &str) -> Option<(String, String)> {
    let rest = id.strip_prefix("endpoint/")?;
    let (endpoint, variant) = rest.split_once("/variant/")?;
    if endpoint.is_empty() || variant.is_empty() {
        return None;
    }
    Some((endpoint.to_string(), variant.to_string()))
}

/// A registered scalable target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScalableTarget {
    pub endpoint: String,
    pub variant: String,
    pub min_capacity: u32,
    pub max_capacity: u32,
}

/// A scaling policy attached to a variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingPolicy {
    pub name: String,
    /// `TargetTrackingScaling` or `StepScaling`.
    pub policy_type: String,
    /// Predefined metric type or custom metric name.
    pub metric: String,
    pub target_value: Option<f64>,
    #[serde(with = "super::opt_duration_secs")]
    pub scale_in_cooldown: Option<Duration>,
    #[serde(with = "super::opt_duration_secs")]
    pub scale_out_cooldown: Option<Duration>,
    pub disable_scale_in: bool,
}

/// Autoscaling configuration of one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantAutoscaling {
    pub variant: String,
    pub target: Option<ScalableTarget>,
    pub policies: Vec<ScalingPolicy>,
}

/// Autoscaling of one inference component's copy count (its scalable target on
/// `sagemaker:inference-component:DesiredCopyCount` and its policies), by which the copies
/// dialog bounds a count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentAutoscaling {
    pub component: String,
    /// (MinCapacity, MaxCapacity) of the registered target, in copies.
    pub range: Option<(u32, u32)>,
    pub policies: Vec<ScalingPolicy>,
}

/// Status of a scaling activity, as Application Auto Scaling reports it.
/// Autoscaling of every endpoint in a region: endpoint name → its variants' targets and policies.
pub type FleetAutoscaling = std::collections::BTreeMap<String, Vec<VariantAutoscaling>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActivityStatus {
    Pending,
    InProgress,
    Successful,
    Overridden,
    Unfulfilled,
    Failed,
}

impl ActivityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ActivityStatus::Pending => "Pending",
            ActivityStatus::InProgress => "InProgress",
            ActivityStatus::Successful => "Successful",
            ActivityStatus::Overridden => "Overridden",
            ActivityStatus::Unfulfilled => "Unfulfilled",
            ActivityStatus::Failed => "Failed",
        }
    }
}

/// One `DescribeScalingActivities` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScalingActivity {
    pub id: String,
    pub endpoint: String,
    pub variant: String,
    pub start_time: Timestamp,
    pub end_time: Option<Timestamp>,
    pub description: String,
    pub cause: String,
    pub status: ActivityStatus,
    pub status_message: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_ids_round_trip() {
        let id = resource_id("fraud-xgb", "AllTraffic");
        assert_eq!(id, "endpoint/fraud-xgb/variant/AllTraffic");
        assert_eq!(
            parse_resource_id(&id),
            Some(("fraud-xgb".into(), "AllTraffic".into()))
        );
        assert_eq!(parse_resource_id("endpoint//variant/x"), None);
        assert_eq!(parse_resource_id("table/x"), None);
    }

    #[test]
    fn component_resource_ids_round_trip() {
        let id = component_resource_id("llama-3-8b-chat");
        assert_eq!(id, "inference-component/llama-3-8b-chat");
        assert_eq!(parse_component_resource_id(&id), Some("llama-3-8b-chat"));
        assert_eq!(parse_component_resource_id("inference-component/"), None);
        assert_eq!(parse_component_resource_id("endpoint/a/variant/b"), None);
    }
}
