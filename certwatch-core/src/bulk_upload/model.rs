//! Upload batches and items as stored.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::filetype::FileType;
use super::matching::Candidate;
use super::status::{BatchStatus, ItemStatus};
use crate::ids::{CertificateId, OrganizationId, TenantId, UserId};
use crate::webhooks::model::webhook_id_type;

webhook_id_type!(
    /// A group of files uploaded together.
    BatchId
);
webhook_id_type!(
    /// One uploaded file.
    ItemId
);

/// A group of files uploaded together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadBatch {
    /// Primary key.
    pub id: BatchId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Who uploaded it; certificates created from it act as this user.
    pub created_by: UserId,
    /// Pending, processing or completed (see [`BatchStatus::of`]).
    pub status: BatchStatus,
    /// How many items are in each status (read with the batch).
    pub counts: BTreeMap<ItemStatus, u64>,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub updated_at: DateTime<Utc>,
    /// When every item was settled.
    pub completed_at: Option<DateTime<Utc>>,
}

impl UploadBatch {
    /// Items in the batch.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// One extracted field: value (as text), confidence and where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractedValue {
    /// The value as text (dates as ISO dates).
    pub value: String,
    /// 0 to 1.
    pub confidence: f32,
    /// `text`, `filename`, `ocr` (rules over text or OCR) or `llm` (the
    /// LLM extractor).
    pub source: String,
}

/// What processing found in a file (the `extracted_data` JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExtractedData {
    /// Whether the rules take the text for a certificate.
    pub is_certificate: bool,
    /// Fields by name: `certificate_number`, `certificate_type`,
    /// `issuing_body`, `holder_name`, `issue_date`, `valid_from`,
    /// `expiry_date`, `scope`.
    pub fields: BTreeMap<String, ExtractedValue>,
    /// The organizations the document may belong to, best first.
    pub candidates: Vec<Candidate>,
    /// The organization named by the file name, if any.
    pub filename_organization: Option<String>,
    /// Where the text came from: `pdf_text`, `ocr`.
    pub text_source: Option<String>,
    /// Pages read.
    pub pages: u32,
    /// The overall confidence the decision was based on.
    pub confidence: f64,
    /// Required fields that were missing or below the threshold.
    pub missing: Vec<String>,
    /// Things worth knowing (`pdf_contains_javascript`, duplicates).
    pub warnings: Vec<String>,
}

impl ExtractedData {
    /// A field's value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(|f| f.value.as_str())
    }
    /// A date field.
    pub fn date(&self, name: &str) -> Option<NaiveDate> {
        self.value(name).and_then(|v| v.parse().ok())
    }
}

/// One uploaded file and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UploadItem {
    /// Primary key.
    pub id: ItemId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The batch.
    pub batch_id: BatchId,
    /// The client's file name, sanitised (display only).
    pub original_filename: String,
    /// The generated key the file is stored under.
    pub blob_key: String,
    /// What the content is.
    pub file_type: FileType,
    /// Bytes.
    pub file_size: u64,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Where it is in the flow.
    pub status: ItemStatus,
    /// The text read from it.
    pub extracted_text: Option<String>,
    /// Fields, confidences, candidates.
    pub extracted_data: Option<ExtractedData>,
    /// The organization it was matched to.
    pub matched_organization: Option<OrganizationId>,
    /// How sure the match is.
    pub match_confidence: Option<f64>,
    /// The certificate created or updated from it.
    pub certificate: Option<CertificateId>,
    /// Why processing failed (or what limited it).
    pub error_message: Option<String>,
    /// What a reviewer changed (`{"fields": [...], "values": {...}}`).
    pub user_corrections: Option<serde_json::Value>,
    /// Who reviewed it (confirm or skip); `None` for automatic results.
    pub reviewed_by: Option<UserId>,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl UploadItem {
    /// Whether the item was matched without a human.
    pub fn auto_matched(&self) -> bool {
        self.status == ItemStatus::Matched && self.reviewed_by.is_none()
    }
}

/// The slim view of an item that quality metrics need.
#[derive(Debug, Clone, PartialEq)]
pub struct QualityRow {
    /// The tenant.
    pub tenant_id: TenantId,
    /// The batch.
    pub batch_id: BatchId,
    /// The status.
    pub status: ItemStatus,
    /// Whether a user reviewed it.
    pub reviewed: bool,
    /// Fields a reviewer corrected.
    pub corrected_fields: Vec<String>,
}
