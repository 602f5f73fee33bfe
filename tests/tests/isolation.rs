//! Database-level guarantees under the store: Postgres row-level security
//! is a fail-closed backstop (no tenant set → no rows), proven as the owner
//! role and as a separate non-owner role; the audit ledger refuses UPDATE,
//! DELETE (and TRUNCATE) on both backends; concurrent writers never lose a
//! counter update or apply two transitions from the same state.

use std::str::FromStr;

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificateStatus, TransitionRequest};
use certwatch_core::suppliers::{CertificateCounts, OrganizationInput};
use certwatch_core::{CertWatch, Error};
use certwatch_tests::{admin_url, core_with_clock, Backend, TestDb};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, Executor, Row};

async fn tenant_with_data(app: &CertWatch, email: &str, certs: usize) -> Principal {
    let (p, _) = certwatch_tests::seed::admin_of(app, email).await;
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: format!("Supplier of {email}"), ..Default::default() })
        .await
        .expect("org");
    let inputs = (0..certs)
        .map(|_| CertificateInput {
            organization_id: org.id,
            certificate_type: "ISO_9001".into(),
            status: Some(CertificateStatus::Active),
            ..Default::default()
        })
        .collect();
    app.certificates().create_certificates(&p, inputs).await.expect("certs");
    p
}

const TENANT_TABLES: [&str; 10] = [
    "tenants",
    "memberships",
    "invitations",
    "api_tokens",
    "email_verifications",
    "organizations",
    "sites",
    "certificates",
    "outbox_events",
    "audit_log",
];

async fn count_as(conn: &mut sqlx::PgConnection, table: &str, tenant: Option<&str>) -> i64 {
    let mut tx = conn.begin().await.expect("begin");
    if let Some(t) = tenant {
        sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
            .bind(t)
            .execute(&mut *tx)
            .await
            .expect("set tenant");
    }
    let n: i64 = sqlx::query(&format!("SELECT count(*) FROM {table}")).fetch_one(&mut *tx).await.expect("count").get(0);
    tx.rollback().await.expect("rollback");
    n
}

#[tokio::test]
async fn postgres_row_level_security_fails_closed() {
    let db = TestDb::postgres().await;
    let (app, _) = core_with_clock(db.store.clone());
    let a = tenant_with_data(&app, "a@rls.example", 3).await;
    let b = tenant_with_data(&app, "b@rls.example", 5).await;
    let (a_id, b_id) = (a.tenant_id.to_string(), b.tenant_id.to_string());

    // The owner role (not a superuser) is subject to RLS too: FORCE ROW LEVEL SECURITY.
    let mut owner = db.pg_pool().acquire().await.expect("owner connection");
    for table in TENANT_TABLES {
        assert_eq!(count_as(&mut owner, table, None).await, 0, "owner, no tenant set: {table} shows nothing");
    }
    assert_eq!(count_as(&mut owner, "certificates", Some(&a_id)).await, 3);
    assert_eq!(count_as(&mut owner, "certificates", Some(&b_id)).await, 5);
    assert_eq!(count_as(&mut owner, "certificate_types", None).await, 30, "global reference data stays visible");
    drop(owner);

    // A separate non-owner role with full table privileges.
    let probe = format!("{}_probe", db.name);
    let mut admin = sqlx::PgConnection::connect(&admin_url()).await.expect("admin");
    admin
        .execute(format!("CREATE ROLE {probe} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD 'probe-pw'").as_str())
        .await
        .expect("role");
    db.pg_pool()
        .execute(format!("GRANT USAGE ON SCHEMA public TO {probe}; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {probe}").as_str())
        .await
        .expect("grant");
    let opts = PgConnectOptions::from_str(&db.url).expect("url").username(&probe).password("probe-pw");
    let mut conn = sqlx::PgConnection::connect_with(&opts).await.expect("connect as probe");
    for table in TENANT_TABLES {
        assert_eq!(count_as(&mut conn, table, None).await, 0, "non-owner, no tenant set: {table} shows nothing");
    }
    assert_eq!(count_as(&mut conn, "organizations", Some(&a_id)).await, 1);
    assert_eq!(count_as(&mut conn, "certificates", Some(&a_id)).await, 3);
    assert_eq!(count_as(&mut conn, "certificates", Some(&b_id)).await, 5);
    // '' (what a GUC reads after an earlier SET LOCAL) is no tenant either.
    assert_eq!(count_as(&mut conn, "certificates", Some("")).await, 0);

    // Scoped to A: B's rows can't be written, changed or deleted.
    let mut tx = conn.begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)").bind(&a_id).execute(&mut *tx).await.expect("set");
    let updated = sqlx::query("UPDATE certificates SET scope = 'hijacked' WHERE tenant_id = $1::uuid")
        .bind(&b_id)
        .execute(&mut *tx)
        .await
        .expect("update runs")
        .rows_affected();
    assert_eq!(updated, 0, "B's rows are invisible to UPDATE");
    let deleted = sqlx::query("DELETE FROM organizations WHERE tenant_id = $1::uuid")
        .bind(&b_id)
        .execute(&mut *tx)
        .await
        .expect("delete runs");
    assert_eq!(deleted.rows_affected(), 0);
    let insert = sqlx::query(
        "INSERT INTO organizations (id, tenant_id, name, created_at, updated_at) VALUES (gen_random_uuid(), $1::uuid, 'x', now(), now())",
    )
    .bind(&b_id)
    .execute(&mut *tx)
    .await;
    let err = insert.expect_err("insert into another tenant is refused");
    assert!(err.to_string().contains("row-level security"), "{err}");
    drop(tx);
    conn.close().await.ok();
    db.pg_pool()
        .execute(
            format!("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {probe}; REVOKE ALL ON SCHEMA public FROM {probe}")
                .as_str(),
        )
        .await
        .expect("revoke");
    admin.execute(format!("DROP ROLE {probe}").as_str()).await.expect("drop probe role");
}

async fn audit_is_append_only(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (app, _) = core_with_clock(db.store.clone());
    tenant_with_data(&app, "ledger@example.com", 1).await;
    let attempts = ["UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"];
    match backend {
        Backend::Postgres => {
            for sql in attempts.iter().chain(&["TRUNCATE audit_log"]) {
                let mut tx = db.pg_pool().begin().await.expect("begin");
                // Bypass RLS so the statement reaches real rows: the trigger must still refuse.
                sqlx::query("SELECT set_config('app.system', 'on', true)").execute(&mut *tx).await.expect("system");
                let err = sqlx::query(sql).execute(&mut *tx).await.expect_err(sql);
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
        }
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&db.url).await.expect("sqlite");
            for sql in attempts {
                let err = sqlx::query(sql).execute(&mut conn).await.expect_err(sql);
                assert!(err.to_string().contains("append-only"), "{sql}: {err}");
            }
        }
    }
}

#[tokio::test]
async fn audit_ledger_is_append_only_sqlite() {
    audit_is_append_only(Backend::Sqlite).await;
}

#[tokio::test]
async fn audit_ledger_is_append_only_postgres() {
    audit_is_append_only(Backend::Postgres).await;
}

/// Many concurrent writers on one organization: counters stay exact and a
/// certificate takes exactly one of several racing transitions.
async fn concurrent_writers(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (app, _) = core_with_clock(db.store.clone());
    let p = tenant_with_data(&app, "race@example.com", 0).await;
    let org = app.suppliers().list_organizations(&p, &Default::default()).await.expect("list").items[0].organization.id;
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (app, p) = (app.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            let input = CertificateInput {
                organization_id: org,
                certificate_type: "ISO_9001".into(),
                status: Some(CertificateStatus::Active),
                ..Default::default()
            };
            app.certificates().create_certificate(&p, input).await.map(|c| c.id)
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("join").expect("concurrent create"));
    }
    let counts = app.suppliers().get_organization(&p, org).await.expect("detail").counts;
    assert_eq!(counts, CertificateCounts { active: 16, expiring: 0, expired: 0 }, "no lost counter update");

    let target = ids[0];
    let mut tasks = Vec::new();
    for to in [
        CertificateStatus::Revoked,
        CertificateStatus::Suspended,
        CertificateStatus::Expired,
        CertificateStatus::Revoked,
    ] {
        let (app, p) = (app.clone(), p.clone());
        tasks.push(tokio::spawn(async move {
            app.certificates().transition(&p, target, TransitionRequest { to, expiry_date: None, reason: None }).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.expect("join") {
            Ok(_) => ok += 1,
            Err(Error::Transition(_)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    // From ACTIVE every target is allowed once; afterwards REVOKED and
    // EXPIRED are dead ends for the rest, SUSPENDED may still move on.
    assert!((1..=2).contains(&ok), "{ok} transitions applied from racing requests");
    let counts = app.suppliers().get_organization(&p, org).await.expect("detail").counts;
    let certs = app.certificates().get_certificate(&p, target).await.expect("get");
    let expected_active = if certs.status == CertificateStatus::Active { 16 } else { 15 };
    assert_eq!(counts.active, expected_active);
    assert_eq!(counts.expired, u64::from(certs.status == CertificateStatus::Expired));
}

#[tokio::test]
async fn concurrent_writers_sqlite() {
    concurrent_writers(Backend::Sqlite).await;
}

#[tokio::test]
async fn concurrent_writers_postgres() {
    concurrent_writers(Backend::Postgres).await;
}
