//! Owns the SageMaker calls: `ListEndpoints` (every page), `DescribeEndpoint` joined with a
//! cached `DescribeEndpointConfig` (instance type, model, serverless config), weight updates
//! (every variant's weight) and capacity updates (one variant), and `InvokeEndpoint` (sagemaker-runtime).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use aws_sdk_sagemaker::operation::RequestId;
use aws_sdk_sagemaker::types::{DesiredWeightAndCapacity, ProductionVariantServerlessConfig};
use aws_smithy_types::Blob;

use super::{AwsBackend, to_time};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// `ListEndpoints` page size (the API's maximum).
const LIST_PAGE: i32 = 100;

/// What an (immutable) endpoint config says about one variant.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConfigVariant {
    pub model_name: Option<String>,
    pub instance_type: Option<String>,
    pub initial_weight: Option<f64>,
    pub serverless: Option<ServerlessConfig>,
}

/// Variants of one endpoint config, by variant name.
pub(crate) type ConfigVariants = HashMap<String, ConfigVariant>;

/// An f32 weight from the API as the f64 a person typed (0.2, not 0.20000000298…).
pub(crate) fn weight(w: f32) -> f64 {
    let v = f64::from(w);
    (v * 1e6).round() / 1e6
}

fn count(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

fn serverless(c: Option<&ProductionVariantServerlessConfig>) -> Option<ServerlessConfig> {
    let c = c?;
    Some(ServerlessConfig {
        memory_size_mb: count(c.memory_size_in_mb()).unwrap_or(0),
        max_concurrency: count(c.max_concurrency()).unwrap_or(0),
    })
}

fn status(s: Option<&aws_sdk_sagemaker::types::EndpointStatus>) -> EndpointStatus {
    // A status this build does not know is shown as the closest safe reading: a change under way.
    s.and_then(|s| EndpointStatus::parse(s.as_str()))
        .unwrap_or(EndpointStatus::Updating)
}

/// What `ProductionVariantSummary` and `PendingProductionVariantSummary` both say about a
/// variant (the second also names its instance type).
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantSummary.html
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_PendingProductionVariantSummary.html
struct Summary {
    name: String,
    instance_type: Option<String>,
    current_count: Option<i32>,
    desired_count: Option<i32>,
    current_weight: Option<f32>,
    desired_weight: Option<f32>,
    serverless: Option<ServerlessConfig>,
    statuses: Vec<VariantStatusEntry>,
}

fn statuses(list: &[aws_sdk_sagemaker::types::ProductionVariantStatus]) -> Vec<VariantStatusEntry> {
    list.iter()
        .map(|s| VariantStatusEntry {
            status: s
                .status()
                .map(|x| x.as_str().to_string())
                .unwrap_or_default(),
            message: s.status_message().map(str::to_string),
            start_time: s.start_time().map(to_time),
        })
        .collect()
}

fn summary_of(v: &aws_sdk_sagemaker::types::ProductionVariantSummary) -> Summary {
    Summary {
        name: v.variant_name().unwrap_or_default().to_string(),
        instance_type: None,
        current_count: v.current_instance_count(),
        desired_count: v.desired_instance_count(),
        current_weight: v.current_weight(),
        desired_weight: v.desired_weight(),
        serverless: serverless(v.current_serverless_config())
            .or_else(|| serverless(v.desired_serverless_config())),
        statuses: statuses(v.variant_status()),
    }
}

fn pending_summary_of(v: &aws_sdk_sagemaker::types::PendingProductionVariantSummary) -> Summary {
    Summary {
        name: v.variant_name().unwrap_or_default().to_string(),
        instance_type: v.instance_type().map(|t| t.as_str().to_string()),
        current_count: v.current_instance_count(),
        desired_count: v.desired_instance_count(),
        current_weight: v.current_weight(),
        desired_weight: v.desired_weight(),
        serverless: serverless(v.current_serverless_config())
            .or_else(|| serverless(v.desired_serverless_config())),
        statuses: statuses(v.variant_status()),
    }
}

/// A variant from its summary joined with its endpoint config's details.
fn variant(s: &Summary, config: &ConfigVariants) -> Variant {
    let c = config.get(&s.name).cloned().unwrap_or_default();
    let serverless = s.serverless.or(c.serverless);
    Variant {
        name: s.name.clone(),
        model_name: c.model_name,
        instance_type: if serverless.is_some() {
            None
        } else {
            s.instance_type.clone().or(c.instance_type)
        },
        current_instance_count: count(s.current_count),
        desired_instance_count: count(s.desired_count),
        current_weight: s.current_weight.map(weight),
        desired_weight: s.desired_weight.map(weight),
        serverless,
        statuses: s.statuses.clone(),
    }
}

impl AwsBackend {
    pub(crate) async fn list_endpoints_impl(&self) -> BackendResult<Vec<EndpointSummary>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .sagemaker
                .list_endpoints()
                .max_results(LIST_PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::ListEndpoints, None, req.send())
                .await?;
            for e in page.endpoints() {
                let Some(name) = e.endpoint_name() else {
                    continue;
                };
                out.push(EndpointSummary {
                    name: name.to_string(),
                    arn: e.endpoint_arn().unwrap_or_default().to_string(),
                    status: status(e.endpoint_status()),
                    creation_time: e.creation_time().map(to_time).unwrap_or_default(),
                    last_modified_time: e.last_modified_time().map(to_time).unwrap_or_default(),
                });
            }
            if !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        Ok(out)
    }

    pub(crate) async fn describe_endpoint_impl(&self, name: &str) -> BackendResult<Endpoint> {
        let req = self
            .clients
            .sagemaker
            .describe_endpoint()
            .endpoint_name(name);
        let d = self
            .call(Operation::DescribeEndpoint, Some(name), req.send())
            .await?;
        let config_name = d.endpoint_config_name().unwrap_or_default().to_string();
        let config = if config_name.is_empty() {
            Arc::default()
        } else {
            self.endpoint_config(&config_name).await?
        };
        let variants: Vec<Variant> = d
            .production_variants()
            .iter()
            .map(|v| variant(&summary_of(v), &config))
            .collect();
        let shadow_variants: Vec<Variant> = d
            .shadow_production_variants()
            .iter()
            .map(|v| variant(&summary_of(v), &config))
            .collect();
        // A blue/green deployment under way: the new config's fleet runs beside the old one.
        let pending = match d.pending_deployment_summary() {
            Some(p) => {
                let pending_config = p.endpoint_config_name().unwrap_or_default().to_string();
                let pc = if pending_config.is_empty() || pending_config == config_name {
                    config.clone()
                } else {
                    self.endpoint_config(&pending_config).await?
                };
                Some(PendingDeployment {
                    config_name: pending_config,
                    start_time: p.start_time().map(to_time),
                    variants: p
                        .production_variants()
                        .iter()
                        .map(|v| variant(&pending_summary_of(v), &pc))
                        .collect(),
                    shadow_variants: p
                        .shadow_production_variants()
                        .iter()
                        .map(|v| variant(&pending_summary_of(v), &pc))
                        .collect(),
                })
            }
            None => None,
        };
        self.caches().variants.insert(
            name.to_string(),
            variants.iter().map(|v| v.name.clone()).collect(),
        );
        Ok(Endpoint {
            name: d.endpoint_name().unwrap_or(name).to_string(),
            arn: d.endpoint_arn().unwrap_or_default().to_string(),
            status: status(d.endpoint_status()),
            failure_reason: d.failure_reason().map(str::to_string),
            creation_time: d.creation_time().map(to_time).unwrap_or_default(),
            last_modified_time: d.last_modified_time().map(to_time).unwrap_or_default(),
            config_name,
            variants,
            shadow_variants,
            pending,
        })
    }

    /// `DescribeEndpointConfig`, once per config name (configs never change). A config deleted
    /// after the endpoint was created is not an error: the variants just lack its details.
    pub(crate) async fn endpoint_config(
        &self,
        config_name: &str,
    ) -> BackendResult<Arc<ConfigVariants>> {
        if let Some(c) = self.caches().configs.get(config_name) {
            return Ok(c.clone());
        }
        let req = self
            .clients
            .sagemaker
            .describe_endpoint_config()
            .endpoint_config_name(config_name);
        let out = match self
            .call(
                Operation::DescribeEndpointConfig,
                Some(config_name),
                req.send(),
            )
            .await
        {
            Ok(out) => out,
            Err(BackendError::NotFound { .. }) => return Ok(Arc::default()),
            Err(e) => return Err(e),
        };
        let variants: ConfigVariants = out
            .production_variants()
            .iter()
            .chain(out.shadow_production_variants())
            .filter_map(|v| {
                let name = v.variant_name()?.to_string();
                Some((
                    name,
                    ConfigVariant {
                        model_name: v.model_name().map(str::to_string),
                        instance_type: v.instance_type().map(|t| t.as_str().to_string()),
                        initial_weight: v.initial_variant_weight().map(weight),
                        serverless: serverless(v.serverless_config()),
                    },
                ))
            })
            .collect();
        let variants = Arc::new(variants);
        self.remember_config_hosting(config_name, &out);
        self.caches()
            .configs
            .insert(config_name.to_string(), variants.clone());
        Ok(variants)
    }

    /// Weights of every variant, or the capacity of one (see [`build_request`]).
    pub(crate) async fn update_weights_impl(
        &self,
        endpoint: &str,
        changes: &[VariantChange],
    ) -> BackendResult<WriteReceipt> {
        let op = Operation::UpdateEndpointWeightsAndCapacities;
        if changes.is_empty() {
            return Err(BackendError::Validation {
                operation: op,
                message: "no variant to change".into(),
            });
        }
        let current = self.describe_endpoint_impl(endpoint).await?;
        for c in changes {
            if current.variant(&c.variant).is_none() {
                return Err(BackendError::Validation {
                    operation: op,
                    message: format!("endpoint {endpoint} has no variant {}", c.variant),
                });
            }
        }
        let desired = build_request(&current, changes)?;
        let req = self
            .writes
            .sagemaker
            .update_endpoint_weights_and_capacities()
            .endpoint_name(endpoint)
            .set_desired_weights_and_capacities(Some(desired));
        let out = self.call(op, Some(endpoint), req.send()).await?;
        Ok(WriteReceipt {
            request_id: out.request_id().unwrap_or_default().to_string(),
            at: self.now(),
        })
    }

    pub(crate) async fn invoke_impl(&self, r: &InvokeRequest) -> BackendResult<InvokeResponse> {
        let req = self
            .clients
            .runtime
            .invoke_endpoint()
            .endpoint_name(&r.endpoint)
            .body(Blob::new(r.body.clone()))
            .content_type(&r.content_type)
            .set_accept(r.accept.clone())
            .set_target_variant(r.target_variant.clone());
        let started = Instant::now();
        let out = self
            .call(Operation::InvokeEndpoint, Some(&r.endpoint), req.send())
            .await?;
        let latency = started.elapsed();
        Ok(InvokeResponse {
            body: out.body().map(|b| b.as_ref().to_vec()).unwrap_or_default(),
            content_type: out.content_type().map(str::to_string),
            invoked_variant: out.invoked_production_variant().map(str::to_string),
            latency,
        })
    }
}

/// The request body for `UpdateEndpointWeightsAndCapacities`, which "updates variant weight of
/// one or more variants associated with an existing endpoint, or capacity of one variant":
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
///
/// - a weight change names every variant of `current` with its weight (requested, else its
///   desired weight) and no instance count: counts read moments earlier would undo whatever
///   autoscaling did since;
/// - a capacity change names the one variant and its count alone;
/// - anything else (weights and counts together, counts of two variants, a count for a
///   serverless variant) is refused here, before anything is sent.
pub(crate) fn build_request(
    current: &Endpoint,
    changes: &[VariantChange],
) -> BackendResult<Vec<DesiredWeightAndCapacity>> {
    let op = Operation::UpdateEndpointWeightsAndCapacities;
    let refuse = |message: String| BackendError::Validation {
        operation: op,
        message,
    };
    let counts: Vec<&VariantChange> = changes
        .iter()
        .filter(|c| c.desired_instance_count.is_some())
        .collect();
    let weights = changes.iter().any(|c| c.desired_weight.is_some());
    match (counts.as_slice(), weights) {
        ([], false) => Err(refuse("no weight or instance count to change".into())),
        ([], true) => Ok(current
            .variants
            .iter()
            .map(|v| {
                let w = changes
                    .iter()
                    .find(|c| c.variant == v.name)
                    .and_then(|c| c.desired_weight)
                    .or(v.desired_weight)
                    .or(v.current_weight)
                    .unwrap_or(1.0);
                DesiredWeightAndCapacity::builder()
                    .variant_name(&v.name)
                    .desired_weight(w as f32)
                    .build()
            })
            .collect()),
        ([one], false) => {
            let n = one.desired_instance_count.unwrap_or_default();
            if current
                .variant(&one.variant)
                .is_some_and(|v| v.serverless.is_some())
            {
                return Err(refuse(format!(
                    "variant {} is serverless: it has no instance count to set",
                    one.variant
                )));
            }
            Ok(vec![
                DesiredWeightAndCapacity::builder()
                    .variant_name(&one.variant)
                    .desired_instance_count(i32::try_from(n).unwrap_or(i32::MAX))
                    .build(),
            ])
        }
        ([_], true) => Err(refuse(
            "weights and an instance count cannot change in one call: change the weights, then the capacity".into(),
        )),
        (_, _) => Err(refuse(format!(
            "instance counts of {} variants in one call: AWS changes the capacity of one variant per call",
            counts.len()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(name: &str, w: f64, n: u32) -> Variant {
        Variant {
            name: name.into(),
            model_name: None,
            instance_type: Some("ml.m5.large".into()),
            current_instance_count: Some(n),
            desired_instance_count: Some(n),
            current_weight: Some(w),
            desired_weight: Some(w),
            serverless: None,
            statuses: Vec::new(),
        }
    }

    fn endpoint() -> Endpoint {
        Endpoint {
            name: "ep".into(),
            arn: String::new(),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: Timestamp::default(),
            last_modified_time: Timestamp::default(),
            config_name: "cfg".into(),
            shadow_variants: Vec::new(),
            pending: None,
            variants: vec![variant("blue", 3.0, 2), variant("green", 1.0, 1)],
        }
    }

    fn fields(req: &[DesiredWeightAndCapacity]) -> Vec<(Option<&str>, Option<f32>, Option<i32>)> {
        req.iter()
            .map(|d| {
                (
                    d.variant_name(),
                    d.desired_weight(),
                    d.desired_instance_count(),
                )
            })
            .collect()
    }

    #[test]
    fn weight_changes_name_every_variant_without_counts() {
        let e = endpoint();
        let change = |v: &str, w: Option<f64>, n: Option<u32>| VariantChange {
            variant: v.into(),
            desired_weight: w,
            desired_instance_count: n,
        };
        let req = build_request(&e, &[change("green", Some(2.0), None)]).unwrap();
        assert_eq!(
            fields(&req),
            vec![
                (Some("blue"), Some(3.0), None),
                (Some("green"), Some(2.0), None)
            ]
        );
        // Capacity of one variant, alone.
        let req = build_request(&e, &[change("green", None, Some(4))]).unwrap();
        assert_eq!(fields(&req), vec![(Some("green"), None, Some(4))]);
        // Mixed, or two capacities: refused before sending.
        for bad in [
            vec![change("green", Some(2.0), Some(4))],
            vec![
                change("blue", None, Some(1)),
                change("green", None, Some(4)),
            ],
            vec![
                change("blue", Some(1.0), None),
                change("green", None, Some(4)),
            ],
        ] {
            assert!(matches!(
                build_request(&e, &bad),
                Err(BackendError::Validation { .. })
            ));
        }
    }

    #[test]
    fn weights_read_as_typed() {
        assert_eq!(weight(0.2), 0.2);
        assert_eq!(weight(3.0), 3.0);
    }
}
