//! Deployments, shadow tests, data capture and Model Monitor over AWS's wire: the real SDK
//! backend against the simulated account — DescribeEndpoint's deployment fields,
//! DescribeAlarms, inference experiments, monitoring schedules, ListEndpointConfigs,
//! UpdateEndpoint with a DeploymentConfig (through to completion and to auto-rollback) — and
//! the errors each maps to.

use crate::wire_rig;

use std::time::Duration;

use sagetop::boundary::{Backend, BackendError};
use sagetop::domain::*;
use sagetop::sim::deployments_demo::{DEMO_ALARM, DEMO_DEPLOYMENT};
use wire_rig::Rig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_reads_over_the_wire_match_the_account() {
    let rig = Rig::new(0, None).await;
    assert!(rig.sim.start_demo_deployment());
    let aws = rig.backend(1).await;
    let sim = rig.sim.as_ref();

    // The canary deployment under way: strategy, alarms and their states, the new fleet.
    let wire = aws.describe_deployment(DEMO_DEPLOYMENT).await.unwrap();
    let direct = sim.describe_deployment(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(wire, direct);
    assert!(wire.errors.is_empty(), "{:?}", wire.errors);
    assert_eq!(
        wire.config.as_ref().unwrap().strategy,
        Some(DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(10)),
            wait_interval_s: 600,
            termination_wait_s: 300,
            max_execution_timeout_s: Some(3600),
        })
    );
    assert_eq!(wire.alarms.len(), 2);
    assert_eq!(wire.alarms[0].name, DEMO_ALARM);
    assert_eq!(wire.alarms[0].state, Some(AlarmStateValue::Ok));
    assert!(wire.alarms[0].updated.is_some());
    let capture = wire.data_capture.as_ref().unwrap();
    assert_eq!((capture.enabled, capture.sampling_percent), (true, 20));
    assert_eq!(capture.status, "Started");
    assert_eq!(wire.schedules.len(), 2);
    assert!(
        wire.schedules[0].needs_attention(),
        "{:?}",
        wire.schedules[0]
    );
    assert!(!wire.schedules[1].needs_attention());

    let ep = aws.describe_endpoint(DEMO_DEPLOYMENT).await.unwrap();
    let ep_direct = sim.describe_endpoint(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(ep.status, EndpointStatus::Updating);
    let p = ep.pending.as_ref().expect("PendingDeploymentSummary");
    assert_eq!(p.config_name, "fraud-detection-xgb-config-v15");
    assert_eq!(p, ep_direct.pending.as_ref().unwrap());
    assert_eq!(p.variants[0].instance_type.as_deref(), Some("ml.m5.xlarge"));
    assert_eq!(p.variants[0].statuses[0].status, "Baking");

    // The shadow test: sampling %, source and shadow variants, and the shadow fleet.
    let rec = aws
        .describe_deployment("recommender-ranking")
        .await
        .unwrap();
    assert_eq!(
        rec,
        sim.describe_deployment("recommender-ranking")
            .await
            .unwrap()
    );
    let t = &rec.shadow_tests[0];
    assert_eq!(
        (t.name.as_str(), t.status.as_str()),
        ("ranker-v43-shadow", "Running")
    );
    assert_eq!(t.source_variant.as_deref(), Some("Production"));
    assert_eq!(
        t.shadows,
        vec![ShadowVariant {
            variant: "ShadowV43".into(),
            sampling_percent: 30
        }]
    );
    let ep = aws.describe_endpoint("recommender-ranking").await.unwrap();
    assert_eq!(ep.shadow_variants.len(), 1);
    assert_eq!(ep.shadow_variants[0].name, "ShadowV43");
    // An endpoint with none of it: empty, and not an error.
    let plain = aws.describe_deployment("churn-predictor").await.unwrap();
    assert!(plain.config.is_none() && plain.shadow_tests.is_empty() && plain.schedules.is_empty());

    let configs = aws.list_endpoint_configs().await.unwrap();
    assert_eq!(configs, sim.list_endpoint_configs().await.unwrap());
    assert!(
        configs
            .iter()
            .any(|c| c.name == "churn-predictor-ab-2026-03-01")
    );
    assert!(rig.served("sagemaker", "ListEndpointConfigs") >= 1);
    let alarms = aws.list_alarm_names().await.unwrap();
    assert_eq!(alarms, sim.list_alarm_names().await.unwrap());
    assert!(alarms.contains(&DEMO_ALARM.to_string()));
}

fn canary(endpoint: &str, config: &str, alarms: &[&str]) -> DeploymentRequest {
    DeploymentRequest {
        endpoint: endpoint.into(),
        config_name: config.into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(25)),
            wait_interval_s: 300,
            termination_wait_s: 60,
            max_execution_timeout_s: None,
        },
        rollback_alarms: alarms.iter().map(|a| a.to_string()).collect(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_endpoint_deploys_through_its_phases_to_the_new_config() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    let req = canary(
        "churn-predictor",
        "churn-predictor-ab-2026-03-01",
        &["churn-predictor-5xx-rate"],
    );
    aws.update_endpoint(&req).await.unwrap();
    assert_eq!(rig.served("sagemaker", "UpdateEndpoint"), 1);
    let seen = |ep: &Endpoint| {
        ep.pending
            .as_ref()
            .and_then(|p| p.variants.first())
            .and_then(|v| v.statuses.first())
            .map(|s| s.status.clone())
    };
    let ep = aws.describe_endpoint("churn-predictor").await.unwrap();
    assert_eq!(ep.status, EndpointStatus::Updating);
    assert_eq!(seen(&ep).as_deref(), Some("Creating"));
    // The deployment config is what was asked for, read back from LastDeploymentConfig.
    let d = aws.describe_deployment("churn-predictor").await.unwrap();
    assert_eq!(d.config.as_ref().unwrap().strategy, Some(req.strategy));
    assert_eq!(d.alarms[0].name, "churn-predictor-5xx-rate");
    // A second update while this one runs is refused, as SageMaker refuses it.
    let again = aws.update_endpoint(&req).await.unwrap_err();
    assert!(
        matches!(&again, BackendError::Validation { message, .. } if message.contains("in-progress")),
        "{again:?}"
    );

    let mut phases = vec![];
    for _ in 0..30 {
        rig.clock.advance(Duration::from_secs(60));
        let ep = aws.describe_endpoint("churn-predictor").await.unwrap();
        if let Some(s) = seen(&ep)
            && phases.last() != Some(&s)
        {
            phases.push(s);
        }
        if ep.status == EndpointStatus::InService {
            assert_eq!(ep.config_name, "churn-predictor-ab-2026-03-01");
            assert!(ep.pending.is_none() && ep.failure_reason.is_none());
            assert_eq!(
                ep.variants[0].model_name.as_deref(),
                Some("churn-xgb-v7-next")
            );
            assert!(phases.contains(&"Baking".to_string()), "{phases:?}");
            return;
        }
    }
    panic!("never finished: {phases:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alarm_in_alarm_rolls_the_deployment_back_to_the_old_config() {
    let rig = Rig::new(0, None).await;
    assert!(rig.sim.start_demo_deployment());
    let aws = rig.backend(1).await;
    let before = aws.describe_endpoint(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(before.status, EndpointStatus::Updating);
    rig.sim.set_alarm_state(
        DEMO_ALARM,
        AlarmStateValue::Alarm,
        "Threshold Crossed: 5XX rate 4.1% > 1%",
    );
    let d = aws.describe_deployment(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(d.alarms[0].state, Some(AlarmStateValue::Alarm));
    let ep = aws.describe_endpoint(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(ep.status, EndpointStatus::RollingBack);
    rig.clock.advance(Duration::from_secs(90));
    let ep = aws.describe_endpoint(DEMO_DEPLOYMENT).await.unwrap();
    assert_eq!(ep.status, EndpointStatus::InService);
    assert_eq!(ep.config_name, before.config_name, "the old config is back");
    assert!(ep.pending.is_none());
    let reason = ep.failure_reason.unwrap();
    assert!(
        reason.contains(DEMO_ALARM) && reason.contains("rolled back"),
        "{reason}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deployment_errors_map_to_sagetops_errors() {
    let rig = Rig::new(0, None).await;
    let aws = rig.backend(1).await;
    // Config that does not exist, alarm that does not exist, canary over 50%: refused.
    let e = aws
        .update_endpoint(&canary("churn-predictor", "no-such-config", &[]))
        .await
        .unwrap_err();
    // SageMaker answers "Could not find endpoint configuration …" (ValidationException),
    // which sagetop reads as the resource missing.
    assert!(
        matches!(&e, BackendError::NotFound { message, .. } | BackendError::Validation { message, .. } if message.contains("no-such-config")),
        "{e:?}"
    );
    let e = aws
        .update_endpoint(&canary(
            "churn-predictor",
            "churn-predictor-ab-2026-03-01",
            &["nope"],
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, BackendError::NotFound { message, .. } | BackendError::Validation { message, .. } if message.contains("nope")),
        "{e:?}"
    );
    let mut big = canary("churn-predictor", "churn-predictor-ab-2026-03-01", &[]);
    big.strategy = DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(60)),
        wait_interval_s: 60,
        termination_wait_s: 0,
        max_execution_timeout_s: None,
    };
    let e = aws.update_endpoint(&big).await.unwrap_err();
    assert!(
        matches!(&e, BackendError::Validation { message, .. } if message.contains("50%")),
        "{e:?}"
    );
    // The model's own constraint: WaitIntervalInSeconds is at most 3600.
    let mut long = canary("churn-predictor", "churn-predictor-ab-2026-03-01", &[]);
    long.strategy = DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::AllAtOnce,
        wait_interval_s: 4000,
        termination_wait_s: 0,
        max_execution_timeout_s: None,
    };
    let e = aws.update_endpoint(&long).await.unwrap_err();
    assert!(matches!(e, BackendError::Validation { .. }), "{e:?}");
    // A missing endpoint's deployment read is NotFound-like, not a crash.
    let e = aws.describe_deployment("nope").await.unwrap_err();
    assert!(
        matches!(
            e,
            BackendError::Validation { .. } | BackendError::NotFound { .. }
        ),
        "{e:?}"
    );

    // CloudWatch denied: the alarms part says so, the rest of the section still loads.
    let rig = Rig::new(0, Some("deny=cloudwatch")).await;
    assert!(rig.sim.start_demo_deployment());
    let aws = rig.backend(1).await;
    let d = aws.describe_deployment(DEMO_DEPLOYMENT).await.unwrap();
    assert!(d.alarms.is_empty() && d.config.is_some() && !d.schedules.is_empty());
    assert_eq!(d.errors.len(), 1, "{:?}", d.errors);
    assert_eq!(d.errors[0].0, "rollback alarms");
    assert!(
        d.errors[0].1.contains("cloudwatch:DescribeAlarms"),
        "{}",
        d.errors[0].1
    );
    let e = aws.list_alarm_names().await.unwrap_err();
    assert!(matches!(e, BackendError::AccessDenied { .. }), "{e:?}");
}
