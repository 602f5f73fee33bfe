//! # certwatch-store
//!
//! The sqlx implementations of the CertWatch store ports
//! ([`certwatch_core::ports::Store`] and its transactions): [`PgStore`] on
//! Postgres and [`SqliteStore`] on SQLite, with their embedded migrations
//! (`migrations/postgres`, `migrations/sqlite` at the workspace root).
//!
//! ```no_run
//! # async fn demo() -> Result<(), certwatch_store::Error> {
//! let store = certwatch_store::connect_and_migrate("sqlite::memory:").await?;
//! let app = certwatch_core::CertWatch::new(store);
//! # let _ = app; Ok(()) }
//! ```
//!
//! Both backends run the same SQL for every repository method (see
//! `repos`); they differ only in how a transaction starts (Postgres sets the
//! row-level security context, SQLite takes the write lock with `BEGIN
//! IMMEDIATE`) and in how rows are locked. Database errors are mapped to
//! [`certwatch_core::ports::StoreError`] in one place, with unique
//! violations named identically on both backends.

pub mod blobs;
mod db_error;
mod error;
mod postgres;
mod repos;
mod rows;
mod sql;
mod sqlite;
mod wakeups;

use std::sync::Arc;

use certwatch_core::ports::Store;

pub use blobs::LocalDirBlobStore;
pub use error::Error;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use wakeups::{listen_for_jobs, JOBS_CHANNEL};

/// The database behind a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `postgres://…` or `postgresql://…`.
    Postgres,
    /// `sqlite://path`, `sqlite:path` or `sqlite::memory:`.
    Sqlite,
}

impl Backend {
    /// The backend a database URL names.
    ///
    /// # Errors
    /// [`Error::UnsupportedUrl`] for any other scheme.
    pub fn of_url(url: &str) -> Result<Self, Error> {
        let scheme = url.split_once(':').map_or(url, |(s, _)| s).to_ascii_lowercase();
        match scheme.as_str() {
            "postgres" | "postgresql" => Ok(Backend::Postgres),
            "sqlite" => Ok(Backend::Sqlite),
            _ => Err(Error::UnsupportedUrl { scheme }),
        }
    }
}

/// Opens the store a URL names, without migrating it.
///
/// # Errors
/// [`Error::UnsupportedUrl`] or [`Error::Connect`].
pub async fn connect(url: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(match Backend::of_url(url)? {
        Backend::Postgres => Arc::new(PgStore::connect(url).await?),
        Backend::Sqlite => Arc::new(SqliteStore::connect(url).await?),
    })
}

/// Opens the store a URL names and applies its pending migrations.
///
/// # Errors
/// [`Error::UnsupportedUrl`], [`Error::Connect`] or [`Error::Migrate`].
pub async fn connect_and_migrate(url: &str) -> Result<Arc<dyn Store>, Error> {
    Ok(match Backend::of_url(url)? {
        Backend::Postgres => {
            let s = PgStore::connect(url).await?;
            s.migrate().await?;
            Arc::new(s)
        }
        Backend::Sqlite => {
            let s = SqliteStore::connect(url).await?;
            s.migrate().await?;
            Arc::new(s)
        }
    })
}

/// Applies the pending migrations of the database a URL names, then closes
/// the connection.
///
/// # Errors
/// [`Error::UnsupportedUrl`], [`Error::Connect`] or [`Error::Migrate`].
pub async fn migrate(url: &str) -> Result<(), Error> {
    match Backend::of_url(url)? {
        Backend::Postgres => {
            let s = PgStore::connect(url).await?;
            s.migrate().await?;
            s.pool().close().await;
        }
        Backend::Sqlite => {
            let s = SqliteStore::connect(url).await?;
            s.migrate().await?;
            s.pool().close().await;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backends_by_scheme() {
        assert_eq!(Backend::of_url("postgres://u@h/db").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("postgresql://u@h/db").ok(), Some(Backend::Postgres));
        assert_eq!(Backend::of_url("sqlite://x.db").ok(), Some(Backend::Sqlite));
        assert_eq!(Backend::of_url("sqlite::memory:").ok(), Some(Backend::Sqlite));
        match Backend::of_url("mysql://root:secret@h/db") {
            Err(Error::UnsupportedUrl { scheme }) => assert_eq!(scheme, "mysql"),
            other => panic!("unexpected {other:?}"),
        }
    }
}
