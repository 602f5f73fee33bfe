//! Webhooks through the real server, on SQLite and Postgres: subscribers
//! and subscriptions made over HTTP, certificates changed over HTTP, and
//! the server's own in-process worker delivering signed POSTs to wiremock
//! receivers that check the HMAC independently (ring). Covers a receiver
//! that fails twice then succeeds, one that hangs past the timeout, one
//! that always fails (FAILED after the cap, redeliver → SUCCESS, a second
//! redeliver → 409), secret rotation, delivery filters, operators retrying
//! dead jobs, the queue in health and metrics. Retry backoff is crossed by
//! advancing the server's manual clock, never by sleeping.

use std::time::Duration as StdDuration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use certwatch_core::jobs::{JobSpec, JobStatus};
use certwatch_http::JobSettings;
use certwatch_tests::http::TestServer;
use certwatch_tests::Backend;
use chrono::Duration;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const PW: &str = "webhook password 123";

fn settings() -> JobSettings {
    JobSettings {
        concurrency: 8,
        poll_interval: StdDuration::from_millis(50),
        webhook_timeout: StdDuration::from_millis(500),
        webhook_max_attempts: 3,
        webhook_allowed_networks: vec!["127.0.0.0/8".parse().expect("net")],
        ..JobSettings::default()
    }
}

/// HMAC-SHA256 computed with ring, independent of the code under test.
fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), msg).as_ref().to_vec()
}

fn header<'a>(r: &'a Request, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("header {name} missing"))
}

/// Checks both signatures of a received request with `secret`; returns the
/// parsed body.
fn verify(r: &Request, secret: &str) -> Value {
    assert_eq!(
        header(r, "x-webhook-signature"),
        format!("sha256={}", hex::encode(hmac(secret.as_bytes(), &r.body))),
        "X-Webhook-Signature over the exact bytes sent"
    );
    let id = header(r, "webhook-id");
    let ts = header(r, "webhook-timestamp");
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("whsec_ secret")).expect("base64 key");
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(&r.body);
    assert_eq!(header(r, "webhook-signature"), format!("v1,{}", STANDARD.encode(hmac(&key, &msg))));
    let body: Value = serde_json::from_slice(&r.body).expect("JSON body");
    body
}

struct Hook {
    id: String,
    secret: String,
}

async fn subscribe(srv: &TestServer, token: &str, url: String, events: &[&str]) -> Hook {
    let a = srv
        .call("POST", "/api/webhooks/subscribers", Some(token), Some(&json!({"name": url, "webhook_url": url})))
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    let id = a.body["id"].as_str().expect("id").to_owned();
    let secret = a.body["signing_secret"].as_str().expect("secret shown once").to_owned();
    assert!(a.body["api_key"].as_str().is_some_and(|k| k.starts_with("cwk_")), "{}", a.text);
    let a = srv
        .call(
            "POST",
            &format!("/api/webhooks/subscribers/{id}/subscriptions"),
            Some(token),
            Some(&json!({"event_types": events})),
        )
        .await;
    assert_eq!(a.status, 201, "{}", a.text);
    // Reading a subscriber never shows its credentials again.
    let a = srv.call("GET", &format!("/api/webhooks/subscribers/{id}"), Some(token), None).await;
    assert_eq!(a.status, 200);
    assert!(a.body.get("signing_secret").is_none() && a.body.get("api_key").is_none(), "{}", a.text);
    Hook { id, secret }
}

async fn deliveries(srv: &TestServer, token: &str, query: &str) -> Vec<Value> {
    let a = srv.call("GET", &format!("/api/webhooks/deliveries?{query}"), Some(token), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    a.body.as_array().expect("list").clone()
}

async fn delivery_of(srv: &TestServer, token: &str, hook: &Hook) -> Value {
    let ds = deliveries(srv, token, &format!("subscriber_id={}", hook.id)).await;
    assert_eq!(ds.len(), 1, "one delivery for {}: {ds:?}", hook.id);
    ds[0].clone()
}

/// Waits until the delivery of `hook` has `attempts` attempts and no job
/// runs, so advancing the clock cannot expire a running job's lease.
async fn settle(srv: &TestServer, token: &str, hook: &Hook, attempts: u64) -> Value {
    srv.eventually(&format!("{} has {attempts} attempts", hook.id), || async {
        delivery_of(srv, token, hook).await["attempts"].as_u64() == Some(attempts)
    })
    .await;
    srv.eventually("no job is running", || async {
        let q = srv.core.jobs().queue_stats().await.expect("stats");
        q.by_status.get("running").copied().unwrap_or(0) == 0
    })
    .await;
    delivery_of(srv, token, hook).await
}

/// Crosses any retry backoff (capped at one hour) and wakes the worker.
fn next_round(srv: &TestServer) {
    srv.clock.advance(Duration::hours(2));
    srv.core.wake_workers();
}

async fn webhooks_over_http(backend: Backend) {
    let srv = TestServer::spawn_with_jobs(backend, settings()).await;
    let token = srv.signup("hooks@example.com", PW, "Hooks").await;

    let ok = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&ok).await;
    let flaky = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).up_to_n_times(2).mount(&flaky).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&flaky).await;
    let hang = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_secs(3)))
        .mount(&hang)
        .await;
    let fail = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&fail).await;

    // An unknown event type is a 422 naming the field.
    let h_ok =
        subscribe(&srv, &token, format!("{}/hook", ok.uri()), &["certificate.created", "certificate.updated"]).await;
    let bad = srv
        .call(
            "POST",
            &format!("/api/webhooks/subscribers/{}/subscriptions", h_ok.id),
            Some(&token),
            Some(&json!({"event_types": ["certificate.nope"]})),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert!(bad.text.contains("event_types"), "{}", bad.text);
    let h_flaky = subscribe(&srv, &token, format!("{}/hook", flaky.uri()), &["certificate.created"]).await;
    let h_hang = subscribe(&srv, &token, format!("{}/hook", hang.uri()), &["certificate.created"]).await;
    let h_fail = subscribe(&srv, &token, format!("{}/hook", fail.uri()), &["certificate.created"]).await;

    // A certificate created and changed over HTTP.
    let org = srv.call("POST", "/api/organizations", Some(&token), Some(&json!({"name": "Hooked Supplier"}))).await;
    assert_eq!(org.status, 201, "{}", org.text);
    let cert = srv
        .call(
            "POST",
            "/api/certificates",
            Some(&token),
            Some(&json!({"organization_id": org.body["id"], "certificate_type": "ISO_9001"})),
        )
        .await;
    assert_eq!(cert.status, 201, "{}", cert.text);
    let cert_id = cert.body["id"].as_str().expect("id").to_owned();
    let patched =
        srv.call("PATCH", &format!("/api/certificates/{cert_id}"), Some(&token), Some(&json!({"scope": "All"}))).await;
    assert_eq!(patched.status, 200, "{}", patched.text);

    // The ok receiver gets both events, correctly signed, once each.
    srv.eventually("the ok receiver got two POSTs", || async {
        ok.received_requests().await.is_some_and(|r| r.len() >= 2)
    })
    .await;
    let got = ok.received_requests().await.expect("recorded");
    let mut events: Vec<String> = got
        .iter()
        .map(|r| {
            let body = verify(r, &h_ok.secret);
            assert_eq!(body["certificate"]["id"], json!(cert_id), "{body}");
            body["event"].as_str().expect("event").to_owned()
        })
        .collect();
    events.sort();
    assert_eq!(events, ["certificate.created", "certificate.updated"]);
    let upd = got.iter().map(|r| verify(r, &h_ok.secret)).find(|b| b["event"] == "certificate.updated").expect("upd");
    assert!(upd.to_string().contains("scope"), "the changed fields are named: {upd}");

    // Flaky: 503, 503, then 200 — SUCCESS on the third attempt.
    let d = settle(&srv, &token, &h_flaky, 1).await;
    assert_eq!((d["status"].as_str(), d["response_status"].as_u64()), (Some("PENDING"), Some(503)), "{d}");
    // Hanging receiver: the first attempt timed out.
    let d = settle(&srv, &token, &h_hang, 1).await;
    assert_eq!(d["status"], "PENDING", "{d}");
    assert!(d["error_message"].as_str().is_some_and(|e| e.contains("timed out")), "{d}");
    settle(&srv, &token, &h_fail, 1).await;
    next_round(&srv);
    for h in [&h_flaky, &h_hang, &h_fail] {
        settle(&srv, &token, h, 2).await;
    }
    next_round(&srv);
    let d = settle(&srv, &token, &h_flaky, 3).await;
    assert_eq!(d["status"], "SUCCESS", "{d}");
    for r in flaky.received_requests().await.expect("recorded") {
        verify(&r, &h_flaky.secret);
    }
    let d = settle(&srv, &token, &h_hang, 3).await;
    assert_eq!(d["status"], "FAILED", "after the cap of 3 attempts: {d}");
    let d = settle(&srv, &token, &h_fail, 3).await;
    assert_eq!((d["status"].as_str(), d["response_status"].as_u64()), (Some("FAILED"), Some(500)), "{d}");
    assert_eq!(fail.received_requests().await.expect("recorded").len(), 3);

    // Delivery filters.
    let failed = deliveries(&srv, &token, "status=FAILED").await;
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert_eq!(deliveries(&srv, &token, "event_type=certificate.updated").await.len(), 1);
    let a = srv.call("GET", "/api/webhooks/deliveries?event_type=certificate.nope", Some(&token), None).await;
    assert_eq!(a.status, 422, "{}", a.text);

    // Redeliver the FAILED one once the receiver is healthy: SUCCESS, same id.
    fail.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&fail).await;
    let failed_id = d["id"].as_str().expect("id").to_owned();
    let a = srv.call("POST", &format!("/api/webhooks/deliveries/{failed_id}/redeliver"), Some(&token), None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    srv.eventually("the redelivery succeeded", || async {
        let a = srv.call("GET", &format!("/api/webhooks/deliveries/{failed_id}"), Some(&token), None).await;
        a.body["status"] == "SUCCESS"
    })
    .await;
    let again = fail.received_requests().await.expect("recorded");
    assert_eq!(again.len(), 1);
    verify(&again[0], &h_fail.secret);
    assert_eq!(header(&again[0], "webhook-id"), failed_id, "a redelivery keeps the delivery id");
    let a = srv.call("POST", &format!("/api/webhooks/deliveries/{failed_id}/redeliver"), Some(&token), None).await;
    assert_eq!(a.status, 409, "only FAILED deliveries are redelivered: {}", a.text);
    assert!(a.is_problem(), "{}", a.text);

    // Rotation: a new secret, shown once; subscriptions survive; the test
    // event is signed with the new secret.
    let subs_before =
        srv.call("GET", &format!("/api/webhooks/subscribers/{}/subscriptions", h_ok.id), Some(&token), None).await;
    let a = srv
        .call("POST", &format!("/api/webhooks/subscribers/{}/rotate-signing-secret", h_ok.id), Some(&token), None)
        .await;
    assert_eq!(a.status, 200, "{}", a.text);
    let new_secret = a.body["signing_secret"].as_str().expect("new secret").to_owned();
    assert_ne!(new_secret, h_ok.secret);
    assert!(a.body.get("api_key").is_none(), "only the rotated credential is shown: {}", a.text);
    let subs_after =
        srv.call("GET", &format!("/api/webhooks/subscribers/{}/subscriptions", h_ok.id), Some(&token), None).await;
    assert_eq!(subs_before.body, subs_after.body);
    let a = srv.call("POST", &format!("/api/webhooks/subscribers/{}/test", h_ok.id), Some(&token), None).await;
    assert_eq!(a.status, 201, "{}", a.text);
    srv.eventually("the test event arrived", || async { ok.received_requests().await.is_some_and(|r| r.len() >= 3) })
        .await;
    let got = ok.received_requests().await.expect("recorded");
    let test = verify(&got[2], &new_secret);
    assert_eq!(test["event"], "webhook.test");
    let a =
        srv.call("POST", &format!("/api/webhooks/subscribers/{}/rotate-api-key", h_ok.id), Some(&token), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(
        a.body["api_key"].as_str().is_some_and(|k| k.starts_with("cwk_")) && a.body.get("signing_secret").is_none()
    );
    // History survives rotation.
    assert_eq!(deliveries(&srv, &token, &format!("subscriber_id={}", h_ok.id)).await.len(), 3);

    // Deleting a subscriber takes its subscriptions and log with it.
    let a = srv.call("DELETE", &format!("/api/webhooks/subscribers/{}", h_hang.id), Some(&token), None).await;
    assert_eq!(a.status, 204, "{}", a.text);
    assert!(deliveries(&srv, &token, &format!("subscriber_id={}", h_hang.id)).await.is_empty());
}

#[tokio::test]
async fn webhooks_over_http_sqlite() {
    webhooks_over_http(Backend::Sqlite).await;
}

#[tokio::test]
async fn webhooks_over_http_postgres() {
    webhooks_over_http(Backend::Postgres).await;
}

/// A job of an unknown kind dies at once; an operator sees it under
/// `/api/admin/jobs/dead` and queues it again; the queue shows in the
/// status, in metrics and (lagging) in health.
async fn operators_and_queue(backend: Backend) {
    let srv = TestServer::spawn_with_jobs(backend, settings()).await;
    let token = srv.signup("ops@example.com", PW, "Ops").await;
    let member = srv.signup("plain@example.com", PW, "Plain").await;
    srv.core.tenancy().set_operator("ops@example.com", true).await.expect("operator");

    srv.core.jobs().enqueue(JobSpec::new("no_such_kind", None, json!({"n": 1}))).await.expect("enqueue");
    srv.eventually("the job died", || async {
        srv.core.jobs().list(JobStatus::Dead, 10).await.expect("dead").iter().any(|j| j.kind == "no_such_kind")
    })
    .await;
    let a = srv.call("GET", "/api/admin/jobs/dead", Some(&member), None).await;
    assert_eq!(a.status, 403, "{}", a.text);
    let a = srv.call("GET", "/api/admin/jobs/dead", Some(&token), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let dead = a.body.as_array().expect("list").iter().find(|j| j["kind"] == "no_such_kind").expect("listed").clone();
    assert!(dead["last_error"].as_str().is_some_and(|e| e.contains("unknown job kind")), "{dead}");
    let id = dead["id"].as_str().expect("id").to_owned();
    let a = srv.call("POST", &format!("/api/admin/jobs/{id}/retry"), Some(&token), None).await;
    assert_eq!(a.status, 202, "{}", a.text);
    srv.eventually("the retried job ran (and died again)", || async {
        let m = srv.call("GET", "/metrics", None, None).await;
        m.text.contains("certwatch_jobs_finished_total{kind=\"no_such_kind\",outcome=\"dead\"} 2")
    })
    .await;
    let j = srv.core.jobs().get(id.parse::<uuid::Uuid>().expect("uuid").into()).await.expect("job");
    assert_eq!((j.status, j.attempts), (JobStatus::Dead, 1), "fresh attempts after the retry");
    let missing = uuid::Uuid::new_v4();
    let a = srv.call("POST", &format!("/api/admin/jobs/{missing}/retry"), Some(&token), None).await;
    assert_eq!(a.status, 404, "{}", a.text);

    let a = srv.call("GET", "/api/admin/status", Some(&token), None).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.body["job_queue"]["by_status"]["dead"].as_u64().is_some_and(|n| n >= 1), "{}", a.text);

    let m = srv.call("GET", "/metrics", None, None).await;
    assert!(m.text.contains("certwatch_job_queue_jobs{status=\"dead\"}"), "{}", m.text);
    assert!(m.text.contains("certwatch_webhook_deliveries{status=\"FAILED\"} 0"), "{}", m.text);

    let h = srv.call("GET", "/api/health", None, None).await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")), "{}", h.text);
}

#[tokio::test]
async fn operators_and_queue_sqlite() {
    operators_and_queue(Backend::Sqlite).await;
}

#[tokio::test]
async fn operators_and_queue_postgres() {
    operators_and_queue(Backend::Postgres).await;
}

/// Without a worker, due jobs wait: after five minutes health says
/// "degraded" (still 200), naming the job queue.
#[tokio::test]
async fn health_reports_a_lagging_queue() {
    let srv = TestServer::spawn_without_worker(Backend::Sqlite).await;
    srv.core.jobs().enqueue(JobSpec::new("anything", None, json!({}))).await.expect("enqueue");
    let h = srv.call("GET", "/api/health", None, None).await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")), "{}", h.text);
    srv.clock.advance(Duration::minutes(6));
    let h = srv.call("GET", "/api/health", None, None).await;
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("degraded")), "{}", h.text);
    let check = h.body["checks"].as_array().expect("checks").iter().find(|c| c["name"] == "job_queue").expect("check");
    assert_eq!(check["status"], "degraded", "{}", h.text);
}
