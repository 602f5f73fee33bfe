//! The job runtime: enqueueing, the [`Worker`] that claims jobs with a
//! lease and runs their handlers, and the operator functions.
//!
//! At-least-once: a job is claimed with a lease (`lease_until`), its lease
//! is extended while the handler runs (heartbeat), and its outcome is
//! recorded only if the worker still holds it. A worker that dies leaves a
//! running job whose lease runs out; the reaper queues it again (or buries
//! it when it used every attempt), and another worker runs it. Handlers must
//! therefore be idempotent.

use std::collections::HashMap;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::model::{Job, JobId, JobStatus, NewJob};
use crate::authz::{authorize, Action, Principal};
use crate::ids::TenantId;
use crate::ports::{Scope, Tx};
use crate::webhooks::{JitterSource, RandomJitter, RetryPolicy};
use crate::{CertWatch, Error, Result};

/// What a job handler reports when it fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// A transient failure: retried with backoff until the attempts run out.
    #[error("{0}")]
    Retry(String),
    /// A failure no retry can fix: the job is dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<Error> for JobError {
    fn from(e: Error) -> Self {
        match e {
            Error::Store(s) => JobError::Retry(s.to_string()),
            other => JobError::Permanent(other.to_string()),
        }
    }
}

impl From<crate::ports::StoreError> for JobError {
    fn from(e: crate::ports::StoreError) -> Self {
        JobError::Retry(e.to_string())
    }
}

/// What a handler gets besides the job.
#[derive(Clone)]
pub struct JobContext {
    /// The core.
    pub app: CertWatch,
    /// The worker running the job.
    pub worker_id: Arc<str>,
    /// Cancelled when the worker is shutting down and the grace period ran
    /// out; long handlers may stop early (the job is then released).
    pub shutdown: CancellationToken,
}

/// Runs jobs of one kind. Must be idempotent: a job may run more than once.
#[async_trait]
pub trait JobHandler: Send + Sync {
    /// Runs `job`.
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError>;
}

/// A job to enqueue: the kind and its arguments, plus what the runtime
/// needs. Build with [`JobSpec::new`] and the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct JobSpec {
    /// The kind's name.
    pub kind: String,
    /// The tenant; `None` for system jobs.
    pub tenant_id: Option<TenantId>,
    /// The kind's arguments.
    pub payload: Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Idempotency key: a second enqueue with the same key does nothing.
    pub dedupe_key: Option<String>,
    /// Not before (default: now).
    pub run_at: Option<DateTime<Utc>>,
    /// Attempts before dead (default: the job policy's).
    pub max_attempts: Option<u32>,
}

impl JobSpec {
    /// A job of `kind` with `payload`, for `tenant` (or the system).
    pub fn new(kind: impl Into<String>, tenant_id: Option<TenantId>, payload: Value) -> Self {
        Self {
            kind: kind.into(),
            tenant_id,
            payload,
            request_id: None,
            dedupe_key: None,
            run_at: None,
            max_attempts: None,
        }
    }
    /// With the request id that caused it.
    pub fn with_request_id(mut self, id: Option<String>) -> Self {
        self.request_id = id;
        self
    }
    /// With an idempotency key.
    pub fn with_dedupe_key(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }
    /// Not before `at`.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }
    /// With a maximum number of attempts.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }
}

/// The default attempts of a job.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 5;

/// Enqueues `spec` inside `tx`, so it commits (or vanishes) with the change
/// that caused it. False when a job with the same dedupe key exists.
pub async fn enqueue_in(app: &CertWatch, tx: &mut dyn Tx, spec: JobSpec) -> Result<bool> {
    Ok(tx.enqueue_job(&new_job(app, spec)).await?)
}

/// Enqueues `spec` as the last statement of `tx`, just before it commits
/// (see [`crate::ports::JobRepo::enqueue_job_at_commit`]): for jobs whose
/// dedupe key concurrent transactions share.
pub fn enqueue_at_commit(app: &CertWatch, tx: &mut dyn Tx, spec: JobSpec) -> Result<()> {
    Ok(tx.enqueue_job_at_commit(new_job(app, spec))?)
}

/// The row of `spec` as of now.
fn new_job(app: &CertWatch, spec: JobSpec) -> NewJob {
    let now = app.clock().now();
    NewJob {
        id: app.new_id(),
        tenant_id: spec.tenant_id,
        kind: spec.kind,
        payload: spec.payload,
        max_attempts: spec.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS),
        run_at: spec.run_at.unwrap_or(now),
        request_id: spec.request_id,
        dedupe_key: spec.dedupe_key,
        created_at: now,
    }
}

/// Jobs for callers and operators: enqueue in a transaction of its own,
/// list and retry dead jobs, reap expired leases.
#[derive(Debug, Clone, Copy)]
pub struct JobsService<'a> {
    app: &'a CertWatch,
}

impl<'a> JobsService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    /// Enqueues `spec` in a transaction of its own (tenant scope for tenant
    /// jobs, system scope for system jobs).
    pub async fn enqueue(&self, spec: JobSpec) -> Result<bool> {
        let scope = spec.tenant_id.map_or(Scope::System, Scope::Tenant);
        let mut tx = self.app.store().begin(scope).await?;
        let added = enqueue_in(self.app, tx.as_mut(), spec).await?;
        tx.commit().await?;
        if added {
            self.app.wake_workers();
        }
        Ok(added)
    }

    /// Dead jobs, most recent first (operators only).
    pub async fn list_dead(&self, p: &Principal, limit: u32) -> Result<Vec<Job>> {
        authorize(p, Action::OperateSystem)?;
        self.list(JobStatus::Dead, limit).await
    }

    /// Jobs in `status`, most recent first (no permission check: for hosts
    /// and tests that already decided).
    pub async fn list(&self, status: JobStatus, limit: u32) -> Result<Vec<Job>> {
        let mut tx = self.app.store().begin(Scope::System).await?;
        Ok(tx.list_jobs(status, limit.clamp(1, 1000)).await?)
    }

    /// The queue at a glance (no permission check: for metrics, health and
    /// operator status, which decide who sees it).
    pub async fn queue_stats(&self) -> Result<super::model::QueueStats> {
        let mut tx = self.app.store().begin(Scope::System).await?;
        Ok(tx.job_queue_stats(self.app.clock().now()).await?)
    }

    /// One job (no permission check).
    pub async fn get(&self, id: JobId) -> Result<Job> {
        let mut tx = self.app.store().begin(Scope::System).await?;
        tx.get_job(id).await?.ok_or_else(|| Error::not_found("job"))
    }

    /// Queues a dead job again with fresh attempts (operators only).
    /// Conflict when the job is not dead.
    pub async fn retry_dead(&self, p: &Principal, id: JobId) -> Result<()> {
        authorize(p, Action::OperateSystem)?;
        let mut tx = self.app.store().begin(Scope::System).await?;
        if tx.get_job(id).await?.is_none() {
            return Err(Error::not_found("job"));
        }
        if !tx.requeue_dead_job(id, self.app.clock().now()).await? {
            return Err(Error::conflict("only dead jobs can be retried"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Deletes succeeded jobs finished more than `retention` ago (dead jobs
    /// stay); returns how many.
    pub async fn purge_succeeded(&self, retention: Duration) -> Result<u64> {
        let before = self.app.clock().now() - retention;
        let mut total = 0;
        loop {
            let mut tx = self.app.store().begin(Scope::System).await?;
            let n = tx.purge_succeeded_jobs(before, 1000).await?;
            tx.commit().await?;
            total += n;
            if n < 1000 {
                return Ok(total);
            }
        }
    }

    /// Queues again (or buries) running jobs whose lease ran out.
    pub async fn reap_expired_leases(&self) -> Result<u64> {
        let mut tx = self.app.store().begin(Scope::System).await?;
        let n = tx.reap_expired_leases(self.app.clock().now()).await?;
        tx.commit().await?;
        if n > 0 {
            tracing::warn!(jobs = n, "re-queued jobs whose worker stopped without finishing");
        }
        Ok(n)
    }
}

/// Tunables of a [`Worker`].
#[derive(Clone)]
pub struct WorkerConfig {
    /// This worker's name in `locked_by` (unique per process).
    pub worker_id: String,
    /// Jobs run at the same time.
    pub concurrency: usize,
    /// How long a claim is valid without a heartbeat.
    pub lease: Duration,
    /// How often a running job's lease is extended.
    pub heartbeat: std::time::Duration,
    /// How long to sleep when there was nothing to do.
    pub poll_interval: std::time::Duration,
    /// On shutdown, how long to wait for running jobs before releasing them.
    pub shutdown_grace: std::time::Duration,
    /// Backoff between attempts of a failed job.
    pub retry: RetryPolicy,
    /// Jitter of the backoff.
    pub jitter: Arc<dyn JitterSource>,
    /// How webhook deliveries are sent (HTTP port, timeout, retry cap).
    pub webhooks: crate::webhooks::DeliveryConfig,
    /// Told of every finished run (metrics).
    pub observer: Option<Arc<dyn JobObserver>>,
    /// Fetches certificate documents for `hash_document`.
    pub documents: Arc<dyn crate::ports::DocumentFetcher>,
    /// The file store and OCR engine of bulk-upload processing.
    pub bulk_upload: crate::bulk_upload::ProcessingPorts,
    /// Fetcher, extractor, limits and concurrency of the monitoring jobs.
    pub monitoring: crate::monitoring::MonitoringConfig,
}

/// Hears how each job run ended and how long it took (the host's metrics).
pub trait JobObserver: Send + Sync {
    /// A run of a job of `kind` ended with `outcome` after `elapsed`.
    fn job_finished(&self, kind: &str, outcome: &Outcome, elapsed: std::time::Duration);
}

impl std::fmt::Debug for WorkerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkerConfig")
            .field("worker_id", &self.worker_id)
            .field("concurrency", &self.concurrency)
            .field("lease", &self.lease)
            .finish_non_exhaustive()
    }
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            worker_id: format!("worker-{}", uuid::Uuid::new_v4().simple()),
            concurrency: 4,
            lease: Duration::seconds(60),
            heartbeat: std::time::Duration::from_secs(20),
            poll_interval: std::time::Duration::from_secs(1),
            shutdown_grace: std::time::Duration::from_secs(30),
            retry: RetryPolicy {
                max_attempts: DEFAULT_MAX_ATTEMPTS,
                base_delay: std::time::Duration::from_secs(10),
                max_delay: std::time::Duration::from_secs(3600),
                jitter: 0.2,
            },
            jitter: Arc::new(RandomJitter),
            webhooks: crate::webhooks::DeliveryConfig::default(),
            observer: None,
            documents: Arc::new(crate::certificates::documents::ReqwestDocumentFetcher::default()),
            bulk_upload: crate::bulk_upload::ProcessingPorts::default(),
            monitoring: crate::monitoring::MonitoringConfig::default(),
        }
    }
}

/// Claims jobs and runs their handlers.
#[derive(Clone)]
pub struct Worker {
    app: CertWatch,
    config: WorkerConfig,
    handlers: Arc<HashMap<String, Arc<dyn JobHandler>>>,
    /// While [`Worker::run`] runs: where successes go to be recorded in
    /// batches (see [`complete_in_batches`]). `None` for one-shot use, which
    /// records each success in its own transaction.
    completions: Option<mpsc::UnboundedSender<Completion>>,
}

/// A success waiting to be recorded, and who wants to know whether the
/// worker still held the job.
type Completion = (JobId, oneshot::Sender<bool>);

/// Successes recorded in one transaction at most.
const COMPLETION_BATCH: usize = 256;

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("config", &self.config).finish_non_exhaustive()
    }
}

/// What one run of a job came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Succeeded.
    Succeeded,
    /// Failed; queued again for a later attempt.
    Retried,
    /// Failed for good: dead.
    Dead,
    /// Given back unfinished (shutdown).
    Released,
    /// Another worker holds the job now (this worker's lease ran out).
    LostLease,
}

impl Outcome {
    /// A label for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Succeeded => "succeeded",
            Outcome::Retried => "retried",
            Outcome::Dead => "dead",
            Outcome::Released => "released",
            Outcome::LostLease => "lost_lease",
        }
    }
}

impl Worker {
    /// A worker with the built-in job kinds (see [`super::kinds`]).
    pub fn new(app: CertWatch, config: WorkerConfig) -> Self {
        let builtin = super::kinds::builtin_handlers(&config);
        let mut w = Self { app, config, handlers: Arc::new(HashMap::new()), completions: None };
        for (kind, h) in builtin {
            w = w.with_handler(kind, h);
        }
        w
    }

    /// Adds (or replaces) the handler of `kind`.
    pub fn with_handler(mut self, kind: impl Into<String>, handler: Arc<dyn JobHandler>) -> Self {
        Arc::make_mut(&mut self.handlers).insert(kind.into(), handler);
        self
    }

    /// The worker's id.
    pub fn id(&self) -> &str {
        &self.config.worker_id
    }

    /// The core this worker runs jobs against.
    pub fn core(&self) -> &CertWatch {
        &self.app
    }

    /// Claims up to `limit` due jobs (at the clock's now), with a lease.
    pub async fn claim(&self, limit: u32) -> Result<Vec<Job>> {
        let now = self.app.clock().now();
        let mut tx = self.app.store().begin(Scope::System).await?;
        let jobs = tx.claim_jobs(&self.config.worker_id, now, now + self.config.lease, limit).await?;
        tx.commit().await?;
        Ok(jobs)
    }

    /// Claims what is due now (up to the concurrency) and runs it to the
    /// end, concurrently; returns the outcomes. For tests, embedders and
    /// one-shot hosts; [`Worker::run`] loops over the same steps.
    pub async fn run_once(&self) -> Result<Vec<(JobId, Outcome)>> {
        let jobs = self.claim(u32::try_from(self.config.concurrency.max(1)).unwrap_or(1)).await?;
        let mut set = JoinSet::new();
        for job in jobs {
            let w = self.clone();
            set.spawn(async move {
                let id = job.id;
                (id, w.execute(job, CancellationToken::new()).await)
            });
        }
        let mut out = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok((id, o)) = r {
                out.push((id, o?));
            }
        }
        Ok(out)
    }

    /// Runs until `shutdown` is cancelled: claims while there is capacity,
    /// runs each job on its own task with a heartbeat. On shutdown it stops
    /// claiming, waits up to `shutdown_grace` for running jobs, then
    /// cancels the rest and releases their leases so another worker takes
    /// them at once.
    pub async fn run(mut self, shutdown: CancellationToken) {
        let hard_stop = CancellationToken::new();
        let mut set: JoinSet<()> = JoinSet::new();
        let (completions, pending) = mpsc::unbounded_channel();
        self.completions = Some(completions);
        let completer = tokio::spawn(complete_in_batches(self.app.clone(), self.config.worker_id.clone(), pending));
        tracing::info!(worker = %self.config.worker_id, "worker started");
        let signal = self.app.job_signal().clone();
        while !shutdown.is_cancelled() {
            // Registered before claiming, so a job committed while this
            // claim runs still wakes the wait below.
            let woken = signal.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let free = self.config.concurrency.max(1).saturating_sub(set.len());
            let mut claimed = 0;
            if free > 0 {
                match self.claim(u32::try_from(free).unwrap_or(1)).await {
                    Ok(jobs) => {
                        claimed = jobs.len();
                        for job in jobs {
                            let w = self.clone();
                            let stop = hard_stop.clone();
                            set.spawn(async move {
                                if let Err(e) = w.execute(job, stop).await {
                                    tracing::error!(error = %e, "recording a job's outcome failed");
                                }
                            });
                        }
                    }
                    Err(e) => tracing::error!(error = %e, "claiming jobs failed"),
                }
            }
            if claimed == 0 || set.len() >= self.config.concurrency.max(1) {
                tokio::select! {
                    () = shutdown.cancelled() => {}
                    () = tokio::time::sleep(self.config.poll_interval) => {}
                    () = &mut woken => {}
                    Some(_) = set.join_next(), if !set.is_empty() => {}
                }
            }
            while set.try_join_next().is_some() {}
        }
        tracing::info!(worker = %self.config.worker_id, running = set.len(), "worker stopping");
        let drained =
            tokio::time::timeout(self.config.shutdown_grace, async { while set.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            // Handlers see the cancellation and their jobs are released.
            hard_stop.cancel();
            while set.join_next().await.is_some() {}
        }
        // Every job task has ended, so every success is queued; dropping the
        // last sender lets the completer record them and finish.
        drop(self.completions.take());
        let _ = completer.await;
        tracing::info!(worker = %self.config.worker_id, "worker stopped");
    }

    /// Runs one claimed job: handler with heartbeat, then records the
    /// outcome if this worker still holds the job.
    pub async fn execute(&self, job: Job, stop: CancellationToken) -> Result<Outcome> {
        let span = tracing::info_span!(
            "job",
            job_id = %job.id,
            kind = %job.kind,
            attempt = job.attempts,
            tenant_id = job.tenant_id.map(|t| t.to_string()).unwrap_or_default(),
            request_id = job.request_id.as_deref().unwrap_or(""),
        );
        let started = tokio::time::Instant::now();
        let kind = job.kind.clone();
        let result = self.execute_inner(job, stop).instrument(span).await;
        if let (Some(o), Ok(outcome)) = (&self.config.observer, &result) {
            o.job_finished(&kind, outcome, started.elapsed());
        }
        result
    }

    async fn execute_inner(&self, job: Job, stop: CancellationToken) -> Result<Outcome> {
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            tracing::error!("no handler for this job kind");
            return self.record(&job, Err(JobError::Permanent(format!("unknown job kind {:?}", job.kind)))).await;
        };
        let ctx = JobContext {
            app: self.app.clone(),
            worker_id: Arc::from(self.config.worker_id.as_str()),
            shutdown: stop.clone(),
        };
        let run = {
            let job = job.clone();
            // Its own task, so a panicking handler is an error, not a dead worker.
            tokio::spawn(async move { handler.run(&ctx, &job).await }.in_current_span())
        };
        let abort = run.abort_handle();
        let mut run = std::pin::pin!(run);
        let mut beat = tokio::time::interval(self.config.heartbeat);
        beat.tick().await;
        let result = loop {
            tokio::select! {
                // Shutdown first: a handler that stops because of it is unfinished.
                biased;
                () = stop.cancelled() => { abort.abort(); break None; }
                r = &mut run => break Some(r),
                _ = beat.tick() => {
                    if !self.heartbeat(job.id).await {
                        tracing::warn!("lost the lease while running; stopping the handler");
                        abort.abort();
                        return Ok(Outcome::LostLease);
                    }
                }
            }
        };
        match result {
            None => {
                let mut tx = self.app.store().begin(Scope::System).await?;
                let released = tx.release_job(job.id, &self.config.worker_id, self.app.clock().now()).await?;
                tx.commit().await?;
                tracing::info!("released unfinished at shutdown");
                Ok(if released { Outcome::Released } else { Outcome::LostLease })
            }
            Some(Ok(r)) => self.record(&job, r).await,
            Some(Err(join)) => self.record(&job, Err(JobError::Retry(format!("handler panicked: {join}")))).await,
        }
    }

    async fn heartbeat(&self, id: JobId) -> bool {
        let now = self.app.clock().now();
        let Ok(mut tx) = self.app.store().begin(Scope::System).await else { return true };
        match tx.extend_job_lease(id, &self.config.worker_id, now + self.config.lease, now).await {
            Ok(held) => {
                let _ = tx.commit().await;
                held
            }
            Err(_) => true,
        }
    }

    async fn record(&self, job: &Job, result: Result<(), JobError>) -> Result<Outcome> {
        let now = self.app.clock().now();
        let me = self.config.worker_id.as_str();
        if result.is_ok() {
            if let Some(completions) = &self.completions {
                let (reply, held) = oneshot::channel();
                if completions.send((job.id, reply)).is_ok() {
                    // A batch that failed drops its replies: record this
                    // success on its own below, which reports the error.
                    if let Ok(held) = held.await {
                        return Ok(if held { Outcome::Succeeded } else { Outcome::LostLease });
                    }
                }
            }
        }
        let mut tx = self.app.store().begin(Scope::System).await?;
        let (held, outcome) = match result {
            Ok(()) => (tx.complete_job(job.id, me, now).await?, Outcome::Succeeded),
            Err(JobError::Retry(e)) if job.attempts < job.max_attempts => {
                let delay = self.config.retry.delay(job.attempts, self.config.jitter.as_ref());
                let at = now + Duration::from_std(delay).unwrap_or(Duration::hours(1));
                tracing::warn!(error = %e, retry_at = %at, "job failed; will retry");
                (tx.retry_job(job.id, me, at, &e, now).await?, Outcome::Retried)
            }
            Err(JobError::Retry(e) | JobError::Permanent(e)) => {
                tracing::error!(error = %e, "job failed for good; dead");
                (tx.bury_job(job.id, me, &e, now).await?, Outcome::Dead)
            }
        };
        tx.commit().await?;
        Ok(if held { outcome } else { Outcome::LostLease })
    }
}

/// Records the successes of a running worker in batches: whatever arrived
/// while the previous batch was being written goes into the next
/// transaction. Short jobs then cost one claim and a share of one
/// completion round trip each, instead of a transaction per job. The reply
/// says whether the worker still held the job; when the batch fails the
/// replies are dropped and each job records itself alone.
async fn complete_in_batches(app: CertWatch, worker_id: String, mut pending: mpsc::UnboundedReceiver<Completion>) {
    let mut batch = Vec::with_capacity(COMPLETION_BATCH);
    while pending.recv_many(&mut batch, COMPLETION_BATCH).await > 0 {
        let ids: Vec<JobId> = batch.iter().map(|(id, _)| *id).collect();
        let now = app.clock().now();
        let written = async {
            let mut tx = app.store().begin(Scope::System).await?;
            let held = tx.complete_jobs(&ids, &worker_id, now).await?;
            tx.commit().await?;
            Ok::<_, Error>(held)
        }
        .await;
        match written {
            Ok(held) => {
                let held: std::collections::HashSet<JobId> = held.into_iter().collect();
                for (id, reply) in batch.drain(..) {
                    let _ = reply.send(held.contains(&id));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, jobs = batch.len(), "recording a batch of successes failed; each job records itself");
                batch.clear();
            }
        }
    }
}
