//! Owns the simulated account's deployments and watchers: endpoint configs to deploy to,
//! `UpdateEndpoint` deployments progressing through their blue/green (or rolling) phases on
//! the account's clock, CloudWatch alarms that roll them back when they go into ALARM during a
//! deployment, shadow tests (inference experiments), data capture and Model Monitor schedules.

use std::collections::BTreeMap;

use serde_json::json;

use super::ids;
use super::trail::{self, Caller};
use super::world::World;
use crate::boundary::{BackendError, BackendResult, Operation};
use crate::domain::*;

/// Seconds the new fleet takes to come up (Creating) before any traffic moves.
pub(crate) const PROVISION_S: i64 = 120;
/// Seconds each traffic shift takes (ActivatingTraffic).
pub(crate) const SHIFT_S: i64 = 30;
/// Seconds a rollback takes before the old fleet serves alone again.
pub(crate) const ROLLBACK_S: i64 = 60;

/// A CloudWatch metric alarm of the account.
#[derive(Debug, Clone)]
pub(crate) struct SimAlarm {
    pub state: AlarmStateValue,
    pub reason: String,
    pub updated_ms: i64,
}

/// An endpoint config that exists beside the ones endpoints run (a deploy target).
#[derive(Debug, Clone)]
pub(crate) struct SimConfig {
    pub creation_ms: i64,
    /// (variant, model, instance type, instance count)
    pub variants: Vec<(String, String, String, u32)>,
}

/// One phase of a deployment: what the new fleet is doing and its share of traffic after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Phase {
    pub status: &'static str,
    pub start_s: i64,
    pub end_s: i64,
    /// Share of traffic on the new fleet during the phase (0..=1).
    pub share: f64,
}

/// An `UpdateEndpoint` under way.
#[derive(Debug, Clone)]
pub(crate) struct Rollout {
    pub from_config: String,
    pub to_config: String,
    pub started_ms: i64,
    pub config: DeploymentConfig,
    /// When and why the rollback started (an alarm went into ALARM).
    pub rollback: Option<(i64, String)>,
}

/// Per endpoint: its last deployment config, data capture and the deployment under way.
#[derive(Debug, Clone, Default)]
pub(crate) struct EndpointExtras {
    pub last_config: Option<DeploymentConfig>,
    pub capture: Option<DataCapture>,
    pub rollout: Option<Rollout>,
}

#[derive(Debug, Clone)]
pub(crate) struct SimExperiment {
    pub endpoint: String,
    pub test: ShadowTest,
    /// (shadow variant, instance type, count) that `ShadowProductionVariants` shows.
    pub fleet: (String, String, u32),
}

#[derive(Debug, Clone)]
pub(crate) struct SimSchedule {
    pub endpoint: String,
    pub schedule: MonitoringSchedule,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Deployments {
    pub configs: BTreeMap<String, SimConfig>,
    pub endpoints: BTreeMap<String, EndpointExtras>,
    pub alarms: BTreeMap<String, SimAlarm>,
    pub experiments: Vec<SimExperiment>,
    pub schedules: Vec<SimSchedule>,
}

fn size_share(c: CapacitySize, instances: u32) -> f64 {
    match c {
        CapacitySize::CapacityPercent(p) => f64::from(p.min(100)) / 100.0,
        CapacitySize::InstanceCount(n) => f64::from(n.min(instances)) / f64::from(instances.max(1)),
    }
}

/// The phases of a deployment, in order, from its start (seconds). Blue/green: the new fleet
/// is provisioned, then traffic moves in steps (all at once, a canary then the rest, or linear
/// steps), each followed by a baking period of `WaitIntervalInSeconds`; once all traffic is on
/// the new fleet the old one is terminated after `TerminationWaitInSeconds`:
/// https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-blue-green.html
/// Rolling: each batch is provisioned, gets traffic and bakes:
/// https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-rolling.html
pub(crate) fn phases(config: &DeploymentConfig, instances: u32) -> Vec<Phase> {
    let mut out = Vec::new();
    let mut t = 0;
    let mut push = |status, len: i64, share: f64, t: &mut i64| {
        out.push(Phase {
            status,
            start_s: *t,
            end_s: *t + len,
            share,
        });
        *t += len;
    };
    let strategy = config.strategy.unwrap_or(DeploymentStrategy::BlueGreen {
        routing: TrafficRouting::AllAtOnce,
        wait_interval_s: 0,
        termination_wait_s: 0,
        max_execution_timeout_s: None,
    });
    let wait = i64::from(strategy.wait_interval_s());
    match strategy {
        DeploymentStrategy::BlueGreen {
            routing,
            termination_wait_s,
            ..
        } => {
            push("Creating", PROVISION_S, 0.0, &mut t);
            let steps: Vec<f64> = match routing {
                TrafficRouting::AllAtOnce => vec![1.0],
                TrafficRouting::Canary(c) => vec![size_share(c, instances).min(0.5), 1.0],
                TrafficRouting::Linear(c) => {
                    let step = size_share(c, instances).max(0.1);
                    let mut s = Vec::new();
                    let mut share = 0.0;
                    while share < 1.0 - 1e-9 {
                        share = (share + step).min(1.0);
                        s.push(share);
                    }
                    s
                }
            };
            for share in steps {
                push("ActivatingTraffic", SHIFT_S, share, &mut t);
                push("Baking", wait, share, &mut t);
            }
            // The old fleet waits out the termination wait, then goes.
            push("Deleting", i64::from(termination_wait_s), 1.0, &mut t);
        }
        DeploymentStrategy::Rolling { batch, .. } => {
            let per = match batch {
                CapacitySize::InstanceCount(n) => n.max(1),
                CapacitySize::CapacityPercent(p) => {
                    ((f64::from(instances) * f64::from(p) / 100.0).ceil() as u32).max(1)
                }
            };
            let mut done = 0;
            while done < instances.max(1) {
                done = (done + per).min(instances.max(1));
                let share = f64::from(done) / f64::from(instances.max(1));
                push("Creating", PROVISION_S / 2, share, &mut t);
                push("ActivatingTraffic", SHIFT_S, share, &mut t);
                push("Baking", wait, share, &mut t);
            }
        }
    }
    out
}

impl Rollout {
    /// The phase at `now_ms`, `None` once the deployment is over.
    pub(crate) fn phase(&self, instances: u32, now_ms: i64) -> Option<Phase> {
        let at = (now_ms - self.started_ms) / 1000;
        phases(&self.config, instances)
            .into_iter()
            .find(|p| at >= p.start_s && at < p.end_s)
    }

    pub(crate) fn total_s(&self, instances: u32) -> i64 {
        phases(&self.config, instances)
            .last()
            .map_or(0, |p| p.end_s)
    }
}

fn instances(w: &World, endpoint: &str) -> u32 {
    w.endpoints
        .get(endpoint)
        .map(|e| e.variants.iter().filter_map(|v| v.current_count).sum())
        .unwrap_or(1)
}

/// Moves every deployment under way to `w.now_ms`: an alarm in ALARM during a deployment
/// starts its rollback; a finished rollback puts the old config back (InService, with the
/// reason); a finished deployment puts the new config in place.
pub(crate) fn advance(w: &mut World) {
    let now = w.now_ms;
    let names: Vec<String> = w
        .deploy
        .endpoints
        .iter()
        .filter(|(_, x)| x.rollout.is_some())
        .map(|(n, _)| n.clone())
        .collect();
    for name in names {
        let n = instances(w, &name);
        let Some(r) = w
            .deploy
            .endpoints
            .get(&name)
            .and_then(|x| x.rollout.clone())
        else {
            continue;
        };
        // AutoRollbackConfiguration: "Automatic rollback configuration for handling endpoint
        // deployment failures and recovery" — any listed alarm in ALARM rolls back:
        // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_AutoRollbackConfig.html
        let end_ms = r.started_ms + r.total_s(n) * 1000;
        if r.rollback.is_none() {
            let fired = r
                .config
                .rollback_alarms
                .iter()
                .filter_map(|a| w.deploy.alarms.get(a).map(|s| (a, s)))
                .filter(|(_, s)| s.state == AlarmStateValue::Alarm && s.updated_ms < end_ms)
                .min_by_key(|(_, s)| s.updated_ms.max(r.started_ms));
            if let Some((alarm, s)) = fired {
                let at = s.updated_ms.max(r.started_ms);
                let reason = format!(
                    "Deployment to {} was rolled back to {}: alarm {alarm} went into ALARM during the deployment.",
                    r.to_config, r.from_config
                );
                if let Some(x) = w.deploy.endpoints.get_mut(&name)
                    && let Some(ro) = x.rollout.as_mut()
                {
                    ro.rollback = Some((at, reason));
                }
                if let Some(ep) = w.endpoints.get_mut(&name) {
                    ep.status = EndpointStatus::RollingBack;
                    ep.last_modified_ms = at;
                }
                continue;
            }
        }
        if let Some((at, reason)) = &r.rollback {
            if now >= at + ROLLBACK_S * 1000 {
                if let Some(ep) = w.endpoints.get_mut(&name) {
                    ep.status = EndpointStatus::InService;
                    ep.failure_reason = Some(reason.clone());
                    ep.last_modified_ms = at + ROLLBACK_S * 1000;
                }
                if let Some(x) = w.deploy.endpoints.get_mut(&name) {
                    x.rollout = None;
                }
            }
            continue;
        }
        if now >= end_ms {
            let target = config_variants(w, &r.to_config);
            if let Some(ep) = w.endpoints.get_mut(&name) {
                ep.status = EndpointStatus::InService;
                ep.failure_reason = None;
                ep.config_name = r.to_config.clone();
                ep.last_modified_ms = end_ms;
                for v in &mut ep.variants {
                    if let Some((_, model, itype, count)) =
                        target.iter().find(|(vn, ..)| *vn == v.name)
                    {
                        v.model_name = model.clone();
                        if v.serverless.is_none() {
                            v.instance_type = Some(itype.clone());
                            v.current_count = Some(*count);
                            v.desired_count = Some(*count);
                        }
                    }
                }
            }
            if let Some(x) = w.deploy.endpoints.get_mut(&name) {
                x.rollout = None;
            }
        }
    }
}

/// The variants an endpoint config names: a deploy target's, else those of the endpoint
/// running it.
pub(crate) fn config_variants(w: &World, config: &str) -> Vec<(String, String, String, u32)> {
    if let Some(c) = w.deploy.configs.get(config) {
        return c.variants.clone();
    }
    w.endpoints
        .values()
        .find(|e| e.config_name == config)
        .map(|e| {
            e.variants
                .iter()
                .map(|v| {
                    (
                        v.name.clone(),
                        v.model_name.clone(),
                        v.instance_type.clone().unwrap_or_default(),
                        v.desired_count.unwrap_or(1),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn refuse(message: String) -> BackendError {
    BackendError::Validation {
        operation: Operation::UpdateEndpoint,
        message,
    }
}

/// `UpdateEndpoint`: checks what SageMaker checks, records the call in CloudTrail and starts
/// the deployment. https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html
pub(crate) fn update_endpoint(w: &mut World, r: &DeploymentRequest) -> BackendResult<WriteReceipt> {
    let now = w.now_ms;
    begin(w, r, &Caller::operator(), now)
}

/// `UpdateEndpoint` by `caller` at `now` (the present, or the past for a deployment the
/// account starts with): the checks, the CloudTrail record and the rollout.
pub(crate) fn begin(
    w: &mut World,
    r: &DeploymentRequest,
    caller: &Caller,
    now: i64,
) -> BackendResult<WriteReceipt> {
    let request_id = w.next_request_id();
    let result = check(w, r);
    let ev = trail::event(
        w.seed,
        trail::Call {
            time_ms: now,
            caller,
            name: "UpdateEndpoint",
            read_only: false,
            resources: vec![r.endpoint.clone()],
            request: json!({ "endpointName": r.endpoint, "endpointConfigName": r.config_name }),
            response: json!({ "endpointArn": ids::endpoint_arn(&r.endpoint) }),
            error: result
                .as_ref()
                .err()
                .map(|e| ("ValidationException", e.short())),
            request_id: Some(&request_id),
            salt: ids::hash_str(&request_id),
        },
    );
    w.trail.push(ev);
    result?;
    let from = w.endpoints[&r.endpoint].config_name.clone();
    if let Some(ep) = w.endpoints.get_mut(&r.endpoint) {
        ep.status = EndpointStatus::Updating;
        ep.failure_reason = None;
        ep.last_modified_ms = now;
    }
    let config = DeploymentConfig {
        strategy: Some(r.strategy),
        rollback_alarms: r.rollback_alarms.clone(),
    };
    let x = w.deploy.endpoints.entry(r.endpoint.clone()).or_default();
    x.last_config = Some(config.clone());
    x.rollout = Some(Rollout {
        from_config: from,
        to_config: r.config_name.clone(),
        started_ms: now,
        config,
        rollback: None,
    });
    Ok(WriteReceipt {
        request_id,
        at: ids::from_ms(now),
    })
}

fn check(w: &World, r: &DeploymentRequest) -> BackendResult<()> {
    let Some(ep) = w.endpoints.get(&r.endpoint) else {
        return Err(refuse(format!(
            "Could not find endpoint \"{}\".",
            ids::endpoint_arn(&r.endpoint)
        )));
    };
    // "You must not delete an EndpointConfig in use by an endpoint that is live or while the
    // UpdateEndpoint or CreateEndpoint operations are being performed on the endpoint" and
    // only an InService endpoint can be updated.
    if ep.status != EndpointStatus::InService {
        return Err(refuse(format!(
            "Cannot update in-progress endpoint \"{}\".",
            ids::endpoint_arn(&r.endpoint)
        )));
    }
    if config_variants(w, &r.config_name).is_empty() {
        return Err(refuse(format!(
            "Could not find endpoint configuration \"{}\".",
            r.config_name
        )));
    }
    if r.config_name == ep.config_name {
        return Err(refuse(format!(
            "The endpoint already uses endpoint configuration {}.",
            r.config_name
        )));
    }
    for a in &r.rollback_alarms {
        if !w.deploy.alarms.contains_key(a) {
            return Err(refuse(format!("Alarm {a} does not exist.")));
        }
    }
    Ok(())
}

/// `describe_deployment` of the in-process account.
pub(crate) fn detail(w: &World, endpoint: &str) -> BackendResult<DeploymentDetail> {
    if !w.endpoints.contains_key(endpoint) {
        return Err(BackendError::NotFound {
            operation: Operation::DescribeEndpoint,
            resource: endpoint.to_string(),
            message: format!("Could not find endpoint \"{endpoint}\"."),
        });
    }
    let x = w
        .deploy
        .endpoints
        .get(endpoint)
        .cloned()
        .unwrap_or_default();
    let alarms = x
        .last_config
        .as_ref()
        .map(|c| alarm_states(w, &c.rollback_alarms))
        .unwrap_or_default();
    Ok(DeploymentDetail {
        endpoint: endpoint.to_string(),
        config: x.last_config,
        alarms,
        shadow_tests: w
            .deploy
            .experiments
            .iter()
            .filter(|e| e.endpoint == endpoint)
            .map(|e| e.test.clone())
            .collect(),
        data_capture: x.capture,
        schedules: w
            .deploy
            .schedules
            .iter()
            .filter(|s| s.endpoint == endpoint)
            .map(|s| s.schedule.clone())
            .collect(),
        errors: Vec::new(),
    })
}

pub(crate) fn alarm_states(w: &World, names: &[String]) -> Vec<AlarmState> {
    names
        .iter()
        .map(|n| {
            let a = w.deploy.alarms.get(n);
            AlarmState {
                name: n.clone(),
                state: a.map(|a| a.state),
                reason: a.map(|a| a.reason.clone()),
                updated: a.map(|a| ids::from_ms(a.updated_ms)),
            }
        })
        .collect()
}

/// The deployment's fleets as `DescribeEndpoint` shows them: the new fleet (pending) with its
/// VariantStatus, the old fleet's status during termination, the shadow variants of a running
/// shadow test.
pub(crate) fn decorate(w: &World, e: &mut Endpoint) {
    let now = w.now_ms;
    for x in w
        .deploy
        .experiments
        .iter()
        .filter(|x| x.endpoint == e.name && x.test.is_active())
    {
        let (name, itype, n) = &x.fleet;
        e.shadow_variants.push(Variant {
            name: name.clone(),
            model_name: Some(format!("{name}-model")),
            instance_type: Some(itype.clone()),
            current_instance_count: Some(*n),
            desired_instance_count: Some(*n),
            current_weight: Some(1.0),
            desired_weight: Some(1.0),
            serverless: None,
            statuses: Vec::new(),
        });
    }
    let Some(r) = w
        .deploy
        .endpoints
        .get(&e.name)
        .and_then(|x| x.rollout.as_ref())
    else {
        return;
    };
    if r.rollback.is_some() {
        return;
    }
    let n = instances(w, &e.name);
    let Some(phase) = r.phase(n, now) else {
        return;
    };
    let status = VariantStatusEntry {
        status: phase.status.to_string(),
        message: Some(match phase.status {
            "Creating" => "Provisioning the new fleet".to_string(),
            "ActivatingTraffic" | "Baking" => {
                format!("{:.0}% of traffic on the new fleet", phase.share * 100.0)
            }
            _ => "Waiting out the termination wait".to_string(),
        }),
        start_time: Some(ids::from_ms(r.started_ms + phase.start_s * 1000)),
    };
    if phase.status == "Deleting" {
        for v in &mut e.variants {
            v.statuses.push(status.clone());
        }
    }
    let target = config_variants(w, &r.to_config);
    e.pending = Some(PendingDeployment {
        config_name: r.to_config.clone(),
        start_time: Some(ids::from_ms(r.started_ms)),
        variants: target
            .iter()
            .map(|(name, model, itype, count)| Variant {
                name: name.clone(),
                model_name: Some(model.clone()),
                instance_type: Some(itype.clone()),
                current_instance_count: Some(if phase.status == "Creating" {
                    0
                } else {
                    *count
                }),
                desired_instance_count: Some(*count),
                current_weight: Some(1.0),
                desired_weight: Some(1.0),
                serverless: None,
                statuses: if phase.status == "Deleting" {
                    Vec::new()
                } else {
                    vec![status.clone()]
                },
            })
            .collect(),
        shadow_variants: Vec::new(),
    });
}

/// Sets an alarm's state (the test knob, and the demo's `alarm` fault).
pub(crate) fn set_alarm(w: &mut World, name: &str, state: AlarmStateValue, reason: &str) {
    let now = w.now_ms;
    let a = w.deploy.alarms.entry(name.to_string()).or_insert(SimAlarm {
        state,
        reason: String::new(),
        updated_ms: now,
    });
    if a.state != state || a.reason.is_empty() {
        a.updated_ms = now;
    }
    a.state = state;
    a.reason = reason.to_string();
}

/// Every endpoint config of the account, newest first: the ones endpoints run and the
/// deploy targets. https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ListEndpointConfigs.html
pub(crate) fn list_configs(w: &World) -> Vec<EndpointConfigSummary> {
    let mut out: Vec<EndpointConfigSummary> = w
        .endpoints
        .values()
        .map(|e| EndpointConfigSummary {
            name: e.config_name.clone(),
            creation_time: ids::from_ms(e.creation_ms),
        })
        .chain(w.deploy.configs.iter().map(|(n, c)| EndpointConfigSummary {
            name: n.clone(),
            creation_time: ids::from_ms(c.creation_ms),
        }))
        .collect();
    out.sort_by(|a, b| {
        b.creation_time
            .cmp(&a.creation_time)
            .then(a.name.cmp(&b.name))
    });
    out.dedup_by(|a, b| a.name == b.name);
    out
}
