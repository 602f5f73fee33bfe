//! The Postgres backend: [`PgStore`] and its transactions.
//!
//! Every transaction starts with one round trip (BEGIN plus the settings) that sets the row-level
//! security context transaction-locally: `app.tenant_id` (the tenant's id,
//! or `''` in system scope) and `app.system` (`'on'` in system scope, else
//! `'off'`). The policies of the schema then limit every tenant-owned table
//! to that tenant, as a backstop behind the explicit tenant filter of every
//! query. `lock_*` use `SELECT … FOR UPDATE`.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use certwatch_core::ports::{Scope, Store, StoreError, Tx};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Postgres, Transaction};

use crate::repos::prelude::*;
use crate::Error;

/// The backend's database type, for the repository macros.
type Db = Postgres;

/// The embedded Postgres migrations (`migrations/postgres`).
static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// Connections a pool opened by [`PgStore::connect`] keeps at most.
const MAX_CONNECTIONS: u32 = 10;

/// A [`Store`] on Postgres.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Opens a pool to `url` (`postgres://` or `postgresql://`).
    ///
    /// # Errors
    /// [`Error::Connect`] when the URL is malformed or the server can't be
    /// reached.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let options = PgConnectOptions::from_str(url).map_err(Error::Connect)?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(Error::Connect)?;
        Ok(Self { pool })
    }

    /// A store over an existing pool (for custom pool settings).
    #[must_use]
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// Applies the embedded migrations that have not run yet.
    ///
    /// # Errors
    /// [`Error::Migrate`] when a migration fails or an applied one was
    /// changed.
    pub async fn migrate(&self) -> Result<(), Error> {
        MIGRATOR.run(&self.pool).await.map_err(Error::Migrate)?;
        tracing::debug!("postgres migrations applied");
        Ok(())
    }

    /// The underlying pool.
    #[must_use]
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

#[async_trait]
impl Store for PgStore {
    async fn begin(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError> {
        self.begin_as(scope, "BEGIN").await
    }

    async fn begin_read(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError> {
        self.begin_as(scope, "BEGIN READ ONLY").await
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.db()?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "postgres"
    }

    /// Row-level locking: writers wait only for the rows they share, so as
    /// many as the pool has connections.
    fn parallel_writers(&self) -> usize {
        usize::try_from(self.pool.options().get_max_connections()).unwrap_or(1).max(1)
    }
}

impl PgStore {
    /// Opens a transaction with `begin` (`BEGIN` or `BEGIN READ ONLY`) and the
    /// row-level security context in one round trip: both travel together in
    /// a simple-protocol query. Both values are ours (a UUID rendered by the
    /// uuid crate, a constant), never caller text.
    async fn begin_as(&self, scope: Scope, begin: &str) -> Result<Box<dyn Tx>, StoreError> {
        let (tenant, system) = match scope {
            Scope::Tenant(t) => (t.to_string(), "off"),
            Scope::System => (String::new(), "on"),
        };
        let statement = format!(
            "{begin}; SELECT set_config('app.tenant_id', '{tenant}', true), set_config('app.system', '{system}', true)"
        );
        let tx = self.pool.begin_with(statement).await.db()?;
        Ok(Box::new(PgTx { scope, tx, at_commit: Vec::new() }))
    }
}

/// An open Postgres transaction; dropping it rolls back.
pub(crate) struct PgTx {
    scope: Scope,
    tx: Transaction<'static, Postgres>,
    /// Jobs to insert just before the commit (`enqueue_job_at_commit`).
    at_commit: Vec<certwatch_core::jobs::NewJob>,
}

impl_commit_with_deferred_jobs!(PgTx);

impl_scope_guard!(PgTx);
impl_tenancy_repo!(PgTx, for_update = " FOR UPDATE");
impl_supplier_repo!(PgTx, for_update = " FOR UPDATE");
impl_certificate_repo!(PgTx);
impl_outbox_and_audit_repos!(PgTx);
impl_system_repo!(PgTx);
impl_job_repo!(
    PgTx,
    due_ids = ("id = ANY(ARRAY(", "", " FOR UPDATE SKIP LOCKED))"),
    relaxed =
        Some("SELECT set_config('synchronous_commit', 'off', true), set_config('enable_bitmapscan', 'off', true)")
);
impl_expiry_repo!(PgTx);
impl_bulk_repo!(PgTx, for_update = " FOR UPDATE");
impl_webhook_repo!(PgTx, skip_locked = " FOR UPDATE SKIP LOCKED");
impl_bulk_upload_repo!(PgTx, for_update = " FOR UPDATE");
impl_monitoring_repo!(PgTx);
