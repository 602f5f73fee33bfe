//! The periodic expiry work on SQLite and Postgres, driven by the manual
//! clock: 7-day and 30-day windows with 6- and 25-day cooldowns, no
//! duplicates across restarts or two schedulers running at once, fresh
//! notifications after renewal, and the ACTIVE → EXPIRED sweep with
//! counters, audit entry and events.

use std::sync::Arc;

use certwatch_core::adapters::UuidV7;
use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificatePatch, CertificateStatus};
use certwatch_core::events::EventType;
use certwatch_core::expiry::{run_expiry_notifications, run_expiry_sweep};
use certwatch_core::ids::{CertificateId, OrganizationId};
use certwatch_core::ports::Scope;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_core::{CertWatch, CoreConfig};
use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, Backend, TestDb};
use chrono::{Duration, NaiveDate};

async fn cert(
    app: &CertWatch,
    p: &Principal,
    org: OrganizationId,
    status: CertificateStatus,
    expiry: NaiveDate,
) -> CertificateId {
    app.certificates()
        .create_certificate(
            p,
            CertificateInput {
                organization_id: org,
                certificate_type: "ISO_9001".into(),
                status: Some(status),
                expiry_date: Some(expiry),
                ..Default::default()
            },
        )
        .await
        .expect("certificate")
        .id
}

/// (event type, certificate id, window) of the tenant's outbox events of `t`.
async fn events(app: &CertWatch, p: &Principal, t: EventType) -> Vec<(String, i64)> {
    let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    tx.list_events(p.tenant_id, None, 1000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| e.event_type == t)
        .map(|e| {
            (
                e.payload["certificate"]["id"].as_str().unwrap_or_default().to_owned(),
                e.payload["window_days"].as_i64().unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn expiry_sqlite() {
    story(TestDb::new(Backend::Sqlite).await).await;
}

#[tokio::test]
async fn expiry_postgres() {
    story(TestDb::new(Backend::Postgres).await).await;
}

async fn story(db: TestDb) {
    let (app, clock) = core_with_clock(db.store.clone());
    // A second scheduler process: same database, same time.
    let other = CertWatch::with_ports(db.store.clone(), clock.clone(), Arc::new(UuidV7), CoreConfig::default());
    let (p, _) = admin_of(&app, "expiry@example.com").await;
    let today = app.clock().today();
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: "Expiring Supplier".into(), ..Default::default() })
        .await
        .expect("org")
        .id;
    use CertificateStatus::*;
    let a = cert(&app, &p, org, Active, today + Duration::days(5)).await;
    let b = cert(&app, &p, org, Active, today + Duration::days(20)).await;
    let _far = cert(&app, &p, org, Active, today + Duration::days(60)).await;
    let _pending = cert(&app, &p, org, Pending, today + Duration::days(5)).await;
    let lapsed = cert(&app, &p, org, Active, today - Duration::days(1)).await;

    // Two schedulers at once: each due certificate announced exactly once.
    let (x, y) = tokio::join!(run_expiry_notifications(&app), run_expiry_notifications(&other));
    assert_eq!(x.expect("run") + y.expect("run"), 2);
    let mut got = events(&app, &p, EventType::CertificateExpiring).await;
    got.sort();
    let mut want = vec![(a.to_string(), 7), (b.to_string(), 30)];
    want.sort();
    assert_eq!(got, want);
    // A restart re-runs: nothing new within the cooldowns.
    assert_eq!(run_expiry_notifications(&other).await.expect("run"), 0);
    clock.advance(Duration::days(5));
    assert_eq!(run_expiry_notifications(&app).await.expect("run"), 0, "A: 6-day cooldown; B: 25-day cooldown");

    // B enters the 7-day window 13 days in: announced again; then every 6 days.
    clock.advance(Duration::days(8));
    assert_eq!(run_expiry_notifications(&app).await.expect("run"), 1);
    assert_eq!(events(&app, &p, EventType::CertificateExpiring).await.last(), Some(&(b.to_string(), 7)));
    clock.advance(Duration::days(5));
    assert_eq!(run_expiry_notifications(&app).await.expect("run"), 0);
    clock.advance(Duration::days(1));
    assert_eq!(run_expiry_notifications(&app).await.expect("run"), 1, "6 days after the last one");

    // Renewal: a new expiry date re-arms notifications at once.
    let today = app.clock().today();
    app.certificates()
        .update_certificate(
            &p,
            b,
            CertificatePatch { expiry_date: Some(Some(today + Duration::days(25))), ..Default::default() },
        )
        .await
        .expect("renew");
    assert_eq!(run_expiry_notifications(&app).await.expect("run"), 1);
    assert_eq!(events(&app, &p, EventType::CertificateExpiring).await.last(), Some(&(b.to_string(), 30)));

    // Sweep: every ACTIVE certificate past its date, once, even with two sweepers.
    let before = app.suppliers().get_organization(&p, org).await.expect("org").counts;
    let (x, y) = tokio::join!(run_expiry_sweep(&app), run_expiry_sweep(&other));
    assert_eq!(x.expect("sweep") + y.expect("sweep"), 2, "A and the lapsed one");
    assert_eq!(run_expiry_sweep(&app).await.expect("sweep"), 0);
    for id in [a, lapsed] {
        let c = app.certificates().get_certificate(&p, id).await.expect("cert");
        assert_eq!(c.status, Expired);
    }
    let after = app.suppliers().get_organization(&p, org).await.expect("org").counts;
    assert_eq!((after.active, after.expired), (before.active - 2, before.expired + 2));
    let mut expired: Vec<String> =
        events(&app, &p, EventType::CertificateExpired).await.into_iter().map(|(id, _)| id).collect();
    expired.sort();
    let mut want = vec![a.to_string(), lapsed.to_string()];
    want.sort();
    assert_eq!(expired, want);
    let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    let updated: Vec<_> = tx
        .list_events(p.tenant_id, None, 1000)
        .await
        .expect("events")
        .into_iter()
        .filter(|e| {
            e.event_type == EventType::CertificateUpdated
                && e.payload["changed_fields"] == serde_json::json!(["status"])
        })
        .collect();
    assert_eq!(updated.len(), 2, "certificate.updated with the status change");
    let audit = tx.list_audit(p.tenant_id, 100).await.expect("audit");
    assert_eq!(audit.iter().filter(|e| e.action == "certificate.expire" && e.actor_user_id.is_none()).count(), 2);
}
