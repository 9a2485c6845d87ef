//! Service Quotas of the simulated account: endpoint-usage quotas per instance type
//! (one close to its limit, none over) and a few account-wide SageMaker quotas.

use std::collections::BTreeMap;

use super::ids;
use super::world::EndpointState;
use crate::domain::*;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct QuotaSpec {
    pub name: String,
    pub code: String,
    pub limit: f64,
    /// AWS's default value of the quota; `limit` differs when an increase was applied.
    /// ListServiceQuotas leaves out quotas still at their default.
    pub default: f64,
    pub unit: &'static str,
    /// Set for "<instance type> for endpoint usage".
    pub instance_type: Option<String>,
}

impl QuotaSpec {
    pub(crate) fn to_domain(&self) -> ServiceQuota {
        ServiceQuota {
            name: self.name.clone(),
            code: self.code.clone(),
            value: self.limit,
            unit: self.unit.to_string(),
            adjustable: true,
        }
    }
}

/// Deterministic `L-XXXXXXXX` code of a quota name (same in every account, like AWS).
pub(crate) fn quota_code(name: &str) -> String {
    format!("L-{}", ids::hex_upper(&[ids::hash_str(name)], 8))
}

/// Default limits of the standard account. ml.c5.2xlarge is the one near its limit
/// (5 of 6 in use by recommender-ranking), ml.p4d.24xlarge is at 0.
const BASE_LIMITS: &[(&str, f64)] = &[
    ("ml.c5.2xlarge", 6.0),
    ("ml.c5.large", 10.0),
    ("ml.c5.xlarge", 10.0),
    ("ml.g4dn.xlarge", 2.0),
    ("ml.g5.12xlarge", 6.0),
    ("ml.g5.2xlarge", 2.0),
    ("ml.g5.xlarge", 4.0),
    ("ml.inf2.xlarge", 2.0),
    ("ml.m5.2xlarge", 8.0),
    ("ml.m5.large", 20.0),
    ("ml.m5.xlarge", 10.0),
    ("ml.p4d.24xlarge", 0.0),
];

/// Default values of the endpoint-usage quotas whose limit in the standard account is an
/// applied increase (the others are at their default).
const RAISED_FROM: &[(&str, f64)] = &[
    ("ml.c5.2xlarge", 4.0),
    ("ml.g5.12xlarge", 2.0),
    ("ml.m5.xlarge", 4.0),
];

/// The near-limit type keeps its limit whatever else runs in the account.
pub(crate) const NEAR_LIMIT_TYPE: &str = "ml.c5.2xlarge";

/// Builds the quota list for a fleet. Types used by generated endpoints get limits of
/// about twice their peak usage so they stay well under 75%.
pub(crate) fn build<'a>(endpoints: impl Iterator<Item = &'a EndpointState>) -> Vec<QuotaSpec> {
    let mut peak: BTreeMap<String, u32> = BTreeMap::new();
    let mut total = 0u32;
    let mut serverless_concurrency = 0u32;
    for ep in endpoints.filter(|e| e.status != EndpointStatus::Failed) {
        for v in &ep.variants {
            let n = v
                .current_count
                .unwrap_or(0)
                .max(v.desired_count.unwrap_or(0));
            let n = v.scaling.as_ref().map_or(n, |s| n.max(s.max));
            if let Some(t) = &v.instance_type {
                *peak.entry(t.clone()).or_default() += n;
                total += n;
            }
            if let Some(s) = v.serverless {
                serverless_concurrency += s.max_concurrency;
            }
        }
    }
    let mut limits: BTreeMap<String, f64> = BASE_LIMITS
        .iter()
        .map(|(t, l)| (t.to_string(), *l))
        .collect();
    for (t, n) in &peak {
        let base = limits.get(t).copied().unwrap_or(0.0);
        let limit = if t == NEAR_LIMIT_TYPE || f64::from(*n) * 1.6 <= base {
            base
        } else {
            (f64::from(*n) * 2.0 / 10.0).ceil() * 10.0
        };
        limits.insert(t.clone(), limit);
    }
    let mut out: Vec<QuotaSpec> = limits
        .into_iter()
        .map(|(t, limit)| {
            let name = endpoint_quota_name(&t);
            let base = BASE_LIMITS.iter().find(|(b, _)| *b == t).map(|(_, l)| *l);
            let raised = RAISED_FROM.iter().find(|(b, _)| *b == t).map(|(_, l)| *l);
            // A limit above the published base is an applied increase from that base.
            let default = raised.or(base.filter(|b| *b != limit)).unwrap_or(limit);
            QuotaSpec {
                code: quota_code(&name),
                name,
                limit,
                default,
                unit: "None",
                instance_type: Some(t),
            }
        })
        .collect();
    let round = |n: u32, floor: f64| ((f64::from(n) * 2.0 / 10.0).ceil() * 10.0).max(floor);
    // (name, value, AWS default)
    let others = [
        (
            "Number of instances across all endpoints",
            round(total, 40.0),
            20.0,
        ),
        (
            "Maximum total concurrency that can be allocated across all serverless endpoints",
            round(serverless_concurrency, 1000.0),
            1000.0,
        ),
        ("Number of production variants per endpoint", 10.0, 10.0),
    ];
    for (name, limit, default) in others {
        out.push(QuotaSpec {
            code: quota_code(name),
            name: name.to_string(),
            limit,
            default,
            unit: "Count",
            instance_type: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn some_quotas_are_applied_increases_and_some_at_their_default() {
        let w = crate::sim::history::build_world(1, 0, 0);
        let applied = w.quotas.iter().filter(|q| q.limit != q.default).count();
        let at_default = w.quotas.iter().filter(|q| q.limit == q.default).count();
        assert!(applied >= 3, "{applied} applied");
        assert!(at_default >= 3, "{at_default} at default");
        let c5 = w
            .quotas
            .iter()
            .find(|q| q.instance_type.as_deref() == Some(NEAR_LIMIT_TYPE));
        assert_eq!(c5.map(|q| (q.limit, q.default)), Some((6.0, 4.0)));
    }

    #[test]
    fn codes_look_like_aws() {
        let c = quota_code("ml.m5.large for endpoint usage");
        assert_eq!(c.len(), 10);
        assert!(c.starts_with("L-"));
        assert!(
            c[2..]
                .chars()
                .all(|ch| ch.is_ascii_hexdigit() && !ch.is_ascii_lowercase())
        );
    }
}
