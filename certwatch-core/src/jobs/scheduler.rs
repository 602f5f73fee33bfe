//! Periodic schedules. Every tick enqueues, for each schedule, the job of
//! the current slot (`floor(now / every)`) with the dedupe key
//! `periodic:<kind>:<slot start>`: however many schedulers run, and however
//! often they restart, each slot's job is enqueued once.

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::kinds;
use super::runtime::{JobSpec, DEFAULT_MAX_ATTEMPTS};
use crate::{CertWatch, Result};

/// One periodic job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The job kind.
    pub kind: String,
    /// The period (at least one second).
    pub every: Duration,
}

impl Schedule {
    /// Runs `kind` every `every`.
    pub fn every(kind: impl Into<String>, every: Duration) -> Self {
        Self { kind: kind.into(), every }
    }

    /// The start of the slot `now` falls in.
    pub fn slot_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let period = self.every.num_seconds().max(1);
        let t = now.timestamp();
        DateTime::from_timestamp(t - t.rem_euclid(period), 0).unwrap_or(now)
    }
}

/// Tunables of the [`Scheduler`].
#[derive(Debug, Clone)]
pub struct SchedulerConfig {
    /// The periodic jobs.
    pub schedules: Vec<Schedule>,
    /// How often the scheduler looks at the clock.
    pub tick: std::time::Duration,
}

impl Default for SchedulerConfig {
    /// The reaper every minute, plus the built-in periodic work.
    fn default() -> Self {
        Self { schedules: kinds::default_schedules(), tick: std::time::Duration::from_secs(5) }
    }
}

/// Enqueues periodic jobs.
#[derive(Debug, Clone)]
pub struct Scheduler {
    app: CertWatch,
    config: SchedulerConfig,
}

impl Scheduler {
    /// A scheduler over `app`.
    pub fn new(app: CertWatch, config: SchedulerConfig) -> Self {
        Self { app, config }
    }

    /// Enqueues the current slot's job of every schedule; returns how many
    /// were new.
    pub async fn tick(&self) -> Result<usize> {
        let now = self.app.clock().now();
        let mut added = 0;
        for s in &self.config.schedules {
            let slot = s.slot_start(now);
            let spec = JobSpec::new(s.kind.clone(), None, json!({"slot": slot}))
                .with_dedupe_key(format!("periodic:{}:{}", s.kind, slot.timestamp()))
                .with_max_attempts(DEFAULT_MAX_ATTEMPTS);
            if self.app.jobs().enqueue(spec).await? {
                added += 1;
            }
        }
        Ok(added)
    }

    /// Ticks until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        tracing::info!(schedules = self.config.schedules.len(), "scheduler started");
        loop {
            if let Err(e) = self.tick().await {
                tracing::error!(error = %e, "scheduling periodic jobs failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(self.config.tick) => {}
            }
        }
        tracing::info!("scheduler stopped");
    }
}
