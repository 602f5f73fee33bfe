//! Smoke test of both backends: migrations, then a short flow through the
//! core services (register, verify, log in, authenticate, organizations,
//! sites, certificates, counts, a transition, the outbox and the audit
//! ledger), plus the store-level guarantees the services rely on (named
//! conflicts, tenant isolation, the append-only ledger, bulk inserts).
//!
//! SQLite runs on a temporary file. Postgres needs `DATABASE_URL` pointing at
//! a server where the user may create databases and roles (e.g.
//! `postgres://postgres@127.0.0.1:5432/postgres`); the test creates a
//! uniquely named database and role and drops both at the end.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate, Utc};
use serde_json::json;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

use certwatch_core::adapters::{SystemClock, UuidV7};
use certwatch_core::audit::AuditEntry;
use certwatch_core::certificates::{
    Certificate, CertificateInput, CertificateQuery, CertificateStatus, Provenance, TransitionRequest,
};
use certwatch_core::ids::{AuditId, CertificateId, MembershipId, OrganizationId, TenantId, UserId};
use certwatch_core::ports::{Scope, Store, StoreError};
use certwatch_core::suppliers::{Organization, OrganizationInput, OrganizationQuery, SiteInput};
use certwatch_core::tenancy::{
    AuthError, EmailAddress, LoginRequest, Membership, PasswordHash, PasswordHasher, RegistrationRequest, Role, Tenant,
    User,
};
use certwatch_core::{CertWatch, CoreConfig, Error};
use certwatch_store::{PgStore, SqliteStore};

fn app(store: Arc<dyn Store>) -> CertWatch {
    let config = CoreConfig {
        password_hasher: PasswordHasher::with_cost(1024, 1).expect("cheap argon2 params"),
        ..CoreConfig::default()
    };
    CertWatch::with_ports(store, Arc::new(SystemClock), Arc::new(UuidV7), config)
}

fn cert_input(org: OrganizationId, status: CertificateStatus, expiry: Option<NaiveDate>) -> CertificateInput {
    CertificateInput {
        organization_id: org,
        certificate_type: "ISO_9001".into(),
        issuing_body: Some("TÜV Süd".into()),
        expiry_date: expiry,
        status: Some(status),
        ..CertificateInput::default()
    }
}

/// Registers, verifies and logs in a user with a new tenant; returns the
/// principal.
async fn onboard(app: &CertWatch, email: &str, tenant: &str) -> certwatch_core::authz::Principal {
    let t = app.tenancy();
    let reg = t
        .register(
            RegistrationRequest {
                email: email.into(),
                password: "correct horse battery".into(),
                full_name: Some("Ada".into()),
                tenant_name: tenant.into(),
            },
            Some("req-register"),
        )
        .await
        .expect("register");
    assert!(!reg.user.is_active);
    let login =
        LoginRequest { email: email.to_uppercase(), password: "correct horse battery".into(), tenant_slug: None };
    match t.login(login.clone(), None).await {
        Err(Error::Auth(AuthError::EmailNotVerified)) => {}
        other => panic!("login before verification: {other:?}"),
    }
    let user = t.verify_email(reg.verification_token.expose(), None).await.expect("verify");
    assert!(user.is_active && user.email_verified_at.is_some());
    assert!(t.verify_email(reg.verification_token.expose(), None).await.is_err(), "single use");
    let logged_in = t.login(login, None).await.expect("login");
    assert_eq!(logged_in.tenant.id, reg.tenant.id);
    assert_eq!(logged_in.role, Role::Admin);
    let p = t.authenticate(logged_in.issued.secret.expose()).await.expect("authenticate");
    assert_eq!((p.tenant_id, p.user_id), (reg.tenant.id, reg.user.id));
    p
}

/// The service-level flow, then store-level checks. Returns the first
/// tenant's id.
async fn flow(store: Arc<dyn Store>, tag: &str) -> TenantId {
    store.ping().await.expect("ping");
    let app = app(store.clone());
    let email = format!("ada+{tag}@example.com");
    let p = onboard(&app, &email, "Acme Buying").await;
    let today = app.clock().today();

    // Registering the same address again is a named conflict.
    let dup = app
        .tenancy()
        .register(
            RegistrationRequest {
                email: email.to_uppercase(),
                password: "another password".into(),
                full_name: None,
                tenant_name: "Other".into(),
            },
            None,
        )
        .await;
    assert!(matches!(dup, Err(Error::Conflict { .. })), "{dup:?}");

    // Organizations and sites.
    let s = app.suppliers();
    let org = s
        .create_organization(
            &p,
            OrganizationInput {
                external_id: Some("ERP-1".into()),
                name: "Zeta Steel 100%_".into(),
                country: Some("de".into()),
                website: Some("https://zeta.example".into()),
                ..OrganizationInput::default()
            },
        )
        .await
        .expect("create organization");
    let other = s
        .create_organization(&p, OrganizationInput { name: "Alpha parts".into(), ..OrganizationInput::default() })
        .await
        .expect("create organization without external id");
    s.create_organization(&p, OrganizationInput { name: "Beta".into(), ..OrganizationInput::default() })
        .await
        .expect("NULL external ids may repeat");
    let dup = s
        .create_organization(
            &p,
            OrganizationInput { external_id: Some("ERP-1".into()), name: "Dup".into(), ..OrganizationInput::default() },
        )
        .await;
    match dup {
        Err(Error::Conflict { what }) => assert!(what.contains("external_id"), "{what}"),
        other => panic!("duplicate external id: {other:?}"),
    }
    let site = s
        .create_site(&p, org.id, SiteInput { name: "Plant 1".into(), address: Some("Hafenstr. 1".into()) })
        .await
        .expect("create site");

    // Certificates in several statuses.
    let c = app.certificates();
    let mut expiring = cert_input(org.id, CertificateStatus::Active, Some(today + Duration::days(10)));
    expiring.site_ids = vec![site.id];
    expiring.external_id = Some("C-1".into());
    let created = c
        .create_certificates(
            &p,
            vec![
                expiring,
                cert_input(org.id, CertificateStatus::Active, Some(today + Duration::days(30))),
                cert_input(org.id, CertificateStatus::Active, Some(today + Duration::days(200))),
                cert_input(org.id, CertificateStatus::Expired, Some(today - Duration::days(3))),
                cert_input(org.id, CertificateStatus::Pending, None),
                cert_input(other.id, CertificateStatus::Expired, Some(today - Duration::days(1))),
            ],
        )
        .await
        .expect("create certificates");
    assert_eq!(created.len(), 6);
    let got = c.get_certificate(&p, created[0].id).await.expect("get certificate");
    assert_eq!(got, created[0], "round trip, site links included");
    assert_eq!(got.site_ids, vec![site.id]);
    let mut dup = cert_input(org.id, CertificateStatus::Pending, None);
    dup.external_id = Some("C-1".into());
    match c.create_certificate(&p, dup).await {
        Err(Error::Conflict { what }) => assert!(what.contains("certificate"), "{what}"),
        other => panic!("duplicate certificate external id: {other:?}"),
    }

    // Counts.
    let page = s.list_organizations(&p, &OrganizationQuery::default()).await.expect("list organizations");
    assert_eq!(page.total, 3);
    let names: Vec<&str> = page.items.iter().map(|o| o.organization.name.as_str()).collect();
    assert_eq!(names, ["Alpha parts", "Beta", "Zeta Steel 100%_"], "by name");
    let zeta = &page.items[2];
    assert_eq!(zeta.organization, org);
    assert_eq!((zeta.counts.active, zeta.counts.expiring, zeta.counts.expired), (3, 2, 1));
    assert_eq!((page.items[0].counts.active, page.items[0].counts.expired), (0, 1));
    let q = OrganizationQuery {
        order: certwatch_core::suppliers::OrganizationOrder::CreatedDesc,
        page: certwatch_core::pagination::PageRequest::new(2, 1).expect("page"),
        ..OrganizationQuery::default()
    };
    let second = s.list_organizations(&p, &q).await.expect("paged");
    assert_eq!((second.total, second.items.len()), (3, 1));
    assert_eq!(second.items[0].organization.id, other.id);
    let q = OrganizationQuery { search: Some("STEEL 100%_".into()), ..OrganizationQuery::default() };
    assert_eq!(s.list_organizations(&p, &q).await.expect("search").total, 1);
    let q = OrganizationQuery { search: Some("%".into()), ..OrganizationQuery::default() };
    assert_eq!(s.list_organizations(&p, &q).await.expect("escaped search").total, 1);
    let q = OrganizationQuery { has_expiring: Some(true), ..OrganizationQuery::default() };
    assert_eq!(s.list_organizations(&p, &q).await.expect("has_expiring").total, 1);
    let q = OrganizationQuery { has_expired: Some(false), ..OrganizationQuery::default() };
    assert_eq!(s.list_organizations(&p, &q).await.expect("has_expired").total, 1);

    // A transition moves the counters.
    let moved = c
        .transition(
            &p,
            created[0].id,
            TransitionRequest { to: CertificateStatus::Suspended, expiry_date: None, reason: Some("audit".into()) },
        )
        .await
        .expect("transition");
    assert_eq!(moved.status, CertificateStatus::Suspended);
    let detail = s.get_organization(&p, org.id).await.expect("organization detail");
    assert_eq!((detail.counts.active, detail.counts.expiring, detail.counts.expired), (2, 1, 1));
    assert_eq!(detail.sites.len(), 1);

    // Certificate lists.
    let list = c
        .list_certificates(&p, &CertificateQuery { expiring_within_days: Some(30), ..CertificateQuery::default() })
        .await
        .expect("expiring list");
    assert_eq!(list.total, 1);
    let list = c
        .list_certificates(
            &p,
            &CertificateQuery {
                organization_id: Some(org.id),
                issuing_body: Some("V SÜD".into()),
                ..CertificateQuery::default()
            },
        )
        .await
        .expect("list by organization");
    assert_eq!(list.total, 5);
    assert!(list.items.windows(2).all(|w| (w[0].created_at, w[0].id) >= (w[1].created_at, w[1].id)), "newest first");
    assert_eq!(list.items.iter().find(|x| x.id == created[0].id).map(|x| x.site_ids.clone()), Some(vec![site.id]));

    // Concurrent writers of one organization: the organization lock keeps
    // the counters exact.
    let beta = page.items[1].organization.id;
    let writers: Vec<_> = (0..8)
        .map(|_| {
            let (app, p) = (app.clone(), p.clone());
            tokio::spawn(async move {
                app.certificates()
                    .create_certificate(
                        &p,
                        cert_input(beta, CertificateStatus::Active, Some(today + Duration::days(5))),
                    )
                    .await
                    .expect("concurrent create")
            })
        })
        .collect();
    for w in writers {
        w.await.expect("writer");
    }
    let counts = s.get_organization(&p, beta).await.expect("beta").counts;
    assert_eq!((counts.active, counts.expiring, counts.expired), (8, 8, 0));

    // Outbox and audit ledger.
    let mut tx = store.begin(Scope::Tenant(p.tenant_id)).await.expect("begin");
    let events = tx.list_events(p.tenant_id, None, 100).await.expect("events");
    assert_eq!(events.len(), 15, "6 created + 1 updated + 8 created");
    assert_eq!(events[6].event_type.as_str(), "certificate.updated");
    assert_eq!(events[6].payload["changed_fields"], json!(["status"]));
    let rest = tx.list_events(p.tenant_id, Some(events[4].id), 100).await.expect("events after");
    assert_eq!(rest.len(), 10);
    assert_eq!(rest[0].id, events[5].id);
    let audit = tx.list_audit(p.tenant_id, 100).await.expect("audit");
    assert_eq!(audit[0].action, "certificate.create", "the concurrent writers came last");
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    for a in [
        "tenant.register",
        "user.verify_email",
        "auth.login",
        "organization.create",
        "site.create",
        "certificate.transition",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(audit.windows(2).all(|w| (w[0].created_at, w[0].id) >= (w[1].created_at, w[1].id)), "newest first");
    drop(tx);

    store_checks(store.as_ref(), p.tenant_id, org.id).await;
    p.tenant_id
}

/// Store-level guarantees: named conflicts, missing references, tenant
/// filters, rollback, bulk insert speed.
async fn store_checks(store: &dyn Store, tenant: TenantId, org: OrganizationId) {
    let now = certwatch_core::adapters::to_micros(Utc::now());
    let mut tx = store.begin(Scope::System).await.expect("begin");
    let existing = tx.get_tenant(tenant).await.expect("get tenant").expect("tenant exists");
    let t2 = Tenant {
        id: TenantId(Uuid::now_v7()),
        name: "Second".into(),
        slug: format!("{}-2", existing.slug),
        created_at: now,
    };
    tx.insert_tenant(&t2).await.expect("insert tenant");
    let user = User {
        id: UserId(Uuid::now_v7()),
        email: EmailAddress::parse(&format!("Bob-{}@Example.com", t2.id)).expect("email"),
        full_name: None,
        password_hash: PasswordHash::from_stored("x".into()),
        is_active: true,
        email_verified_at: Some(now),
        is_operator: false,
        created_at: now,
    };
    tx.insert_user(&user).await.expect("insert user");
    let m = Membership {
        id: MembershipId(Uuid::now_v7()),
        tenant_id: t2.id,
        user_id: user.id,
        role: Role::Member,
        created_at: now,
    };
    tx.insert_membership(&m).await.expect("membership");
    tx.commit().await.expect("commit");
    assert_eq!(
        store.begin(Scope::System).await.expect("begin").get_user(user.id).await.expect("get"),
        Some(user.clone())
    );

    // Unique violations carry the constraint's name on both backends. Each
    // check runs in its own transaction: a failed statement aborts a
    // Postgres transaction.
    let mut tx = store.begin(Scope::System).await.expect("begin");
    let same_slug = Tenant { id: TenantId(Uuid::now_v7()), slug: existing.slug.clone(), ..t2.clone() };
    let err = tx.insert_tenant(&same_slug).await.expect_err("slug conflict");
    assert!(matches!(&err, StoreError::Conflict { constraint } if constraint == "tenants_slug"), "{err:?}");
    drop(tx);
    let mut tx = store.begin(Scope::System).await.expect("begin");
    let again = User {
        id: UserId(Uuid::now_v7()),
        email: EmailAddress::parse(&user.email.normalized()).expect("email"),
        ..user.clone()
    };
    let err = tx.insert_user(&again).await.expect_err("email conflict");
    assert!(matches!(&err, StoreError::Conflict { constraint } if constraint == "users_email"), "{err:?}");
    drop(tx);
    let mut tx = store.begin(Scope::Tenant(t2.id)).await.expect("begin");
    let err = tx
        .insert_membership(&Membership { id: MembershipId(Uuid::now_v7()), ..m.clone() })
        .await
        .expect_err("membership conflict");
    assert!(matches!(&err, StoreError::Conflict { constraint } if constraint == "memberships_user_tenant"), "{err:?}");
    drop(tx);

    let mut tx = store.begin(Scope::Tenant(t2.id)).await.expect("begin");
    // Another tenant's organization is invisible with the explicit filter.
    assert!(tx.get_organization(t2.id, org).await.expect("get").is_none());
    let page = tx.list_organizations(t2.id, &OrganizationQuery::default(), now.date_naive()).await.expect("list");
    assert_eq!(page.total, 0);
    // The transaction's scope is enforced whatever tenant a call names.
    assert!(tx.get_organization(tenant, org).await.expect("get").is_none(), "scope hides tenant 1");
    assert!(tx.list_audit(tenant, 10).await.expect("audit").is_empty());
    let mut foreign = tx_org(tenant, now);
    let err = tx.insert_organization(&foreign).await.expect_err("scope refuses");
    assert!(matches!(err, StoreError::Refused(_)), "{err:?}");
    foreign.tenant_id = t2.id;
    tx.insert_organization(&foreign).await.expect("own tenant");
    // A certificate can't point at another tenant's organization.
    let stray = certificate(t2.id, org, now, 0);
    let err = tx.insert_certificates(&[stray]).await.expect_err("cross-tenant reference");
    assert!(matches!(err, StoreError::MissingReference(_)), "{err:?}");
    drop(tx);

    // Duplicate primary keys are named `<table>_pkey` on both backends.
    let mut tx = store.begin(Scope::Tenant(tenant)).await.expect("begin");
    let org_row = tx.get_organization(tenant, org).await.expect("get").expect("org");
    let err = tx.insert_organization(&org_row).await.expect_err("duplicate id");
    assert!(matches!(&err, StoreError::Conflict { constraint } if constraint == "organizations_pkey"), "{err:?}");
    drop(tx);

    // The audit ledger refuses changes (trigger).
    let mut tx = store.begin(Scope::Tenant(tenant)).await.expect("begin");
    let entry = AuditEntry {
        id: AuditId(Uuid::now_v7()),
        tenant_id: tenant,
        actor_user_id: None,
        action: "smoke".into(),
        target_type: "none".into(),
        target_id: None,
        metadata: json!({"k": [1, 2]}),
        request_id: Some("r".into()),
        created_at: now,
    };
    tx.insert_audit(std::slice::from_ref(&entry)).await.expect("insert audit");
    let newest = tx.list_audit(tenant, 1).await.expect("list audit");
    assert_eq!(newest, vec![entry]);
    drop(tx);

    // Bulk insert, rolled back.
    let n = 20_000;
    let org2 = Organization { name: "Bulk".into(), ..tx_org(tenant, now) };
    let certs: Vec<Certificate> = (0..n).map(|i| certificate(tenant, org2.id, now, i)).collect();
    let mut tx = store.begin(Scope::Tenant(tenant)).await.expect("begin");
    tx.insert_organization(&org2).await.expect("org");
    let started = Instant::now();
    tx.insert_certificates(&certs).await.expect("bulk insert");
    let secs = started.elapsed().as_secs_f64();
    tx.recount_certificates(tenant, &[org2.id], now.date_naive()).await.expect("recount");
    let counts = tx.organization_counts(tenant, org2.id, now.date_naive()).await.expect("counts");
    assert_eq!(counts.active, n as u64 / 2);
    assert!(counts.expiring > 0);
    let refreshed = tx.refresh_expiring_counts(tenant, now.date_naive() + Duration::days(1)).await.expect("refresh");
    assert!(refreshed >= 1);
    eprintln!("[{}] inserted {n} certificates in {secs:.3}s ({:.0} rows/s)", store.backend(), f64::from(n) / secs);
    drop(tx);
}

fn tx_org(tenant: TenantId, now: chrono::DateTime<Utc>) -> Organization {
    Organization {
        id: OrganizationId(Uuid::now_v7()),
        tenant_id: tenant,
        external_id: None,
        name: "Scoped".into(),
        website: None,
        lei: None,
        vat: None,
        country: None,
        created_at: now,
        updated_at: now,
    }
}

fn certificate(tenant: TenantId, org: OrganizationId, now: chrono::DateTime<Utc>, i: i32) -> Certificate {
    Certificate {
        id: CertificateId(Uuid::now_v7()),
        tenant_id: tenant,
        organization_id: org,
        certificate_type: "ISO_14001".into(),
        certificate_number: Some(format!("N-{i}")),
        issuing_body: Some("DQS".into()),
        scope: Some("Manufacturing of widgets".into()),
        issue_date: Some(now.date_naive() - Duration::days(300)),
        expiry_date: Some(now.date_naive() + Duration::days(i64::from(i % 400))),
        status: if i % 2 == 0 { CertificateStatus::Active } else { CertificateStatus::Pending },
        document_url: None,
        source_url: None,
        document_hash: None,
        external_id: Some(format!("bulk-{i}")),
        provenance: Provenance::Import,
        last_expiry_notification_at: None,
        site_ids: vec![],
        created_at: now,
        updated_at: now,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_smoke() {
    let path = std::env::temp_dir().join(format!("cw_smoke_{:016x}.db", rand::random::<u64>()));
    let url = format!("sqlite://{}", path.display());
    let result = tokio::spawn({
        let url = url.clone();
        async move {
            let store = certwatch_store::connect_and_migrate(&url).await.expect("connect and migrate");
            assert_eq!(store.backend(), "sqlite");
            let tenant = flow(store, "sqlite").await;

            // Migrating again is a no-op; the ledger is append-only.
            let s = SqliteStore::connect(&url).await.expect("connect");
            s.migrate().await.expect("migrate again");
            let err = sqlx::query("UPDATE audit_log SET action = 'x' WHERE tenant_id = $1")
                .bind(tenant.as_uuid())
                .execute(s.pool())
                .await
                .expect_err("append-only");
            assert!(err.to_string().contains("append-only"), "{err}");
            let err = sqlx::query("DELETE FROM audit_log").execute(s.pool()).await.expect_err("append-only");
            assert!(err.to_string().contains("append-only"), "{err}");
            s.pool().close().await;
        }
    })
    .await;
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_memory_smoke() {
    let store = certwatch_store::connect_and_migrate("sqlite::memory:").await.expect("connect and migrate");
    let mut tx = store.begin(Scope::System).await.expect("begin");
    assert_eq!(tx.list_certificate_types().await.expect("types").len(), 30);
    drop(tx);
    flow(store, "memory").await;
}

/// `base` with its database name replaced by `db`.
fn with_database(base: &str, db: &str) -> String {
    let (main, query) = base.split_once('?').map_or((base, None), |(m, q)| (m, Some(q)));
    let authority_start = main.find("://").map_or(0, |i| i + 3);
    let root = match main[authority_start..].find('/') {
        Some(i) => &main[..authority_start + i],
        None => main,
    };
    match query {
        Some(q) => format!("{root}/{db}?{q}"),
        None => format!("{root}/{db}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_smoke() {
    let admin_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!("set DATABASE_URL to a Postgres server URL, e.g. postgres://postgres@127.0.0.1:5432/postgres")
    });
    let name = format!("cw_smoke_{:016x}", rand::random::<u64>());
    let mut admin = PgConnection::connect(&admin_url).await.expect("admin connection");
    admin.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
    admin.execute(format!("CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS").as_str()).await.expect("create role");
    let url = with_database(&admin_url, &name);

    let result = tokio::spawn({
        let url = url.clone();
        let role = name.clone();
        async move {
            let store = certwatch_store::connect_and_migrate(&url).await.expect("connect and migrate");
            assert_eq!(store.backend(), "postgres");
            let tenant = flow(store, "postgres").await;

            let owner = PgStore::connect(&url).await.expect("connect");
            owner.migrate().await.expect("migrate again");
            let types: i64 =
                sqlx::query_scalar("SELECT count(*) FROM certificate_types").fetch_one(owner.pool()).await.expect("n");
            assert_eq!(types, 30);
            for stmt in ["DELETE FROM audit_log", "TRUNCATE audit_log", "UPDATE audit_log SET action = 'x'"] {
                let err = sqlx::query(stmt).execute(owner.pool()).await.expect_err("append-only");
                assert!(err.to_string().contains("append-only"), "{stmt}: {err}");
            }
            owner
                .pool()
                .execute(format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}").as_str())
                .await
                .expect("grant");

            // Row-level security as an ordinary role: the whole flow again,
            // then the policies hide other tenants' rows even from a query
            // that asks for them, and refuse writes into another tenant.
            let options = PgConnectOptions::from_str(&url).expect("options").username(&role);
            let pool = PgPoolOptions::new().max_connections(4).connect_with(options).await.expect("app pool");
            let app_store = PgStore::from_pool(pool);
            flow(Arc::new(app_store.clone()), "postgres-app-role").await;
            // Row-level security itself, below the store's own scope checks:
            // raw SQL as the application role.
            let other = TenantId(Uuid::now_v7());
            let pool = app_store.pool();
            let mut tx = pool.begin().await.expect("begin");
            sqlx::query("SELECT set_config('app.tenant_id', $1, true), set_config('app.system', 'off', true)")
                .bind(other.to_string())
                .execute(&mut *tx)
                .await
                .expect("set context");
            let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM tenants WHERE id = $1")
                .bind(tenant.as_uuid())
                .fetch_one(&mut *tx)
                .await
                .expect("count");
            assert_eq!(seen, 0, "RLS hides other tenants");
            let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                .fetch_one(&mut *tx)
                .await
                .expect("count");
            assert_eq!(seen, 0, "RLS hides other tenants' ledgers");
            let err = sqlx::query("INSERT INTO organizations (id, tenant_id, name, created_at, updated_at) VALUES ($1, $2, 'Rogue', now(), now())")
                .bind(Uuid::now_v7())
                .bind(tenant.as_uuid())
                .execute(&mut *tx)
                .await
                .expect_err("RLS refuses");
            assert_eq!(err.as_database_error().and_then(|e| e.code()).as_deref(), Some("42501"), "{err}");
            drop(tx);
            // The store's system-scope lookups rely on RLS alone in a tenant
            // scope.
            let mut tx = app_store.begin(Scope::Tenant(other)).await.expect("begin");
            let slug = {
                let mut sys = app_store.begin(Scope::System).await.expect("begin");
                sys.get_tenant(tenant).await.expect("get").expect("tenant").slug
            };
            assert!(!tx.tenant_slug_exists(&slug).await.expect("slug"), "RLS hides the slug");
            drop(tx);
            let mut tx = app_store.begin(Scope::Tenant(tenant)).await.expect("begin");
            assert!(tx.tenant_slug_exists(&slug).await.expect("slug"));
            assert!(!tx.list_audit(tenant, 10).await.expect("audit").is_empty());
            tx.commit().await.expect("commit");
            // Later transactions on the same connections see nothing without
            // a context (the GUC reads '' after a transaction-local set).
            let mut conn = pool.acquire().await.expect("acquire");
            let n: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations")
                .fetch_one(&mut *conn)
                .await
                .expect("n");
            assert_eq!(n, 0, "no context, no rows");
            drop(conn);
            app_store.pool().close().await;
            owner.pool().close().await;
        }
    })
    .await;

    admin.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await.expect("drop database");
    admin.execute(format!("DROP ROLE IF EXISTS {name}").as_str()).await.expect("drop role");
    admin.close().await.ok();
    if let Err(e) = result {
        std::panic::resume_unwind(e.into_panic());
    }
}
