//! Exponential backoff with jitter, for reconnects (`reconnect.backoff.ms`) and retries
//! (`retry.backoff.ms`, KIP-580 / KIP-144).
//!
//! The jitter source is a small seedable generator so tests can reproduce exact delays.

use std::sync::Mutex;
use std::time::Duration;

/// Relative jitter applied to every delay: the result lies within ±20% of the nominal value
/// (as in the Java client).
pub const JITTER: f64 = 0.2;

/// An exponential backoff schedule: `initial * 2^attempt`, capped at `max`, with ±20%
/// jitter (never above `max`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Delay after the first failure.
    pub initial: Duration,
    /// Cap.
    pub max: Duration,
}

impl Backoff {
    /// A schedule from `initial` doubling up to `max`.
    pub const fn new(initial: Duration, max: Duration) -> Self {
        Self { initial, max }
    }

    /// The nominal (un-jittered) delay after `failures` consecutive failures (1 = first).
    pub fn nominal(&self, failures: u32) -> Duration {
        let exp = failures.saturating_sub(1).min(31);
        let factor = 1u32 << exp;
        self.initial.checked_mul(factor).unwrap_or(self.max).min(self.max)
    }

    /// The delay after `failures` consecutive failures, jittered with `rng`.
    pub fn delay(&self, failures: u32, rng: &Jitter) -> Duration {
        let nominal = self.nominal(failures).as_secs_f64();
        let factor = 1.0 - JITTER + 2.0 * JITTER * rng.next_unit();
        Duration::from_secs_f64(nominal * factor).min(self.max)
    }
}

/// A seedable pseudo-random source for jitter (xorshift64*); not for cryptography.
#[derive(Debug)]
pub struct Jitter {
    state: Mutex<u64>,
}

impl Jitter {
    /// A generator with a fixed seed (reproducible).
    pub fn seeded(seed: u64) -> Self {
        // Zero is a fixed point of xorshift; mix the seed so every seed works.
        Self { state: Mutex::new(splitmix(seed) | 1) }
    }

    /// A generator seeded from the clock and the address of a stack value.
    pub fn from_entropy() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let local = 0u8;
        Self::seeded(nanos ^ (std::ptr::addr_of!(local) as u64))
    }

    /// A uniform value in `[0, 1)`.
    pub fn next_unit(&self) -> f64 {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        let out = x.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (out >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_with_bounded_jitter() {
        let b = Backoff::new(Duration::from_millis(50), Duration::from_millis(1000));
        let nominal: Vec<u128> = (1..=7).map(|n| b.nominal(n).as_millis()).collect();
        assert_eq!(nominal, [50, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.nominal(u32::MAX), Duration::from_millis(1000));
        let rng = Jitter::seeded(7);
        for failures in 1..=10 {
            let d = b.delay(failures, &rng);
            let n = b.nominal(failures).as_secs_f64();
            assert!(d.as_secs_f64() >= n * 0.8 - 1e-9 && d <= b.max, "{failures}: {d:?}");
        }
    }

    #[test]
    fn seeded_jitter_is_reproducible() {
        let (a, b) = (Jitter::seeded(42), Jitter::seeded(42));
        let xs: Vec<f64> = (0..5).map(|_| a.next_unit()).collect();
        let ys: Vec<f64> = (0..5).map(|_| b.next_unit()).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        assert_ne!(xs[0], xs[1]);
    }
}
