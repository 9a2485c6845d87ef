//! The traffic shift as a background task: sends each step through the write service, waits
//! for InService, watches the guard for `wait` on the injected clock, rolls back on a breach
//! or when asked, and reports timestamped snapshots to the app as actions.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::executor::RolloutEvent;
use super::guard::{self, MinuteFigures};
use super::{Control, ShiftPhase, ShiftPlan, ShiftSnapshot};
use crate::domain::*;
use crate::emit::Emitter;
use crate::poll::fleet::minute_floor;
use crate::write::{Origin, WriteJob, WriteRequest, WriteService};

/// Longest wall-clock sleep between two looks at the clock (so a faster or jumping clock is
/// followed, and aborts are seen at once).
const TICK: Duration = Duration::from_millis(500);
/// How often (clock time) the endpoint is described while a step applies.
const DESCRIBE_EVERY: Duration = Duration::from_secs(5);
/// How often (clock time) the guard reads metrics while watching.
const METRICS_EVERY: Duration = Duration::from_secs(20);
/// How much longer a watch waits for a first minute with traffic (CloudWatch lag).
const DATA_GRACE: Duration = Duration::from_secs(180);
/// Guard reads that fail (the call, or a series CloudWatch reports as failed) never count as
/// healthy: the shift holds; after this many failed checks in a row *and* this long without
/// a good read it rolls back.
pub const MISSING_CHECKS: u32 = 3;
pub const MISSING_LIMIT: Duration = Duration::from_secs(5 * 60);
/// A step that is not InService after this long fails the shift.
const APPLY_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// What one guard check found.
enum Check {
    /// Every minute read was within the thresholds (possibly none complete yet).
    Healthy,
    Breach(String),
    /// The figures could not be read.
    Missing(String),
}

/// Why a wait ended early.
enum Stop {
    Abort {
        rollback: bool,
    },
    /// The console is closing.
    Cancelled,
    Failed(String),
}

/// Everything a shift task needs.
pub struct ShiftTask {
    pub plan: ShiftPlan,
    pub service: Arc<WriteService>,
    pub tx: Emitter<RolloutEvent>,
    pub control: mpsc::Receiver<Control>,
    pub cancel: CancellationToken,
}

struct Runner {
    plan: ShiftPlan,
    service: Arc<WriteService>,
    tx: Emitter<RolloutEvent>,
    control: mpsc::Receiver<Control>,
    cancel: CancellationToken,
    snap: ShiftSnapshot,
    /// Newest minute the guard has evaluated in the current step.
    evaluated: Option<Timestamp>,
    /// The control channel still has a sender.
    control_open: bool,
}

/// Runs the shift to its end. The endpoint must already be claimed for this shift.
pub async fn run(task: ShiftTask) {
    let now = task.service.clock().now();
    let snap = ShiftSnapshot::new(&task.plan, now);
    let endpoint = task.plan.endpoint.clone();
    let id = task.plan.id;
    let service = task.service.clone();
    let mut r = Runner {
        plan: task.plan,
        service: task.service,
        tx: task.tx,
        control: task.control,
        cancel: task.cancel,
        snap,
        evaluated: None,
        control_open: true,
    };
    r.run().await;
    service.release_shift(&endpoint, id);
}

impl Runner {
    fn now(&self) -> Timestamp {
        self.service.clock().now()
    }

    async fn emit(&mut self) {
        self.snap.at = self.now();
        let _ = self
            .tx
            .send(RolloutEvent::Shift(Box::new(self.snap.clone())))
            .await;
    }

    async fn finish(&mut self, phase: ShiftPhase) {
        self.snap.phase = phase;
        self.snap.next_step_at = None;
        self.emit().await;
    }

    async fn run(&mut self) {
        let steps = self.plan.steps.clone();
        for (k, weights) in steps.iter().enumerate() {
            self.snap.step = k + 1;
            self.snap.phase = ShiftPhase::Sending;
            self.snap.next_step_at = None;
            self.emit().await;
            let label = format!("step {}/{}", k + 1, steps.len());
            if let Err(msg) = self.write(weights, label).await {
                if k == 0 {
                    return self.finish(ShiftPhase::Failed { message: msg }).await;
                }
                return self
                    .rollback(format!("step {} was not applied: {msg}", k + 1))
                    .await;
            }
            self.snap.phase = ShiftPhase::Applying;
            self.emit().await;
            let request = self.request(weights);
            match self.wait_applied(&request).await {
                Ok(()) => {}
                Err(stop) => return self.stopped(stop).await,
            }
            if let Err(stop) = self.watch().await {
                return self.stopped(stop).await;
            }
        }
        self.finish(ShiftPhase::Completed).await;
    }

    fn request(&self, weights: &[(String, f64)]) -> WriteRequest {
        WriteRequest::Update {
            endpoint: self.plan.endpoint.clone(),
            changes: weights
                .iter()
                .map(|(v, w)| VariantChange {
                    variant: v.clone(),
                    desired_weight: Some(*w),
                    desired_instance_count: None,
                })
                .collect(),
        }
    }

    async fn write(&mut self, weights: &[(String, f64)], label: String) -> Result<(), String> {
        let job = WriteJob {
            id: self.service.next_id(),
            request: self.request(weights),
            origin: Origin::Shift(label),
        };
        let outcome = self.service.execute(job).await;
        if outcome.went_through() {
            Ok(())
        } else {
            Err(outcome.describe())
        }
    }

    async fn stopped(&mut self, stop: Stop) {
        match stop {
            Stop::Cancelled => {}
            Stop::Abort { rollback: true } => self.rollback("aborted by you".into()).await,
            Stop::Abort { rollback: false } => self.finish(ShiftPhase::Stopped).await,
            Stop::Failed(reason) => self.rollback(reason).await,
        }
    }

    /// Sleeps up to `sim` on the clock; returns early with a control message or cancellation.
    async fn pause(&mut self, sim: Duration) -> Result<(), Stop> {
        let wall = self.service.clock().wall_duration(sim).min(TICK);
        tokio::select! {
            _ = self.cancel.cancelled() => Err(Stop::Cancelled),
            msg = self.control.recv(), if self.control_open => match msg {
                Some(Control::Abort { rollback }) => Err(Stop::Abort { rollback }),
                None => {
                    self.control_open = false;
                    Ok(())
                }
            },
            _ = tokio::time::sleep(wall) => Ok(()),
        }
    }

    /// Waits until the endpoint is InService with `request` in effect.
    async fn wait_applied(&mut self, request: &WriteRequest) -> Result<(), Stop> {
        let started = self.now();
        let deadline = started + chrono::Duration::from_std(APPLY_TIMEOUT).unwrap_or_default();
        let mut next_look = started;
        let mut seen_updating = false;
        loop {
            if self.now() >= next_look {
                next_look =
                    self.now() + chrono::Duration::from_std(DESCRIBE_EVERY).unwrap_or_default();
                match self
                    .service
                    .backend()
                    .describe_endpoint(&self.plan.endpoint)
                    .await
                {
                    Ok(e) if e.status == EndpointStatus::InService => {
                        if request.current_in(&e) {
                            return Ok(());
                        }
                        // Right after a write a describe may still show the old state.
                        let settled = seen_updating || (self.now() - started).num_seconds() >= 60;
                        if settled && !request.desired_in(&e) {
                            let why = e.failure_reason.unwrap_or_else(|| "no reason given".into());
                            return Err(Stop::Failed(format!(
                                "{} is InService without the step's weights ({why})",
                                e.name
                            )));
                        }
                    }
                    Ok(e) if e.status.is_transitional() => seen_updating = true,
                    Ok(e) => {
                        return Err(Stop::Failed(format!(
                            "{} went {}{}",
                            e.name,
                            e.status,
                            e.failure_reason
                                .map(|r| format!(": {r}"))
                                .unwrap_or_default()
                        )));
                    }
                    // Transient describe failures: keep waiting (the deadline bounds it).
                    Err(e) => tracing::warn!(error = %e, "shift: describe failed"),
                }
            }
            if self.now() >= deadline {
                return Err(Stop::Failed(format!(
                    "{} was not InService {} minutes after the step",
                    self.plan.endpoint,
                    APPLY_TIMEOUT.as_secs() / 60
                )));
            }
            self.pause(DESCRIBE_EVERY).await?;
        }
    }

    /// Watches the guard for `wait` after the step took effect.
    async fn watch(&mut self) -> Result<(), Stop> {
        let effective = self.now();
        let until = effective + chrono::Duration::from_std(self.plan.wait).unwrap_or_default();
        // CloudWatch publishes a minute a little after it ends: when the watch saw no minute
        // with traffic yet, it waits up to this much longer for one.
        let grace = until + chrono::Duration::from_std(DATA_GRACE).unwrap_or_default();
        self.snap.phase = ShiftPhase::Baking;
        self.snap.next_step_at = Some(until);
        self.snap.figures.minutes_checked = 0;
        self.snap.figures.holding = None;
        // Only whole minutes that started after the step took effect count.
        self.evaluated = Some(minute_floor(effective));
        self.emit().await;
        let mut next_check = self.now();
        // Failed reads in a row, and since when (the guard never treats them as healthy).
        let mut missing: Option<(u32, Timestamp)> = None;
        loop {
            let now = self.now();
            let last = now >= until;
            if now >= next_check || last {
                next_check = now + chrono::Duration::from_std(METRICS_EVERY).unwrap_or_default();
                match self.check_guard().await {
                    Check::Breach(reason) => {
                        return Err(Stop::Failed(format!("guard breached: {reason}")));
                    }
                    Check::Healthy => {
                        missing = None;
                        if self.snap.figures.holding.take().is_some() {
                            self.emit().await;
                        }
                    }
                    Check::Missing(why) => {
                        let (count, since) = missing.map_or((1, now), |(c, t)| (c + 1, t));
                        missing = Some((count, since));
                        let long = (now - since).to_std().unwrap_or_default() >= MISSING_LIMIT;
                        if count >= MISSING_CHECKS && long {
                            return Err(Stop::Failed(format!(
                                "the guard could not read {}'s metrics for {} checks over {} min ({why}); \
                                 not shifting further without them",
                                self.plan.to,
                                count,
                                (now - since).num_minutes()
                            )));
                        }
                        self.snap.figures.holding = Some(format!(
                            "holding: the guard could not read {}'s metrics ({why}); \
                             rolls back if this lasts {} min",
                            self.plan.to,
                            MISSING_LIMIT.as_secs() / 60
                        ));
                        self.emit().await;
                    }
                }
            }
            let seen = self.snap.figures.minutes_checked > 0;
            // A step never ends on a check that could not be made.
            if last && missing.is_none() && (seen || self.plan.wait.is_zero() || now >= grace) {
                return Ok(());
            }
            let left = if last && missing.is_none() {
                grace - now
            } else if last {
                chrono::Duration::from_std(METRICS_EVERY).unwrap_or_default()
            } else {
                until - now
            };
            let left = left.to_std().unwrap_or_default();
            self.pause(left.min(METRICS_EVERY)).await?;
        }
    }

    /// Reads the minutes completed since the last check.
    async fn check_guard(&mut self) -> Check {
        let end = minute_floor(self.now());
        let Some(evaluated) = self.evaluated else {
            return Check::Healthy;
        };
        let start = evaluated + chrono::Duration::seconds(60);
        if start >= end {
            return Check::Healthy;
        }
        let q = guard::query(&self.plan.endpoint, &self.plan.to, start, end);
        let series = match self.service.backend().get_metrics(&q).await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "shift: guard metrics failed");
                return Check::Missing(e.to_string());
            }
        };
        // A series CloudWatch could not read is missing, not quiet.
        if let Some((key, code, message)) = series.iter().find_map(|s| match &s.status {
            SeriesStatus::Failed { code, message } => Some((&s.key, code, message)),
            SeriesStatus::Complete => None,
        }) {
            return Check::Missing(format!("{}: {code} {message}", key.metric.as_str()));
        }
        let minutes: Vec<MinuteFigures> = guard::minutes(&series);
        let mut breach = None;
        for m in &minutes {
            self.evaluated = Some(m.minute);
            let f = &mut self.snap.figures;
            f.minute = Some(m.minute);
            f.invocations = Some(m.invocations);
            f.rate_5xx = m.rate_5xx();
            f.latency_ms = m.latency_ms;
            f.minutes_checked += 1;
            if let Some(reason) = guard::breach(&self.plan.guard, &self.plan.to, m) {
                breach = Some(reason);
                break;
            }
        }
        self.emit().await;
        breach.map_or(Check::Healthy, Check::Breach)
    }

    /// Restores the starting weights (after the endpoint is InService) and reports why.
    async fn rollback(&mut self, reason: String) {
        self.snap.phase = ShiftPhase::RollingBack {
            reason: reason.clone(),
        };
        self.snap.next_step_at = None;
        self.emit().await;
        let start = self.plan.start.clone();
        let request = self.request(&start);
        // An update in progress must finish before AWS accepts another.
        if let Err(Stop::Cancelled) = self.wait_in_service().await {
            return;
        }
        if let Err(msg) = self.write(&start, "rollback".into()).await {
            return self
                .finish(ShiftPhase::Failed {
                    message: format!("{reason}; the rollback was not applied: {msg}"),
                })
                .await;
        }
        // Aborts during a rollback are ignored: rolling back is already the safe direction.
        loop {
            match self.wait_applied(&request).await {
                Ok(()) => break,
                Err(Stop::Cancelled) => return,
                Err(Stop::Abort { .. }) => continue,
                Err(Stop::Failed(msg)) => {
                    return self
                        .finish(ShiftPhase::Failed {
                            message: format!("{reason}; the rollback did not complete: {msg}"),
                        })
                        .await;
                }
            }
        }
        self.finish(ShiftPhase::RolledBack { reason }).await;
    }

    /// Waits until the endpoint accepts updates (only cancellation stops it).
    async fn wait_in_service(&mut self) -> Result<(), Stop> {
        let deadline = self.now() + chrono::Duration::from_std(APPLY_TIMEOUT).unwrap_or_default();
        loop {
            match self
                .service
                .backend()
                .describe_endpoint(&self.plan.endpoint)
                .await
            {
                Ok(e) if !e.status.is_transitional() => return Ok(()),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "shift: describe failed"),
            }
            if self.now() >= deadline {
                return Ok(());
            }
            match self.pause(DESCRIBE_EVERY).await {
                Err(Stop::Cancelled) => return Err(Stop::Cancelled),
                _ => continue,
            }
        }
    }
}
