//! The SDK backend over the wire against moto 5.2.5 on loopback (`scripts/moto-env` installs it;
//! without it these tests fail and say so). One moto per test, killed on drop.

use crate::support;

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalableDimension, ServiceNamespace,
    TargetTrackingScalingPolicyConfiguration,
};
use serde_json::json;

use sagetop::aws::{AwsBackend, AwsOptions, StartupError, connect, load_sdk_config};
use sagetop::boundary::{Backend, BackendError, Operation};
use sagetop::domain::*;
use support::moto::Moto;

fn options(moto: &Moto) -> AwsOptions {
    moto.options()
}

async fn backend(moto: &Moto) -> AwsBackend {
    connect(&options(moto)).await.expect("connects to moto")
}

async fn sagemaker(moto: &Moto) -> aws_sdk_sagemaker::Client {
    aws_sdk_sagemaker::Client::new(&load_sdk_config(&options(moto)).await.unwrap())
}

async fn autoscaling(moto: &Moto) -> aws_sdk_applicationautoscaling::Client {
    aws_sdk_applicationautoscaling::Client::new(&load_sdk_config(&options(moto)).await.unwrap())
}

/// An endpoint with two variants at weights 3:1: `blue` (2 × ml.m5.large) and
/// `green` (1 × ml.g4dn.xlarge), each on its own model.
async fn create_ab_endpoint(moto: &Moto, name: &str) {
    use aws_sdk_sagemaker::types::ProductionVariantInstanceType::{MlG4DnXlarge, MlM5Large};
    moto.create_endpoint(
        name,
        &[("blue", MlM5Large, 2, 3.0), ("green", MlG4DnXlarge, 1, 1.0)],
    )
    .await;
}

#[tokio::test]
async fn endpoints_are_listed_and_described_with_config_details() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    create_ab_endpoint(&moto, "search-bert").await;
    let b = backend(&moto).await;

    let mut names: Vec<String> = b
        .list_endpoints()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["fraud-xgb", "search-bert"]);

    let e = b.describe_endpoint("fraud-xgb").await.unwrap();
    assert_eq!(e.status, EndpointStatus::InService);
    assert_eq!(e.config_name, "fraud-xgb-cfg");
    assert!(e.arn.ends_with(":endpoint/fraud-xgb"), "{}", e.arn);
    let weights: Vec<f64> = e.variants.iter().map(Variant::effective_weight).collect();
    assert_eq!(percentages(&weights), vec![75, 25]);
    type Row<'a> = (&'a str, Option<&'a str>, Option<u32>, Option<&'a str>);
    let rows: Vec<Row> = e
        .variants
        .iter()
        .map(|v| {
            (
                v.name.as_str(),
                v.instance_type.as_deref(),
                v.current_instance_count,
                v.model_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            ("blue", Some("ml.m5.large"), Some(2), Some("fraud-xgb-blue")),
            (
                "green",
                Some("ml.g4dn.xlarge"),
                Some(1),
                Some("fraud-xgb-green")
            ),
        ]
    );
    assert_eq!(e.current_instances(), Some(3));

    // The config is read once and cached (configs are immutable).
    b.describe_endpoint("fraud-xgb").await.unwrap();
    let stats = b.api_stats();
    let calls = |op: Operation| {
        stats
            .operations
            .iter()
            .find(|o| o.operation == op)
            .map_or(0, |o| o.calls)
    };
    assert_eq!(calls(Operation::DescribeEndpoint), 2);
    assert_eq!(calls(Operation::DescribeEndpointConfig), 1);
}

#[tokio::test]
async fn unknown_endpoints_are_not_found() {
    let moto = Moto::start();
    let b = backend(&moto).await;
    let err = b.describe_endpoint("no-such-endpoint").await.unwrap_err();
    let BackendError::NotFound {
        operation,
        resource,
        message,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(
        (*operation, resource.as_str()),
        (Operation::DescribeEndpoint, "no-such-endpoint")
    );
    assert!(message.contains("Could not find endpoint"), "{message}");
}

#[tokio::test]
async fn weights_and_one_variants_capacity_are_separate_updates() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    let b = backend(&moto).await;

    // One more instance for green: the capacity of one variant, alone in the request (AWS
    // changes "capacity of one variant" per call), so blue is not named and stays as it is.
    let scale = VariantChange {
        variant: "green".into(),
        desired_weight: None,
        desired_instance_count: Some(2),
    };
    b.update_weights_and_capacities("fraud-xgb", &[scale])
        .await
        .unwrap();
    let e = b.describe_endpoint("fraud-xgb").await.unwrap();
    let blue = e.variant("blue").unwrap();
    assert_eq!(
        (blue.desired_weight, blue.desired_instance_count),
        (Some(3.0), Some(2)),
        "blue untouched"
    );
    assert_eq!(e.variant("green").unwrap().desired_instance_count, Some(2));

    // Weights: every variant named with its weight (green's kept), no counts.
    let weights = VariantChange {
        variant: "green".into(),
        desired_weight: Some(3.0),
        desired_instance_count: None,
    };
    b.update_weights_and_capacities("fraud-xgb", &[weights])
        .await
        .unwrap();
    let e = b.describe_endpoint("fraud-xgb").await.unwrap();
    let weights: Vec<f64> = e.variants.iter().map(Variant::effective_weight).collect();
    assert_eq!(percentages(&weights), vec![50, 50]);
    assert_eq!(e.variant("blue").unwrap().desired_weight, Some(3.0));
    // (moto sets the counts it was not sent to null; AWS keeps them, so no count is asserted.)

    // Weights and a count together are refused before anything is sent.
    let mixed = VariantChange {
        variant: "green".into(),
        desired_weight: Some(1.0),
        desired_instance_count: Some(3),
    };
    let err = b
        .update_weights_and_capacities("fraud-xgb", &[mixed])
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Validation { .. }), "{err:?}");
    let bogus = VariantChange {
        variant: "purple".into(),
        desired_weight: Some(1.0),
        desired_instance_count: None,
    };
    let err = b
        .update_weights_and_capacities("fraud-xgb", &[bogus])
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::Validation { .. }), "{err:?}");
    let err = b
        .update_weights_and_capacities(
            "gone",
            &[VariantChange {
                variant: "blue".into(),
                desired_weight: Some(1.0),
                desired_instance_count: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, BackendError::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn invocations_carry_the_target_variant_and_report_the_invoked_one() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    moto.seed_invocations(json!({"results": [
        {"Body": "{\"score\": 0.91}", "ContentType": "application/json", "InvokedProductionVariant": "green", "CustomAttributes": ""},
        {"Body": "{\"score\": 0.12}", "ContentType": "application/json", "InvokedProductionVariant": "blue", "CustomAttributes": ""}
    ]}));
    let b = backend(&moto).await;
    let request = |variant: Option<&str>| InvokeRequest {
        endpoint: "fraud-xgb".into(),
        body: br#"{"amount": 120.5}"#.to_vec(),
        content_type: "application/json".into(),
        accept: Some("application/json".into()),
        target_variant: variant.map(str::to_string),
    };
    let r = b.invoke(&request(Some("green"))).await.unwrap();
    assert_eq!(String::from_utf8(r.body).unwrap(), r#"{"score": 0.91}"#);
    assert_eq!(r.invoked_variant.as_deref(), Some("green"));
    assert_eq!(r.content_type.as_deref(), Some("application/json"));
    // moto answers each distinct request (headers included) once from the queue, then repeats
    // it: the same request again gets the same answer, another target variant the next one.
    let again = b.invoke(&request(Some("green"))).await.unwrap();
    assert_eq!(again.invoked_variant.as_deref(), Some("green"));
    let other = b.invoke(&request(Some("blue"))).await.unwrap();
    assert_eq!(other.invoked_variant.as_deref(), Some("blue"));
    assert_eq!(String::from_utf8(other.body).unwrap(), r#"{"score": 0.12}"#);
}

#[tokio::test]
async fn scalable_targets_and_policies_read_back() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    let b = backend(&moto).await;

    b.register_scalable_target("fraud-xgb", "blue", 2, 8)
        .await
        .unwrap();
    let aas = autoscaling(&moto).await;
    aas.put_scaling_policy()
        .policy_name("invocations-target")
        .service_namespace(ServiceNamespace::Sagemaker)
        .resource_id(resource_id("fraud-xgb", "blue"))
        .scalable_dimension(ScalableDimension::SageMakerVariantDesiredInstanceCount)
        .policy_type(PolicyType::TargetTrackingScaling)
        .target_tracking_scaling_policy_configuration(
            TargetTrackingScalingPolicyConfiguration::builder()
                .target_value(5.0)
                .predefined_metric_specification(
                    PredefinedMetricSpecification::builder()
                        .predefined_metric_type(MetricType::SageMakerVariantInvocationsPerInstance)
                        .build()
                        .unwrap(),
                )
                .scale_out_cooldown(60)
                .scale_in_cooldown(600)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("put scaling policy");

    let got = b.describe_autoscaling("fraud-xgb").await.unwrap();
    assert_eq!(got.len(), 2);
    let blue = &got[0];
    assert_eq!(blue.variant, "blue");
    assert_eq!(
        blue.target,
        Some(ScalableTarget {
            endpoint: "fraud-xgb".into(),
            variant: "blue".into(),
            min_capacity: 2,
            max_capacity: 8
        })
    );
    assert_eq!(blue.policies.len(), 1);
    let p = &blue.policies[0];
    assert_eq!(
        (
            p.name.as_str(),
            p.policy_type.as_str(),
            p.metric.as_str(),
            p.target_value
        ),
        (
            "invocations-target",
            "TargetTrackingScaling",
            INVOCATIONS_PER_INSTANCE_METRIC,
            Some(5.0)
        )
    );
    assert_eq!(
        p.scale_out_cooldown,
        Some(std::time::Duration::from_secs(60))
    );
    assert_eq!(
        p.scale_in_cooldown,
        Some(std::time::Duration::from_secs(600))
    );
    assert_eq!(
        (
            got[1].variant.as_str(),
            &got[1].target,
            got[1].policies.len()
        ),
        ("green", &None, 0)
    );

    // New limits through the trait replace the old ones.
    b.register_scalable_target("fraud-xgb", "blue", 1, 4)
        .await
        .unwrap();
    let got = b.describe_autoscaling("fraud-xgb").await.unwrap();
    let t = got[0].target.as_ref().unwrap();
    assert_eq!((t.min_capacity, t.max_capacity), (1, 4));
    let err = b
        .register_scalable_target("fraud-xgb", "blue", 5, 2)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            BackendError::Validation {
                operation: Operation::RegisterScalableTarget,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn identity_comes_from_sts() {
    let moto = Moto::start();
    let b = backend(&moto).await;
    let id = b.identity().await.unwrap();
    assert_eq!(id.account, "123456789012");
    assert!(id.arn.starts_with("arn:aws:"), "{}", id.arn);
    assert_eq!(
        (id.region.as_str(), id.demo, id.profile.as_deref()),
        ("us-east-1", false, None)
    );
    assert_eq!(b.region(), "us-east-1");
}

#[tokio::test]
async fn services_moto_does_not_serve_fail_as_errors_and_are_counted() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    let b = backend(&moto).await;
    let now = chrono::Utc::now();
    let q = MetricQuery {
        series: vec![SeriesKey::new(
            "fraud-xgb",
            "blue",
            MetricName::Invocations,
            Statistic::Sum,
        )],
        start: now - chrono::Duration::minutes(10),
        end: now,
        period: std::time::Duration::from_secs(60),
    };
    let err = b.get_metrics(&q).await.unwrap_err();
    assert_eq!(err.operation(), Operation::GetMetricData);
    assert!(
        !matches!(
            err,
            BackendError::Credentials { .. } | BackendError::AccessDenied { .. }
        ),
        "{err:?}"
    );
    let err = b
        .lookup_events(&EventQuery {
            max_results: 50,
            ..EventQuery::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.operation(), Operation::LookupEvents);
    let err = b.list_quotas().await.unwrap_err();
    assert_eq!(err.operation(), Operation::ListServiceQuotas);
    let stats = b.api_stats();
    for op in [
        Operation::GetMetricData,
        Operation::LookupEvents,
        Operation::ListServiceQuotas,
    ] {
        let o = stats.operations.iter().find(|o| o.operation == op).unwrap();
        assert_eq!((o.calls, o.errors), (1, 1), "{op}");
    }
    assert_eq!(stats.metrics_requested, 1);
}

#[tokio::test]
async fn connecting_to_nothing_is_a_startup_error_not_a_hang() {
    let moto = Moto::start();
    let mut opts = options(&moto);
    let port = moto.port;
    drop(moto);
    opts.endpoint_url = Some(format!("http://127.0.0.1:{port}"));
    let err = connect(&opts).await.unwrap_err();
    assert!(matches!(err, StartupError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.exit_code(), 2);
    assert!(err.to_string().contains("us-east-1"), "{err}");

    opts.endpoint_url = Some("localhost:4566".into());
    let err = connect(&opts).await.unwrap_err();
    assert!(
        matches!(err, StartupError::BadEndpointUrl { .. }),
        "{err:?}"
    );
}

#[tokio::test]
async fn reconnect_switches_region_and_keeps_the_api_accounting() {
    let moto = Moto::start();
    let _sm = sagemaker(&moto).await;
    create_ab_endpoint(&moto, "fraud-xgb").await;
    let b = backend(&moto).await;
    assert_eq!(b.list_endpoints().await.unwrap().len(), 1);

    let mut opts = options(&moto);
    opts.region = Some("eu-west-1".into());
    let other = b.reconnect(&opts).await.unwrap();
    assert_eq!(other.region(), "eu-west-1");
    assert_eq!(other.identity().await.unwrap().region, "eu-west-1");
    assert!(
        other.list_endpoints().await.unwrap().is_empty(),
        "moto keeps endpoints per region"
    );
    let stats = other.api_stats();
    let list = stats
        .operations
        .iter()
        .find(|o| o.operation == Operation::ListEndpoints)
        .unwrap();
    assert_eq!(list.calls, 2, "one call per backend, one shared account");
}
