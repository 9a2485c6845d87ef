//! Fixtures: the demo fleet's endpoints hosted beyond classic variants — an LLM endpoint on
//! ml.g5.12xlarge with three inference components, an async endpoint scaled to zero between
//! batches (its autoscaling in `async_scale`), a multi-model endpoint — and the serverless
//! endpoint's provisioned concurrency.

use super::fleet::{DAY_MS, ESpec, HF_CPU, HOUR_MS, TGI, VSpec, XGB, cpu};
use super::hosting::{HostingState, SimAsync, SimComponent, SimCopyScaling};
use super::ids::MINUTE_MS;
use super::traffic::{BodyKind, VariantModel};
use super::trail::Caller;
use crate::domain::*;

pub(crate) const LLM: &str = "llm-chat-components";
pub(crate) const ASYNC: &str = "doc-ocr-async";
pub(crate) const MME: &str = "tenant-churn-mme";
pub(crate) const MME_MODEL: &str = "tenant-churn-xgb-mme";
const SERVERLESS: &str = "support-intent-serverless";

fn spec(name: &str, image: &'static str, variant: VSpec, peak: f64, body: BodyKind) -> ESpec {
    ESpec {
        name: name.into(),
        config: format!("{name}-config-v1"),
        image,
        status: EndpointStatus::InService,
        failure: None,
        created_ago_ms: 9 * DAY_MS + 4 * HOUR_MS,
        modified_ago_ms: 2 * DAY_MS + 7 * HOUR_MS,
        created_by: Caller::ci(),
        change: super::fleet::Change::None,
        variants: vec![variant],
        base_peak: peak,
        body,
        pending: None,
    }
}

/// The endpoints, appended to the standard fleet.
pub(super) fn specs() -> Vec<ESpec> {
    let g5 = "ml.g5.12xlarge";
    vec![
        // Variants of component endpoints carry no model.
        spec(
            LLM,
            TGI,
            cpu(
                "AllTraffic",
                "",
                g5,
                2,
                1.0,
                VariantModel::gpu(g5, 240.0, 900.0, 0.62),
            ),
            140.0,
            BodyKind::Summary,
        ),
        spec(
            ASYNC,
            HF_CPU,
            cpu(
                "AllTraffic",
                "doc-ocr-donut-v2",
                "ml.g4dn.xlarge",
                // Scaled to zero between batches (`async_scale`).
                0,
                1.0,
                VariantModel::gpu("ml.g4dn.xlarge", 30.0, 2400.0, 0.55),
            ),
            1.0,
            BodyKind::Summary,
        ),
        spec(
            MME,
            XGB,
            cpu(
                "AllTraffic",
                MME_MODEL,
                "ml.m5.2xlarge",
                2,
                1.0,
                VariantModel::cpu("ml.m5.2xlarge", 2600.0, 12.0),
            ),
            900.0,
            BodyKind::Churn,
        ),
    ]
}

#[allow(clippy::too_many_arguments)] // one fixture row, read as a table below
fn component(
    name: &str,
    model: &str,
    cores: f64,
    gpus: f64,
    mem_mb: u32,
    copies: u32,
    peak: f64,
    latency_ms: f64,
    start_ms: i64,
) -> SimComponent {
    SimComponent {
        name: name.into(),
        endpoint: LLM.into(),
        variant: "AllTraffic".into(),
        model: model.into(),
        compute: ComputeRequirements {
            cpu_cores: Some(cores),
            accelerators: Some(gpus),
            min_memory_mb: Some(mem_mb),
            max_memory_mb: None,
        },
        current: copies,
        desired: copies,
        status: ComponentStatus::InService,
        done_at_ms: None,
        created_ms: start_ms - 9 * DAY_MS,
        modified_ms: start_ms - 2 * DAY_MS - 7 * HOUR_MS - 12 * MINUTE_MS,
        peak_per_min: peak,
        per_copy_capacity: 60.0,
        latency_ms,
    }
}

/// The hosting state at the start.
pub(super) fn state(start_ms: i64) -> HostingState {
    let mut h = HostingState::default();
    // ml.g5.12xlarge: 4 GPUs, 48 vCPUs, 192 GiB each; two instances hold 8 GPUs.
    for c in [
        component(
            "llama-3-8b-chat",
            "llama-3-8b-instruct",
            8.0,
            1.0,
            24_576,
            4,
            180.0,
            850.0,
            start_ms,
        ),
        component(
            "mistral-7b-summarize",
            "mistral-7b-instruct-v0-3",
            8.0,
            1.0,
            24_576,
            2,
            70.0,
            1100.0,
            start_ms,
        ),
        component(
            "bge-reranker",
            "bge-reranker-large",
            4.0,
            1.0,
            8_192,
            1,
            45.0,
            90.0,
            start_ms,
        ),
    ] {
        h.components.insert(c.name.clone(), c);
    }
    // Copy counts registered with Application Auto Scaling, target tracking on invocations per
    // copy (a minute's invocations per copy; one copy serves about 60 a minute); the reranker
    // is left without autoscaling.
    for (name, min, max, target) in [
        ("llama-3-8b-chat", 1, 8, 40.0),
        ("mistral-7b-summarize", 1, 4, 30.0),
    ] {
        h.copy_scaling.insert(
            name.into(),
            SimCopyScaling {
                min,
                max,
                policy: Some(copies_policy(name, target)),
            },
        );
    }
    h.managed.insert(
        (LLM.into(), "AllTraffic".into()),
        ManagedScaling {
            enabled: true,
            min_instances: Some(1),
            max_instances: Some(4),
        },
    );
    h.asyncs.insert(
        ASYNC.into(),
        SimAsync {
            variant: "AllTraffic".into(),
            config: AsyncConfig {
                output_path: Some("s3://acme-ml-async/doc-ocr/output/".into()),
                failure_path: Some("s3://acme-ml-async/doc-ocr/failure/".into()),
                max_concurrent_per_instance: Some(4),
            },
            backlog: 0.0,
            // A batch arrives faster than one instance finishes: the queue grows until it
            // scales out, then drains, and the endpoint scales back to zero.
            peak_per_min: 30.0,
            per_instance: 26.0,
        },
    );
    h.provisioned
        .insert((SERVERLESS.into(), "AllTraffic".into()), 5);
    h.multi_models.insert(MME_MODEL.into());
    h
}

/// Target tracking of a component's copy count on the predefined metric
/// `SageMakerInferenceComponentInvocationsPerCopy`:
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_PredefinedMetricSpecification.html
fn copies_policy(component: &str, target: f64) -> ScalingPolicy {
    ScalingPolicy {
        name: format!("{component}-invocations-per-copy"),
        policy_type: "TargetTrackingScaling".into(),
        metric: INVOCATIONS_PER_COPY_METRIC.into(),
        target_value: Some(target),
        scale_in_cooldown: Some(std::time::Duration::from_secs(300)),
        scale_out_cooldown: Some(std::time::Duration::from_secs(120)),
        disable_scale_in: false,
    }
}
