//! Writes against the simulated account: weights/capacity updates, autoscaling, quotas,
//! refused calls and RegisterScalableTarget.

use super::*;

#[tokio::test]
async fn load_scales_the_fraud_endpoint_out_and_back_in() {
    let (s, c) = sim(7);
    s.set_load_factor(FRAUD, 3.0);
    c.set(at(179));
    let d = s.describe_endpoint(FRAUD).await.expect("describe");
    assert_eq!(
        (d.status, d.variants[0].desired_instance_count),
        (EndpointStatus::InService, Some(1)),
        "3 datapoints needed"
    );
    c.set(at(180));
    let d = s.describe_endpoint(FRAUD).await.expect("describe");
    assert_eq!(d.status, EndpointStatus::Updating);
    assert_eq!(d.variants[0].desired_instance_count, Some(2));
    assert_eq!(d.variants[0].current_instance_count, Some(1));
    let act = &s.scaling_activities(FRAUD, 5).await.expect("activities")[0];
    assert_eq!(act.description, "Setting desired instance count to 2.");
    assert!(act.cause.starts_with(
        "monitor alarm TargetTracking-endpoint/fraud-detection-xgb/variant/AllTraffic-AlarmHigh-"
    ));
    assert_eq!(act.status, ActivityStatus::InProgress);
    c.set(at(180 + 239));
    assert_eq!(
        status(&s, FRAUD).await,
        EndpointStatus::Updating,
        "scale-out takes 4-6 min"
    );
    c.set(at(180 + 361));
    let d = s.describe_endpoint(FRAUD).await.expect("describe");
    assert_eq!(
        (d.status, d.variants[0].current_instance_count),
        (EndpointStatus::InService, Some(2))
    );
    assert_eq!(
        s.scaling_activities(FRAUD, 5).await.expect("activities")[0].status,
        ActivityStatus::Successful
    );

    // Load drops at +10 min. Scale-in needs 15 low datapoints with 2 instances: the
    // earliest low minute closes at +8 min (scale-out done at +7 min at the earliest).
    c.set(at(600));
    s.set_load_factor(FRAUD, 1.0);
    c.set(at(480 + 14 * 60 - 1));
    assert_eq!(
        s.describe_endpoint(FRAUD).await.expect("d").variants[0].desired_instance_count,
        Some(2)
    );
    c.set(at(1800));
    let d = s.describe_endpoint(FRAUD).await.expect("describe");
    assert_eq!(
        (d.status, d.variants[0].current_instance_count),
        (EndpointStatus::InService, Some(1))
    );
    let acts = s.scaling_activities(FRAUD, 5).await.expect("activities");
    assert_eq!(acts[0].description, "Setting desired instance count to 1.");
    assert!(acts[0].cause.contains("-AlarmLow-"));
    assert!(acts[0].start_time > acts[1].start_time, "newest first");
    let events = all_events(&s, Some(FRAUD)).await;
    let by_aas: Vec<_> = events
        .iter()
        .filter(|e| e.principal == AAS && e.time >= fixture_epoch())
        .collect();
    assert_eq!(by_aas.len(), 2, "scale-out and scale-in calls");
    assert!(
        by_aas
            .iter()
            .all(|e| e.name == "UpdateEndpointWeightsAndCapacities")
    );
}

#[tokio::test]
async fn baseline_traffic_keeps_fraud_under_target() {
    let (s, c) = sim(11);
    c.set(at(3600));
    let q = query(
        FRAUD,
        "AllTraffic",
        &[(MetricName::InvocationsPerInstance, Statistic::Average)],
        at(0),
        at(3600),
        60,
    );
    let pts = &s.get_metrics(&q).await.expect("metrics")[0].points;
    assert_eq!(pts.len(), 60);
    let mean = pts.iter().map(|p| p.value).sum::<f64>() / 60.0;
    assert!(
        (550.0..=700.0).contains(&mean),
        "55-70% of target 1000: {mean}"
    );
    assert!(
        s.scaling_activities(FRAUD, 1).await.expect("a")[0].start_time < fixture_epoch(),
        "no scaling at baseline"
    );
}

#[tokio::test]
async fn quota_usage_matches_instances_and_one_type_is_close() {
    let (s, _c) = sim(7);
    let quotas = s.list_quotas().await.expect("quotas");
    let mut usage = std::collections::BTreeMap::<String, u32>::new();
    for e in s.list_endpoints().await.expect("list") {
        for v in s.describe_endpoint(&e.name).await.expect("d").variants {
            if let Some(t) = v.instance_type {
                *usage.entry(t).or_default() += v.current_instance_count.unwrap_or(0);
            }
        }
    }
    for t in usage.keys() {
        assert!(
            quotas
                .iter()
                .any(|q| q.endpoint_instance_type() == Some(t.as_str())),
            "quota for {t}"
        );
    }
    let p4d = quotas
        .iter()
        .find(|q| q.name == "ml.p4d.24xlarge for endpoint usage")
        .expect("p4d");
    assert_eq!(p4d.value, 0.0);
    let mut close = Vec::new();
    for q in quotas
        .iter()
        .filter(|q| q.endpoint_instance_type().is_some())
    {
        assert!(q.code.starts_with("L-") && q.code.len() == 10 && q.adjustable);
        let used = f64::from(
            usage
                .get(q.endpoint_instance_type().unwrap_or(""))
                .copied()
                .unwrap_or(0),
        );
        assert_ne!(
            quota_level(used, q.value),
            QuotaLevel::Exceeded,
            "{}",
            q.name
        );
        if q.value > 0.0 && used / q.value >= 0.75 {
            close.push((q.name.clone(), used, q.value));
        }
    }
    assert_eq!(close.len(), 1, "{close:?}");
    assert!(
        quotas.iter().any(|q| q.endpoint_instance_type().is_none()),
        "account-wide quotas too"
    );
    // The refusal names the same usage.
    let (name, used, limit) = &close[0];
    let t = name.trim_end_matches(" for endpoint usage");
    assert_eq!(t, "ml.c5.2xlarge");
    let err = s
        .update_weights_and_capacities("recommender-ranking", &[change("Canary", None, Some(3))])
        .await
        .expect_err("over quota");
    match err {
        BackendError::LimitExceeded { message, .. } => {
            assert_eq!(message, quota_exceeded_message(t, *limit, *used, 2.0))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn quota_usage_counts_current_not_desired_instances() {
    let (s, c) = sim(7);
    c.set(at(601)); // ticket-sentiment back InService, legacy-churn-v3 gone: ml.m5.large 4 + 2 = 6 of 20
    s.update_weights_and_capacities("churn-predictor", &[change("VariantA", None, Some(11))])
        .await
        .expect("6 + 9 <= 20");
    let err = s
        .update_weights_and_capacities("ticket-sentiment", &[change("AllTraffic", None, Some(17))])
        .await
        .expect_err("6 + 15 > 20");
    match err {
        BackendError::LimitExceeded { message, .. } => {
            assert_eq!(
                message,
                quota_exceeded_message("ml.m5.large", 20.0, 6.0, 15.0)
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn refused_writes_use_aws_errors() {
    let (s, _c) = sim(7);
    let arn = |n: &str| format!("arn:aws:sagemaker:us-east-1:111122223333:endpoint/{n}");
    let e = s
        .update_weights_and_capacities("nope", &[change("AllTraffic", Some(1.0), None)])
        .await
        .expect_err("missing");
    assert!(
        matches!(&e, BackendError::NotFound { message, .. } if *message == format!("Could not find endpoint \"{}\".", arn("nope")))
    );
    let e = s
        .update_weights_and_capacities("image-moderation", &[change("AllTraffic", Some(1.0), None)])
        .await
        .expect_err("creating");
    assert!(
        matches!(&e, BackendError::Validation { message, .. } if *message == format!("Cannot update in-progress endpoint \"{}\".", arn("image-moderation")))
    );
    let e = s
        .update_weights_and_capacities(FRAUD, &[change("Blue", Some(1.0), None)])
        .await
        .expect_err("variant");
    assert!(matches!(&e, BackendError::Validation { message, .. } if message.contains("Blue")));
    let zero = [
        change("VariantA", Some(0.0), None),
        change("VariantB", Some(0.0), None),
    ];
    let e = s
        .update_weights_and_capacities("churn-predictor", &zero)
        .await
        .expect_err("all zero");
    assert!(matches!(e, BackendError::Validation { .. }));
    for bad in [-1.0, f64::NAN, f64::INFINITY] {
        let e = s
            .update_weights_and_capacities(FRAUD, &[change("AllTraffic", Some(bad), None)])
            .await
            .expect_err("bad weight");
        assert!(matches!(e, BackendError::Validation { .. }));
    }
    let e = s
        .update_weights_and_capacities(FRAUD, &[change("AllTraffic", None, Some(0))])
        .await
        .expect_err("zero instances");
    assert!(matches!(e, BackendError::Validation { .. }));
    let e = s
        .update_weights_and_capacities(FRAUD, &[])
        .await
        .expect_err("empty");
    assert!(matches!(e, BackendError::Validation { .. }));
    assert_eq!(
        status(&s, FRAUD).await,
        EndpointStatus::InService,
        "nothing changed"
    );
    let refused: Vec<_> = all_events(&s, None)
        .await
        .into_iter()
        .filter(|e| e.error_code.is_some())
        .filter(|e| e.principal == OPERATOR)
        .collect();
    assert_eq!(refused.len(), 9);
    assert!(refused.iter().all(|e| e.raw.contains("\"errorCode\"")));
}

#[tokio::test]
async fn gpu_capacity_shortage_rolls_back() {
    let (s, c) = sim(7);
    s.update_weights_and_capacities("llm-summarizer", &[change("AllTraffic", None, Some(4))])
        .await
        .expect("accepted");
    let mut seen = Vec::new();
    for t in (0..=460).step_by(5) {
        c.set(at(t));
        let st = status(&s, "llm-summarizer").await;
        if seen.last() != Some(&st) {
            seen.push(st);
        }
    }
    assert_eq!(
        seen,
        vec![
            EndpointStatus::Updating,
            EndpointStatus::RollingBack,
            EndpointStatus::InService
        ]
    );
    let d = s.describe_endpoint("llm-summarizer").await.expect("d");
    assert_eq!(d.status, EndpointStatus::InService);
    assert_eq!(d.variants[0].current_instance_count, Some(1));
    assert_eq!(d.variants[0].desired_instance_count, Some(1));
    assert!(
        d.failure_reason
            .is_some_and(|r| r.contains("InsufficientInstanceCapacity"))
    );
}

#[tokio::test]
async fn register_scalable_target_validates_and_reads_back() {
    let (s, c) = sim(7);
    for (min, max) in [(0, 3), (3, 2)] {
        let e = s
            .register_scalable_target(FRAUD, "AllTraffic", min, max)
            .await
            .expect_err("invalid");
        assert!(matches!(e, BackendError::Validation { .. }));
    }
    assert!(matches!(
        s.register_scalable_target(FRAUD, "Blue", 1, 2).await,
        Err(BackendError::Validation { .. })
    ));
    assert!(matches!(
        s.register_scalable_target("nope", "AllTraffic", 1, 2).await,
        Err(BackendError::NotFound { .. })
    ));
    assert!(
        s.register_scalable_target("support-intent-serverless", "AllTraffic", 1, 2)
            .await
            .is_err()
    );
    s.register_scalable_target(FRAUD, "AllTraffic", 2, 6)
        .await
        .expect("registered");
    let t = s.describe_autoscaling(FRAUD).await.expect("a")[0]
        .target
        .clone()
        .expect("target");
    assert_eq!((t.min_capacity, t.max_capacity), (2, 6));
    s.register_scalable_target("churn-predictor", "VariantB", 2, 3)
        .await
        .expect("new target");
    let a = s.describe_autoscaling("churn-predictor").await.expect("a");
    assert!(a[0].target.is_none() && a[1].target.is_some() && a[1].policies.is_empty());
    c.set(at(60));
    let d = s.describe_endpoint(FRAUD).await.expect("d");
    assert_eq!(
        d.variants[0].desired_instance_count,
        Some(2),
        "raised to the new minimum"
    );
    assert_eq!(
        s.scaling_activities(FRAUD, 1).await.expect("a")[0].cause,
        "minimum capacity was set to 2"
    );
}
