//! The error of connecting to and migrating a store. Failures of the
//! repositories themselves are [`certwatch_core::ports::StoreError`]s (see
//! [`crate::db_error`]).

/// Why a store could not be opened or migrated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL names no supported backend. Only the scheme is kept, so a
    /// password in the URL never reaches a log.
    #[error("unsupported database URL scheme {scheme:?}: expected postgres://, postgresql:// or sqlite:")]
    UnsupportedUrl {
        /// The scheme found (the text before the first `:`).
        scheme: String,
    },
    /// The connection options were invalid or the database could not be
    /// reached.
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("could not migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}
