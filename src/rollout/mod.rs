//! Guarded traffic shifts (`:shift`): the plan (steps modelled on SageMaker deployment
//! guardrails), the progress snapshots the app shows, and the background task in `task`.

pub mod args;
pub mod executor;
pub mod guard;
pub mod task;

pub use executor::{Executor, OpsCommand, OpsSetup, RolloutEvent};

use std::time::Duration;

use crate::domain::*;
use crate::write::request::{keep_weight, weight_text};

/// Canary at most 50% of the traffic (as deployment guardrails allow).
pub const MAX_CANARY: u32 = 50;
/// Linear steps of 10–50%.
pub const LINEAR_STEPS: std::ops::RangeInclusive<u32> = 10..=50;
/// Wait between steps: 0–3600 s.
pub const MAX_WAIT_SECS: u64 = 3600;
/// Wait when `--wait` is not given.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// How the traffic moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShiftMode {
    /// One step to this percent, then the rest.
    Canary(u32),
    /// Steps of this percent.
    Linear(u32),
}

impl ShiftMode {
    pub fn label(self) -> String {
        match self {
            ShiftMode::Canary(p) => format!("canary {p}%"),
            ShiftMode::Linear(p) => format!("linear {p}%"),
        }
    }
}

/// Thresholds on the target variant's figures; a breach rolls the shift back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guard {
    /// Invocation5XXErrors / Invocations of one minute, 0..=1.
    pub max_5xx_rate: f64,
    /// ModelLatency average of one minute, in ms.
    pub max_latency_ms: f64,
}

/// Built-in guard thresholds (config `[guard]` and `:shift` flags override them).
pub const DEFAULT_GUARD: Guard = Guard {
    max_5xx_rate: 0.01,
    max_latency_ms: 500.0,
};

impl Default for Guard {
    fn default() -> Self {
        DEFAULT_GUARD
    }
}

impl Guard {
    pub fn label(&self) -> String {
        format!(
            "5XX ≤ {}%, latency ≤ {} ms",
            weight_text(self.max_5xx_rate * 100.0),
            weight_text(self.max_latency_ms)
        )
    }
}

/// A shift, fully planned before it is confirmed.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftPlan {
    pub id: u64,
    pub endpoint: String,
    pub from: String,
    pub to: String,
    pub mode: ShiftMode,
    pub wait: Duration,
    pub guard: Guard,
    /// Desired weights of every variant at the start (restored by a rollback).
    pub start: Vec<(String, f64)>,
    /// Weights of every variant after each step.
    pub steps: Vec<Vec<(String, f64)>>,
    /// Share (0..=1) of the endpoint's traffic going to `to` after each step.
    pub to_shares: Vec<f64>,
}

// Weights are finite (validated), so equality is total.
impl Eq for ShiftPlan {}

/// Where a shift is.
#[derive(Debug, Clone, PartialEq)]
pub enum ShiftPhase {
    /// Sending the current step's weights.
    Sending,
    /// The step was accepted; waiting for the endpoint to be InService with it.
    Applying,
    /// Watching the guard until the next step.
    Baking,
    RollingBack {
        reason: String,
    },
    Completed,
    RolledBack {
        reason: String,
    },
    /// Aborted; the weights stay at the current step.
    Stopped,
    Failed {
        message: String,
    },
}

impl ShiftPhase {
    pub fn is_done(&self) -> bool {
        matches!(
            self,
            ShiftPhase::Completed
                | ShiftPhase::RolledBack { .. }
                | ShiftPhase::Stopped
                | ShiftPhase::Failed { .. }
        )
    }

    pub fn label(&self) -> &'static str {
        match self {
            ShiftPhase::Sending => "sending",
            ShiftPhase::Applying => "applying",
            ShiftPhase::Baking => "watching",
            ShiftPhase::RollingBack { .. } => "rolling back",
            ShiftPhase::Completed => "completed",
            ShiftPhase::RolledBack { .. } => "rolled back",
            ShiftPhase::Stopped => "stopped",
            ShiftPhase::Failed { .. } => "failed",
        }
    }
}

/// The guard's latest figures of the target variant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GuardFigures {
    /// Start of the newest minute evaluated.
    pub minute: Option<Timestamp>,
    pub invocations: Option<f64>,
    pub rate_5xx: Option<f64>,
    pub latency_ms: Option<f64>,
    /// Minutes with traffic evaluated in the current step.
    pub minutes_checked: u32,
    /// The guard could not read the target's figures: the shift holds (does not advance)
    /// and says why; it rolls back if this lasts past `task::MISSING_LIMIT`.
    pub holding: Option<String>,
}

/// A timestamped progress report of one shift.
#[derive(Debug, Clone, PartialEq)]
pub struct ShiftSnapshot {
    pub id: u64,
    pub endpoint: String,
    pub from: String,
    pub to: String,
    pub mode: ShiftMode,
    pub wait: Duration,
    pub guard: Guard,
    /// 1-based step being applied or watched (0 before the first).
    pub step: usize,
    pub to_shares: Vec<f64>,
    pub phase: ShiftPhase,
    pub started_at: Timestamp,
    pub at: Timestamp,
    /// When the current step's watch ends (the next step, or completion).
    pub next_step_at: Option<Timestamp>,
    pub figures: GuardFigures,
}

impl ShiftSnapshot {
    pub fn new(plan: &ShiftPlan, now: Timestamp) -> ShiftSnapshot {
        ShiftSnapshot {
            id: plan.id,
            endpoint: plan.endpoint.clone(),
            from: plan.from.clone(),
            to: plan.to.clone(),
            mode: plan.mode,
            wait: plan.wait,
            guard: plan.guard,
            step: 0,
            to_shares: plan.to_shares.clone(),
            phase: ShiftPhase::Sending,
            started_at: now,
            at: now,
            next_step_at: None,
            figures: GuardFigures::default(),
        }
    }

    pub fn steps(&self) -> usize {
        self.to_shares.len()
    }
}

/// A request to a running shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Stop; `rollback` restores the starting weights, otherwise the current step stays.
    Abort { rollback: bool },
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Plans a shift of `e`'s traffic from `from` to `to`. Weights are written as percentages of
/// the endpoint's traffic; variants other than the two keep their share.
pub fn plan(
    e: &Endpoint,
    from: &str,
    to: &str,
    mode: ShiftMode,
    wait: Duration,
    guard: Guard,
    id: u64,
) -> Result<ShiftPlan, String> {
    let names: Vec<&str> = e.variants.iter().map(|v| v.name.as_str()).collect();
    for v in [from, to] {
        if e.variant(v).is_none() {
            return Err(format!(
                "{} has no variant `{v}`: its variants are {}",
                e.name,
                names.join(", ")
            ));
        }
    }
    if from == to {
        return Err("FROM and TO are the same variant".into());
    }
    match mode {
        ShiftMode::Canary(p) if p == 0 || p > MAX_CANARY => {
            return Err(format!("--canary must be 1–{MAX_CANARY}%, got {p}%"));
        }
        ShiftMode::Linear(p) if !LINEAR_STEPS.contains(&p) => {
            return Err(format!(
                "--linear steps must be {}–{}%, got {p}%",
                LINEAR_STEPS.start(),
                LINEAR_STEPS.end()
            ));
        }
        _ => {}
    }
    if wait.as_secs() > MAX_WAIT_SECS {
        return Err(format!(
            "--wait must be at most {MAX_WAIT_SECS} s (1h), got {} s",
            wait.as_secs()
        ));
    }
    let start: Vec<(String, f64)> = e
        .variants
        .iter()
        .map(|v| (v.name.clone(), keep_weight(v)))
        .collect();
    let raw: Vec<f64> = start.iter().map(|(_, w)| *w).collect();
    let shares = normalize_weights(&raw);
    let idx = |n: &str| names.iter().position(|x| *x == n).unwrap_or(0);
    let (fi, ti) = (idx(from), idx(to));
    let pool = shares[fi] + shares[ti];
    if pool <= 0.0 {
        return Err(format!(
            "{from} and {to} carry no traffic together; there is nothing to shift"
        ));
    }
    let already = shares[ti] / pool;
    let fractions: Vec<f64> = match mode {
        ShiftMode::Canary(p) => vec![f64::from(p) / 100.0, 1.0],
        ShiftMode::Linear(p) => {
            let n = 100_u32.div_ceil(p);
            (1..=n)
                .map(|k| (f64::from(k * p) / 100.0).min(1.0))
                .collect()
        }
    };
    let fractions: Vec<f64> = fractions
        .into_iter()
        .filter(|f| *f > already + 1e-9)
        .collect();
    if fractions.is_empty() {
        return Err(format!("{to} already has all of {from}'s traffic"));
    }
    let mut steps = Vec::new();
    let mut to_shares = Vec::new();
    for f in fractions {
        let weights: Vec<(String, f64)> = start
            .iter()
            .enumerate()
            .map(|(i, (n, _))| {
                let w = if i == ti {
                    f * pool
                } else if i == fi {
                    (1.0 - f) * pool
                } else {
                    shares[i]
                };
                (n.clone(), round2(w * 100.0))
            })
            .collect();
        to_shares.push(f * pool);
        steps.push(weights);
    }
    Ok(ShiftPlan {
        id,
        endpoint: e.name.clone(),
        from: from.to_string(),
        to: to.to_string(),
        mode,
        wait,
        guard,
        start,
        steps,
        to_shares,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(weights: &[(&str, f64)]) -> Endpoint {
        Endpoint {
            name: "ep".into(),
            arn: "arn".into(),
            status: EndpointStatus::InService,
            failure_reason: None,
            creation_time: crate::clock::fixture_epoch(),
            last_modified_time: crate::clock::fixture_epoch(),
            config_name: "c".into(),
            shadow_variants: Vec::new(),
            pending: None,
            variants: weights
                .iter()
                .map(|(n, w)| Variant {
                    name: n.to_string(),
                    model_name: None,
                    instance_type: Some("ml.m5.large".into()),
                    current_instance_count: Some(1),
                    desired_instance_count: Some(1),
                    current_weight: Some(*w),
                    desired_weight: Some(*w),
                    serverless: None,
                    statuses: Vec::new(),
                })
                .collect(),
        }
    }

    const W: Duration = Duration::from_secs(60);

    #[test]
    fn canary_then_all() {
        let p = plan(
            &ep(&[("A", 1.0), ("B", 0.0)]),
            "A",
            "B",
            ShiftMode::Canary(10),
            W,
            DEFAULT_GUARD,
            1,
        )
        .unwrap();
        assert_eq!(
            p.steps,
            vec![
                vec![("A".to_string(), 90.0), ("B".to_string(), 10.0)],
                vec![("A".to_string(), 0.0), ("B".to_string(), 100.0)],
            ]
        );
        assert_eq!(
            p.start,
            vec![("A".to_string(), 1.0), ("B".to_string(), 0.0)]
        );
    }

    #[test]
    fn linear_skips_steps_already_reached_and_keeps_other_variants() {
        // A 60%, B 20%, C 20%: shifting A→B, B already has 25% of the pool.
        let p = plan(
            &ep(&[("A", 3.0), ("B", 1.0), ("C", 1.0)]),
            "A",
            "B",
            ShiftMode::Linear(25),
            W,
            DEFAULT_GUARD,
            1,
        )
        .unwrap();
        assert_eq!(p.steps.len(), 3, "50, 75, 100");
        assert_eq!(
            p.steps[0],
            vec![
                ("A".to_string(), 40.0),
                ("B".to_string(), 40.0),
                ("C".to_string(), 20.0)
            ]
        );
        assert_eq!(p.steps[2][0].1, 0.0);
        assert!((p.to_shares[2] - 0.8).abs() < 1e-9);
    }

    #[test]
    fn limits_follow_deployment_guardrails() {
        let e = ep(&[("A", 1.0), ("B", 1.0)]);
        let bad = [
            (ShiftMode::Canary(60), W, "--canary must be 1–50%"),
            (ShiftMode::Linear(5), W, "--linear steps must be 10–50%"),
            (
                ShiftMode::Linear(20),
                Duration::from_secs(4000),
                "at most 3600 s",
            ),
        ];
        for (mode, wait, needle) in bad {
            let err = plan(&e, "A", "B", mode, wait, DEFAULT_GUARD, 1).unwrap_err();
            assert!(err.contains(needle), "{err}");
        }
        let err = plan(&e, "A", "X", ShiftMode::Canary(10), W, DEFAULT_GUARD, 1).unwrap_err();
        assert!(err.contains("no variant `X`"), "{err}");
        let done = ep(&[("A", 0.0), ("B", 1.0)]);
        let err = plan(&done, "A", "B", ShiftMode::Canary(10), W, DEFAULT_GUARD, 1).unwrap_err();
        assert!(err.contains("already has all"), "{err}");
    }
}
