//! Injected time: the wall clock, a scaled clock for `--demo-speed`, a manual clock for tests.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::Timestamp;

/// Source of "now" for the simulation, the app state and the pollers.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;

    /// Simulated seconds per wall second (1.0 on real AWS).
    fn speed(&self) -> f64 {
        1.0
    }

    /// How long to sleep in wall time for `sim` to pass on this clock.
    fn wall_duration(&self, sim: Duration) -> Duration {
        let speed = self.speed();
        if speed <= 0.0 || !speed.is_finite() {
            sim
        } else {
            sim.div_f64(speed)
        }
    }
}

pub type SharedClock = Arc<dyn Clock>;

/// The simulated account's clock: real time at `--demo-speed 1`, else time running `speed`
/// times faster from now.
pub fn demo_clock(speed: f64) -> SharedClock {
    if (speed - 1.0).abs() < f64::EPSILON {
        Arc::new(SystemClock)
    } else {
        Arc::new(ScaledClock::new(chrono::Utc::now(), speed))
    }
}

/// Real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// Starts at a given instant and runs `speed` times faster than the wall clock.
#[derive(Debug, Clone)]
pub struct ScaledClock {
    origin: Timestamp,
    started: Instant,
    speed: f64,
}

impl ScaledClock {
    pub fn new(origin: Timestamp, speed: f64) -> Self {
        ScaledClock {
            origin,
            started: Instant::now(),
            speed,
        }
    }
}

impl Clock for ScaledClock {
    fn now(&self) -> Timestamp {
        let elapsed = self.started.elapsed().mul_f64(self.speed);
        self.origin + chrono::Duration::from_std(elapsed).unwrap_or(chrono::Duration::zero())
    }

    fn speed(&self) -> f64 {
        self.speed
    }
}

/// Moves only when told to: deterministic tests.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        ManualClock {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(by).expect("duration in range");
    }

    pub fn set(&self, to: Timestamp) {
        *self.now.lock().unwrap_or_else(|e| e.into_inner()) = to;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The fixed instant tests and screenshots start from: 2026-03-02 14:00:00 UTC (a Monday afternoon).
pub fn fixture_epoch() -> Timestamp {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 2, 14, 0, 0)
        .single()
        .expect("valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(fixture_epoch());
        assert_eq!(c.now(), fixture_epoch());
        c.advance(Duration::from_secs(90));
        assert_eq!((c.now() - fixture_epoch()).num_seconds(), 90);
    }

    #[test]
    fn scaled_clock_sleeps_less_in_wall_time() {
        let c = ScaledClock::new(fixture_epoch(), 60.0);
        assert_eq!(
            c.wall_duration(Duration::from_secs(60)),
            Duration::from_secs(1)
        );
    }
}
