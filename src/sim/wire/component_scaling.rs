//! Owns the simulated account's inference-component autoscaling on the wire: the scalable
//! targets and policies registered on `inference-component/NAME` with dimension
//! `sagemaker:inference-component:DesiredCopyCount`, as DescribeScalableTargets and
//! DescribeScalingPolicies list them (paging is the caller's, with the variants' items).

use serde_json::{Value, json};

use super::secs;
use crate::domain::*;
use crate::sim::ids::{self, ACCOUNT, REGION};
use crate::sim::world::World;

/// The request covers component copy counts: namespace `sagemaker` with that dimension or
/// none (a namespace-wide read lists every dimension):
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
pub(super) fn asked(input: &Value) -> bool {
    input.get("ServiceNamespace").and_then(Value::as_str) == Some("sagemaker")
        && input
            .get("ScalableDimension")
            .and_then(Value::as_str)
            .is_none_or(|d| d == COMPONENT_SCALABLE_DIMENSION)
}

/// Creation ms of a component (its target is as old as it is), or 0.
fn created(w: &World, name: &str) -> i64 {
    w.hosting.components.get(name).map_or(0, |c| c.created_ms)
}

/// Registered targets among `ids` (every one without `ids`), by resource id.
pub(super) fn targets(w: &World, ids: Option<&[&str]>) -> Vec<Value> {
    w.hosting
        .copy_scaling
        .iter()
        .map(|(name, s)| (component_resource_id(name), name, s))
        .filter(|(id, _, _)| ids.is_none_or(|ids| ids.contains(&id.as_str())))
        .map(|(id, name, s)| {
            super::autoscaling::target_json(
                &id,
                COMPONENT_SCALABLE_DIMENSION,
                s.min,
                s.max,
                created(w, name),
            )
        })
        .collect()
}

/// Policies on `rid` (every component's without it), filtered by `names`.
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
pub(super) fn policies(w: &World, rid: Option<&str>, names: Option<&[&str]>) -> Vec<Value> {
    let mut out = Vec::new();
    for (name, s) in &w.hosting.copy_scaling {
        let id = component_resource_id(name);
        let Some(p) = &s.policy else { continue };
        if rid.is_some_and(|r| r != id) || names.is_some_and(|n| !n.contains(&p.name.as_str())) {
            continue;
        }
        let mut cfg = super::autoscaling::target_tracking_json(p);
        if p.metric == INVOCATIONS_PER_COPY_METRIC {
            cfg["PredefinedMetricSpecification"] = json!({ "PredefinedMetricType": p.metric });
        } else {
            cfg["CustomizedMetricSpecification"] = json!({ "MetricName": p.metric, "Namespace": "AWS/SageMaker", "Statistic": "Average" });
        }
        let policy_id = ids::uuid(&[ids::hash_str(&id), ids::hash_str(&p.name)]);
        // Target tracking creates and names its own alarms.
        let alarm = |kind: &str| {
            let name = format!("TargetTracking-{id}-{kind}-{policy_id}");
            json!({ "AlarmName": name, "AlarmARN": format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}") })
        };
        out.push(json!({
            "PolicyARN": format!("arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:{policy_id}:resource/sagemaker/{id}:policyName/{}", p.name),
            "PolicyName": p.name,
            "ServiceNamespace": "sagemaker",
            "ResourceId": id,
            "ScalableDimension": COMPONENT_SCALABLE_DIMENSION,
            "PolicyType": p.policy_type,
            "TargetTrackingScalingPolicyConfiguration": cfg,
            "Alarms": [alarm("AlarmHigh"), alarm("AlarmLow")],
            "CreationTime": secs(created(w, name)),
        }));
    }
    out
}
