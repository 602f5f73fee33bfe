//! [`BulkUploadService`]: upload a batch (validate, store under generated
//! keys, insert items and enqueue one processing job per item in the same
//! transaction), process an item (the job), review (confirm with
//! corrections, skip) and quality metrics.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};

use super::filename::sanitize_filename;
use super::filetype::check_upload;
use super::model::{BatchId, ExtractedData, ItemId, UploadBatch, UploadItem};
use super::pipeline::{read_file, settle, Processed, ReadOutcome};
use super::ports::{BlobError, BlobStore, Ocr};
use super::quality::Quality;
use super::status::{BatchStatus, ItemStatus};
use crate::authz::{authorize, Action, Principal};
use crate::certificates::{CertificateInput, CertificatePatch, CertificateQuery, Provenance};
use crate::dedupe::{score, DuplicateSubject, Verdict};
use crate::ids::{CertificateId, OrganizationId, TenantId};
use crate::jobs::{enqueue_in, JobSpec};
use crate::monitoring::{extract_or_fall_back, Extractor, RuleBasedExtractor};
use crate::pagination::PageRequest;
use crate::ports::{Scope, Tx};
use crate::suppliers::{Organization, OrganizationQuery};
use crate::validation::{ValidationErrors, Violation};
use crate::{CertWatch, Error, Result};

/// The job kind that processes one item (tenant job, payload
/// `{"item_id": "<uuid>"}`).
pub const PROCESS_UPLOAD_ITEM: &str = "bulk_upload_item";

/// Most files in one batch.
pub const MAX_FILES_PER_BATCH: usize = 50;

/// What processing needs besides the store: the file store, the OCR
/// engine and the field extractor.
#[derive(Clone)]
pub struct ProcessingPorts {
    /// Where uploaded files are kept.
    pub blobs: Arc<dyn BlobStore>,
    /// Reads images.
    pub ocr: Arc<dyn Ocr>,
    /// Reads fields out of the text (the rules by default; the LLM when
    /// the host configures one, with the rules as its fallback).
    pub extractor: Arc<dyn Extractor>,
}

impl std::fmt::Debug for ProcessingPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessingPorts")
            .field("ocr_available", &self.ocr.available())
            .field("extractor", &self.extractor.name())
            .finish_non_exhaustive()
    }
}

impl Default for ProcessingPorts {
    /// No file store (every read fails, so jobs retry until a host that has
    /// one runs them) and the build's default OCR.
    fn default() -> Self {
        Self {
            blobs: Arc::new(super::ports::NoBlobStore),
            ocr: super::default_ocr(),
            extractor: Arc::new(RuleBasedExtractor),
        }
    }
}

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct NewUpload {
    /// The client's file name (sanitised here).
    pub filename: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// A reviewer's corrections: every field given replaces the extracted one.
#[derive(Debug, Clone, Default)]
pub struct ReviewInput {
    /// The holder (else the best candidate).
    pub organization_id: Option<OrganizationId>,
    /// Type code.
    pub certificate_type: Option<String>,
    /// Number.
    pub certificate_number: Option<String>,
    /// Issuing body.
    pub issuing_body: Option<String>,
    /// Issue date.
    pub issue_date: Option<chrono::NaiveDate>,
    /// Expiry date.
    pub expiry_date: Option<chrono::NaiveDate>,
    /// Scope.
    pub scope: Option<String>,
}

/// The certificate fields a confirmed or auto-matched item creates.
#[derive(Debug, Clone, Default)]
struct CertFields {
    certificate_type: Option<String>,
    certificate_number: Option<String>,
    issuing_body: Option<String>,
    issue_date: Option<chrono::NaiveDate>,
    expiry_date: Option<chrono::NaiveDate>,
    scope: Option<String>,
}

impl CertFields {
    fn from_data(d: &ExtractedData) -> Self {
        let s = |n: &str| d.value(n).map(str::to_owned);
        Self {
            certificate_type: s("certificate_type"),
            certificate_number: s("certificate_number"),
            issuing_body: s("issuing_body"),
            issue_date: d.date("issue_date"),
            expiry_date: d.date("expiry_date"),
            scope: s("scope").map(|s| s.chars().take(5000).collect()),
        }
    }
}

/// Upload batches, processing and review.
#[derive(Debug, Clone, Copy)]
pub struct BulkUploadService<'a> {
    app: &'a CertWatch,
}

fn hex_sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl<'a> BulkUploadService<'a> {
    /// The service over `app`.
    pub fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    async fn tx(&self, p: &Principal, action: Action) -> Result<Box<dyn Tx>> {
        authorize(p, action)?;
        let scope = Scope::Tenant(p.tenant_id);
        Ok(match action {
            Action::ReadTenantData => self.app.store().begin_read(scope).await?,
            _ => self.app.store().begin(scope).await?,
        })
    }

    /// Validates every file (all or none: one refused file refuses the
    /// batch, naming it), stores them under generated keys, and creates
    /// the batch with its items and one processing job per item in one
    /// transaction. If that transaction fails, the stored files are removed.
    pub async fn create_batch(
        &self,
        p: &Principal,
        blobs: &dyn BlobStore,
        files: Vec<NewUpload>,
    ) -> Result<UploadBatch> {
        authorize(p, Action::WriteTenantData)?;
        if files.is_empty() {
            return Err(ValidationErrors::single("files", "upload at least one file").into());
        }
        if files.len() > MAX_FILES_PER_BATCH {
            return Err(
                ValidationErrors::single("files", format!("at most {MAX_FILES_PER_BATCH} files per batch")).into()
            );
        }
        let now = self.app.clock().now();
        let batch_id: BatchId = self.app.new_id();
        let mut errs = ValidationErrors::default();
        let mut items = Vec::with_capacity(files.len());
        for (i, f) in files.iter().enumerate() {
            let name = sanitize_filename(&f.filename);
            match check_upload(&name, f.bytes.len(), &f.bytes[..f.bytes.len().min(1024)]) {
                Ok(file_type) => {
                    let id: ItemId = self.app.new_id();
                    items.push(UploadItem {
                        id,
                        tenant_id: p.tenant_id,
                        batch_id,
                        blob_key: format!("{}/{}.{}", p.tenant_id, id, file_type.as_str()),
                        original_filename: name,
                        file_type,
                        file_size: f.bytes.len() as u64,
                        sha256: hex_sha256(&f.bytes),
                        status: ItemStatus::Pending,
                        extracted_text: None,
                        extracted_data: None,
                        matched_organization: None,
                        match_confidence: None,
                        certificate: None,
                        error_message: None,
                        user_corrections: None,
                        reviewed_by: None,
                        created_at: now,
                        updated_at: now,
                    });
                }
                Err(e) => errs.push(Violation::new(format!("files[{i}]"), format!("{name}: {e}"))),
            }
        }
        errs.into_result(())?;
        let mut stored = Vec::with_capacity(items.len());
        for (item, f) in items.iter().zip(&files) {
            if let Err(e) = blobs.put(&item.blob_key, &f.bytes).await {
                self.remove_blobs(blobs, &stored).await;
                return Err(Error::Store(crate::ports::StoreError::Database(e.to_string())));
            }
            stored.push(item.blob_key.clone());
        }
        match self.insert_batch(p, batch_id, now, &items).await {
            Ok(b) => Ok(b),
            Err(e) => {
                self.remove_blobs(blobs, &stored).await;
                Err(e)
            }
        }
    }

    async fn remove_blobs(&self, blobs: &dyn BlobStore, keys: &[String]) {
        for k in keys {
            if let Err(e) = blobs.delete(k).await {
                tracing::warn!(key = %k, error = %e, "could not remove an uploaded file after a failed batch");
            }
        }
    }

    async fn insert_batch(
        &self,
        p: &Principal,
        id: BatchId,
        now: chrono::DateTime<chrono::Utc>,
        items: &[UploadItem],
    ) -> Result<UploadBatch> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let batch = UploadBatch {
            id,
            tenant_id: p.tenant_id,
            created_by: p.user_id,
            status: BatchStatus::Pending,
            counts: BTreeMap::from([(ItemStatus::Pending, items.len() as u64)]),
            created_at: now,
            updated_at: now,
            completed_at: None,
        };
        tx.insert_upload_batch(&batch).await?;
        tx.insert_upload_items(items).await?;
        for item in items {
            let spec = JobSpec::new(PROCESS_UPLOAD_ITEM, Some(p.tenant_id), json!({"item_id": item.id}))
                .with_request_id(p.request_id.clone())
                .with_dedupe_key(format!("{PROCESS_UPLOAD_ITEM}:{}", item.id));
            enqueue_in(self.app, tx.as_mut(), spec).await?;
        }
        let audit = self.app.audit_by(
            p,
            "bulk_upload.create",
            "upload_batch",
            id.to_string(),
            json!({"files": items.len(), "filenames": items.iter().map(|i| i.original_filename.as_str()).collect::<Vec<_>>()}),
        );
        tx.insert_audit(&[audit]).await?;
        tx.commit().await?;
        Ok(batch)
    }

    /// The tenant's batches, newest first.
    pub async fn list_batches(&self, p: &Principal, limit: u32) -> Result<Vec<UploadBatch>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_upload_batches(p.tenant_id, limit.clamp(1, 500)).await?)
    }

    /// A batch with its items.
    pub async fn get_batch(&self, p: &Principal, id: BatchId) -> Result<(UploadBatch, Vec<UploadItem>)> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        let batch = tx.get_upload_batch(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("upload batch"))?;
        let items = tx.list_upload_items(p.tenant_id, Some(id), None, 10_000).await?;
        Ok((batch, items))
    }

    /// One item.
    pub async fn get_item(&self, p: &Principal, id: ItemId) -> Result<UploadItem> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_upload_item(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("upload item"))
    }

    /// Items waiting for review (of one batch), oldest first.
    pub async fn review_queue(&self, p: &Principal, batch: Option<BatchId>, limit: u32) -> Result<Vec<UploadItem>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        if let Some(b) = batch {
            tx.get_upload_batch(p.tenant_id, b).await?.ok_or_else(|| Error::not_found("upload batch"))?;
        }
        Ok(tx.list_upload_items(p.tenant_id, batch, Some(ItemStatus::NeedsReview), limit.clamp(1, 1000)).await?)
    }

    /// Quality of one batch, or of every batch of the tenant.
    pub async fn quality(&self, p: &Principal, batch: Option<BatchId>) -> Result<Quality> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        if let Some(b) = batch {
            tx.get_upload_batch(p.tenant_id, b).await?.ok_or_else(|| Error::not_found("upload batch"))?;
        }
        Ok(Quality::of(&tx.upload_quality_rows(Some(p.tenant_id), batch).await?))
    }

    /// Quality per tenant across every tenant (system scope, for the
    /// metrics endpoint of the host; no principal: the host decides).
    pub async fn quality_by_tenant(&self) -> Result<BTreeMap<TenantId, Quality>> {
        let mut tx = self.app.store().begin_read(Scope::System).await?;
        let rows = tx.upload_quality_rows(None, None).await?;
        let mut by: BTreeMap<TenantId, Vec<_>> = BTreeMap::new();
        for r in rows {
            by.entry(r.tenant_id).or_default().push(r);
        }
        Ok(by.into_iter().map(|(t, rows)| (t, Quality::of(&rows))).collect())
    }

    /// Skips an item waiting for review.
    pub async fn skip(&self, p: &Principal, id: ItemId) -> Result<UploadItem> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let mut item = tx.get_upload_item(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("upload item"))?;
        self.check_review(&item, ItemStatus::Skipped)?;
        item.status = ItemStatus::Skipped;
        item.reviewed_by = Some(p.user_id);
        item.updated_at = self.app.clock().now();
        if !tx.update_upload_item(&item, ItemStatus::NeedsReview).await? {
            return Err(Error::conflict("the item was changed concurrently"));
        }
        let audit = self.app.audit_by(p, "bulk_upload.skip", "upload_item", id.to_string(), json!({}));
        tx.insert_audit(&[audit]).await?;
        tx.commit().await?;
        Ok(item)
    }

    fn check_review(&self, item: &UploadItem, to: ItemStatus) -> Result<()> {
        if item.status.can_become(to) && item.status == ItemStatus::NeedsReview {
            Ok(())
        } else {
            Err(Error::conflict(format!(
                "only items in needs_review can be reviewed; this one is {}",
                item.status.as_str()
            )))
        }
    }

    /// Confirms an item waiting for review: the extracted fields with the
    /// reviewer's corrections become a certificate (or update its
    /// duplicate), and the corrected fields are recorded.
    pub async fn confirm(&self, p: &Principal, id: ItemId, review: ReviewInput) -> Result<UploadItem> {
        authorize(p, Action::WriteTenantData)?;
        let item = self.get_item(p, id).await?;
        self.check_review(&item, ItemStatus::Matched)?;
        let data = item.extracted_data.clone().unwrap_or_default();
        let mut fields = CertFields::from_data(&data);
        let mut corrected = Vec::new();
        let mut values = serde_json::Map::new();
        let mut correct = |name: &str, old: Option<String>, new: Option<String>| {
            if let Some(new) = new {
                if old.as_deref() != Some(new.as_str()) {
                    corrected.push(name.to_owned());
                }
                values.insert(name.to_owned(), json!(new));
            }
        };
        let best = data.candidates.first().map(|c| c.organization_id).or(item.matched_organization);
        correct("organization", best.map(|o| o.to_string()), review.organization_id.map(|o| o.to_string()));
        correct("certificate_type", fields.certificate_type.clone(), review.certificate_type.clone());
        correct("certificate_number", fields.certificate_number.clone(), review.certificate_number.clone());
        correct("issuing_body", fields.issuing_body.clone(), review.issuing_body.clone());
        correct("issue_date", fields.issue_date.map(|d| d.to_string()), review.issue_date.map(|d| d.to_string()));
        correct("expiry_date", fields.expiry_date.map(|d| d.to_string()), review.expiry_date.map(|d| d.to_string()));
        correct("scope", fields.scope.clone(), review.scope.clone());
        fields.certificate_type = review.certificate_type.or(fields.certificate_type);
        fields.certificate_number = review.certificate_number.or(fields.certificate_number);
        fields.issuing_body = review.issuing_body.or(fields.issuing_body);
        fields.issue_date = review.issue_date.or(fields.issue_date);
        fields.expiry_date = review.expiry_date.or(fields.expiry_date);
        fields.scope = review.scope.or(fields.scope);
        let mut errs = ValidationErrors::default();
        let org = review.organization_id.or(best);
        if org.is_none() {
            errs.push(Violation::new("organization_id", "no organization was matched: name one"));
        }
        if fields.certificate_type.is_none() {
            errs.push(Violation::new("certificate_type", "no type was extracted: name one"));
        }
        errs.into_result(())?;
        let org = org.ok_or_else(|| Error::not_found("organization"))?;
        let (cert, _) = self.save_certificate(p, org, &fields, &item.sha256).await?;
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let mut item = tx.get_upload_item(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("upload item"))?;
        self.check_review(&item, ItemStatus::Matched)?;
        item.status = ItemStatus::Matched;
        item.certificate = Some(cert);
        item.matched_organization = Some(org);
        item.reviewed_by = Some(p.user_id);
        item.user_corrections = Some(json!({"fields": corrected, "values": values}));
        item.updated_at = self.app.clock().now();
        if !tx.update_upload_item(&item, ItemStatus::NeedsReview).await? {
            return Err(Error::conflict("the item was changed concurrently"));
        }
        let audit = self.app.audit_by(
            p,
            "bulk_upload.confirm",
            "upload_item",
            id.to_string(),
            json!({"certificate_id": cert, "corrected_fields": corrected}),
        );
        tx.insert_audit(&[audit]).await?;
        tx.commit().await?;
        Ok(item)
    }

    /// Creates the certificate, or updates the one the dedupe rules find to
    /// be the same (same document, same number and type, or a semantic
    /// match). The id, and whether it was an update.
    async fn save_certificate(
        &self,
        p: &Principal,
        org: OrganizationId,
        f: &CertFields,
        sha256: &str,
    ) -> Result<(CertificateId, bool)> {
        let certs = self.app.certificates();
        let subject = DuplicateSubject {
            document_hash: Some(sha256.to_owned()),
            certificate_number: f.certificate_number.clone(),
            certificate_type: f.certificate_type.clone(),
            issuing_body: f.issuing_body.clone(),
            issue_date: f.issue_date,
            expiry_date: f.expiry_date,
            simhash: None,
        };
        let q = CertificateQuery { organization_id: Some(org), page: PageRequest::new(1, 500)?, ..Default::default() };
        let existing = certs.list_certificates(p, &q).await?;
        let dup = existing
            .items
            .iter()
            .map(|c| {
                let other = DuplicateSubject {
                    document_hash: c.document_hash.as_ref().map(|h| h.as_str().to_owned()),
                    certificate_number: c.certificate_number.clone(),
                    certificate_type: Some(c.certificate_type.clone()),
                    issuing_body: c.issuing_body.clone(),
                    issue_date: c.issue_date,
                    expiry_date: c.expiry_date,
                    simhash: None,
                };
                (c, score(&subject, &other))
            })
            .filter(|(_, s)| s.verdict == Verdict::Duplicate)
            .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
        if let Some((c, _)) = dup {
            let keep = |new: &Option<String>, old: &Option<String>| new.clone().or_else(|| old.clone());
            let patch = CertificatePatch {
                certificate_number: Some(keep(&f.certificate_number, &c.certificate_number)),
                issuing_body: Some(keep(&f.issuing_body, &c.issuing_body)),
                scope: Some(keep(&f.scope, &c.scope)),
                issue_date: Some(f.issue_date.or(c.issue_date)),
                expiry_date: Some(f.expiry_date.or(c.expiry_date)),
                document_hash: Some(Some(sha256.to_owned())),
                ..Default::default()
            };
            let updated = certs.update_certificate(p, c.id, patch).await?;
            return Ok((updated.id, true));
        }
        let input = CertificateInput {
            organization_id: org,
            certificate_type: f.certificate_type.clone().unwrap_or_default(),
            certificate_number: f.certificate_number.clone(),
            issuing_body: f.issuing_body.clone(),
            scope: f.scope.clone(),
            issue_date: f.issue_date,
            expiry_date: f.expiry_date,
            document_hash: Some(sha256.to_owned()),
            provenance: Some(Provenance::Upload),
            ..Default::default()
        };
        Ok((certs.create_certificate(p, input).await?.id, false))
    }

    /// Moves the batch's status to what its items say.
    async fn refresh_batch(&self, tx: &mut dyn Tx, tenant: TenantId, batch: BatchId) -> Result<()> {
        tx.lock_upload_batch(tenant, batch).await?;
        let statuses = tx.upload_item_statuses(tenant, batch).await?;
        let status = BatchStatus::of(statuses);
        tx.set_upload_batch_status(tenant, batch, status, self.app.clock().now()).await?;
        Ok(())
    }

    /// Processes one item (the job's body). Idempotent: a settled item is
    /// left alone; an item left in `processing` by a worker that died is
    /// processed again (a certificate created before the crash is found
    /// again by its document hash and updated, not duplicated).
    pub async fn process_item(&self, tenant: TenantId, id: ItemId, ports: &ProcessingPorts) -> Result<()> {
        let store = self.app.store();
        let mut tx = store.begin(Scope::Tenant(tenant)).await?;
        let Some(mut item) = tx.get_upload_item(tenant, id).await? else { return Ok(()) };
        if item.status.is_settled() {
            return Ok(());
        }
        let batch =
            tx.get_upload_batch(tenant, item.batch_id).await?.ok_or_else(|| Error::not_found("upload batch"))?;
        if item.status == ItemStatus::Pending {
            item.status = ItemStatus::Processing;
            item.updated_at = self.app.clock().now();
            if !tx.update_upload_item(&item, ItemStatus::Pending).await? {
                return Ok(());
            }
            self.refresh_batch(tx.as_mut(), tenant, item.batch_id).await?;
        }
        let membership = tx.get_membership(tenant, batch.created_by).await?;
        let orgs = all_organizations(tx.as_mut(), tenant, self.app.clock().today()).await?;
        tx.commit().await?;

        let failed = |why: String| Processed {
            status: ItemStatus::ExtractionFailed,
            text: None,
            data: ExtractedData::default(),
            organization: None,
            match_confidence: None,
            error: Some(why),
        };
        let mut done: Processed = match ports.blobs.get(&item.blob_key).await {
            // A file that is gone will not come back: record it on the item.
            Err(BlobError::NotFound) => failed("the stored file is missing".into()),
            // The store may be back on the next attempt.
            Err(e) => return Err(Error::Store(crate::ports::StoreError::Database(e.to_string()))),
            Ok(bytes) => {
                let (file_type, name, today, ocr) =
                    (item.file_type, item.original_filename.clone(), self.app.clock().today(), ports.ocr.clone());
                let orgs = Arc::new(orgs);
                let read = {
                    let (orgs, name) = (orgs.clone(), name.clone());
                    tokio::task::spawn_blocking(move || read_file(&bytes, file_type, &orgs, &name, ocr.as_ref())).await
                };
                match read {
                    Err(e) => failed(format!("processing failed: {e}")),
                    Ok(ReadOutcome::Settled(p)) => *p,
                    Ok(ReadOutcome::Text(file)) => {
                        let got =
                            extract_or_fall_back(ports.extractor.as_ref(), &file.text, &file.hints(&name, today)).await;
                        tokio::task::spawn_blocking(move || settle(*file, got, &orgs))
                            .await
                            .unwrap_or_else(|e| failed(format!("processing failed: {e}")))
                    }
                }
            }
        };

        let mut certificate = None;
        if done.status == ItemStatus::Matched {
            let principal = membership.map(|m| Principal {
                user_id: batch.created_by,
                tenant_id: tenant,
                role: m.role,
                token_id: None,
                is_operator: false,
                request_id: None,
            });
            match (principal, done.organization) {
                (Some(p), Some(org)) => {
                    match self.save_certificate(&p, org, &CertFields::from_data(&done.data), &item.sha256).await {
                        Ok((c, updated)) => {
                            certificate = Some(c);
                            if updated {
                                done.data.warnings.push(format!("duplicate: updated existing certificate {c}"));
                            }
                        }
                        Err(Error::Store(e)) => return Err(Error::Store(e)),
                        Err(e) => {
                            done.status = ItemStatus::NeedsReview;
                            done.error = Some(format!("the certificate could not be created: {e}"));
                        }
                    }
                }
                _ => {
                    done.status = ItemStatus::NeedsReview;
                    done.error = Some("the uploader is no longer a member of the tenant".into());
                }
            }
        }

        let mut tx = store.begin(Scope::Tenant(tenant)).await?;
        let Some(mut item) = tx.get_upload_item(tenant, id).await? else { return Ok(()) };
        if item.status != ItemStatus::Processing {
            return Ok(());
        }
        item.status = done.status;
        item.extracted_text = done.text;
        item.extracted_data = Some(done.data);
        item.matched_organization = done.organization;
        item.match_confidence = done.match_confidence;
        item.certificate = certificate;
        item.error_message = done.error;
        item.updated_at = self.app.clock().now();
        if tx.update_upload_item(&item, ItemStatus::Processing).await? {
            self.refresh_batch(tx.as_mut(), tenant, item.batch_id).await?;
            tx.commit().await?;
        }
        Ok(())
    }
}

/// Every organization of the tenant (matching compares against all).
async fn all_organizations(tx: &mut dyn Tx, tenant: TenantId, today: chrono::NaiveDate) -> Result<Vec<Organization>> {
    let mut out = Vec::new();
    for page in 1.. {
        let q = OrganizationQuery { page: PageRequest::new(page, 500)?, ..Default::default() };
        let got = tx.list_organizations(tenant, &q, today).await?;
        let n = got.items.len();
        out.extend(got.items.into_iter().map(|s| s.organization));
        if n < 500 || out.len() as u64 >= got.total {
            break;
        }
    }
    Ok(out)
}
