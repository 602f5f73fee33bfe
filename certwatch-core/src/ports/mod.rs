//! The traits through which the core reaches the world.
//!
//! * [`Store`] opens a transaction ([`Tx`]) scoped to one tenant (or, for the
//!   few pre-authentication lookups, to the whole system). A transaction
//!   implements every repository trait of [`repos`]; dropping it without
//!   [`Tx::commit`] rolls everything back, so a failed service call never
//!   leaves half-written state, and events written to the outbox commit or
//!   vanish together with the change that caused them.
//! * [`Clock`] and [`IdGenerator`]: rules never read the system clock or
//!   invent ids themselves, so expiry windows and cooldowns are testable
//!   without sleeping.
//!
//! Guarantees every [`Store`] implementation keeps (checked by the
//! conformance story in `tests/`):
//! * every read and write of tenant-owned data is limited to the transaction's
//!   tenant; a [`Scope::Tenant`] transaction never sees another tenant's rows;
//! * unique-constraint violations surface as [`StoreError::Conflict`] naming
//!   the constraint, never as a generic failure;
//! * a transaction is atomic and isolated at least at READ COMMITTED, and the
//!   `lock_*` methods serialise concurrent writers of the same row.

pub mod bulk;
pub mod monitoring;
pub mod repos;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::ids::TenantId;
pub use bulk::BulkRepo;
pub use monitoring::MonitoringRepo;
pub use repos::{
    AuditRepo, CertificateRepo, ExpiryRepo, JobRepo, OutboxRepo, SupplierRepo, SystemRepo, TenancyRepo, WebhookRepo,
};

/// Which rows a transaction may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only this tenant's rows (plus global reference data such as users and
    /// certificate types). The normal case.
    Tenant(TenantId),
    /// Cross-tenant access for the handful of lookups that happen before a
    /// tenant is known: authenticating a token, logging in, registering,
    /// accepting an invitation. Services name every use.
    System,
}

/// A failure of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A unique constraint was violated; `constraint` is its stable name.
    #[error("unique constraint {constraint} violated")]
    Conflict {
        /// Stable name of the violated constraint, e.g. `organizations_external_id`.
        constraint: String,
    },
    /// A row referenced by the write does not exist (foreign key).
    #[error("referenced row does not exist: {0}")]
    MissingReference(String),
    /// The database refused the operation by a rule of its own (an
    /// append-only trigger, a row-level security check).
    #[error("refused by the database: {0}")]
    Refused(String),
    /// Stored data could not be read back into a domain value.
    #[error("corrupt stored data: {0}")]
    Corrupt(String),
    /// Connection, IO or any other database failure.
    #[error("database error: {0}")]
    Database(String),
}

/// The persistent store: opens transactions.
#[async_trait]
pub trait Store: Send + Sync {
    /// Starts a transaction limited to `scope`.
    async fn begin(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError>;
    /// Starts a transaction that only reads, which the backend may run
    /// beside other transactions (SQLite: a deferred `BEGIN`, so readers
    /// don't queue behind the write lock; Postgres: `READ ONLY`). Callers
    /// must only read in it: Postgres refuses writes, SQLite may answer
    /// busy. Defaults to [`Store::begin`].
    async fn begin_read(&self, scope: Scope) -> Result<Box<dyn Tx>, StoreError> {
        self.begin(scope).await
    }
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;
    /// A short name of the backend ("postgres", "sqlite") for logs and health.
    fn backend(&self) -> &'static str;
    /// How many write transactions can make progress at the same time.
    /// Batch writers (imports) run that many batches at once, up to their
    /// own cap. One by default: SQLite has a single database-wide write
    /// lock, so a second writer would only wait for it.
    fn parallel_writers(&self) -> usize {
        1
    }
}

/// One open transaction: every repository, then commit or drop to roll back.
#[async_trait]
pub trait Tx:
    TenancyRepo
    + SupplierRepo
    + CertificateRepo
    + OutboxRepo
    + AuditRepo
    + SystemRepo
    + JobRepo
    + WebhookRepo
    + ExpiryRepo
    + crate::bulk_upload::BulkUploadRepo
    + BulkRepo
    + MonitoringRepo
    + Send
{
    /// Makes every write of this transaction durable and visible.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}

/// The source of "now". Injected so time-dependent rules are testable.
pub trait Clock: Send + Sync {
    /// The current instant, UTC, truncated to microseconds (what both
    /// databases store).
    fn now(&self) -> DateTime<Utc>;
    /// Today's date in UTC: the day expiry windows are measured from.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The source of new ids.
pub trait IdGenerator: Send + Sync {
    /// A fresh, unique id.
    fn new_id(&self) -> Uuid;
}

/// One outbound webhook POST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// The target URL (checked against SSRF rules by the sender, on the
    /// addresses it actually connects to).
    pub url: String,
    /// Headers to send (content type and signatures).
    pub headers: Vec<(String, String)>,
    /// The exact body bytes (the signatures cover these).
    pub body: Vec<u8>,
    /// The whole request's time limit.
    pub timeout: std::time::Duration,
}

/// Why an outbound request got no HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The target is not allowed (SSRF rules, bad URL).
    #[error("target refused: {0}")]
    Refused(String),
    /// No answer within the time limit.
    #[error("timed out")]
    Timeout,
    /// Connecting or talking to the target failed.
    #[error("connection failed: {0}")]
    Connect(String),
}

/// Sends webhook POSTs. Never follows redirects; the answer's status is all
/// the caller needs (its body is read up to a small cap and dropped).
#[async_trait]
pub trait WebhookSender: Send + Sync {
    /// POSTs `req`; the HTTP status of the answer.
    async fn post(&self, req: OutboundRequest) -> Result<u16, SendError>;
}

/// Why a document could not be fetched and hashed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// A hop's target is not allowed (SSRF rules, bad URL, too many
    /// redirects): retrying cannot help.
    #[error("target refused: {0}")]
    Refused(String),
    /// The document is larger than the cap: retrying cannot help.
    #[error("document larger than {0} bytes")]
    TooLarge(u64),
    /// No complete answer within the time limit.
    #[error("timed out")]
    Timeout,
    /// Connecting failed or the server answered with an error status.
    #[error("fetch failed: {0}")]
    Failed(String),
}

/// Fetches a certificate document and returns the lower-case hex SHA-256
/// of its bytes, checking the SSRF rules on every redirect hop and
/// enforcing the size cap while streaming (the document is never held
/// whole in memory).
#[async_trait]
pub trait DocumentFetcher: Send + Sync {
    /// The SHA-256 of the document at `url`.
    async fn sha256(&self, url: &str) -> Result<String, FetchError>;
}
