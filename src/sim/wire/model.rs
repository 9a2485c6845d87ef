//! Owns the published service models of the operations the wire serves (extracted from
//! botocore's service-2.json by `scripts/aws-models` into `models/*.json`) and the one generic
//! validator that checks a decoded request (JSON or CBOR, the same value type) against its
//! operation's input shape: required members, types, enum values, lengths, ranges, patterns.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

use crate::boundary::Operation;

/// The services the wire serves, told apart by the SigV4 signing name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Svc {
    SageMaker,
    AutoScaling,
    CloudTrail,
    Quotas,
    CloudWatch,
    Sts,
    Logs,
}

impl Svc {
    pub(crate) const ALL: [Svc; 7] = [
        Svc::SageMaker,
        Svc::AutoScaling,
        Svc::CloudTrail,
        Svc::Quotas,
        Svc::CloudWatch,
        Svc::Sts,
        Svc::Logs,
    ];

    /// The service name in the SigV4 credential scope.
    pub(crate) fn signing_name(self) -> &'static str {
        match self {
            Svc::SageMaker => "sagemaker",
            Svc::AutoScaling => "application-autoscaling",
            Svc::CloudTrail => "cloudtrail",
            Svc::Quotas => "servicequotas",
            Svc::CloudWatch => "monitoring",
            Svc::Sts => "sts",
            Svc::Logs => "logs",
        }
    }

    pub(crate) fn from_signing_name(s: &str) -> Option<Svc> {
        Svc::ALL.into_iter().find(|v| v.signing_name() == s)
    }

    /// CloudWatch and STS answer with awsQuery error codes (`ValidationError`, `Throttling`).
    pub(crate) fn query_codes(self) -> bool {
        matches!(self, Svc::CloudWatch | Svc::Sts)
    }

    pub(crate) fn model(self) -> &'static Model {
        static MODELS: OnceLock<HashMap<Svc, Model>> = OnceLock::new();
        let all = MODELS.get_or_init(|| {
            let src = |s: Svc| match s {
                Svc::SageMaker => include_str!("models/sagemaker.json"),
                Svc::AutoScaling => include_str!("models/application-autoscaling.json"),
                Svc::CloudTrail => include_str!("models/cloudtrail.json"),
                Svc::Quotas => include_str!("models/servicequotas.json"),
                Svc::CloudWatch => include_str!("models/monitoring.json"),
                Svc::Sts => include_str!("models/sts.json"),
                Svc::Logs => include_str!("models/logs.json"),
            };
            Svc::ALL
                .into_iter()
                .map(|s| {
                    let m: Model = serde_json::from_str(src(s)).expect("embedded service model");
                    (s, m)
                })
                .collect()
        });
        &all[&self]
    }

    /// The boundary operation a wire operation is (for faults and accounting).
    pub(crate) fn operation(self, op: &str) -> Option<Operation> {
        use Operation as O;
        Some(match (self, op) {
            (Svc::Sts, "GetCallerIdentity") => O::GetCallerIdentity,
            (Svc::SageMaker, "ListEndpoints") => O::ListEndpoints,
            (Svc::SageMaker, "DescribeEndpoint") => O::DescribeEndpoint,
            (Svc::SageMaker, "DescribeEndpointConfig") => O::DescribeEndpointConfig,
            (Svc::SageMaker, "UpdateEndpointWeightsAndCapacities") => {
                O::UpdateEndpointWeightsAndCapacities
            }
            (Svc::SageMaker, "ListInferenceComponents") => O::ListInferenceComponents,
            (Svc::SageMaker, "DescribeInferenceComponent") => O::DescribeInferenceComponent,
            (Svc::SageMaker, "UpdateInferenceComponentRuntimeConfig") => {
                O::UpdateInferenceComponentRuntimeConfig
            }
            (Svc::SageMaker, "DescribeModel") => O::DescribeModel,
            (Svc::AutoScaling, "DescribeScalableTargets") => O::DescribeScalableTargets,
            (Svc::AutoScaling, "DescribeScalingPolicies") => O::DescribeScalingPolicies,
            (Svc::AutoScaling, "DescribeScalingActivities") => O::DescribeScalingActivities,
            (Svc::AutoScaling, "RegisterScalableTarget") => O::RegisterScalableTarget,
            (Svc::CloudWatch, "GetMetricData") => O::GetMetricData,
            (Svc::CloudWatch, "DescribeAlarms") => O::DescribeAlarms,
            (Svc::SageMaker, "ListInferenceExperiments") => O::ListInferenceExperiments,
            (Svc::SageMaker, "DescribeInferenceExperiment") => O::DescribeInferenceExperiment,
            (Svc::SageMaker, "ListEndpointConfigs") => O::ListEndpointConfigs,
            (Svc::SageMaker, "UpdateEndpoint") => O::UpdateEndpoint,
            (Svc::SageMaker, "ListMonitoringSchedules") => O::ListMonitoringSchedules,
            (Svc::SageMaker, "DescribeMonitoringSchedule") => O::DescribeMonitoringSchedule,
            (Svc::CloudTrail, "LookupEvents") => O::LookupEvents,
            (Svc::Quotas, "ListServiceQuotas") => O::ListServiceQuotas,
            (Svc::Quotas, "ListAWSDefaultServiceQuotas") => O::ListAWSDefaultServiceQuotas,
            (Svc::Logs, "DescribeLogStreams") => O::DescribeLogStreams,
            (Svc::Logs, "FilterLogEvents") => O::FilterLogEvents,
            _ => return None,
        })
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Model {
    pub metadata: Metadata,
    pub operations: HashMap<String, OperationModel>,
    pub shapes: HashMap<String, Shape>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Metadata {
    #[serde(rename = "targetPrefix")]
    pub target_prefix: Option<String>,
    #[serde(rename = "jsonVersion")]
    pub json_version: Option<String>,
    #[serde(rename = "apiVersion")]
    pub api_version: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OperationModel {
    pub input: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Ref {
    pub shape: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Shape {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub required: Vec<String>,
    #[serde(default)]
    pub members: std::collections::BTreeMap<String, Ref>,
    pub member: Option<Ref>,
    pub key: Option<Ref>,
    pub value: Option<Ref>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub pattern: Option<String>,
    #[serde(rename = "enum")]
    pub enum_values: Option<Vec<String>>,
}

/// Why a request does not fit its operation's input shape.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Invalid {
    /// A value of the wrong type: AWS answers SerializationException.
    Type(String),
    /// Constraint violations, in AWS's wording (ValidationException / ValidationError).
    Constraints(Vec<String>),
}

impl Invalid {
    /// "1 validation error detected: …" / "2 validation errors detected: …; …".
    pub(crate) fn message(&self) -> String {
        match self {
            Invalid::Type(m) => m.clone(),
            Invalid::Constraints(v) => format!(
                "{} validation error{} detected: {}",
                v.len(),
                if v.len() == 1 { "" } else { "s" },
                v.join("; ")
            ),
        }
    }
}

/// Validates `input` against the input shape of `op` (which must exist in the model).
pub(crate) fn validate(model: &Model, op: &str, input: &Value) -> Result<(), Invalid> {
    let Some(shape) = model.operations.get(op).and_then(|o| o.input.as_deref()) else {
        return Ok(());
    };
    let mut errors = Vec::new();
    check(model, shape, input, "", &mut errors)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Invalid::Constraints(errors))
    }
}

/// AWS names members in messages with a lower-case first letter (`endpointName`).
fn member_path(parent: &str, name: &str) -> String {
    let mut c = name.chars();
    let lower: String = c
        .next()
        .map(|f| f.to_ascii_lowercase().to_string() + c.as_str())
        .unwrap_or_default();
    if parent.is_empty() {
        lower
    } else {
        format!("{parent}.{lower}")
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn violation(v: &Value, at: &str, constraint: String) -> String {
    let value = if v.is_null() {
        "null".to_string()
    } else {
        format!("'{}'", shown(v))
    };
    format!("Value {value} at '{at}' failed to satisfy constraint: {constraint}")
}

fn regex(pattern: &str) -> Option<&'static regex_lite::Regex> {
    static CACHE: OnceLock<std::sync::Mutex<HashMap<String, Option<&'static regex_lite::Regex>>>> =
        OnceLock::new();
    let mut c = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    *c.entry(pattern.to_string()).or_insert_with(|| {
        // AWS matches the whole value (Java `matches()`); patterns the regex engine cannot
        // express (\p{Print}, surrogate ranges) are skipped.
        regex_lite::Regex::new(&format!("(?s)^(?:{pattern})$"))
            .ok()
            .map(|r| &*Box::leak(Box::new(r)))
    })
}

fn check(
    model: &Model,
    shape_name: &str,
    v: &Value,
    at: &str,
    errors: &mut Vec<String>,
) -> Result<(), Invalid> {
    let Some(shape) = model.shapes.get(shape_name) else {
        return Ok(());
    };
    let wrong = |what: &str| {
        Err(Invalid::Type(format!(
            "Expected {what} for member '{}' but found {}",
            if at.is_empty() { "input" } else { at },
            kind_of(v)
        )))
    };
    match shape.kind.as_str() {
        "structure" => {
            let Value::Object(m) = v else {
                return wrong("a structure");
            };
            for r in &shape.required {
                if m.get(r).is_none_or(Value::is_null) {
                    errors.push(violation(
                        &Value::Null,
                        &member_path(at, r),
                        "Member must not be null".into(),
                    ));
                }
            }
            for (name, r) in &shape.members {
                if let Some(mv) = m.get(name).filter(|x| !x.is_null()) {
                    check(model, &r.shape, mv, &member_path(at, name), errors)?;
                }
            }
        }
        "list" => {
            let Value::Array(items) = v else {
                return wrong("a list");
            };
            length(shape, items.len(), v, at, errors);
            if let Some(m) = &shape.member {
                for (i, item) in items.iter().enumerate() {
                    if item.is_null() {
                        continue;
                    }
                    check(
                        model,
                        &m.shape,
                        item,
                        &format!("{at}.{}.member", i + 1),
                        errors,
                    )?;
                }
            }
        }
        "map" => {
            let Value::Object(m) = v else {
                return wrong("a map");
            };
            length(shape, m.len(), v, at, errors);
            for (k, item) in m {
                if let Some(kr) = &shape.key {
                    check(
                        model,
                        &kr.shape,
                        &Value::String(k.clone()),
                        &format!("{at}.key"),
                        errors,
                    )?;
                }
                if let Some(vr) = &shape.value {
                    check(model, &vr.shape, item, &format!("{at}.{k}"), errors)?;
                }
            }
        }
        "string" => {
            let Value::String(s) = v else {
                return wrong("a string");
            };
            length(shape, s.chars().count(), v, at, errors);
            if let Some(values) = &shape.enum_values
                && !values.iter().any(|e| e == s)
            {
                errors.push(violation(
                    v,
                    at,
                    format!(
                        "Member must satisfy enum value set: [{}]",
                        values.join(", ")
                    ),
                ));
            }
            if let Some(p) = &shape.pattern
                && regex(p).is_some_and(|r| !r.is_match(s))
            {
                errors.push(violation(
                    v,
                    at,
                    format!("Member must satisfy regular expression pattern: {p}"),
                ));
            }
        }
        "integer" | "long" => {
            let Some(n) = v.as_i64() else {
                return wrong("an integer");
            };
            range(shape, n as f64, v, at, errors);
        }
        "double" | "float" => {
            let Some(n) = v.as_f64() else {
                return wrong("a number");
            };
            range(shape, n, v, at, errors);
        }
        "boolean" if !v.is_boolean() => return wrong("a boolean"),
        "timestamp" if !v.is_number() => return wrong("a timestamp (epoch seconds)"),
        "blob" if !v.is_string() => return wrong("a blob"),
        _ => {}
    }
    Ok(())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn length(shape: &Shape, len: usize, v: &Value, at: &str, errors: &mut Vec<String>) {
    let len = len as f64;
    if let Some(min) = shape.min.filter(|m| len < *m) {
        errors.push(violation(
            v,
            at,
            format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if let Some(max) = shape.max.filter(|m| len > *m) {
        errors.push(violation(
            v,
            at,
            format!("Member must have length less than or equal to {max}"),
        ));
    }
}

fn range(shape: &Shape, n: f64, v: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(min) = shape.min.filter(|m| n < *m) {
        errors.push(violation(
            v,
            at,
            format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if let Some(max) = shape.max.filter(|m| n > *m) {
        errors.push(violation(
            v,
            at,
            format!("Member must have value less than or equal to {max}"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sm(op: &str, v: Value) -> Result<(), Invalid> {
        validate(Svc::SageMaker.model(), op, &v)
    }

    #[test]
    fn every_embedded_model_loads_and_names_its_operations() {
        for s in Svc::ALL {
            let m = s.model();
            assert!(!m.operations.is_empty(), "{s:?}");
            for op in m.operations.keys() {
                assert!(s.operation(op).is_some(), "{s:?} {op}");
            }
        }
    }

    #[test]
    fn required_lengths_enums_ranges_and_types() {
        assert!(sm("DescribeEndpoint", json!({"EndpointName": "a"})).is_ok());
        let e = sm("DescribeEndpoint", json!({})).unwrap_err();
        assert_eq!(
            e.message(),
            "1 validation error detected: Value null at 'endpointName' failed to satisfy constraint: Member must not be null"
        );
        let long = "x".repeat(64);
        let e = sm("DescribeEndpoint", json!({ "EndpointName": long })).unwrap_err();
        assert!(
            e.message().contains("length less than or equal to 63"),
            "{}",
            e.message()
        );
        let e = sm("ListEndpoints", json!({"SortBy": "Size", "MaxResults": 0})).unwrap_err();
        assert!(
            e.message().starts_with("2 validation errors detected"),
            "{}",
            e.message()
        );
        assert!(
            e.message()
                .contains("enum value set: [Name, CreationTime, Status]")
        );
        assert!(matches!(
            sm("ListEndpoints", json!({"MaxResults": "ten"})),
            Err(Invalid::Type(_))
        ));
        let e = sm(
            "UpdateEndpointWeightsAndCapacities",
            json!({"EndpointName": "a", "DesiredWeightsAndCapacities": [{"VariantName": "v", "DesiredWeight": -1}]}),
        )
        .unwrap_err();
        assert!(
            e.message()
                .contains("'desiredWeightsAndCapacities.1.member.desiredWeight'"),
            "{}",
            e.message()
        );
        let e = sm("DescribeEndpoint", json!({"EndpointName": "bad_name!"})).unwrap_err();
        assert!(
            e.message().contains("regular expression pattern"),
            "{}",
            e.message()
        );
    }
}
