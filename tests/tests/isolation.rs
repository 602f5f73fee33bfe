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

/// A transaction on the owner pool in system scope (row-level security
/// still applies to the owner; system scope lets it see every tenant).
async fn system_tx(db: &TestDb) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = db.pg_pool().begin().await.expect("begin");
    sqlx::query("SELECT set_config('app.system', 'on', true)").execute(&mut *tx).await.expect("system scope");
    tx
}

/// The SQLSTATE and constraint name of a failed statement.
fn key_violation(err: &sqlx::Error) -> (String, String) {
    let db = err.as_database_error().unwrap_or_else(|| panic!("a database error, got {err}"));
    (db.code().unwrap_or_default().to_string(), db.constraint().unwrap_or_default().to_owned())
}

/// Runs `sql` (binding `id` to `$1`, if given) in a fresh system-scope
/// transaction, which must refuse it: the SQLSTATE and constraint name.
async fn refusal(db: &TestDb, sql: &str, id: Option<uuid::Uuid>) -> (String, String) {
    let mut tx = system_tx(db).await;
    let mut query = sqlx::query(sql);
    if let Some(id) = id {
        query = query.bind(id);
    }
    let err = query.execute(&mut *tx).await.expect_err(sql);
    key_violation(&err)
}

/// Inserts a tenant with no members (memberships still have a row key,
/// which would refuse its deletion before the checks under test).
async fn bare_tenant(tx: &mut sqlx::PgConnection) -> uuid::Uuid {
    let id = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO tenants (id, name, slug, created_at) VALUES ($1, 'bare', $2, now())")
        .bind(id)
        .bind(id.to_string())
        .execute(tx)
        .await
        .expect("bare tenant");
    id
}

/// Migration 0010 replaced some foreign keys by statement-level checks;
/// they must still refuse every dangling reference the keys refused, with
/// the same SQLSTATE (so the store maps them to `MissingReference`) and
/// the old constraint names, and the parents must still refuse deletion
/// while referenced.
#[tokio::test]
async fn postgres_set_based_reference_checks_keep_the_keys() {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _) = core_with_clock(db.store.clone());
    let p = tenant_with_data(&app, "refs@example.com", 1).await;
    let tenant = p.tenant_id.as_uuid();
    let ghost = uuid::Uuid::new_v4();

    // Inserts naming a missing tenant, one per table, in system scope (so
    // row-level security is not what refuses them): (table, columns, one
    // row's values with the tenant as `{t}`).
    let rows = [
        (
            "organizations",
            "id, tenant_id, name, name_folded, created_at, updated_at",
            "gen_random_uuid(), {t}, 'x', 'x', now(), now()",
        ),
        (
            "outbox_events",
            "id, tenant_id, event_type, payload, occurred_at",
            "gen_random_uuid(), {t}, 'x', '{}', now()",
        ),
        (
            "audit_log",
            "id, tenant_id, action, target_type, metadata, created_at",
            "gen_random_uuid(), {t}, 'x', 'x', '{}', now()",
        ),
        (
            "jobs",
            "id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at",
            "gen_random_uuid(), {t}, 'x', '{}', 'queued', 0, 1, now(), now(), now()",
        ),
    ];
    let insert = |table: &str, columns: &str, values: &[String]| {
        format!("INSERT INTO {table} ({columns}) VALUES ({})", values.join("), ("))
    };
    for (table, columns, values) in rows {
        let mut tx = system_tx(&db).await;
        // One good and one dangling row in the same statement: the whole statement fails.
        let both = insert(table, columns, &[values.replace("{t}", "$1"), values.replace("{t}", "$2")]);
        let err = sqlx::query(&both).bind(tenant).bind(ghost).execute(&mut *tx).await.expect_err(table);
        assert_eq!(key_violation(&err), ("23503".into(), format!("{table}_tenant_id_fkey")), "{table}: {err}");
        drop(tx);
        let mut tx = system_tx(&db).await;
        let good = insert(table, columns, &[values.replace("{t}", "$1")]) + " RETURNING id";
        let id: uuid::Uuid =
            sqlx::query_scalar(&good).bind(tenant).fetch_one(&mut *tx).await.unwrap_or_else(|e| panic!("{table}: {e}"));
        if table != "audit_log" {
            let err = sqlx::query(&format!("UPDATE {table} SET tenant_id = $1 WHERE id = $2"))
                .bind(ghost)
                .bind(id)
                .execute(&mut *tx)
                .await
                .expect_err(table);
            assert_eq!(key_violation(&err), ("23503".into(), format!("{table}_tenant_id_fkey")), "{table}: {err}");
        }
    }

    // Through the store port: the same SQLSTATE becomes MissingReference.
    let mut tx = db.store.begin(certwatch_core::ports::Scope::System).await.expect("begin");
    let now = chrono::Utc::now();
    let job = certwatch_core::jobs::NewJob {
        id: uuid::Uuid::new_v4().into(),
        tenant_id: Some(ghost.into()),
        kind: "website_discovery".into(),
        payload: serde_json::json!({}),
        max_attempts: 1,
        run_at: now,
        request_id: None,
        dedupe_key: None,
        created_at: now,
    };
    let err = tx.enqueue_jobs(&[job]).await.expect_err("a job of a missing tenant");
    assert!(matches!(err, certwatch_core::ports::StoreError::MissingReference(_)), "{err:?}");
    drop(tx);

    // Certificate types: unknown codes are refused, used codes can't go.
    let type_key = ("23503".to_owned(), "certificates_certificate_type_fkey".to_owned());
    assert_eq!(refusal(&db, "UPDATE certificates SET certificate_type = 'NO_SUCH_TYPE'", None).await, type_key);
    assert_eq!(refusal(&db, "DELETE FROM certificate_types WHERE code = 'ISO_9001'", None).await, type_key);
    let mut tx = system_tx(&db).await;
    let unused = sqlx::query("DELETE FROM certificate_types WHERE code = 'IECEx'").execute(&mut *tx).await;
    assert_eq!(unused.expect("an unused type goes").rows_affected(), 1);
    drop(tx);

    // A bare tenant (no memberships, which still have a row key) with one
    // job: deleting it takes the job (the old key cascaded); with an
    // organization it is refused.
    let mut tx = system_tx(&db).await;
    let bare = bare_tenant(&mut tx).await;
    for (table, columns, values) in [rows[3], rows[0]] {
        let one = insert(table, columns, &[values.replace("{t}", "$1")]);
        sqlx::query(&one).bind(bare).execute(&mut *tx).await.unwrap_or_else(|e| panic!("{table}: {e}"));
    }
    tx.commit().await.expect("commit");
    assert_eq!(
        refusal(&db, "DELETE FROM tenants WHERE id = $1", Some(bare)).await,
        ("23503".into(), "organizations_tenant_id_fkey".into())
    );
    let mut tx = system_tx(&db).await;
    sqlx::query("DELETE FROM organizations WHERE tenant_id = $1").bind(bare).execute(&mut *tx).await.expect("orgs");
    let gone = sqlx::query("DELETE FROM tenants WHERE id = $1").bind(bare).execute(&mut *tx).await.expect("delete");
    assert_eq!(gone.rows_affected(), 1);
    let jobs: i64 = sqlx::query_scalar("SELECT count(*) FROM jobs WHERE tenant_id = $1")
        .bind(bare)
        .fetch_one(&mut *tx)
        .await
        .expect("count");
    assert_eq!(jobs, 0, "the tenant's jobs went with it");
}

/// The statement-level check share-locks the tenant like a key did: a
/// delete of the tenant waits for the inserting transaction, then sees its
/// rows and refuses.
#[tokio::test]
async fn postgres_reference_check_locks_the_tenant_until_commit() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut setup = system_tx(&db).await;
    let bare = bare_tenant(&mut setup).await;
    setup.commit().await.expect("commit");

    let mut writer = system_tx(&db).await;
    sqlx::query(
        "INSERT INTO outbox_events (id, tenant_id, event_type, payload, occurred_at) \
         VALUES (gen_random_uuid(), $1, 'x', '{}', now())",
    )
    .bind(bare)
    .execute(&mut *writer)
    .await
    .expect("event");

    let mut deleter = system_tx(&db).await;
    sqlx::query("SET LOCAL lock_timeout = '300ms'").execute(&mut *deleter).await.expect("lock timeout");
    let err =
        sqlx::query("DELETE FROM tenants WHERE id = $1").bind(bare).execute(&mut *deleter).await.expect_err("waits");
    assert_eq!(key_violation(&err).0, "55P03", "the delete waited for the writer's lock: {err}");
    drop(deleter);

    writer.commit().await.expect("commit");
    assert_eq!(
        refusal(&db, "DELETE FROM tenants WHERE id = $1", Some(bare)).await,
        ("23503".into(), "outbox_events_tenant_id_fkey".into())
    );
}
