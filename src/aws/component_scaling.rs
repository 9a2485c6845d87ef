//! Owns the Application Auto Scaling reads for inference components: the scalable targets
//! and policies registered on `inference-component/NAME` with scalable dimension
//! `sagemaker:inference-component:DesiredCopyCount` (namespace `sagemaker`), by which the
//! copies dialog bounds a count and the detail shows each component's copy range.

use aws_sdk_applicationautoscaling::types::ScalableDimension;

use super::AwsBackend;
use super::autoscaling::{MAX_PAGE, capacity};
use crate::boundary::BackendResult;
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
        let raw = self.target_pages(dimension(), Some(ids), None).await?;
        Ok(raw
            .iter()
            .filter_map(|t| {
                let c = parse_component_resource_id(t.resource_id())?;
                Some((
                    c.to_string(),
                    (capacity(t.min_capacity()), capacity(t.max_capacity())),
                ))
            })
            .collect())
    }

    /// Every page of `DescribeScalingPolicies` for one component's copy count.
    async fn component_policies(&self, component: &str) -> BackendResult<Vec<ScalingPolicy>> {
        let id = component_resource_id(component);
        let found = self
            .scaling_policies(dimension(), Some(id.clone()), Some(component))
            .await?;
        Ok(found
            .into_iter()
            .filter(|(r, _)| *r == id)
            .map(|(_, p)| p)
            .collect())
    }
}
