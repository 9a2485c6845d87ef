//! Owns what sagetop knows about an endpoint's deployments and watchers beyond its variants:
//! the deployment configuration of its last `UpdateEndpoint` (blue/green or rolling, with
//! auto-rollback alarms and their CloudWatch states), its shadow tests (inference
//! experiments), its data capture and its Model Monitor schedules.

use serde::{Deserialize, Serialize};

use super::{Endpoint, Timestamp};

/// How a step of traffic or a batch is sized (`CapacitySize`):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CapacitySize.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CapacitySize {
    InstanceCount(u32),
    CapacityPercent(u32),
}

impl std::fmt::Display for CapacitySize {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CapacitySize::InstanceCount(n) => write!(f, "{n} inst"),
            CapacitySize::CapacityPercent(p) => write!(f, "{p}%"),
        }
    }
}

/// `TrafficRoutingConfig.Type` and its step size:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrafficRouting {
    AllAtOnce,
    Canary(CapacitySize),
    Linear(CapacitySize),
}

/// The update policy of a deployment (`DeploymentConfig`):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeploymentStrategy {
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html
    BlueGreen {
        routing: TrafficRouting,
        /// "The waiting time (in seconds) between incremental steps to turn on traffic on the
        /// new endpoint fleet": the baking period of each step (0–3600).
        wait_interval_s: u32,
        /// "Additional waiting time in seconds after the completion of an endpoint deployment
        /// before terminating the old endpoint fleet. Default is 0." (0–3600)
        termination_wait_s: u32,
        max_execution_timeout_s: Option<u32>,
    },
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_RollingUpdatePolicy.html
    Rolling {
        batch: CapacitySize,
        /// "The length of the baking period, during which SageMaker monitors alarms for each
        /// batch on the new fleet."
        wait_interval_s: u32,
        rollback_batch: Option<CapacitySize>,
        max_execution_timeout_s: Option<u32>,
    },
}

impl DeploymentStrategy {
    /// One line: "blue/green canary 10%, bake 5m, then 2m before the old fleet goes".
    pub fn describe(&self) -> String {
        match self {
            DeploymentStrategy::BlueGreen {
                routing,
                wait_interval_s,
                termination_wait_s,
                ..
            } => {
                let r = match routing {
                    TrafficRouting::AllAtOnce => "all at once".to_string(),
                    TrafficRouting::Canary(c) => format!("canary {c}"),
                    TrafficRouting::Linear(c) => format!("linear steps of {c}"),
                };
                format!(
                    "blue/green {r}, bake {}, termination wait {}",
                    secs_text(u64::from(*wait_interval_s)),
                    secs_text(u64::from(*termination_wait_s))
                )
            }
            DeploymentStrategy::Rolling {
                batch,
                wait_interval_s,
                rollback_batch,
                ..
            } => {
                let mut t = format!(
                    "rolling, batches of {batch}, bake {}",
                    secs_text(u64::from(*wait_interval_s))
                );
                if let Some(r) = rollback_batch {
                    t.push_str(&format!(", rollback batches of {r}"));
                }
                t
            }
        }
    }

    /// The baking period of each step or batch.
    pub fn wait_interval_s(&self) -> u32 {
        match self {
            DeploymentStrategy::BlueGreen {
                wait_interval_s, ..
            }
            | DeploymentStrategy::Rolling {
                wait_interval_s, ..
            } => *wait_interval_s,
        }
    }
}

/// `DeploymentConfig` as `DescribeEndpoint` reports it in `LastDeploymentConfig`:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeEndpoint.html
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentConfig {
    /// `None` when the request set no update policy: SageMaker then deploys blue/green, all
    /// at once (BlueGreenUpdatePolicy: "If no update policy is specified, SageMaker uses a
    /// blue/green deployment strategy with all at once traffic shifting by default").
    pub strategy: Option<DeploymentStrategy>,
    /// `AutoRollbackConfiguration.Alarms[].AlarmName`.
    pub rollback_alarms: Vec<String>,
}

/// `StateValue` of a CloudWatch alarm:
/// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricAlarm.html
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlarmStateValue {
    Ok,
    Alarm,
    InsufficientData,
}

impl AlarmStateValue {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OK" => Some(AlarmStateValue::Ok),
            "ALARM" => Some(AlarmStateValue::Alarm),
            "INSUFFICIENT_DATA" => Some(AlarmStateValue::InsufficientData),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmStateValue::Ok => "OK",
            AlarmStateValue::Alarm => "ALARM",
            AlarmStateValue::InsufficientData => "INSUFFICIENT_DATA",
        }
    }
}

/// A rollback alarm and its state (`DescribeAlarms`). `state` is `None` when CloudWatch has no
/// alarm of that name (the rollback can then never fire: worth saying).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlarmState {
    pub name: String,
    pub state: Option<AlarmStateValue>,
    pub reason: Option<String>,
    pub updated: Option<Timestamp>,
}

/// One shadow variant of an inference experiment and the share of requests it receives.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ShadowModelVariantConfig.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowVariant {
    pub variant: String,
    pub sampling_percent: u32,
}

/// A shadow test (`DescribeInferenceExperiment`, Type ShadowMode):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeInferenceExperiment.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShadowTest {
    pub name: String,
    /// Creating | Created | Updating | Running | Starting | Stopping | Completed | Cancelled.
    pub status: String,
    pub status_reason: Option<String>,
    pub schedule_start: Option<Timestamp>,
    pub schedule_end: Option<Timestamp>,
    /// `ShadowModeConfig.SourceModelVariantName`: the production variant whose requests are copied.
    pub source_variant: Option<String>,
    pub shadows: Vec<ShadowVariant>,
}

impl ShadowTest {
    /// Running or about to: the detail shows it first and polls its metrics.
    pub fn is_active(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Creating" | "Created" | "Updating" | "Running" | "Starting"
        )
    }
}

/// `DataCaptureConfigSummary`:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfigSummary.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataCapture {
    pub enabled: bool,
    /// Started | Stopped | Starting | Stopping.
    pub status: String,
    pub sampling_percent: u32,
    pub destination: String,
}

/// A Model Monitor schedule of the endpoint and its last execution
/// (`DescribeMonitoringSchedule` → `LastMonitoringExecutionSummary`):
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_MonitoringExecutionSummary.html
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringSchedule {
    pub name: String,
    /// Pending | Failed | Scheduled | Stopped.
    pub status: String,
    /// DataQuality | ModelQuality | ModelBias | ModelExplainability.
    pub monitoring_type: Option<String>,
    pub last_execution: Option<MonitoringExecution>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitoringExecution {
    /// Pending | Completed | CompletedWithViolations | InProgress | Failed | Stopping | Stopped.
    pub status: String,
    pub scheduled_time: Option<Timestamp>,
    pub failure_reason: Option<String>,
}

impl MonitoringSchedule {
    /// The last run found violations (or failed): flagged in the detail.
    pub fn needs_attention(&self) -> bool {
        self.last_execution
            .as_ref()
            .is_some_and(|e| matches!(e.status.as_str(), "CompletedWithViolations" | "Failed"))
    }
}

/// Everything the detail's deployment section shows, read when the detail is open.
/// A part that could not be read keeps its error beside the parts that could.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeploymentDetail {
    pub endpoint: String,
    pub config: Option<DeploymentConfig>,
    pub alarms: Vec<AlarmState>,
    pub shadow_tests: Vec<ShadowTest>,
    pub data_capture: Option<DataCapture>,
    pub schedules: Vec<MonitoringSchedule>,
    /// (what, error text) of the parts that failed this time.
    pub errors: Vec<(String, String)>,
}

/// An endpoint config that exists in the account (`ListEndpointConfigs`), to deploy to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndpointConfigSummary {
    pub name: String,
    pub creation_time: Timestamp,
}

/// `UpdateEndpoint` with a deployment configuration: move `endpoint` to `config_name`.
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRequest {
    pub endpoint: String,
    pub config_name: String,
    pub strategy: DeploymentStrategy,
    pub rollback_alarms: Vec<String>,
}

/// A variant status entry that is baking, and how long its bake has left on the clock:
/// the baking period is the step's `WaitIntervalInSeconds`; once all traffic is on the new
/// fleet, the old fleet is terminated `TerminationWaitInSeconds` after that (BlueGreenUpdatePolicy).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BakeLeft {
    pub bake_left_s: i64,
    pub termination_wait_s: i64,
}

/// Time left in the newest `Baking` status of the deployment's new fleet (or, for a rolling
/// update, of the endpoint's variants), given the endpoint's last deployment config.
pub fn bake_left(e: &Endpoint, config: &DeploymentConfig, now: Timestamp) -> Option<BakeLeft> {
    let strategy = config.strategy.unwrap_or(DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::AllAtOnce,
        wait_interval_s: 0,
        termination_wait_s: 0,
        max_execution_timeout_s: None,
    });
    let fleets = e
        .pending
        .iter()
        .flat_map(|p| p.variants.iter())
        .chain(e.variants.iter());
    let start = fleets
        .flat_map(|v| v.statuses.iter())
        .filter(|s| s.status == "Baking")
        .filter_map(|s| s.start_time)
        .max()?;
    let elapsed = (now - start).num_seconds().max(0);
    let termination_wait_s = match strategy {
        DeploymentStrategy::BlueGreen {
            termination_wait_s, ..
        } => i64::from(termination_wait_s),
        DeploymentStrategy::Rolling { .. } => 0,
    };
    Some(BakeLeft {
        bake_left_s: (i64::from(strategy.wait_interval_s()) - elapsed).max(0),
        termination_wait_s,
    })
}

/// "5m", "1h 20m", "45s".
pub fn secs_text(s: u64) -> String {
    match s {
        0..60 => format!("{s}s"),
        60..3600 if s.is_multiple_of(60) => format!("{}m", s / 60),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EndpointStatus, PendingDeployment, Variant, VariantStatusEntry};

    fn variant(statuses: Vec<VariantStatusEntry>) -> Variant {
        Variant {
            name: "AllTraffic".into(),
            model_name: None,
            instance_type: Some("ml.m5.large".into()),
            current_instance_count: Some(2),
            desired_instance_count: Some(2),
            current_weight: Some(1.0),
            desired_weight: Some(1.0),
            serverless: None,
            statuses,
        }
    }

    #[test]
    fn bake_left_counts_down_the_wait_interval_of_the_newest_bake() {
        use chrono::TimeZone;
        let now = chrono::Utc
            .with_ymd_and_hms(2026, 3, 2, 14, 0, 0)
            .single()
            .expect("a valid time");
        let baking = |ago: i64| VariantStatusEntry {
            status: "Baking".into(),
            message: None,
            start_time: Some(now - chrono::Duration::seconds(ago)),
        };
        let e = Endpoint {
            name: "bg".into(),
            arn: String::new(),
            status: EndpointStatus::Updating,
            failure_reason: None,
            creation_time: now,
            last_modified_time: now,
            config_name: "v1".into(),
            variants: vec![variant(vec![])],
            shadow_variants: vec![],
            pending: Some(PendingDeployment {
                config_name: "v2".into(),
                start_time: None,
                variants: vec![variant(vec![baking(900), baking(120)])],
                shadow_variants: vec![],
            }),
        };
        let config = DeploymentConfig {
            strategy: Some(DeploymentStrategy::BlueGreen {
                routing: TrafficRouting::Canary(CapacitySize::CapacityPercent(10)),
                wait_interval_s: 600,
                termination_wait_s: 300,
                max_execution_timeout_s: None,
            }),
            rollback_alarms: vec![],
        };
        assert_eq!(
            bake_left(&e, &config, now),
            Some(BakeLeft {
                bake_left_s: 480,
                termination_wait_s: 300
            })
        );
        // Past the interval: nothing left, never negative.
        let later = now + chrono::Duration::hours(1);
        assert_eq!(bake_left(&e, &config, later).unwrap().bake_left_s, 0);
        // Nothing baking: no countdown.
        let mut idle = e.clone();
        idle.pending = None;
        assert_eq!(bake_left(&idle, &config, now), None);
    }

    #[test]
    fn strategies_read_as_a_person_would_say_them() {
        let s = DeploymentStrategy::BlueGreen {
            routing: TrafficRouting::Linear(CapacitySize::CapacityPercent(20)),
            wait_interval_s: 300,
            termination_wait_s: 0,
            max_execution_timeout_s: None,
        };
        assert_eq!(
            s.describe(),
            "blue/green linear steps of 20%, bake 5m, termination wait 0s"
        );
        let r = DeploymentStrategy::Rolling {
            batch: CapacitySize::InstanceCount(1),
            wait_interval_s: 90,
            rollback_batch: None,
            max_execution_timeout_s: None,
        };
        assert_eq!(r.describe(), "rolling, batches of 1 inst, bake 1m 30s");
        assert_eq!(secs_text(4000), "1h 6m");
    }
}
