//! The host's cross-cutting behaviour over real HTTP: request ids, metrics,
//! rate limits before the handler, the operator IP allow-list with trusted
//! proxies, the body size limit, problem documents for every error, and the
//! demo tenant.

use std::num::NonZeroU32;

use certwatch_core::CertWatch;
use certwatch_http::{Application, RateLimits, ServeConfig};
use certwatch_tests::{Backend, TestDb};

fn config() -> ServeConfig {
    let dir = std::env::temp_dir().join(format!("cw-host-{}", uuid::Uuid::new_v4().simple()));
    ServeConfig { bind: "127.0.0.1:0".into(), data_dir: dir, ..ServeConfig::default() }
}

async fn spawn(config: &ServeConfig, core: CertWatch) -> String {
    let app = Application::with_core(config, core).await.expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    base
}

async fn problem(res: reqwest::Response) -> serde_json::Value {
    let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(ct.starts_with("application/problem+json"), "content type {ct}");
    res.json().await.expect("problem json")
}

#[tokio::test]
async fn request_ids_are_honoured_generated_and_echoed() {
    let db = TestDb::new(Backend::Sqlite).await;
    let base = spawn(&config(), CertWatch::new(db.store.clone())).await;
    let http = reqwest::Client::new();
    let res = http.get(format!("{base}/api/health")).header("X-Request-ID", "trace-42").send().await.expect("get");
    assert_eq!(res.headers()["x-request-id"], "trace-42");
    let res =
        http.get(format!("{base}/api/health")).header("X-Request-ID", "bad id <script>").send().await.expect("get");
    let generated = res.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert!(uuid::Uuid::parse_str(&generated).is_ok(), "unsafe ids are replaced: {generated}");
    let res = http.get(format!("{base}/api/definitely-not-a-route")).send().await.expect("get");
    assert_eq!(res.status(), 404);
    assert!(res.headers().contains_key("x-request-id"), "errors carry the id too");
    let body = problem(res).await;
    assert_eq!(body["status"], 404);
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let db = TestDb::new(Backend::Sqlite).await;
    let base = spawn(&config(), CertWatch::new(db.store.clone())).await;
    for _ in 0..3 {
        reqwest::get(format!("{base}/api/health")).await.expect("health");
    }
    reqwest::get(format!("{base}/wp-login.php")).await.expect("scanner");
    let text = reqwest::get(format!("{base}/metrics")).await.expect("metrics").text().await.expect("text");
    let line = text
        .lines()
        .find(|l| l.starts_with("certwatch_http_requests_total{") && l.contains("route=\"/api/health\""))
        .unwrap_or_else(|| panic!("no health counter in\n{text}"));
    assert!(line.ends_with(" 3"), "{line}");
    assert!(text.contains("route=\"unmatched\""), "unknown paths share one label");
    assert!(!text.contains("wp-login"), "no label per scanned path");
    assert!(text.contains("certwatch_http_request_duration_seconds_bucket"));
    let alerts =
        format!("certwatch_scrape_failure_rate_alerts_total {}", certwatch_core::monitoring::failure_rate_alerts());
    assert!(text.lines().any(|l| l == alerts), "missing {alerts} in\n{text}");
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_before_the_handler() {
    let db = TestDb::new(Backend::Sqlite).await;
    let two = NonZeroU32::new(2).expect("2");
    let cfg = ServeConfig {
        rate_limits: RateLimits { auth_per_minute: two, public_search_per_minute: two, expensive_per_minute: two },
        ..config()
    };
    let base = spawn(&cfg, CertWatch::new(db.store.clone())).await;
    let http = reqwest::Client::new();
    let login = || http.post(format!("{base}/api/auth/login")).body("not even json").send();
    for _ in 0..2 {
        let res = login().await.expect("login");
        assert_ne!(res.status(), 429, "within budget the handler answers");
    }
    let res = login().await.expect("login");
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().expect("ascii").parse().expect("seconds");
    assert!((1..=60).contains(&wait));
    assert_eq!(problem(res).await["status"], 429);
    // Another caller (a token holder) has its own budget; other routes are not limited.
    let res = http
        .post(format!("{base}/api/auth/login"))
        .header("Authorization", "Token someone-else")
        .body("{}")
        .send()
        .await
        .expect("login");
    assert_ne!(res.status(), 429);
    for _ in 0..5 {
        assert_eq!(http.get(format!("{base}/api/health")).send().await.expect("health").status(), 200);
    }
}

#[tokio::test]
async fn admin_endpoints_obey_the_ip_allow_list_and_trusted_proxies() {
    let db = TestDb::new(Backend::Sqlite).await;
    let cfg = ServeConfig {
        admin_allowed_ips: certwatch_http::parse_ip_list("10.0.0.0/8").expect("list"),
        trusted_proxies: 1,
        ..config()
    };
    let base = spawn(&cfg, CertWatch::new(db.store.clone())).await;
    let http = reqwest::Client::new();
    let res = http.get(format!("{base}/api/admin/status")).send().await.expect("admin");
    assert_eq!(res.status(), 403, "loopback is not in 10.0.0.0/8");
    assert_eq!(problem(res).await["status"], 403);
    let spoofed =
        http.get(format!("{base}/api/admin/status")).header("X-Forwarded-For", "10.1.1.1, 127.0.0.1").send().await;
    assert_eq!(spoofed.expect("admin").status(), 403, "only the entry the trusted proxy appended counts");
    let via_proxy = http.get(format!("{base}/api/admin/status")).header("X-Forwarded-For", "10.1.1.1").send().await;
    assert_eq!(via_proxy.expect("admin").status(), 401, "allowed address reaches the handler, which wants a token");
    // Other paths are not affected.
    assert_eq!(http.get(format!("{base}/api/health")).send().await.expect("health").status(), 200);
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let db = TestDb::new(Backend::Sqlite).await;
    let cfg = ServeConfig { max_body_bytes: 1024, ..config() };
    let base = spawn(&cfg, CertWatch::new(db.store.clone())).await;
    let res = reqwest::Client::new()
        .post(format!("{base}/api/auth/register"))
        .header("content-type", "application/json")
        .body(format!("{{\"email\":\"{}\"}}", "x".repeat(4096)))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 413);
    assert_eq!(problem(res).await["status"], 413);
}

#[tokio::test]
async fn demo_tenant_is_seeded_once_and_reachable() {
    let db = TestDb::new(Backend::Sqlite).await;
    let core = CertWatch::new(db.store.clone());
    let dir = std::env::temp_dir().join(format!("cw-demo-{}", uuid::Uuid::new_v4().simple()));
    let first = certwatch_http::demo::seed(&core, &dir).await.expect("demo");
    let again = certwatch_http::demo::seed(&core, &dir).await.expect("demo again");
    assert_eq!((first.email.as_str(), first.password.as_str()), (again.email.as_str(), again.password.as_str()));
    assert_ne!(first.token, again.token, "a fresh token each run");
    let p = core.tenancy().authenticate(&again.token).await.expect("token works");
    assert!(p.is_operator, "the demo admin can try the operator endpoints");
    let orgs = core.suppliers().list_organizations(&p, &Default::default()).await.expect("orgs");
    assert_eq!(orgs.total, 3, "seeded once");
    let certs = core.certificates().list_certificates(&p, &Default::default()).await.expect("certs");
    let statuses: std::collections::BTreeSet<_> = certs.items.iter().map(|c| c.status.as_str()).collect();
    assert_eq!(statuses.len(), 5, "every status: {statuses:?}");
    let _ = std::fs::remove_dir_all(dir);
}

/// `certwatch worker --metrics-bind`: a worker-only process reports its
/// job outcomes and the shared queue on its own `/metrics`.
#[tokio::test]
async fn worker_metrics_count_this_workers_jobs() {
    use certwatch_core::jobs::{JobSpec, Worker, WorkerConfig};
    let db = TestDb::new(Backend::Sqlite).await;
    let core = CertWatch::new(db.store.clone());
    let metrics = certwatch_http::WorkerMetrics::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://127.0.0.1:{}", metrics.port());
    let worker =
        Worker::new(core.clone(), WorkerConfig { observer: Some(metrics.observer()), ..WorkerConfig::default() });
    let stop = tokio_util::sync::CancellationToken::new();
    let served = tokio::spawn(metrics.run_until(core.clone(), {
        let stop = stop.clone();
        async move { stop.cancelled().await }
    }));
    // A kind nobody handles: the job dies at once, and that is counted.
    core.jobs()
        .enqueue(JobSpec::new("no_such_kind", None, serde_json::json!({})).with_max_attempts(1))
        .await
        .expect("enqueue");
    let outcomes = worker.run_once().await.expect("run");
    assert_eq!(outcomes.len(), 1);
    let text = reqwest::get(format!("{base}/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(
        text.lines().any(|l| l == "certwatch_jobs_finished_total{kind=\"no_such_kind\",outcome=\"dead\"} 1"),
        "{text}"
    );
    assert!(text.lines().any(|l| l == "certwatch_job_queue_jobs{status=\"dead\"} 1"), "{text}");
    stop.cancel();
    served.await.expect("join").expect("served");
}
