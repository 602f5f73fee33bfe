//! Webhooks end to end against real HTTP receivers (wiremock), on SQLite
//! and Postgres: outbox → deliveries (one per matching active subscription,
//! idempotent) → signed POSTs checked with an independent HMAC (ring) →
//! retries with backoff on the manual clock → SUCCESS / FAILED; a receiver
//! that fails twice then succeeds, one that hangs past the timeout, one
//! that always fails; redelivery, test events, secret rotation; and a
//! worker that dies after the receiver answered 2xx, whose job another
//! worker finishes without sending again.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use certwatch_core::adapters::ReqwestWebhookSender;
use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificateStatus};
use certwatch_core::ids::OrganizationId;
use certwatch_core::jobs::{Job, JobContext, JobHandler, JobStatus, Outcome, Worker, WorkerConfig};
use certwatch_core::ports::{OutboundRequest, Scope, SendError, WebhookSender};
use certwatch_core::suppliers::OrganizationInput;
use certwatch_core::webhooks::delivery::{DeliverWebhook, DELIVER_WEBHOOK};
use certwatch_core::webhooks::{
    dispatch_outbox, Delivery, DeliveryConfig, DeliveryFilter, DeliveryStatus, FixedJitter, RetryPolicy,
    SubscriberInput, SubscriptionInput, DISPATCH_OUTBOX,
};
use certwatch_core::CertWatch;
use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, Backend, TestDb};
use chrono::Duration;
use serde_json::json;
use tokio_util::sync::CancellationToken;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TIMEOUT: StdDuration = StdDuration::from_millis(500);

fn delivery_config() -> DeliveryConfig {
    DeliveryConfig {
        sender: Arc::new(ReqwestWebhookSender::new(vec!["127.0.0.0/8".parse().expect("net")])),
        timeout: TIMEOUT,
        max_attempts: 3,
    }
}

fn worker(app: &CertWatch, id: &str) -> Worker {
    Worker::new(
        app.clone(),
        WorkerConfig {
            worker_id: id.into(),
            concurrency: 8,
            lease: Duration::seconds(60),
            heartbeat: StdDuration::from_secs(3600),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: StdDuration::from_secs(10),
                max_delay: StdDuration::from_secs(30),
                jitter: 0.0,
            },
            jitter: Arc::new(FixedJitter(0.0)),
            webhooks: delivery_config(),
            ..WorkerConfig::default()
        },
    )
}

/// HMAC-SHA256 computed with ring, independent of the code under test.
fn hmac(key: &[u8], msg: &[u8]) -> Vec<u8> {
    ring::hmac::sign(&ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key), msg).as_ref().to_vec()
}

fn header<'a>(r: &'a Request, name: &str) -> &'a str {
    r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("header {name} missing"))
}

/// Checks both signatures of a received request with `secret`; returns the
/// delivery id (`webhook-id`).
fn verify(r: &Request, secret: &str, now_unix: i64) -> String {
    let body = &r.body;
    assert_eq!(
        header(r, "x-webhook-signature"),
        format!("sha256={}", hex::encode(hmac(secret.as_bytes(), body))),
        "GitHub-style signature over the raw body, keyed with the whole secret"
    );
    let id = header(r, "webhook-id");
    let ts = header(r, "webhook-timestamp");
    assert!((ts.parse::<i64>().expect("unix seconds") - now_unix).abs() <= 300, "fresh timestamp");
    let key = STANDARD.decode(secret.strip_prefix("whsec_").expect("whsec_ secret")).expect("base64 key");
    let mut msg = format!("{id}.{ts}.").into_bytes();
    msg.extend_from_slice(body);
    assert_eq!(header(r, "webhook-signature"), format!("v1,{}", STANDARD.encode(hmac(&key, &msg))));
    assert_eq!(header(r, "content-type"), "application/json");
    id.to_owned()
}

async fn org(app: &CertWatch, p: &Principal) -> OrganizationId {
    app.suppliers()
        .create_organization(p, OrganizationInput { name: "Hook Supplier".into(), ..Default::default() })
        .await
        .expect("org")
        .id
}

async fn certificate(app: &CertWatch, p: &Principal, org: OrganizationId, ty: &str) {
    app.certificates()
        .create_certificate(
            p,
            CertificateInput {
                organization_id: org,
                certificate_type: ty.into(),
                status: Some(CertificateStatus::Active),
                expiry_date: chrono::NaiveDate::from_ymd_opt(2027, 1, 1),
                ..Default::default()
            },
        )
        .await
        .expect("certificate");
}

async fn subscriber(app: &CertWatch, p: &Principal, url: String, ty: Option<&str>) -> (Delivery, String) {
    let issued = app
        .webhooks()
        .create_subscriber(p, SubscriberInput { name: url.clone(), webhook_url: url, is_active: None })
        .await
        .expect("subscriber");
    let secret = issued.signing_secret.expect("secret shown once").expose().to_owned();
    app.webhooks()
        .create_subscription(
            p,
            issued.subscriber.id,
            SubscriptionInput {
                organization_id: None,
                certificate_type: ty.map(str::to_owned),
                event_types: vec!["certificate.created".into()],
            },
        )
        .await
        .expect("subscription");
    // A placeholder delivery value carrying the subscriber id for lookups.
    let placeholder = Delivery {
        id: Default::default(),
        tenant_id: p.tenant_id,
        subscriber_id: issued.subscriber.id,
        subscription_id: None,
        event_id: None,
        event_type: String::new(),
        payload: json!(null),
        status: DeliveryStatus::Pending,
        attempts: 0,
        response_status: None,
        error_message: None,
        created_at: app.clock().now(),
        delivered_at: None,
    };
    (placeholder, secret)
}

async fn deliveries_of(app: &CertWatch, p: &Principal, s: &Delivery) -> Vec<Delivery> {
    app.webhooks()
        .list_deliveries(p, &DeliveryFilter { subscriber_id: Some(s.subscriber_id), ..Default::default() }, 100)
        .await
        .expect("deliveries")
}

#[tokio::test]
async fn webhook_deliveries_sqlite() {
    deliveries_story(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn webhook_deliveries_postgres() {
    deliveries_story(TestDb::new(Backend::Postgres).await).await;
}

async fn deliveries_story(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "hooks@example.com").await;
    let now_unix = app.clock().now().timestamp();

    let ok = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(204)).mount(&ok).await;
    let flaky = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&flaky)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).with_priority(2).mount(&flaky).await;
    let hang = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(StdDuration::from_secs(3)))
        .mount(&hang)
        .await;
    let fail = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(503)).mount(&fail).await;

    let (s_ok, k_ok) = subscriber(&app, &p, format!("{}/hook", ok.uri()), None).await;
    let (s_flaky, k_flaky) = subscriber(&app, &p, format!("{}/hook", flaky.uri()), None).await;
    let (s_hang, k_hang) = subscriber(&app, &p, format!("{}/hook", hang.uri()), None).await;
    let (s_fail, k_fail) = subscriber(&app, &p, format!("{}/hook", fail.uri()), None).await;
    // Filtered to another certificate type: gets nothing.
    let (s_other, _) = subscriber(&app, &p, format!("{}/other", ok.uri()), Some("TISAX")).await;
    // Inactive: gets nothing.
    let (s_off, _) = subscriber(&app, &p, format!("{}/off", ok.uri()), None).await;
    app.webhooks()
        .update_subscriber(
            &p,
            s_off.subscriber_id,
            certwatch_core::webhooks::SubscriberPatch { is_active: Some(false), ..Default::default() },
        )
        .await
        .expect("deactivate");

    let o = org(&app, &p).await;
    certificate(&app, &p, o, "ISO_9001").await;

    // Dispatch: one delivery per matching active subscription, once.
    // The change enqueued its dispatch job in its own transaction.
    let w = worker(&app, "w1");
    let ran = w.run_once().await.expect("dispatch");
    assert_eq!(ran.len(), 1, "exactly the transactional dispatch job is due: {ran:?}");
    assert_eq!(app.jobs().get(ran[0].0).await.expect("job").kind, DISPATCH_OUTBOX);
    assert_eq!(dispatch_outbox(&app, 100, 3).await.expect("again"), (0, 0), "events are published");
    for s in [&s_ok, &s_flaky, &s_hang, &s_fail] {
        let ds = deliveries_of(&app, &p, s).await;
        assert_eq!(ds.len(), 1);
        assert_eq!((ds[0].status, ds[0].event_type.as_str()), (DeliveryStatus::Pending, "certificate.created"));
    }
    assert!(deliveries_of(&app, &p, &s_other).await.is_empty());
    assert!(deliveries_of(&app, &p, &s_off).await.is_empty());
    // The same (event, subscription) cannot get a second delivery row.
    {
        let mut dup = deliveries_of(&app, &p, &s_ok).await.remove(0);
        dup.id = uuid::Uuid::new_v4().into();
        let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
        assert!(!tx.insert_delivery(&dup).await.expect("insert"), "unique per (event, subscription)");
    }

    // Attempt 1 for all four, then retries on the manual clock.
    // (with the dispatcher's follow-up, which finds nothing more)
    let first = w.run_once().await.expect("deliver");
    assert_eq!(first.len(), 5);
    assert_eq!(first.iter().filter(|(_, o)| *o == Outcome::Succeeded).count(), 2);
    for _ in 0..4 {
        clock.advance(Duration::seconds(30));
        w.run_once().await.expect("retry");
    }
    let d_ok = deliveries_of(&app, &p, &s_ok).await.remove(0);
    assert_eq!((d_ok.status, d_ok.attempts, d_ok.response_status), (DeliveryStatus::Success, 1, Some(204)));
    assert!(d_ok.delivered_at.is_some());
    let d_flaky = deliveries_of(&app, &p, &s_flaky).await.remove(0);
    assert_eq!((d_flaky.status, d_flaky.attempts, d_flaky.response_status), (DeliveryStatus::Success, 3, Some(200)));
    let d_hang = deliveries_of(&app, &p, &s_hang).await.remove(0);
    assert_eq!((d_hang.status, d_hang.attempts), (DeliveryStatus::Failed, 3));
    assert_eq!(d_hang.error_message.as_deref(), Some("timed out"));
    let d_fail = deliveries_of(&app, &p, &s_fail).await.remove(0);
    assert_eq!((d_fail.status, d_fail.attempts, d_fail.response_status), (DeliveryStatus::Failed, 3, Some(503)));

    // What the receivers saw, verified independently.
    let got = ok.received_requests().await.expect("recorded");
    assert_eq!(got.len(), 1, "a 2xx receiver gets the event exactly once");
    assert_eq!(verify(&got[0], &k_ok, now_unix), d_ok.id.to_string());
    let body: serde_json::Value = serde_json::from_slice(&got[0].body).expect("json");
    assert_eq!(body["event"], "certificate.created");
    assert_eq!(body["certificate"]["certificate_type"], "ISO_9001");
    let got = flaky.received_requests().await.expect("recorded");
    assert_eq!(got.len(), 3, "failed twice, then succeeded");
    for r in &got {
        assert_eq!(verify(r, &k_flaky, now_unix + 120), d_flaky.id.to_string(), "same id across retries");
    }
    assert_eq!(fail.received_requests().await.expect("recorded").len(), 3, "the retry cap");
    for r in fail.received_requests().await.expect("recorded") {
        verify(&r, &k_fail, now_unix + 120);
    }
    for r in hang.received_requests().await.expect("recorded") {
        verify(&r, &k_hang, now_unix + 120);
    }

    // Redeliver the failed one once the receiver recovered.
    fail.reset().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&fail).await;
    assert!(app.webhooks().redeliver(&p, d_ok.id).await.is_err(), "only failed deliveries");
    app.webhooks().redeliver(&p, d_fail.id).await.expect("redeliver");
    let queued = app.jobs().list(JobStatus::Queued, 100).await.expect("queued");
    let redelivery = queued
        .iter()
        .find(|j| j.kind == DELIVER_WEBHOOK && j.payload["delivery_id"] == json!(d_fail.id))
        .expect("a delivery job is queued");
    assert_eq!(
        (redelivery.max_attempts, app.config().webhook_max_attempts),
        (8, 8),
        "a redelivery gets the operator's attempt cap, not the generic job default"
    );
    w.run_once().await.expect("redeliver run");
    let d = app.webhooks().get_delivery(&p, d_fail.id).await.expect("delivery");
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Success, 4));

    // Rotation keeps subscriptions and history; new deliveries use the new secret.
    let subs_before = app.webhooks().list_subscriptions(&p, Some(s_ok.subscriber_id)).await.expect("subs");
    let rotated = app.webhooks().rotate_signing_secret(&p, s_ok.subscriber_id).await.expect("rotate");
    let new_secret = rotated.signing_secret.expect("new secret").expose().to_owned();
    assert_ne!(new_secret, k_ok);
    app.webhooks().rotate_api_key(&p, s_ok.subscriber_id).await.expect("rotate key");
    assert_eq!(app.webhooks().list_subscriptions(&p, Some(s_ok.subscriber_id)).await.expect("subs"), subs_before);
    let test = app.webhooks().send_test(&p, s_ok.subscriber_id).await.expect("test event");
    w.run_once().await.expect("send test");
    let got = ok.received_requests().await.expect("recorded");
    assert_eq!(got.len(), 2);
    assert_eq!(verify(&got[1], &new_secret, app.clock().now().timestamp()), test.id.to_string());
    assert_eq!(header(&got[1], "x-webhook-event"), "webhook.test");
    assert_eq!(deliveries_of(&app, &p, &s_ok).await.len(), 2, "history kept");
}

#[tokio::test]
async fn delivery_kill_and_resume_sqlite() {
    delivery_kill_and_resume(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn delivery_kill_and_resume_postgres() {
    delivery_kill_and_resume(TestDb::new(Backend::Postgres).await).await;
}

/// Worker A runs a delivery, the receiver answers 2xx and the success is
/// recorded, then A dies before finishing the job. Once A's lease ran out,
/// worker B takes the job over and finishes it without a second POST.
async fn delivery_kill_and_resume(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "resume@example.com").await;
    let ok = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&ok).await;
    let (s, secret) = subscriber(&app, &p, format!("{}/hook", ok.uri()), None).await;
    let o = org(&app, &p).await;
    certificate(&app, &p, o, "ISO_9001").await;
    // Runs the dispatch job the change enqueued: one delivery job results.
    assert_eq!(worker(&app, "dispatcher").run_once().await.expect("dispatch").len(), 1);

    let a = worker(&app, "worker-a");
    let b = worker(&app, "worker-b");
    // A claims the delivery job (and the dispatcher's follow-up, which it
    // never runs: it dies).
    let claimed: Vec<Job> =
        a.claim(10).await.expect("claim").into_iter().filter(|j| j.kind == DELIVER_WEBHOOK).collect();
    assert_eq!(claimed.len(), 1);
    let ctx = JobContext { app: app.clone(), worker_id: Arc::from("worker-a"), shutdown: CancellationToken::new() };
    DeliverWebhook { config: delivery_config() }.run(&ctx, &claimed[0]).await.expect("A delivers");
    // A dies here: the job stays running under A's lease.
    assert!(b.run_once().await.expect("b").is_empty());
    clock.advance(Duration::seconds(61));
    assert_eq!(app.jobs().reap_expired_leases().await.expect("reap"), 2, "the delivery and the follow-up");
    // B also runs the dispatcher's follow-up that A held, which finds nothing.
    let outcomes = b.run_once().await.expect("b");
    assert!(outcomes.contains(&(claimed[0].id, Outcome::Succeeded)), "{outcomes:?}");
    assert!(outcomes.iter().all(|(_, o)| *o == Outcome::Succeeded), "{outcomes:?}");
    assert_eq!(app.jobs().get(claimed[0].id).await.expect("job").status, JobStatus::Succeeded);
    let got = ok.received_requests().await.expect("recorded");
    assert_eq!(got.len(), 1, "nothing delivered twice to a receiver that answered 2xx");
    verify(&got[0], &secret, app.clock().now().timestamp());
    let d = deliveries_of(&app, &p, &s).await.remove(0);
    assert_eq!((d.status, d.attempts), (DeliveryStatus::Success, 1));
}

/// The default sender refuses loopback targets without an allow-list entry
/// and never follows redirects.
#[tokio::test]
async fn sender_refuses_private_targets_and_redirects() {
    let target = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&target).await;
    let redirect = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", format!("{}/x", target.uri())))
        .mount(&redirect)
        .await;
    let req = |url: String| OutboundRequest { url, headers: vec![], body: b"{}".to_vec(), timeout: TIMEOUT };
    let strict = ReqwestWebhookSender::default();
    assert!(matches!(strict.post(req(target.uri())).await, Err(SendError::Refused(_))));
    assert!(matches!(strict.post(req("http://localhost:1/".into())).await, Err(SendError::Refused(_))));
    let allowed = ReqwestWebhookSender::new(vec!["127.0.0.0/8".parse().expect("net")]);
    assert_eq!(allowed.post(req(target.uri())).await, Ok(200));
    assert_eq!(allowed.post(req(redirect.uri())).await, Ok(307), "redirects are not followed");
    assert_eq!(target.received_requests().await.expect("recorded").len(), 1);
}

/// The wiring the hosts use: a `Scheduler` and a `Worker` running until
/// shutdown deliver a committed change to a subscriber, then stop cleanly.
#[tokio::test]
async fn scheduler_and_worker_deliver_sqlite() {
    let db = TestDb::new(Backend::Sqlite).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "running@example.com").await;
    let ok = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&ok).await;
    let (_, secret) = subscriber(&app, &p, format!("{}/hook", ok.uri()), None).await;
    let o = org(&app, &p).await;
    certificate(&app, &p, o, "ISO_9001").await;

    let shutdown = CancellationToken::new();
    let scheduler = certwatch_core::jobs::Scheduler::new(
        app.clone(),
        certwatch_core::jobs::SchedulerConfig { tick: StdDuration::from_millis(20), ..Default::default() },
    );
    let w = Worker::new(
        app.clone(),
        WorkerConfig {
            poll_interval: StdDuration::from_millis(20),
            webhooks: delivery_config(),
            ..WorkerConfig::default()
        },
    );
    let s_task = tokio::spawn(scheduler.run(shutdown.clone()));
    let w_task = tokio::spawn(w.run(shutdown.clone()));
    let mut got = Vec::new();
    for _ in 0..500 {
        got = ok.received_requests().await.expect("recorded");
        if !got.is_empty() {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    shutdown.cancel();
    s_task.await.expect("scheduler stops");
    w_task.await.expect("worker stops");
    assert_eq!(got.len(), 1);
    verify(&got[0], &secret, app.clock().now().timestamp());
}
