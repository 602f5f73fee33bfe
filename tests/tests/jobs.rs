//! The job queue, run unchanged on SQLite and Postgres: transactional and
//! idempotent enqueue, claims with leases, retries with backoff on the
//! manual clock, dead jobs and their retry, kill-and-resume through the
//! reaper, graceful shutdown that releases unfinished jobs, periodic slots
//! enqueued once by concurrent schedulers, and (Postgres) concurrent claims
//! that never hand one job to two workers.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use async_trait::async_trait;
use certwatch_core::jobs::{
    enqueue_in, Job, JobContext, JobError, JobHandler, JobSpec, JobStatus, Outcome, Schedule, Scheduler,
    SchedulerConfig, Worker, WorkerConfig,
};
use certwatch_core::ports::{Scope, StoreError};
use certwatch_core::webhooks::{FixedJitter, RetryPolicy};
use certwatch_core::{CertWatch, Error};
use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, Backend, TestDb};
use chrono::Duration;
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Fails `failures` times, then succeeds; counts runs.
struct Flaky {
    failures: u32,
    runs: AtomicU32,
}

#[async_trait]
impl JobHandler for Flaky {
    async fn run(&self, _ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        let n = self.runs.fetch_add(1, Ordering::SeqCst) + 1;
        if n <= self.failures {
            Err(JobError::Retry(format!("failure {n}")))
        } else {
            Ok(())
        }
    }
}

/// Runs until cancelled.
struct Hang;

#[async_trait]
impl JobHandler for Hang {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        ctx.shutdown.cancelled().await;
        Err(JobError::Retry("cancelled".into()))
    }
}

fn config(id: &str) -> WorkerConfig {
    WorkerConfig {
        worker_id: id.into(),
        concurrency: 4,
        lease: Duration::seconds(60),
        heartbeat: StdDuration::from_secs(3600),
        poll_interval: StdDuration::from_millis(20),
        shutdown_grace: StdDuration::from_millis(100),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: StdDuration::from_secs(10),
            max_delay: StdDuration::from_secs(60),
            jitter: 0.0,
        },
        jitter: Arc::new(FixedJitter(0.0)),
        webhooks: Default::default(),
        observer: None,
        documents: Arc::new(certwatch_core::certificates::documents::ReqwestDocumentFetcher::default()),
        bulk_upload: Default::default(),
        monitoring: Default::default(),
    }
}

async fn job(app: &CertWatch, id: certwatch_core::jobs::JobId) -> Job {
    app.jobs().get(id).await.expect("job")
}

#[tokio::test]
async fn job_queue_sqlite() {
    queue_story(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn job_queue_postgres() {
    queue_story(TestDb::new(Backend::Postgres).await).await;
}

async fn queue_story(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "jobs@example.com").await;
    let (other, _) = admin_of(&app, "other@example.com").await;
    let flaky = Arc::new(Flaky { failures: 2, runs: AtomicU32::new(0) });
    let worker = Worker::new(app.clone(), config("w1")).with_handler("flaky", flaky.clone());

    // Transactional enqueue: a rolled-back transaction enqueues nothing.
    {
        let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
        assert!(enqueue_in(&app, tx.as_mut(), JobSpec::new("flaky", Some(p.tenant_id), json!({}))).await.expect("enq"));
    }
    assert!(worker.claim(10).await.expect("claim").is_empty(), "rolled back: nothing to claim");

    // Idempotent enqueue by dedupe key, request id carried.
    let spec = JobSpec::new("flaky", Some(p.tenant_id), json!({"n": 1}))
        .with_dedupe_key("flaky:1")
        .with_request_id(Some("req-42".into()));
    let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    assert!(enqueue_in(&app, tx.as_mut(), spec.clone()).await.expect("enqueue"));
    assert!(!enqueue_in(&app, tx.as_mut(), spec.clone()).await.expect("enqueue twice"));
    tx.commit().await.expect("commit");
    assert!(!app.jobs().enqueue(spec).await.expect("enqueue again"));

    // A tenant transaction can't claim, nor enqueue for another tenant.
    let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    let now = clock_now(&app);
    assert!(matches!(tx.claim_jobs("x", now, now, 1).await, Err(StoreError::Refused(_))));
    assert!(matches!(
        enqueue_in(&app, tx.as_mut(), JobSpec::new("flaky", Some(other.tenant_id), json!({}))).await,
        Err(Error::Store(StoreError::Refused(_)))
    ));
    drop(tx);

    // Fails twice with backoff 10 s, 20 s (manual clock), then succeeds.
    let out = worker.run_once().await.expect("run");
    assert_eq!(out.len(), 1);
    let id = out[0].0;
    assert_eq!(out[0].1, Outcome::Retried);
    let j = job(&app, id).await;
    assert_eq!((j.status, j.attempts, j.last_error.as_deref()), (JobStatus::Queued, 1, Some("failure 1")));
    assert_eq!(j.run_at, clock_now(&app) + Duration::seconds(10));
    assert_eq!(j.request_id.as_deref(), Some("req-42"));
    assert!(worker.run_once().await.expect("run").is_empty(), "not due yet");
    clock.advance(Duration::seconds(10));
    assert_eq!(worker.run_once().await.expect("run"), vec![(id, Outcome::Retried)]);
    assert_eq!(job(&app, id).await.run_at, clock_now(&app) + Duration::seconds(20));
    clock.advance(Duration::seconds(20));
    assert_eq!(worker.run_once().await.expect("run"), vec![(id, Outcome::Succeeded)]);
    let j = job(&app, id).await;
    assert_eq!((j.status, j.attempts), (JobStatus::Succeeded, 3));
    assert!(j.finished_at.is_some() && j.locked_by.is_none());
    assert_eq!(flaky.runs.load(Ordering::SeqCst), 3);

    // Always failing: dead after max_attempts (3), visible, retryable by operators.
    let always = Arc::new(Flaky { failures: u32::MAX, runs: AtomicU32::new(0) });
    let worker = worker.with_handler("always", always.clone());
    app.jobs().enqueue(JobSpec::new("always", None, json!({})).with_max_attempts(3)).await.expect("enqueue system job");
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        outcomes.extend(worker.run_once().await.expect("run").into_iter().map(|(_, o)| o));
        clock.advance(Duration::seconds(60));
    }
    assert_eq!(outcomes, [Outcome::Retried, Outcome::Retried, Outcome::Dead]);
    let dead = app.jobs().list(JobStatus::Dead, 10).await.expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!((dead[0].attempts, dead[0].last_error.as_deref()), (3, Some("failure 3")));
    assert!(matches!(app.jobs().list_dead(&p, 10).await, Err(Error::Forbidden { .. })), "operators only");
    let mut operator = p.clone();
    operator.is_operator = true;
    assert_eq!(app.jobs().list_dead(&operator, 10).await.expect("list").len(), 1);
    app.jobs().retry_dead(&operator, dead[0].id).await.expect("retry dead");
    assert!(matches!(app.jobs().retry_dead(&operator, dead[0].id).await, Err(Error::Conflict { .. })));
    let j = job(&app, dead[0].id).await;
    assert_eq!((j.status, j.attempts), (JobStatus::Queued, 0));
    assert_eq!(worker.run_once().await.expect("run"), vec![(j.id, Outcome::Retried)]);

    // Retention: old succeeded jobs go, dead ones stay.
    clock.advance(Duration::days(8));
    assert_eq!(app.jobs().purge_succeeded(Duration::days(7)).await.expect("purge"), 1);
    assert!(app.jobs().list(JobStatus::Succeeded, 10).await.expect("list").is_empty());
    assert_eq!(app.jobs().get(id).await.ok(), None, "purged");

    // Unknown kinds die at once instead of looping.
    app.jobs().enqueue(JobSpec::new("no_such_kind", None, json!({}))).await.expect("enqueue");
    clock.advance(Duration::seconds(120));
    let out = worker.run_once().await.expect("run");
    assert!(out.iter().any(|(_, o)| *o == Outcome::Dead));
}

fn clock_now(app: &CertWatch) -> chrono::DateTime<chrono::Utc> {
    app.clock().now()
}

#[tokio::test]
async fn kill_and_resume_sqlite() {
    kill_and_resume(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn kill_and_resume_postgres() {
    kill_and_resume(TestDb::new(Backend::Postgres).await).await;
}

/// A worker that dies holding a job leaves it to another worker once the
/// lease ran out; the dead worker can no longer record anything for it.
async fn kill_and_resume(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let done = Arc::new(Flaky { failures: 0, runs: AtomicU32::new(0) });
    let a = Worker::new(app.clone(), config("worker-a")).with_handler("work", done.clone());
    let b = Worker::new(app.clone(), config("worker-b")).with_handler("work", done.clone());
    app.jobs().enqueue(JobSpec::new("work", None, json!({})).with_max_attempts(2)).await.expect("enqueue");

    // A claims, then "dies" before running it.
    let claimed = a.claim(10).await.expect("claim");
    assert_eq!(claimed.len(), 1);
    let id = claimed[0].id;
    assert!(b.claim(10).await.expect("claim").is_empty(), "leased to A");
    assert_eq!(app.jobs().reap_expired_leases().await.expect("reap"), 0, "lease still valid");
    clock.advance(Duration::seconds(61));
    assert_eq!(app.jobs().reap_expired_leases().await.expect("reap"), 1);
    let j = job(&app, id).await;
    assert_eq!((j.status, j.locked_by.as_deref()), (JobStatus::Queued, None));
    assert!(j.last_error.as_deref().is_some_and(|e| e.contains("lease expired")));

    // B runs it; A's late outcome is refused.
    assert_eq!(b.run_once().await.expect("run"), vec![(id, Outcome::Succeeded)]);
    assert_eq!(a.execute(claimed[0].clone(), CancellationToken::new()).await.expect("late"), Outcome::LostLease);
    assert_eq!(done.runs.load(Ordering::SeqCst), 2, "A's late run happened, but recorded nothing");
    let j = job(&app, id).await;
    assert_eq!((j.status, j.attempts), (JobStatus::Succeeded, 2));

    // A job whose every attempt was taken by dying workers is buried.
    app.jobs().enqueue(JobSpec::new("work", None, json!({})).with_max_attempts(1)).await.expect("enqueue");
    let c = a.claim(10).await.expect("claim");
    clock.advance(Duration::seconds(61));
    assert_eq!(app.jobs().reap_expired_leases().await.expect("reap"), 1);
    assert_eq!(job(&app, c[0].id).await.status, JobStatus::Dead);
}

#[tokio::test]
async fn graceful_shutdown_releases_sqlite() {
    graceful_shutdown(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn graceful_shutdown_releases_postgres() {
    graceful_shutdown(TestDb::new(Backend::Postgres).await).await;
}

/// On shutdown a worker stops claiming, waits for running jobs up to the
/// grace period, then releases the unfinished ones (queued, attempt not
/// counted) for the next worker.
async fn graceful_shutdown(db: TestDb) {
    let (app, _clock) = core_with_clock(db.store.clone());
    let quick = Arc::new(Flaky { failures: 0, runs: AtomicU32::new(0) });
    let w = Worker::new(app.clone(), config("w-shutdown"))
        .with_handler("hang", Arc::new(Hang))
        .with_handler("quick", quick.clone());
    app.jobs().enqueue(JobSpec::new("hang", None, json!({}))).await.expect("enqueue");
    app.jobs().enqueue(JobSpec::new("quick", None, json!({}))).await.expect("enqueue");
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(w.run(shutdown.clone()));
    // Wait until both were claimed and the quick one finished.
    for _ in 0..500 {
        if quick.runs.load(Ordering::SeqCst) == 1
            && app.jobs().list(JobStatus::Running, 10).await.expect("list").len() == 1
        {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    shutdown.cancel();
    running.await.expect("worker stops");
    assert_eq!(app.jobs().list(JobStatus::Succeeded, 10).await.expect("list").len(), 1);
    let queued = app.jobs().list(JobStatus::Queued, 10).await.expect("list");
    assert_eq!(queued.len(), 1, "the hanging job is released");
    assert_eq!((queued[0].kind.as_str(), queued[0].attempts, queued[0].locked_by.as_deref()), ("hang", 0, None));
}

#[tokio::test]
async fn periodic_slots_once_sqlite() {
    periodic_slots(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn periodic_slots_once_postgres() {
    periodic_slots(TestDb::new(Backend::Postgres).await).await;
}

/// Two schedulers ticking at once (and again after a "restart") enqueue
/// each slot's job once; the next slot gets a new one.
async fn periodic_slots(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let cfg = SchedulerConfig {
        schedules: vec![Schedule::every("tick", Duration::hours(1))],
        tick: StdDuration::from_secs(1),
    };
    let s1 = Scheduler::new(app.clone(), cfg.clone());
    let s2 = Scheduler::new(app.clone(), cfg.clone());
    let (a, b) = tokio::join!(s1.tick(), s2.tick());
    assert_eq!(a.expect("tick") + b.expect("tick"), 1);
    assert_eq!(Scheduler::new(app.clone(), cfg.clone()).tick().await.expect("restart"), 0);
    clock.advance(Duration::minutes(59));
    assert_eq!(s1.tick().await.expect("same slot"), 0);
    clock.advance(Duration::minutes(2));
    assert_eq!(s2.tick().await.expect("next slot"), 1);
    assert_eq!(app.jobs().list(JobStatus::Queued, 10).await.expect("list").len(), 2);
}

/// Postgres: concurrent claims (FOR UPDATE SKIP LOCKED) hand out disjoint
/// jobs and never block each other.
#[tokio::test]
async fn concurrent_claims_are_disjoint_postgres() {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    for _ in 0..40 {
        app.jobs().enqueue(JobSpec::new("work", None, json!({}))).await.expect("enqueue");
    }
    let workers: Vec<Worker> = (0..4).map(|i| Worker::new(app.clone(), config(&format!("w{i}")))).collect();
    let claims = futures_join(&workers).await;
    let mut ids: Vec<_> = claims.iter().flatten().map(|j| j.id).collect();
    let total = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "no job claimed twice");
    assert_eq!(total, 40);
}

async fn futures_join(workers: &[Worker]) -> Vec<Vec<Job>> {
    let mut set = tokio::task::JoinSet::new();
    for w in workers {
        let w = w.clone();
        set.spawn(async move { w.claim(15).await.expect("claim") });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        out.push(r.expect("join"));
    }
    // What was left after four claims of up to 15 each.
    let rest = workers[0].claim(100).await.expect("claim rest");
    out.push(rest);
    out
}

/// Waits on a notify; records that it started.
struct Gate {
    started: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Notify>,
}

#[async_trait]
impl JobHandler for Gate {
    async fn run(&self, _ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        self.started.notify_one();
        self.release.notified().await;
        Ok(())
    }
}

/// A long job's lease is extended by the heartbeat, so the reaper leaves it
/// alone however far the clock moves while it runs.
#[tokio::test]
async fn heartbeat_keeps_long_jobs_sqlite() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (app, clock) = core_with_clock(db.store.clone());
    let started = Arc::new(tokio::sync::Notify::new());
    let release = Arc::new(tokio::sync::Notify::new());
    let w = Worker::new(app.clone(), WorkerConfig { heartbeat: StdDuration::from_millis(10), ..config("w-long") })
        .with_handler("long", Arc::new(Gate { started: started.clone(), release: release.clone() }));
    app.jobs().enqueue(JobSpec::new("long", None, json!({}))).await.expect("enqueue");
    let job = w.claim(1).await.expect("claim").remove(0);
    let id = job.id;
    let running = tokio::spawn({
        let w = w.clone();
        async move { w.execute(job, CancellationToken::new()).await }
    });
    started.notified().await;
    for _ in 0..3 {
        clock.advance(Duration::seconds(50));
        // Wait for a heartbeat at the new time.
        let target = app.clock().now() + Duration::seconds(60);
        for _ in 0..500 {
            if app.jobs().get(id).await.expect("job").lease_until == Some(target) {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(5)).await;
        }
        assert_eq!(app.jobs().get(id).await.expect("job").lease_until, Some(target), "lease extended");
        assert_eq!(app.jobs().reap_expired_leases().await.expect("reap"), 0);
    }
    release.notify_one();
    assert_eq!(running.await.expect("join").expect("execute"), Outcome::Succeeded);
}

/// Postgres row-level security on `jobs`: a transaction sees its tenant's
/// jobs only; system jobs only in system scope; nothing without a scope.
#[tokio::test]
async fn jobs_rls_postgres() {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "rls@example.com").await;
    let (q, _) = admin_of(&app, "rls2@example.com").await;
    app.jobs().enqueue(JobSpec::new("x", Some(p.tenant_id), json!({}))).await.expect("tenant job");
    app.jobs().enqueue(JobSpec::new("x", Some(q.tenant_id), json!({}))).await.expect("other tenant job");
    app.jobs().enqueue(JobSpec::new("x", None, json!({}))).await.expect("system job");
    let count = |tenant: String, system: &'static str| {
        let pool = db.pg_pool().clone();
        async move {
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query("SELECT set_config('app.tenant_id', $1, true), set_config('app.system', $2, true)")
                .bind(tenant)
                .bind(system)
                .execute(&mut *tx)
                .await
                .expect("set");
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs").fetch_one(&mut *tx).await.expect("count");
            n
        }
    };
    assert_eq!(count(String::new(), "off").await, 0, "no scope, no rows");
    assert_eq!(count(p.tenant_id.to_string(), "off").await, 1);
    assert_eq!(count(String::new(), "on").await, 3);
}

#[tokio::test]
async fn batched_completion_sqlite() {
    batched_completion(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn batched_completion_postgres() {
    batched_completion(TestDb::new(Backend::Postgres).await).await;
}

/// `complete_jobs` marks only the jobs the worker still holds, and a
/// running worker records a stream of successes (in batches) without
/// losing one.
async fn batched_completion(db: TestDb) {
    let (app, _clock) = core_with_clock(db.store.clone());
    for n in 0..3 {
        app.jobs().enqueue(JobSpec::new("noop", None, json!({ "n": n }))).await.expect("enqueue");
    }
    let a = Worker::new(app.clone(), config("a"));
    let b = Worker::new(app.clone(), config("b"));
    let mine = a.claim(2).await.expect("claim a");
    let theirs = b.claim(1).await.expect("claim b");
    assert_eq!((mine.len(), theirs.len()), (2, 1));
    let ids: Vec<_> = mine.iter().chain(&theirs).map(|j| j.id).collect();
    let mut tx = app.store().begin(Scope::System).await.expect("begin");
    let mut held = tx.complete_jobs(&ids, "a", clock_now(&app)).await.expect("complete");
    tx.commit().await.expect("commit");
    held.sort();
    let mut expected: Vec<_> = mine.iter().map(|j| j.id).collect();
    expected.sort();
    assert_eq!(held, expected, "only the jobs worker a holds");
    assert_eq!(job(&app, theirs[0].id).await.status, JobStatus::Running, "b's job untouched");
    for j in &mine {
        assert_eq!(job(&app, j.id).await.status, JobStatus::Succeeded);
    }

    // A running worker: 300 successes, more than one batch.
    let n = 300;
    for i in 0..n {
        app.jobs().enqueue(JobSpec::new("count", None, json!({ "i": i }))).await.expect("enqueue");
    }
    let counter = Arc::new(Flaky { failures: 0, runs: AtomicU32::new(0) });
    let w = Worker::new(app.clone(), WorkerConfig { concurrency: 16, ..config("runner") })
        .with_handler("count", counter.clone());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    let deadline = std::time::Instant::now() + StdDuration::from_secs(60);
    loop {
        let done = app.jobs().list(JobStatus::Succeeded, 1000).await.expect("list");
        if done.iter().filter(|j| j.kind == "count").count() == n {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "only {} of {n} recorded", done.len());
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    shutdown.cancel();
    task.await.expect("worker stops");
    assert_eq!(counter.runs.load(Ordering::SeqCst), n as u32, "each job ran once");
}

/// Two open transactions of one tenant both append outbox events, which
/// request the tenant's one `dispatch_outbox` job. The job is inserted at
/// commit, so neither waits on the other's dedupe key while open (the
/// second append would otherwise block until the first commits — here,
/// forever); after both commit there is one queued dispatch job, and a
/// dropped transaction leaves none.
#[tokio::test]
async fn dispatch_request_waits_for_commit_postgres() {
    use certwatch_core::events::{append_in, DomainEvent, EventType};
    use certwatch_core::ports::Clock as _;
    let db = TestDb::new(Backend::Postgres).await;
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "dispatch@example.com").await;
    let event = || DomainEvent {
        id: uuid::Uuid::now_v7().into(),
        tenant_id: p.tenant_id,
        event_type: EventType::CertificateCreated,
        payload: json!({}),
        occurred_at: clock.now(),
    };
    let dispatch_jobs = || async {
        certwatch_tests::jobs_of_kind(&app, certwatch_core::webhooks::DISPATCH_OUTBOX, &[JobStatus::Queued]).await
    };
    assert!(dispatch_jobs().await.is_empty());

    let mut dropped = db.store.begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    append_in(&app, dropped.as_mut(), &[event()]).await.expect("append");
    drop(dropped);
    assert!(dispatch_jobs().await.is_empty(), "a rolled-back transaction requests nothing");

    let mut a = db.store.begin(Scope::Tenant(p.tenant_id)).await.expect("begin a");
    let mut b = db.store.begin(Scope::Tenant(p.tenant_id)).await.expect("begin b");
    append_in(&app, a.as_mut(), &[event()]).await.expect("append a");
    append_in(&app, a.as_mut(), &[event()]).await.expect("append a again");
    tokio::time::timeout(StdDuration::from_secs(10), append_in(&app, b.as_mut(), &[event()]))
        .await
        .expect("b does not wait for a")
        .expect("append b");
    b.commit().await.expect("commit b");
    a.commit().await.expect("commit a");
    assert_eq!(dispatch_jobs().await.len(), 1, "one dispatch job for the tenant");
}
