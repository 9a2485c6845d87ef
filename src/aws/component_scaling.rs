//! Owns the Application Auto Scaling reads for inference components: the scalable targets
//! and policies registered on `inference-component/NAME` with scalable dimension
//! `sagemaker:inference-component:DesiredCopyCount` (namespace `sagemaker`), by which the
//! copies dialog bounds a count and the detail shows each component's copy range.

use aws_sdk_applicationautoscaling::types::ScalableDimension;

use super::AwsBackend;
use super::autoscaling::{MAX_PAGE, MAX_POLICY_PAGE, capacity, namespace, policy};
use crate::boundary::{BackendResult, Operation};
use crate::domain::*;

/// `sagemaker:inference-component:DesiredCopyCount`:
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
fn dimension() -> ScalableDimension {
    ScalableDimension::SageMakerInferenceComponentDesiredCopyCount
}

impl AwsBackend {
    /// `DescribeScalableTargets` with the components' resource ids, at most 50 ids a call
    /// (`ResourceIds` holds 1–50 items, and pages hold at most 50 targets; every page is
    /// followed), then `DescribeScalingPolicies` (10 a page) for each component that has a
    /// target: only a registered target can carry policies.
    /// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
    /// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
    pub(crate) async fn describe_component_autoscaling_impl(
        &self,
        components: &[String],
    ) -> BackendResult<Vec<ComponentAutoscaling>> {
        let ids: Vec<String> = components
            .iter()
            .map(|c| component_resource_id(c))
            .collect();
        let mut ranges: Vec<(String, (u32, u32))> = Vec::new();
        for chunk in ids.chunks(MAX_PAGE as usize) {
            ranges.extend(self.component_targets(chunk).await?);
        }
        let mut out = Vec::with_capacity(components.len());
        for c in components {
            let range = ranges.iter().find(|(n, _)| n == c).map(|(_, r)| *r);
            let policies = match range {
                Some(_) => self.component_policies(c).await?,
                None => Vec::new(),
            };
            out.push(ComponentAutoscaling {
                component: c.clone(),
                range,
                policies,
            });
        }
        Ok(out)
    }

    /// Every page of `DescribeScalableTargets` for `ids` (1–50 of them): (component, (min, max)).
    async fn component_targets(&self, ids: &[String]) -> BackendResult<Vec<(String, (u32, u32))>> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .autoscaling
                .describe_scalable_targets()
                .service_namespace(namespace())
                .scalable_dimension(dimension())
                .set_resource_ids(Some(ids.to_vec()))
                .max_results(MAX_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call(Operation::DescribeScalableTargets, None, req.send())
                .await?;
            for t in out.scalable_targets() {
                if t.scalable_dimension() != &dimension() {
                    continue;
                }
                if let Some(c) = parse_component_resource_id(t.resource_id()) {
                    found.push((
                        c.to_string(),
                        (capacity(t.min_capacity()), capacity(t.max_capacity())),
                    ));
                }
            }
            if !super::next_page(&mut token, out.next_token()) {
                break;
            }
        }
        Ok(found)
    }

    /// Every page of `DescribeScalingPolicies` for one component's copy count.
    async fn component_policies(&self, component: &str) -> BackendResult<Vec<ScalingPolicy>> {
        let id = component_resource_id(component);
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .autoscaling
                .describe_scaling_policies()
                .service_namespace(namespace())
                .scalable_dimension(dimension())
                .resource_id(id.clone())
                .max_results(MAX_POLICY_PAGE)
                .set_next_token(token.clone());
            let out = self
                .call(
                    Operation::DescribeScalingPolicies,
                    Some(component),
                    req.send(),
                )
                .await?;
            found.extend(
                out.scaling_policies()
                    .iter()
                    .filter(|p| p.resource_id() == id)
                    .map(policy),
            );
            if !super::next_page(&mut token, out.next_token()) {
                break;
            }
        }
        Ok(found)
    }
}
