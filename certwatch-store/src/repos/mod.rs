//! The repository implementations, written once as macros and expanded for
//! each backend's transaction type ([`crate::postgres::PgTx`],
//! [`crate::sqlite::SqliteTx`]).
//!
//! The SQL is the same text on both backends (sqlx-sqlite accepts numbered
//! `$n` placeholders). The expansion site provides the names the macros use:
//! a `Db` alias for the backend's database type, the domain and row types,
//! and [`crate::db_error::DbResult`] for `.db()?`; [`prelude`] has all but
//! `Db`. Dialect differences are macro arguments (the `FOR UPDATE` suffix of
//! the `lock_*` methods). Every method first checks the tenant it is given
//! against the transaction's scope ([`impl_scope_guard`]).

pub(crate) mod bulk;
pub(crate) mod bulk_upload;
pub(crate) mod certificates;
pub(crate) mod expiry;
pub(crate) mod jobs;
pub(crate) mod monitoring;
pub(crate) mod outbox;
pub(crate) mod suppliers;
pub(crate) mod system;
pub(crate) mod tenancy;
pub(crate) mod webhooks;

/// Everything the repository macros refer to, for `use
/// crate::repos::prelude::*` at the expansion site.
pub(crate) mod prelude {
    pub(crate) use std::collections::HashMap;

    pub(crate) use chrono::{DateTime, NaiveDate, Utc};
    pub(crate) use sqlx::types::Json;
    pub(crate) use sqlx::QueryBuilder;
    pub(crate) use uuid::Uuid;

    pub(crate) use certwatch_core::audit::AuditEntry;
    pub(crate) use certwatch_core::certificates::{Certificate, CertificateFilter, CertificateType};
    pub(crate) use certwatch_core::events::DomainEvent;
    pub(crate) use certwatch_core::ids::{
        ApiTokenId, CertificateId, EventId, InvitationId, OrganizationId, SiteId, TenantId, UserId,
    };
    pub(crate) use certwatch_core::pagination::Page;
    pub(crate) use certwatch_core::ports::StoreError;
    pub(crate) use certwatch_core::suppliers::{
        CertificateCounts, Organization, OrganizationOrder, OrganizationQuery, OrganizationSummary, Site,
    };
    pub(crate) use certwatch_core::tenancy::{
        ApiToken, EmailVerification, Invitation, InvitationStatus, Member, Membership, Role, Tenant, TokenHash,
        TokenPrincipal, User,
    };

    pub(crate) use super::bulk::impl_bulk_repo;
    pub(crate) use super::bulk_upload::impl_bulk_upload_repo;
    pub(crate) use super::certificates::impl_certificate_repo;
    pub(crate) use super::expiry::impl_expiry_repo;
    pub(crate) use super::impl_scope_guard;
    pub(crate) use super::jobs::{impl_commit_with_deferred_jobs, impl_job_repo};
    pub(crate) use super::monitoring::impl_monitoring_repo;
    pub(crate) use super::outbox::impl_outbox_and_audit_repos;
    pub(crate) use super::suppliers::{certificate_count, impl_supplier_repo};
    pub(crate) use super::system::impl_system_repo;
    pub(crate) use super::tenancy::impl_tenancy_repo;
    pub(crate) use super::webhooks::impl_webhook_repo;
    pub(crate) use crate::db_error::DbResult;
    pub(crate) use crate::rows::*;
    pub(crate) use crate::sql::*;
    pub(crate) use certwatch_core::certificates::PublicCertificate;
    pub(crate) use certwatch_core::jobs::{Job, JobId, JobStatus, NewJob, QueueStats};
    pub(crate) use certwatch_core::operations::SystemStatus;
    pub(crate) use certwatch_core::webhooks::{
        Delivery, DeliveryFilter, DeliveryId, Subscriber, SubscriberId, Subscription, SubscriptionId,
    };

    /// The result type of every repository method.
    pub(crate) type R<T> = Result<T, StoreError>;
}

/// Implements the scope checks every repository method starts with, for a
/// transaction type with a `scope: Scope` field.
///
/// They mirror what Postgres' row-level security does, on both backends and
/// for every connecting role (superusers bypass RLS): rows of a tenant other
/// than the transaction's are invisible (reads find nothing, updates and
/// deletes change nothing) and inserting them is refused. System scope sees
/// every tenant.
macro_rules! impl_scope_guard {
    ($tx:ty) => {
        impl $tx {
            /// Whether this transaction may see rows of `tenant`.
            fn sees(&self, tenant: TenantId) -> bool {
                match self.scope {
                    Scope::System => true,
                    Scope::Tenant(t) => t == tenant,
                }
            }

            /// Refuses writing a row of a tenant this transaction can't see.
            fn check_write(&self, tenant: TenantId) -> R<()> {
                if self.sees(tenant) {
                    Ok(())
                } else {
                    Err(StoreError::Refused(format!("row of tenant {tenant} is outside the transaction's scope")))
                }
            }
        }
    };
}
pub(crate) use impl_scope_guard;
