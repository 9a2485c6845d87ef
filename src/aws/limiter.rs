//! Owns the shared async rate limiter that keeps CloudTrail `LookupEvents` within AWS's
//! budget of 2 calls a second per account and region, whoever asks.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// CloudTrail's published `LookupEvents` rate: 2 calls a second.
pub const LOOKUP_EVENTS_PER_SECOND: u32 = 2;

/// Spaces calls at least `1 / rate` apart: a "next allowed instant" behind a mutex.
/// Callers queue in arrival order (tokio's mutex is fair), so no window of one second ever
/// sees more than `rate` calls.
#[derive(Debug)]
pub struct RateLimiter {
    spacing: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn per_second(rate: u32) -> Self {
        RateLimiter {
            spacing: Duration::from_secs(1) / rate.max(1),
            next: Mutex::new(None),
        }
    }

    /// The limiter for `LookupEvents`.
    pub fn lookup_events() -> Self {
        Self::per_second(LOOKUP_EVENTS_PER_SECOND)
    }

    /// Minimum time between two calls.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }

    /// Waits until a call may start, then reserves the slot.
    pub async fn acquire(&self) {
        let at = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let at = next.map_or(now, |n| n.max(now));
            *next = Some(at + self.spacing);
            at
        };
        tokio::time::sleep_until(at).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_are_spaced_half_a_second_apart() {
        let limiter = Arc::new(RateLimiter::lookup_events());
        let t0 = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..5 {
            let l = limiter.clone();
            tasks.push(tokio::spawn(async move {
                l.acquire().await;
                Instant::now()
            }));
        }
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap().duration_since(t0));
        }
        times.sort();
        assert_eq!(
            times,
            (0..5)
                .map(|i| Duration::from_millis(500 * i))
                .collect::<Vec<_>>()
        );
    }
}
