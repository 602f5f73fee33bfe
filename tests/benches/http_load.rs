//! Issue budgets of the REST host, measured with wrk on loopback against the
//! release `certwatch` binary in its own process:
//!
//! * `GET /api/organizations/?page_size=50` with 10,000 organizations and
//!   200,000 certificates in the tenant (plus a second tenant of the same
//!   size), 64 connections, on Postgres and on SQLite: requests/s and p99;
//! * `GET /api/health`: requests/s;
//! * the server's peak resident memory under that load.
//!
//! Run: `cargo build --release -p certwatch-http && \
//!   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench http_load`
//! (needs `wrk`; `BENCH_ORGS` / `BENCH_CERTS_PER_ORG` / `BENCH_SECONDS` shrink it,
//! `BENCH_BACKENDS=postgres` or `=sqlite` runs one backend). For profiling,
//! `BENCH_PAUSE_SECS=n` prints the server, database and token once the
//! server is idle and waits `n` seconds before measuring, so `perf` or a
//! rebuilt server can be pointed at the seeded database.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use certwatch_core::CertWatch;
use certwatch_tests::seed::seed_tenant;
use certwatch_tests::{Backend, TestDb};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `target/release/certwatch`, next to this bench's `deps/` directory.
fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("bench path");
    let dir = exe.parent().and_then(|d| d.parent()).expect("target dir");
    let bin = dir.join("certwatch");
    assert!(bin.exists(), "{} is missing: run `cargo build --release -p certwatch-http` first", bin.display());
    bin
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("free port")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start(url: &str, port: u16) -> Server {
    let data = std::env::temp_dir().join(format!("cw-load-{}", uuid::Uuid::new_v4().simple()));
    let child = Command::new(server_binary())
        .args(["serve", "--bind", &format!("127.0.0.1:{port}"), "--database-url", url])
        .arg("--data-dir")
        .arg(&data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("start certwatch");
    let server = Server(child);
    for _ in 0..100 {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/api/health")).await {
            if r.status() == 200 {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("server did not become healthy");
}

struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    non_2xx: u64,
}

fn to_ms(s: &str) -> f64 {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => v / 1000.0,
        "ms" => v,
        "s" => v * 1000.0,
        _ => f64::NAN,
    }
}

fn wrk(url: &str, token: Option<&str>, seconds: usize) -> Load {
    let mut cmd = Command::new("wrk");
    cmd.args(["-t2", "-c64", &format!("-d{seconds}s"), "--latency"]);
    if let Some(t) = token {
        cmd.args(["-H", &format!("Authorization: Token {t}")]);
    }
    let out = cmd.arg(url).output().expect("run wrk (apt-get install wrk)");
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|r| r.split_whitespace().next().unwrap_or("").to_owned()))
    };
    let rps = field("Requests/sec:").and_then(|v| v.parse().ok()).unwrap_or(0.0);
    let p50 = field("50%").map(|v| to_ms(&v)).unwrap_or(f64::NAN);
    let p99 = field("99%").map(|v| to_ms(&v)).unwrap_or(f64::NAN);
    let non_2xx = field("Non-2xx or 3xx responses:").and_then(|v| v.parse().ok()).unwrap_or(0);
    Load { rps, p50_ms: p50, p99_ms: p99, non_2xx }
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next().and_then(|k| k.parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Waits until the server's worker has worked off the seeding's backlog
/// (the outbox dispatch of 400,000 `certificate.created` events), so the
/// figures measure the API rather than the API beside a busy worker.
async fn settle(app: &CertWatch) {
    let started = std::time::Instant::now();
    let mut quiet = 0;
    while quiet < 3 {
        let stats = app.jobs().queue_stats().await.expect("queue stats");
        let busy = stats.due + stats.by_status.get("running").copied().unwrap_or(0);
        quiet = if busy == 0 { quiet + 1 } else { 0 };
        assert!(started.elapsed() < Duration::from_secs(600), "the job queue did not drain in 10 minutes");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    println!("job queue drained after {:.1} s", started.elapsed().as_secs_f64());
}

#[tokio::main]
async fn main() {
    let orgs = env_usize("BENCH_ORGS", 10_000);
    let per_org = env_usize("BENCH_CERTS_PER_ORG", 20);
    let seconds = env_usize("BENCH_SECONDS", 15);
    let mut rows = Vec::new();
    let wanted = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "postgres,sqlite".into()).to_lowercase();
    let pause = env_usize("BENCH_PAUSE_SECS", 0);
    for backend in [Backend::Postgres, Backend::Sqlite] {
        if !wanted.contains(&format!("{backend:?}").to_lowercase()) {
            continue;
        }
        let db = TestDb::new(backend).await;
        // The server runs on the real clock, so seed on it too (counters fresh for today).
        let app = CertWatch::new(db.store.clone());
        println!("{backend:?}: seeding 2 tenants x {orgs} organizations x {per_org} certificates ...");
        let a = seed_tenant(&app, "load-a@example.com", orgs, per_org).await;
        seed_tenant(&app, "load-b@example.com", orgs, per_org).await;
        if backend == Backend::Postgres {
            sqlx::query("ANALYZE").execute(db.pg_pool()).await.expect("analyze");
        }
        let port = free_port();
        let server = start(&db.url, port).await;
        let base = format!("http://127.0.0.1:{port}");
        let list = format!("{base}/api/organizations/?page_size=50");
        let check = reqwest::Client::new()
            .get(&list)
            .header("Authorization", format!("Token {}", a.token))
            .send()
            .await
            .expect("list");
        assert_eq!(check.status(), 200, "the list endpoint answers");
        let body: serde_json::Value = check.json().await.expect("json");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(50));
        settle(&app).await;
        if pause > 0 {
            println!("paused {pause} s: server {base}, database {}, token {}", db.url, a.token);
            tokio::time::sleep(Duration::from_secs(pause as u64)).await;
        }
        let _warm = wrk(&list, Some(&a.token), 2);
        let l = wrk(&list, Some(&a.token), seconds);
        let h = wrk(&format!("{base}/api/health"), None, seconds);
        let rss = peak_rss_mb(server.0.id());
        rows.push((backend, l, h, rss));
        drop(server);
    }
    println!();
    println!("| backend | list orgs (page 50): req/s | p50 / p99 | non-2xx | health: req/s | peak RSS |");
    println!("|---|---|---|---|---|---|");
    for (b, l, h, rss) in rows {
        println!(
            "| {b:?} | {:.0} | {:.1} / {:.1} ms | {} | {:.0} | {:.0} MB |",
            l.rps, l.p50_ms, l.p99_ms, l.non_2xx, h.rps, rss
        );
    }
    println!("budgets: list >= 3,000 req/s with p99 < 50 ms on Postgres; health >= 20,000 req/s; RSS < 100 MB");
}
