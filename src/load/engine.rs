//! Owns the load engine: `concurrency` worker tasks, each with its own connection, claiming
//! request slots from one atomic counter and recording into a few shards of figures; closed
//! loop (send on answer) or open loop (slot k due at k/rate; a request a busy worker starts
//! late counts from its due time, so a stalled server shows in the percentiles, while a
//! sleeping worker's timer lateness is not charged); duration, count, ramp-up, what happens
//! to requests in flight at the deadline, cancellation, and live progress snapshots.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::spec::{InFlight, LoadSpec, StopAfter};
use super::stats::{ErrorKind, Figures, Outcome, Summary};
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
    /// What happened to requests in flight at the deadline.
    #[serde(default)]
    pub in_flight: InFlight,
    /// Open loop: the rate asked for and the rate achieved.
    #[serde(default)]
    pub open_loop: Option<OpenLoop>,
    /// Threads of the engine's runtime.
    #[serde(default)]
    pub threads: usize,
}

/// How an open-loop run kept to its schedule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenLoop {
    /// Requests/s asked for (`-q`).
    pub target_rate: f64,
    /// Slots due before the run ended.
    pub scheduled: u64,
    /// Requests started.
    pub issued: u64,
    /// Started requests per second of run time.
    pub achieved_rate: f64,
    /// Slots never started (due, but the run ended first) plus slots started late because no
    /// worker was free: raise `-c` when this is not 0.
    pub missed: u64,
    /// Of the started requests, those that began after their due time.
    pub late: u64,
}

impl OpenLoop {
    /// A warning when the run did not keep the asked rate (more than 1% of slots missed).
    pub fn warning(&self) -> Option<String> {
        (self.missed as f64 > self.scheduled as f64 * 0.01).then(|| {
            format!(
                "the target rate was not reached: {:.1} of {} requests/s, {} of {} slots missed ({} late, {} never sent); raise -c",
                self.achieved_rate,
                super::spec::trim_float(self.target_rate),
                self.missed,
                self.scheduled,
                self.late,
                self.scheduled.saturating_sub(self.issued),
            )
        })
    }
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
    /// Set when the run stops issuing (deadline, cancel); workers check it before each
    /// request. The token's own check takes a mutex, so the hot path never touches the token.
    stopped: AtomicBool,
    /// Where workers record: worker i into shard i % len (a lock nobody else holds, mostly).
    shards: Box<[Mutex<Figures>]>,
}

/// Open loop: when a worker may start a request later than its slot without counting it late.
const LATE_AFTER: Duration = Duration::from_millis(1);

impl<T> Shared<T> {
    /// Open loop: when slot `seq` is due, as an offset from the start. The ramp grows the
    /// rate linearly from 0, so the k-th slot of the ramp is due at sqrt(2·ramp·k/rate).
    #[inline]
    fn offset(&self, seq: u64) -> Option<f64> {
        let q = self.rate?;
        let k = seq as f64;
        Some(match self.ramp {
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
        })
    }

    #[inline]
    fn due(&self, seq: u64) -> Option<Instant> {
        let at = Duration::try_from_secs_f64(self.offset(seq)?).ok()?;
        Some(self.start.checked_add(at).unwrap_or(self.deadline))
    }

    /// Open loop: slots due before `elapsed` (binary search over the schedule).
    fn scheduled_within(&self, elapsed: Duration) -> u64 {
        let end = elapsed.as_secs_f64();
        let (mut lo, mut hi) = (0u64, 1u64);
        while self.offset(hi).is_some_and(|o| o < end) {
            hi = hi.saturating_mul(2);
            if hi == u64::MAX {
                break;
            }
        }
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.offset(mid).is_some_and(|o| o < end) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo.min(self.limit.unwrap_or(u64::MAX))
    }

    fn drain(&self, into: &mut Figures) {
        for shard in &self.shards {
            let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
            into.drain_from(&mut s);
        }
    }
}

/// Runs the load described by `spec` against `target` until it completes or is cancelled:
/// worker `i` on `runtimes[i % len]` (see `load::run` for the engine's own threads), or on the
/// current runtime when `runtimes` is empty.
pub async fn run<T: Target>(
    target: T,
    spec: &LoadSpec,
    ctl: RunControl,
    runtimes: &[tokio::runtime::Handle],
) -> RunResult {
    let started_at = ctl.clock.now();
    let start = Instant::now();
    let hard_stop = match spec.stop {
        StopAfter::Duration(d) => d.min(spec.max_duration),
        StopAfter::Requests(_) => spec.max_duration,
    };
    let deadline = start + hard_stop;
    let concurrency = spec.concurrency.max(1);
    // Shard k is only written by workers of one runtime (k ≡ i mod threads): no lock is
    // contended but by the 250 ms drain.
    let threads = match runtimes.len() {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let shard_count = (concurrency as usize).min(threads * 4).max(1);
    let shared = Arc::new(Shared {
        target,
        issued: AtomicU64::new(0),
        limit: spec.requests(),
        rate: spec.rate,
        ramp: spec.ramp,
        concurrency,
        timeout: spec.timeout,
        start,
        deadline,
        stopped: AtomicBool::new(false),
        shards: (0..shard_count)
            .map(|_| Mutex::new(Figures::new()))
            .collect(),
    });
    let mut workers = JoinSet::new();
    // One abort signal per worker: dropping the senders wakes every worker without a shared lock.
    let mut abort_senders = Vec::with_capacity(concurrency as usize);
    for w in 0..concurrency {
        let (abort_tx, abort_rx) = oneshot::channel::<()>();
        abort_senders.push(abort_tx);
        let work = worker(w, shared.clone(), abort_rx);
        match runtimes.get(w as usize % runtimes.len().max(1)) {
            Some(rt) => workers.spawn_on(work, rt),
            None => workers.spawn(work),
        };
    }

    let mut totals = Figures::new();
    let mut tick = tokio::time::interval_at(start + PROGRESS_INTERVAL, PROGRESS_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let at_deadline = tokio::time::sleep_until(deadline);
    tokio::pin!(at_deadline);
    let cancelled = ctl.cancel.cancelled();
    tokio::pin!(cancelled);
    let (mut deadline_hit, mut user_stopped) = (false, false);
    let mut issuing_ended = None;
    loop {
        tokio::select! {
            joined = workers.join_next() => match joined {
                Some(Err(e)) => tracing::error!(error = %e, "load worker failed"),
                Some(Ok(())) => {}
                None => break,
            },
            _ = &mut at_deadline, if !deadline_hit => {
                deadline_hit = true;
                issuing_ended.get_or_insert(start.elapsed());
                shared.stopped.store(true, Ordering::Release);
                // Counted: requests in flight are aborted now. Waited: they finish (or time out).
                if spec.in_flight == InFlight::Count {
                    abort_senders.clear();
                }
            }
            _ = &mut cancelled, if !user_stopped => {
                user_stopped = true;
                issuing_ended.get_or_insert(start.elapsed());
                shared.stopped.store(true, Ordering::Release);
                abort_senders.clear();
            }
            _ = tick.tick() => {
                shared.drain(&mut totals);
                if let Some(p) = &ctl.progress {
                    let snapshot = Progress {
                        at: ctl.clock.now(),
                        started: shared.issued.load(Ordering::Relaxed).min(shared.limit.unwrap_or(u64::MAX)),
                        summary: totals.summary(start.elapsed(), false),
                    };
                    let _ = p.try_send(snapshot);
                }
            }
        }
    }
    shared.drain(&mut totals);
    let issuing = issuing_ended
        .unwrap_or_else(|| start.elapsed())
        .min(hard_stop);
    let elapsed = match spec.in_flight {
        // The run lasted until the last in-flight answer.
        InFlight::Wait => start.elapsed(),
        InFlight::Count => start.elapsed().min(hard_stop),
    }
    .max(Duration::from_millis(1));
    let stop_reason = if user_stopped || ctl.cancel.is_cancelled() {
        StopReason::Stopped
    } else if deadline_hit && matches!(spec.stop, StopAfter::Requests(_)) {
        StopReason::DurationCap
    } else {
        StopReason::Completed
    };
    let summary = totals.summary(elapsed, true);
    let open_loop = spec.rate.map(|q| {
        // Claimed slots past the deadline were never sent; the count is of requests started.
        let started = summary.requests + summary.aborted;
        let scheduled = shared.scheduled_within(issuing).max(started);
        OpenLoop {
            target_rate: q,
            scheduled,
            issued: started,
            achieved_rate: started as f64 / issuing.as_secs_f64().max(1e-3),
            missed: scheduled - started + summary.late_starts,
            late: summary.late_starts,
        }
    });
    RunResult {
        started_at,
        finished_at: ctl.clock.now(),
        stop: stop_reason,
        summary,
        in_flight: spec.in_flight,
        open_loop,
        threads: 0,
    }
}

async fn worker<T: Target>(index: u32, sh: Arc<Shared<T>>, abort: oneshot::Receiver<()>) {
    let shard = &sh.shards[index as usize % sh.shards.len()];
    let mut conn = sh.target.new_conn();
    // Resolves (sender dropped) when in-flight requests are to be abandoned.
    tokio::pin!(abort);
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
            _ = &mut abort => return,
            _ = tokio::time::sleep_until(at.min(sh.deadline)) => {}
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
        let mut late = false;
        let begin = match sh.due(seq) {
            Some(at) => {
                if at >= sh.deadline {
                    break;
                }
                let now = Instant::now();
                if at > now {
                    tokio::select! {
                        biased;
                        _ = &mut abort => break,
                        _ = tokio::time::sleep_until(at) => {}
                    }
                    if sh.stopped.load(Ordering::Acquire) {
                        break;
                    }
                    // The worker was waiting for this slot: the timer's own lateness is not
                    // the server's, so the request counts from when it really started.
                    Instant::now()
                } else {
                    // Coordinated-omission correction: a busy worker's late start counts from
                    // the slot's due time.
                    late = now.saturating_duration_since(at) > LATE_AFTER;
                    at
                }
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
                    _ = &mut abort => break None,
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
                            format!("no answer within {}", crate::units::format_duration(sh.timeout)),
                        ));
                    }
                }
            }
        };
        let Some(outcome) = outcome else {
            let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
            s.aborted += 1;
            break;
        };
        if timed_out {
            // The connection may still carry the late answer: start a new one.
            conn = sh.target.new_conn();
        }
        let end = Instant::now();
        let mut s = shard.lock().unwrap_or_else(|p| p.into_inner());
        if late {
            s.late += 1;
        }
        s.record(
            outcome,
            end.saturating_duration_since(begin),
            end.saturating_duration_since(sh.start),
            begin,
        );
    }
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
            shards: Box::new([]),
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
        assert_eq!(flat.scheduled_within(Duration::from_millis(2500)), 250);
        assert_eq!(ramped.scheduled_within(Duration::from_secs(11)), 600);
    }
}
