//! Writes and runtime calls against the world: UpdateEndpointWeightsAndCapacities
//! (validated like AWS), RegisterScalableTarget and InvokeEndpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use super::ids::{self, ACCOUNT, Fast, tag};
use super::traffic::{
    BodyKind, endpoint_rate, overload_error_rate, request_latency_us, response_body,
};
use super::trail::{self, Caller};
use super::world::{Autoscale, World, serves};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

const UPDATE: Operation = Operation::UpdateEndpointWeightsAndCapacities;

fn invalid(operation: Operation, message: String) -> BackendError {
    BackendError::Validation { operation, message }
}

/// `UpdateEndpointWeightsAndCapacities` by the operator; refused calls are recorded too.
pub(crate) fn update(
    w: &mut World,
    endpoint: &str,
    changes: &[VariantChange],
) -> BackendResult<WriteReceipt> {
    let request_id = w.next_request_id();
    let now = w.now_ms;
    let arn = ids::endpoint_arn(endpoint);
    let result = validate(w, endpoint, changes);
    let caller = Caller::operator();
    if let Err(e) = result {
        let code = match &e {
            BackendError::LimitExceeded { .. } => "ResourceLimitExceeded",
            _ => "ValidationException",
        };
        let msg = match &e {
            BackendError::NotFound { message, .. }
            | BackendError::Validation { message, .. }
            | BackendError::LimitExceeded { message, .. } => message.clone(),
            other => other.to_string(),
        };
        let ev = trail::update_event(
            w.seed,
            now,
            &caller,
            endpoint,
            &arn,
            changes,
            &request_id,
            Some((code, &msg)),
        );
        w.trail.push(ev);
        return Err(e);
    }
    let seed = w.seed;
    if let Some(ep) = w.endpoints.get_mut(endpoint) {
        for c in changes {
            if let Some(v) = ep.variants.iter_mut().find(|v| v.name == c.variant) {
                if let Some(wt) = c.desired_weight {
                    v.desired_weight = wt;
                }
                if let Some(n) = c.desired_instance_count {
                    v.desired_count = Some(n);
                }
            }
        }
        ep.begin_update(seed, now, None);
    }
    let ev = trail::update_event(
        seed,
        now,
        &caller,
        endpoint,
        &arn,
        changes,
        &request_id,
        None,
    );
    w.trail.push(ev);
    Ok(WriteReceipt {
        request_id,
        at: ids::from_ms(now),
    })
}

fn validate(w: &World, endpoint: &str, changes: &[VariantChange]) -> BackendResult<()> {
    if changes.is_empty() {
        return Err(invalid(UPDATE, "1 validation error detected: Value '[]' at 'desiredWeightsAndCapacities' failed to satisfy constraint: Member must have length greater than or equal to 1".into()));
    }
    for (i, c) in changes.iter().enumerate() {
        if let Some(wt) = c.desired_weight.filter(|wt| !wt.is_finite() || *wt < 0.0) {
            return Err(invalid(
                UPDATE,
                format!(
                    "1 validation error detected: Value '{wt}' at 'desiredWeightsAndCapacities.{}.member.desiredWeight' failed to satisfy constraint: Member must have value greater than or equal to 0",
                    i + 1
                ),
            ));
        }
    }
    let arn = ids::endpoint_arn(endpoint);
    let Some(ep) = w.endpoints.get(endpoint) else {
        return Err(BackendError::NotFound {
            operation: UPDATE,
            resource: endpoint.to_string(),
            message: format!("Could not find endpoint \"{arn}\"."),
        });
    };
    if !ep.status.accepts_updates() {
        let message = if ep.status.is_transitional() {
            format!("Cannot update in-progress endpoint \"{arn}\".")
        } else {
            format!(
                "Cannot update endpoint \"{arn}\" because it is in status {}.",
                ep.status
            )
        };
        return Err(invalid(UPDATE, message));
    }
    let mut new_weights: Vec<f64> = ep.variants.iter().map(|v| v.desired_weight).collect();
    let mut deltas: BTreeMap<&str, i64> = BTreeMap::new();
    for (i, c) in changes.iter().enumerate() {
        if changes[..i].iter().any(|p| p.variant == c.variant) {
            return Err(invalid(
                UPDATE,
                format!(
                    "Variant \"{}\" appears more than once in DesiredWeightsAndCapacities.",
                    c.variant
                ),
            ));
        }
        let Some(vi) = ep.variants.iter().position(|v| v.name == c.variant) else {
            return Err(invalid(
                UPDATE,
                format!(
                    "The variant(s) \"[{}]\" are not present in the endpoint \"{arn}\".",
                    c.variant
                ),
            ));
        };
        let v = &ep.variants[vi];
        if c.desired_weight.is_none() && c.desired_instance_count.is_none() {
            return Err(invalid(
                UPDATE,
                format!(
                    "Either DesiredWeight or DesiredInstanceCount must be specified for variant \"{}\".",
                    c.variant
                ),
            ));
        }
        if let Some(n) = c.desired_instance_count {
            if v.serverless.is_some() {
                return Err(invalid(
                    UPDATE,
                    format!(
                        "DesiredInstanceCount is not supported for serverless variant \"{}\".",
                        c.variant
                    ),
                ));
            }
            if n < 1 {
                return Err(invalid(
                    UPDATE,
                    format!(
                        "DesiredInstanceCount for variant \"{}\" must be at least 1.",
                        c.variant
                    ),
                ));
            }
            if let Some(t) = v.instance_type.as_deref() {
                *deltas.entry(t).or_default() +=
                    i64::from(n) - i64::from(v.current_count.unwrap_or(0));
            }
        }
        if let Some(wt) = c.desired_weight {
            new_weights[vi] = wt;
        }
    }
    if new_weights.iter().all(|wt| *wt <= 0.0) {
        return Err(invalid(UPDATE, "The desired weights of all production variants cannot be 0. At least one variant must have a weight greater than 0.".into()));
    }
    for (t, delta) in deltas {
        if let Some(message) = w.quota_refusal(t, u32::try_from(delta).unwrap_or(0)) {
            return Err(BackendError::LimitExceeded {
                operation: UPDATE,
                message,
            });
        }
    }
    Ok(())
}

/// `RegisterScalableTarget` for a variant (Application Auto Scaling; not a SageMaker event).
pub(crate) fn register_target(
    w: &mut World,
    endpoint: &str,
    variant: &str,
    min: u32,
    max: u32,
) -> BackendResult<WriteReceipt> {
    let op = Operation::RegisterScalableTarget;
    let seed = w.seed;
    // Only async endpoints scale to zero instances.
    // https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html
    let floor = u32::from(!w.hosting.asyncs.contains_key(endpoint));
    let Some(ep) = w.endpoints.get_mut(endpoint) else {
        return Err(BackendError::NotFound {
            operation: op,
            resource: endpoint.to_string(),
            message: format!(
                "Could not find endpoint \"{}\".",
                ids::endpoint_arn(endpoint)
            ),
        });
    };
    let Some(v) = ep.variants.iter_mut().find(|v| v.name == variant) else {
        return Err(invalid(
            op,
            format!(
                "Unable to find resource {}: the variant does not exist.",
                resource_id(endpoint, variant)
            ),
        ));
    };
    if v.serverless.is_some() {
        return Err(invalid(
            op,
            format!(
                "Scalable dimension {SCALABLE_DIMENSION} is not supported for serverless variant {variant}."
            ),
        ));
    }
    if min < floor {
        return Err(invalid(op, "1 validation error detected: Value '0' at 'minCapacity' failed to satisfy constraint: Member must have value greater than or equal to 1".into()));
    }
    if min > max {
        return Err(invalid(
            op,
            format!("Minimum capacity ({min}) cannot be greater than maximum capacity ({max})."),
        ));
    }
    match v.scaling.as_mut() {
        Some(sc) => {
            sc.min = min;
            sc.max = max;
            sc.clamp_pending = true;
        }
        None => {
            v.scaling = Some(Autoscale {
                clamp_pending: true,
                ..Autoscale::registered(seed, (endpoint, variant), (min, max), None)
            })
        }
    }
    let request_id = w.next_request_id();
    Ok(WriteReceipt {
        request_id,
        at: ids::from_ms(w.now_ms),
    })
}

/// Real-time payload limit of InvokeEndpoint.
const MAX_PAYLOAD: usize = 6 * 1024 * 1024;

/// `InvokeEndpoint`: picks a variant by weight (or the target), counts the request into the
/// open minute and answers with a plausible body and latency.
pub(crate) fn invoke(w: &mut World, req: &InvokeRequest) -> BackendResult<InvokeResponse> {
    let op = Operation::InvokeEndpoint;
    let name = req.endpoint.as_str();
    w.invoke_seq += 1;
    let (seed, open_min, seq) = (w.seed, w.open_min, w.invoke_seq);
    let Some(ep) = w.endpoints.get_mut(name) else {
        return Err(BackendError::NotFound {
            operation: op,
            resource: name.to_string(),
            message: format!("Endpoint {name} of account {ACCOUNT} not found."),
        });
    };
    if !serves(ep.status) {
        return Err(invalid(
            op,
            format!(
                "Endpoint {name} of account {ACCOUNT} is not ready to serve requests (status {}).",
                ep.status
            ),
        ));
    }
    if req.body.len() > MAX_PAYLOAD {
        return Err(invalid(
            op,
            format!(
                "Received payload of {} bytes, which exceeds the 6 MB limit for real-time inference.",
                req.body.len()
            ),
        ));
    }
    let mut r = Fast::new(&[seed, tag::INVOKE, seq]);
    let shares = ep.shares();
    let vi = match req.target_variant.as_deref() {
        Some(t) => ep
            .variants
            .iter()
            .position(|v| v.name == t)
            .ok_or_else(|| {
                invalid(
                    op,
                    format!("Target variant \"{t}\" is not present in endpoint \"{name}\"."),
                )
            })?,
        None => {
            let u = r.unit();
            let mut acc = 0.0;
            let mut pick = shares.iter().rposition(|s| *s > 0.0).unwrap_or(0);
            for (i, s) in shares.iter().enumerate() {
                acc += s;
                if u < acc && *s > 0.0 {
                    pick = i;
                    break;
                }
            }
            pick
        }
    };
    let rate = endpoint_rate(seed, ep.idx, &ep.traffic, open_min) * ep.load_factor;
    let body_kind = ep.body;
    let Some(v) = ep.variants.get_mut(vi) else {
        return Err(invalid(
            op,
            format!("Endpoint {name} has no production variants."),
        ));
    };
    v.open_extra = v.open_extra.saturating_add(1);
    let share = shares.get(vi).copied().unwrap_or(0.0);
    let pool = if v.serverless.is_some() {
        v.model.capacity
    } else {
        v.model.capacity * f64::from(v.current_count.unwrap_or(0))
    };
    let rho = if pool > 0.0 {
        (rate * share + f64::from(v.open_extra)) / pool
    } else {
        1.0
    };
    let latency_us = request_latency_us(&v.model, rho, &mut r) + r.range(1_000.0, 3_000.0);
    let faulty = v.fault > 0.0 && r.unit() < v.fault;
    if faulty || (v.serverless.is_none() && r.unit() < overload_error_rate(rho)) {
        return Err(BackendError::Service {
            operation: op,
            code: "ModelError".into(),
            message: format!(
                "Received server error (503) from primary with message \"upstream request timeout\". See https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group=/aws/sagemaker/Endpoints/{name} in account {ACCOUNT} for more information."
            ),
        });
    }
    let (mut body, mut content_type) = response_body(body_kind, &mut r);
    if body_kind == BodyKind::FraudScore && !req.content_type.starts_with("text/csv") {
        let score = String::from_utf8_lossy(&body).trim().to_string();
        body = format!("{{\"predictions\":[{{\"score\":{score}}}]}}").into_bytes();
        content_type = "application/json";
    }
    Ok(InvokeResponse {
        body,
        content_type: Some(content_type.to_string()),
        invoked_variant: Some(v.name.clone()),
        latency: Duration::from_micros(latency_us.max(0.0) as u64),
    })
}
