//! Supplier data: organizations, their sites, certificate counts, and the
//! inputs and queries of the supplier services.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::identifiers::{CountryCode, Lei, VatNumber, WebsiteUrl};
use crate::ids::{OrganizationId, SiteId, TenantId};
use crate::pagination::PageRequest;

/// A supplier whose certificates are tracked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organization {
    /// Primary key.
    pub id: OrganizationId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The tenant's own reference (ERP number...); unique per tenant.
    pub external_id: Option<String>,
    /// Legal or trading name.
    pub name: String,
    /// Homepage, where certificate discovery starts.
    pub website: Option<WebsiteUrl>,
    /// Legal Entity Identifier.
    pub lei: Option<Lei>,
    /// VAT identification number.
    pub vat: Option<VatNumber>,
    /// Country of the legal seat.
    pub country: Option<CountryCode>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// How many of an organization's certificates are active, expiring (active
/// with an expiry date within the next [`EXPIRING_WINDOW_DAYS`] days, today
/// included; these are counted in `active` too) and expired.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct CertificateCounts {
    /// Certificates in status ACTIVE.
    pub active: u64,
    /// ACTIVE certificates expiring within the window.
    pub expiring: u64,
    /// Certificates in status EXPIRED.
    pub expired: u64,
}

/// Days ahead that count as "expiring" in organization counts.
pub const EXPIRING_WINDOW_DAYS: i64 = 30;

impl CertificateCounts {
    /// Counts `c` as the store's counters do on `today`: ACTIVE, ACTIVE
    /// and expiring within [`EXPIRING_WINDOW_DAYS`] (today included), or
    /// EXPIRED.
    pub fn add(&mut self, c: &crate::certificates::Certificate, today: chrono::NaiveDate) {
        use crate::certificates::CertificateStatus;
        match c.status {
            CertificateStatus::Active => {
                self.active += 1;
                let end = today
                    .checked_add_signed(chrono::Duration::days(EXPIRING_WINDOW_DAYS))
                    .unwrap_or(chrono::NaiveDate::MAX);
                if c.expiry_date.is_some_and(|d| d >= today && d <= end) {
                    self.expiring += 1;
                }
            }
            CertificateStatus::Expired => self.expired += 1,
            _ => {}
        }
    }
}

/// A list row: the organization and its certificate counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationSummary {
    /// The organization.
    #[serde(flatten)]
    pub organization: Organization,
    /// Its certificate counts.
    pub counts: CertificateCounts,
}

/// The detail view: the organization, its counts and its sites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganizationDetail {
    /// The organization.
    #[serde(flatten)]
    pub organization: Organization,
    /// Its certificate counts.
    pub counts: CertificateCounts,
    /// Its sites, by name.
    pub sites: Vec<Site>,
}

/// A physical or operational location of an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Primary key.
    pub id: SiteId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// Name of the site.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Raw input for creating an organization; validated by the service.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganizationInput {
    /// See [`Organization::external_id`].
    pub external_id: Option<String>,
    /// See [`Organization::name`].
    pub name: String,
    /// See [`Organization::website`].
    pub website: Option<String>,
    /// See [`Organization::lei`].
    pub lei: Option<String>,
    /// See [`Organization::vat`].
    pub vat: Option<String>,
    /// See [`Organization::country`].
    pub country: Option<String>,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OrganizationPatch {
    /// New external id, or clear it.
    pub external_id: Option<Option<String>>,
    /// New name.
    pub name: Option<String>,
    /// New website, or clear it.
    pub website: Option<Option<String>>,
    /// New LEI, or clear it.
    pub lei: Option<Option<String>>,
    /// New VAT number, or clear it.
    pub vat: Option<Option<String>>,
    /// New country, or clear it.
    pub country: Option<Option<String>>,
}

/// Raw input for a site.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SiteInput {
    /// Name of the site.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
}

/// A partial update of a site: `None` leaves a field alone, `Some(None)`
/// clears the address.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SitePatch {
    /// New name.
    pub name: Option<String>,
    /// New address, or clear it.
    pub address: Option<Option<String>>,
}

/// Sort order of organization lists (ties broken by id).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganizationOrder {
    /// By name, A to Z.
    #[default]
    NameAsc,
    /// By name, Z to A.
    NameDesc,
    /// Oldest first.
    CreatedAsc,
    /// Newest first.
    CreatedDesc,
}

/// Filters, order and page of an organization list.
#[derive(Debug, Clone, Default)]
pub struct OrganizationQuery {
    /// Case-insensitive substring of the name.
    pub search: Option<String>,
    /// Only this country.
    pub country: Option<CountryCode>,
    /// Only organizations with (true) or without (false) expiring certificates.
    pub has_expiring: Option<bool>,
    /// Only organizations with (true) or without (false) expired certificates.
    pub has_expired: Option<bool>,
    /// Sort order.
    pub order: OrganizationOrder,
    /// Which page.
    pub page: PageRequest,
}
