//! Certificate data: types, certificates, their inputs and queries.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::status::CertificateStatus;
use crate::ids::{CertificateId, OrganizationId, SiteId, TenantId};
use crate::pagination::PageRequest;
use crate::suppliers::WebsiteUrl;
use crate::validation::Violation;

/// A certificate category (master data, seeded): ISO_9001, TISAX, ...
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateType {
    /// Unique code, e.g. `ISO_9001`.
    pub code: String,
    /// Human name.
    pub name: String,
    /// What the standard covers.
    pub description: String,
}

/// Where a certificate's data came from. Only [`Provenance::WebScrape`]
/// data (published by the supplier itself) may appear in public search.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provenance {
    /// Entered by a user.
    #[default]
    Manual,
    /// Found on a public supplier web page.
    WebScrape,
    /// Extracted from a privately uploaded file.
    Upload,
    /// Imported from a spreadsheet.
    Import,
}

impl Provenance {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provenance::Manual => "manual",
            Provenance::WebScrape => "web_scrape",
            Provenance::Upload => "upload",
            Provenance::Import => "import",
        }
    }
}

impl FromStr for Provenance {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Violation> {
        match s {
            "manual" => Ok(Self::Manual),
            "web_scrape" => Ok(Self::WebScrape),
            "upload" => Ok(Self::Upload),
            "import" => Ok(Self::Import),
            _ => Err(Violation::new("provenance", "unknown provenance")),
        }
    }
}

/// Lower-case hex SHA-256 of a certificate document.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DocumentHash(String);

impl DocumentHash {
    /// Parses 64 hex digits (any case).
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let s = raw.trim().to_ascii_lowercase();
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            Ok(Self(s))
        } else {
            Err(Violation::new("document_hash", "must be a SHA-256 in 64 hex digits"))
        }
    }
    /// The hex digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for DocumentHash {
    type Error = Violation;
    fn try_from(s: String) -> Result<Self, Violation> {
        Self::parse(&s)
    }
}
impl From<DocumentHash> for String {
    fn from(v: DocumentHash) -> String {
        v.0
    }
}

/// A compliance certificate held by an organization.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    /// Primary key.
    pub id: CertificateId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The holder. Fixed at creation.
    pub organization_id: OrganizationId,
    /// Certificate type code.
    pub certificate_type: String,
    /// The number printed on the certificate.
    pub certificate_number: Option<String>,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// What the certificate covers.
    pub scope: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// Lifecycle state; changed only through transitions.
    pub status: CertificateStatus,
    /// Where the certificate document can be fetched.
    pub document_url: Option<WebsiteUrl>,
    /// The page the certificate was found on.
    pub source_url: Option<WebsiteUrl>,
    /// SHA-256 of the document.
    pub document_hash: Option<DocumentHash>,
    /// The tenant's own reference; unique per tenant.
    pub external_id: Option<String>,
    /// Where the data came from.
    pub provenance: Provenance,
    /// When the last expiry notification went out; cleared when the expiry
    /// date changes so a renewed certificate is notified afresh.
    pub last_expiry_notification_at: Option<DateTime<Utc>>,
    /// The organization's sites this certificate covers.
    pub site_ids: Vec<SiteId>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Raw input for creating a certificate.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificateInput {
    /// The holder.
    pub organization_id: OrganizationId,
    /// Certificate type code (must exist).
    pub certificate_type: String,
    /// See [`Certificate::certificate_number`].
    pub certificate_number: Option<String>,
    /// See [`Certificate::issuing_body`].
    pub issuing_body: Option<String>,
    /// See [`Certificate::scope`].
    pub scope: Option<String>,
    /// See [`Certificate::issue_date`].
    pub issue_date: Option<NaiveDate>,
    /// See [`Certificate::expiry_date`].
    pub expiry_date: Option<NaiveDate>,
    /// Initial status; PENDING when absent.
    pub status: Option<CertificateStatus>,
    /// See [`Certificate::document_url`].
    pub document_url: Option<String>,
    /// See [`Certificate::source_url`].
    pub source_url: Option<String>,
    /// See [`Certificate::document_hash`].
    pub document_hash: Option<String>,
    /// See [`Certificate::external_id`].
    pub external_id: Option<String>,
    /// See [`Certificate::provenance`]; manual when absent.
    pub provenance: Option<Provenance>,
    /// Covered sites (must belong to the organization).
    pub site_ids: Vec<SiteId>,
}

/// A partial update of a certificate's data (not its status: that changes
/// only through a transition). `Some(None)` clears a field.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CertificatePatch {
    /// New type code.
    pub certificate_type: Option<String>,
    /// New number, or clear it.
    pub certificate_number: Option<Option<String>>,
    /// New issuing body, or clear it.
    pub issuing_body: Option<Option<String>>,
    /// New scope, or clear it.
    pub scope: Option<Option<String>>,
    /// New issue date, or clear it.
    pub issue_date: Option<Option<NaiveDate>>,
    /// New expiry date, or clear it.
    pub expiry_date: Option<Option<NaiveDate>>,
    /// New document URL, or clear it.
    pub document_url: Option<Option<String>>,
    /// New source URL, or clear it.
    pub source_url: Option<Option<String>>,
    /// New document hash, or clear it.
    pub document_hash: Option<Option<String>>,
    /// New external id, or clear it.
    pub external_id: Option<Option<String>>,
    /// Replace the covered sites.
    pub site_ids: Option<Vec<SiteId>>,
}

/// A requested status change.
#[derive(Debug, Clone, Deserialize)]
pub struct TransitionRequest {
    /// The target status.
    pub to: CertificateStatus,
    /// A new expiry date to set with the change (re-certification).
    pub expiry_date: Option<NaiveDate>,
    /// Why, for the audit ledger.
    pub reason: Option<String>,
}

/// Filters, order and page of a certificate list (newest first).
#[derive(Debug, Clone, Default)]
pub struct CertificateQuery {
    /// Only this holder.
    pub organization_id: Option<OrganizationId>,
    /// Only this type code.
    pub certificate_type: Option<String>,
    /// Only this status.
    pub status: Option<CertificateStatus>,
    /// Only ACTIVE certificates whose expiry date is between today and
    /// today + N days.
    pub expiring_within_days: Option<u32>,
    /// Case-insensitive substring of the issuing body.
    pub issuing_body: Option<String>,
    /// Which page.
    pub page: PageRequest,
}

/// The resolved form of [`CertificateQuery`] handed to the store: the
/// expiring window is turned into dates by the service (the store never
/// reads a clock).
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    /// Only this holder.
    pub organization_id: Option<OrganizationId>,
    /// Only this type code.
    pub certificate_type: Option<String>,
    /// Only this status.
    pub status: Option<CertificateStatus>,
    /// Inclusive expiry date range.
    pub expiry_between: Option<(NaiveDate, NaiveDate)>,
    /// Lower-cased substring of the issuing body.
    pub issuing_body_contains: Option<String>,
    /// Which page.
    pub page: PageRequest,
}

/// A public verification search: by certificate number and/or holder name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PublicSearch {
    /// Exact certificate number (case-insensitive, surrounding space ignored).
    pub certificate_number: Option<String>,
    /// Part of the holder's name (at least 3 characters).
    pub holder: Option<String>,
    /// At most this many results (1..=50; 20 when 0).
    pub limit: u32,
}

/// The public facts of a certificate that its holder published on the web.
/// Never the tenant that tracks it, never privately uploaded data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicCertificate {
    /// Certificate number.
    pub certificate_number: Option<String>,
    /// Holder (the supplier's name).
    pub holder: String,
    /// Certificate type code.
    pub certificate_type: String,
    /// Certification body.
    pub issuing_body: Option<String>,
    /// Lifecycle status.
    pub status: CertificateStatus,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// The public page it was found on.
    pub source_url: Option<String>,
}
