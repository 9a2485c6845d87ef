//! Owns SageMaker's hosting operations on the wire (awsJson1_1): ListInferenceComponents,
//! DescribeInferenceComponent, UpdateInferenceComponentRuntimeConfig and DescribeModel, with
//! SageMaker's response shapes and refusals; and the hosting fields DescribeEndpointConfig adds
//! (AsyncInferenceConfig, ManagedInstanceScaling, ServerlessConfig.ProvisionedConcurrency).

use serde_json::{Value, json};

use super::model::Svc;
use super::protocol::WireError;
use super::sagemaker::backend_error;
use super::{page_by, secs};
use crate::domain::*;
use crate::sim::hosting::{self, SimComponent};
use crate::sim::ids;
use crate::sim::world::{EndpointState, World};

/// The operations this file serves.
pub(super) const OPERATIONS: [&str; 4] = [
    "ListInferenceComponents",
    "DescribeInferenceComponent",
    "UpdateInferenceComponentRuntimeConfig",
    "DescribeModel",
];

fn str_of<'a>(input: &'a Value, k: &str) -> &'a str {
    input.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn ic_arn(name: &str) -> String {
    format!(
        "arn:aws:sagemaker:{}:{}:inference-component/{name}",
        ids::REGION,
        ids::ACCOUNT
    )
}

pub(super) fn call(w: &mut World, op: &str, input: &Value) -> Result<Value, WireError> {
    match op {
        "ListInferenceComponents" => list(w, input),
        "DescribeInferenceComponent" => describe(w, input),
        "UpdateInferenceComponentRuntimeConfig" => update(w, input),
        "DescribeModel" => describe_model(w, input),
        _ => Err(WireError::new(400, "UnknownOperationException", op)),
    }
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceComponents.html
fn list(w: &World, input: &Value) -> Result<Value, WireError> {
    let endpoint = input.get("EndpointNameEquals").and_then(Value::as_str);
    let variant = input.get("VariantNameEquals").and_then(Value::as_str);
    let status = input.get("StatusEquals").and_then(Value::as_str);
    let items: Vec<&SimComponent> = w
        .hosting
        .components
        .values()
        .filter(|c| endpoint.is_none_or(|e| c.endpoint == e))
        .filter(|c| variant.is_none_or(|v| c.variant == v))
        .filter(|c| status.is_none_or(|s| c.status.as_str() == s))
        .collect();
    // MaxResults 1–100, default 10.
    let (page, next) = page_by(items, input, "MaxResults", 10, Svc::SageMaker)?;
    let rows: Vec<Value> = page
        .iter()
        .map(|c| {
            json!({
                "InferenceComponentName": c.name,
                "InferenceComponentArn": ic_arn(&c.name),
                "EndpointName": c.endpoint,
                "EndpointArn": ids::endpoint_arn(&c.endpoint),
                "VariantName": c.variant,
                "InferenceComponentStatus": c.status.as_str(),
                "CreationTime": secs(c.created_ms),
                "LastModifiedTime": secs(c.modified_ms),
            })
        })
        .collect();
    let mut out = json!({ "InferenceComponents": rows });
    if let Some(t) = next {
        out["NextToken"] = json!(t);
    }
    Ok(out)
}

fn missing(name: &str) -> WireError {
    WireError::validation(
        Svc::SageMaker,
        format!("Could not find inference component \"{}\".", ic_arn(name)),
    )
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html
fn describe(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "InferenceComponentName");
    let c = w
        .hosting
        .components
        .get(name)
        .ok_or_else(|| missing(name))?;
    let mut compute = json!({});
    if let Some(v) = c.compute.cpu_cores {
        compute["NumberOfCpuCoresRequired"] = json!(v);
    }
    if let Some(v) = c.compute.accelerators {
        compute["NumberOfAcceleratorDevicesRequired"] = json!(v);
    }
    if let Some(v) = c.compute.min_memory_mb {
        compute["MinMemoryRequiredInMb"] = json!(v);
    }
    if let Some(v) = c.compute.max_memory_mb {
        compute["MaxMemoryRequiredInMb"] = json!(v);
    }
    Ok(json!({
        "InferenceComponentName": c.name,
        "InferenceComponentArn": ic_arn(&c.name),
        "EndpointName": c.endpoint,
        "EndpointArn": ids::endpoint_arn(&c.endpoint),
        "VariantName": c.variant,
        "Specification": {
            "ModelName": c.model,
            "ComputeResourceRequirements": compute,
        },
        "RuntimeConfig": {
            "DesiredCopyCount": c.desired,
            "CurrentCopyCount": c.current,
        },
        "CreationTime": secs(c.created_ms),
        "LastModifiedTime": secs(c.modified_ms),
        "InferenceComponentStatus": c.status.as_str(),
    }))
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
fn update(w: &mut World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "InferenceComponentName");
    if !w.hosting.components.contains_key(name) {
        return Err(missing(name));
    }
    let copies = input
        .pointer("/DesiredRuntimeConfig/CopyCount")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let change = CopyChange {
        component: name.to_string(),
        desired_copies: u32::try_from(copies).unwrap_or(u32::MAX),
    };
    hosting::update_copies(w, &change).map_err(|e| backend_error(Svc::SageMaker, &e))?;
    Ok(json!({ "InferenceComponentArn": ic_arn(name) }))
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeModel.html
fn describe_model(w: &World, input: &Value) -> Result<Value, WireError> {
    let name = str_of(input, "ModelName");
    let owner = w
        .endpoints
        .values()
        .find(|e| e.variants.iter().any(|v| v.model_name == name))
        .ok_or_else(|| {
            WireError::validation(
                Svc::SageMaker,
                format!(
                    "Could not find model \"arn:aws:sagemaker:{}:{}:model/{name}\".",
                    ids::REGION,
                    ids::ACCOUNT
                ),
            )
        })?;
    let mut container = json!({
        "Image": format!("683313688378.dkr.ecr.us-east-1.amazonaws.com/{name}:latest"),
        "Mode": "SingleModel",
        "ModelDataUrl": format!("s3://acme-ml-models/{name}/model.tar.gz"),
    });
    if w.hosting.multi_models.contains(name) {
        container["Mode"] = json!("MultiModel");
        container["ModelDataUrl"] = json!(format!("s3://acme-ml-models/{name}/"));
    }
    Ok(json!({
        "ModelName": name,
        "PrimaryContainer": container,
        "ExecutionRoleArn": format!("arn:aws:iam::{}:role/SageMakerExecution", ids::ACCOUNT),
        "CreationTime": secs(owner.creation_ms),
        "ModelArn": format!("arn:aws:sagemaker:{}:{}:model/{name}", ids::REGION, ids::ACCOUNT),
    }))
}

/// Adds the hosting fields of an endpoint config to its `DescribeEndpointConfig` answer.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html
pub(super) fn config_fields(w: &World, ep: &EndpointState, out: &mut Value) {
    let h = &w.hosting;
    if let Some(a) = h.asyncs.get(&ep.name) {
        let mut output = json!({});
        if let Some(p) = &a.config.output_path {
            output["S3OutputPath"] = json!(p);
        }
        if let Some(p) = &a.config.failure_path {
            output["S3FailurePath"] = json!(p);
        }
        let mut cfg = json!({ "OutputConfig": output });
        if let Some(n) = a.config.max_concurrent_per_instance {
            cfg["ClientConfig"] = json!({ "MaxConcurrentInvocationsPerInstance": n });
        }
        out["AsyncInferenceConfig"] = cfg;
    }
    let Some(variants) = out
        .get_mut("ProductionVariants")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    for v in variants {
        let name = v
            .get("VariantName")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let key = (ep.name.clone(), name);
        if let Some(m) = h.managed.get(&key) {
            let mut o = json!({ "Status": if m.enabled { "ENABLED" } else { "DISABLED" } });
            if let Some(n) = m.min_instances {
                o["MinInstanceCount"] = json!(n);
            }
            if let Some(n) = m.max_instances {
                o["MaxInstanceCount"] = json!(n);
            }
            v["ManagedInstanceScaling"] = o;
        }
        if let Some(p) = h.provisioned.get(&key)
            && let Some(s) = v.get_mut("ServerlessConfig")
        {
            s["ProvisionedConcurrency"] = json!(p);
        }
    }
}
