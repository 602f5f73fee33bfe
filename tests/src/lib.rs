//! Shared harness of the cross-crate tests: fresh, uniquely named databases
//! (a new Postgres database owned by a new non-superuser role, or a new
//! SQLite file) and a core wired to a manual clock.
//!
//! Postgres comes from `DATABASE_URL` (an admin connection, e.g. the
//! throwaway server `scripts/test` starts). When it is missing the tests
//! fail with a message that says how to provide one — they never skip.

pub mod bulk;
pub mod field_accuracy;
pub mod http;
pub mod seed;
pub mod site_farm;

use std::str::FromStr;
use std::sync::Arc;

use certwatch_core::adapters::{ManualClock, UuidV7};
use certwatch_core::ports::Store;
use certwatch_core::tenancy::PasswordHasher;
use certwatch_core::{CertWatch, CoreConfig};
use chrono::{TimeZone, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// The production store.
    Postgres,
}

/// The admin URL of the Postgres server the tests use.
pub fn admin_url() -> String {
    std::env::var("DATABASE_URL").unwrap_or_else(|_| {
        panic!(
            "DATABASE_URL is not set. Run the tests through `scripts/test` (it starts a throwaway \
             PostgreSQL), or point DATABASE_URL at a server where this user may create roles and \
             databases, e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres"
        )
    })
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A fresh database; dropped (Postgres) or deleted (SQLite) when this
/// guard goes out of scope.
pub struct TestDb {
    /// The store over it.
    pub store: Arc<dyn Store>,
    /// Which backend.
    pub backend: Backend,
    /// Postgres: the database and owner role names; SQLite: the file path.
    pub name: String,
    /// Postgres: a URL that connects as the owner role.
    pub url: String,
    pg_pool: Option<sqlx::PgPool>,
}

impl TestDb {
    /// A fresh, migrated database of `backend`.
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => Self::sqlite().await,
            Backend::Postgres => Self::postgres().await,
        }
    }

    /// A fresh SQLite file in the temp directory.
    pub async fn sqlite() -> TestDb {
        let path = std::env::temp_dir().join(format!("{}.sqlite", random_name("cw_test")));
        let url = format!("sqlite://{}", path.display());
        let store = certwatch_store::connect_and_migrate(&url).await.expect("open and migrate SQLite");
        TestDb { store, backend: Backend::Sqlite, name: path.display().to_string(), url, pg_pool: None }
    }

    /// A fresh Postgres database owned by a fresh role that is neither
    /// superuser nor BYPASSRLS, so row-level security applies to every
    /// query the store makes.
    pub async fn postgres() -> TestDb {
        let admin = admin_url();
        let name = random_name("cw_test");
        let password = uuid::Uuid::new_v4().simple().to_string();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to DATABASE_URL={admin}: {e}. Is PostgreSQL running?"));
        conn.execute(format!("CREATE ROLE {name} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '{password}'").as_str())
            .await
            .expect("create role");
        conn.execute(format!("CREATE DATABASE {name} OWNER {name}").as_str()).await.expect("create database");
        conn.close().await.ok();
        let opts = PgConnectOptions::from_str(&admin)
            .expect("parse DATABASE_URL")
            .username(&name)
            .password(&password)
            .database(&name)
            .disable_statement_logging();
        let pool = PgPoolOptions::new().max_connections(8).connect_with(opts.clone()).await.expect("connect as owner");
        let store = certwatch_store::PgStore::from_pool(pool.clone());
        store.migrate().await.expect("migrate Postgres");
        let url = opts.to_url_lossy().to_string();
        TestDb { store: Arc::new(store), backend: Backend::Postgres, name, url, pg_pool: Some(pool) }
    }

    /// The owner pool (Postgres only), for tests that look under the store.
    pub fn pg_pool(&self) -> &sqlx::PgPool {
        self.pg_pool.as_ref().expect("a Postgres TestDb")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match self.backend {
            Backend::Sqlite => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", self.name));
                }
            }
            Backend::Postgres => {
                let name = self.name.clone();
                // Drop may run on the test's runtime thread, so clean up on a
                // private runtime. The pool is not closed first: closing waits
                // for connections whose return runs on the (now blocked) test
                // runtime. DROP DATABASE ... WITH (FORCE) ends them server-side.
                let _ = std::thread::spawn(move || {
                    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                    rt.block_on(async move {
                        let Ok(mut c) = sqlx::PgConnection::connect(&admin_url()).await else { return };
                        let _ = c.execute(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)").as_str()).await;
                        let _ = c.execute(format!("DROP ROLE IF EXISTS {name}").as_str()).await;
                    });
                })
                .join();
            }
        }
    }
}

/// A fixed starting instant for clock-driven tests: 2026-03-01 09:00 UTC.
pub fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().expect("valid instant")
}

/// A core over `store` with a manual clock at [`t0`] and cheap password
/// hashing (tests only).
pub fn core_with_clock(store: Arc<dyn Store>) -> (CertWatch, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let config = CoreConfig {
        password_hasher: PasswordHasher::with_cost(1024, 1).expect("argon2 params"),
        ..CoreConfig::default()
    };
    (CertWatch::with_ports(store, clock.clone(), Arc::new(UuidV7), config), clock)
}

/// Every job of `kind` in any of `statuses`, once each, oldest id first.
/// Looked up status by status, so a job that moved on between two look-ups
/// (the test server runs its own worker) would show up twice: it is kept
/// once.
pub async fn jobs_of_kind(
    core: &CertWatch,
    kind: &str,
    statuses: &[certwatch_core::jobs::JobStatus],
) -> Vec<certwatch_core::jobs::Job> {
    let mut jobs = Vec::new();
    for status in statuses {
        jobs.extend(core.jobs().list(*status, 1000).await.expect("list jobs"));
    }
    jobs.retain(|j| j.kind == kind);
    jobs.sort_by_key(|j| j.id);
    jobs.dedup_by_key(|j| j.id);
    jobs
}
