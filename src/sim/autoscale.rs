//! Application Auto Scaling: target tracking (on InvocationsPerInstance, or an async queue's
//! backlog per instance) and step scaling on HasBacklogWithoutCapacity, evaluated at every
//! minute close, and the scaling activities they record.

use super::async_scale;
use super::ids::{self, tag};
use super::metrics::stats_at;
use super::trail::{self, Caller};
use super::world::World;
use crate::domain::*;

/// Consecutive 1-minute datapoints above target before AlarmHigh fires.
pub(crate) const HIGH_DATAPOINTS: u32 = 3;
/// Consecutive 1-minute datapoints below 90% of target before AlarmLow fires.
pub(crate) const LOW_DATAPOINTS: u32 = 15;
pub(crate) const LOW_FRACTION: f64 = 0.9;
/// After a failed attempt, wait this long before trying again.
const RETRY_MS: i64 = 300_000;

/// The policy AWS's documentation uses for SageMaker variants.
pub(crate) fn default_policy(target: f64) -> ScalingPolicy {
    ScalingPolicy {
        name: "SageMakerEndpointInvocationScalingPolicy".into(),
        policy_type: "TargetTrackingScaling".into(),
        metric: INVOCATIONS_PER_INSTANCE_METRIC.into(),
        target_value: Some(target),
        scale_in_cooldown: Some(std::time::Duration::from_secs(600)),
        scale_out_cooldown: Some(std::time::Duration::from_secs(60)),
        disable_scale_in: false,
    }
}

/// `TargetTracking-endpoint/<ep>/variant/<v>-AlarmHigh-<uuid>`.
pub(crate) fn alarm_name(seed: u64, endpoint: &str, variant: &str, high: bool) -> String {
    let kind = if high { "AlarmHigh" } else { "AlarmLow" };
    let id = ids::uuid(&[
        seed,
        tag::ID,
        ids::hash_str(endpoint),
        ids::hash_str(variant),
        u64::from(high),
    ]);
    format!(
        "TargetTracking-{}-{kind}-{id}",
        resource_id(endpoint, variant)
    )
}

pub(crate) fn alarm_cause(alarm: &str, policy: &str) -> String {
    format!("monitor alarm {alarm} in state ALARM triggered policy {policy}")
}

pub(crate) fn describe_activity(n: u32) -> String {
    format!("Setting desired instance count to {n}.")
}

struct Action {
    endpoint: String,
    variant: usize,
    desired: u32,
    cause: String,
    scale_out: bool,
    /// Started by the variant's step policy (its own cooldown).
    step: bool,
}

/// Evaluates every autoscaled variant on the minute that just closed and starts actions.
/// Target tracking reads InvocationsPerInstance, or an async queue's
/// ApproximateBacklogSizePerInstance; a step policy reads its alarm's metric,
/// HasBacklogWithoutCapacity (`sim::async_scale`).
pub(crate) fn evaluate(w: &mut World, minute: i64) {
    let now = w.now_ms;
    let mut actions = Vec::new();
    let (seed, start_min) = (w.seed, w.start_min);
    let hosting = &w.hosting;
    for ep in w.endpoints.values_mut() {
        if !ep.variants.iter().any(|v| v.scaling.is_some()) {
            continue;
        }
        let queue = |metric| async_scale::metric_at(hosting, &ep.name, metric, minute);
        let backlog_per = queue(MetricName::ApproximateBacklogSizePerInstance);
        let has_backlog = queue(MetricName::HasBacklogWithoutCapacity);
        let per_instance: Vec<Option<f64>> = (0..ep.variants.len())
            .map(|vi| {
                let tracks_backlog = ep.variants[vi]
                    .scaling
                    .as_ref()
                    .and_then(|s| s.policy.as_ref())
                    .is_some_and(async_scale::tracks_backlog);
                if tracks_backlog {
                    return backlog_per;
                }
                stats_at(seed, start_min, ep, vi, minute).map(|s| s.per_instance().unwrap_or(0.0))
            })
            .collect();
        let in_service = ep.status == EndpointStatus::InService;
        for (vi, v) in ep.variants.iter_mut().enumerate() {
            let Some(sc) = v.scaling.as_mut() else {
                continue;
            };
            let cur = v.current_count.unwrap_or(0);
            let target = sc
                .policy
                .as_ref()
                .and_then(|p| p.target_value)
                .filter(|t| *t > 0.0);
            let metric = per_instance[vi];
            if let (Some(t), Some(x)) = (target, metric) {
                sc.high_streak = if x > t { sc.high_streak + 1 } else { 0 };
                sc.low_streak = if x < LOW_FRACTION * t {
                    sc.low_streak + 1
                } else {
                    0
                };
            }
            // The step policy's alarm: HasBacklogWithoutCapacity >= 1.
            if let Some(st) = sc.step.as_mut() {
                st.streak = if has_backlog.is_some_and(|x| x >= 1.0) {
                    st.streak + 1
                } else {
                    0
                };
            }
            if !in_service || now < sc.retry_after_ms {
                continue;
            }
            let mut act = |desired: u32, cause: String, scale_out: bool, step: bool| {
                actions.push(Action {
                    endpoint: ep.name.clone(),
                    variant: vi,
                    desired,
                    cause,
                    scale_out,
                    step,
                });
            };
            if let Some(st) = sc.step.as_ref() {
                let cooled = st
                    .last_ms
                    .is_none_or(|l| now - l >= async_scale::STEP_COOLDOWN_MS);
                let desired = (cur + st.adjustment).clamp(sc.min, sc.max);
                if st.streak >= async_scale::STEP_DATAPOINTS && cooled && desired > cur {
                    act(desired, alarm_cause(&st.alarm, &st.policy.name), true, true);
                    continue;
                }
            }
            // Only a variant that scales to zero (an async endpoint's) is scaled from zero.
            if cur == 0 && sc.step.is_none() {
                continue;
            }
            // RegisterScalableTarget brings the capacity into the new range once.
            if std::mem::take(&mut sc.clamp_pending) {
                if cur < sc.min {
                    act(
                        sc.min,
                        format!("minimum capacity was set to {}", sc.min),
                        true,
                        false,
                    );
                    continue;
                }
                if cur > sc.max {
                    act(
                        sc.max,
                        format!("maximum capacity was set to {}", sc.max),
                        false,
                        false,
                    );
                    continue;
                }
            }
            let (Some(t), Some(x), Some(p)) = (target, metric, sc.policy.as_ref()) else {
                continue;
            };
            let wanted = ((f64::from(cur) * x / t).ceil().max(0.0) as u32).clamp(sc.min, sc.max);
            let since = |last: Option<i64>| last.map_or(i64::MAX, |l| now - l);
            let out_cd = p.scale_out_cooldown.map_or(0, |d| d.as_millis() as i64);
            let in_cd = p.scale_in_cooldown.map_or(0, |d| d.as_millis() as i64);
            if sc.high_streak >= HIGH_DATAPOINTS && since(sc.last_out_ms) >= out_cd && wanted > cur
            {
                act(wanted, alarm_cause(&sc.alarm_high, &p.name), true, false);
            } else if !p.disable_scale_in
                && sc.low_streak >= LOW_DATAPOINTS
                && since(sc.last_in_ms) >= in_cd
                && wanted < cur
            {
                act(wanted, alarm_cause(&sc.alarm_low, &p.name), false, false);
            }
        }
    }
    for a in actions {
        start(w, a);
    }
}

fn start(w: &mut World, a: Action) {
    let now = w.now_ms;
    let seed = w.seed;
    let Some(ep) = w.endpoints.get(&a.endpoint) else {
        return;
    };
    let Some(v) = ep.variants.get(a.variant) else {
        return;
    };
    let id = ids::uuid(&[seed, tag::ID, now as u64, ep.idx, a.variant as u64, 77]);
    let cur = v.current_count.unwrap_or(0);
    let refusal = v
        .instance_type
        .as_deref()
        .and_then(|t| w.quota_refusal(t, a.desired.saturating_sub(cur)));
    let mut activity = ScalingActivity {
        id: id.clone(),
        endpoint: a.endpoint.clone(),
        variant: v.name.clone(),
        start_time: ids::from_ms(now),
        end_time: None,
        description: describe_activity(a.desired),
        cause: a.cause,
        status: ActivityStatus::InProgress,
        status_message: None,
    };
    let changes = vec![VariantChange {
        variant: v.name.clone(),
        desired_weight: None,
        desired_instance_count: Some(a.desired),
    }];
    let arn = ep.arn.clone();
    let caller = Caller::autoscaling();
    let request_id = w.next_request_id();
    if let Some(msg) = refusal {
        activity.status = ActivityStatus::Failed;
        activity.end_time = Some(ids::from_ms(now));
        activity.status_message = Some(format!(
            "Failed to set desired instance count to {}. Reason: {msg}",
            a.desired
        ));
        w.activities.push_back(activity);
        if let Some(sc) = w
            .endpoints
            .get_mut(&a.endpoint)
            .and_then(|e| e.variants.get_mut(a.variant))
            .and_then(|v| v.scaling.as_mut())
        {
            sc.retry_after_ms = now + RETRY_MS;
        }
        let ev = trail::update_event(
            seed,
            now,
            &caller,
            &a.endpoint,
            &arn,
            &changes,
            &request_id,
            Some(("ResourceLimitExceeded", &msg)),
        );
        w.trail.push(ev);
        return;
    }
    w.activities.push_back(activity);
    if let Some(ep) = w.endpoints.get_mut(&a.endpoint) {
        if let Some(v) = ep.variants.get_mut(a.variant) {
            v.desired_count = Some(a.desired);
            if let Some(sc) = v.scaling.as_mut() {
                if a.step {
                    if let Some(st) = sc.step.as_mut() {
                        st.last_ms = Some(now);
                        st.streak = 0;
                    }
                } else if a.scale_out {
                    sc.last_out_ms = Some(now);
                    sc.high_streak = 0;
                } else {
                    sc.last_in_ms = Some(now);
                    sc.low_streak = 0;
                }
            }
        }
        ep.begin_update(seed, now, Some(id));
    }
    let ev = trail::update_event(
        seed,
        now,
        &caller,
        &a.endpoint,
        &arn,
        &changes,
        &request_id,
        None,
    );
    w.trail.push(ev);
}
