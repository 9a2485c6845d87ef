//! The SDK backend against aws-smithy-mocks whose request matchers check AWS's documented
//! contracts (not sagetop's own assumptions): weights alone or one variant's capacity per
//! UpdateEndpointWeightsAndCapacities, DescribeScalingPolicies pages of at most 10, writes
//! sent once while reads keep the SDK's retry, every attempt counted in `:api`, and event
//! polling that finds other people's writes under a flood of reads.

use std::sync::{Arc, Mutex};

use aws_sdk_applicationautoscaling::operation::describe_scalable_targets::DescribeScalableTargetsOutput;
use aws_sdk_applicationautoscaling::operation::describe_scaling_policies::DescribeScalingPoliciesOutput;
use aws_sdk_applicationautoscaling::types::{
    PolicyType, ScalableDimension, ScalableTarget as SdkTarget, ScalingPolicy as SdkPolicy,
    ServiceNamespace,
};
use aws_sdk_cloudtrail::operation::lookup_events::{LookupEventsInput, LookupEventsOutput};
use aws_sdk_cloudtrail::types::{Event, LookupAttributeKey};
use aws_sdk_sagemaker::operation::describe_endpoint::DescribeEndpointOutput;
use aws_sdk_sagemaker::operation::describe_endpoint_config::DescribeEndpointConfigOutput;
use aws_sdk_sagemaker::operation::update_endpoint_weights_and_capacities::UpdateEndpointWeightsAndCapacitiesOutput;
use aws_sdk_sagemaker::types::{
    EndpointStatus as SdkStatus, ProductionVariant, ProductionVariantInstanceType,
    ProductionVariantSummary,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;

use sagetop::aws::{AwsBackend, Clients};
use sagetop::boundary::{Backend, BackendError, Operation};
use sagetop::domain::*;
use sagetop::write::request::{WriteRequest, scale_request, weights_request};

#[derive(Default)]
struct Rules {
    sagemaker: Vec<Rule>,
    autoscaling: Vec<Rule>,
    cloudtrail: Vec<Rule>,
}

/// Clients with the SDK's standard retry (3 attempts), as sagetop runs them by default.
macro_rules! client {
    ($krate:ident, $rules:expr) => {
        mock_client!($krate, RuleMode::MatchAny, $rules, |c| c.retry_config(
            $krate::config::retry::RetryConfig::standard().with_max_attempts(3)
        ))
    };
}

fn backend(r: &Rules) -> AwsBackend {
    let none = Vec::<Rule>::new();
    let clients = Clients {
        sagemaker: client!(aws_sdk_sagemaker, &r.sagemaker),
        runtime: client!(aws_sdk_sagemakerruntime, none.iter()),
        autoscaling: client!(aws_sdk_applicationautoscaling, &r.autoscaling),
        cloudwatch: client!(aws_sdk_cloudwatch, none.iter()),
        cloudtrail: client!(aws_sdk_cloudtrail, &r.cloudtrail),
        quotas: client!(aws_sdk_servicequotas, none.iter()),
        sts: client!(aws_sdk_sts, none.iter()),
        logs: client!(aws_sdk_cloudwatchlogs, Vec::<Rule>::new().iter()),
    };
    AwsBackend::new(clients, Some("prod".into()), "us-east-1")
}

fn calls(b: &AwsBackend, op: Operation) -> (u64, u64) {
    b.api_stats()
        .operations
        .iter()
        .find(|o| o.operation == op)
        .map_or((0, 0), |o| (o.calls, o.throttles))
}

// ---------------------------------------------------------------------------------------------
// SageMaker

fn summary(name: &str, weight: f32, count: i32) -> ProductionVariantSummary {
    ProductionVariantSummary::builder()
        .variant_name(name)
        .current_weight(weight)
        .desired_weight(weight)
        .current_instance_count(count)
        .desired_instance_count(count)
        .build()
}

/// `fraud`: blue (weight 3, 2 instances) and green (weight 1, 1 instance), InService.
fn fraud_rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_output(|| {
            DescribeEndpointOutput::builder()
                .endpoint_name("fraud")
                .endpoint_config_name("fraud-cfg")
                .endpoint_status(SdkStatus::InService)
                .production_variants(summary("blue", 3.0, 2))
                .production_variants(summary("green", 1.0, 1))
                .build()
        }),
        mock!(aws_sdk_sagemaker::Client::describe_endpoint_config).then_output(|| {
            let v = |n: &str| {
                ProductionVariant::builder()
                    .variant_name(n)
                    .model_name(format!("{n}-model"))
                    .instance_type(ProductionVariantInstanceType::MlM5Large)
                    .build()
            };
            DescribeEndpointConfigOutput::builder()
                .endpoint_config_name("fraud-cfg")
                .production_variants(v("blue"))
                .production_variants(v("green"))
                .build()
        }),
    ]
}

fn changes(r: WriteRequest) -> Vec<VariantChange> {
    match r {
        WriteRequest::Update { changes, .. } => changes,
        other => panic!("{other:?}"),
    }
}

/// "updates variant weight of one or more variants associated with an existing endpoint, or
/// capacity of one variant":
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpointWeightsAndCapacities.html
#[tokio::test]
async fn weight_changes_send_weights_alone_and_scale_changes_one_capacity() {
    let weights = mock!(aws_sdk_sagemaker::Client::update_endpoint_weights_and_capacities)
        .match_requests(|r| {
            let d = r.desired_weights_and_capacities();
            d.len() == 2
                && d.iter()
                    .all(|v| v.desired_instance_count().is_none() && v.desired_weight().is_some())
        })
        .then_output(|| UpdateEndpointWeightsAndCapacitiesOutput::builder().build());
    let capacity = mock!(aws_sdk_sagemaker::Client::update_endpoint_weights_and_capacities)
        .match_requests(|r| {
            let d = r.desired_weights_and_capacities();
            d.len() == 1
                && d[0].variant_name() == Some("green")
                && d[0].desired_instance_count() == Some(4)
                && d[0].desired_weight().is_none()
        })
        .then_output(|| UpdateEndpointWeightsAndCapacitiesOutput::builder().build());
    let mut sagemaker = fraud_rules();
    sagemaker.extend([weights.clone(), capacity.clone()]);
    let b = backend(&Rules {
        sagemaker,
        ..Rules::default()
    });
    let e = b.describe_endpoint("fraud").await.unwrap();

    let w = changes(weights_request(
        &e,
        &[("green".into(), 1.0), ("blue".into(), 1.0)],
    ));
    b.update_weights_and_capacities("fraud", &w).await.unwrap();
    let s = changes(scale_request(&e, "green", 4));
    b.update_weights_and_capacities("fraud", &s).await.unwrap();
    assert_eq!((weights.num_calls(), capacity.num_calls()), (1, 1));

    // Both kinds in one call, or two capacities: refused before anything is sent.
    let mut mixed = w.clone();
    mixed.extend(s.clone());
    let two = vec![
        VariantChange {
            variant: "blue".into(),
            desired_weight: None,
            desired_instance_count: Some(1),
        },
        s[0].clone(),
    ];
    for bad in [mixed, two] {
        let err = b
            .update_weights_and_capacities("fraud", &bad)
            .await
            .unwrap_err();
        assert!(matches!(err, BackendError::Validation { .. }), "{err:?}");
    }
    assert_eq!((weights.num_calls(), capacity.num_calls()), (1, 1));
}

/// A write whose response is lost must not be re-sent by the SDK's retry (sagetop's writer
/// describes first and decides); reads keep the retry. Every attempt shows in `:api`.
#[tokio::test(start_paused = true)]
async fn writes_get_one_attempt_while_reads_retry_and_every_attempt_is_counted() {
    let throttled =
        || Some(r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string());
    let describe = mock!(aws_sdk_sagemaker::Client::describe_endpoint)
        .sequence()
        .http_status(400, throttled())
        .times(2)
        .output(|| {
            DescribeEndpointOutput::builder()
                .endpoint_name("fraud")
                .endpoint_config_name("fraud-cfg")
                .endpoint_status(SdkStatus::InService)
                .production_variants(summary("blue", 3.0, 2))
                .production_variants(summary("green", 1.0, 1))
                .build()
        })
        .output(|| {
            DescribeEndpointOutput::builder()
                .endpoint_name("fraud")
                .endpoint_config_name("fraud-cfg")
                .endpoint_status(SdkStatus::InService)
                .production_variants(summary("blue", 3.0, 2))
                .production_variants(summary("green", 1.0, 1))
                .build()
        })
        .build();
    let mut sagemaker = vec![describe.clone()];
    sagemaker.push(fraud_rules().pop().unwrap());
    let lost = mock!(aws_sdk_sagemaker::Client::update_endpoint_weights_and_capacities)
        .sequence()
        .http_status(503, None)
        .times(3)
        .build();
    sagemaker.push(lost.clone());
    let register = mock!(aws_sdk_applicationautoscaling::Client::register_scalable_target)
        .sequence()
        .http_status(503, None)
        .times(3)
        .build();
    let b = backend(&Rules {
        sagemaker,
        autoscaling: vec![register.clone()],
        ..Rules::default()
    });
    let e = b.describe_endpoint("fraud").await.unwrap();
    assert_eq!(
        describe.num_calls(),
        3,
        "the read was retried through two throttles"
    );
    assert_eq!(e.variants.len(), 2);
    // :api shows every request sent: DescribeEndpoint 3 (2 throttled), its config 1.
    assert_eq!(calls(&b, Operation::DescribeEndpoint), (3, 2));
    assert_eq!(calls(&b, Operation::DescribeEndpointConfig), (1, 0));

    let w = changes(weights_request(&e, &[("green".into(), 2.0)]));
    let err = b
        .update_weights_and_capacities("fraud", &w)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(lost.num_calls(), 1, "the write went out once");
    let err = b
        .register_scalable_target("fraud", "green", 1, 4)
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert_eq!(register.num_calls(), 1, "the write went out once");
    assert_eq!(
        calls(&b, Operation::UpdateEndpointWeightsAndCapacities).0,
        1
    );
    assert_eq!(calls(&b, Operation::RegisterScalableTarget).0, 1);
}

// ---------------------------------------------------------------------------------------------
// Application Auto Scaling

fn target(endpoint: &str, variant: &str) -> SdkTarget {
    SdkTarget::builder()
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/{endpoint}/variant/{variant}"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .min_capacity(1)
        .max_capacity(8)
        .role_arn("arn:aws:iam::123456789012:role/aas")
        .creation_time(DateTime::from_secs(1_700_000_000))
        .build()
        .unwrap()
}

fn sdk_policy(name: &str, endpoint: &str, variant: &str) -> SdkPolicy {
    SdkPolicy::builder()
        .policy_arn(format!("arn:aws:autoscaling:policy/{name}"))
        .policy_name(name)
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(format!("endpoint/{endpoint}/variant/{variant}"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .policy_type(PolicyType::StepScaling)
        .creation_time(DateTime::from_secs(1_700_000_000))
        .build()
        .unwrap()
}

/// DescribeScalingPolicies takes MaxResults 1–10; DescribeScalableTargets 1–50:
/// https://docs.aws.amazon.com/autoscaling/application/APIReference/API_DescribeScalingPolicies.html
#[tokio::test]
async fn scaling_policies_are_paged_ten_at_a_time_per_endpoint_and_across_the_namespace() {
    // Twelve policies on blue: two pages of at most 10.
    let policies_page = |token: Option<&'static str>,
                         range: std::ops::Range<usize>,
                         next: Option<&'static str>| {
        mock!(aws_sdk_applicationautoscaling::Client::describe_scaling_policies)
            .match_requests(move |r| {
                r.max_results().is_some_and(|m| (1..=10).contains(&m)) && r.next_token() == token
            })
            .then_compute_output(move |r| {
                let mut b = DescribeScalingPoliciesOutput::builder();
                for i in range.clone() {
                    let ep = if i < 12 { "fraud" } else { "search" };
                    let p = sdk_policy(&format!("p{i}"), ep, "blue");
                    // A request naming a ResourceId gets that resource's policies only.
                    if r.resource_id().is_none_or(|id| id == p.resource_id()) {
                        b = b.scaling_policies(p);
                    }
                }
                b.set_next_token(next.map(str::to_string)).build()
            })
    };
    let p1 = policies_page(None, 0..10, Some("pp2"));
    let p2 = policies_page(Some("pp2"), 10..13, None);
    let targets_for_fraud =
        mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
            .match_requests(|r| {
                !r.resource_ids().is_empty() && r.max_results().is_some_and(|m| m <= 50)
            })
            .then_output(|| {
                DescribeScalableTargetsOutput::builder()
                    .scalable_targets(target("fraud", "blue"))
                    .build()
            });
    // Namespace-wide: no ResourceIds, pages of at most 50.
    let all_targets = mock!(aws_sdk_applicationautoscaling::Client::describe_scalable_targets)
        .match_requests(|r| {
            r.resource_ids().is_empty()
                && r.service_namespace() == Some(&ServiceNamespace::Sagemaker)
                && r.max_results().is_some_and(|m| (1..=50).contains(&m))
        })
        .then_output(|| {
            DescribeScalableTargetsOutput::builder()
                .scalable_targets(target("fraud", "blue"))
                .scalable_targets(target("search", "blue"))
                .build()
        });
    let b = backend(&Rules {
        sagemaker: fraud_rules(),
        autoscaling: vec![
            targets_for_fraud,
            all_targets.clone(),
            p1.clone(),
            p2.clone(),
        ],
        ..Rules::default()
    });
    let a = b.describe_autoscaling("fraud").await.unwrap();
    let blue = a.iter().find(|v| v.variant == "blue").unwrap();
    assert_eq!(blue.policies.len(), 12, "both pages read");

    let fleet = b.describe_fleet_autoscaling().await.unwrap();
    assert_eq!(all_targets.num_calls(), 1);
    let fraud_blue = fleet["fraud"].iter().find(|v| v.variant == "blue").unwrap();
    assert_eq!(fraud_blue.policies.len(), 12);
    assert!(fraud_blue.target.is_some());
    let search = &fleet["search"];
    assert_eq!(search.len(), 1);
    assert_eq!(search[0].policies.len(), 1);
    // Green (known from the describe) has no target.
    assert!(
        fleet["fraud"]
            .iter()
            .any(|v| v.variant == "green" && v.target.is_none())
    );
}

// ---------------------------------------------------------------------------------------------
// CloudTrail

fn trail_event(id: &str, source: &str, name: &str, mins_ago: i64, extra: &str) -> Event {
    let t = sagetop::clock::fixture_epoch() - chrono::Duration::minutes(mins_ago);
    let raw = format!(
        r#"{{"eventID":"{id}","eventTime":"{}","eventSource":"{source}","eventName":"{name}","readOnly":false,"userIdentity":{{"type":"IAMUser","userName":"dana"}}{extra}}}"#,
        t.format("%Y-%m-%dT%H:%M:%SZ")
    );
    Event::builder()
        .event_id(id)
        .event_name(name)
        .event_source(source)
        .event_time(DateTime::from_secs(t.timestamp()))
        .read_only("false")
        .cloud_trail_event(raw)
        .build()
}

/// Sagetop's own DescribeEndpoint calls fill an EventSource lookup with reads; `ReadOnly=false`
/// returns the writes of every service, filtered here to SageMaker's and its autoscaling's.
/// Every page after the first sends its token with the first call's parameters.
/// https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
#[tokio::test(start_paused = true)]
async fn event_polls_page_back_through_other_services_writes_to_every_sagemaker_write() {
    let seen: Arc<Mutex<Vec<LookupEventsInput>>> = Arc::default();
    let log = seen.clone();
    let writes_only = |r: &LookupEventsInput| {
        let a = r.lookup_attributes();
        a.len() == 1
            && a[0].attribute_key() == &LookupAttributeKey::ReadOnly
            && a[0].attribute_value() == "false"
            && r.start_time().is_none()
            && r.end_time().is_none()
            && r.max_results().is_some_and(|m| (1..=50).contains(&m))
    };
    let spy = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| {
            log.lock().unwrap().push(r.clone());
            false
        })
        .then_output(|| LookupEventsOutput::builder().build());
    let page1 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| writes_only(r) && r.next_token().is_none())
        .then_output(|| {
            let mut b = LookupEventsOutput::builder();
            for i in 0..49 {
                b = b.events(trail_event(
                    &format!("ec2-{i}"),
                    "ec2.amazonaws.com",
                    "CreateTags",
                    1,
                    "",
                ));
            }
            b.events(trail_event(
                "sm-1",
                "sagemaker.amazonaws.com",
                "UpdateEndpointWeightsAndCapacities",
                2,
                r#","requestParameters":{"endpointName":"fraud"}"#,
            ))
            .next_token("t2")
            .build()
        });
    let page2 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(move |r| writes_only(r) && r.next_token() == Some("t2"))
        .then_output(|| {
            LookupEventsOutput::builder()
                .events(trail_event(
                    "aas-1",
                    "application-autoscaling.amazonaws.com",
                    "RegisterScalableTarget",
                    5,
                    r#","requestParameters":{"serviceNamespace":"sagemaker","resourceId":"endpoint/fraud/variant/blue"}"#,
                ))
                .events(trail_event(
                    "aas-ecs",
                    "application-autoscaling.amazonaws.com",
                    "RegisterScalableTarget",
                    6,
                    r#","requestParameters":{"serviceNamespace":"ecs","resourceId":"service/c/s"}"#,
                ))
                .events(trail_event("s3-1", "s3.amazonaws.com", "PutBucketPolicy", 40, ""))
                .next_token("t3")
                .build()
        });
    let page3 = mock!(aws_sdk_cloudtrail::Client::lookup_events)
        .match_requests(|r| r.next_token() == Some("t3"))
        .then_output(|| LookupEventsOutput::builder().build());
    let b = backend(&Rules {
        cloudtrail: vec![spy, page1.clone(), page2.clone(), page3.clone()],
        ..Rules::default()
    });
    let events = sagetop::poll::fleet::fetch_events(&b, sagetop::clock::fixture_epoch())
        .await
        .unwrap();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, vec!["sm-1", "aas-1"]);
    assert!(events[1].touches("fraud"), "{:?}", events[1].resources);
    // Page 2 reached back past the poll's lookback: no third page.
    assert_eq!(
        (page1.num_calls(), page2.num_calls(), page3.num_calls()),
        (1, 1, 0)
    );
    let reqs = seen.lock().unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0].lookup_attributes(), reqs[1].lookup_attributes());
    assert_eq!(reqs[0].max_results(), reqs[1].max_results());
}

// ---------------------------------------------------------------------------------------------
// Blue/green deployments and shadow variants

/// During a blue/green UpdateEndpoint, DescribeEndpoint carries the new fleet in
/// PendingDeploymentSummary (with VariantStatus) beside the old one; shadow variants come in
/// ShadowProductionVariants. Both hold instances.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
#[tokio::test]
async fn blue_green_new_fleet_shadow_variants_and_variant_status_are_mapped() {
    use aws_sdk_sagemaker::types::{
        PendingDeploymentSummary, PendingProductionVariantSummary, ProductionVariantStatus,
        VariantStatus,
    };
    let baking = ProductionVariantStatus::builder()
        .status(VariantStatus::Baking)
        .status_message("watching alarms")
        .start_time(DateTime::from_secs(1_700_000_000))
        .build();
    let describe = mock!(aws_sdk_sagemaker::Client::describe_endpoint).then_output(move || {
        DescribeEndpointOutput::builder()
            .endpoint_name("bg")
            .endpoint_config_name("bg-v1")
            .endpoint_status(SdkStatus::Updating)
            .production_variants(summary("AllTraffic", 1.0, 4))
            .shadow_production_variants(summary("shadow", 1.0, 1))
            .pending_deployment_summary(
                PendingDeploymentSummary::builder()
                    .endpoint_config_name("bg-v2")
                    .start_time(DateTime::from_secs(1_700_000_000))
                    .production_variants(
                        PendingProductionVariantSummary::builder()
                            .variant_name("AllTraffic")
                            .current_instance_count(2)
                            .desired_instance_count(4)
                            .current_weight(1.0)
                            .desired_weight(1.0)
                            .variant_status(baking.clone())
                            .build(),
                    )
                    .build(),
            )
            .build()
    });
    let config = |name: &'static str, ty: ProductionVariantInstanceType| {
        mock!(aws_sdk_sagemaker::Client::describe_endpoint_config)
            .match_requests(move |r| r.endpoint_config_name() == Some(name))
            .then_output(move || {
                DescribeEndpointConfigOutput::builder()
                    .endpoint_config_name(name)
                    .production_variants(
                        ProductionVariant::builder()
                            .variant_name("AllTraffic")
                            .instance_type(ty.clone())
                            .build(),
                    )
                    .shadow_production_variants(
                        ProductionVariant::builder()
                            .variant_name("shadow")
                            .instance_type(ProductionVariantInstanceType::MlM5Large)
                            .build(),
                    )
                    .build()
            })
    };
    let v1 = config("bg-v1", ProductionVariantInstanceType::MlM5Xlarge);
    let v2 = config("bg-v2", ProductionVariantInstanceType::MlG5Xlarge);
    let b = backend(&Rules {
        sagemaker: vec![describe, v1, v2.clone()],
        ..Rules::default()
    });
    let e = b.describe_endpoint("bg").await.unwrap();
    assert_eq!(e.variants[0].instance_type.as_deref(), Some("ml.m5.xlarge"));
    assert_eq!(e.shadow_variants.len(), 1);
    assert_eq!(
        e.shadow_variants[0].instance_type.as_deref(),
        Some("ml.m5.large")
    );
    let p = e.pending.as_ref().expect("pending deployment");
    assert_eq!(p.config_name, "bg-v2");
    assert!(p.start_time.is_some());
    let new = &p.variants[0];
    assert_eq!(
        (new.current_instance_count, new.desired_instance_count),
        (Some(2), Some(4))
    );
    // The new config's instance type, from its DescribeEndpointConfig.
    assert_eq!(new.instance_type.as_deref(), Some("ml.g5.xlarge"));
    assert_eq!(v2.num_calls(), 1);
    assert_eq!(new.statuses.len(), 1);
    assert_eq!(new.statuses[0].status, "Baking");
    assert_eq!(new.statuses[0].message.as_deref(), Some("watching alarms"));
    // Every fleet that holds instances: old, shadow, new.
    let usage = sagetop::app::figures::instance_usage(std::slice::from_ref(&e));
    assert_eq!(usage["ml.m5.xlarge"], 4);
    assert_eq!(usage["ml.m5.large"], 1);
    assert_eq!(usage["ml.g5.xlarge"], 2);
}
