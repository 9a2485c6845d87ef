//! Hosting beyond classic variants over AWS's wire protocols: the real SDK backend against the
//! simulated account — inference components (list, describe, copy scaling to InService and its
//! refusals), async config and backlog metrics, provisioned concurrency, multi-model detection.

use crate::wire_rig;

use std::time::Duration;

use sagetop::boundary::{Backend, BackendError, read_only};
use sagetop::clock::Clock;
use sagetop::domain::*;
use std::sync::Arc;
use wire_rig::Rig;

const LLM: &str = "llm-chat-components";
const ASYNC: &str = "doc-ocr-async";
const MME: &str = "tenant-churn-mme";
const SERVERLESS: &str = "support-intent-serverless";

async fn hosting(b: &dyn Backend, name: &str, models: bool) -> EndpointHosting {
    let e = b.describe_endpoint(name).await.unwrap();
    b.describe_hosting(&e, models).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn components_async_serverless_and_multi_model_read_over_the_wire() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let sim = rig.sim.as_ref();

    let wire = hosting(&aws, LLM, true).await;
    let direct = hosting(sim, LLM, true).await;
    assert_eq!(wire.kind(), HostingKind::Components);
    assert_eq!(wire.components, direct.components);
    let names: Vec<&str> = wire.components.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        ["bge-reranker", "llama-3-8b-chat", "mistral-7b-summarize"]
    );
    let llama = wire.component("llama-3-8b-chat").unwrap();
    assert_eq!(llama.current_copies, Some(4));
    assert_eq!(llama.desired_copies, Some(4));
    assert_eq!(llama.compute.accelerators, Some(1.0));
    assert_eq!(llama.compute.cpu_cores, Some(8.0));
    assert_eq!(llama.compute.min_memory_mb, Some(24_576));
    assert_eq!(llama.model.as_deref(), Some("llama-3-8b-instruct"));
    assert_eq!(llama.status, Some(ComponentStatus::InService));
    assert_eq!(wire.copies(), (7, 7));
    assert_eq!(
        wire.variant("AllTraffic").unwrap().managed_scaling,
        Some(ManagedScaling {
            enabled: true,
            min_instances: Some(1),
            max_instances: Some(4)
        })
    );
    assert!(rig.served("sagemaker", "ListInferenceComponents") >= 1);
    assert_eq!(rig.served("sagemaker", "DescribeInferenceComponent"), 3);

    let a = hosting(&aws, ASYNC, false).await;
    assert_eq!(a.kind(), HostingKind::Async);
    let cfg = a.async_config.unwrap();
    assert_eq!(
        cfg.output_path.as_deref(),
        Some("s3://acme-ml-async/doc-ocr/output/")
    );
    assert_eq!(cfg.max_concurrent_per_instance, Some(4));
    assert!(a.components.is_empty());

    let s = hosting(&aws, SERVERLESS, false).await;
    assert_eq!(s.kind(), HostingKind::Serverless);
    assert_eq!(
        s.variant("AllTraffic").unwrap().provisioned_concurrency,
        Some(5)
    );

    // Multi-model detection needs DescribeModel, asked for only with `models`, once per model.
    let m = hosting(&aws, MME, false).await;
    assert_eq!(m.variants[0].multi_model, None);
    assert_eq!(rig.served("sagemaker", "DescribeModel"), 0);
    let m = hosting(&aws, MME, true).await;
    assert_eq!(m.kind(), HostingKind::MultiModel);
    let again = hosting(&aws, MME, true).await;
    assert_eq!(again.kind(), HostingKind::MultiModel);
    assert_eq!(rig.served("sagemaker", "DescribeModel"), 1, "cached");
    let classic = hosting(&aws, "fraud-detection-xgb", true).await;
    assert_eq!(classic.kind(), HostingKind::Classic);
    // No component reads for endpoints whose variants carry models.
    assert_eq!(rig.served("sagemaker", "DescribeInferenceComponent"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copy_scaling_goes_updating_then_in_service_and_refuses_what_aws_refuses() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let change = CopyChange {
        component: "mistral-7b-summarize".into(),
        desired_copies: 3,
    };
    let receipt = aws.update_component_copies(&change).await.unwrap();
    assert!(!receipt.request_id.is_empty());
    assert_eq!(
        rig.served("sagemaker", "UpdateInferenceComponentRuntimeConfig"),
        1
    );
    let h = hosting(&aws, LLM, false).await;
    let c = h.component("mistral-7b-summarize").unwrap();
    assert_eq!(c.status, Some(ComponentStatus::Updating));
    assert_eq!((c.current_copies, c.desired_copies), (Some(2), Some(3)));
    assert!(c.is_scaling());

    // A second change while it is Updating: refused before anything is sent.
    let again = aws.update_component_copies(&change).await.unwrap_err();
    assert!(
        matches!(&again, BackendError::Validation { message, .. } if message.contains("Updating")),
        "{again:?}"
    );
    assert_eq!(
        rig.served("sagemaker", "UpdateInferenceComponentRuntimeConfig"),
        1
    );

    rig.clock.advance(Duration::from_secs(240));
    let h = hosting(&aws, LLM, false).await;
    let c = h.component("mistral-7b-summarize").unwrap();
    assert_eq!(c.status, Some(ComponentStatus::InService));
    assert_eq!((c.current_copies, c.desired_copies), (Some(3), Some(3)));

    // A component that does not exist: AWS's ValidationException, as a typed error.
    let missing = aws
        .update_component_copies(&CopyChange {
            component: "no-such-component".into(),
            desired_copies: 1,
        })
        .await
        .unwrap_err();
    assert!(
        matches!(
            &missing,
            BackendError::Validation { .. } | BackendError::NotFound { .. }
        ),
        "{missing:?}"
    );

    // Read-only refuses at the boundary.
    let ro = read_only(Arc::new(rig.backend(1).await));
    let refused = ro.update_component_copies(&change).await.unwrap_err();
    assert_eq!(
        refused,
        BackendError::ReadOnly {
            operation: sagetop::boundary::Operation::UpdateInferenceComponentRuntimeConfig
        }
    );
}

fn last(series: &[MetricSeries], metric: MetricName) -> f64 {
    series
        .iter()
        .find(|s| s.key.metric == metric)
        .and_then(MetricSeries::latest)
        .unwrap_or_else(|| panic!("no {metric}"))
        .value
}

async fn backlog(b: &dyn Backend, now: Timestamp) -> (f64, f64) {
    let q = MetricQuery {
        series: vec![
            SeriesKey::new(
                ASYNC,
                "",
                MetricName::ApproximateBacklogSize,
                Statistic::Average,
            ),
            SeriesKey::new(
                ASYNC,
                "",
                MetricName::ApproximateAgeOfOldestRequest,
                Statistic::Maximum,
            ),
        ],
        start: now - chrono::Duration::minutes(10),
        end: now,
        period: Duration::from_secs(60),
    };
    let s = b.get_metrics(&q).await.unwrap();
    (
        last(&s, MetricName::ApproximateBacklogSize),
        last(&s, MetricName::ApproximateAgeOfOldestRequest),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_endpoint_scales_out_of_zero_on_its_backlog_and_back_over_the_wire() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    // Ten minutes in: the batch that arrived at zero instances brought one up (step policy),
    // and the queue is still being served.
    let (before, age_before) = backlog(&aws, rig.clock.now()).await;
    assert!(before > 0.0, "a batch queued: {before}");
    assert!(age_before > 0.0);
    let e = aws.describe_endpoint(ASYNC).await.unwrap();
    assert!(e.current_instances() >= Some(1), "{e:?}");
    // The documented pair of policies reads back through the SDK.
    let a = aws.describe_autoscaling(ASYNC).await.unwrap();
    let t = a[0].target.as_ref().expect("registered");
    assert_eq!((t.min_capacity, t.max_capacity), (0, 2));
    let kinds: Vec<(&str, &str)> = a[0]
        .policies
        .iter()
        .map(|p| (p.policy_type.as_str(), p.metric.as_str()))
        .collect();
    assert!(
        kinds.contains(&("TargetTrackingScaling", "ApproximateBacklogSizePerInstance"))
            && kinds.contains(&("StepScaling", "doc-ocr-async-HasBacklogWithoutCapacity")),
        "{kinds:?}"
    );
    // The queue drains.
    rig.clock.advance(Duration::from_secs(20 * 60));
    let (after, age_after) = backlog(&aws, rig.clock.now()).await;
    assert_eq!(after, 0.0, "drained (was {before})");
    assert_eq!(age_after, 0.0);
    // Quiet long enough: target tracking scales it back to zero.
    rig.clock.advance(Duration::from_secs(30 * 60));
    let e = aws.describe_endpoint(ASYNC).await.unwrap();
    assert_eq!(e.current_instances(), Some(0), "back to zero");
    let acts = aws.scaling_activities(ASYNC, 10).await.unwrap();
    assert!(
        acts.iter().any(|a| a.description.ends_with("to 1.")
            && a.cause.contains("HasBacklogWithoutCapacity-ScalingPolicy")),
        "{acts:?}"
    );

    // Components' metrics by InferenceComponentName, normalized utilization included.
    let now = rig.clock.now();
    let q = MetricQuery {
        series: vec![
            SeriesKey::component(
                LLM,
                "llama-3-8b-chat",
                MetricName::InvocationsPerCopy,
                Statistic::Sum,
            ),
            SeriesKey::component(
                LLM,
                "llama-3-8b-chat",
                MetricName::GPUUtilizationNormalized,
                Statistic::Average,
            ),
            SeriesKey::new(
                MME,
                "AllTraffic",
                MetricName::ModelCacheHit,
                Statistic::Average,
            ),
        ],
        start: now - chrono::Duration::minutes(10),
        end: now,
        period: Duration::from_secs(60),
    };
    let s = aws.get_metrics(&q).await.unwrap();
    assert!(last(&s, MetricName::InvocationsPerCopy) > 0.0);
    let gpu = last(&s, MetricName::GPUUtilizationNormalized);
    assert!((0.0..=100.0).contains(&gpu), "{gpu}");
    let hit = last(&s, MetricName::ModelCacheHit);
    assert!((0.0..=1.0).contains(&hit), "{hit}");
    assert_eq!(s[0].key.component.as_deref(), Some("llama-3-8b-chat"));
}
