//! Default implementations of the non-store ports: the system clock, a
//! manual clock for tests and embedders that simulate time, and UUIDv7 ids.

use std::sync::Mutex;

use chrono::{DateTime, Duration, DurationRound, Utc};
use uuid::Uuid;

use crate::ports::{Clock, IdGenerator};

pub use crate::webhooks::http::ReqwestWebhookSender;

/// Truncates to the microsecond, the precision both databases keep, so a
/// value read back equals the value written.
pub fn to_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::microseconds(1)).unwrap_or(t)
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        to_micros(Utc::now())
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock standing at `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(Mutex::new(to_micros(t)))
    }
    /// Moves the clock to `t`.
    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = to_micros(t);
        }
    }
    /// Moves the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += d;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(g) => *g,
            Err(p) => *p.into_inner(),
        }
    }
}

/// Time-ordered UUIDv7 ids: new rows append to the end of primary-key
/// indexes instead of scattering.
#[derive(Debug, Default, Clone, Copy)]
pub struct UuidV7;

impl IdGenerator for UuidV7 {
    fn new_id(&self) -> Uuid {
        Uuid::now_v7()
    }
}
