//! The simulated account on AWS's wire protocols: the real SDK backend (`src/aws`) over HTTP
//! against it — every Backend method, paging, writes, each error shape, throttling through the
//! SDK's own retry — and raw requests that break AWS's documented contracts.

use crate::wire_rig;

use std::time::Duration;

use sagetop::boundary::{Backend, BackendError};
use sagetop::domain::*;
use serde_json::json;
use wire_rig::Rig;

const FRAUD: &str = "fraud-detection-xgb";
const CHURN: &str = "churn-predictor";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_through_the_sdk_matches_the_account() {
    // 150 extra endpoints: ListEndpoints (pages of 100) and the namespace-wide autoscaling
    // reads (pages of 50 and 10) need several pages.
    let rig = Rig::new(150, None).await;
    let aws = rig.backend(1).await;
    let sim = rig.sim.as_ref();

    let me = aws.identity().await.unwrap();
    assert_eq!(me.account, "111122223333");
    assert_eq!(me.arn, sim.identity().await.unwrap().arn);

    let mut listed: Vec<String> = aws
        .list_endpoints()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    listed.sort();
    assert_eq!(listed, sim.endpoint_names());
    assert!(rig.served("sagemaker", "ListEndpoints") >= 2, "paged");

    for name in [
        FRAUD,
        CHURN,
        "support-intent-serverless",
        "recommender-ranking",
    ] {
        let over_wire = aws.describe_endpoint(name).await.unwrap();
        let direct = sim.describe_endpoint(name).await.unwrap();
        assert_eq!(over_wire.status, direct.status, "{name}");
        assert_eq!(over_wire.config_name, direct.config_name);
        assert_eq!(over_wire.variants.len(), direct.variants.len());
        for (a, b) in over_wire.variants.iter().zip(&direct.variants) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.instance_type, b.instance_type, "{name}/{}", a.name);
            assert_eq!(a.current_instance_count, b.current_instance_count);
            assert_eq!(a.desired_instance_count, b.desired_instance_count);
            assert_eq!(
                a.current_weight.map(|w| w as f32),
                b.current_weight.map(|w| w as f32)
            );
            assert_eq!(a.serverless, b.serverless);
        }
        let auto_sim = sim.describe_autoscaling(name).await.unwrap();
        let auto_wire = match aws.describe_autoscaling(name).await {
            Ok(a) => a,
            Err(e) => panic!("{name}: {e:?}"),
        };
        let targets = |v: &[VariantAutoscaling]| -> Vec<Option<ScalableTarget>> {
            v.iter().map(|a| a.target.clone()).collect()
        };
        assert_eq!(targets(&auto_wire), targets(&auto_sim), "{name}");
        let policies = |v: &[VariantAutoscaling]| -> Vec<Vec<(String, Option<f64>)>> {
            v.iter()
                .map(|a| {
                    a.policies
                        .iter()
                        .map(|p| (p.name.clone(), p.target_value))
                        .collect()
                })
                .collect()
        };
        assert_eq!(policies(&auto_wire), policies(&auto_sim), "{name}");
    }

    let fleet = match aws.describe_fleet_autoscaling().await {
        Ok(f) => f,
        Err(e) => panic!("{e:?}"),
    };
    let scaled_sim = {
        let mut n = 0;
        for e in sim.endpoint_names() {
            n += sim
                .describe_autoscaling(&e)
                .await
                .unwrap()
                .iter()
                .filter(|v| v.target.is_some())
                .count();
        }
        n
    };
    let scaled_wire: usize = fleet
        .values()
        .map(|v| v.iter().filter(|a| a.target.is_some()).count())
        .sum();
    assert_eq!(scaled_wire, scaled_sim);

    let acts = aws
        .scaling_activities("recommender-ranking", 20)
        .await
        .unwrap();
    let acts_sim = sim
        .scaling_activities("recommender-ranking", 20)
        .await
        .unwrap();
    assert_eq!(
        acts.iter().map(|a| &a.id).collect::<Vec<_>>(),
        acts_sim.iter().map(|a| &a.id).collect::<Vec<_>>()
    );

    let end = sim.identity().await.map(|_| fixture_now(&rig)).unwrap();
    let q = MetricQuery {
        series: vec![
            SeriesKey::new(FRAUD, "AllTraffic", MetricName::Invocations, Statistic::Sum),
            SeriesKey::new(CHURN, "VariantA", MetricName::ModelLatency, Statistic::P99),
            SeriesKey::new(
                CHURN,
                "VariantA",
                MetricName::CPUUtilization,
                Statistic::Average,
            ),
        ],
        start: end - chrono::Duration::hours(3),
        end,
        period: Duration::from_secs(60),
    };
    let wire_series = aws.get_metrics(&q).await.unwrap();
    let sim_series = sim.get_metrics(&q).await.unwrap();
    for (a, b) in wire_series.iter().zip(&sim_series) {
        assert_eq!(a.key, b.key);
        assert_eq!(a.points.len(), b.points.len(), "{:?}", a.key);
        assert!(!a.points.is_empty(), "{:?}", a.key);
        for (p, r) in a.points.iter().zip(&b.points) {
            assert_eq!(p.at, r.at);
            assert!((p.value - r.value).abs() <= 1e-9 * r.value.abs().max(1.0));
        }
    }
    assert!(rig.served("monitoring", "GetMetricData") >= 1);

    let page = aws
        .lookup_events(&EventQuery {
            max_results: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.events.len(), 50);
    assert!(page.next_token.is_some());
    // sagetop's own reads are in the trail, as on AWS.
    assert!(
        page.events
            .iter()
            .any(|e| e.read_only && e.principal == "OnCallEngineer/you")
    );
    let older = aws
        .lookup_events(&EventQuery {
            max_results: 50,
            next_token: page.next_token.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        older
            .events
            .iter()
            .all(|e| e.time <= page.events.last().unwrap().time)
    );

    // ListServiceQuotas leaves out quotas at their default (the server sends only the raised
    // ones); the backend fills them in from ListAWSDefaultServiceQuotas, so every quota of the
    // account arrives, at its applied value where one is set.
    let quotas = aws.list_quotas().await.unwrap();
    let all = sim.list_quotas().await.unwrap();
    assert_eq!(quotas.len(), all.len(), "{quotas:?}");
    for s in &all {
        let q = quotas.iter().find(|q| q.code == s.code).unwrap();
        assert_eq!((q.name.as_str(), q.value), (s.name.as_str(), s.value));
    }
    let applied = rig.served("servicequotas", "ListServiceQuotas");
    let defaults = rig.served("servicequotas", "ListAWSDefaultServiceQuotas");
    assert!(applied >= 1 && defaults >= 1, "{applied} {defaults}");

    let resp = aws
        .invoke(&InvokeRequest {
            endpoint: FRAUD.into(),
            body: b"0.1,0.2".to_vec(),
            content_type: "text/csv".into(),
            accept: None,
            target_variant: None,
        })
        .await
        .unwrap();
    assert_eq!(resp.invoked_variant.as_deref(), Some("AllTraffic"));
}

fn fixture_now(rig: &Rig) -> Timestamp {
    use sagetop::clock::Clock;
    rig.clock.now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_goes_updating_refuses_a_second_then_lands() {
    // One generated endpoint: a single variant without autoscaling (which would otherwise
    // move the count again once the change lands).
    let rig = Rig::new(1, None).await;
    let aws = rig.backend(1).await;
    let standard = Rig::new(0, None).await.sim.endpoint_names();
    let generated = rig
        .sim
        .endpoint_names()
        .into_iter()
        .find(|n| !standard.contains(n))
        .unwrap();
    let target = generated.as_str();
    let change = [VariantChange {
        variant: "AllTraffic".into(),
        desired_weight: None,
        desired_instance_count: Some(3),
    }];
    aws.update_weights_and_capacities(target, &change)
        .await
        .unwrap();
    let ep = aws.describe_endpoint(target).await.unwrap();
    assert_eq!(ep.status, EndpointStatus::Updating);
    assert_eq!(ep.variants[0].desired_instance_count, Some(3));
    let second = aws
        .update_weights_and_capacities(target, &change)
        .await
        .unwrap_err();
    assert!(
        matches!(&second, BackendError::Validation { message, .. } if message.contains("Cannot update in-progress endpoint")),
        "{second:?}"
    );
    rig.clock.advance(Duration::from_secs(600));
    let ep = aws.describe_endpoint(target).await.unwrap();
    assert_eq!(ep.status, EndpointStatus::InService);
    assert_eq!(ep.variants[0].current_instance_count, Some(3));

    aws.register_scalable_target(target, "AllTraffic", 2, 9)
        .await
        .unwrap();
    // Read back as any client would (sagetop's own read of policies is item 3's business).
    let body = json!({"ServiceNamespace": "sagemaker", "ResourceIds": [resource_id(target, "AllTraffic")]});
    let r = rig
        .json(
            "application-autoscaling",
            "AnyScaleFrontendService.DescribeScalableTargets",
            &body.to_string(),
        )
        .await;
    let t = &r.json()["ScalableTargets"][0];
    assert_eq!(
        (t["MinCapacity"].as_u64(), t["MaxCapacity"].as_u64()),
        (Some(2), Some(9)),
        "{}",
        r.text()
    );
    let bad = aws
        .register_scalable_target(target, "AllTraffic", 5, 1)
        .await
        .unwrap_err();
    assert!(matches!(bad, BackendError::Validation { .. }), "{bad:?}");

    // The account's trail holds the write, by the operator, and the reads.
    let page = aws
        .lookup_events(&EventQuery {
            resource: Some(target.into()),
            max_results: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        page.events
            .iter()
            .any(|e| e.name == "UpdateEndpointWeightsAndCapacities"
                && !e.read_only
                && e.error_code.is_none())
    );
    assert!(
        page.events
            .iter()
            .any(|e| e.name == "DescribeEndpoint" && e.read_only)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_shapes_map_back_to_sagetops_errors() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let missing = aws.describe_endpoint("no-such-endpoint").await.unwrap_err();
    assert!(
        matches!(missing, BackendError::NotFound { .. }),
        "{missing:?}"
    );
    let over = aws
        .update_weights_and_capacities(
            "doc-extraction-llm",
            &[VariantChange {
                variant: "AllTraffic".into(),
                desired_weight: Some(1.0),
                desired_instance_count: None,
            }],
        )
        .await
        .unwrap_err();
    assert!(matches!(over, BackendError::Validation { .. }), "{over:?}");
    // ResourceLimitExceeded: ml.p4d.24xlarge has a quota of 0; ml.c5.2xlarge is near its limit.
    let quota = aws
        .update_weights_and_capacities(
            "recommender-ranking",
            &[VariantChange {
                variant: "AllTraffic".into(),
                desired_weight: None,
                desired_instance_count: Some(40),
            }],
        )
        .await;
    if let Err(e) = quota {
        assert!(
            matches!(
                e,
                BackendError::LimitExceeded { .. } | BackendError::Validation { .. }
            ),
            "{e:?}"
        );
    }

    // A failing series: that series carries its StatusCode, the others of the call do not.
    rig.sim
        .set_series_fault(CHURN, MetricName::ModelLatency, Some("InternalError"));
    let end = fixture_now(&rig);
    let q = MetricQuery {
        series: vec![
            SeriesKey::new(
                CHURN,
                "VariantA",
                MetricName::ModelLatency,
                Statistic::Average,
            ),
            SeriesKey::new(CHURN, "VariantA", MetricName::Invocations, Statistic::Sum),
        ],
        start: end - chrono::Duration::hours(1),
        end,
        period: Duration::from_secs(60),
    };
    let series = aws
        .get_metrics(&q)
        .await
        .expect("one failing series fails only itself");
    let failed = series
        .iter()
        .find(|s| s.key.metric == MetricName::ModelLatency)
        .unwrap();
    assert!(
        matches!(&failed.status, SeriesStatus::Failed { code, .. } if code == "InternalError"),
        "{failed:?}"
    );
    let ok = series
        .iter()
        .find(|s| s.key.metric == MetricName::Invocations)
        .unwrap();
    assert!(!ok.points.is_empty() && ok.status == SeriesStatus::Complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_faults_become_aws_errors_on_the_wire() {
    // Throttling goes through the SDK's real retry: three attempts reach the server.
    let rig = Rig::new(0, Some("throttle=1:DescribeEndpoint")).await;
    let aws = rig.backend(3).await;
    let e = aws.describe_endpoint(FRAUD).await.unwrap_err();
    assert!(matches!(e, BackendError::Throttled { .. }), "{e:?}");
    assert_eq!(rig.served("sagemaker", "DescribeEndpoint"), 3);
    let r = rig
        .json(
            "sagemaker",
            "SageMaker.DescribeEndpoint",
            &json!({"EndpointName": FRAUD}).to_string(),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "ThrottlingException"));
    assert_eq!(r.header("x-amzn-errortype"), Some("ThrottlingException"));

    let rig = Rig::new(0, Some("deny=cloudwatch,deny=cloudtrail")).await;
    let aws = rig.backend(1).await;
    let e = aws
        .lookup_events(&EventQuery {
            max_results: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(e, BackendError::AccessDenied { .. }), "{e:?}");
    let end = fixture_now(&rig);
    let q = MetricQuery {
        series: vec![SeriesKey::new(
            FRAUD,
            "AllTraffic",
            MetricName::Invocations,
            Statistic::Sum,
        )],
        start: end - chrono::Duration::hours(1),
        end,
        period: Duration::from_secs(60),
    };
    let e = aws.get_metrics(&q).await.unwrap_err();
    assert!(matches!(e, BackendError::AccessDenied { .. }), "{e:?}");

    let rig = Rig::new(0, Some("expire-credentials-after=0s")).await;
    assert!(sagetop::aws::connect(&rig.options(1)).await.is_err());
    let r = rig.json("sagemaker", "SageMaker.ListEndpoints", "{}").await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "ExpiredTokenException")
    );
}
