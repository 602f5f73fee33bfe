//! Job queue throughput: N no-op jobs enqueued, then drained by one
//! `Worker::run` (concurrency 8) until all succeeded — jobs/s end to end
//! (claim with lease, run, record), on SQLite and on Postgres (a fresh
//! database from `DATABASE_URL`).
//!
//! Then, on Postgres: a drain of 20,000 jobs by two worker processes
//! (this binary run twice more; budget ≥ 2,000 jobs/s), the latency from a committed certificate change to the signed
//! webhook POST arriving at a loopback receiver (budget p50 < 50 ms), and
//! 10,000 certificates entering an expiry window in one run, all
//! notifications delivered (budget < 60 s).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench jobs`
//! (`BENCH_JOBS` sets N, default 2000; `BENCH_EXPIRY` the certificates, default 10000).

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

/// The environment variable that turns this binary into one worker
/// process of [`two_workers`]: the database URL to drain.
const WORKER_ENV: &str = "CERTWATCH_BENCH_WORKER_URL";

/// Two worker processes (this binary, re-run with [`WORKER_ENV`]) drain
/// one Postgres queue. Each connects and builds its worker before the
/// clock starts, then waits for a go line on stdin; the clock stops when
/// the database holds every job as succeeded, so the figure includes the
/// last completions' commits.
async fn two_workers(n: usize) {
    use std::io::{BufRead as _, Write as _};
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    for chunk in 0..n.div_ceil(500) {
        let specs = (0..500.min(n - chunk * 500)).map(|_| JobSpec::new("noop", None, json!({})));
        let mut tx = db.store.begin(certwatch_core::ports::Scope::System).await.expect("begin");
        for spec in specs {
            certwatch_core::jobs::enqueue_in(&app, tx.as_mut(), spec).await.expect("enqueue");
        }
        tx.commit().await.expect("commit");
    }
    let exe = std::env::current_exe().expect("own path");
    let mut children = Vec::new();
    for i in 0..2 {
        let mut child = std::process::Command::new(&exe)
            .env(WORKER_ENV, &db.url)
            .env("CERTWATCH_BENCH_WORKER_ID", format!("bench-{i}"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("worker process starts");
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.as_mut().expect("stdout"))
            .read_line(&mut ready)
            .expect("worker reports ready");
        assert_eq!(ready.trim(), "ready", "worker process {i} failed to start");
        children.push(child);
    }
    let started = Instant::now();
    for child in &mut children {
        writeln!(child.stdin.as_mut().expect("stdin"), "go").expect("go");
    }
    loop {
        // System jobs are visible only in system scope (row-level security).
        let mut tx = db.pg_pool().begin().await.expect("begin");
        sqlx::query("SELECT set_config('app.system', 'on', true)").execute(&mut *tx).await.expect("scope");
        let succeeded: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE status = 'succeeded'")
            .fetch_one(&mut *tx)
            .await
            .expect("count");
        drop(tx);
        if succeeded >= n as i64 {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let rate = n as f64 / started.elapsed().as_secs_f64();
    for mut child in children {
        drop(child.stdin.take());
        let status = child.wait().expect("worker process ends");
        assert!(status.success(), "worker process failed: {status}");
    }
    println!("Postgres, 2 worker processes: drain {rate:.0} jobs/s ({n} jobs; budget >= 2000)");
}

/// One worker process of [`two_workers`]: builds its worker, says ready,
/// runs from the go line until stdin closes.
async fn worker_process(url: String) {
    use std::io::{BufRead as _, Write as _};
    let store = certwatch_store::connect(&url).await.expect("worker pool");
    let (app, _) = core_with_clock(store);
    let id = std::env::var("CERTWATCH_BENCH_WORKER_ID").unwrap_or_else(|_| "bench".into());
    let w = Worker::new(
        app,
        WorkerConfig {
            worker_id: id,
            concurrency: 8,
            poll_interval: StdDuration::from_millis(5),
            ..WorkerConfig::default()
        },
    )
    .with_handler("noop", Arc::new(Noop(Arc::new(AtomicUsize::new(0)))));
    println!("ready");
    std::io::stdout().flush().expect("flush");
    // A thread reads stdin: the first line is the go, end of input the stop.
    let (go_tx, go) = tokio::sync::oneshot::channel();
    let (stop_tx, stop) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut lines = std::io::stdin().lock().lines();
        let _ = lines.next();
        let _ = go_tx.send(());
        while lines.next().is_some() {}
        let _ = stop_tx.send(());
    });
    let _ = go.await;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(w.run(shutdown.clone()));
    let _ = stop.await;
    shutdown.cancel();
    task.await.expect("worker stops");
}

/// Records when each POST arrived.
struct Arrivals(std::sync::Mutex<std::sync::mpsc::Sender<Instant>>);

impl wiremock::Respond for Arrivals {
    fn respond(&self, _req: &wiremock::Request) -> wiremock::ResponseTemplate {
        if let Ok(tx) = self.0.lock() {
            let _ = tx.send(Instant::now());
        }
        wiremock::ResponseTemplate::new(204)
    }
}

async fn receiver(
    events: &[&str],
    app: &certwatch_core::CertWatch,
) -> (wiremock::MockServer, std::sync::mpsc::Receiver<Instant>, certwatch_core::authz::Principal) {
    let (p, _) =
        certwatch_tests::seed::admin_of(app, &format!("bench-{}@example.com", uuid::Uuid::new_v4().simple())).await;
    let rx_server = wiremock::MockServer::start().await;
    let (tx, rx) = std::sync::mpsc::channel();
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(Arrivals(std::sync::Mutex::new(tx)))
        .mount(&rx_server)
        .await;
    let s = app
        .webhooks()
        .create_subscriber(
            &p,
            certwatch_core::webhooks::SubscriberInput {
                name: "bench".into(),
                webhook_url: format!("{}/hook", rx_server.uri()),
                is_active: None,
            },
        )
        .await
        .expect("subscriber");
    app.webhooks()
        .create_subscription(
            &p,
            s.subscriber.id,
            certwatch_core::webhooks::SubscriptionInput {
                event_types: events.iter().map(|e| (*e).to_owned()).collect(),
                ..Default::default()
            },
        )
        .await
        .expect("subscription");
    (rx_server, rx, p)
}

fn delivering_worker(app: &certwatch_core::CertWatch) -> Worker {
    Worker::new(
        app.clone(),
        WorkerConfig {
            concurrency: 16,
            poll_interval: StdDuration::from_secs(1),
            webhooks: certwatch_core::webhooks::DeliveryConfig {
                sender: Arc::new(certwatch_core::adapters::ReqwestWebhookSender::new(vec!["127.0.0.0/8"
                    .parse()
                    .expect("net")])),
                ..Default::default()
            },
            ..WorkerConfig::default()
        },
    )
}

/// Commit of a certificate change → signed POST at the receiver.
async fn commit_to_post(samples: usize) {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (_srv, arrivals, p) = receiver(&["certificate.created"], &app).await;
    let org = app
        .suppliers()
        .create_organization(
            &p,
            certwatch_core::suppliers::OrganizationInput { name: "Bench".into(), ..Default::default() },
        )
        .await
        .expect("org");
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(delivering_worker(&app).run(shutdown.clone()));
    let mut lat = Vec::with_capacity(samples);
    for _ in 0..samples {
        app.certificates()
            .create_certificate(
                &p,
                certwatch_core::certificates::CertificateInput {
                    organization_id: org.id,
                    certificate_type: "ISO_9001".into(),
                    ..Default::default()
                },
            )
            .await
            .expect("certificate");
        let committed = Instant::now();
        let arrived = tokio::task::block_in_place(|| arrivals.recv_timeout(StdDuration::from_secs(30)))
            .expect("the POST arrives");
        lat.push(arrived.saturating_duration_since(committed).as_secs_f64() * 1000.0);
    }
    shutdown.cancel();
    task.await.expect("worker stops");
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| lat[((lat.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "Postgres, commit -> webhook POST: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms ({samples} changes; budget p50 < 50 ms)",
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
}

/// `n` certificates enter the 30-day window; one notification run; every
/// `certificate.expiring` delivered.
async fn expiry_burst(n: usize) {
    use certwatch_core::ports::Clock as _;
    let db = TestDb::new(Backend::Postgres).await;
    let (app, clock) = core_with_clock(db.store.clone());
    let (_srv, arrivals, p) = receiver(&["certificate.expiring"], &app).await;
    let org = app
        .suppliers()
        .create_organization(
            &p,
            certwatch_core::suppliers::OrganizationInput { name: "Bench".into(), ..Default::default() },
        )
        .await
        .expect("org");
    let expiry = clock.today() + chrono::Duration::days(20);
    for chunk in 0..n.div_ceil(500) {
        let inputs = (0..500.min(n - chunk * 500))
            .map(|_| certwatch_core::certificates::CertificateInput {
                organization_id: org.id,
                certificate_type: "ISO_9001".into(),
                status: Some(certwatch_core::certificates::CertificateStatus::Active),
                expiry_date: Some(expiry),
                ..Default::default()
            })
            .collect();
        app.certificates().create_certificates(&p, inputs).await.expect("seed");
    }
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(delivering_worker(&app).run(shutdown.clone()));
    // Let the creation events dispatch (no subscription matches them).
    while app.jobs().queue_stats().await.expect("stats").due > 0 {
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    let started = Instant::now();
    app.jobs()
        .enqueue(JobSpec::new(certwatch_core::expiry::EXPIRY_NOTIFICATIONS, None, json!({})))
        .await
        .expect("enqueue");
    let mut got = 0;
    while got < n {
        tokio::task::block_in_place(|| arrivals.recv_timeout(StdDuration::from_secs(120))).expect("notification");
        got += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    shutdown.cancel();
    task.await.expect("worker stops");
    println!("Postgres, {n} expiry notifications delivered in {secs:.1} s (budget < 60 s)");
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if let Ok(url) = std::env::var(WORKER_ENV) {
        worker_process(url).await;
        return;
    }
    let n = std::env::var("BENCH_JOBS").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
    let expiring = std::env::var("BENCH_EXPIRY").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    measure(Backend::Sqlite, n).await;
    measure(Backend::Postgres, n).await;
    two_workers(n.max(20_000)).await;
    commit_to_post(200).await;
    expiry_burst(expiring).await;
}
