//! Write requests as sent to AWS: their API call text, audit JSON, and the checks that tell
//! whether a description of the endpoint already shows them (lost responses, tracking).

use crate::boundary::context::plain;
use serde::{Deserialize, Serialize};

use crate::boundary::Operation;
use crate::domain::*;

/// Exactly what a write sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum WriteRequest {
    /// `UpdateEndpointWeightsAndCapacities`: every variant of the endpoint, in one call.
    Update {
        endpoint: String,
        changes: Vec<VariantChange>,
    },
    /// `RegisterScalableTarget`: the autoscaling range of one variant.
    ScalingRange {
        endpoint: String,
        variant: String,
        min_capacity: u32,
        max_capacity: u32,
    },
    /// `UpdateEndpoint` to another endpoint config with a deployment configuration
    /// (`write::deploy`).
    Deploy(Box<DeploymentRequest>),
    /// `UpdateInferenceComponentRuntimeConfig`: the copy count of one inference component.
    Copies {
        endpoint: String,
        component: String,
        desired_copies: u32,
    },
}

// Weights are validated finite before a request is built, so equality is total.
impl Eq for WriteRequest {}

/// Who asked for a write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A confirmed dialog.
    User,
    /// A step of a guarded traffic shift (label: "step 2/4", "rollback").
    Shift(String),
}

impl Origin {
    pub fn label(&self) -> String {
        match self {
            Origin::User => "you".into(),
            Origin::Shift(s) => format!("traffic shift, {s}"),
        }
    }
}

/// One write to run: an id (to match its events), the request and who asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteJob {
    pub id: u64,
    pub request: WriteRequest,
    pub origin: Origin,
}

/// Weights are equal when they differ by less than this relative amount.
const WEIGHT_EPSILON: f64 = 1e-9;

pub fn same_weight(a: f64, b: f64) -> bool {
    (a - b).abs() <= WEIGHT_EPSILON * a.abs().max(b.abs()).max(1.0)
}

/// A number without a needless ".0": 90 → "90", 0.25 → "0.25".
pub fn weight_text(w: f64) -> String {
    if w.fract() == 0.0 && w.abs() < 1e15 {
        format!("{w:.0}")
    } else {
        let s = format!("{w:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl WriteRequest {
    pub fn endpoint(&self) -> &str {
        match self {
            WriteRequest::Update { endpoint, .. }
            | WriteRequest::ScalingRange { endpoint, .. }
            | WriteRequest::Copies { endpoint, .. } => endpoint,
            WriteRequest::Deploy(r) => &r.endpoint,
        }
    }

    pub fn operation(&self) -> Operation {
        match self {
            WriteRequest::Update { .. } => Operation::UpdateEndpointWeightsAndCapacities,
            WriteRequest::ScalingRange { .. } => Operation::RegisterScalableTarget,
            WriteRequest::Deploy(_) => Operation::UpdateEndpoint,
            WriteRequest::Copies { .. } => Operation::UpdateInferenceComponentRuntimeConfig,
        }
    }

    /// The request in the API's own field names (audit log, confirm dialog).
    pub fn api_json(&self) -> serde_json::Value {
        match self {
            WriteRequest::Update { endpoint, changes } => {
                let items: Vec<serde_json::Value> = changes
                    .iter()
                    .map(|c| {
                        let mut m = serde_json::Map::new();
                        m.insert("VariantName".into(), c.variant.clone().into());
                        if let Some(w) = c.desired_weight {
                            m.insert("DesiredWeight".into(), w.into());
                        }
                        if let Some(n) = c.desired_instance_count {
                            m.insert("DesiredInstanceCount".into(), n.into());
                        }
                        serde_json::Value::Object(m)
                    })
                    .collect();
                serde_json::json!({
                    "EndpointName": plain(endpoint),
                    "DesiredWeightsAndCapacities": items,
                })
            }
            WriteRequest::ScalingRange {
                endpoint,
                variant,
                min_capacity,
                max_capacity,
            } => serde_json::json!({
                "ServiceNamespace": "sagemaker",
                "ResourceId": resource_id(plain(endpoint), variant),
                "ScalableDimension": SCALABLE_DIMENSION,
                "MinCapacity": min_capacity,
                "MaxCapacity": max_capacity,
            }),
            WriteRequest::Deploy(r) => super::deploy::api_json(r),
            WriteRequest::Copies {
                component,
                desired_copies,
                ..
            } => serde_json::json!({
                "InferenceComponentName": component,
                "DesiredRuntimeConfig": { "CopyCount": desired_copies },
            }),
        }
    }

    /// The call as people read it, one argument per line.
    pub fn api_lines(&self) -> Vec<String> {
        match self {
            WriteRequest::Update { endpoint, changes } => {
                let mut out = vec![
                    format!("{}(", self.operation()),
                    format!("  EndpointName={},", plain(endpoint)),
                    "  DesiredWeightsAndCapacities=[".into(),
                ];
                for c in changes {
                    let mut parts = vec![format!("VariantName={}", c.variant)];
                    if let Some(w) = c.desired_weight {
                        parts.push(format!("DesiredWeight={}", weight_text(w)));
                    }
                    if let Some(n) = c.desired_instance_count {
                        parts.push(format!("DesiredInstanceCount={n}"));
                    }
                    out.push(format!("    {{{}}},", parts.join(", ")));
                }
                out.push("  ])".into());
                out
            }
            WriteRequest::ScalingRange {
                endpoint,
                variant,
                min_capacity,
                max_capacity,
            } => vec![
                format!("{}(", self.operation()),
                "  ServiceNamespace=sagemaker,".into(),
                format!("  ResourceId={},", resource_id(plain(endpoint), variant)),
                format!("  ScalableDimension={SCALABLE_DIMENSION},"),
                format!("  MinCapacity={min_capacity}, MaxCapacity={max_capacity})"),
            ],
            WriteRequest::Deploy(r) => super::deploy::api_lines(r),
            WriteRequest::Copies {
                component,
                desired_copies,
                ..
            } => vec![
                format!("{}(", self.operation()),
                format!("  InferenceComponentName={component},"),
                format!("  DesiredRuntimeConfig={{CopyCount={desired_copies}}})"),
            ],
        }
    }

    /// Short description: "weights Production=80 Canary=20", "Canary to 3 instances".
    pub fn summary(&self) -> String {
        match self {
            WriteRequest::Update { changes, .. } => {
                let counts: Vec<String> = changes
                    .iter()
                    .filter_map(|c| {
                        c.desired_instance_count
                            .map(|n| format!("{} to {n} instances", c.variant))
                    })
                    .collect();
                if !counts.is_empty() {
                    return counts.join(", ");
                }
                let weights: Vec<String> = changes
                    .iter()
                    .filter_map(|c| {
                        c.desired_weight
                            .map(|w| format!("{}={}", c.variant, weight_text(w)))
                    })
                    .collect();
                format!("weights {}", weights.join(" "))
            }
            WriteRequest::ScalingRange {
                variant,
                min_capacity,
                max_capacity,
                ..
            } => format!("{variant} autoscaling range {min_capacity}–{max_capacity}"),
            WriteRequest::Deploy(r) => {
                format!("deploy {} ({})", r.config_name, r.strategy.describe())
            }
            WriteRequest::Copies {
                component,
                desired_copies,
                ..
            } => format!("{component} to {desired_copies} copies"),
        }
    }

    /// The endpoint's *desired* values already equal this request (it was accepted).
    pub fn desired_in(&self, e: &Endpoint) -> bool {
        if let WriteRequest::Deploy(r) = self {
            return super::deploy::deploying_or_done(r, e);
        }
        self.matches(e, |v| (v.desired_weight, v.desired_instance_count))
    }

    /// The endpoint's *current* values equal this request (it took effect).
    pub fn current_in(&self, e: &Endpoint) -> bool {
        if let WriteRequest::Deploy(r) = self {
            return e.config_name == r.config_name && e.pending.is_none();
        }
        self.matches(e, |v| (v.current_weight, v.current_instance_count))
    }

    fn matches(
        &self,
        e: &Endpoint,
        values: impl Fn(&Variant) -> (Option<f64>, Option<u32>),
    ) -> bool {
        let WriteRequest::Update { changes, .. } = self else {
            return false;
        };
        changes.iter().all(|c| {
            let Some(v) = e.variant(&c.variant) else {
                return false;
            };
            let (w, n) = values(v);
            let weight_ok = c
                .desired_weight
                .is_none_or(|want| w.is_some_and(|have| same_weight(have, want)));
            let count_ok = c.desired_instance_count.is_none_or(|want| n == Some(want));
            weight_ok && count_ok
        })
    }

    /// The autoscaling description already shows this range.
    pub fn range_in(&self, autoscaling: &[VariantAutoscaling]) -> bool {
        let WriteRequest::ScalingRange {
            variant,
            min_capacity,
            max_capacity,
            ..
        } = self
        else {
            return false;
        };
        autoscaling.iter().any(|a| {
            &a.variant == variant
                && a.target.as_ref().is_some_and(|t| {
                    t.min_capacity == *min_capacity && t.max_capacity == *max_capacity
                })
        })
    }

    /// The component's copy change this request asks for, if it is one.
    pub fn copy_change(&self) -> Option<CopyChange> {
        match self {
            WriteRequest::Copies {
                component,
                desired_copies,
                ..
            } => Some(CopyChange {
                component: component.clone(),
                desired_copies: *desired_copies,
            }),
            _ => None,
        }
    }

    /// The hosting description already asks for this copy count (the call was accepted).
    pub fn copies_desired_in(&self, h: &EndpointHosting) -> bool {
        let Some(c) = self.copy_change() else {
            return false;
        };
        h.component(&c.component)
            .is_some_and(|ic| ic.desired_copies == Some(c.desired_copies))
    }

    /// The component runs the requested copies, InService (the change took effect).
    pub fn copies_current_in(&self, h: &EndpointHosting) -> bool {
        let Some(c) = self.copy_change() else {
            return false;
        };
        h.component(&c.component).is_some_and(|ic| {
            ic.status == Some(ComponentStatus::InService)
                && ic.current_copies == Some(c.desired_copies)
                && ic.desired_copies == Some(c.desired_copies)
        })
    }
}

/// `UpdateInferenceComponentRuntimeConfig` that sets one component's copy count:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
pub fn copies_request(endpoint: &str, component: &str, copies: u32) -> WriteRequest {
    WriteRequest::Copies {
        endpoint: endpoint.to_string(),
        component: component.to_string(),
        desired_copies: copies,
    }
}

/// `UpdateEndpointWeightsAndCapacities` that sets new weights: every variant of `e` is in the
/// request; variants not in `weights` keep their desired (else current, else 1.0) weight.
pub fn weights_request(e: &Endpoint, weights: &[(String, f64)]) -> WriteRequest {
    let changes = e
        .variants
        .iter()
        .map(|v| {
            let w = weights
                .iter()
                .find(|(n, _)| n == &v.name)
                .map(|(_, w)| *w)
                .unwrap_or_else(|| keep_weight(v));
            VariantChange {
                variant: v.name.clone(),
                desired_weight: Some(w),
                desired_instance_count: None,
            }
        })
        .collect();
    WriteRequest::Update {
        endpoint: e.name.clone(),
        changes,
    }
}

/// `UpdateEndpointWeightsAndCapacities` that sets one variant's instance count, alone: the
/// API changes "capacity of one variant" per call, and weights sent along would be values
/// read earlier.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
pub fn scale_request(e: &Endpoint, variant: &str, count: u32) -> WriteRequest {
    WriteRequest::Update {
        endpoint: e.name.clone(),
        changes: vec![VariantChange {
            variant: variant.to_string(),
            desired_weight: None,
            desired_instance_count: Some(count),
        }],
    }
}

/// The weight a variant keeps when a request leaves it as it is.
pub fn keep_weight(v: &Variant) -> f64 {
    v.desired_weight.or(v.current_weight).unwrap_or(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep() -> Endpoint {
        let v = |name: &str, w: f64, n: u32| Variant {
            name: name.into(),
            model_name: None,
            instance_type: Some("ml.m5.large".into()),
            current_instance_count: Some(n),
            desired_instance_count: Some(n),
            current_weight: Some(w),
            desired_weight: Some(w),
            serverless: None,
            statuses: Vec::new(),
        };
        Endpoint {
            name: "ep".into(),
            arn: "arn".into(),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: crate::clock::fixture_epoch(),
            last_modified_time: crate::clock::fixture_epoch(),
            config_name: "c".into(),
            shadow_variants: Vec::new(),
            pending: None,
            variants: vec![v("A", 9.0, 2), v("B", 1.0, 1)],
        }
    }

    #[test]
    fn every_variant_is_in_the_request() {
        let e = ep();
        let r = weights_request(&e, &[("B".into(), 5.0)]);
        let WriteRequest::Update { changes, .. } = &r else {
            panic!()
        };
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].desired_weight, Some(9.0), "A keeps its weight");
        assert_eq!(changes[1].desired_weight, Some(5.0));
        assert!(changes.iter().all(|c| c.desired_instance_count.is_none()));
        let s = scale_request(&e, "B", 3);
        let WriteRequest::Update { changes, .. } = &s else {
            panic!()
        };
        // The capacity of one variant alone, no weights.
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].variant, "B");
        assert_eq!(changes[0].desired_instance_count, Some(3));
        assert_eq!(changes[0].desired_weight, None);
        assert!(!s.desired_in(&e));
        assert!(weights_request(&e, &[]).desired_in(&e));
    }

    #[test]
    fn api_text_names_every_field() {
        let r = weights_request(&ep(), &[("A".into(), 80.0), ("B".into(), 20.0)]);
        let text = r.api_lines().join("\n");
        assert!(text.contains("EndpointName=ep"), "{text}");
        assert!(text.contains("{VariantName=B, DesiredWeight=20}"), "{text}");
        assert_eq!(
            r.api_json()["DesiredWeightsAndCapacities"][0]["DesiredWeight"],
            80.0
        );
        assert_eq!(weight_text(0.25), "0.25");
        assert_eq!(weight_text(90.0), "90");
    }
}
