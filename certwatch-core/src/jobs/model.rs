//! Job rows: what is stored for each background job.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::TenantId;
use crate::webhooks::model::webhook_id_type;

webhook_id_type!(
    /// A background job.
    JobId
);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`, then for a worker.
    Queued,
    /// Claimed by a worker whose lease has not run out.
    Running,
    /// Done.
    Succeeded,
    /// Failed every attempt (or could not run at all): kept for operators,
    /// who may retry it.
    Dead,
}

impl JobStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Dead => "dead",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "queued" => Some(Self::Queued),
            "running" => Some(Self::Running),
            "succeeded" => Some(Self::Succeeded),
            "dead" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// Primary key.
    pub id: JobId,
    /// The tenant the job works for; `None` for system jobs.
    pub tenant_id: Option<TenantId>,
    /// The job kind's name (see `JobKind`).
    pub kind: String,
    /// The kind's arguments.
    pub payload: Value,
    /// Attempts before the job is dead (at least 1).
    pub max_attempts: u32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// The request that caused the job, carried into its logs.
    pub request_id: Option<String>,
    /// Enqueueing a second job with the same key does nothing.
    pub dedupe_key: Option<String>,
    /// Enqueued at.
    pub created_at: DateTime<Utc>,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// Primary key.
    pub id: JobId,
    /// The tenant the job works for; `None` for system jobs.
    pub tenant_id: Option<TenantId>,
    /// The job kind's name.
    pub kind: String,
    /// The kind's arguments.
    pub payload: Value,
    /// Where it is.
    pub status: JobStatus,
    /// Attempts started so far (a claim counts one).
    pub attempts: u32,
    /// Attempts before the job is dead.
    pub max_attempts: u32,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// While running: the lease's end; past it, the job may be reclaimed.
    pub lease_until: Option<DateTime<Utc>>,
    /// While running: the worker holding the lease.
    pub locked_by: Option<String>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The request that caused the job.
    pub request_id: Option<String>,
    /// The idempotency key, if any.
    pub dedupe_key: Option<String>,
    /// Enqueued at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it succeeded or died.
    pub finished_at: Option<DateTime<Utc>>,
}

/// The queue at a glance (operators, metrics, health): read from the
/// shared database, so every process reports the same queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    /// Jobs per status name (`queued`, `running`, `succeeded`, `dead`).
    pub by_status: std::collections::BTreeMap<String, u64>,
    /// Queued jobs whose `run_at` has come.
    pub due: u64,
    /// The `run_at` of the oldest due job, if any.
    pub oldest_due_at: Option<DateTime<Utc>>,
}
