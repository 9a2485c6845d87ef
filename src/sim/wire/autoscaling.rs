//! Owns Application Auto Scaling on the wire (awsJson1_1) for the `sagemaker` namespace:
//! DescribeScalableTargets (namespace-wide without ResourceIds), DescribeScalingPolicies (both
//! with the inference components' copy counts, `super::component_scaling`),
//! DescribeScalingActivities (newest first) and RegisterScalableTarget, paged with tokens bound
//! to the request's parameters and with the documented MaxResults ranges.

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::sagemaker::backend_error;
use super::{bad_token, secs, token};
use crate::domain::*;
use crate::sim::SimAccount;
use crate::sim::ids::{self, ACCOUNT, REGION};
use crate::sim::world::{Autoscale, World};

/// MaxResults ranges the API reference documents but the model does not carry:
/// DescribeScalableTargets and DescribeScalingActivities 1–50
/// (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html>,
/// <https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingActivities.html>),
/// DescribeScalingPolicies 1–10
/// (<https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html>).
fn max_results(input: &Value, limit: u64) -> Result<usize, WireError> {
    match input.get("MaxResults").and_then(Value::as_i64) {
        None => Ok(limit as usize),
        Some(n) if n >= 1 && n as u64 <= limit => Ok(n as usize),
        Some(n) => Err(WireError::validation(
            Svc::AutoScaling,
            format!(
                "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and {limit}"
            ),
        )),
    }
}

pub(super) fn call(sim: &SimAccount, op: &str, input: &Value) -> Result<Value, WireError> {
    let mut w = sim.world();
    match op {
        "DescribeScalableTargets" => targets(&w, input),
        "DescribeScalingPolicies" => policies(&w, input),
        "DescribeScalingActivities" => activities(&w, input),
        "RegisterScalableTarget" => register(&mut w, input),
        _ => Err(WireError::new(400, "UnknownOperationException", op)),
    }
}

fn sagemaker_variants(input: &Value) -> bool {
    let ns = input.get("ServiceNamespace").and_then(Value::as_str) == Some("sagemaker");
    let dim = input
        .get("ScalableDimension")
        .and_then(Value::as_str)
        .is_none_or(|d| d == SCALABLE_DIMENSION);
    ns && dim
}

/// (resource id, endpoint creation ms, scaling) of every autoscaled variant, by resource id.
fn scaled(w: &World) -> Vec<(String, i64, &Autoscale)> {
    let mut out: Vec<(String, i64, &Autoscale)> = w
        .endpoints
        .values()
        .flat_map(|e| {
            e.variants.iter().filter_map(move |v| {
                v.scaling
                    .as_ref()
                    .map(|s| (resource_id(&e.name, &v.name), e.creation_ms, s))
            })
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn paged(items: Vec<Value>, input: &Value, max: usize, key: &str) -> Result<Value, WireError> {
    let (page, next) = token::page(items, input, max).map_err(|_| bad_token(Svc::AutoScaling))?;
    let mut out = json!({ key: page });
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
fn targets(w: &World, input: &Value) -> Result<Value, WireError> {
    let max = max_results(input, 50)?;
    let ids: Option<Vec<&str>> = input
        .get("ResourceIds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let mut items: Vec<Value> = if sagemaker_variants(input) {
        scaled(w)
            .into_iter()
            .filter(|(id, _, _)| ids.as_ref().is_none_or(|ids| ids.contains(&id.as_str())))
            .map(|(id, created, s)| target_json(&id, SCALABLE_DIMENSION, s.min, s.max, created))
            .collect()
    } else {
        Vec::new()
    };
    if super::component_scaling::asked(input) {
        items.extend(super::component_scaling::targets(w, ids.as_deref()));
    }
    paged(items, input, max, "ScalableTargets")
}

/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
fn policies(w: &World, input: &Value) -> Result<Value, WireError> {
    let max = max_results(input, 10)?;
    let rid = input.get("ResourceId").and_then(Value::as_str);
    let names: Option<Vec<&str>> = input
        .get("PolicyNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let mut items = Vec::new();
    if sagemaker_variants(input) {
        for (id, created, s) in scaled(w) {
            let policy_arn = |name: &str| {
                let policy_id = ids::uuid(&[ids::hash_str(&id), ids::hash_str(name)]);
                format!(
                    "arn:aws:autoscaling:{REGION}:{ACCOUNT}:scalingPolicy:{policy_id}:resource/sagemaker/{id}:policyName/{name}"
                )
            };
            let wanted = |name: &str| {
                rid.is_none_or(|r| r == id) && names.as_ref().is_none_or(|n| n.contains(&name))
            };
            let alarm = |name: &str| json!({ "AlarmName": name, "AlarmARN": format!("arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{name}") });
            if let Some(p) = s.policy.as_ref().filter(|p| wanted(&p.name)) {
                let mut cfg = target_tracking_json(p);
                if p.metric == INVOCATIONS_PER_INSTANCE_METRIC {
                    cfg["PredefinedMetricSpecification"] =
                        json!({ "PredefinedMetricType": p.metric });
                } else {
                    let dims = match parse_resource_id(&id) {
                        Some((e, _)) => json!([{ "Name": "EndpointName", "Value": e }]),
                        None => json!([]),
                    };
                    cfg["CustomizedMetricSpecification"] = json!({ "MetricName": p.metric, "Namespace": "AWS/SageMaker", "Dimensions": dims, "Statistic": "Average" });
                }
                items.push(json!({
                    "PolicyARN": policy_arn(&p.name),
                    "PolicyName": p.name,
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": id,
                    "ScalableDimension": SCALABLE_DIMENSION,
                    "PolicyType": p.policy_type,
                    "TargetTrackingScalingPolicyConfiguration": cfg,
                    "Alarms": [alarm(&s.alarm_high), alarm(&s.alarm_low)],
                    "CreationTime": secs(created),
                }));
            }
            // https://docs.aws.amazon.com/autoscaling/application/APIReference/API_StepScalingPolicyConfiguration.html
            if let Some(st) = s.step.as_ref().filter(|st| wanted(&st.policy.name)) {
                items.push(json!({
                    "PolicyARN": policy_arn(&st.policy.name),
                    "PolicyName": st.policy.name,
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": id,
                    "ScalableDimension": SCALABLE_DIMENSION,
                    "PolicyType": st.policy.policy_type,
                    "StepScalingPolicyConfiguration": {
                        "AdjustmentType": "ChangeInCapacity",
                        "MetricAggregationType": "Average",
                        "Cooldown": crate::sim::async_scale::STEP_COOLDOWN_MS / 1000,
                        "StepAdjustments": [
                            { "MetricIntervalLowerBound": 0.0, "ScalingAdjustment": st.adjustment }
                        ]
                    },
                    "Alarms": [alarm(&st.alarm)],
                    "CreationTime": secs(created),
                }));
            }
        }
    }
    if super::component_scaling::asked(input) {
        items.extend(super::component_scaling::policies(w, rid, names.as_deref()));
    }
    paged(items, input, max, "ScalingPolicies")
}

/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingActivities.html
fn activities(w: &World, input: &Value) -> Result<Value, WireError> {
    let max = max_results(input, 50)?;
    let rid = input.get("ResourceId").and_then(Value::as_str);
    let items: Vec<Value> = if sagemaker_variants(input) {
        w.activities
            .iter()
            .rev()
            .filter(|a| rid.is_none_or(|r| r == resource_id(&a.endpoint, &a.variant)))
            .map(|a| {
                let mut o = json!({
                    "ActivityId": a.id,
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource_id(&a.endpoint, &a.variant),
                    "ScalableDimension": SCALABLE_DIMENSION,
                    "Description": a.description,
                    "Cause": a.cause,
                    "StartTime": secs(a.start_time.timestamp_millis()),
                    "StatusCode": a.status.as_str(),
                });
                if let Some(t) = a.end_time {
                    o["EndTime"] = secs(t.timestamp_millis());
                }
                if let Some(m) = &a.status_message {
                    o["StatusMessage"] = json!(m);
                }
                o
            })
            .collect()
    } else {
        Vec::new()
    };
    paged(items, input, max, "ScalingActivities")
}

/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
fn register(w: &mut World, input: &Value) -> Result<Value, WireError> {
    let id = input
        .get("ResourceId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let bad = |m: String| WireError::validation(Svc::AutoScaling, m);
    if !sagemaker_variants(input) {
        return Err(bad(format!(
            "Unsupported service namespace or scalable dimension for resource {id}"
        )));
    }
    let Some((endpoint, variant)) = parse_resource_id(id) else {
        return Err(bad(format!("Unsupported resource ID format: {id}")));
    };
    let existing = w
        .endpoints
        .get(&endpoint)
        .and_then(|e| e.variants.iter().find(|v| v.name == variant))
        .and_then(|v| v.scaling.as_ref())
        .map(|s| (s.min, s.max));
    let num = |k: &str| input.get(k).and_then(Value::as_i64);
    let (min, max) = match (num("MinCapacity"), num("MaxCapacity"), existing) {
        (Some(a), Some(b), _) => (a, b),
        (a, b, Some((m, x))) => (a.unwrap_or(m.into()), b.unwrap_or(x.into())),
        _ => {
            return Err(bad(
                "MinCapacity and MaxCapacity are required when registering a new scalable target"
                    .into(),
            ));
        }
    };
    let to_u32 = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    crate::sim::writes::register_target(w, &endpoint, &variant, to_u32(min), to_u32(max))
        .map_err(|e| backend_error(Svc::AutoScaling, &e))?;
    Ok(json!({
        "ScalableTargetARN": format!("arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{}", ids::hex_upper(&[ids::hash_str(id)], 16).to_ascii_lowercase()),
    }))
}

/// One scalable target as DescribeScalableTargets answers it (variants' and components' alike).
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_ScalableTarget.html
pub(super) fn target_json(id: &str, dimension: &str, min: u32, max: u32, created_ms: i64) -> Value {
    json!({
        "ServiceNamespace": "sagemaker",
        "ResourceId": id,
        "ScalableDimension": dimension,
        "MinCapacity": min,
        "MaxCapacity": max,
        "RoleARN": format!("arn:aws:iam::{ACCOUNT}:role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"),
        "CreationTime": secs(created_ms),
        "SuspendedState": {
            "DynamicScalingInSuspended": false,
            "DynamicScalingOutSuspended": false,
            "ScheduledScalingSuspended": false
        },
        "ScalableTargetARN": format!("arn:aws:application-autoscaling:{REGION}:{ACCOUNT}:scalable-target/{}", ids::hex_upper(&[ids::hash_str(id)], 16).to_ascii_lowercase()),
    })
}

/// A target-tracking policy's configuration without its metric: target, cooldowns and
/// DisableScaleIn. The caller adds the predefined or customized metric.
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_TargetTrackingScalingPolicyConfiguration.html
pub(super) fn target_tracking_json(p: &ScalingPolicy) -> Value {
    let mut cfg = json!({ "DisableScaleIn": p.disable_scale_in });
    if let Some(t) = p.target_value {
        cfg["TargetValue"] = json!(t);
    }
    if let Some(d) = p.scale_in_cooldown {
        cfg["ScaleInCooldown"] = json!(d.as_secs());
    }
    if let Some(d) = p.scale_out_cooldown {
        cfg["ScaleOutCooldown"] = json!(d.as_secs());
    }
    cfg
}
