//! Durable, at-least-once background jobs in our own store.
//!
//! * [`enqueue_in`] adds a job inside the caller's transaction, so a change
//!   and the work it causes commit together (or not at all);
//! * a [`Worker`] claims due jobs with a lease, extends the lease while the
//!   handler runs, records success, retries with exponential backoff, or
//!   buries the job as dead after its last attempt; dead jobs stay visible
//!   and can be retried ([`JobsService::retry_dead`]);
//! * the reaper ([`JobsService::reap_expired_leases`], also the periodic
//!   `reap_leases` job) queues again the jobs of workers that died;
//! * the [`Scheduler`] enqueues periodic jobs once per slot, however many
//!   schedulers run;
//! * the request id travels in the job row onto the job's tracing span.

pub mod kinds;
pub mod model;
pub mod runtime;
pub mod scheduler;

pub use model::{Job, JobId, JobStatus, NewJob, QueueStats};
pub use runtime::{
    enqueue_at_commit, enqueue_in, JobContext, JobError, JobHandler, JobObserver, JobSpec, JobsService, Outcome,
    Worker, WorkerConfig, DEFAULT_MAX_ATTEMPTS,
};
pub use scheduler::{Schedule, Scheduler, SchedulerConfig};
