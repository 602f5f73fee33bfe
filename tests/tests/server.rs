//! The `certwatch` host end to end: the real server on port 0, over real
//! HTTP, on both backends; health reports an unreachable database as 503.

use std::sync::Arc;

use certwatch_core::CertWatch;
use certwatch_http::{Application, ServeConfig};
use certwatch_tests::{Backend, TestDb};

async fn spawn(core: CertWatch) -> String {
    let config = ServeConfig { bind: "127.0.0.1:0".into(), ..ServeConfig::default() };
    let app = Application::with_core(&config, core).await.expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    base
}

async fn health_ok(backend: Backend) {
    let db = TestDb::new(backend).await;
    let base = spawn(CertWatch::new(db.store.clone())).await;
    let res = reqwest::get(format!("{base}/api/health")).await.expect("GET /api/health");
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["backend"], if backend == Backend::Sqlite { "sqlite" } else { "postgres" });
    assert_eq!(body["checks"][0]["name"], "database");

    let spec: serde_json::Value =
        reqwest::get(format!("{base}/api/schema")).await.expect("schema").json().await.expect("json");
    assert!(spec["paths"]["/api/health"]["get"].is_object(), "health is in the OpenAPI document: {spec}");
    let docs = reqwest::get(format!("{base}/api/docs")).await.expect("docs");
    assert_eq!(docs.status(), 200);
    assert_eq!(reqwest::get(format!("{base}/api/nope")).await.expect("404").status(), 404);
}

#[tokio::test]
async fn health_sqlite() {
    health_ok(Backend::Sqlite).await;
}

#[tokio::test]
async fn health_postgres() {
    health_ok(Backend::Postgres).await;
}

#[tokio::test]
async fn health_reports_an_unreachable_database() {
    // Nothing listens on port 1: every connection attempt fails fast.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://nobody@127.0.0.1:1/none")
        .expect("lazy pool");
    let base = spawn(CertWatch::new(Arc::new(certwatch_store::PgStore::from_pool(pool)))).await;
    let res = reqwest::get(format!("{base}/api/health")).await.expect("GET /api/health");
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.expect("json");
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"][0]["status"], "failed");
    assert!(body["checks"][0]["error"].as_str().is_some_and(|e| !e.is_empty()));
}

#[tokio::test]
async fn serve_builds_the_embedded_default_in_a_data_dir() {
    let dir = std::env::temp_dir().join(format!("cw-serve-{}", uuid::Uuid::new_v4().simple()));
    let config = ServeConfig { bind: "127.0.0.1:0".into(), data_dir: dir.clone(), ..ServeConfig::default() };
    let app = Application::build(&config).await.expect("build on the embedded default");
    assert_eq!(app.core().store().backend(), "sqlite");
    assert!(dir.join("certwatch.sqlite").exists(), "database file created in the data dir");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run());
    assert_eq!(reqwest::get(format!("{base}/api/health")).await.expect("health").status(), 200);
    let _ = std::fs::remove_dir_all(dir);
}
