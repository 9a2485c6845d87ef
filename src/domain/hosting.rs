//! How an endpoint is hosted beyond classic variants: inference components (copies of models
//! on shared instances), async inference (a queue in front of the instances), serverless
//! provisioned concurrency, managed instance scaling and multi-model containers.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Timestamp};

/// `InferenceComponentStatus`:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceComponent.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ComponentStatus {
    InService,
    Creating,
    Updating,
    Failed,
    Deleting,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 5] = [
        ComponentStatus::InService,
        ComponentStatus::Creating,
        ComponentStatus::Updating,
        ComponentStatus::Failed,
        ComponentStatus::Deleting,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ComponentStatus::InService => "InService",
            ComponentStatus::Creating => "Creating",
            ComponentStatus::Updating => "Updating",
            ComponentStatus::Failed => "Failed",
            ComponentStatus::Deleting => "Deleting",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }

    pub fn is_transitional(self) -> bool {
        matches!(
            self,
            ComponentStatus::Creating | ComponentStatus::Updating | ComponentStatus::Deleting
        )
    }
}

impl std::fmt::Display for ComponentStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one copy of a component reserves on its instance (`ComputeResourceRequirements`):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_InferenceComponentComputeResourceRequirements.html
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct ComputeRequirements {
    pub cpu_cores: Option<f64>,
    pub accelerators: Option<f64>,
    /// MinMemoryRequiredInMb.
    pub min_memory_mb: Option<u32>,
    pub max_memory_mb: Option<u32>,
}

/// One inference component (`DescribeInferenceComponent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InferenceComponent {
    pub name: String,
    pub endpoint: String,
    pub variant: String,
    pub model: Option<String>,
    /// `None` for a status this build does not know.
    pub status: Option<ComponentStatus>,
    pub failure_reason: Option<String>,
    pub current_copies: Option<u32>,
    pub desired_copies: Option<u32>,
    pub compute: ComputeRequirements,
    pub last_modified: Option<Timestamp>,
}

impl InferenceComponent {
    /// Copies are being added or removed.
    pub fn is_scaling(&self) -> bool {
        self.status.is_some_and(ComponentStatus::is_transitional)
            || self.current_copies != self.desired_copies
    }

    /// Application Auto Scaling resource id of its copy count:
    /// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html
    pub fn scaling_resource_id(&self) -> String {
        super::autoscaling::component_resource_id(&self.name)
    }
}

/// `AsyncInferenceConfig` of an endpoint config:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AsyncInferenceConfig.html
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AsyncConfig {
    pub output_path: Option<String>,
    pub failure_path: Option<String>,
    pub max_concurrent_per_instance: Option<u32>,
}

/// Managed instance scaling of a variant (endpoints with inference components):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantManagedInstanceScaling.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedScaling {
    pub enabled: bool,
    pub min_instances: Option<u32>,
    pub max_instances: Option<u32>,
}

/// Hosting facts of one variant, from its endpoint config and model.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct VariantHosting {
    pub variant: String,
    pub model: Option<String>,
    pub managed_scaling: Option<ManagedScaling>,
    /// `ServerlessConfig.ProvisionedConcurrency`:
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariantServerlessConfig.html
    pub provisioned_concurrency: Option<u32>,
    /// The model's container runs in `Mode: MultiModel` (`DescribeModel`);
    /// `None` while the model was not described.
    pub multi_model: Option<bool>,
}

/// How an endpoint is hosted, as far as sagetop tells kinds apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HostingKind {
    Classic,
    Components,
    Async,
    Serverless,
    MultiModel,
}

impl HostingKind {
    /// A short tag for lists ("IC", "ASYNC", …); empty for classic endpoints.
    pub fn tag(self) -> &'static str {
        match self {
            HostingKind::Classic => "",
            HostingKind::Components => "IC",
            HostingKind::Async => "ASYNC",
            HostingKind::Serverless => "SVRLS",
            HostingKind::MultiModel => "MME",
        }
    }
}

/// Everything beyond classic variants that sagetop knows about one endpoint.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EndpointHosting {
    pub endpoint: String,
    pub config_name: String,
    pub async_config: Option<AsyncConfig>,
    pub variants: Vec<VariantHosting>,
    /// Inference components on the endpoint (empty for endpoints with models on variants).
    pub components: Vec<InferenceComponent>,
    pub serverless: bool,
}

impl EndpointHosting {
    /// The facts an endpoint description alone gives (variants, models, serverless).
    pub fn of(endpoint: &Endpoint) -> Self {
        EndpointHosting {
            endpoint: endpoint.name.clone(),
            config_name: endpoint.config_name.clone(),
            async_config: None,
            variants: endpoint
                .variants
                .iter()
                .map(|v| VariantHosting {
                    variant: v.name.clone(),
                    model: v.model_name.clone(),
                    ..VariantHosting::default()
                })
                .collect(),
            components: Vec::new(),
            serverless: endpoint.is_serverless(),
        }
    }

    /// Variants of endpoints built for inference components carry no model:
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ProductionVariant.html
    /// ("ModelName … required unless the endpoint hosts inference components").
    pub fn uses_components(&self) -> bool {
        !self.components.is_empty()
            || (!self.variants.is_empty()
                && self
                    .variants
                    .iter()
                    .all(|v| v.model.as_deref().is_none_or(str::is_empty)))
    }

    pub fn is_multi_model(&self) -> bool {
        self.variants.iter().any(|v| v.multi_model == Some(true))
    }

    pub fn kind(&self) -> HostingKind {
        if self.async_config.is_some() {
            HostingKind::Async
        } else if self.uses_components() {
            HostingKind::Components
        } else if self.serverless {
            HostingKind::Serverless
        } else if self.is_multi_model() {
            HostingKind::MultiModel
        } else {
            HostingKind::Classic
        }
    }

    /// Copies running / wanted over every component.
    pub fn copies(&self) -> (u32, u32) {
        self.components.iter().fold((0, 0), |(c, d), ic| {
            (
                c + ic.current_copies.unwrap_or(0),
                d + ic.desired_copies.unwrap_or(0),
            )
        })
    }

    pub fn component(&self, name: &str) -> Option<&InferenceComponent> {
        self.components.iter().find(|c| c.name == name)
    }

    pub fn variant(&self, name: &str) -> Option<&VariantHosting> {
        self.variants.iter().find(|v| v.variant == name)
    }
}

/// A requested copy count for one inference component
/// (`UpdateInferenceComponentRuntimeConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CopyChange {
    pub component: String,
    pub desired_copies: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ic(name: &str, cur: u32, want: u32, status: ComponentStatus) -> InferenceComponent {
        InferenceComponent {
            name: name.into(),
            endpoint: "llm".into(),
            variant: "AllTraffic".into(),
            model: Some("m".into()),
            status: Some(status),
            failure_reason: None,
            current_copies: Some(cur),
            desired_copies: Some(want),
            compute: ComputeRequirements::default(),
            last_modified: None,
        }
    }

    #[test]
    fn kinds_follow_config_and_models() {
        let mut h = EndpointHosting {
            endpoint: "e".into(),
            variants: vec![VariantHosting {
                variant: "AllTraffic".into(),
                model: Some("m".into()),
                ..VariantHosting::default()
            }],
            ..EndpointHosting::default()
        };
        assert_eq!(h.kind(), HostingKind::Classic);
        h.variants[0].multi_model = Some(true);
        assert_eq!(h.kind(), HostingKind::MultiModel);
        h.async_config = Some(AsyncConfig::default());
        assert_eq!(h.kind(), HostingKind::Async);
        h.async_config = None;
        h.variants[0].model = None;
        assert_eq!(h.kind(), HostingKind::Components);
        h.components = vec![
            ic("a", 2, 2, ComponentStatus::InService),
            ic("b", 1, 3, ComponentStatus::Updating),
        ];
        assert_eq!(h.copies(), (3, 5));
        assert!(h.components[1].is_scaling());
        assert!(!h.components[0].is_scaling());
        assert_eq!(
            h.components[0].scaling_resource_id(),
            "inference-component/a"
        );
        for s in ComponentStatus::ALL {
            assert_eq!(ComponentStatus::parse(s.as_str()), Some(s));
        }
    }
}
