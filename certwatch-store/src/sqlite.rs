//! The SQLite backend: [`SqliteStore`] and its transactions.
//!
//! Connections run with foreign keys on, a 5 s busy timeout and (for files)
//! the WAL journal. Every transaction starts with `BEGIN IMMEDIATE`, taking
//! the database's write lock up front: transactions are serialised, so the
//! `lock_*` methods only need to check that the row exists, and writers
//! queue on the busy timeout instead of failing with `SQLITE_BUSY` when a
//! read lock would have to be upgraded. SQLite has no row-level security;
//! tenant isolation rests on the explicit tenant filter of every query and
//! on the scope check every repository method starts with.
//!
//! `sqlite::memory:` databases live as long as the pool's single
//! connection, which is kept open for the life of the pool.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use certwatch_core::ports::{Scope, Store, StoreError, Tx};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, Transaction};

use crate::repos::prelude::*;
use crate::Error;

/// The backend's database type, for the repository macros.
type Db = Sqlite;

/// The embedded SQLite migrations (`migrations/sqlite`).
static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// Connections a file database's pool keeps at most. Transactions are
/// serialised by `BEGIN IMMEDIATE` anyway; a small pool keeps waiting
/// callers in the pool's fair queue rather than in SQLite's busy handler.
const MAX_CONNECTIONS: u32 = 4;

/// How long a connection waits for the write lock before `SQLITE_BUSY`.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`] on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens `url`: `sqlite://path` (the file is created if missing) or
    /// `sqlite::memory:`.
    ///
    /// # Errors
    /// [`Error::Connect`] when the URL is malformed or the file can't be
    /// opened or created.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(Error::Connect)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = if is_in_memory(url) {
            // One connection, never closed: the database lives as long as it.
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            SqlitePoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options.journal_mode(SqliteJournalMode::Wal).synchronous(SqliteSynchronous::Normal))
                .await
        }
        .map_err(Error::Connect)?;
        Ok(Self { pool })
    }

    /// A store over an existing pool. The pool's connections should have
    /// foreign keys on (sqlx's default) and a busy timeout.
    #[must_use]
    pub fn from_pool(pool: SqlitePool) -> Self {
        Self { pool }
    }

    /// Applies the embedded migrations that have not run yet.
    ///
    /// # Errors
    /// [`Error::Migrate`] when a migration fails or an applied one was
    /// changed.
    pub async fn migrate(&self) -> Result<(), Error> {
        MIGRATOR.run(&self.pool).await.map_err(Error::Migrate)?;
        tracing::debug!("sqlite migrations applied");
        Ok(())
    }

    /// The underlying pool.
    #[must_use]
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

/// Whether a SQLite URL names an in-memory database.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

#[async_trait]
impl Store for SqliteStore {
    async fn begin(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError> {
        let tx = self.pool.begin_with("BEGIN IMMEDIATE").await.db()?;
        Ok(Box::new(SqliteTx { scope, tx, at_commit: Vec::new() }))
    }

    async fn begin_read(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError> {
        // Deferred: under WAL, readers run beside the one writer.
        let tx = self.pool.begin_with("BEGIN DEFERRED").await.db()?;
        Ok(Box::new(SqliteTx { scope, tx, at_commit: Vec::new() }))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "sqlite"
    }
}

/// An open SQLite transaction; dropping it rolls back.
pub(crate) struct SqliteTx {
    scope: Scope,
    tx: Transaction<'static, Sqlite>,
    /// Jobs to insert just before the commit (`enqueue_job_at_commit`).
    at_commit: Vec<certwatch_core::jobs::NewJob>,
}

impl_commit_with_deferred_jobs!(SqliteTx);

impl_scope_guard!(SqliteTx);
impl_tenancy_repo!(SqliteTx, for_update = "");
impl_supplier_repo!(SqliteTx, for_update = "");
impl_certificate_repo!(SqliteTx);
impl_outbox_and_audit_repos!(SqliteTx);
impl_system_repo!(SqliteTx);
impl_job_repo!(SqliteTx, due_ids = ("id IN (", " INDEXED BY jobs_due_idx", ")"), relaxed = None);
impl_expiry_repo!(SqliteTx);
impl_bulk_repo!(SqliteTx, for_update = "");
impl_webhook_repo!(SqliteTx, skip_locked = "");
impl_bulk_upload_repo!(SqliteTx, for_update = "");
impl_monitoring_repo!(SqliteTx);
