//! Job queue throughput: N no-op jobs enqueued, then drained by one
//! `Worker::run` (concurrency 8) until all succeeded — jobs/s end to end
//! (claim with lease, run, record), on SQLite and on Postgres (a fresh
//! database from `DATABASE_URL`).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench jobs`
//! (`BENCH_JOBS` sets N, default 2000).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use async_trait::async_trait;
use certwatch_core::jobs::{Job, JobContext, JobError, JobHandler, JobSpec, JobStatus, Worker, WorkerConfig};
use certwatch_tests::{core_with_clock, Backend, TestDb};
use serde_json::json;
use tokio_util::sync::CancellationToken;

struct Noop(Arc<AtomicUsize>);

#[async_trait]
impl JobHandler for Noop {
    async fn run(&self, _ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

async fn measure(backend: Backend, n: usize) {
    let db = TestDb::new(backend).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let started = Instant::now();
    for _ in 0..n {
        app.jobs().enqueue(JobSpec::new("noop", None, json!({}))).await.expect("enqueue");
    }
    let enqueue = n as f64 / started.elapsed().as_secs_f64();
    let done = Arc::new(AtomicUsize::new(0));
    let w = Worker::new(
        app.clone(),
        WorkerConfig { concurrency: 8, poll_interval: StdDuration::from_millis(5), ..WorkerConfig::default() },
    )
    .with_handler("noop", Arc::new(Noop(done.clone())));
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(w.run(shutdown.clone()));
    while done.load(Ordering::Relaxed) < n {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    // Wait for the last outcomes to be recorded.
    while app.jobs().list(JobStatus::Succeeded, 1000).await.expect("list").len() < n.min(1000) {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    shutdown.cancel();
    task.await.expect("worker stops");
    println!("{backend:?}: enqueue {enqueue:.0} jobs/s (one transaction each); drain {rate:.0} jobs/s ({n} jobs)");
}

#[tokio::main]
async fn main() {
    let n = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    measure(Backend::Sqlite, n).await;
    measure(Backend::Postgres, n).await;
}
