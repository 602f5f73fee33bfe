//! `JobRepo`: the durable job queue, written once for both backends.
//!
//! Claims are one `UPDATE … WHERE <due ids> RETURNING`, the due ids being
//! the oldest queued jobs read through `jobs_due_idx`. On Postgres that is
//! `id = ANY(ARRAY(SELECT … LIMIT n FOR UPDATE SKIP LOCKED))`, so
//! concurrent workers take disjoint jobs without waiting on each other, and
//! the array makes even the generic plan of the prepared statement fetch
//! those ids through the primary key: with `id IN (SELECT …)` and the
//! limit a parameter, the generic plan hash-joins a sequential scan of the
//! whole table, so every claim cost more the longer the queue was. On
//! SQLite the transaction already holds the write lock (`BEGIN
//! IMMEDIATE`), and `INDEXED BY` keeps the planner on the due index (it
//! preferred the status index and sorted every queued job per claim).
//!
//! Every later state change is conditional on `status = 'running' AND
//! locked_by = <worker>`, so a worker whose lease was reaped can no longer
//! complete or fail a job another worker now runs.

/// Implements `JobRepo` for a transaction type with `tx` and `scope` fields.
/// `due_ids` is what wraps the claim's due-jobs subquery (and the purge's
/// subquery, which takes no index hint): its opening, the index hint after
/// `FROM jobs`, and its closing (with the locking suffix);
/// `relaxed` is the statement (None: none) that readies a worker's
/// bookkeeping transaction (claim, completion): on Postgres it lets the
/// transaction commit without waiting for its WAL flush, and keeps the
/// planner off bitmap scans.
///
/// Why skipping the flush is safe: the queue promises at-least-once. A
/// claim or a completion lost in a database crash only means the job runs
/// again (the claim is undone, or the lease runs out and the reaper
/// re-queues it), and handlers are idempotent. Enqueues stay fully
/// durable: they commit with the business change that caused them. On a
/// disk whose fsync costs milliseconds this is what lets one worker do
/// thousands of short jobs per second instead of hundreds.
///
/// Why no bitmap scans: statistics lag a queue that just filled (a burst
/// after a quiet hour, a fresh database). Estimating a handful of due jobs,
/// the planner read them all through a bitmap scan, which loses the index
/// order, and sorted them to keep 8: every claim cost as much as the queue
/// was long (20 ms at 20,000 jobs). The ordered index scan stops after the
/// first `limit` jobs it can lock, whatever the statistics say.
macro_rules! impl_job_repo {
    ($tx:ty, due_ids = ($open:literal, $hint:literal, $close:literal), relaxed = $relaxed:expr) => {
        impl $tx {
            /// Runs the `relaxed` statement, if the backend has one.
            async fn relax_commit(&mut self) -> R<()> {
                let relaxed: Option<&'static str> = $relaxed;
                if let Some(statement) = relaxed {
                    sqlx::query(statement).execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            fn system_only(&self, what: &str) -> R<()> {
                if self.scope == Scope::System {
                    Ok(())
                } else {
                    Err(StoreError::Refused(format!("{what} needs a system-scope transaction")))
                }
            }
        }

        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::JobRepo for $tx {
            async fn enqueue_job(&mut self, j: &NewJob) -> R<bool> {
                match j.tenant_id {
                    Some(t) => self.check_write(t)?,
                    None => self.system_only("enqueueing a system job")?,
                }
                let max = i32::try_from(j.max_attempts.max(1)).unwrap_or(i32::MAX);
                let done = sqlx::query(
                    "INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, \
                     request_id, dedupe_key, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'queued', 0, $5, $6, $7, $8, $9, $9) \
                     ON CONFLICT (dedupe_key) DO NOTHING",
                )
                .bind(j.id.as_uuid())
                .bind(j.tenant_id.map(|t| t.as_uuid()))
                .bind(j.kind.as_str())
                .bind(Json(&j.payload))
                .bind(max)
                .bind(j.run_at)
                .bind(j.request_id.as_deref())
                .bind(j.dedupe_key.as_deref())
                .bind(j.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            fn enqueue_job_at_commit(&mut self, j: NewJob) -> R<()> {
                match j.tenant_id {
                    Some(t) => self.check_write(t)?,
                    None => self.system_only("enqueueing a system job")?,
                }
                if j.dedupe_key.is_none() || !self.at_commit.iter().any(|d| d.dedupe_key == j.dedupe_key) {
                    self.at_commit.push(j);
                }
                Ok(())
            }

            async fn claim_jobs(
                &mut self,
                worker: &str,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
                limit: u32,
            ) -> R<Vec<Job>> {
                self.system_only("claiming jobs")?;
                self.relax_commit().await?;
                let rows = sqlx::query_as::<_, JobRow>(concat!(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, \
                     locked_by = $2, updated_at = $3 WHERE ",
                    $open,
                    "SELECT id FROM jobs",
                    $hint,
                    " WHERE status = 'queued' AND run_at <= $3 ORDER BY run_at, id LIMIT $4",
                    $close,
                    " RETURNING ",
                    job_columns!()
                ))
                .bind(lease_until)
                .bind(worker)
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                let mut jobs: Vec<Job> = convert_all(rows)?;
                jobs.sort_by(|a, b| (a.run_at, a.id).cmp(&(b.run_at, b.id)));
                Ok(jobs)
            }

            async fn extend_job_lease(
                &mut self,
                id: JobId,
                worker: &str,
                until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> R<bool> {
                self.system_only("extending a lease")?;
                let done = sqlx::query(
                    "UPDATE jobs SET lease_until = $1, updated_at = $2 \
                     WHERE id = $3 AND status = 'running' AND locked_by = $4",
                )
                .bind(until)
                .bind(now)
                .bind(id.as_uuid())
                .bind(worker)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn complete_job(&mut self, id: JobId, worker: &str, now: DateTime<Utc>) -> R<bool> {
                self.system_only("completing a job")?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'succeeded', lease_until = NULL, locked_by = NULL, \
                     updated_at = $1, finished_at = $1 \
                     WHERE id = $2 AND status = 'running' AND locked_by = $3",
                )
                .bind(now)
                .bind(id.as_uuid())
                .bind(worker)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn complete_jobs(&mut self, ids: &[JobId], worker: &str, now: DateTime<Utc>) -> R<Vec<JobId>> {
                self.system_only("completing jobs")?;
                self.relax_commit().await?;
                let mut held = Vec::with_capacity(ids.len());
                // Chunks keep the statement under SQLite's bound-parameter limit.
                // No `status = 'running'` here: `locked_by` is set only while a
                // job runs (every transition out of running clears it), so it
                // already says so, and with the status in the predicate the
                // planner scans every running job through the status index —
                // waiting on other workers' row locks — instead of taking the
                // ids through the primary key.
                for chunk in ids.chunks(500) {
                    let placeholders = (0..chunk.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ");
                    let sql = format!(
                        "UPDATE jobs SET status = 'succeeded', lease_until = NULL, locked_by = NULL, \
                         updated_at = $1, finished_at = $1 \
                         WHERE locked_by = $2 AND id IN ({placeholders}) RETURNING id"
                    );
                    let mut q = sqlx::query_scalar::<_, uuid::Uuid>(&sql).bind(now).bind(worker);
                    for id in chunk {
                        q = q.bind(id.as_uuid());
                    }
                    let done = q.fetch_all(&mut *self.tx).await.db()?;
                    held.extend(done.into_iter().map(JobId::from));
                }
                Ok(held)
            }

            async fn retry_job(
                &mut self,
                id: JobId,
                worker: &str,
                run_at: DateTime<Utc>,
                error: &str,
                now: DateTime<Utc>,
            ) -> R<bool> {
                self.system_only("retrying a job")?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'queued', run_at = $1, last_error = $2, lease_until = NULL, \
                     locked_by = NULL, updated_at = $3 \
                     WHERE id = $4 AND status = 'running' AND locked_by = $5",
                )
                .bind(run_at)
                .bind(error)
                .bind(now)
                .bind(id.as_uuid())
                .bind(worker)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn bury_job(&mut self, id: JobId, worker: &str, error: &str, now: DateTime<Utc>) -> R<bool> {
                self.system_only("burying a job")?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'dead', last_error = $1, lease_until = NULL, locked_by = NULL, \
                     updated_at = $2, finished_at = $2 \
                     WHERE id = $3 AND status = 'running' AND locked_by = $4",
                )
                .bind(error)
                .bind(now)
                .bind(id.as_uuid())
                .bind(worker)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_job(&mut self, id: JobId, worker: &str, now: DateTime<Utc>) -> R<bool> {
                self.system_only("releasing a job")?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'queued', run_at = $1, attempts = attempts - 1, \
                     lease_until = NULL, locked_by = NULL, updated_at = $1 \
                     WHERE id = $2 AND status = 'running' AND locked_by = $3 AND attempts > 0",
                )
                .bind(now)
                .bind(id.as_uuid())
                .bind(worker)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn reap_expired_leases(&mut self, now: DateTime<Utc>) -> R<u64> {
                self.system_only("reaping leases")?;
                let done = sqlx::query(
                    "UPDATE jobs SET \
                     status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                     finished_at = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
                     last_error = 'lease expired: the worker stopped without finishing', \
                     run_at = $1, lease_until = NULL, locked_by = NULL, updated_at = $1 \
                     WHERE status = 'running' AND lease_until < $1",
                )
                .bind(now)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected())
            }

            async fn get_job(&mut self, id: JobId) -> R<Option<Job>> {
                self.system_only("reading jobs")?;
                let row = sqlx::query_as::<_, JobRow>(concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1"))
                    .bind(id.as_uuid())
                    .fetch_optional(&mut *self.tx)
                    .await
                    .db()?;
                row.map(Job::try_from).transpose()
            }

            async fn list_jobs(&mut self, status: JobStatus, limit: u32) -> R<Vec<Job>> {
                self.system_only("listing jobs")?;
                let rows = sqlx::query_as::<_, JobRow>(concat!(
                    "SELECT ",
                    job_columns!(),
                    " FROM jobs WHERE status = $1 ORDER BY updated_at DESC, id DESC LIMIT $2"
                ))
                .bind(status.as_str())
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                convert_all(rows)
            }

            async fn release_job_dedupe_key(&mut self, id: JobId) -> R<()> {
                self.system_only("releasing a dedupe key")?;
                sqlx::query("UPDATE jobs SET dedupe_key = NULL WHERE id = $1")
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn job_queue_stats(&mut self, now: DateTime<Utc>) -> R<QueueStats> {
                self.system_only("reading queue statistics")?;
                let by_status: Vec<(String, i64)> = sqlx::query_as("SELECT status, count(*) FROM jobs GROUP BY status")
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                let (due,): (i64,) =
                    sqlx::query_as("SELECT count(*) FROM jobs WHERE status = 'queued' AND run_at <= $1")
                        .bind(now)
                        .fetch_one(&mut *self.tx)
                        .await
                        .db()?;
                let oldest: Option<(DateTime<Utc>,)> = sqlx::query_as(
                    "SELECT run_at FROM jobs WHERE status = 'queued' AND run_at <= $1 ORDER BY run_at, id LIMIT 1",
                )
                .bind(now)
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok(QueueStats {
                    by_status: by_status.into_iter().map(|(s, c)| (s, n(c))).collect(),
                    due: n(due),
                    oldest_due_at: oldest.map(|(t,)| t),
                })
            }

            async fn purge_succeeded_jobs(&mut self, before: DateTime<Utc>, limit: u32) -> R<u64> {
                self.system_only("purging jobs")?;
                // The same id-list form as the claim (without its index
                // hint): on Postgres `id IN (SELECT … LIMIT $2)` may get a
                // generic plan that hash-joins a scan of the whole table
                // for every 1,000 rows purged; this one deletes by primary
                // key, and two purgers skip each other's rows.
                let done = sqlx::query(concat!(
                    "DELETE FROM jobs WHERE ",
                    $open,
                    "SELECT id FROM jobs WHERE status = 'succeeded' AND finished_at < $1 ORDER BY finished_at LIMIT $2",
                    $close
                ))
                .bind(before)
                .bind(i64::from(limit))
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected())
            }

            async fn requeue_dead_job(&mut self, id: JobId, now: DateTime<Utc>) -> R<bool> {
                self.system_only("retrying a dead job")?;
                let done = sqlx::query(
                    "UPDATE jobs SET status = 'queued', attempts = 0, run_at = $1, finished_at = NULL, \
                     updated_at = $1 WHERE id = $2 AND status = 'dead'",
                )
                .bind(now)
                .bind(id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_job_repo;

/// Implements `Tx::commit` for a transaction type with `tx` and
/// `at_commit` fields: the jobs queued by `enqueue_job_at_commit` are
/// inserted as the last statement, then the transaction commits.
macro_rules! impl_commit_with_deferred_jobs {
    ($tx:ty) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::Tx for $tx {
            async fn commit(self: Box<Self>) -> Result<(), StoreError> {
                let mut this = *self;
                let jobs = std::mem::take(&mut this.at_commit);
                if !jobs.is_empty() {
                    ::certwatch_core::ports::BulkRepo::enqueue_jobs(&mut this, &jobs).await?;
                }
                this.tx.commit().await.db()
            }
        }
    };
}
pub(crate) use impl_commit_with_deferred_jobs;
