//! Monitoring budgets (issue 5), on Postgres (`DATABASE_URL`) and a local
//! site farm on 127.0.0.1:
//!
//! * SimHash near-duplicate look-up among 1,000,000 certificates: the
//!   in-memory `SimHashIndex` and the database band index
//!   (`certificate_fingerprints`, through `MonitoringRepo::band_candidates`),
//!   per query, budget < 1 ms;
//! * a periodic run scraping 1,000 endpoints (one organization each, one
//!   PDF per page): first scrape (everything new), nothing changed
//!   (budget < 10 s), every page and PDF changed (budget < 60 s).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench monitoring`
//! (`BENCH_ENDPOINTS`, `BENCH_FINGERPRINTS` shrink it).

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use certwatch_core::dedupe::SimHashIndex;
use certwatch_core::monitoring::{EndpointInput, FetchConfig, MonitoringConfig, ReqwestFetcher};
use certwatch_core::ports::Scope;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_tests::site_farm::{corpus_dir, SiteFarm};
use certwatch_tests::{core_with_clock, seed, Backend, TestDb};
use sqlx::Executor;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// xorshift64*: deterministic fingerprints without a rand dependency here.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

fn in_memory(n: usize) {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut idx = SimHashIndex::new();
    let mut kept = Vec::new();
    for i in 0..n {
        let fp = rng.next();
        if i % 1000 == 0 {
            kept.push(fp);
        }
        idx.insert(fp, i as u32);
    }
    let queries: Vec<u64> = kept.iter().map(|fp| fp ^ 0b101).chain((0..1000).map(|_| rng.next())).collect();
    let started = Instant::now();
    let mut found = 0;
    for q in &queries {
        found += idx.query(*q, 3).len();
    }
    let per = started.elapsed() / queries.len() as u32;
    println!(
        "simhash in-memory: {n} fingerprints, {} queries, {per:?} per query ({found} hits) — budget < 1 ms",
        queries.len()
    );
}

async fn in_database(n: usize) {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, _) = core_with_clock(db.store.clone());
    let (p, _) = seed::admin_of(&app, "fp@bench.example").await;
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: "Fingerprints".into(), ..Default::default() })
        .await
        .expect("org");
    let started = Instant::now();
    let mut conn = db.pg_pool().acquire().await.expect("conn");
    conn.execute(format!("SELECT set_config('app.tenant_id', '{}', false)", p.tenant_id).as_str()).await.expect("rls");
    conn.execute(
        format!(
            "INSERT INTO certificates (id, tenant_id, organization_id, certificate_type, status, provenance, created_at, updated_at) \
             SELECT gen_random_uuid(), '{t}', '{o}', 'ISO_9001', 'ACTIVE', 'web_scrape', now(), now() FROM generate_series(1, {n})",
            t = p.tenant_id,
            o = org.id
        )
        .as_str(),
    )
    .await
    .expect("certificates");
    conn.execute(
        "INSERT INTO certificate_fingerprints (certificate_id, tenant_id, organization_id, simhash, band0, band1, band2, band3) \
         SELECT id, tenant_id, organization_id, h, (h & 65535)::int, ((h >> 16) & 65535)::int, ((h >> 32) & 65535)::int, \
         ((h >> 48) & 65535)::int FROM (SELECT id, tenant_id, organization_id, \
         (floor(random() * 9.2e18)::bigint # (floor(random() * 2)::bigint << 63)) AS h FROM certificates) s",
    )
    .await
    .expect("fingerprints");
    conn.execute("ANALYZE certificate_fingerprints").await.expect("analyze");
    let sample: Vec<(i64,)> = sqlx::query_as("SELECT simhash FROM certificate_fingerprints LIMIT 500")
        .fetch_all(&mut *conn)
        .await
        .expect("sample");
    drop(conn);
    println!("simhash db: seeded {n} certificates with fingerprints in {:?}", started.elapsed());
    let mut rng = Rng(42);
    let queries: Vec<u64> = sample.iter().map(|(h,)| (*h as u64) ^ 0b11).chain((0..500).map(|_| rng.next())).collect();
    let mut tx = app.store().begin_read(Scope::Tenant(p.tenant_id)).await.expect("tx");
    let started = Instant::now();
    let mut hits = 0;
    for q in &queries {
        hits += tx.band_candidates(p.tenant_id, None, *q, 50).await.expect("query").len();
    }
    let per = started.elapsed() / queries.len() as u32;
    drop(tx);
    println!(
        "simhash db band index: {n} certificates, {} queries, {per:?} per query ({hits} candidates) — budget < 1 ms",
        queries.len()
    );
}

async fn scraping(n: usize) {
    let db = TestDb::new(Backend::Postgres).await;
    let (app, clock) = core_with_clock(db.store.clone());
    let (p, _) = seed::admin_of(&app, "scrape@bench.example").await;
    let farm = SiteFarm::empty().await;
    let docs = corpus_dir().join("docs");
    let pdfs: Vec<Vec<u8>> = ["RCSL_ISO9001_Certificate.pdf", "iso14001-certificate.pdf", "Zertifikat_ISO9001.pdf"]
        .iter()
        .map(|f| std::fs::read(docs.join(f)).expect("pdf"))
        .collect();
    let page = |i: usize, v: u32| {
        format!(
            "<html><body><h1>Supplier {i}</h1><p>Revision {v}</p><a href='/pdf/{i}.pdf'>ISO 9001 certificate (PDF)</a></body></html>"
        )
        .into_bytes()
    };
    for i in 0..n {
        farm.put(&format!("/site/{i}.html"), page(i, 1), "text/html");
        farm.put(&format!("/pdf/{i}.pdf"), pdfs[i % pdfs.len()].clone(), "application/pdf");
        let org = app
            .suppliers()
            .create_organization(&p, OrganizationInput { name: format!("Supplier {i}"), ..Default::default() })
            .await
            .expect("org");
        app.monitoring()
            .create_endpoint(
                &p,
                EndpointInput {
                    organization_id: org.id,
                    url: farm.url(&format!("/site/{i}.html")),
                    ..Default::default()
                },
            )
            .await
            .expect("endpoint");
    }
    let cfg = MonitoringConfig {
        fetcher: Arc::new(
            ReqwestFetcher::new(FetchConfig {
                allow: vec!["127.0.0.0/8".parse().expect("net")],
                ..FetchConfig::default()
            })
            .expect("fetcher"),
        ),
        batch: n as u32,
        max_concurrency: 8,
        // The farm is one host; the default of 2 per host would measure the
        // politeness bound, not the pipeline.
        per_host_concurrency: 8,
        ..MonitoringConfig::default()
    };
    let run = |label: &'static str| {
        let app = app.clone();
        let cfg = cfg.clone();
        async move {
            let started = Instant::now();
            let r = app.monitoring().scrape_due(&cfg).await.expect("run");
            println!(
                "scrape {n} endpoints, {label}: {:?} (scraped {}, failed {})",
                started.elapsed(),
                r.scraped,
                r.failed
            );
        }
    };
    run("first scrape, everything new (one PDF each)").await;
    clock.advance(chrono::Duration::hours(25));
    run("nothing changed — budget < 10 s").await;
    for i in 0..n {
        farm.put(&format!("/site/{i}.html"), page(i, 2), "text/html");
        let mut pdf = pdfs[i % pdfs.len()].clone();
        pdf.extend_from_slice(format!("\n% revision {i}\n").as_bytes());
        farm.put(&format!("/pdf/{i}.pdf"), pdf, "application/pdf");
    }
    clock.advance(chrono::Duration::hours(25));
    run("every page and its PDF changed — budget < 60 s").await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    in_memory(env_usize("BENCH_FINGERPRINTS", 1_000_000));
    rt.block_on(in_database(env_usize("BENCH_FINGERPRINTS", 1_000_000)));
    rt.block_on(scraping(env_usize("BENCH_ENDPOINTS", 1_000)));
    let _ = StdDuration::ZERO;
}
