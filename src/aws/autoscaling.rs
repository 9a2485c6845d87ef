//! Owns the Application Auto Scaling calls for endpoint variants: scalable targets and
//! policies (`describe_autoscaling`), recent activities, and `RegisterScalableTarget`.

use std::time::Duration;

use aws_sdk_applicationautoscaling::operation::RequestId;
use aws_sdk_applicationautoscaling::types::{
    ScalableDimension, ScalingActivityStatusCode, ServiceNamespace,
};

use super::{AwsBackend, to_time};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Largest `MaxResults` of `DescribeScalableTargets` and `DescribeScalingActivities` (1–50):
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingActivities.html
pub(super) const MAX_PAGE: i32 = 50;

/// Largest `MaxResults` of `DescribeScalingPolicies` (1–10):
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
pub(crate) const MAX_POLICY_PAGE: i32 = 10;

pub(super) fn namespace() -> ServiceNamespace {
    ServiceNamespace::Sagemaker
}

fn dimension() -> ScalableDimension {
    ScalableDimension::SageMakerVariantDesiredInstanceCount
}

fn secs(s: Option<i32>) -> Option<Duration> {
    s.and_then(|s| u64::try_from(s).ok())
        .map(Duration::from_secs)
}

pub(super) fn capacity(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

pub(super) fn policy(p: &aws_sdk_applicationautoscaling::types::ScalingPolicy) -> ScalingPolicy {
    let tt = p.target_tracking_scaling_policy_configuration();
    let metric = match tt {
        Some(c) => c
            .predefined_metric_specification()
            .map(|m| m.predefined_metric_type().as_str().to_string())
            .or_else(|| {
                c.customized_metric_specification()
                    .and_then(|m| m.metric_name())
                    .map(str::to_string)
            })
            .unwrap_or_else(|| "custom metric".into()),
        // Step scaling is driven by CloudWatch alarms: name them.
        None => p
            .alarms()
            .iter()
            .map(|a| a.alarm_name())
            .collect::<Vec<_>>()
            .join(", "),
    };
    ScalingPolicy {
        name: p.policy_name().to_string(),
        policy_type: p.policy_type().as_str().to_string(),
        metric,
        target_value: tt.map(|c| c.target_value()),
        scale_in_cooldown: tt.and_then(|c| secs(c.scale_in_cooldown())),
        scale_out_cooldown: tt.and_then(|c| secs(c.scale_out_cooldown())),
        disable_scale_in: tt.and_then(|c| c.disable_scale_in()).unwrap_or(false),
    }
}

fn activity_status(s: &ScalingActivityStatusCode) -> ActivityStatus {
    match s {
        ScalingActivityStatusCode::Pending => ActivityStatus::Pending,
        ScalingActivityStatusCode::InProgress => ActivityStatus::InProgress,
        ScalingActivityStatusCode::Successful => ActivityStatus::Successful,
        ScalingActivityStatusCode::Overridden => ActivityStatus::Overridden,
        ScalingActivityStatusCode::Unfulfilled => ActivityStatus::Unfulfilled,
        _ => ActivityStatus::Failed,
    }
}

impl AwsBackend {
    /// Variant names of an endpoint: from the last describe, or a fresh one.
    async fn variant_names(&self, endpoint: &str) -> BackendResult<Vec<String>> {
        if let Some(v) = self.caches().variants.get(endpoint) {
            return Ok(v.clone());
        }
        Ok(self
            .describe_endpoint_impl(endpoint)
            .await?
            .variants
            .into_iter()
            .map(|v| v.name)
            .collect())
    }

    /// One `DescribeScalableTargets` for the endpoint's variants, then one
    /// `DescribeScalingPolicies` per variant that has a target (only those can have policies).
    pub(crate) async fn describe_autoscaling_impl(
        &self,
        endpoint: &str,
    ) -> BackendResult<Vec<VariantAutoscaling>> {
        let variants = self.variant_names(endpoint).await?;
        let ids: Vec<String> = variants.iter().map(|v| resource_id(endpoint, v)).collect();
        let mut targets: Vec<ScalableTarget> = Vec::new();
        for chunk in ids.chunks(MAX_PAGE as usize) {
            let found = self.scalable_targets(Some(chunk), Some(endpoint)).await?;
            targets.extend(found.into_iter().filter(|t| t.endpoint == endpoint));
        }
        let mut result = Vec::with_capacity(variants.len());
        for v in &variants {
            let target = targets.iter().find(|t| &t.variant == v).cloned();
            let policies = if target.is_some() {
                self.policies(endpoint, v).await?
            } else {
                Vec::new()
            };
            result.push(VariantAutoscaling {
                variant: v.clone(),
                target,
                policies,
            });
        }
        remember_scaled(&mut self.caches(), endpoint, &result);
        Ok(result)
    }

    /// Autoscaling of every endpoint variant in the region: namespace-wide pages of
    /// `DescribeScalableTargets` (no ResourceIds: every target of the namespace, 50 a page)
    /// and `DescribeScalingPolicies` (10 a page), grouped by endpoint. Variants known from the
    /// last describe that have no target are listed without one.
    pub(crate) async fn describe_fleet_autoscaling_impl(&self) -> BackendResult<FleetAutoscaling> {
        let targets = self.scalable_targets(None, None).await?;
        let policies: Vec<((String, String), ScalingPolicy)> = self
            .scaling_policies(dimension(), None, None)
            .await?
            .into_iter()
            .filter_map(|(id, p)| Some((parse_resource_id(&id)?, p)))
            .collect();
        let mut fleet = FleetAutoscaling::new();
        {
            let known = self.caches().variants.clone();
            for (endpoint, variants) in known {
                fleet.insert(
                    endpoint,
                    variants
                        .into_iter()
                        .map(|variant| VariantAutoscaling {
                            variant,
                            target: None,
                            policies: Vec::new(),
                        })
                        .collect(),
                );
            }
        }
        for t in targets {
            let list = fleet.entry(t.endpoint.clone()).or_default();
            let pol: Vec<ScalingPolicy> = policies
                .iter()
                .filter(|((e, v), _)| e == &t.endpoint && v == &t.variant)
                .map(|(_, p)| p.clone())
                .collect();
            match list.iter_mut().find(|a| a.variant == t.variant) {
                Some(a) => {
                    a.policies = pol;
                    a.target = Some(t);
                }
                None => list.push(VariantAutoscaling {
                    variant: t.variant.clone(),
                    policies: pol,
                    target: Some(t),
                }),
            }
        }
        let mut caches = self.caches();
        for (endpoint, list) in &fleet {
            remember_scaled(&mut caches, endpoint, list);
        }
        Ok(fleet)
    }

    async fn policies(&self, endpoint: &str, variant: &str) -> BackendResult<Vec<ScalingPolicy>> {
        let found = self
            .scaling_policies(
                dimension(),
                Some(resource_id(endpoint, variant)),
                Some(endpoint),
            )
            .await?;
        Ok(found.into_iter().map(|(_, p)| p).collect())
    }

    /// Every page of `DescribeScalableTargets` for `ids` (at most 50), or for the whole
    /// namespace without them. `resource` names what errors are about.
    async fn scalable_targets(
        &self,
        ids: Option<&[String]>,
        resource: Option<&str>,
    ) -> BackendResult<Vec<ScalableTarget>> {
        let raw = self.target_pages(dimension(), ids, resource).await?;
        Ok(raw
            .iter()
            .filter_map(|t| {
                let (e, v) = parse_resource_id(t.resource_id())?;
                Some(ScalableTarget {
                    endpoint: e,
                    variant: v,
                    min_capacity: capacity(t.min_capacity()),
                    max_capacity: capacity(t.max_capacity()),
                })
            })
            .collect())
    }

    /// Every page of `DescribeScalableTargets` on `dim` for `ids` (at most 50: `ResourceIds`
    /// holds 1–50 items), or for the whole namespace without them, as AWS answers them.
    /// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
    pub(super) async fn target_pages(
        &self,
        dim: ScalableDimension,
        ids: Option<&[String]>,
        resource: Option<&str>,
    ) -> BackendResult<Vec<aws_sdk_applicationautoscaling::types::ScalableTarget>> {
        let mut targets = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(namespace())
                .scalable_dimension(dim.clone())
                .set_resource_ids(ids.map(<[String]>::to_vec))
                .max_results(MAX_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call(Operation::DescribeScalableTargets, resource, req.send())
                .await?;
            // A namespace-wide read lists every dimension's targets: keep `dim`'s.
            targets.extend(
                out.scalable_targets()
                    .iter()
                    .filter(|t| t.scalable_dimension() == &dim)
                    .cloned(),
            );
            if !super::next_page(&mut token, out.next_token()) {
                break;
            }
        }
        Ok(targets)
    }

    /// Every page of `DescribeScalingPolicies` (10 a page) for one resource id, or for the
    /// whole namespace without one: each policy with the resource id it belongs to.
    pub(super) async fn scaling_policies(
        &self,
        dim: ScalableDimension,
        id: Option<String>,
        resource: Option<&str>,
    ) -> BackendResult<Vec<(String, ScalingPolicy)>> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .autoscaling
                .describe_scaling_policies()
                .service_namespace(namespace())
                .scalable_dimension(dim.clone())
                .set_resource_id(id.clone())
                .max_results(MAX_POLICY_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call(Operation::DescribeScalingPolicies, resource, req.send())
                .await?;
            found.extend(
                out.scaling_policies()
                    .iter()
                    .map(|p| (p.resource_id().to_string(), policy(p))),
            );
            if !super::next_page(&mut token, out.next_token()) {
                break;
            }
        }
        Ok(found)
    }

    /// Newest `max` activities over the variants (one call per variant; only variants known to
    /// have a scalable target when the last autoscaling read says so).
    pub(crate) async fn scaling_activities_impl(
        &self,
        endpoint: &str,
        max: usize,
    ) -> BackendResult<Vec<ScalingActivity>> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let scaled = self.caches().scaled.get(endpoint).cloned();
        let variants = match scaled {
            Some(v) => v,
            None => self.variant_names(endpoint).await?,
        };
        let mut all = Vec::new();
        for v in &variants {
            let req = self
                .clients
                .autoscaling
                .describe_scaling_activities()
                .service_namespace(namespace())
                .scalable_dimension(dimension())
                .resource_id(resource_id(endpoint, v))
                .max_results(i32::try_from(max).unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE));
            let out = self
                .call(
                    Operation::DescribeScalingActivities,
                    Some(endpoint),
                    req.send(),
                )
                .await?;
            for a in out.scaling_activities() {
                let Some((e, variant)) = parse_resource_id(a.resource_id()) else {
                    continue;
                };
                all.push(ScalingActivity {
                    id: a.activity_id().to_string(),
                    endpoint: e,
                    variant,
                    start_time: to_time(a.start_time()),
                    end_time: a.end_time().map(to_time),
                    description: a.description().to_string(),
                    cause: a.cause().to_string(),
                    status: activity_status(a.status_code()),
                    status_message: a.status_message().map(str::to_string),
                });
            }
        }
        all.sort_by(|a, b| {
            b.start_time
                .cmp(&a.start_time)
                .then_with(|| a.id.cmp(&b.id))
        });
        all.truncate(max);
        Ok(all)
    }

    pub(crate) async fn register_target_impl(
        &self,
        endpoint: &str,
        variant: &str,
        min_capacity: u32,
        max_capacity: u32,
    ) -> BackendResult<WriteReceipt> {
        let op = Operation::RegisterScalableTarget;
        if min_capacity > max_capacity {
            return Err(BackendError::Validation {
                operation: op,
                message: format!(
                    "minimum capacity {min_capacity} is above maximum capacity {max_capacity}"
                ),
            });
        }
        let to_i32 = |n: u32| i32::try_from(n).unwrap_or(i32::MAX);
        let req = self
            .writes
            .autoscaling
            .register_scalable_target()
            .service_namespace(namespace())
            .scalable_dimension(dimension())
            .resource_id(resource_id(endpoint, variant))
            .min_capacity(to_i32(min_capacity))
            .max_capacity(to_i32(max_capacity));
        let out = self.call(op, Some(endpoint), req.send()).await?;
        if let Some(scaled) = self.caches().scaled.get_mut(endpoint)
            && !scaled.iter().any(|v| v == variant)
        {
            scaled.push(variant.to_string());
        }
        Ok(WriteReceipt {
            request_id: out.request_id().unwrap_or_default().to_string(),
            at: self.now(),
        })
    }
}

/// Which variants of `endpoint` have a scalable target (activities are read for those only).
fn remember_scaled(caches: &mut super::Caches, endpoint: &str, list: &[VariantAutoscaling]) {
    let scaled = list
        .iter()
        .filter(|a| a.target.is_some())
        .map(|a| a.variant.clone())
        .collect();
    caches.scaled.insert(endpoint.to_string(), scaled);
}
