//! Endpoints, their status machine and their production variants.

use serde::{Deserialize, Serialize};

use super::Timestamp;

/// `DescribeEndpoint` status, exactly the values AWS documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum EndpointStatus {
    OutOfService,
    Creating,
    Updating,
    SystemUpdating,
    RollingBack,
    InService,
    Deleting,
    Failed,
    UpdateRollbackFailed,
}

impl EndpointStatus {
    pub const ALL: [EndpointStatus; 9] = [
        EndpointStatus::OutOfService,
        EndpointStatus::Creating,
        EndpointStatus::Updating,
        EndpointStatus::SystemUpdating,
        EndpointStatus::RollingBack,
        EndpointStatus::InService,
        EndpointStatus::Deleting,
        EndpointStatus::Failed,
        EndpointStatus::UpdateRollbackFailed,
    ];

    /// The wire spelling (`InService`, `UpdateRollbackFailed`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointStatus::OutOfService => "OutOfService",
            EndpointStatus::Creating => "Creating",
            EndpointStatus::Updating => "Updating",
            EndpointStatus::SystemUpdating => "SystemUpdating",
            EndpointStatus::RollingBack => "RollingBack",
            EndpointStatus::InService => "InService",
            EndpointStatus::Deleting => "Deleting",
            EndpointStatus::Failed => "Failed",
            EndpointStatus::UpdateRollbackFailed => "UpdateRollbackFailed",
        }
    }

    /// Parses the wire spelling; `None` for values this build does not know.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// A change is under way: poll faster, expect Current != Desired.
    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            EndpointStatus::Creating
                | EndpointStatus::Updating
                | EndpointStatus::SystemUpdating
                | EndpointStatus::RollingBack
                | EndpointStatus::Deleting
        )
    }

    /// Only an InService endpoint accepts weight and capacity updates.
    pub fn accepts_updates(self) -> bool {
        self == EndpointStatus::InService
    }
}

impl std::fmt::Display for EndpointStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `ListEndpoints`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointSummary {
    pub name: String,
    pub arn: String,
    pub status: EndpointStatus,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
}

/// Serverless settings of a variant (`CurrentServerlessConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerlessConfig {
    pub memory_size_mb: u32,
    pub max_concurrency: u32,
}

/// A production variant as `DescribeEndpoint` + `DescribeEndpointConfig` report it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub name: String,
    pub model_name: Option<String>,
    /// From the endpoint config; `None` for serverless variants.
    pub instance_type: Option<String>,
    pub current_instance_count: Option<u32>,
    pub desired_instance_count: Option<u32>,
    pub current_weight: Option<f64>,
    pub desired_weight: Option<f64>,
    pub serverless: Option<ServerlessConfig>,
    /// `VariantStatus` during a deployment (Creating, Updating, Deleting, ActivatingTraffic,
    /// Baking), each with its message and start; empty when nothing is under way.
    #[serde(default)]
    pub statuses: Vec<VariantStatusEntry>,
}

/// One entry of a variant's `VariantStatus` list:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantStatus.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantStatusEntry {
    pub status: String,
    pub message: Option<String>,
    pub start_time: Option<Timestamp>,
}

/// A blue/green `UpdateEndpoint` under way (`PendingDeploymentSummary`): the new endpoint
/// config and the new fleet's variants, which run (and use instances) beside the old ones.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PendingDeploymentSummary.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingDeployment {
    pub config_name: String,
    pub start_time: Option<Timestamp>,
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub shadow_variants: Vec<Variant>,
}

impl Variant {
    /// Weight used for traffic share: current if known, else desired, else AWS's default 1.0.
    pub fn effective_weight(&self) -> f64 {
        self.current_weight.or(self.desired_weight).unwrap_or(1.0)
    }
}

/// Full description of one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub name: String,
    pub arn: String,
    pub status: EndpointStatus,
    pub failure_reason: Option<String>,
    pub creation_time: Timestamp,
    pub last_modified_time: Timestamp,
    pub config_name: String,
    pub variants: Vec<Variant>,
    /// `ShadowProductionVariants`: receive a copy of the traffic, answer no one.
    #[serde(default)]
    pub shadow_variants: Vec<Variant>,
    /// A blue/green deployment under way, if any.
    #[serde(default)]
    pub pending: Option<PendingDeployment>,
}

impl Endpoint {
    /// Normalized traffic shares (0..=1) of each variant, in variant order.
    pub fn traffic_shares(&self) -> Vec<f64> {
        let weights: Vec<f64> = self
            .variants
            .iter()
            .map(Variant::effective_weight)
            .collect();
        normalize_weights(&weights)
    }

    pub fn current_instances(&self) -> Option<u32> {
        sum_counts(self.variants.iter().map(|v| v.current_instance_count))
    }

    pub fn desired_instances(&self) -> Option<u32> {
        sum_counts(self.variants.iter().map(|v| v.desired_instance_count))
    }

    pub fn is_serverless(&self) -> bool {
        !self.variants.is_empty() && self.variants.iter().all(|v| v.serverless.is_some())
    }

    pub fn variant(&self, name: &str) -> Option<&Variant> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// Every fleet that holds instances: production and shadow variants, and during a
    /// blue/green deployment the new fleet's too (both run at once and count against quotas).
    pub fn instance_fleets(&self) -> impl Iterator<Item = &Variant> {
        self.variants.iter().chain(&self.shadow_variants).chain(
            self.pending
                .iter()
                .flat_map(|p| p.variants.iter().chain(&p.shadow_variants)),
        )
    }
}

fn sum_counts(counts: impl Iterator<Item = Option<u32>>) -> Option<u32> {
    let mut total = None;
    for c in counts.flatten() {
        total = Some(total.unwrap_or(0) + c);
    }
    total
}

/// Traffic share of each weight: weight / sum of weights. All-zero or empty → all zero.
pub fn normalize_weights(weights: &[f64]) -> Vec<f64> {
    let sum: f64 = weights.iter().filter(|w| w.is_finite() && **w > 0.0).sum();
    weights
        .iter()
        .map(|w| {
            if sum > 0.0 && w.is_finite() && *w > 0.0 {
                w / sum
            } else {
                0.0
            }
        })
        .collect()
}

/// Integer percentages of the shares that add up to exactly 100 (largest remainder),
/// so 2:1 shows 67/33 and 1:1:1 shows 34/33/33. All-zero weights give all zeros.
pub fn percentages(weights: &[f64]) -> Vec<u32> {
    let shares = normalize_weights(weights);
    if shares.iter().all(|s| *s == 0.0) {
        return vec![0; shares.len()];
    }
    let raw: Vec<f64> = shares.iter().map(|s| s * 100.0).collect();
    let mut out: Vec<u32> = raw.iter().map(|r| r.floor() as u32).collect();
    let mut missing = 100 - out.iter().sum::<u32>().min(100);
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|&a, &b| {
        let ra = raw[a] - raw[a].floor();
        let rb = raw[b] - raw[b].floor();
        rb.partial_cmp(&ra)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.cmp(&b))
    });
    for i in order {
        if missing == 0 {
            break;
        }
        out[i] += 1;
        missing -= 1;
    }
    out
}

/// A requested change to one variant in `UpdateEndpointWeightsAndCapacities`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantChange {
    pub variant: String,
    pub desired_weight: Option<f64>,
    pub desired_instance_count: Option<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_follow_aws_share_rule() {
        assert_eq!(percentages(&[2.0, 1.0]), vec![67, 33]);
        assert_eq!(percentages(&[0.2, 0.8]), vec![20, 80]);
        assert_eq!(percentages(&[1.0, 1.0, 1.0]), vec![34, 33, 33]);
        assert_eq!(percentages(&[9.0, 1.0]), vec![90, 10]);
        assert_eq!(percentages(&[3.0, 1.0]), vec![75, 25]);
        assert_eq!(percentages(&[0.0, 0.0]), vec![0, 0]);
        assert_eq!(percentages(&[5.0]), vec![100]);
        assert_eq!(percentages(&[]), Vec::<u32>::new());
    }

    #[test]
    fn status_round_trips_wire_names() {
        for st in EndpointStatus::ALL {
            assert_eq!(EndpointStatus::parse(st.as_str()), Some(st));
        }
        assert_eq!(EndpointStatus::parse("Bogus"), None);
        assert!(EndpointStatus::Updating.is_transitional());
        assert!(!EndpointStatus::InService.is_transitional());
    }
}
