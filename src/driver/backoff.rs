//! Capped, full-jitter exponential backoff for reconnecting to a master.

use std::time::Duration;

/// Delays `uniform(0, min(cap, base * 2^n))`, floored at `base / 2` so retries never spin.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
}

impl Backoff {
    /// A backoff starting around `base` and never exceeding `cap`.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Backoff {
            base,
            cap: cap.max(base),
            attempt: 0,
        }
    }

    /// The delay before the next attempt; each call widens the window up to the cap.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.attempt.min(20);
        self.attempt = self.attempt.saturating_add(1);
        let ceiling = self.base.saturating_mul(1u32 << exp).min(self.cap);
        let floor = (self.base / 2).min(ceiling);
        let span = ceiling.saturating_sub(floor);
        floor + span.mul_f64(fastrand::f64())
    }

    /// The upper bound of the next delay (for tests and reporting).
    pub fn ceiling(&self) -> Duration {
        self.base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.cap)
    }

    /// Start over (after a successful subscription).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_and_stays_under_the_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(2);
        let mut b = Backoff::new(base, cap);
        let mut ceilings = vec![];
        for _ in 0..40 {
            let ceiling = b.ceiling();
            let d = b.next_delay();
            assert!(d <= ceiling && d <= cap && d >= base / 2, "{d:?}");
            ceilings.push(ceiling);
        }
        assert_eq!(ceilings[0], base);
        assert_eq!(ceilings[1], base * 2);
        assert_eq!(*ceilings.last().unwrap(), cap);
        b.reset();
        assert_eq!(b.ceiling(), base);
    }
}
