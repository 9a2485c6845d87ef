//! Service Quotas for SageMaker and their usage by endpoints.

use serde::{Deserialize, Serialize};

/// Suffix of the per-instance-type endpoint quotas.
pub const ENDPOINT_USAGE_SUFFIX: &str = " for endpoint usage";

/// Usage at or above this fraction of the limit is a warning (Trusted Advisor's mark).
pub const WARNING_FRACTION: f64 = 0.8;

/// One quota of `ListServiceQuotas(ServiceCode=sagemaker)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceQuota {
    pub name: String,
    pub code: String,
    pub value: f64,
    pub unit: String,
    pub adjustable: bool,
}

impl ServiceQuota {
    /// The instance type of an "<instance type> for endpoint usage" quota.
    pub fn endpoint_instance_type(&self) -> Option<&str> {
        endpoint_quota_instance_type(&self.name)
    }
}

/// "ml.g5.xlarge for endpoint usage" → "ml.g5.xlarge".
pub fn endpoint_quota_instance_type(name: &str) -> Option<&str> {
    let t = name.strip_suffix(ENDPOINT_USAGE_SUFFIX)?;
    (t.starts_with("ml.") && !t.contains(' ')).then_some(t)
}

/// "ml.g5.xlarge" → "ml.g5.xlarge for endpoint usage".
pub fn endpoint_quota_name(instance_type: &str) -> String {
    format!("{instance_type}{ENDPOINT_USAGE_SUFFIX}")
}

/// How close usage is to a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuotaLevel {
    Ok,
    Warning,
    Exceeded,
}

/// Level of `used` against `limit`: ≥ 80% warning, ≥ 100% exceeded; a zero limit with
/// any usage (or any request) is exceeded.
pub fn quota_level(used: f64, limit: f64) -> QuotaLevel {
    if limit <= 0.0 {
        return if used > 0.0 {
            QuotaLevel::Exceeded
        } else {
            QuotaLevel::Ok
        };
    }
    let f = used / limit;
    if f >= 1.0 {
        QuotaLevel::Exceeded
    } else if f >= WARNING_FRACTION {
        QuotaLevel::Warning
    } else {
        QuotaLevel::Ok
    }
}

/// AWS's own message when an endpoint change would exceed an endpoint-usage quota.
pub fn quota_exceeded_message(instance_type: &str, limit: f64, used: f64, delta: f64) -> String {
    format!(
        "The account-level service limit '{}' is {} Instances, with current utilization of {} Instances and a request delta of {} Instances. Please use AWS Service Quotas to request an increase for this quota. If AWS Service Quotas is not available, contact AWS support to request an increase for this quota.",
        endpoint_quota_name(instance_type),
        limit as u64,
        used as u64,
        delta as u64
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quota_names_match_instance_types() {
        assert_eq!(
            endpoint_quota_instance_type("ml.g5.xlarge for endpoint usage"),
            Some("ml.g5.xlarge")
        );
        assert_eq!(
            endpoint_quota_instance_type("ml.g5.xlarge for training job usage"),
            None
        );
        assert_eq!(
            endpoint_quota_instance_type("Total instances for endpoint usage"),
            None
        );
        assert_eq!(
            endpoint_quota_name("ml.m5.large"),
            "ml.m5.large for endpoint usage"
        );
    }

    #[test]
    fn levels_follow_trusted_advisor_thresholds() {
        assert_eq!(quota_level(7.99, 10.0), QuotaLevel::Ok);
        assert_eq!(quota_level(8.0, 10.0), QuotaLevel::Warning);
        assert_eq!(quota_level(10.0, 10.0), QuotaLevel::Exceeded);
        assert_eq!(quota_level(0.0, 0.0), QuotaLevel::Ok);
        assert_eq!(quota_level(1.0, 0.0), QuotaLevel::Exceeded);
    }

    #[test]
    fn exceeded_message_uses_aws_wording() {
        let m = quota_exceeded_message("ml.g4dn.xlarge", 0.0, 0.0, 1.0);
        assert!(m.starts_with("The account-level service limit 'ml.g4dn.xlarge for endpoint usage' is 0 Instances, with current utilization of 0 Instances and a request delta of 1 Instances."));
    }
}
