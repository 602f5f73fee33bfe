//! The error type of every core service.
//!
//! Variants separate the caller's mistakes (validation, not found, conflict,
//! permission, authentication, invalid transition) from failures of the world
//! behind the ports ([`Error::Store`]). Hosts map each variant to a status
//! exactly once; the core never knows HTTP.

use crate::certificates::TransitionError;
use crate::ports::StoreError;
use crate::validation::ValidationErrors;

/// Result of a core service call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a core service refused or failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input broke one or more field rules; each carries its field name.
    #[error("invalid input: {0}")]
    Validation(#[from] ValidationErrors),
    /// The object does not exist for this tenant. Objects of other tenants
    /// are reported exactly like missing ones.
    #[error("{entity} not found")]
    NotFound {
        /// What kind of object was looked up ("organization", "certificate", ...).
        entity: &'static str,
    },
    /// The change collides with existing data (a duplicate external id, an
    /// e-mail address already registered, a concurrent modification).
    #[error("conflict: {what}")]
    Conflict {
        /// Which rule or field collided.
        what: String,
    },
    /// The certificate status change is not allowed.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The caller is authenticated but lacks the permission.
    #[error("forbidden: {reason}")]
    Forbidden {
        /// The permission that was missing.
        reason: &'static str,
    },
    /// The caller could not be authenticated.
    #[error(transparent)]
    Auth(#[from] crate::tenancy::AuthError),
    /// The membership change would leave the tenant without an administrator.
    #[error("a tenant must keep at least one admin")]
    LastAdmin,
    /// A spreadsheet import refused the file as a whole (not a
    /// spreadsheet, too large, no header, a zip bomb).
    #[error(transparent)]
    Import(#[from] crate::imports::ImportError),
    /// The store failed (connection, corruption, constraint not mapped above).
    #[error("store failure: {0}")]
    Store(StoreError),
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { constraint } => Error::Conflict { what: conflict_message(&constraint) },
            other => Error::Store(other),
        }
    }
}

/// Turns a store constraint name into the caller-facing conflict message.
fn conflict_message(constraint: &str) -> String {
    match constraint {
        "organizations_external_id" => "an organization with this external_id already exists".into(),
        "certificates_external_id" => "a certificate with this external_id already exists".into(),
        "users_email" => "this e-mail address is already registered".into(),
        "memberships_user_tenant" => "the user is already a member of this tenant".into(),
        "tenants_slug" => "the tenant slug is already taken".into(),
        "monitored_endpoints_tenant_id_url" => "this URL is already monitored".into(),
        other => format!("unique constraint {other} violated"),
    }
}

impl Error {
    /// Shorthand for [`Error::NotFound`].
    pub fn not_found(entity: &'static str) -> Self {
        Error::NotFound { entity }
    }
    /// Shorthand for [`Error::Conflict`].
    pub fn conflict(what: impl Into<String>) -> Self {
        Error::Conflict { what: what.into() }
    }
}
