//! [`BulkRepo`]: the batch-capable look-ups and writes that spreadsheet
//! imports need to write thousands of rows per transaction without one
//! statement per row. The rules stay in the services; these only persist
//! what they decided, with the same guarantees as the single-row methods
//! (tenant filter, stable conflict names, counters untouched unless said).

use async_trait::async_trait;

use super::StoreError;
use crate::certificates::Certificate;
use crate::ids::{OrganizationId, TenantId};
use crate::jobs::NewJob;
use crate::suppliers::Organization;

type R<T> = Result<T, StoreError>;

/// Batch reads and writes of organizations, certificates and jobs.
#[async_trait]
pub trait BulkRepo {
    /// The tenant's organizations whose external id is one of `external_ids`
    /// (exact match), in no particular order.
    async fn find_organizations_by_external_ids(
        &mut self,
        tenant: TenantId,
        external_ids: &[String],
    ) -> R<Vec<Organization>>;
    /// Inserts organizations with their certificate counters as of
    /// `counted_on` (the caller knows every certificate a new organization
    /// has, so no recount is needed) using multi-row statements. They are
    /// not yet counted on their tenant: call
    /// [`BulkRepo::count_new_organizations`] as the transaction's last
    /// write. Conflict: `organizations_external_id`.
    async fn insert_organizations(
        &mut self,
        orgs: &[(Organization, crate::suppliers::CertificateCounts)],
        counted_on: chrono::NaiveDate,
    ) -> R<()>;
    /// Adds `n` to the tenant's organization counter. This locks the
    /// tenant's row until the transaction ends, so a batch writer calls it
    /// last: two imports of one tenant then wait on each other only for
    /// their commits, not for everything written after it.
    async fn count_new_organizations(&mut self, tenant: TenantId, n: u64) -> R<()>;
    /// Locks these organization rows until the transaction ends (as
    /// [`super::SupplierRepo::lock_organization`]); returns how many exist.
    async fn lock_organizations(&mut self, tenant: TenantId, ids: &[OrganizationId]) -> R<u64>;
    /// Every certificate (with its sites) of these organizations.
    async fn certificates_of_organizations(&mut self, tenant: TenantId, orgs: &[OrganizationId])
        -> R<Vec<Certificate>>;
    /// Inserts jobs with multi-row statements; jobs whose `dedupe_key`
    /// exists are skipped. Returns how many were inserted.
    async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> R<u64>;
    /// Up to `limit` organizations of the tenant after `after` in id order
    /// (keyset pages for exports).
    async fn organizations_after(
        &mut self,
        tenant: TenantId,
        after: Option<OrganizationId>,
        limit: u32,
    ) -> R<Vec<Organization>>;
}
