//! Issue budgets of the foundation, measured on Postgres (a fresh database
//! from `DATABASE_URL`, like the tests):
//!
//! * bulk insert of certificates through the store (rows/s), and through the
//!   full certificate service (validation, outbox event, audit entry and
//!   counter maintenance per row);
//! * listing organizations with their three certificate counts, page of 50,
//!   10,000 organizations and 200,000 certificates in the tenant plus a
//!   second tenant of the same size, through the core service (median).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench budgets`
//! (`BENCH_ORGS` / `BENCH_CERTS_PER_ORG` shrink it for a quick look).

use std::time::{Duration as StdDuration, Instant};

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{Certificate, CertificateStatus, Provenance};
use certwatch_core::ids::{CertificateId, OrganizationId};
use certwatch_core::pagination::PageRequest;
use certwatch_core::ports::Scope;
use certwatch_core::suppliers::OrganizationQuery;
use certwatch_core::CertWatch;
use certwatch_tests::seed::{seed_tenant, CERT_TYPES};
use certwatch_tests::{core_with_clock, TestDb};
use chrono::Duration;
use uuid::Uuid;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Store-level bulk insert: `insert_certificates` alone, committed.
async fn store_insert_rate(app: &CertWatch, p: &Principal, orgs: &[OrganizationId], rows: usize) -> f64 {
    let now = app.clock().now();
    let certs: Vec<Certificate> = (0..rows)
        .map(|k| Certificate {
            id: CertificateId(Uuid::now_v7()),
            tenant_id: p.tenant_id,
            organization_id: orgs[k % orgs.len()],
            certificate_type: CERT_TYPES[k % CERT_TYPES.len()].into(),
            certificate_number: Some(format!("RAW-{k:08}")),
            issuing_body: Some("DEKRA Certification GmbH".into()),
            scope: Some("Design and manufacture of precision components".into()),
            issue_date: None,
            expiry_date: Some(app.clock().today() + Duration::days(400)),
            status: CertificateStatus::Pending,
            document_url: None,
            source_url: None,
            document_hash: None,
            external_id: None,
            provenance: Provenance::Manual,
            last_expiry_notification_at: None,
            site_ids: vec![],
            created_at: now,
            updated_at: now,
        })
        .collect();
    let started = Instant::now();
    let mut tx = app.store().begin(Scope::Tenant(p.tenant_id)).await.expect("tx");
    tx.insert_certificates(&certs).await.expect("insert");
    tx.commit().await.expect("commit");
    rows as f64 / started.elapsed().as_secs_f64()
}

fn stats(mut v: Vec<StdDuration>) -> (f64, f64, f64) {
    v.sort();
    let ms = |d: StdDuration| d.as_secs_f64() * 1000.0;
    (ms(v[v.len() / 2]), ms(v[v.len() * 95 / 100]), ms(v[v.len() - 1]))
}

async fn time_list(app: &CertWatch, p: &Principal, q: impl Fn(u32) -> OrganizationQuery, n: u32) -> (f64, f64, f64) {
    let mut samples = Vec::new();
    for i in 0..n {
        let query = q(i);
        let t = Instant::now();
        let page = app.suppliers().list_organizations(p, &query).await.expect("list");
        samples.push(t.elapsed());
        assert!(!page.items.is_empty() || page.total == 0);
    }
    stats(samples)
}

#[tokio::main]
async fn main() {
    let orgs = env_usize("BENCH_ORGS", 10_000);
    let per_org = env_usize("BENCH_CERTS_PER_ORG", 20);
    let db = TestDb::postgres().await;
    let (app, clock) = core_with_clock(db.store.clone());
    println!("seeding 2 tenants x {orgs} organizations x {per_org} certificates on Postgres ...");
    let a = seed_tenant(&app, "bench-a@example.com", orgs, per_org).await;
    let b = seed_tenant(&app, "bench-b@example.com", orgs, per_org).await;
    let (p, ids, rate_a, rate_b) = (a.principal, a.organizations, a.certificates_per_second, b.certificates_per_second);
    let store_rate = store_insert_rate(&app, &p, &ids, 50_000).await;
    sqlx::query("ANALYZE").execute(db.pg_pool()).await.expect("analyze");

    let pages = (orgs as u32).div_ceil(50).max(1);
    let page =
        |i: u32| OrganizationQuery { page: PageRequest::new(i % pages + 1, 50).expect("page"), ..Default::default() };
    // Warm up connections and caches.
    time_list(&app, &p, page, 20).await;
    let fresh = time_list(&app, &p, page, 300).await;
    let filtered = time_list(
        &app,
        &p,
        |i| OrganizationQuery {
            has_expiring: Some(true),
            page: PageRequest::new(i % 20 + 1, 50).expect("page"),
            ..Default::default()
        },
        200,
    )
    .await;
    // A new day before the daily refresh: expiring counts recomputed per page row.
    clock.advance(Duration::days(1));
    let stale = time_list(&app, &p, page, 200).await;
    let t = Instant::now();
    let refreshed = app.suppliers().refresh_expiring_counts(&p).await.expect("refresh");
    let refresh_ms = t.elapsed().as_secs_f64() * 1000.0;
    let after = time_list(&app, &p, page, 200).await;

    println!();
    println!("| measurement | result | budget |");
    println!("|---|---|---|");
    println!("| bulk insert, store `insert_certificates` (50,000 rows, one tx) | {store_rate:.0} rows/s | >= 20,000 rows/s |");
    println!(
        "| bulk create, certificate service (validation + event + audit + counters), tenant A / B | {rate_a:.0} / {rate_b:.0} rows/s | - |"
    );
    println!(
        "| list organizations + 3 counts, page of 50, median / p95 / max | {:.2} / {:.2} / {:.2} ms | median < 10 ms |",
        fresh.0, fresh.1, fresh.2
    );
    println!("| same, filter has_expiring=true | {:.2} / {:.2} / {:.2} ms | - |", filtered.0, filtered.1, filtered.2);
    println!(
        "| same, first day after midnight before the daily refresh | {:.2} / {:.2} / {:.2} ms | - |",
        stale.0, stale.1, stale.2
    );
    println!("| daily expiring-counter refresh ({refreshed} organizations) | {refresh_ms:.0} ms | - |");
    println!("| list after refresh | {:.2} / {:.2} / {:.2} ms | - |", after.0, after.1, after.2);
}
