//! `/api/bulk-upload/`: upload a batch of certificate files (multipart),
//! follow its processing, work the review queue (confirm with corrections,
//! skip) and read quality metrics. Every rule is in
//! `certwatch_core::bulk_upload`; this module parses, calls it and maps the
//! results.

use std::collections::BTreeMap;
use std::sync::Arc;

use certwatch_core::bulk_upload as core;
use certwatch_core::ids::OrganizationId;
use certwatch_core::validation::{ValidationErrors, Violation};
use chrono::{DateTime, NaiveDate, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::multipart::Upload;
use poem_openapi::{Enum, Multipart, Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{Created, Reply, TokenAuth};
use super::State;
use crate::problem::ApiError;

#[derive(Tags)]
enum Tag {
    /// Bulk certificate upload: batches of files, automatic matching, review, quality.
    BulkUpload,
}

/// Where an uploaded file is: pending → processing → matched |
/// needs_review | extraction_failed; needs_review → matched (a user
/// confirms) | skipped (a user skips).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Stored, waiting for processing.
    Pending,
    /// Being processed.
    Processing,
    /// A certificate was created or updated from it.
    Matched,
    /// Waits for a human.
    NeedsReview,
    /// No text could be read.
    ExtractionFailed,
    /// Skipped by a reviewer.
    Skipped,
}

impl From<core::ItemStatus> for ItemStatus {
    fn from(s: core::ItemStatus) -> Self {
        match s {
            core::ItemStatus::Pending => Self::Pending,
            core::ItemStatus::Processing => Self::Processing,
            core::ItemStatus::Matched => Self::Matched,
            core::ItemStatus::NeedsReview => Self::NeedsReview,
            core::ItemStatus::ExtractionFailed => Self::ExtractionFailed,
            core::ItemStatus::Skipped => Self::Skipped,
        }
    }
}

/// Where a batch is: completed once every item is settled (processing is
/// done; review is separate).
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum BatchStatus {
    /// Nothing processed yet.
    Pending,
    /// Some items processed.
    Processing,
    /// Every item settled.
    Completed,
}

impl From<core::BatchStatus> for BatchStatus {
    fn from(s: core::BatchStatus) -> Self {
        match s {
            core::BatchStatus::Pending => Self::Pending,
            core::BatchStatus::Processing => Self::Processing,
            core::BatchStatus::Completed => Self::Completed,
        }
    }
}

/// A group of files uploaded together.
#[derive(Object, Debug, Clone)]
pub struct Batch {
    /// Batch id.
    pub id: Uuid,
    /// Pending, processing or completed.
    pub status: BatchStatus,
    /// Items per item status (`matched`, `needs_review`, …).
    pub counts: BTreeMap<String, u64>,
    /// Items in the batch.
    pub total: u64,
    /// Who uploaded it.
    pub created_by: Uuid,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Last status change.
    pub updated_at: DateTime<Utc>,
    /// When every item was settled.
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<core::UploadBatch> for Batch {
    fn from(b: core::UploadBatch) -> Self {
        Self {
            id: b.id.0,
            status: b.status.into(),
            total: b.total(),
            counts: b.counts.iter().map(|(s, n)| (s.as_str().to_owned(), *n)).collect(),
            created_by: b.created_by.0,
            created_at: b.created_at,
            updated_at: b.updated_at,
            completed_at: b.completed_at,
        }
    }
}

/// One extracted field.
#[derive(Object, Debug, Clone)]
pub struct ExtractedField {
    /// The value as text (dates as ISO dates).
    pub value: String,
    /// 0 to 1.
    pub confidence: f64,
    /// `text`, `ocr` or `filename`.
    pub source: String,
}

/// An organization the document may belong to.
#[derive(Object, Debug, Clone)]
pub struct CandidateOrganization {
    /// The organization.
    pub organization_id: Uuid,
    /// Its name.
    pub name: String,
    /// 0 to 1.
    pub confidence: f64,
    /// Why: `lei`, `vat`, `external_id`, `name`, `filename`.
    pub reason: String,
}

/// What processing found in a file.
#[derive(Object, Debug, Clone)]
pub struct ExtractedData {
    /// Whether the text reads as a certificate (not an invoice or letter).
    pub is_certificate: bool,
    /// Fields by name, each with its confidence.
    pub fields: BTreeMap<String, ExtractedField>,
    /// Candidate organizations, best first.
    pub candidates: Vec<CandidateOrganization>,
    /// The organization the file name names.
    pub filename_organization: Option<String>,
    /// `pdf_text` or `ocr`.
    pub text_source: Option<String>,
    /// Pages read.
    pub pages: u32,
    /// The overall confidence the decision used (auto-match from 0.8).
    pub confidence: f64,
    /// Required fields missing or too uncertain (`organization`,
    /// `expiry_date`, `not_a_certificate`, …).
    pub missing: Vec<String>,
    /// Notes such as `pdf_contains_javascript` or an updated duplicate.
    pub warnings: Vec<String>,
}

impl From<core::ExtractedData> for ExtractedData {
    fn from(d: core::ExtractedData) -> Self {
        Self {
            is_certificate: d.is_certificate,
            fields: d
                .fields
                .into_iter()
                .map(|(k, v)| {
                    let confidence = (f64::from(v.confidence) * 1000.0).round() / 1000.0;
                    (k, ExtractedField { value: v.value, confidence, source: v.source })
                })
                .collect(),
            candidates: d
                .candidates
                .into_iter()
                .map(|c| CandidateOrganization {
                    organization_id: c.organization_id.0,
                    name: c.name,
                    confidence: c.confidence,
                    reason: c.reason,
                })
                .collect(),
            filename_organization: d.filename_organization,
            text_source: d.text_source,
            pages: d.pages,
            confidence: d.confidence,
            missing: d.missing,
            warnings: d.warnings,
        }
    }
}

/// One uploaded file and what became of it.
#[derive(Object, Debug, Clone)]
pub struct Item {
    /// Item id.
    pub id: Uuid,
    /// The batch.
    pub batch_id: Uuid,
    /// The file name as uploaded, sanitised.
    pub original_filename: String,
    /// `pdf`, `png`, `jpeg`, `tiff` or `webp`.
    pub file_type: String,
    /// Bytes.
    pub file_size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
    /// Where it is in the flow.
    pub status: ItemStatus,
    /// The text read (only on `GET /api/bulk-upload/items/{id}`).
    pub extracted_text: Option<String>,
    /// Fields, confidences and candidate organizations.
    pub extracted_data: Option<ExtractedData>,
    /// The organization it was matched to.
    pub matched_organization: Option<Uuid>,
    /// How sure that match is.
    pub match_confidence: Option<f64>,
    /// The certificate created or updated from it.
    pub certificate_id: Option<Uuid>,
    /// Why processing failed or was limited.
    pub error_message: Option<String>,
    /// What a reviewer corrected: `{"fields": [...], "values": {...}}`.
    pub user_corrections: Option<serde_json::Value>,
    /// Who reviewed it.
    pub reviewed_by: Option<Uuid>,
    /// Uploaded at.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Item {
    fn of(i: core::UploadItem, with_text: bool) -> Self {
        Self {
            id: i.id.0,
            batch_id: i.batch_id.0,
            original_filename: i.original_filename,
            file_type: i.file_type.as_str().to_owned(),
            file_size: i.file_size,
            sha256: i.sha256,
            status: i.status.into(),
            extracted_text: if with_text { i.extracted_text } else { None },
            extracted_data: i.extracted_data.map(Into::into),
            matched_organization: i.matched_organization.map(|o| o.0),
            match_confidence: i.match_confidence,
            certificate_id: i.certificate.map(|c| c.0),
            error_message: i.error_message,
            user_corrections: i.user_corrections,
            reviewed_by: i.reviewed_by.map(|u| u.0),
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

/// A batch with its items.
#[derive(Object, Debug, Clone)]
pub struct BatchDetail {
    /// The batch.
    pub batch: Batch,
    /// Its items, in upload order.
    pub items: Vec<Item>,
}

/// A list of batches.
#[derive(Object, Debug, Clone)]
pub struct BatchList {
    /// Newest first.
    pub items: Vec<Batch>,
}

/// A list of items.
#[derive(Object, Debug, Clone)]
pub struct ItemList {
    /// Oldest first.
    pub items: Vec<Item>,
}

/// Files to upload: one or more `files` parts (`.pdf .png .jpg .jpeg
/// .tiff .webp`, 20 MiB each, at most 50).
#[derive(Multipart, Debug)]
pub struct UploadForm {
    /// The files.
    pub files: Vec<Upload>,
}

/// A reviewer's corrections; every field given replaces the extracted one
/// and is recorded as corrected when it differs.
#[derive(Object, Debug, Clone, Default)]
pub struct Confirmation {
    /// The holder (default: the best candidate).
    pub organization_id: Option<Uuid>,
    /// Certificate type code.
    pub certificate_type: Option<String>,
    /// Certificate number.
    pub certificate_number: Option<String>,
    /// Issuing body.
    pub issuing_body: Option<String>,
    /// Issue date.
    pub issue_date: Option<NaiveDate>,
    /// Expiry date.
    pub expiry_date: Option<NaiveDate>,
    /// Scope.
    pub scope: Option<String>,
}

/// Quality metrics over a batch or a tenant.
#[derive(Object, Debug, Clone)]
pub struct Quality {
    /// Items.
    pub items: u64,
    /// Items processing is done with.
    pub processed: u64,
    /// Matched without a human.
    pub auto_matched: u64,
    /// Matched after a reviewer confirmed.
    pub confirmed: u64,
    /// Waiting for review.
    pub needs_review: u64,
    /// Skipped by a reviewer.
    pub skipped: u64,
    /// No text could be read.
    pub extraction_failed: u64,
    /// auto_matched / processed.
    pub auto_match_rate: f64,
    /// extraction_failed / processed.
    pub extraction_failure_rate: f64,
    /// Per field: share of confirmed items where the reviewer corrected it.
    pub correction_rate: BTreeMap<String, f64>,
}

impl From<core::Quality> for Quality {
    fn from(q: core::Quality) -> Self {
        Self {
            items: q.items,
            processed: q.processed,
            auto_matched: q.auto_matched,
            confirmed: q.confirmed,
            needs_review: q.needs_review,
            skipped: q.skipped,
            extraction_failed: q.extraction_failed,
            auto_match_rate: q.auto_match_rate,
            extraction_failure_rate: q.extraction_failure_rate,
            correction_rate: q.correction_rate,
        }
    }
}

/// Bulk upload endpoints.
pub struct BulkUploadApi {
    pub(super) state: Arc<State>,
}

impl BulkUploadApi {
    fn svc(&self) -> core::BulkUploadService<'_> {
        self.state.core.bulk_upload()
    }
}

#[OpenApi(prefix_path = "/api/bulk-upload", tag = "Tag::BulkUpload")]
impl BulkUploadApi {
    /// Uploads a batch of certificate files (multipart, field `files`,
    /// repeated). Every file is checked by extension and content (a renamed
    /// executable is refused), at most 20 MiB and 50 files; one refused
    /// file refuses the batch (422 naming it) and nothing is stored. Files
    /// are stored under generated names and processed in the background.
    #[oai(path = "/batches", method = "post", operation_id = "bulk_upload_create")]
    async fn create(&self, auth: TokenAuth, form: UploadForm) -> Reply<Created<Batch>> {
        Reply::run(async {
            let mut errs = ValidationErrors::default();
            let mut files = Vec::with_capacity(form.files.len());
            for (i, f) in form.files.into_iter().enumerate() {
                let name = f.file_name().unwrap_or_default().to_owned();
                if f.size() > core::MAX_FILE_BYTES {
                    let e = core::FileRefusal::TooLarge { size: f.size(), max: core::MAX_FILE_BYTES };
                    errs.push(Violation::new(
                        format!("files[{i}]"),
                        format!("{}: {e}", core::sanitize_filename(&name)),
                    ));
                    continue;
                }
                let bytes = f.into_vec().await.map_err(|e| ApiError::internal("reading an upload", &e))?;
                files.push(core::NewUpload { filename: name, bytes });
            }
            errs.into_result(())?;
            let b = self.svc().create_batch(&auth.0, self.state.blobs.as_ref(), files).await?;
            Ok(Created::Created(Json(b.into())))
        })
        .await
    }

    /// The tenant's batches, newest first.
    #[oai(path = "/batches", method = "get", operation_id = "bulk_upload_list")]
    async fn list(
        &self,
        auth: TokenAuth,
        /// At most this many (1 to 500, default 50).
        limit: Query<Option<u32>>,
    ) -> Reply<Json<BatchList>> {
        Reply::map(self.svc().list_batches(&auth.0, limit.0.unwrap_or(50)).await, |bs| {
            Json(BatchList { items: bs.into_iter().map(Into::into).collect() })
        })
    }

    /// A batch with its items (fields, confidences, candidates, errors).
    #[oai(path = "/batches/:id", method = "get", operation_id = "bulk_upload_get")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<BatchDetail>> {
        Reply::map(self.svc().get_batch(&auth.0, core::BatchId(id.0)).await, |(b, items)| {
            Json(BatchDetail { batch: b.into(), items: items.into_iter().map(|i| Item::of(i, false)).collect() })
        })
    }

    /// Quality of one batch: auto-match rate, extraction failure rate and
    /// correction rate per field.
    #[oai(path = "/batches/:id/quality", method = "get", operation_id = "bulk_upload_batch_quality")]
    async fn batch_quality(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Quality>> {
        Reply::map(self.svc().quality(&auth.0, Some(core::BatchId(id.0))).await, |q| Json(q.into()))
    }

    /// Quality over every batch of the tenant.
    #[oai(path = "/quality", method = "get", operation_id = "bulk_upload_quality")]
    async fn quality(&self, auth: TokenAuth) -> Reply<Json<Quality>> {
        Reply::map(self.svc().quality(&auth.0, None).await, |q| Json(q.into()))
    }

    /// Items waiting for review (of one batch), oldest first, with the
    /// extracted fields, their confidences and the candidate organizations.
    #[oai(path = "/review", method = "get", operation_id = "bulk_upload_review_queue")]
    async fn review(
        &self,
        auth: TokenAuth,
        /// Only this batch.
        batch_id: Query<Option<Uuid>>,
        /// At most this many (1 to 1000, default 100).
        limit: Query<Option<u32>>,
    ) -> Reply<Json<ItemList>> {
        let r = self.svc().review_queue(&auth.0, batch_id.0.map(core::BatchId), limit.0.unwrap_or(100)).await;
        Reply::map(r, |items| Json(ItemList { items: items.into_iter().map(|i| Item::of(i, false)).collect() }))
    }

    /// One item, with the text read from it.
    #[oai(path = "/items/:id", method = "get", operation_id = "bulk_upload_item_get")]
    async fn item(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Item>> {
        Reply::map(self.svc().get_item(&auth.0, core::ItemId(id.0)).await, |i| Json(Item::of(i, true)))
    }

    /// Confirms an item waiting for review, with corrections: creates the
    /// certificate (or updates its duplicate) and records which fields
    /// were corrected. 409 when the item is not waiting for review.
    #[oai(path = "/items/:id/confirm", method = "post", operation_id = "bulk_upload_item_confirm")]
    async fn confirm(&self, auth: TokenAuth, id: Path<Uuid>, body: Json<Confirmation>) -> Reply<Json<Item>> {
        let b = body.0;
        let review = core::ReviewInput {
            organization_id: b.organization_id.map(OrganizationId),
            certificate_type: b.certificate_type,
            certificate_number: b.certificate_number,
            issuing_body: b.issuing_body,
            issue_date: b.issue_date,
            expiry_date: b.expiry_date,
            scope: b.scope,
        };
        Reply::map(self.svc().confirm(&auth.0, core::ItemId(id.0), review).await, |i| Json(Item::of(i, false)))
    }

    /// Skips an item waiting for review. 409 when it is not waiting.
    #[oai(path = "/items/:id/skip", method = "post", operation_id = "bulk_upload_item_skip")]
    async fn skip(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Item>> {
        Reply::map(self.svc().skip(&auth.0, core::ItemId(id.0)).await, |i| Json(Item::of(i, false)))
    }
}
