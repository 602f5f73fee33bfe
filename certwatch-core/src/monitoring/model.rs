//! Monitored endpoints and scrape logs.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::fetch::Validators;
use crate::ids::{CertificateId, OrganizationId, TenantId};
use crate::validation::Violation;
use crate::webhooks::model::webhook_id_type;

webhook_id_type!(
    /// A URL monitored for certificates.
    EndpointId
);
webhook_id_type!(
    /// One scrape attempt's log entry.
    ScrapeLogId
);

/// Default time between two scrapes of an endpoint (24 h).
pub const DEFAULT_CHECK_FREQUENCY_HOURS: u32 = 24;

/// A supplier URL scraped periodically. Unique per (tenant, url).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonitoredEndpoint {
    /// Primary key.
    pub id: EndpointId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The supplier whose certificates the page shows.
    pub organization_id: OrganizationId,
    /// The page (absolute http/https URL).
    pub url: String,
    /// The endpoint's own scrape interval in hours (adaptive scheduling may
    /// scrape sooner).
    pub check_frequency_hours: u32,
    /// When it was last scraped.
    pub last_checked: Option<DateTime<Utc>>,
    /// When it is due next.
    pub next_check_at: DateTime<Utc>,
    /// SHA-256 of the page's visible text at the last successful scrape.
    pub last_content_hash: Option<String>,
    /// PDFs processed (extracted) so far.
    pub processed_pdf_urls: Vec<String>,
    /// PDF URL → SHA-256 of the bytes last extracted.
    pub pdf_content_hashes: BTreeMap<String, String>,
    /// PDF URL → validators for conditional requests.
    pub pdf_validators: BTreeMap<String, Validators>,
    /// Inactive endpoints are never scraped by the scheduler.
    pub is_active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// The outcome of a scrape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScrapeStatus {
    /// Something changed and was processed.
    Success,
    /// The scrape (or part of it) failed; `error_message` says why.
    Failed,
    /// Neither the page nor any PDF changed.
    NoChange,
}

impl ScrapeStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ScrapeStatus::Success => "SUCCESS",
            ScrapeStatus::Failed => "FAILED",
            ScrapeStatus::NoChange => "NO_CHANGE",
        }
    }
}

impl FromStr for ScrapeStatus {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Violation> {
        match s.to_ascii_uppercase().as_str() {
            "SUCCESS" => Ok(Self::Success),
            "FAILED" => Ok(Self::Failed),
            "NO_CHANGE" => Ok(Self::NoChange),
            _ => Err(Violation::new("status", "must be SUCCESS, FAILED or NO_CHANGE")),
        }
    }
}

/// One scrape attempt, with every step in `notes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScrapeLog {
    /// Primary key.
    pub id: ScrapeLogId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The endpoint scraped.
    pub endpoint_id: EndpointId,
    /// The outcome.
    pub status: ScrapeStatus,
    /// SHA-256 of the page's visible text, when the page was read.
    pub content_hash: Option<String>,
    /// Certificates created or updated.
    pub certificates_found: u32,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Wall time of the scrape.
    pub duration_ms: u64,
    /// What happened, step by step (fetches, fallbacks, PDFs skipped by
    /// hash or 304, duplicates merged).
    pub notes: Vec<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Filters of the scrape log list (newest first).
#[derive(Debug, Clone, Default)]
pub struct ScrapeLogFilter {
    /// Only this endpoint.
    pub endpoint_id: Option<EndpointId>,
    /// Only this status.
    pub status: Option<ScrapeStatus>,
    /// Only entries at or after.
    pub since: Option<DateTime<Utc>>,
    /// At most (1..=500).
    pub limit: u32,
}

/// Scrape counts of a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ScrapeStats {
    /// Scrapes in the period.
    pub total: u64,
    /// FAILED among them.
    pub failed: u64,
}

impl ScrapeStats {
    /// failed / total, 0 when nothing ran.
    pub fn failure_rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.failed as f64 / self.total as f64
        }
    }
}

/// A certificate's SimHash in the band index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    /// The certificate.
    pub certificate_id: CertificateId,
    /// Its holder.
    pub organization_id: OrganizationId,
    /// SimHash of its document text.
    pub simhash: u64,
}

/// Input for creating an endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndpointInput {
    /// The supplier.
    pub organization_id: OrganizationId,
    /// The page.
    pub url: String,
    /// Hours between scrapes (1..=720); 24 when absent.
    pub check_frequency_hours: Option<u32>,
    /// Active unless false.
    pub is_active: Option<bool>,
}

/// A partial update of an endpoint.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct EndpointPatch {
    /// New URL (resets the change-detection state).
    pub url: Option<String>,
    /// New interval in hours.
    pub check_frequency_hours: Option<u32>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}
