//! The monitoring repository: monitored endpoints, scrape logs and the
//! SimHash band index of certificates.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::ids::{OrganizationId, TenantId};
use crate::monitoring::{EndpointId, Fingerprint, MonitoredEndpoint, ScrapeLog, ScrapeLogFilter, ScrapeStats};
use crate::pagination::{Page, PageRequest};

type R<T> = Result<T, StoreError>;

/// Endpoints, scrape logs, fingerprints. [`MonitoringRepo::due_endpoints`]
/// and [`MonitoringRepo::scrape_stats`] without a tenant are *system scope*.
#[async_trait]
pub trait MonitoringRepo {
    /// Inserts an endpoint. Conflict: `monitored_endpoints_tenant_id_url`.
    async fn insert_endpoint(&mut self, e: &MonitoredEndpoint) -> R<()>;
    /// An endpoint of the tenant.
    async fn get_endpoint(&mut self, tenant: TenantId, id: EndpointId) -> R<Option<MonitoredEndpoint>>;
    /// Saves every field but id, tenant, organization and created_at.
    /// Conflict: `monitored_endpoints_tenant_id_url`.
    async fn update_endpoint(&mut self, e: &MonitoredEndpoint) -> R<()>;
    /// Deletes an endpoint with its logs; true if it existed.
    async fn delete_endpoint(&mut self, tenant: TenantId, id: EndpointId) -> R<bool>;
    /// One page of the tenant's endpoints (of one organization when
    /// given), oldest first.
    async fn list_endpoints(
        &mut self,
        tenant: TenantId,
        organization: Option<OrganizationId>,
        page: PageRequest,
    ) -> R<Page<MonitoredEndpoint>>;
    /// Active endpoints due at `now`, most overdue first, across tenants
    /// (*system scope*).
    async fn due_endpoints(&mut self, now: DateTime<Utc>, limit: u32) -> R<Vec<MonitoredEndpoint>>;
    /// Appends a scrape log entry.
    async fn insert_scrape_log(&mut self, log: &ScrapeLog) -> R<()>;
    /// The tenant's scrape logs matching `filter`, newest first.
    async fn list_scrape_logs(&mut self, tenant: TenantId, filter: &ScrapeLogFilter) -> R<Vec<ScrapeLog>>;
    /// Scrape counts since `since`, of one tenant or (`None`, *system
    /// scope*) of all.
    async fn scrape_stats(&mut self, tenant: Option<TenantId>, since: DateTime<Utc>) -> R<ScrapeStats>;
    /// Stores (or replaces) a certificate's fingerprint with its bands.
    async fn upsert_fingerprint(&mut self, tenant: TenantId, fp: &Fingerprint) -> R<()>;
    /// Fingerprints of the tenant sharing at least one band with
    /// `simhash` (of one organization when given), at most `limit`: the
    /// candidates of a near-duplicate look-up, through the band indexes.
    async fn band_candidates(
        &mut self,
        tenant: TenantId,
        organization: Option<OrganizationId>,
        simhash: u64,
        limit: u32,
    ) -> R<Vec<Fingerprint>>;
    /// The soonest expiry date on or after `from` of the organization's
    /// PENDING, ACTIVE or SUSPENDED certificates (adaptive scheduling).
    async fn soonest_expiry(&mut self, tenant: TenantId, org: OrganizationId, from: NaiveDate) -> R<Option<NaiveDate>>;
}
