//! Retry with exponential backoff, a cap and jitter from an injected
//! source, shared by webhook deliveries and background jobs.

use std::time::Duration;

/// A source of jitter: values in `[0, 1)`.
pub trait JitterSource: Send + Sync {
    /// The next sample in `[0, 1)`.
    fn sample(&self) -> f64;
}

/// Random jitter (the default).
#[derive(Debug, Default, Clone, Copy)]
pub struct RandomJitter;

impl JitterSource for RandomJitter {
    fn sample(&self) -> f64 {
        rand::random::<f64>()
    }
}

/// A fixed jitter sample, for tests (`FixedJitter(0.0)`: none).
#[derive(Debug, Default, Clone, Copy)]
pub struct FixedJitter(pub f64);

impl JitterSource for FixedJitter {
    fn sample(&self) -> f64 {
        self.0
    }
}

/// How often and how late to retry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts, the first included (at least 1).
    pub max_attempts: u32,
    /// Delay before the second attempt.
    pub base_delay: Duration,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
    /// Fraction of the delay added at random: delay × (1 + jitter × sample).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    /// 8 attempts, 30 s doubling up to 1 h, 20 % jitter.
    fn default() -> Self {
        Self { max_attempts: 8, base_delay: Duration::from_secs(30), max_delay: Duration::from_secs(3600), jitter: 0.2 }
    }
}

impl RetryPolicy {
    /// Whether an attempt numbered `attempts_made` (1 = first) may be
    /// followed by another.
    pub fn should_retry(&self, attempts_made: u32) -> bool {
        attempts_made < self.max_attempts.max(1)
    }

    /// The delay after the failed attempt number `attempt` (1 = first):
    /// `min(max_delay, base × 2^(attempt-1) × (1 + jitter × sample))`.
    /// For a fixed sample it never decreases with `attempt` and never exceeds
    /// `max_delay`.
    pub fn delay(&self, attempt: u32, jitter: &dyn JitterSource) -> Duration {
        let exp = attempt.saturating_sub(1).min(62);
        let base = self.base_delay.as_secs_f64() * 2f64.powi(i32::try_from(exp).unwrap_or(62));
        let sample = jitter.sample().clamp(0.0, 1.0);
        let d = base * (1.0 + self.jitter.clamp(0.0, 1.0) * sample);
        let cap = self.max_delay.as_secs_f64();
        if d.is_finite() && d < cap {
            Duration::from_secs_f64(d)
        } else {
            self.max_delay
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn doubles_then_caps() {
        let p = RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_secs(10),
            max_delay: Duration::from_secs(60),
            jitter: 0.5,
        };
        let none = FixedJitter(0.0);
        let d: Vec<u64> = (1..=5).map(|a| p.delay(a, &none).as_secs()).collect();
        assert_eq!(d, [10, 20, 40, 60, 60]);
        assert_eq!(p.delay(1, &FixedJitter(0.5)), Duration::from_secs_f64(12.5));
        assert!(p.should_retry(4) && !p.should_retry(5));
    }

    proptest! {
        #[test]
        fn monotone_for_a_fixed_sample_and_capped(
            base_ms in 1u64..100_000,
            cap_ms in 1u64..10_000_000,
            jitter in 0.0f64..1.0,
            sample in 0.0f64..1.0,
            a in 0u32..200,
            b in 0u32..200,
        ) {
            let p = RetryPolicy {
                max_attempts: 10,
                base_delay: Duration::from_millis(base_ms),
                max_delay: Duration::from_millis(cap_ms),
                jitter,
            };
            let j = FixedJitter(sample);
            let (lo, hi) = (a.min(b), a.max(b));
            prop_assert!(p.delay(lo, &j) <= p.delay(hi, &j));
            prop_assert!(p.delay(hi, &j) <= p.max_delay);
            // Jitter only ever adds, up to the fraction.
            prop_assert!(p.delay(hi, &FixedJitter(0.0)) <= p.delay(hi, &j));
        }
    }
}
