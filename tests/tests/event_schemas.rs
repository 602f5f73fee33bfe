//! The webhook event payload schemas: generated with schemars from the
//! typed payloads (`certwatch_core::events::payloads`), pinned in
//! `schemas/events/*.json` (regenerate with `UPDATE_SNAPSHOTS=1`), and
//! checked with the `jsonschema` crate against real deliveries of every
//! event type, received by a wiremock server on SQLite and Postgres.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use certwatch_core::adapters::ReqwestWebhookSender;
use certwatch_core::certificates::{CertificateInput, CertificatePatch, CertificateStatus};
use certwatch_core::events::payloads::event_schemas;
use certwatch_core::events::EventType;
use certwatch_core::jobs::{Worker, WorkerConfig};
use certwatch_core::ports::Clock as _;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_core::webhooks::{DeliveryConfig, SubscriberInput, SubscriptionInput};
use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, Backend, TestDb};
use chrono::Duration;
use serde_json::Value;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schemas/events")
}

fn schemas() -> BTreeMap<String, Value> {
    event_schemas()
        .into_iter()
        .map(|(t, s)| (t.as_str().to_owned(), serde_json::to_value(s).expect("schema as JSON")))
        .collect()
}

#[test]
fn schema_files_match_the_typed_payloads() {
    let dir = schema_dir();
    let update = std::env::var("UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(&dir).expect("schema dir");
    }
    for (name, schema) in schemas() {
        let path = dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(&schema).expect("pretty") + "\n";
        if update {
            std::fs::write(&path, &text).expect("write schema");
        }
        let pinned = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; regenerate with UPDATE_SNAPSHOTS=1 cargo test -p certwatch-tests --test event_schemas",
                path.display()
            )
        });
        assert_eq!(
            pinned,
            text,
            "{} is stale; regenerate with UPDATE_SNAPSHOTS=1 cargo test -p certwatch-tests --test event_schemas",
            path.display()
        );
    }
}

async fn real_payloads_validate(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = admin_of(&app, "schemas@example.com").await;
    let rx = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&rx).await;
    let s = app
        .webhooks()
        .create_subscriber(
            &p,
            SubscriberInput { name: "schemas".into(), webhook_url: format!("{}/hook", rx.uri()), is_active: None },
        )
        .await
        .expect("subscriber");
    let all: Vec<String> = EventType::ALL.iter().map(|t| t.as_str().to_owned()).collect();
    app.webhooks()
        .create_subscription(&p, s.subscriber.id, SubscriptionInput { event_types: all, ..Default::default() })
        .await
        .expect("subscription");
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: "Schema Supplier".into(), ..Default::default() })
        .await
        .expect("org");
    let cert = app
        .certificates()
        .create_certificate(
            &p,
            CertificateInput {
                organization_id: org.id,
                certificate_type: "ISO_9001".into(),
                status: Some(CertificateStatus::Active),
                expiry_date: Some(clock.today() + Duration::days(5)),
                ..Default::default()
            },
        )
        .await
        .expect("certificate");
    app.certificates()
        .update_certificate(
            &p,
            cert.id,
            CertificatePatch { scope: Some(Some("Design and manufacture".into())), ..Default::default() },
        )
        .await
        .expect("update");
    assert_eq!(certwatch_core::expiry::run_expiry_notifications(&app).await.expect("notify"), 1);
    clock.advance(Duration::days(6));
    assert_eq!(certwatch_core::expiry::run_expiry_sweep(&app).await.expect("sweep"), 1);
    app.webhooks().send_test(&p, s.subscriber.id).await.expect("test event");

    let w = Worker::new(
        app.clone(),
        WorkerConfig {
            webhooks: DeliveryConfig {
                sender: Arc::new(ReqwestWebhookSender::new(vec!["127.0.0.0/8".parse().expect("net")])),
                ..DeliveryConfig::default()
            },
            ..WorkerConfig::default()
        },
    );
    while !w.run_once().await.expect("run").is_empty() {}

    let schemas = schemas();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for r in rx.received_requests().await.expect("recorded") {
        let body: Value = serde_json::from_slice(&r.body).expect("JSON body");
        let event = body["event"].as_str().expect("event").to_owned();
        let schema = schemas.get(&event).unwrap_or_else(|| panic!("no schema for {event}"));
        let validator = jsonschema::validator_for(schema).expect("valid schema");
        let errors: Vec<String> = validator.iter_errors(&body).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{event} payload violates its schema: {errors:?}\n{body}");
        *seen.entry(event).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        ("certificate.created", 1),
        ("certificate.expired", 1),
        ("certificate.expiring", 1),
        ("certificate.updated", 2),
        ("webhook.test", 1),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(seen, expected, "every event type delivered and validated");
}

#[tokio::test]
async fn real_payloads_validate_sqlite() {
    real_payloads_validate(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn real_payloads_validate_postgres() {
    real_payloads_validate(TestDb::new(Backend::Postgres).await).await;
}
