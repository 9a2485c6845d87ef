//! Owns the deployment and watcher operations on the wire: SageMaker ListInferenceExperiments,
//! DescribeInferenceExperiment, ListEndpointConfigs, UpdateEndpoint, ListMonitoringSchedules,
//! DescribeMonitoringSchedule (awsJson1_1), CloudWatch DescribeAlarms (rpcv2Cbor / awsJson1_0),
//! and what DescribeEndpoint adds for them (LastDeploymentConfig, DataCaptureConfig,
//! PendingDeploymentSummary, ShadowProductionVariants, VariantStatus).

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::{page_by, secs};
use crate::domain::*;
use crate::sim::SimAccount;
use crate::sim::deployments;
use crate::sim::ids;
use crate::sim::world::World;

fn ts(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| secs(ids::to_ms(t)))
}

fn str_of<'a>(input: &'a Value, k: &str) -> &'a str {
    input.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, x| !x.is_null());
            m.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => a.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The SageMaker operations this file serves; `None` for the others.
pub(super) fn sagemaker(
    w: &mut World,
    op: &str,
    input: &Value,
) -> Option<Result<Value, WireError>> {
    let r = match op {
        "ListInferenceExperiments" => list_experiments(w, input),
        "DescribeInferenceExperiment" => describe_experiment(w, input),
        "ListEndpointConfigs" => list_configs(w, input),
        "UpdateEndpoint" => update_endpoint(w, input),
        "ListMonitoringSchedules" => list_schedules(w, input),
        "DescribeMonitoringSchedule" => describe_schedule(w, input),
        _ => return None,
    };
    Some(r.map(|mut v| {
        strip_nulls(&mut v);
        v
    }))
}

fn capacity(c: CapacitySize) -> Value {
    match c {
        CapacitySize::InstanceCount(n) => json!({ "Type": "INSTANCE_COUNT", "Value": n }),
        CapacitySize::CapacityPercent(n) => json!({ "Type": "CAPACITY_PERCENT", "Value": n }),
    }
}

fn parse_capacity(v: Option<&Value>) -> Option<CapacitySize> {
    let v = v?;
    let n = u32::try_from(v.get("Value")?.as_u64()?).ok()?;
    Some(match v.get("Type")?.as_str()? {
        "CAPACITY_PERCENT" => CapacitySize::CapacityPercent(n),
        _ => CapacitySize::InstanceCount(n),
    })
}

/// `DeploymentConfig` on the wire:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html
pub(crate) fn config_json(c: &DeploymentConfig) -> Value {
    let mut out = json!({});
    match c.strategy {
        Some(DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s,
            termination_wait_s,
            max_execution_timeout_s,
        }) => {
            let mut r = json!({ "WaitIntervalInSeconds": wait_interval_s });
            match routing {
                TrafficRouting::AllAtOnce => r["Type"] = json!("ALL_AT_ONCE"),
                TrafficRouting::Canary(s) => {
                    r["Type"] = json!("CANARY");
                    r["CanarySize"] = capacity(s);
                }
                TrafficRouting::Linear(s) => {
                    r["Type"] = json!("LINEAR");
                    r["LinearStepSize"] = capacity(s);
                }
            }
            out["BlueGreenUpdatePolicy"] = json!({
                "TrafficRoutingConfiguration": r,
                "TerminationWaitInSeconds": termination_wait_s,
                "MaximumExecutionTimeoutInSeconds": max_execution_timeout_s,
            });
        }
        Some(DeploymentStrategy::Rolling {
            batch,
            wait_interval_s,
            rollback_batch,
            max_execution_timeout_s,
        }) => {
            out["RollingUpdatePolicy"] = json!({
                "MaximumBatchSize": capacity(batch),
                "WaitIntervalInSeconds": wait_interval_s,
                "RollbackMaximumBatchSize": rollback_batch.map(capacity),
                "MaximumExecutionTimeoutInSeconds": max_execution_timeout_s,
            });
        }
        None => {}
    }
    if !c.rollback_alarms.is_empty() {
        let alarms: Vec<Value> = c
            .rollback_alarms
            .iter()
            .map(|a| json!({ "AlarmName": a }))
            .collect();
        out["AutoRollbackConfiguration"] = json!({ "Alarms": alarms });
    }
    out
}

fn parse_config(v: &Value) -> Result<DeploymentConfig, WireError> {
    let invalid = |m: &str| WireError::validation(Svc::SageMaker, m.to_string());
    let secs_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_u64).map(|n| n as u32);
    let strategy = if let Some(b) = v.get("BlueGreenUpdatePolicy") {
        let r = &b["TrafficRoutingConfiguration"];
        let routing = match str_of(r, "Type") {
            "CANARY" => TrafficRouting::Canary(
                parse_capacity(r.get("CanarySize"))
                    .ok_or_else(|| invalid("CanarySize is required when Type is CANARY."))?,
            ),
            "LINEAR" => TrafficRouting::Linear(
                parse_capacity(r.get("LinearStepSize"))
                    .ok_or_else(|| invalid("LinearStepSize is required when Type is LINEAR."))?,
            ),
            _ => TrafficRouting::AllAtOnce,
        };
        Some(DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s: secs_of(r, "WaitIntervalInSeconds").unwrap_or(0),
            termination_wait_s: secs_of(b, "TerminationWaitInSeconds").unwrap_or(0),
            max_execution_timeout_s: secs_of(b, "MaximumExecutionTimeoutInSeconds"),
        })
    } else if let Some(r) = v.get("RollingUpdatePolicy") {
        Some(DeploymentStrategy::Rolling {
            batch: parse_capacity(r.get("MaximumBatchSize"))
                .ok_or_else(|| invalid("MaximumBatchSize is required."))?,
            wait_interval_s: secs_of(r, "WaitIntervalInSeconds").unwrap_or(0),
            rollback_batch: parse_capacity(r.get("RollbackMaximumBatchSize")),
            max_execution_timeout_s: secs_of(r, "MaximumExecutionTimeoutInSeconds"),
        })
    } else {
        None
    };
    // "CanarySize … must be less than or equal to 50% of the endpoint's instance count":
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
    if let Some(DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(p)),
        ..
    }) = strategy
        && p > 50
    {
        return Err(invalid(
            "CanarySize must be at most 50% of the endpoint's instance count.",
        ));
    }
    // LinearStepSize "must be 10-50% of the variant's total instance count".
    if let Some(DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::Linear(CapacitySize::CapacityPercent(p)),
        ..
    }) = strategy
        && !(10..=50).contains(&p)
    {
        return Err(invalid(
            "LinearStepSize must be between 10% and 50% of the endpoint's instance count.",
        ));
    }
    let rollback_alarms = v
        .pointer("/AutoRollbackConfiguration/Alarms")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|x| str_of(x, "AlarmName").to_string())
                .collect()
        })
        .unwrap_or_default();
    Ok(DeploymentConfig {
        strategy,
        rollback_alarms,
    })
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
fn update_endpoint(w: &mut World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "EndpointName");
    let config = match input.get("DeploymentConfig") {
        Some(d) => parse_config(d)?,
        None => DeploymentConfig {
            strategy: None,
            rollback_alarms: Vec::new(),
        },
    };
    let request = DeploymentRequest {
        endpoint: name.to_string(),
        config_name: str_of(input, "EndpointConfigName").to_string(),
        strategy: config.strategy.unwrap_or(DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::AllAtOnce,
            wait_interval_s: 0,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        }),
        rollback_alarms: config.rollback_alarms,
    };
    deployments::update_endpoint(w, &request)
        .map(|_| json!({ "EndpointArn": ids::endpoint_arn(name) }))
        .map_err(|e| super::sagemaker::backend_error(Svc::SageMaker, &e))
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html
fn list_configs(w: &World, input: &Value) -> Result<Value, WireError> {
    let contains = input
        .get("NameContains")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let mut all: Vec<EndpointConfigSummary> = deployments::list_configs(w)
        .into_iter()
        .filter(|c| {
            contains
                .as_deref()
                .is_none_or(|s| c.name.to_ascii_lowercase().contains(s))
        })
        .collect();
    if str_of(input, "SortBy") == "Name" {
        all.sort_by(|a, b| a.name.cmp(&b.name));
        if str_of(input, "SortOrder") != "Ascending" {
            all.reverse();
        }
    } else if str_of(input, "SortOrder") == "Ascending" {
        all.reverse();
    }
    let (page, next) = page_by(all, input, "MaxResults", 10, Svc::SageMaker)?;
    let configs: Vec<Value> = page
        .iter()
        .map(|c| {
            json!({
                "EndpointConfigName": c.name,
                "EndpointConfigArn": format!("arn:aws:sagemaker:{}:{}:endpoint-config/{}", ids::REGION, ids::ACCOUNT, c.name),
                "CreationTime": ts(Some(c.creation_time)),
            })
        })
        .collect();
    Ok(json!({ "EndpointConfigs": configs, "NextToken": next }))
}

fn experiment_summary(x: &deployments::SimExperiment) -> Value {
    json!({
        "Name": x.test.name,
        "Type": "ShadowMode",
        "Status": x.test.status,
        "StatusReason": x.test.status_reason,
        "Schedule": { "StartTime": ts(x.test.schedule_start), "EndTime": ts(x.test.schedule_end) },
        "CreationTime": ts(x.test.schedule_start),
        "LastModifiedTime": ts(x.test.schedule_start),
    })
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceExperiments.html
fn list_experiments(w: &World, input: &Value) -> Result<Value, WireError> {
    let status = input.get("StatusEquals").and_then(Value::as_str);
    let all: Vec<&deployments::SimExperiment> = w
        .deploy
        .experiments
        .iter()
        .filter(|x| status.is_none_or(|s| x.test.status == s))
        .collect();
    let (page, next) = page_by(all, input, "MaxResults", 10, Svc::SageMaker)?;
    let items: Vec<Value> = page.into_iter().map(experiment_summary).collect();
    Ok(json!({ "InferenceExperiments": items, "NextToken": next }))
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceExperiment.html
fn describe_experiment(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "Name");
    let x = w
        .deploy
        .experiments
        .iter()
        .find(|x| x.test.name == name)
        .ok_or_else(|| {
            WireError::new(
                400,
                "ResourceNotFound",
                format!("Inference experiment {name} does not exist."),
            )
        })?;
    let mut out = experiment_summary(x);
    out["Arn"] = json!(format!(
        "arn:aws:sagemaker:{}:{}:inference-experiment/{name}",
        ids::REGION,
        ids::ACCOUNT
    ));
    out["EndpointMetadata"] = json!({ "EndpointName": x.endpoint, "EndpointStatus": w.endpoints.get(&x.endpoint).map(|e| e.status.as_str()) });
    let mut variants = vec![
        json!({ "ModelName": format!("{}-model", x.test.source_variant.clone().unwrap_or_default()), "VariantName": x.test.source_variant }),
    ];
    variants.extend(
        x.test.shadows.iter().map(
            |s| json!({ "ModelName": format!("{}-model", s.variant), "VariantName": s.variant }),
        ),
    );
    out["ModelVariants"] = json!(variants);
    let shadows: Vec<Value> = x
        .test
        .shadows
        .iter()
        .map(|s| json!({ "ShadowModelVariantName": s.variant, "SamplingPercentage": s.sampling_percent }))
        .collect();
    out["ShadowModeConfig"] =
        json!({ "SourceModelVariantName": x.test.source_variant, "ShadowModelVariants": shadows });
    Ok(out)
}

fn schedule_summary(s: &deployments::SimSchedule) -> Value {
    json!({
        "MonitoringScheduleName": s.schedule.name,
        "MonitoringScheduleArn": format!("arn:aws:sagemaker:{}:{}:monitoring-schedule/{}", ids::REGION, ids::ACCOUNT, s.schedule.name),
        "CreationTime": secs(0),
        "LastModifiedTime": secs(0),
        "MonitoringScheduleStatus": s.schedule.status,
        "EndpointName": s.endpoint,
        "MonitoringType": s.schedule.monitoring_type,
    })
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListMonitoringSchedules.html
fn list_schedules(w: &World, input: &Value) -> Result<Value, WireError> {
    let endpoint = input.get("EndpointName").and_then(Value::as_str);
    let all: Vec<&deployments::SimSchedule> = w
        .deploy
        .schedules
        .iter()
        .filter(|s| endpoint.is_none_or(|e| s.endpoint == e))
        .collect();
    let (page, next) = page_by(all, input, "MaxResults", 10, Svc::SageMaker)?;
    let items: Vec<Value> = page.into_iter().map(schedule_summary).collect();
    Ok(json!({ "MonitoringScheduleSummaries": items, "NextToken": next }))
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeMonitoringSchedule.html
fn describe_schedule(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "MonitoringScheduleName");
    let s = w
        .deploy
        .schedules
        .iter()
        .find(|s| s.schedule.name == name)
        .ok_or_else(|| {
            WireError::new(
                400,
                "ResourceNotFound",
                format!("Monitoring schedule {name} does not exist."),
            )
        })?;
    let mut out = schedule_summary(s);
    if let Some(e) = &s.schedule.last_execution {
        out["LastMonitoringExecutionSummary"] = json!({
            "MonitoringScheduleName": name,
            "ScheduledTime": ts(e.scheduled_time),
            "CreationTime": ts(e.scheduled_time),
            "LastModifiedTime": ts(e.scheduled_time),
            "MonitoringExecutionStatus": e.status,
            "EndpointName": s.endpoint,
            "FailureReason": e.failure_reason,
        });
    }
    Ok(out)
}

/// CloudWatch `DescribeAlarms` (metric alarms; by AlarmNames or every page):
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
pub(super) fn describe_alarms(sim: &SimAccount, input: &Value) -> Result<Value, WireError> {
    let w = sim.world();
    let names: Option<Vec<&str>> = input
        .get("AlarmNames")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let all: Vec<(&String, &deployments::SimAlarm)> = w
        .deploy
        .alarms
        .iter()
        .filter(|(n, _)| names.as_ref().is_none_or(|ns| ns.contains(&n.as_str())))
        .collect();
    let (page, next) = page_by(all, input, "MaxRecords", 50, Svc::CloudWatch)?;
    let alarms: Vec<Value> = page
        .into_iter()
        .map(|(n, a)| {
            json!({
                "AlarmName": n,
                "AlarmArn": format!("arn:aws:cloudwatch:{}:{}:alarm:{n}", ids::REGION, ids::ACCOUNT),
                "StateValue": a.state.as_str(),
                "StateReason": a.reason,
                "StateUpdatedTimestamp": secs(a.updated_ms),
                "Namespace": "AWS/SageMaker",
                "ComparisonOperator": "GreaterThanThreshold",
                "EvaluationPeriods": 1,
            })
        })
        .collect();
    let mut out = json!({ "MetricAlarms": alarms, "CompositeAlarms": [] });
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

fn variant_json(v: &Variant, pending: bool) -> Value {
    let mut o = json!({
        "VariantName": v.name,
        "CurrentWeight": v.current_weight,
        "DesiredWeight": v.desired_weight,
        "CurrentInstanceCount": v.current_instance_count,
        "DesiredInstanceCount": v.desired_instance_count,
    });
    if pending {
        o["InstanceType"] = json!(v.instance_type);
    }
    if !v.statuses.is_empty() {
        o["VariantStatus"] = statuses_json(&v.statuses);
    }
    o
}

fn statuses_json(list: &[VariantStatusEntry]) -> Value {
    Value::Array(
        list.iter()
            .map(|s| json!({ "Status": s.status, "StatusMessage": s.message, "StartTime": ts(s.start_time) }))
            .collect(),
    )
}

/// What DescribeEndpoint adds for deployments, shadow variants and data capture.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
pub(super) fn decorate_describe(w: &World, name: &str, out: &mut Value) {
    let Some(ep) = w.endpoints.get(name) else {
        return;
    };
    let mut e = ep.describe();
    deployments::decorate(w, &mut e);
    if let Some(list) = out["ProductionVariants"].as_array_mut() {
        for (o, v) in list.iter_mut().zip(&e.variants) {
            if !v.statuses.is_empty() {
                o["VariantStatus"] = statuses_json(&v.statuses);
            }
        }
    }
    if !e.shadow_variants.is_empty() {
        out["ShadowProductionVariants"] = Value::Array(
            e.shadow_variants
                .iter()
                .map(|v| variant_json(v, false))
                .collect(),
        );
    }
    if let Some(p) = &e.pending {
        out["PendingDeploymentSummary"] = json!({
            "EndpointConfigName": p.config_name,
            "StartTime": ts(p.start_time),
            "ProductionVariants": p.variants.iter().map(|v| variant_json(v, true)).collect::<Vec<_>>(),
        });
    }
    if let Some(x) = w.deploy.endpoints.get(name) {
        if let Some(c) = &x.last_config {
            out["LastDeploymentConfig"] = config_json(c);
        }
        if let Some(c) = &x.capture {
            out["DataCaptureConfig"] = json!({
                "EnableCapture": c.enabled,
                "CaptureStatus": c.status,
                "CurrentSamplingPercentage": c.sampling_percent,
                "DestinationS3Uri": c.destination,
            });
        }
    }
    strip_nulls(out);
}

/// `DescribeEndpointConfig` of a deploy target (a config no endpoint runs yet).
pub(super) fn describe_target_config(w: &World, name: &str) -> Option<Value> {
    let c = w.deploy.configs.get(name)?;
    let variants: Vec<Value> = c
        .variants
        .iter()
        .map(|(v, model, itype, n)| {
            json!({ "VariantName": v, "ModelName": model, "InstanceType": itype, "InitialInstanceCount": n, "InitialVariantWeight": 1.0 })
        })
        .collect();
    Some(json!({
        "EndpointConfigName": name,
        "EndpointConfigArn": format!("arn:aws:sagemaker:{}:{}:endpoint-config/{name}", ids::REGION, ids::ACCOUNT),
        "ProductionVariants": variants,
        "CreationTime": secs(c.creation_ms),
    }))
}
