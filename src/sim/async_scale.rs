//! Async endpoints that scale to zero, as AWS documents it
//! (https://docs.aws.amazon.com/sagemaker/latest/dg/async-inference-autoscale.html): a
//! scalable target with MinCapacity 0, a step scaling policy whose CloudWatch alarm watches
//! HasBacklogWithoutCapacity (≥ 1 for 2 of 2 one-minute datapoints → +1 instance), and target
//! tracking on ApproximateBacklogSizePerInstance that scales in to 0 once the queue stays
//! empty. Also the queue's arrivals (batches of documents) and the replay of the synthesized
//! past, so the charts at the start show earlier cycles.

use std::collections::BTreeMap;
use std::time::Duration;

use super::autoscale::{LOW_DATAPOINTS, LOW_FRACTION, alarm_cause};
use super::autoscale::{alarm_name, describe_activity};
use super::hosting::HostingState;
use super::ids::{self, Fast, MINUTE_MS, tag};
use super::world::{Autoscale, World};
use crate::domain::*;

/// The step policy's alarm: `HasBacklogWithoutCapacity >= 1` for this many consecutive
/// one-minute datapoints (AWS's example: EvaluationPeriods 2, DatapointsToAlarm 2, Period 60).
pub(crate) const STEP_DATAPOINTS: u32 = 2;
/// The step policy's Cooldown in AWS's example (300 s).
pub(crate) const STEP_COOLDOWN_MS: i64 = 300_000;
/// AWS's example target: 5 queued requests per instance.
pub(crate) const BACKLOG_TARGET: f64 = 5.0;
/// The demo's async endpoint scales between 0 and this many instances.
pub(crate) const MAX_INSTANCES: u32 = 2;
/// A batch of documents arrives every this many minutes (one arrives as the demo starts).
pub(crate) const BATCH_EVERY_MIN: i64 = 90;
pub(crate) const STEP_POLICY: &str = "HasBacklogWithoutCapacity-ScalingPolicy";
pub(crate) const BACKLOG_POLICY: &str = "ApproximateBacklogSizePerInstance-ScalingPolicy";

/// A step scaling policy and the CloudWatch alarm that drives it.
#[derive(Debug, Clone)]
pub(crate) struct StepScaling {
    pub policy: ScalingPolicy,
    /// The alarm on HasBacklogWithoutCapacity.
    pub alarm: String,
    /// ChangeInCapacity when the alarm is in ALARM.
    pub adjustment: u32,
    /// Consecutive datapoints at or above the threshold.
    pub streak: u32,
    pub last_ms: Option<i64>,
}

/// The alarm the step policy watches (the user names it in AWS's example).
pub(crate) fn step_alarm_name(endpoint: &str) -> String {
    format!("{endpoint}-HasBacklogWithoutCapacity")
}

/// The step policy as DescribeScalingPolicies reads back: step scaling names its alarm (as
/// `aws::autoscaling` maps it), and carries no target or target-tracking cooldowns.
pub(crate) fn step_policy(endpoint: &str) -> StepScaling {
    let alarm = step_alarm_name(endpoint);
    StepScaling {
        policy: ScalingPolicy {
            name: STEP_POLICY.into(),
            policy_type: "StepScaling".into(),
            metric: alarm.clone(),
            target_value: None,
            scale_in_cooldown: None,
            scale_out_cooldown: None,
            disable_scale_in: false,
        },
        alarm,
        adjustment: 1,
        streak: 0,
        last_ms: None,
    }
}

/// Target tracking on the custom metric ApproximateBacklogSizePerInstance (AWS's example:
/// target 5, ScaleInCooldown 600 s, ScaleOutCooldown 300 s).
pub(crate) fn backlog_policy() -> ScalingPolicy {
    ScalingPolicy {
        name: BACKLOG_POLICY.into(),
        policy_type: "TargetTrackingScaling".into(),
        metric: MetricName::ApproximateBacklogSizePerInstance
            .as_str()
            .into(),
        target_value: Some(BACKLOG_TARGET),
        scale_in_cooldown: Some(Duration::from_secs(600)),
        scale_out_cooldown: Some(Duration::from_secs(300)),
        disable_scale_in: false,
    }
}

/// Whether a target-tracking policy reads the async queue rather than invocations.
pub(crate) fn tracks_backlog(p: &ScalingPolicy) -> bool {
    p.metric == MetricName::ApproximateBacklogSizePerInstance.as_str()
}

/// Registers every async endpoint's variant as a scalable target (min 0) with both policies.
pub(crate) fn install(w: &mut World) {
    let seed = w.seed;
    let asyncs: Vec<(String, String)> = w
        .hosting
        .asyncs
        .iter()
        .map(|(e, a)| (e.clone(), a.variant.clone()))
        .collect();
    for (e, variant) in asyncs {
        let Some(v) = w
            .endpoints
            .get_mut(&e)
            .and_then(|ep| ep.variants.iter_mut().find(|v| v.name == variant))
        else {
            continue;
        };
        v.scaling = Some(Autoscale {
            step: Some(step_policy(&e)),
            ..Autoscale::registered(
                seed,
                (&e, &variant),
                (0, MAX_INSTANCES),
                Some(backlog_policy()),
            )
        });
    }
}

/// Requests arriving in minute `m`: a batch of `peak_per_min` (±20%) a minute for 5–8 minutes
/// every `BATCH_EVERY_MIN` minutes, the first starting the minute before the demo starts;
/// nothing in between.
pub(crate) fn arrivals(seed: u64, name: &str, start_min: i64, m: i64, peak_per_min: f64) -> f64 {
    let since = m - (start_min - 1);
    let batch = since.div_euclid(BATCH_EVERY_MIN);
    let offset = since.rem_euclid(BATCH_EVERY_MIN);
    let len = 5 + (ids::mix(&[seed, tag::BURST, ids::hash_str(name), batch as u64]) % 4) as i64;
    if offset >= len {
        return 0.0;
    }
    let mut r = Fast::new(&[seed, ids::hash_str(name), m as u64]);
    (peak_per_min * (0.8 + 0.4 * r.unit())).round()
}

/// The published value of a queue metric of `endpoint` for minute `m`.
pub(crate) fn metric_at(
    h: &HostingState,
    endpoint: &str,
    metric: MetricName,
    m: i64,
) -> Option<f64> {
    h.series
        .get(&(endpoint.to_string(), metric))
        .and_then(|s| s.get(&m))
        .copied()
}

/// How the synthesized past scaled one async endpoint: the same policies, with fixed
/// provisioning times, recorded as successful scaling activities.
struct Past {
    endpoint: String,
    variant: String,
    n: u32,
    has_streak: u32,
    low_streak: u32,
    /// (minute it completes, new count, activity start minute, cause)
    pending: Option<(i64, u32, i64, String)>,
}

/// Minutes a scale-out (in) took in the synthesized past.
const PAST_OUT_MIN: i64 = 5;
const PAST_IN_MIN: i64 = 2;

/// Replays the synthesized past of every async endpoint around `close` (hosting's minute
/// close): before each minute the variant serves with the past's count, after it the
/// policies decide on what was published.
pub(crate) fn replay(w: &mut World, minutes: std::ops::Range<i64>, close: fn(&mut World, i64)) {
    let mut past: Vec<Past> = w
        .hosting
        .asyncs
        .iter()
        .map(|(e, a)| Past {
            endpoint: e.clone(),
            variant: a.variant.clone(),
            n: 0,
            has_streak: 0,
            low_streak: 0,
            pending: None,
        })
        .collect();
    let saved: BTreeMap<String, Option<u32>> = past
        .iter()
        .map(|p| (p.endpoint.clone(), count(w, p).and_then(|c| *c)))
        .collect();
    for m in minutes {
        for p in &past {
            if let Some(c) = count(w, p) {
                *c = Some(p.n);
            }
        }
        close(w, m);
        for p in &mut past {
            step_past(w, p, m);
        }
    }
    for p in &past {
        let (n, has, low) = (saved[&p.endpoint], p.has_streak, p.low_streak);
        if let Some(v) = variant_mut(w, p) {
            v.current_count = n;
            if let Some(sc) = v.scaling.as_mut() {
                sc.low_streak = low;
                if let Some(st) = sc.step.as_mut() {
                    st.streak = has;
                }
            }
        }
    }
}

fn variant_mut<'a>(w: &'a mut World, p: &Past) -> Option<&'a mut super::world::VariantState> {
    w.endpoints
        .get_mut(&p.endpoint)
        .and_then(|e| e.variants.iter_mut().find(|v| v.name == p.variant))
}

fn count<'a>(w: &'a mut World, p: &Past) -> Option<&'a mut Option<u32>> {
    variant_mut(w, p).map(|v| &mut v.current_count)
}

fn step_past(w: &mut World, p: &mut Past, m: i64) {
    let has = metric_at(
        &w.hosting,
        &p.endpoint,
        MetricName::HasBacklogWithoutCapacity,
        m,
    )
    .unwrap_or(0.0);
    let per = metric_at(
        &w.hosting,
        &p.endpoint,
        MetricName::ApproximateBacklogSizePerInstance,
        m,
    )
    .unwrap_or(0.0);
    p.has_streak = if has >= 1.0 { p.has_streak + 1 } else { 0 };
    p.low_streak = if per < LOW_FRACTION * BACKLOG_TARGET {
        p.low_streak + 1
    } else {
        0
    };
    if let Some((done, n, started, cause)) = p.pending.take() {
        if m + 1 < done {
            p.pending = Some((done, n, started, cause));
            return;
        }
        p.n = n;
        record_past(w, p, started, done, n, cause);
        return;
    }
    let alarm_low = alarm_name(w.seed, &p.endpoint, &p.variant, false);
    if p.n == 0 && p.has_streak >= STEP_DATAPOINTS {
        let cause = alarm_cause(&step_alarm_name(&p.endpoint), STEP_POLICY);
        p.pending = Some((m + 1 + PAST_OUT_MIN, 1, m + 1, cause));
        p.has_streak = 0;
    } else if p.n > 0 && p.low_streak >= LOW_DATAPOINTS && per <= 0.0 {
        let cause = alarm_cause(&alarm_low, BACKLOG_POLICY);
        p.pending = Some((m + 1 + PAST_IN_MIN, 0, m + 1, cause));
        p.low_streak = 0;
    }
}

fn record_past(w: &mut World, p: &Past, started: i64, done: i64, n: u32, cause: String) {
    let seed = w.seed;
    let idx = w.endpoints.get(&p.endpoint).map_or(0, |e| e.idx);
    w.activities.push_back(ScalingActivity {
        id: ids::uuid(&[seed, tag::ID, (started * MINUTE_MS) as u64, idx, 0, 79]),
        endpoint: p.endpoint.clone(),
        variant: p.variant.clone(),
        start_time: ids::from_ms(started * MINUTE_MS + 5_000),
        end_time: Some(ids::from_ms(done * MINUTE_MS)),
        description: describe_activity(n),
        cause,
        status: ActivityStatus::Successful,
        status_message: Some(format!(
            "Successfully set desired instance count to {n}. Change successfully fulfilled by sagemaker."
        )),
    });
}
