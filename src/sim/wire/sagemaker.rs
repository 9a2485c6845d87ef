//! Owns the SageMaker control plane on the wire (awsJson1_1): ListEndpoints, DescribeEndpoint,
//! DescribeEndpointConfig, UpdateEndpointWeightsAndCapacities, with SageMaker's response shapes,
//! its documented rules, and every read recorded in the account's CloudTrail as a read-only
//! management event (CloudTrail logs Describe*/List* calls, so an EventSource lookup is mostly
//! reads: <https://docs.aws.amazon.com/sagemaker/latest/dg/logging-using-cloudtrail.html>).

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::{ms_of, page_by, secs};
use crate::boundary::BackendError;
use crate::domain::*;
use crate::sim::SimAccount;
use crate::sim::ids;
use crate::sim::trail::{self, Caller};
use crate::sim::world::{EndpointState, World};

pub(super) fn call(
    sim: &SimAccount,
    op: &str,
    input: &Value,
    request_id: &str,
) -> Result<Value, WireError> {
    let mut w = sim.world();
    let result = match op {
        "ListEndpoints" => list_endpoints(&w, input),
        "DescribeEndpoint" => describe_endpoint(&w, input),
        "DescribeEndpointConfig" => describe_endpoint_config(&w, input),
        "UpdateEndpointWeightsAndCapacities" => return update(&mut w, input),
        "UpdateInferenceComponentRuntimeConfig" => return super::hosting::call(&mut w, op, input),
        o if super::hosting::OPERATIONS.contains(&o) => super::hosting::call(&mut w, op, input),
        "UpdateEndpoint" => {
            return super::deployments::sagemaker(&mut w, op, input)
                .unwrap_or_else(|| Err(WireError::new(400, "UnknownOperationException", op)));
        }
        _ => super::deployments::sagemaker(&mut w, op, input)
            .unwrap_or_else(|| Err(WireError::new(400, "UnknownOperationException", op))),
    };
    record_read(&mut w, op, input, request_id, result.as_ref().err());
    result
}

fn str_of<'a>(input: &'a Value, k: &str) -> &'a str {
    input.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// The read as CloudTrail records it (by the operator's session).
fn record_read(
    w: &mut World,
    op: &str,
    input: &Value,
    request_id: &str,
    error: Option<&WireError>,
) {
    let (request, resources) = match op {
        "DescribeEndpoint" => {
            let n = str_of(input, "EndpointName");
            (json!({ "endpointName": n }), vec![n.to_string()])
        }
        "DescribeEndpointConfig" => {
            let n = str_of(input, "EndpointConfigName");
            (json!({ "endpointConfigName": n }), vec![n.to_string()])
        }
        _ => {
            let mut req = serde_json::Map::new();
            if let Value::Object(m) = input {
                for (k, v) in m {
                    let mut c = k.chars();
                    let key = c
                        .next()
                        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
                        .unwrap_or_default();
                    req.insert(key, v.clone());
                }
            }
            (Value::Object(req), vec![])
        }
    };
    let caller = Caller::operator();
    let ev = trail::event(
        w.seed,
        trail::Call {
            time_ms: w.now_ms,
            caller: &caller,
            name: op,
            read_only: true,
            resources,
            request,
            response: Value::Null,
            error: error.map(|e| (e.code.as_str(), e.message.as_str())),
            request_id: Some(request_id),
            salt: ids::hash_str(request_id),
        },
    );
    w.trail.push(ev);
}

fn not_found_endpoint(name: &str) -> WireError {
    // SageMaker answers a missing endpoint with ValidationException, not ResourceNotFound:
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
    // lists no ResourceNotFound for DescribeEndpoint.
    WireError::validation(
        Svc::SageMaker,
        format!("Could not find endpoint \"{}\".", ids::endpoint_arn(name)),
    )
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpoints.html
fn list_endpoints(w: &World, input: &Value) -> Result<Value, WireError> {
    let sort_by = input
        .get("SortBy")
        .and_then(Value::as_str)
        .unwrap_or("CreationTime");
    let descending = input
        .get("SortOrder")
        .and_then(Value::as_str)
        .unwrap_or("Descending")
        == "Descending";
    let contains = input
        .get("NameContains")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let status = input.get("StatusEquals").and_then(Value::as_str);
    let before = |k: &str, t: i64| ms_of(input.get(k)).is_none_or(|b| t < b);
    let after = |k: &str, t: i64| ms_of(input.get(k)).is_none_or(|a| t > a);
    let mut eps: Vec<&EndpointState> = w
        .endpoints
        .values()
        .filter(|e| {
            contains
                .as_deref()
                .is_none_or(|c| e.name.to_ascii_lowercase().contains(c))
        })
        .filter(|e| status.is_none_or(|s| e.status.as_str() == s))
        .filter(|e| {
            before("CreationTimeBefore", e.creation_ms) && after("CreationTimeAfter", e.creation_ms)
        })
        .filter(|e| {
            before("LastModifiedTimeBefore", e.last_modified_ms)
                && after("LastModifiedTimeAfter", e.last_modified_ms)
        })
        .collect();
    match sort_by {
        "Name" => eps.sort_by(|a, b| a.name.cmp(&b.name)),
        "Status" => eps.sort_by(|a, b| {
            a.status
                .as_str()
                .cmp(b.status.as_str())
                .then(a.name.cmp(&b.name))
        }),
        _ => eps.sort_by(|a, b| a.creation_ms.cmp(&b.creation_ms).then(a.name.cmp(&b.name))),
    }
    if descending {
        eps.reverse();
    }
    let (page, next) = page_by(eps, input, "MaxResults", 10, Svc::SageMaker)?;
    let endpoints: Vec<Value> = page
        .iter()
        .map(|e| {
            json!({
                "EndpointName": e.name,
                "EndpointArn": e.arn,
                "CreationTime": secs(e.creation_ms),
                "LastModifiedTime": secs(e.last_modified_ms),
                "EndpointStatus": e.status.as_str(),
            })
        })
        .collect();
    let mut out = json!({ "Endpoints": endpoints });
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
fn describe_endpoint(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "EndpointName");
    let ep = w
        .endpoints
        .get(name)
        .ok_or_else(|| not_found_endpoint(name))?;
    let updating = ep.status == EndpointStatus::Updating;
    let variants: Vec<Value> = ep
        .variants
        .iter()
        .map(|v| {
            let mut o = json!({
                "VariantName": v.name,
                "CurrentWeight": v.current_weight,
                "DesiredWeight": v.desired_weight,
                "DeployedImages": [{
                    "SpecifiedImage": format!("683313688378.dkr.ecr.us-east-1.amazonaws.com/{}:latest", v.model_name),
                    "ResolvedImage": format!("683313688378.dkr.ecr.us-east-1.amazonaws.com/{}@sha256:{}", v.model_name, ids::hex_upper(&[ids::hash_str(&v.model_name)], 16).to_ascii_lowercase()),
                    "ResolutionTime": secs(ep.creation_ms),
                }],
            });
            if let Some(s) = v.serverless {
                let cfg = json!({ "MemorySizeInMB": s.memory_size_mb, "MaxConcurrency": s.max_concurrency });
                o["CurrentServerlessConfig"] = cfg.clone();
                o["DesiredServerlessConfig"] = cfg;
            } else {
                if let Some(n) = v.current_count {
                    o["CurrentInstanceCount"] = json!(n);
                }
                if let Some(n) = v.desired_count {
                    o["DesiredInstanceCount"] = json!(n);
                }
            }
            // VariantStatus: what the variant is doing while the endpoint changes.
            let changing = v.current_count != v.desired_count || v.current_weight != v.desired_weight;
            if updating && changing {
                o["VariantStatus"] = json!([{ "Status": "Updating", "StartTime": secs(ep.last_modified_ms) }]);
            }
            o
        })
        .collect();
    let mut out = json!({
        "EndpointName": ep.name,
        "EndpointArn": ep.arn,
        "EndpointConfigName": ep.config_name,
        "ProductionVariants": variants,
        "EndpointStatus": ep.status.as_str(),
        "CreationTime": secs(ep.creation_ms),
        "LastModifiedTime": secs(ep.last_modified_ms),
    });
    if let Some(r) = &ep.failure_reason {
        out["FailureReason"] = json!(r);
    }
    super::deployments::decorate_describe(w, name, &mut out);
    Ok(out)
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html
fn describe_endpoint_config(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "EndpointConfigName");
    if let Some(out) = super::deployments::describe_target_config(w, name) {
        return Ok(out);
    }
    let ep = w.endpoints.values().find(|e| e.config_name == name).ok_or_else(|| {
        WireError::validation(
            Svc::SageMaker,
            format!(
                "Could not find endpoint configuration \"arn:aws:sagemaker:{}:{}:endpoint-config/{name}\".",
                ids::REGION,
                ids::ACCOUNT
            ),
        )
    })?;
    let variants: Vec<Value> = ep
        .variants
        .iter()
        .map(|v| {
            let mut o = json!({
                "VariantName": v.name,
                "InitialVariantWeight": v.desired_weight,
            });
            if !v.model_name.is_empty() {
                o["ModelName"] = json!(v.model_name);
            }
            if let Some(s) = v.serverless {
                o["ServerlessConfig"] = json!({ "MemorySizeInMB": s.memory_size_mb, "MaxConcurrency": s.max_concurrency });
            }
            if let Some(t) = &v.instance_type {
                o["InstanceType"] = json!(t);
                o["InitialInstanceCount"] = json!(v.desired_count.unwrap_or(1));
            }
            o
        })
        .collect();
    let mut out = json!({
        "EndpointConfigName": ep.config_name,
        "EndpointConfigArn": format!("arn:aws:sagemaker:{}:{}:endpoint-config/{}", ids::REGION, ids::ACCOUNT, ep.config_name),
        "ProductionVariants": variants,
        "CreationTime": secs(ep.creation_ms),
    });
    super::hosting::config_fields(w, ep, &mut out);
    Ok(out)
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
/// "Updates variant weight of one or more variants associated with an existing endpoint, or
/// capacity of one variant associated with an existing endpoint."
fn update(w: &mut World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "EndpointName");
    let items = input
        .get("DesiredWeightsAndCapacities")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let changes: Vec<VariantChange> = items
        .iter()
        .map(|i| VariantChange {
            variant: str_of(i, "VariantName").to_string(),
            desired_weight: i.get("DesiredWeight").and_then(Value::as_f64),
            desired_instance_count: i
                .get("DesiredInstanceCount")
                .and_then(Value::as_u64)
                .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        })
        .collect();
    let capacity_changes = changes
        .iter()
        .filter(|c| c.desired_instance_count.is_some())
        .count();
    if capacity_changes > 1 {
        return Err(WireError::validation(
            Svc::SageMaker,
            "UpdateEndpointWeightsAndCapacities can change the capacity of only one variant per call; DesiredInstanceCount was given for several variants.",
        ));
    }
    match crate::sim::writes::update(w, name, &changes) {
        Ok(_) => Ok(json!({ "EndpointArn": ids::endpoint_arn(name) })),
        Err(e) => Err(backend_error(Svc::SageMaker, &e)),
    }
}

/// A sim refusal in the wire's terms.
pub(super) fn backend_error(svc: Svc, e: &BackendError) -> WireError {
    match e {
        BackendError::LimitExceeded { message, .. } => {
            let code = if svc == Svc::SageMaker {
                "ResourceLimitExceeded"
            } else {
                "LimitExceededException"
            };
            WireError::new(400, code, message.clone())
        }
        BackendError::NotFound { message, .. } | BackendError::Validation { message, .. } => {
            WireError::validation(svc, message.clone())
        }
        other => WireError::new(500, "InternalFailure", other.to_string()),
    }
}
