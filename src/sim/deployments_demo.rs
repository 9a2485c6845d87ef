//! Owns the demo account's deployments and watchers: data capture with a Model Monitor
//! schedule whose last run found violations, rollback alarms, endpoint configs the operator
//! can deploy to; and, started by `--demo` (they change statuses and quota usage), a
//! blue/green canary deployment of fraud-detection-xgb baking behind two rollback alarms and a
//! shadow test on recommender-ranking.

use super::deployments::{SimAlarm, SimConfig, SimExperiment, SimSchedule};
use super::fleet::{DAY_MS, HOUR_MS};
use super::world::World;
use crate::domain::*;

/// The demo's deployment under way.
pub const DEMO_DEPLOYMENT: &str = "fraud-detection-xgb";
/// The alarm that rolls the demo deployment back when it fires.
pub const DEMO_ALARM: &str = "fraud-detection-xgb-5xx-rate";

fn config(
    w: &World,
    endpoint: &str,
    next: &str,
    ago_ms: i64,
    bump: &str,
) -> Option<(String, SimConfig)> {
    let ep = w.endpoints.get(endpoint)?;
    Some((
        next.to_string(),
        SimConfig {
            creation_ms: w.now_ms - ago_ms,
            variants: ep
                .variants
                .iter()
                .filter(|v| v.serverless.is_none())
                .map(|v| {
                    (
                        v.name.clone(),
                        format!("{}-{bump}", v.model_name),
                        v.instance_type.clone().unwrap_or_default(),
                        v.desired_count.unwrap_or(1),
                    )
                })
                .collect(),
        },
    ))
}

/// Adds the demo's deployments and watchers to a freshly built standard world.
pub(crate) fn install(w: &mut World) {
    let now = w.now_ms;
    let targets = [
        (
            "fraud-detection-xgb",
            "fraud-detection-xgb-config-v15",
            2 * HOUR_MS,
            "v15",
        ),
        (
            "churn-predictor",
            "churn-predictor-ab-2026-03-01",
            5 * HOUR_MS,
            "next",
        ),
        (
            "ticket-sentiment",
            "ticket-sentiment-config-v6",
            DAY_MS,
            "v6",
        ),
        (
            "image-moderation",
            "image-moderation-config-v3",
            3 * DAY_MS,
            "v3",
        ),
        (
            "recommender-ranking",
            "recommender-ranking-canary-v43",
            30 * HOUR_MS,
            "v43",
        ),
    ];
    for (ep, next, ago, bump) in targets {
        if let Some((name, c)) = config(w, ep, next, ago, bump) {
            w.deploy.configs.insert(name, c);
        }
    }
    for (name, state, reason) in [
        (
            DEMO_ALARM,
            AlarmStateValue::Ok,
            "Threshold Crossed: 1 datapoint [0.0012 (30/11/26 01:58:00)] was not greater than the threshold (0.01).",
        ),
        (
            "fraud-detection-xgb-p99-latency",
            AlarmStateValue::Ok,
            "Threshold Crossed: 1 datapoint [38.2 (30/11/26 01:58:00)] was not greater than the threshold (80.0).",
        ),
        (
            "churn-predictor-5xx-rate",
            AlarmStateValue::Ok,
            "Threshold Crossed: no datapoint was greater than the threshold.",
        ),
        (
            "ticket-sentiment-latency",
            AlarmStateValue::InsufficientData,
            "Insufficient Data: 1 datapoint was unknown.",
        ),
    ] {
        w.deploy.alarms.insert(
            name.to_string(),
            SimAlarm {
                state,
                reason: reason.to_string(),
                updated_ms: now - 40 * 60_000,
            },
        );
    }
    if w.endpoints.contains_key(DEMO_DEPLOYMENT) {
        w.deploy
            .endpoints
            .entry(DEMO_DEPLOYMENT.to_string())
            .or_default()
            .capture = Some(DataCapture {
            enabled: true,
            status: "Started".into(),
            sampling_percent: 20,
            destination: "s3://acme-ml-capture/fraud-detection-xgb/".into(),
        });
        w.deploy.schedules.push(SimSchedule {
            endpoint: DEMO_DEPLOYMENT.into(),
            schedule: MonitoringSchedule {
                name: "fraud-detection-xgb-data-quality".into(),
                status: "Scheduled".into(),
                monitoring_type: Some("DataQuality".into()),
                last_execution: Some(MonitoringExecution {
                    status: "CompletedWithViolations".into(),
                    scheduled_time: Some(super::ids::from_ms((now / HOUR_MS) * HOUR_MS)),
                    failure_reason: None,
                }),
            },
        });
        w.deploy.schedules.push(SimSchedule {
            endpoint: DEMO_DEPLOYMENT.into(),
            schedule: MonitoringSchedule {
                name: "fraud-detection-xgb-model-quality".into(),
                status: "Scheduled".into(),
                monitoring_type: Some("ModelQuality".into()),
                last_execution: Some(MonitoringExecution {
                    status: "Completed".into(),
                    scheduled_time: Some(super::ids::from_ms((now / HOUR_MS) * HOUR_MS - DAY_MS)),
                    failure_reason: None,
                }),
            },
        });
    }
}

/// The demo's blue/green deployment: fraud-detection-xgb on its way to config v15, a 10%
/// canary 3 minutes into a 10-minute bake behind two rollback alarms. `--demo` and
/// `serve-demo` start it with the account; the alarm knob (`SimAccount::set_alarm_state`)
/// makes it roll back. False when the endpoint is not InService (or missing).
pub(crate) fn start_deployment(w: &mut World) -> bool {
    let now = w.now_ms;
    // Only an InService endpoint is deployed to (and nothing refused lands in CloudTrail).
    if w.endpoints
        .get(DEMO_DEPLOYMENT)
        .is_none_or(|ep| ep.status != EndpointStatus::InService)
    {
        return false;
    }
    let started =
        now - (super::deployments::PROVISION_S + super::deployments::SHIFT_S + 180) * 1000;
    let request = DeploymentRequest {
        endpoint: DEMO_DEPLOYMENT.to_string(),
        config_name: "fraud-detection-xgb-config-v15".into(),
        strategy: DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(10)),
            wait_interval_s: 600,
            termination_wait_s: 300,
            max_execution_timeout_s: Some(3600),
        },
        rollback_alarms: vec![
            DEMO_ALARM.to_string(),
            "fraud-detection-xgb-p99-latency".to_string(),
        ],
    };
    // The same UpdateEndpoint a user would send, by the CI role, when the bake began.
    if super::deployments::begin(w, &request, &super::trail::Caller::ci(), started).is_err() {
        return false;
    }
    start_shadow_test(w);
    true
}

/// The demo's shadow test on recommender-ranking (its shadow fleet counts against quotas).
fn start_shadow_test(w: &mut World) {
    let now = w.now_ms;
    if w.endpoints.contains_key("recommender-ranking") {
        w.deploy.experiments.push(SimExperiment {
            endpoint: "recommender-ranking".into(),
            test: ShadowTest {
                name: "ranker-v43-shadow".into(),
                status: "Running".into(),
                status_reason: None,
                schedule_start: Some(super::ids::from_ms(now - 26 * HOUR_MS)),
                schedule_end: Some(super::ids::from_ms(now + 46 * HOUR_MS)),
                source_variant: Some("Production".into()),
                shadows: vec![ShadowVariant {
                    variant: "ShadowV43".into(),
                    sampling_percent: 30,
                }],
            },
            fleet: ("ShadowV43".into(), "ml.c5.2xlarge".into(), 1),
        });
        w.deploy
            .endpoints
            .entry("recommender-ranking".into())
            .or_default()
            .capture = Some(DataCapture {
            enabled: false,
            status: "Stopped".into(),
            sampling_percent: 0,
            destination: "s3://acme-ml-capture/recommender-ranking/".into(),
        });
    }
}
