//! Owns the AWS calls behind the detail's deployment section and the deploy write:
//! `DescribeEndpoint` (LastDeploymentConfig, DataCaptureConfig), CloudWatch `DescribeAlarms`
//! for the rollback alarms, `ListInferenceExperiments` / `DescribeInferenceExperiment` for
//! shadow tests, `ListMonitoringSchedules` / `DescribeMonitoringSchedule` for Model Monitor,
//! `ListEndpointConfigs`, and `UpdateEndpoint` with a `DeploymentConfig`.

use aws_sdk_sagemaker::operation::RequestId;
use aws_sdk_sagemaker::types as sm;

use super::{AwsBackend, to_time};
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Page size of the List calls (their maximum is 100).
const PAGE: i32 = 100;
/// Shadow tests of one endpoint described per read (newest first).
const MAX_EXPERIMENTS: usize = 3;
/// Monitoring schedules of one endpoint described per read.
const MAX_SCHEDULES: usize = 4;

fn n(v: Option<i32>) -> u32 {
    v.and_then(|v| u32::try_from(v).ok()).unwrap_or(0)
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_CapacitySize.html
fn capacity(c: Option<&sm::CapacitySize>) -> Option<CapacitySize> {
    let c = c?;
    let v = n(c.value());
    Some(match c.r#type()? {
        sm::CapacitySizeType::CapacityPercent => CapacitySize::CapacityPercent(v),
        _ => CapacitySize::InstanceCount(v),
    })
}

fn to_capacity(c: CapacitySize) -> sm::CapacitySize {
    let (t, v) = match c {
        CapacitySize::InstanceCount(v) => (sm::CapacitySizeType::InstanceCount, v),
        CapacitySize::CapacityPercent(v) => (sm::CapacitySizeType::CapacityPercent, v),
    };
    sm::CapacitySize::builder()
        .r#type(t)
        .value(i32::try_from(v).unwrap_or(i32::MAX))
        .build()
}

/// `DeploymentConfig` in sagetop's terms:
/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DeploymentConfig.html
pub(crate) fn deployment_config(d: &sm::DeploymentConfig) -> DeploymentConfig {
    let strategy = if let Some(b) = d.blue_green_update_policy() {
        let t = b.traffic_routing_configuration();
        let routing = match t.and_then(|t| t.r#type()) {
            Some(sm::TrafficRoutingConfigType::Canary) => TrafficRouting::Canary(
                capacity(t.and_then(|t| t.canary_size()))
                    .unwrap_or(CapacitySize::CapacityPercent(0)),
            ),
            Some(sm::TrafficRoutingConfigType::Linear) => TrafficRouting::Linear(
                capacity(t.and_then(|t| t.linear_step_size()))
                    .unwrap_or(CapacitySize::CapacityPercent(0)),
            ),
            _ => TrafficRouting::AllAtOnce,
        };
        Some(DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s: n(t.and_then(|t| t.wait_interval_in_seconds())),
            termination_wait_s: n(b.termination_wait_in_seconds()),
            max_execution_timeout_s: b.maximum_execution_timeout_in_seconds().map(|v| n(Some(v))),
        })
    } else {
        d.rolling_update_policy()
            .map(|r| DeploymentStrategy::Rolling {
                batch: capacity(r.maximum_batch_size()).unwrap_or(CapacitySize::InstanceCount(1)),
                wait_interval_s: n(r.wait_interval_in_seconds()),
                rollback_batch: capacity(r.rollback_maximum_batch_size()),
                max_execution_timeout_s: r
                    .maximum_execution_timeout_in_seconds()
                    .map(|v| n(Some(v))),
            })
    };
    DeploymentConfig {
        strategy,
        rollback_alarms: d
            .auto_rollback_configuration()
            .map(|a| {
                a.alarms()
                    .iter()
                    .filter_map(|x| x.alarm_name().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The request's `DeploymentConfig` (the inverse of [`deployment_config`]).
pub(crate) fn to_deployment_config(r: &DeploymentRequest) -> sm::DeploymentConfig {
    let mut b = sm::DeploymentConfig::builder();
    match r.strategy {
        DeploymentStrategy::BlueGreen {
            routing,
            wait_interval_s,
            termination_wait_s,
            max_execution_timeout_s,
        } => {
            let (t, canary, linear) = match routing {
                TrafficRouting::AllAtOnce => (sm::TrafficRoutingConfigType::AllAtOnce, None, None),
                TrafficRouting::Canary(c) => (
                    sm::TrafficRoutingConfigType::Canary,
                    Some(to_capacity(c)),
                    None,
                ),
                TrafficRouting::Linear(c) => (
                    sm::TrafficRoutingConfigType::Linear,
                    None,
                    Some(to_capacity(c)),
                ),
            };
            let routing = sm::TrafficRoutingConfig::builder()
                .r#type(t)
                .wait_interval_in_seconds(wait_interval_s as i32)
                .set_canary_size(canary)
                .set_linear_step_size(linear)
                .build();
            b = b.blue_green_update_policy(
                sm::BlueGreenUpdatePolicy::builder()
                    .traffic_routing_configuration(routing)
                    .termination_wait_in_seconds(termination_wait_s as i32)
                    .set_maximum_execution_timeout_in_seconds(
                        max_execution_timeout_s.map(|v| v as i32),
                    )
                    .build(),
            );
        }
        DeploymentStrategy::Rolling {
            batch,
            wait_interval_s,
            rollback_batch,
            max_execution_timeout_s,
        } => {
            b = b.rolling_update_policy(
                sm::RollingUpdatePolicy::builder()
                    .maximum_batch_size(to_capacity(batch))
                    .wait_interval_in_seconds(wait_interval_s as i32)
                    .set_rollback_maximum_batch_size(rollback_batch.map(to_capacity))
                    .set_maximum_execution_timeout_in_seconds(
                        max_execution_timeout_s.map(|v| v as i32),
                    )
                    .build(),
            );
        }
    }
    if !r.rollback_alarms.is_empty() {
        let alarms = r
            .rollback_alarms
            .iter()
            .map(|a| sm::Alarm::builder().alarm_name(a).build())
            .collect();
        b = b.auto_rollback_configuration(
            sm::AutoRollbackConfig::builder()
                .set_alarms(Some(alarms))
                .build(),
        );
    }
    b.build()
}

fn err_text(e: &BackendError) -> String {
    format!("{e} — {}", e.hint())
}

impl AwsBackend {
    pub(crate) async fn describe_deployment_impl(
        &self,
        endpoint: &str,
    ) -> BackendResult<DeploymentDetail> {
        let sagemaker = &self.clients.sagemaker;
        let req = sagemaker.describe_endpoint().endpoint_name(endpoint);
        let d = self
            .call(Operation::DescribeEndpoint, Some(endpoint), req.send())
            .await?;
        let mut out = DeploymentDetail {
            endpoint: endpoint.to_string(),
            config: d.last_deployment_config().map(deployment_config),
            ..Default::default()
        };
        // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfigSummary.html
        out.data_capture = d.data_capture_config().map(|c| DataCapture {
            enabled: c.enable_capture().unwrap_or(false),
            status: c
                .capture_status()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            sampling_percent: n(c.current_sampling_percentage()),
            destination: c.destination_s3_uri().unwrap_or_default().to_string(),
        });
        let alarms = out
            .config
            .as_ref()
            .map(|c| c.rollback_alarms.clone())
            .unwrap_or_default();
        if !alarms.is_empty() {
            match self.alarm_states(&alarms).await {
                Ok(a) => out.alarms = a,
                Err(e) => out.errors.push(("rollback alarms".into(), err_text(&e))),
            }
        }
        match self.shadow_tests(endpoint).await {
            Ok(t) => out.shadow_tests = t,
            Err(e) => out.errors.push(("shadow tests".into(), err_text(&e))),
        }
        match self.monitoring_schedules(endpoint).await {
            Ok(s) => out.schedules = s,
            Err(e) => out
                .errors
                .push(("monitoring schedules".into(), err_text(&e))),
        }
        Ok(out)
    }

    /// `DescribeAlarms(AlarmNames)` — at most 100 names per call, the 10 rollback alarms fit:
    /// https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_DescribeAlarms.html
    async fn alarm_states(&self, names: &[String]) -> BackendResult<Vec<AlarmState>> {
        let req = self
            .clients
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(names.to_vec()));
        let page = self
            .call(Operation::DescribeAlarms, None, req.send())
            .await?;
        Ok(names
            .iter()
            .map(|name| {
                let m = page
                    .metric_alarms()
                    .iter()
                    .find(|m| m.alarm_name() == Some(name.as_str()));
                AlarmState {
                    name: name.clone(),
                    state: m
                        .and_then(|m| m.state_value())
                        .and_then(|s| AlarmStateValue::parse(s.as_str())),
                    reason: m.and_then(|m| m.state_reason()).map(str::to_string),
                    updated: m.and_then(|m| m.state_updated_timestamp()).map(to_time),
                }
            })
            .collect())
    }

    /// Shadow tests on `endpoint`. `ListInferenceExperiments` has no endpoint filter, so each
    /// experiment is described once to learn its endpoint (that never changes, and is cached);
    /// the endpoint's newest ones are described again on every read for their live config.
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListInferenceExperiments.html
    async fn shadow_tests(&self, endpoint: &str) -> BackendResult<Vec<ShadowTest>> {
        let mut names = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .sagemaker
                .list_inference_experiments()
                .r#type(sm::InferenceExperimentType::ShadowMode)
                .sort_by(sm::SortInferenceExperimentsBy::CreationTime)
                .sort_order(sm::SortOrder::Descending)
                .max_results(PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::ListInferenceExperiments, None, req.send())
                .await?;
            names.extend(
                page.inference_experiments()
                    .iter()
                    .filter_map(|e| e.name().map(str::to_string)),
            );
            if !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        let mut out = Vec::new();
        for name in names {
            let known = self.caches().experiments.get(&name).cloned();
            if known.as_deref().is_some_and(|e| e != endpoint) {
                continue;
            }
            let req = self
                .clients
                .sagemaker
                .describe_inference_experiment()
                .name(&name);
            let d = self
                .call(
                    Operation::DescribeInferenceExperiment,
                    Some(&name),
                    req.send(),
                )
                .await?;
            let on = d
                .endpoint_metadata()
                .and_then(|m| m.endpoint_name())
                .unwrap_or_default()
                .to_string();
            self.caches().experiments.insert(name.clone(), on.clone());
            if on != endpoint {
                continue;
            }
            out.push(shadow_test(&d));
            if out.len() >= MAX_EXPERIMENTS {
                break;
            }
        }
        Ok(out)
    }

    /// `ListMonitoringSchedules(EndpointName)`, then `DescribeMonitoringSchedule` for each
    /// (only the describe carries `LastMonitoringExecutionSummary`).
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListMonitoringSchedules.html
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DescribeMonitoringSchedule.html
    async fn monitoring_schedules(&self, endpoint: &str) -> BackendResult<Vec<MonitoringSchedule>> {
        let req = self
            .clients
            .sagemaker
            .list_monitoring_schedules()
            .endpoint_name(endpoint)
            .max_results(PAGE);
        let page = self
            .call(
                Operation::ListMonitoringSchedules,
                Some(endpoint),
                req.send(),
            )
            .await?;
        let mut out = Vec::new();
        for s in page
            .monitoring_schedule_summaries()
            .iter()
            .take(MAX_SCHEDULES)
        {
            let Some(name) = s.monitoring_schedule_name() else {
                continue;
            };
            let req = self
                .clients
                .sagemaker
                .describe_monitoring_schedule()
                .monitoring_schedule_name(name);
            let d = self
                .call(
                    Operation::DescribeMonitoringSchedule,
                    Some(name),
                    req.send(),
                )
                .await?;
            out.push(MonitoringSchedule {
                name: name.to_string(),
                status: d
                    .monitoring_schedule_status()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                monitoring_type: d.monitoring_type().map(|t| t.as_str().to_string()),
                last_execution: d.last_monitoring_execution_summary().map(|e| {
                    MonitoringExecution {
                        status: e
                            .monitoring_execution_status()
                            .map(|s| s.as_str().to_string())
                            .unwrap_or_default(),
                        scheduled_time: e.scheduled_time().map(to_time),
                        failure_reason: e.failure_reason().map(str::to_string),
                    }
                }),
            });
        }
        Ok(out)
    }

    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html
    pub(crate) async fn list_endpoint_configs_impl(
        &self,
    ) -> BackendResult<Vec<EndpointConfigSummary>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .sagemaker
                .list_endpoint_configs()
                .sort_by(sm::EndpointConfigSortKey::CreationTime)
                .sort_order(sm::OrderKey::Descending)
                .max_results(PAGE)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::ListEndpointConfigs, None, req.send())
                .await?;
            out.extend(page.endpoint_configs().iter().filter_map(|c| {
                Some(EndpointConfigSummary {
                    name: c.endpoint_config_name()?.to_string(),
                    creation_time: c.creation_time().map(to_time).unwrap_or_default(),
                })
            }));
            if out.len() >= 500 || !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        Ok(out)
    }

    /// Metric alarm names (`DescribeAlarms`, pages of 100, at most 500 names).
    pub(crate) async fn list_alarm_names_impl(&self) -> BackendResult<Vec<String>> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let req = self
                .clients
                .cloudwatch
                .describe_alarms()
                .max_records(100)
                .set_next_token(token.clone());
            let page = self
                .call(Operation::DescribeAlarms, None, req.send())
                .await?;
            out.extend(
                page.metric_alarms()
                    .iter()
                    .filter_map(|a| a.alarm_name().map(str::to_string)),
            );
            if out.len() >= 500 || !super::next_page(&mut token, page.next_token()) {
                break;
            }
        }
        Ok(out)
    }

    /// `UpdateEndpoint` with the deployment config, sent once (the write clients make one
    /// attempt). Only an InService endpoint can be updated:
    /// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
    pub(crate) async fn update_endpoint_impl(
        &self,
        r: &DeploymentRequest,
    ) -> BackendResult<WriteReceipt> {
        let req = self
            .writes
            .sagemaker
            .update_endpoint()
            .endpoint_name(&r.endpoint)
            .endpoint_config_name(&r.config_name)
            .deployment_config(to_deployment_config(r));
        let out = self
            .call(Operation::UpdateEndpoint, Some(&r.endpoint), req.send())
            .await?;
        Ok(WriteReceipt {
            request_id: out.request_id().unwrap_or_default().to_string(),
            at: self.now(),
        })
    }
}

/// https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ShadowModeConfig.html
fn shadow_test(
    d: &aws_sdk_sagemaker::operation::describe_inference_experiment::DescribeInferenceExperimentOutput,
) -> ShadowTest {
    let cfg = d.shadow_mode_config();
    ShadowTest {
        name: d.name().unwrap_or_default().to_string(),
        status: d
            .status()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        status_reason: d.status_reason().map(str::to_string),
        schedule_start: d.schedule().and_then(|s| s.start_time()).map(to_time),
        schedule_end: d.schedule().and_then(|s| s.end_time()).map(to_time),
        source_variant: cfg
            .and_then(|c| c.source_model_variant_name())
            .map(str::to_string),
        shadows: cfg
            .map(|c| {
                c.shadow_model_variants()
                    .iter()
                    .map(|v| ShadowVariant {
                        variant: v
                            .shadow_model_variant_name()
                            .unwrap_or_default()
                            .to_string(),
                        sampling_percent: n(v.sampling_percentage()),
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}
