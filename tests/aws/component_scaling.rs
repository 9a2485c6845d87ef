//! Inference components' copy-count autoscaling read by the SDK backend: against the simulated
//! account over the wire (equal to the direct read, the request as AWS documents it), against
//! aws-smithy-mocks whose matchers check AWS's documented contract (ResourceIds 1–50 per
//! DescribeScalableTargets call, pages followed, DescribeScalingPolicies 1–10 per page on one
//! ResourceId, namespace `sagemaker`, dimension `sagemaker:inference-component:DesiredCopyCount`)
//! and errors mapped as the variants' autoscaling read maps them.
//! moto 5.2.5 rejects this dimension ("Unsupported service namespace, resource type or
//! scalable dimension"), so it is not used here.
//! https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalableTargets.html
//! https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html

use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::{
    DescribeScalableTargetsError, DescribeScalableTargetsInput, DescribeScalableTargetsOutput,
};
use aws_sdk_applicationautoscaling::operation::describe_scaling_policies::{
    DescribeScalingPoliciesInput, DescribeScalingPoliciesOutput,
};
use aws_sdk_applicationautoscaling::types::{
    Alarm, MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension,
    ScalableTarget as SdkTarget, ScalingPolicy as SdkPolicy, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use aws_smithy_types::error::ErrorMetadata;
use serde_json::json;

use crate::wire_rig::Rig;
use sagetop::aws::{AwsBackend, Clients};
use sagetop::boundary::{Backend, BackendError, Operation};
use sagetop::domain::*;

const DIM: &str = "sagemaker:inference-component:DesiredCopyCount";

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

// ---------------------------------------------------------------------------------------------
// Over the wire, against the simulated account

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn component_targets_and_policies_read_over_the_wire_equal_the_direct_read() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let asked = names(&[
        "bge-reranker",
        "llama-3-8b-chat",
        "mistral-7b-summarize",
        "no-such-component",
    ]);
    let wire = aws.describe_component_autoscaling(&asked).await.unwrap();
    let direct = rig
        .sim
        .describe_component_autoscaling(&asked)
        .await
        .unwrap();
    assert_eq!(wire, direct);
    let got: Vec<&str> = wire.iter().map(|a| a.component.as_str()).collect();
    assert_eq!(got, asked, "one entry per name, in the order asked");

    let llama = &wire[1];
    assert_eq!(llama.range, Some((1, 8)));
    assert_eq!(llama.policies.len(), 1);
    let p = &llama.policies[0];
    assert_eq!(p.policy_type, "TargetTrackingScaling");
    assert_eq!(p.metric, INVOCATIONS_PER_COPY_METRIC);
    assert_eq!(p.target_value, Some(40.0));
    assert_eq!(p.scale_out_cooldown, Some(Duration::from_secs(120)));
    assert_eq!(p.scale_in_cooldown, Some(Duration::from_secs(300)));
    assert_eq!(wire[2].range, Some((1, 4)));
    // No target registered: no range, no policy (and no error for an unknown name).
    for a in [&wire[0], &wire[3]] {
        assert_eq!((a.range, a.policies.len()), (None, 0), "{a:?}");
    }
    // One DescribeScalableTargets for all four ids; policies only where there is a target.
    assert_eq!(
        rig.served("application-autoscaling", "DescribeScalableTargets"),
        1
    );
    assert_eq!(
        rig.served("application-autoscaling", "DescribeScalingPolicies"),
        2
    );

    // Nothing asked, nothing sent.
    assert!(
        aws.describe_component_autoscaling(&[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        rig.served("application-autoscaling", "DescribeScalableTargets"),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wire_answers_component_targets_as_aws_documents_them() {
    let rig = Rig::new(0, None).await;
    let target = "AnyScaleFrontendService.DescribeScalableTargets";
    let r = rig
        .json(
            "application-autoscaling",
            target,
            &json!({
                "ServiceNamespace": "sagemaker",
                "ScalableDimension": DIM,
                "ResourceIds": ["inference-component/llama-3-8b-chat", "inference-component/bge-reranker"],
            })
            .to_string(),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let t = v["ScalableTargets"].as_array().unwrap();
    assert_eq!(t.len(), 1, "{v}");
    assert_eq!(t[0]["ResourceId"], "inference-component/llama-3-8b-chat");
    assert_eq!(t[0]["ScalableDimension"], DIM);
    assert_eq!(
        (t[0]["MinCapacity"].as_i64(), t[0]["MaxCapacity"].as_i64()),
        (Some(1), Some(8))
    );

    // The variants' dimension lists no components; the namespace without a dimension lists both.
    let variants = rig
        .json(
            "application-autoscaling",
            target,
            &json!({"ServiceNamespace": "sagemaker", "ScalableDimension": SCALABLE_DIMENSION})
                .to_string(),
        )
        .await
        .json();
    let all = rig
        .json(
            "application-autoscaling",
            target,
            &json!({"ServiceNamespace": "sagemaker"}).to_string(),
        )
        .await
        .json();
    let ids = |v: &serde_json::Value| -> Vec<String> {
        v["ScalableTargets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["ResourceId"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(
        !ids(&variants)
            .iter()
            .any(|i| i.starts_with("inference-component/"))
    );
    assert_eq!(
        ids(&all)
            .iter()
            .filter(|i| i.starts_with("inference-component/"))
            .count(),
        2
    );

    let p = rig
        .json(
            "application-autoscaling",
            "AnyScaleFrontendService.DescribeScalingPolicies",
            &json!({
                "ServiceNamespace": "sagemaker",
                "ScalableDimension": DIM,
                "ResourceId": "inference-component/mistral-7b-summarize",
            })
            .to_string(),
        )
        .await
        .json();
    let list = p["ScalingPolicies"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{p}");
    let cfg = &list[0]["TargetTrackingScalingPolicyConfiguration"];
    assert_eq!(
        cfg["PredefinedMetricSpecification"]["PredefinedMetricType"],
        INVOCATIONS_PER_COPY_METRIC
    );
    assert_eq!(cfg["TargetValue"], 30.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_autoscaling_is_access_denied_on_describe_scalable_targets() {
    let rig = Rig::new(0, Some("deny=application-autoscaling")).await;
    let aws = rig.backend(1).await;
    let err = aws
        .describe_component_autoscaling(&names(&["llama-3-8b-chat"]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::AccessDenied {
                operation: Operation::DescribeScalableTargets,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.hint(),
        "grant application-autoscaling:DescribeScalableTargets to your role or user"
    );
}

// ---------------------------------------------------------------------------------------------
// AWS's documented contract, with aws-smithy-mocks

macro_rules! client {
    ($krate:ident, $rules:expr) => {
        mock_client!($krate, RuleMode::MatchAny, $rules, |c| c.retry_config(
            $krate::config::retry::RetryConfig::standard().with_max_attempts(1)
        ))
    };
}

fn backend(autoscaling: &[Rule]) -> AwsBackend {
    let none = Vec::<Rule>::new();
    let clients = Clients {
        sagemaker: client!(aws_sdk_sagemaker, none.iter()),
        runtime: client!(aws_sdk_sagemakerruntime, none.iter()),
        autoscaling: client!(aws_sdk_applicationautoscaling, autoscaling),
        cloudwatch: client!(aws_sdk_cloudwatch, none.iter()),
        cloudtrail: client!(aws_sdk_cloudtrail, none.iter()),
        quotas: client!(aws_sdk_servicequotas, none.iter()),
        sts: client!(aws_sdk_sts, none.iter()),
        logs: client!(aws_sdk_cloudwatchlogs, none.iter()),
    };
    AwsBackend::new(clients, Some("prod".into()), "us-east-1")
}

fn sdk_target(id: &str, min: i32, max: i32) -> SdkTarget {
    SdkTarget::builder()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(id)
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .min_capacity(min)
        .max_capacity(max)
        .role_arn("arn:aws:iam::123456789012:role/aas")
        .creation_time(DateTime::from_secs(1_700_000_000))
        .build()
        .unwrap()
}

fn sdk_policy(id: &str, step: bool) -> SdkPolicy {
    let b = SdkPolicy::builder()
        .policy_arn(format!("arn:aws:autoscaling:policy/{id}"))
        .policy_name(format!("{id}-policy"))
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(id)
        .scalable_dimension(ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        .creation_time(DateTime::from_secs(1_700_000_000));
    let b = if step {
        b.policy_type(PolicyType::StepScaling).alarms(
            Alarm::builder()
                .alarm_name("ic-queue-high")
                .alarm_arn("arn:aws:cloudwatch:us-east-1:123456789012:alarm:ic-queue-high")
                .build()
                .unwrap(),
        )
    } else {
        b.policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(
                TargetTrackingScalingPolicyConfiguration::builder()
                    .target_value(5.0)
                    .predefined_metric_specification(
                        PredefinedMetricSpecification::builder()
                            .predefined_metric_type(
                                MetricType::SageMakerInferenceComponentInvocationsPerCopy,
                            )
                            .build()
                            .unwrap(),
                    )
                    .build()
                    .unwrap(),
            )
    };
    b.build().unwrap()
}

fn component(i: usize) -> String {
    format!("ic-{i:02}")
}

/// The request names the sagemaker namespace and the component dimension, as the API
/// reference requires of a request with resource ids.
fn targets_contract(r: &DescribeScalableTargetsInput) -> bool {
    r.service_namespace() == Some(&ServiceNamespace::Sagemaker)
        && r.scalable_dimension()
            == Some(&ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        && (1..=50).contains(&r.resource_ids().len())
        && r.resource_ids()
            .iter()
            .all(|id| id.starts_with("inference-component/"))
        && r.max_results().is_none_or(|m| (1..=50).contains(&m))
}

fn policies_contract(r: &DescribeScalingPoliciesInput) -> bool {
    r.service_namespace() == Some(&ServiceNamespace::Sagemaker)
        && r.scalable_dimension()
            == Some(&ScalableDimension::SageMakerInferenceComponentDesiredCopyCount)
        && r.resource_id()
            .is_some_and(|id| id.starts_with("inference-component/"))
        && r.max_results().is_none_or(|m| (1..=10).contains(&m))
}

#[tokio::test]
async fn sixty_components_are_asked_fifty_ids_a_call_every_page_followed() {
    // Every third component has a target: ic-00 (a step policy), ic-03, …; each page of
    // targets holds at most 5, so every call is paged.
    let asked_targets: Arc<Mutex<Vec<DescribeScalableTargetsInput>>> = Arc::default();
    let log = asked_targets.clone();
    let targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .match_requests(targets_contract)
        .then_compute_output(move |r| {
            log.lock().unwrap().push(r.clone());
            let found: Vec<&String> = r
                .resource_ids()
                .iter()
                .filter(|id| {
                    id.trim_start_matches("inference-component/ic-")
                        .parse::<usize>()
                        .is_ok_and(|n| n.is_multiple_of(3))
                })
                .collect();
            let (page, next) = match r.next_token() {
                None if found.len() > 5 => {
                    (&found[..5], Some(format!("more-{}", r.resource_ids()[0])))
                }
                _ if r.next_token().is_some() => (&found[5..], None),
                _ => (&found[..], None),
            };
            let mut b = DescribeScalableTargetsOutput::builder();
            for id in page {
                b = b.scalable_targets(sdk_target(id, 1, 6));
            }
            b.set_next_token(next).build()
        });
    let asked_policies: Arc<Mutex<Vec<DescribeScalingPoliciesInput>>> = Arc::default();
    let plog = asked_policies.clone();
    let policies = mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_policies)
        .match_requests(policies_contract)
        .then_compute_output(move |r| {
            plog.lock().unwrap().push(r.clone());
            let id = r.resource_id().unwrap();
            DescribeScalingPoliciesOutput::builder()
                .scaling_policies(sdk_policy(id, id.ends_with("ic-00")))
                .build()
        });
    let b = backend(&[targets.clone(), policies.clone()]);
    let all: Vec<String> = (0..60).map(component).collect();
    let got = b.describe_component_autoscaling(&all).await.unwrap();

    assert_eq!(got.len(), 60);
    for (i, a) in got.iter().enumerate() {
        assert_eq!(a.component, component(i));
        if i.is_multiple_of(3) {
            assert_eq!(a.range, Some((1, 6)), "{a:?}");
            assert_eq!(a.policies.len(), 1, "{a:?}");
        } else {
            assert_eq!((a.range, a.policies.len()), (None, 0), "{a:?}");
        }
    }
    let step = &got[0].policies[0];
    assert_eq!(
        (step.policy_type.as_str(), step.metric.as_str()),
        ("StepScaling", "ic-queue-high")
    );
    let tt = &got[3].policies[0];
    assert_eq!(
        (tt.policy_type.as_str(), tt.metric.as_str(), tt.target_value),
        (
            "TargetTrackingScaling",
            INVOCATIONS_PER_COPY_METRIC,
            Some(5.0)
        )
    );

    // Two chunks (50 + 10 ids), the first paged twice (17 targets), the second once (3).
    let calls = asked_targets.lock().unwrap().clone();
    let sizes: Vec<(usize, bool)> = calls
        .iter()
        .map(|r| (r.resource_ids().len(), r.next_token().is_some()))
        .collect();
    assert_eq!(sizes, [(50, false), (50, true), (10, false)]);
    assert_eq!(
        calls[0].resource_ids(),
        calls[1].resource_ids(),
        "same ids on every page"
    );
    let mut ids: Vec<String> = calls
        .iter()
        .filter(|r| r.next_token().is_none())
        .flat_map(|r| r.resource_ids().to_vec())
        .collect();
    ids.sort();
    let want: Vec<String> = all.iter().map(|c| component_resource_id(c)).collect();
    assert_eq!(ids, want, "every component asked once");
    // Policies: one call per component with a target, on its own resource id.
    let pol = asked_policies.lock().unwrap();
    assert_eq!(pol.len(), 20);
    assert!(pol.iter().all(|r| {
        let n: usize = r.resource_id().unwrap()["inference-component/ic-".len()..]
            .parse()
            .unwrap();
        n.is_multiple_of(3)
    }));
}

#[tokio::test]
async fn errors_are_mapped_as_the_variants_autoscaling_read_maps_them() {
    let deny = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_error(|| {
            DescribeScalableTargetsError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("User: arn:aws:sts::123456789012:assumed-role/ReadOnly/x is not authorized to perform: application-autoscaling:DescribeScalableTargets")
                    .build(),
            )
        });
    let err = backend(&[deny])
        .describe_component_autoscaling(&names(&["chat"]))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            BackendError::AccessDenied { operation: Operation::DescribeScalableTargets, message }
                if message.contains("not authorized")
        ),
        "{err:?}"
    );
    let throttle = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .then_error(|| {
            DescribeScalableTargetsError::generic(
                ErrorMetadata::builder()
                    .code("ThrottlingException")
                    .message("Rate exceeded")
                    .build(),
            )
        });
    let err = backend(&[throttle])
        .describe_component_autoscaling(&names(&["chat"]))
        .await
        .unwrap_err();
    assert_eq!(
        err,
        BackendError::Throttled {
            operation: Operation::DescribeScalableTargets,
            message: "Rate exceeded".into()
        }
    );
}
