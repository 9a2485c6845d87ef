//! Owns the SageMaker calls for hosting beyond classic variants: the hosting facts of an
//! endpoint config (read once with the config), `ListInferenceComponents` (every page, by
//! endpoint) joined with `DescribeInferenceComponent`, `DescribeModel` (multi-model containers,
//! once per model), and `UpdateInferenceComponentRuntimeConfig` (copy counts).

use std::sync::Arc;

use aws_sdk_sagemaker::operation::RequestId;
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemaker::operation::describe_inference_component::DescribeInferenceComponentOutput;
use aws_sdk_sagemaker::types::{
    ContainerMode, InferenceComponentRuntimeConfig, ManagedInstanceScalingStatus,
};

use super::{AwsBackend, to_time};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// `ListInferenceComponents` page size (the API's maximum, 1–100):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceComponents.html
const LIST_PAGE: i32 = 100;

/// What an (immutable) endpoint config says beyond its variants' models and types.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ConfigHosting {
    pub async_config: Option<AsyncConfig>,
    /// By variant name.
    pub managed: Vec<(String, ManagedScaling)>,
    pub provisioned: Vec<(String, u32)>,
}

fn count(n: Option<i32>) -> Option<u32> {
    n.and_then(|n| u32::try_from(n).ok())
}

/// The hosting facts of `DescribeEndpointConfig`:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpointConfig.html
pub(crate) fn config_hosting(out: &DescribeEndpointConfigOutput) -> ConfigHosting {
    let async_config = out.async_inference_config().map(|a| AsyncConfig {
        output_path: a
            .output_config()
            .and_then(|o| o.s3_output_path())
            .map(str::to_string),
        failure_path: a
            .output_config()
            .and_then(|o| o.s3_failure_path())
            .map(str::to_string),
        max_concurrent_per_instance: count(
            a.client_config()
                .and_then(|c| c.max_concurrent_invocations_per_instance()),
        ),
    });
    let mut managed = Vec::new();
    let mut provisioned = Vec::new();
    for v in out.production_variants() {
        let name = v.variant_name().unwrap_or_default().to_string();
        if let Some(m) = v.managed_instance_scaling() {
            managed.push((
                name.clone(),
                ManagedScaling {
                    enabled: m.status() == Some(&ManagedInstanceScalingStatus::Enabled),
                    min_instances: count(m.min_instance_count()),
                    max_instances: count(m.max_instance_count()),
                },
            ));
        }
        if let Some(p) = v
            .serverless_config()
            .and_then(|s| count(s.provisioned_concurrency()))
        {
            provisioned.push((name, p));
        }
    }
    ConfigHosting {
        async_config,
        managed,
        provisioned,
    }
}

/// One component as `DescribeInferenceComponent` reports it:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html
pub(crate) fn component_of(d: &DescribeInferenceComponentOutput) -> InferenceComponent {
    let spec = d.specification();
    let compute = spec.and_then(|s| s.compute_resource_requirements());
    InferenceComponent {
        name: d.inference_component_name().unwrap_or_default().to_string(),
        endpoint: d.endpoint_name().unwrap_or_default().to_string(),
        variant: d.variant_name().unwrap_or_default().to_string(),
        model: spec.and_then(|s| s.model_name()).map(str::to_string),
        status: d
            .inference_component_status()
            .and_then(|s| ComponentStatus::parse(s.as_str())),
        failure_reason: d.failure_reason().map(str::to_string),
        current_copies: count(d.runtime_config().and_then(|r| r.current_copy_count())),
        desired_copies: count(d.runtime_config().and_then(|r| r.desired_copy_count())),
        compute: ComputeRequirements {
            cpu_cores: compute
                .and_then(|c| c.number_of_cpu_cores_required())
                .map(|v| round(f64::from(v))),
            accelerators: compute
                .and_then(|c| c.number_of_accelerator_devices_required())
                .map(|v| round(f64::from(v))),
            min_memory_mb: count(compute.and_then(|c| c.min_memory_required_in_mb())),
            max_memory_mb: count(compute.and_then(|c| c.max_memory_required_in_mb())),
        },
        last_modified: d.last_modified_time().map(to_time),
    }
}

/// An f32 from the API as the value a person typed (0.5, not 0.5000000…).
fn round(v: f64) -> f64 {
    (v * 1e4).round() / 1e4
}

impl AwsBackend {
    /// Remembers the hosting facts of a config just described (configs are immutable).
    pub(crate) fn remember_config_hosting(&self, name: &str, out: &DescribeEndpointConfigOutput) {
        self.caches()
            .hosting
            .insert(name.to_string(), Arc::new(config_hosting(out)));
    }

    async fn config_hosting_cached(&self, config: &str) -> BackendResult<Arc<ConfigHosting>> {
        if config.is_empty() {
            return Ok(Arc::default());
        }
        if let Some(h) = self.caches().hosting.get(config) {
            return Ok(h.clone());
        }
        // Not read yet (or deleted): reading the config fills the cache.
        self.endpoint_config(config).await?;
        Ok(self
            .caches()
            .hosting
            .get(config)
            .cloned()
            .unwrap_or_default())
    }

    pub(crate) async fn describe_hosting_impl(
        &self,
        endpoint: &Endpoint,
        models: bool,
    ) -> BackendResult<EndpointHosting> {
        let mut h = EndpointHosting::of(endpoint);
        let config = self.config_hosting_cached(&endpoint.config_name).await?;
        h.async_config = config.async_config.clone();
        for v in &mut h.variants {
            v.managed_scaling = config
                .managed
                .iter()
                .find(|(n, _)| *n == v.variant)
                .map(|(_, m)| *m);
            v.provisioned_concurrency = config
                .provisioned
                .iter()
                .find(|(n, _)| *n == v.variant)
                .map(|(_, p)| *p);
        }
        // Only endpoints built for components have any: their variants carry no model.
        if h.uses_components() {
            h.components = self.components_of(&endpoint.name).await?;
        }
        if models {
            for v in &mut h.variants {
                if let Some(m) = v.model.clone().filter(|m| !m.is_empty()) {
                    v.multi_model = self.is_multi_model(&m).await?;
                }
            }
        }
        Ok(h)
    }

    /// Every component of `endpoint` (`ListInferenceComponents` with `EndpointNameEquals`,
    /// every page, the same filter with each NextToken), each described.
    async fn components_of(&self, endpoint: &str) -> BackendResult<Vec<InferenceComponent>> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .sagemaker
                .list_inference_components()
                .endpoint_name_equals(endpoint)
                .max_results(LIST_PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(
                    Operation::ListInferenceComponents,
                    Some(endpoint),
                    req.send(),
                )
                .await?;
            for c in page.inference_components() {
                if let Some(n) = c.inference_component_name() {
                    names.push(n.to_string());
                }
            }
            if !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match self.describe_component(&name).await {
                Ok(c) => out.push(c),
                // Deleted between the list and the describe.
                Err(BackendError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    async fn describe_component(&self, name: &str) -> BackendResult<InferenceComponent> {
        let req = self
            .clients
            .sagemaker
            .describe_inference_component()
            .inference_component_name(name);
        let d = self
            .call(
                Operation::DescribeInferenceComponent,
                Some(name),
                req.send(),
            )
            .await?;
        Ok(component_of(&d))
    }

    /// `DescribeModel`, once per model: a container in `Mode: MultiModel` serves many models
    /// from one endpoint:
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ContainerDefinition.html
    /// A model deleted after the endpoint was created is not an error: it stays unknown.
    async fn is_multi_model(&self, model: &str) -> BackendResult<Option<bool>> {
        if let Some(m) = self.caches().multi_model.get(model) {
            return Ok(Some(*m));
        }
        let req = self.clients.sagemaker.describe_model().model_name(model);
        let out = match self
            .call(Operation::DescribeModel, Some(model), req.send())
            .await
        {
            Ok(out) => out,
            Err(BackendError::NotFound { .. } | BackendError::Validation { .. }) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let multi = out
            .primary_container()
            .into_iter()
            .chain(out.containers())
            .any(|c| c.mode() == Some(&ContainerMode::MultiModel));
        self.caches().multi_model.insert(model.to_string(), multi);
        Ok(Some(multi))
    }

    /// `UpdateInferenceComponentRuntimeConfig` with `DesiredCopyCount`, after reading the
    /// component (it must exist and not be mid-change):
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateInferenceComponentRuntimeConfig.html
    pub(crate) async fn update_copies_impl(
        &self,
        change: &CopyChange,
    ) -> BackendResult<WriteReceipt> {
        let op = Operation::UpdateInferenceComponentRuntimeConfig;
        let current = self.describe_component(&change.component).await?;
        if current.status.is_some_and(ComponentStatus::is_transitional) {
            return Err(BackendError::Validation {
                operation: op,
                message: format!(
                    "inference component {} is {}: wait until it is InService",
                    change.component,
                    current
                        .status
                        .map(ComponentStatus::as_str)
                        .unwrap_or("changing")
                ),
            });
        }
        let copies =
            i32::try_from(change.desired_copies).map_err(|_| BackendError::Validation {
                operation: op,
                message: format!("{} copies is out of range", change.desired_copies),
            })?;
        let req = self
            .writes
            .sagemaker
            .update_inference_component_runtime_config()
            .inference_component_name(&change.component)
            .desired_runtime_config(
                InferenceComponentRuntimeConfig::builder()
                    .copy_count(copies)
                    .build(),
            );
        let out = self.call(op, Some(&change.component), req.send()).await?;
        Ok(WriteReceipt {
            request_id: out.request_id().unwrap_or_default().to_string(),
            at: self.now(),
        })
    }
}
