//! Owns the load engine: `concurrency` worker tasks, each with its own connection and
//! recorder, claiming request slots from one atomic counter; closed loop (send on answer) or
//! open loop (slot k scheduled at k/rate, latency measured from the scheduled start, so a
//! stalled server shows in the percentiles); duration, count, ramp-up, cancellation, and live
//! progress snapshots merged from the workers' flushes a few times a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::spec::{LoadSpec, StopAfter};
use super::stats::{ErrorKind, Outcome, Recorder, Summary, Totals};
use super::target::Target;
use crate::clock::SharedClock;
use crate::domain::Timestamp;

/// How often workers flush and progress snapshots go out.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(250);

/// A live view of a run: owned, timestamped, cheap to keep in the app state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// When the snapshot was taken (the injected clock).
    pub at: Timestamp,
    /// Requests started so far (finished + in flight).
    pub started: u64,
    pub summary: Summary,
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StopReason {
    /// The duration passed or the request count was reached.
    Completed,
    /// Stopped by the person running it (`x`, `Esc`, Ctrl-C); results are partial.
    Stopped,
    /// A `-n` run reached the duration cap first.
    DurationCap,
}

impl StopReason {
    pub fn label(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::Stopped => "stopped early (partial results)",
            StopReason::DurationCap => "stopped at the duration cap",
        }
    }

    /// One word for tables: "completed", "stopped", "capped".
    pub fn short(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::Stopped => "stopped",
            StopReason::DurationCap => "capped",
        }
    }
}

/// What a finished run returns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunResult {
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    pub stop: StopReason,
    pub summary: Summary,
}

/// The outside of a run: its clock, the cancel switch, where live snapshots go.
pub struct RunControl {
    pub clock: SharedClock,
    /// Cancel to stop the run; it returns within a second with the partial results.
    pub cancel: CancellationToken,
    /// Live snapshots (dropped, never awaited, when the receiver lags).
    pub progress: Option<mpsc::Sender<Progress>>,
}

struct Shared<T> {
    target: T,
    /// Slots claimed so far (the next request's sequence number).
    issued: AtomicU64,
    limit: Option<u64>,
    rate: Option<f64>,
    ramp: Option<Duration>,
    concurrency: u32,
    timeout: Duration,
    start: Instant,
    deadline: Instant,
    /// Set when the run stops (deadline, cancel); workers check it before each request. The
    /// token's own check takes a mutex, so the hot path never touches the token.
    stopped: AtomicBool,
}

impl<T> Shared<T> {
    /// Open loop: when slot `seq` is due. The ramp grows the rate linearly from 0, so the
    /// k-th slot of the ramp is due at sqrt(2·ramp·k/rate).
    #[inline]
    fn due(&self, seq: u64) -> Option<Instant> {
        let q = self.rate?;
        let k = seq as f64;
        let offset = match self.ramp {
            Some(r) if !r.is_zero() => {
                let r = r.as_secs_f64();
                let in_ramp = q * r / 2.0;
                if k < in_ramp {
                    (2.0 * r * k / q).sqrt()
                } else {
                    r + (k - in_ramp) / q
                }
            }
            _ => k / q,
        };
        let at = Duration::try_from_secs_f64(offset).ok()?;
        Some(self.start.checked_add(at).unwrap_or(self.deadline))
    }
}

/// Runs the load described by `spec` against `target` until it completes or is cancelled.
pub async fn run<T: Target>(target: T, spec: &LoadSpec, ctl: RunControl) -> RunResult {
    let started_at = ctl.clock.now();
    let start = Instant::now();
    let hard_stop = match spec.stop {
        StopAfter::Duration(d) => d.min(spec.max_duration),
        StopAfter::Requests(_) => spec.max_duration,
    };
    let deadline = start + hard_stop;
    let shared = Arc::new(Shared {
        target,
        issued: AtomicU64::new(0),
        limit: spec.requests(),
        rate: spec.rate,
        ramp: spec.ramp,
        concurrency: spec.concurrency.max(1),
        timeout: spec.timeout,
        start,
        deadline,
        stopped: AtomicBool::new(false),
    });
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut workers = JoinSet::new();
    // One stop signal per worker: dropping the senders wakes every worker without a shared lock.
    let mut stop_senders = Vec::with_capacity(shared.concurrency as usize);
    for w in 0..shared.concurrency {
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        stop_senders.push(stop_tx);
        workers.spawn(worker(w, shared.clone(), tx.clone(), stop_rx));
    }
    drop(tx);
    let stop = |senders: &mut Vec<oneshot::Sender<()>>| {
        shared.stopped.store(true, Ordering::Release);
        senders.clear();
    };

    let mut totals = Totals::new();
    let mut tick = tokio::time::interval_at(start + PROGRESS_INTERVAL, PROGRESS_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let at_deadline = tokio::time::sleep_until(deadline);
    tokio::pin!(at_deadline);
    let cancelled = ctl.cancel.cancelled();
    tokio::pin!(cancelled);
    let (mut deadline_hit, mut user_stopped) = (false, false);
    loop {
        tokio::select! {
            delta = rx.recv() => match delta {
                Some(d) => totals.apply(d),
                None => break,
            },
            _ = &mut at_deadline, if !deadline_hit => {
                deadline_hit = true;
                stop(&mut stop_senders);
            }
            _ = &mut cancelled, if !user_stopped => {
                user_stopped = true;
                stop(&mut stop_senders);
            }
            _ = tick.tick() => {
                if let Some(p) = &ctl.progress {
                    let snapshot = Progress {
                        at: ctl.clock.now(),
                        started: shared.issued.load(Ordering::Relaxed).min(shared.limit.unwrap_or(u64::MAX)),
                        summary: totals.summary(start.elapsed()),
                    };
                    let _ = p.try_send(snapshot);
                }
            }
        }
    }
    // Every worker has flushed and ended; reap them (a panic is logged, the run still reports).
    while let Some(joined) = workers.join_next().await {
        if let Err(e) = joined {
            tracing::error!(error = %e, "load worker failed");
        }
    }
    let elapsed = start.elapsed().min(hard_stop.max(Duration::from_millis(1)));
    let stop_reason = if user_stopped || ctl.cancel.is_cancelled() {
        StopReason::Stopped
    } else if deadline_hit && matches!(spec.stop, StopAfter::Requests(_)) {
        StopReason::DurationCap
    } else {
        StopReason::Completed
    };
    RunResult {
        started_at,
        finished_at: ctl.clock.now(),
        stop: stop_reason,
        summary: totals.summary(elapsed),
    }
}

async fn worker<T: Target>(
    index: u32,
    sh: Arc<Shared<T>>,
    tx: mpsc::UnboundedSender<super::stats::Delta>,
    stop: oneshot::Receiver<()>,
) {
    let mut rec = Recorder::new();
    let mut conn = sh.target.new_conn();
    // Resolves (sender dropped) when the run stops; polled only until then.
    tokio::pin!(stop);
    let mut next_flush = Instant::now() + PROGRESS_INTERVAL;
    // One timer per worker for request timeouts, re-armed only when it fires (not per request).
    let timer = tokio::time::sleep(sh.timeout);
    tokio::pin!(timer);

    // Closed loop with a ramp: worker i joins at ramp·i/c.
    if sh.rate.is_none()
        && let Some(ramp) = sh.ramp
    {
        let at = sh.start + ramp.mul_f64(f64::from(index) / f64::from(sh.concurrency));
        tokio::select! {
            biased;
            _ = &mut stop => {
                let _ = tx.send(rec.take_delta());
                return;
            }
            _ = tokio::time::sleep_until(at) => {}
        }
    }

    loop {
        if sh.stopped.load(Ordering::Acquire) {
            break;
        }
        let seq = sh.issued.fetch_add(1, Ordering::Relaxed);
        if sh.limit.is_some_and(|n| seq >= n) {
            break;
        }
        let begin = match sh.due(seq) {
            Some(at) => {
                if at >= sh.deadline {
                    break;
                }
                if at > Instant::now() {
                    tokio::select! {
                        biased;
                        _ = &mut stop => break,
                        _ = tokio::time::sleep_until(at) => {}
                    }
                }
                // Coordinated-omission correction: a late start still counts from `at`.
                at
            }
            None => Instant::now(),
        };
        let due = Instant::now() + sh.timeout;
        let mut timed_out = false;
        let outcome = {
            let send = sh.target.send(&mut conn, seq);
            tokio::pin!(send);
            loop {
                tokio::select! {
                    biased;
                    _ = &mut stop => break None,
                    o = &mut send => break Some(o),
                    _ = &mut timer => {
                        // Armed for an earlier request: re-arm it for this one and wait on.
                        if Instant::now() < due {
                            timer.as_mut().reset(due);
                            continue;
                        }
                        timed_out = true;
                        break Some(Outcome::failed(
                            ErrorKind::Timeout,
                            format!("no answer within {}", super::spec::format_duration(sh.timeout)),
                        ));
                    }
                }
            }
        };
        let Some(outcome) = outcome else {
            rec.aborted += 1;
            break;
        };
        if timed_out {
            // The connection may still carry the late answer: start a new one.
            conn = sh.target.new_conn();
        }
        let end = Instant::now();
        let second = end.saturating_duration_since(sh.start).as_secs() as u32;
        rec.record(outcome, end.saturating_duration_since(begin), second);
        if end >= next_flush {
            let _ = tx.send(rec.take_delta());
            next_flush = end + PROGRESS_INTERVAL;
        }
    }
    let _ = tx.send(rec.take_delta());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_slots_follow_the_rate_and_the_ramp() {
        let start = Instant::now();
        let mk = |ramp| Shared {
            target: (),
            issued: AtomicU64::new(0),
            limit: None,
            rate: Some(100.0),
            ramp,
            concurrency: 4,
            timeout: Duration::from_secs(1),
            start,
            deadline: start + Duration::from_secs(60),
            stopped: AtomicBool::new(false),
        };
        let flat = mk(None);
        assert_eq!(flat.due(250).unwrap() - start, Duration::from_millis(2500));
        let ramped = mk(Some(Duration::from_secs(10)));
        // 500 slots fit in the 10 s ramp (half the flat rate), then 100/s.
        let at = |s: &Shared<()>, k| (s.due(k).unwrap() - start).as_secs_f64();
        assert!((at(&ramped, 500) - 10.0).abs() < 1e-6);
        assert!((at(&ramped, 600) - 11.0).abs() < 1e-6);
        assert!(
            (at(&ramped, 125) - 5.0).abs() < 1e-6,
            "quarter of the ramp's slots by half-time"
        );
    }
}
