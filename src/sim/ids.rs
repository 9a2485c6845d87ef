//! Deterministic randomness, ids and time helpers shared by the simulated account.
//!
//! Every random draw is derived from a hash of (seed, what, who, when), never from a
//! running generator, so the world at time T does not depend on how it got there.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::domain::Timestamp;

pub(crate) const ACCOUNT: &str = "111122223333";
pub(crate) const REGION: &str = "us-east-1";
pub(crate) const MINUTE_MS: i64 = 60_000;

/// Stable 64-bit hash of a string (FNV-1a).
pub(crate) fn hash_str(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Hash of several parts, order-sensitive.
pub(crate) fn mix(parts: &[u64]) -> u64 {
    let mut h = 0x6a09_e667_f3bc_c908u64;
    for p in parts {
        h = splitmix(h ^ splitmix(*p));
    }
    h
}

/// A ChaCha generator for one (seed, purpose, …) tuple.
pub(crate) fn chacha(parts: &[u64]) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(mix(parts))
}

/// A very cheap generator for the per-minute hot path (history synthesis).
pub(crate) struct Fast(u64);

impl Fast {
    pub(crate) fn new(parts: &[u64]) -> Fast {
        Fast(mix(parts))
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix(self.0)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    /// Standard normal (Box–Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Poisson-distributed count with mean `lambda`.
    pub(crate) fn poisson(&mut self, lambda: f64) -> f64 {
        if !lambda.is_finite() || lambda <= 0.0 {
            return 0.0;
        }
        if lambda < 30.0 {
            let l = (-lambda).exp();
            let mut k = 0.0;
            let mut p = 1.0;
            loop {
                p *= self.unit();
                if p <= l || k > 200.0 {
                    return k;
                }
                k += 1.0;
            }
        }
        (lambda + lambda.sqrt() * self.normal()).round().max(0.0)
    }
}

/// Purpose tags so unrelated draws never share a stream.
pub(crate) mod tag {
    pub const TRAFFIC: u64 = 1;
    pub const BURST: u64 = 2;
    pub const VARIANT: u64 = 3;
    pub const DURATION: u64 = 4;
    pub const INVOKE: u64 = 5;
    pub const NOISE: u64 = 6;
    pub const ID: u64 = 7;
    pub const FLEET: u64 = 8;
    pub const COLD: u64 = 9;
}

/// A uuid-shaped (version 4 layout) id from a hash.
pub(crate) fn uuid(parts: &[u64]) -> String {
    let a = mix(parts);
    let b = splitmix(a ^ 0x5bd1_e995);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        (a & 0x0fff) as u16,
        ((b >> 48) as u16 & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// Upper-case hex of a hash, `len` digits.
pub(crate) fn hex_upper(parts: &[u64], len: usize) -> String {
    let s = format!("{:016X}", mix(parts));
    s[..len.min(16)].to_string()
}

pub(crate) fn endpoint_arn(name: &str) -> String {
    format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint/{name}")
}

pub(crate) fn to_ms(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

pub(crate) fn from_ms(ms: i64) -> Timestamp {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

pub(crate) fn minute_of(ms: i64) -> i64 {
    ms.div_euclid(MINUTE_MS)
}

/// `2026-03-02T14:00:00Z`, CloudTrail's eventTime format.
pub(crate) fn iso(ms: i64) -> String {
    from_ms(ms).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_uuid_shaped_and_stable() {
        let a = uuid(&[1, 2, 3]);
        assert_eq!(a.len(), 36);
        assert_eq!(a, uuid(&[1, 2, 3]));
        assert_ne!(a, uuid(&[1, 2, 4]));
        assert_eq!(&a[14..15], "4");
    }

    #[test]
    fn poisson_mean_is_close() {
        let mut r = Fast::new(&[7]);
        let n = 4000;
        let mean: f64 = (0..n).map(|_| r.poisson(4.0)).sum::<f64>() / n as f64;
        assert!((mean - 4.0).abs() < 0.3, "{mean}");
    }
}
