//! The simulated world: endpoint state, time stepping (exact deadlines + whole-minute
//! closes, in time order) and the endpoint status machine.

use std::collections::{BTreeMap, VecDeque};

use rand::Rng;

use super::ids::{self, MINUTE_MS, chacha, tag};
use super::metrics::InputLog;
use super::quotas::QuotaSpec;
use super::traffic::{BodyKind, Inputs, TrafficModel, VariantModel};
use super::trail::Trail;
use super::{autoscale, trail};
use crate::domain::*;

/// Autoscaling state of one variant: the target, its policy and the alarm bookkeeping.
#[derive(Debug, Clone)]
pub(crate) struct Autoscale {
    pub min: u32,
    pub max: u32,
    pub policy: Option<ScalingPolicy>,
    /// A step scaling policy beside it (async endpoints: out of zero on
    /// HasBacklogWithoutCapacity, `sim::async_scale`).
    pub step: Option<super::async_scale::StepScaling>,
    pub alarm_high: String,
    pub alarm_low: String,
    pub high_streak: u32,
    pub low_streak: u32,
    pub last_out_ms: Option<i64>,
    pub last_in_ms: Option<i64>,
    /// No new attempt before this (after a failed activity).
    pub retry_after_ms: i64,
    /// Min/max were just registered: bring the capacity into range once.
    pub clamp_pending: bool,
}

impl Autoscale {
    /// A newly registered target on `endpoint`'s `variant` with `policy`: no streaks, no
    /// activity yet, the alarms named as target tracking names them.
    pub(crate) fn registered(
        seed: u64,
        (endpoint, variant): (&str, &str),
        (min, max): (u32, u32),
        policy: Option<ScalingPolicy>,
    ) -> Autoscale {
        Autoscale {
            min,
            max,
            policy,
            step: None,
            alarm_high: super::autoscale::alarm_name(seed, endpoint, variant, true),
            alarm_low: super::autoscale::alarm_name(seed, endpoint, variant, false),
            high_streak: 0,
            low_streak: 0,
            last_out_ms: None,
            last_in_ms: None,
            retry_after_ms: 0,
            clamp_pending: false,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct VariantState {
    pub name: String,
    pub model_name: String,
    pub instance_type: Option<String>,
    pub serverless: Option<ServerlessConfig>,
    pub current_count: Option<u32>,
    pub desired_count: Option<u32>,
    pub current_weight: f64,
    pub desired_weight: f64,
    pub model: VariantModel,
    pub scaling: Option<Autoscale>,
    /// Inputs of the synthesized past (before the simulation started).
    pub hist_base: Inputs,
    /// Instance count changes of the synthesized past: (from minute, count), sorted.
    pub hist_counts: Vec<(i64, u32)>,
    /// What happened after the start, minute by minute (bounded).
    pub log: InputLog,
    /// Invocations sent through `invoke` in the open minute.
    pub open_extra: u32,
    /// The region cannot provision more instances of this type for this variant.
    pub capacity_ceiling: Option<u32>,
    /// Extra 5XX error rate (0..=1) injected by `SimAccount::set_variant_fault`.
    pub fault: f64,
}

/// What finishes when an endpoint's deadline passes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PendingKind {
    Created,
    Updated {
        activity: Option<String>,
        fail: bool,
    },
    RolledBack {
        activity: Option<String>,
    },
    SystemUpdated,
    Deleted,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pending {
    pub at_ms: i64,
    pub kind: PendingKind,
}

#[derive(Debug, Clone)]
pub(crate) struct EndpointState {
    /// Stable index for random streams (never reused).
    pub idx: u64,
    pub name: String,
    pub arn: String,
    pub config_name: String,
    pub status: EndpointStatus,
    pub failure_reason: Option<String>,
    pub creation_ms: i64,
    pub last_modified_ms: i64,
    pub variants: Vec<VariantState>,
    pub pending: Option<Pending>,
    pub load_factor: f64,
    pub traffic: TrafficModel,
    pub body: BodyKind,
    /// Minutes [from, until) in which the synthesized past served traffic.
    pub history_serving: Option<(i64, i64)>,
}

/// Statuses in which an endpoint serves requests.
pub(crate) fn serves(status: EndpointStatus) -> bool {
    matches!(
        status,
        EndpointStatus::InService
            | EndpointStatus::Updating
            | EndpointStatus::SystemUpdating
            | EndpointStatus::RollingBack
    )
}

pub(crate) const CAPACITY_FAILURE: &str = "Unable to provision requested ML compute capacity due to InsufficientInstanceCapacity error. Please retry using a different ML instance type or after some time.";

impl EndpointState {
    pub(crate) fn shares(&self) -> Vec<f64> {
        let w: Vec<f64> = self.variants.iter().map(|v| v.current_weight).collect();
        normalize_weights(&w)
    }

    pub(crate) fn summary(&self) -> EndpointSummary {
        EndpointSummary {
            name: self.name.clone(),
            arn: self.arn.clone(),
            status: self.status,
            creation_time: ids::from_ms(self.creation_ms),
            last_modified_time: ids::from_ms(self.last_modified_ms),
        }
    }

    pub(crate) fn describe(&self) -> Endpoint {
        let variants = self
            .variants
            .iter()
            .map(|v| Variant {
                name: v.name.clone(),
                // Variants of inference-component endpoints carry no model.
                model_name: Some(v.model_name.clone()).filter(|m| !m.is_empty()),
                instance_type: v.instance_type.clone(),
                current_instance_count: v.current_count,
                desired_instance_count: v.desired_count,
                current_weight: Some(v.current_weight),
                desired_weight: Some(v.desired_weight),
                serverless: v.serverless,
                statuses: Vec::new(),
            })
            .collect();
        Endpoint {
            name: self.name.clone(),
            arn: self.arn.clone(),
            status: self.status,
            failure_reason: self.failure_reason.clone(),
            creation_time: ids::from_ms(self.creation_ms),
            last_modified_time: ids::from_ms(self.last_modified_ms),
            config_name: self.config_name.clone(),
            shadow_variants: Vec::new(),
            pending: None,
            variants,
        }
    }

    /// Starts an update towards the variants' desired values (already set by the caller).
    /// Scale-out takes 4–6 min, scale-in 1–2 min, a weights-only change 30–90 s.
    pub(crate) fn begin_update(&mut self, seed: u64, now_ms: i64, activity: Option<String>) {
        let mut out = false;
        let mut down = false;
        let mut fail = false;
        for v in &self.variants {
            let (cur, des) = (v.current_count.unwrap_or(0), v.desired_count.unwrap_or(0));
            out |= des > cur;
            down |= des < cur;
            fail |= des > cur && v.capacity_ceiling.is_some_and(|c| des > c);
        }
        let (lo, hi) = if out {
            (240, 360)
        } else if down {
            (60, 120)
        } else {
            (30, 90)
        };
        let mut r = chacha(&[seed, tag::DURATION, self.idx, now_ms as u64]);
        let secs: i64 = r.random_range(lo..=hi);
        self.status = EndpointStatus::Updating;
        self.last_modified_ms = now_ms;
        self.pending = Some(Pending {
            at_ms: now_ms + secs * 1000,
            kind: PendingKind::Updated { activity, fail },
        });
    }
}

/// Retention of the post-start minute log (so 7-day charts keep working on long runs).
const LOG_RETENTION_MIN: i64 = 8 * 1440;
const MAX_ACTIVITIES: usize = 2_000;

pub(crate) struct World {
    pub seed: u64,
    pub start_min: i64,
    pub now_ms: i64,
    /// The minute currently accumulating; it closes at `(open_min + 1) * 60 s`.
    pub open_min: i64,
    pub endpoints: BTreeMap<String, EndpointState>,
    /// Number of standard-fleet endpoints (indexes below it).
    pub std_count: u64,
    pub trail: Trail,
    pub activities: VecDeque<ScalingActivity>,
    pub quotas: Vec<QuotaSpec>,
    pub write_seq: u64,
    pub invoke_seq: u64,
    /// Series that GetMetricData reports as failed: (endpoint, metric) → StatusCode
    /// (`SimAccount::set_series_fault`).
    pub series_faults: BTreeMap<(String, MetricName), String>,
    /// Inference components, async queues, provisioned concurrency, multi-model containers.
    pub hosting: super::hosting::HostingState,
    /// Deployments, alarms, shadow tests, data capture, Model Monitor (`sim::deployments`).
    pub deploy: super::deployments::Deployments,
}

impl World {
    /// Moves the world forward to `t_ms`, processing every deadline and minute close in
    /// time order (deadlines before a close at the same instant). Never moves backwards.
    pub(crate) fn advance_to(&mut self, t_ms: i64) {
        loop {
            let close_at = (self.open_min + 1) * MINUTE_MS;
            let next = self
                .endpoints
                .values()
                .filter_map(|e| e.pending.as_ref().map(|p| (p.at_ms, &e.name)))
                .min()
                .map(|(at, n)| (at, n.clone()));
            match next {
                Some((at, name)) if at <= t_ms && at <= close_at => {
                    self.now_ms = self.now_ms.max(at);
                    self.fire(&name);
                }
                _ if close_at <= t_ms => {
                    self.now_ms = self.now_ms.max(close_at);
                    let m = self.open_min;
                    self.close_minute(m);
                    self.open_min += 1;
                }
                _ => break,
            }
        }
        self.now_ms = self.now_ms.max(t_ms);
        super::deployments::advance(self);
    }

    fn close_minute(&mut self, m: i64) {
        for ep in self.endpoints.values_mut() {
            let shares = ep.shares();
            let serving = serves(ep.status);
            let factor = ep.load_factor as f32;
            for (v, share) in ep.variants.iter_mut().zip(shares) {
                let inputs = Inputs {
                    instances: v.current_count.unwrap_or(0),
                    share: share as f32,
                    factor,
                    serving,
                    fault: v.fault as f32,
                };
                let extra = std::mem::take(&mut v.open_extra);
                v.log.record(m, inputs, extra);
            }
        }
        // The queues publish first: target tracking and the step alarm read their figures.
        super::hosting::close_minute(self, m);
        autoscale::evaluate(self, m);
        trail::background_minute(self, m);
        if m.rem_euclid(60) == 0 {
            let cutoff = m - LOG_RETENTION_MIN;
            for ep in self.endpoints.values_mut() {
                for v in &mut ep.variants {
                    v.log.prune(cutoff);
                }
            }
            while self.activities.len() > MAX_ACTIVITIES {
                self.activities.pop_front();
            }
        }
    }

    /// The endpoint's deadline passed: move it to its next status.
    fn fire(&mut self, name: &str) {
        let now = self.now_ms;
        let seed = self.seed;
        let Some(ep) = self.endpoints.get_mut(name) else {
            return;
        };
        let Some(p) = ep.pending.take() else { return };
        match p.kind {
            PendingKind::Created => {
                ep.status = EndpointStatus::InService;
                ep.last_modified_ms = now;
                for v in &mut ep.variants {
                    v.current_count = v.desired_count;
                    v.current_weight = v.desired_weight;
                }
            }
            PendingKind::Updated {
                activity,
                fail: false,
            } => {
                ep.status = EndpointStatus::InService;
                ep.failure_reason = None;
                ep.last_modified_ms = now;
                let mut set_to = None;
                for v in &mut ep.variants {
                    if v.current_count != v.desired_count {
                        set_to = v.desired_count;
                    }
                    v.current_count = v.desired_count;
                    v.current_weight = v.desired_weight;
                }
                if let Some(id) = activity {
                    let msg = set_to.map(|n| {
                        format!("Successfully set desired instance count to {n}. Change successfully fulfilled by sagemaker.")
                    });
                    self.finish_activity(&id, ActivityStatus::Successful, msg);
                }
            }
            PendingKind::Updated {
                activity,
                fail: true,
            } => {
                ep.status = EndpointStatus::RollingBack;
                ep.last_modified_ms = now;
                let mut r = chacha(&[seed, tag::DURATION, ep.idx, now as u64, 1]);
                let secs: i64 = r.random_range(60..=90);
                ep.pending = Some(Pending {
                    at_ms: now + secs * 1000,
                    kind: PendingKind::RolledBack { activity },
                });
            }
            PendingKind::RolledBack { activity } => {
                ep.status = EndpointStatus::InService;
                ep.last_modified_ms = now;
                ep.failure_reason = Some(CAPACITY_FAILURE.to_string());
                for v in &mut ep.variants {
                    v.desired_count = v.current_count;
                    v.desired_weight = v.current_weight;
                }
                if let Some(id) = activity {
                    self.finish_activity(
                        &id,
                        ActivityStatus::Failed,
                        Some(CAPACITY_FAILURE.to_string()),
                    );
                }
            }
            PendingKind::SystemUpdated => {
                ep.status = EndpointStatus::InService;
            }
            PendingKind::Deleted => {
                self.endpoints.remove(name);
            }
        }
    }

    pub(crate) fn finish_activity(
        &mut self,
        id: &str,
        status: ActivityStatus,
        message: Option<String>,
    ) {
        let now = ids::from_ms(self.now_ms);
        if let Some(a) = self.activities.iter_mut().rev().find(|a| a.id == id) {
            a.status = status;
            a.end_time = Some(now);
            a.status_message = message;
        }
    }

    /// Sum of current instance counts of `instance_type` over all endpoints.
    pub(crate) fn usage(&self, instance_type: &str) -> u32 {
        self.endpoints
            .values()
            .flat_map(|e| e.variants.iter())
            .filter(|v| v.instance_type.as_deref() == Some(instance_type))
            .map(|v| v.current_count.unwrap_or(0))
            .sum()
    }

    /// The endpoint-usage limit of `instance_type`, if the account has one.
    pub(crate) fn limit(&self, instance_type: &str) -> Option<f64> {
        self.quotas
            .iter()
            .find(|q| q.instance_type.as_deref() == Some(instance_type))
            .map(|q| q.limit)
    }

    /// `Some(message)` when raising `instance_type` by `delta` instances exceeds its quota.
    pub(crate) fn quota_refusal(&self, instance_type: &str, delta: u32) -> Option<String> {
        let limit = self.limit(instance_type)?;
        let used = self.usage(instance_type);
        (delta > 0 && f64::from(used + delta) > limit).then(|| {
            quota_exceeded_message(instance_type, limit, f64::from(used), f64::from(delta))
        })
    }

    pub(crate) fn next_request_id(&mut self) -> String {
        self.write_seq += 1;
        ids::uuid(&[self.seed, tag::ID, self.now_ms as u64, self.write_seq])
    }
}
