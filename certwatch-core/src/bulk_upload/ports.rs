//! The ports bulk upload reaches the world through: where files are kept
//! ([`BlobStore`]), how images are read ([`Ocr`]), and its tables
//! ([`BulkUploadRepo`], part of every store transaction).

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::model::{BatchId, ItemId, QualityRow, UploadBatch, UploadItem};
use super::status::{BatchStatus, ItemStatus};
use crate::ids::TenantId;
use crate::ports::StoreError;

/// Why a blob could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The key is not one the store generated (never a path).
    #[error("invalid blob key")]
    InvalidKey,
    /// No such blob.
    #[error("blob not found")]
    NotFound,
    /// The store failed.
    #[error("blob store failure: {0}")]
    Io(String),
}

/// Where uploaded files are kept, under keys the core generates (UUIDs with
/// the tenant as a prefix, never a client's name). Implementations must
/// refuse any key that is not of that shape, so no key can escape the store.
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Stores `bytes` under `key`, replacing nothing: writing an existing
    /// key is an error.
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError>;
    /// The bytes under `key`.
    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError>;
    /// Removes `key` (missing is fine).
    async fn delete(&self, key: &str) -> Result<(), BlobError>;
}

/// The blob store of a process that has none configured: every call
/// fails, saying so.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoBlobStore;

#[async_trait]
impl BlobStore for NoBlobStore {
    async fn put(&self, _key: &str, _bytes: &[u8]) -> Result<(), BlobError> {
        Err(BlobError::Io("no blob store is configured in this process".into()))
    }
    async fn get(&self, _key: &str) -> Result<Vec<u8>, BlobError> {
        Err(BlobError::Io("no blob store is configured in this process".into()))
    }
    async fn delete(&self, _key: &str) -> Result<(), BlobError> {
        Ok(())
    }
}

/// Whether `key` has the shape the core generates:
/// `<tenant uuid>/<uuid>.<ext>` with a known extension. Blob stores check
/// every key with this before touching anything.
pub fn is_valid_blob_key(key: &str) -> bool {
    let Some((tenant, file)) = key.split_once('/') else { return false };
    let Some((id, ext)) = file.split_once('.') else { return false };
    uuid::Uuid::parse_str(tenant).is_ok_and(|u| u.hyphenated().to_string() == tenant)
        && uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
        && super::FileType::parse(ext).is_some()
}

// The OCR port is shared with monitoring: it lives in `extraction`.
pub use crate::extraction::ocr::{NoOcr, Ocr, OcrError};

/// Upload batches and items. Tenant methods filter by the tenant they are
/// given; [`BulkUploadRepo::upload_quality_rows`] with `None` is *system
/// scope* (metrics across tenants).
#[async_trait]
pub trait BulkUploadRepo {
    /// Inserts a batch (its counts are not stored).
    async fn insert_upload_batch(&mut self, b: &UploadBatch) -> Result<(), StoreError>;
    /// Inserts items.
    async fn insert_upload_items(&mut self, items: &[UploadItem]) -> Result<(), StoreError>;
    /// A batch with its counts.
    async fn get_upload_batch(&mut self, tenant: TenantId, id: BatchId) -> Result<Option<UploadBatch>, StoreError>;
    /// The tenant's batches with counts, newest first.
    async fn list_upload_batches(&mut self, tenant: TenantId, limit: u32) -> Result<Vec<UploadBatch>, StoreError>;
    /// Locks the batch row until the transaction ends, so concurrent jobs
    /// of one batch recompute its status one after the other (each then
    /// sees the others' committed item statuses). False if missing.
    async fn lock_upload_batch(&mut self, tenant: TenantId, id: BatchId) -> Result<bool, StoreError>;
    /// Sets a batch's status (and `completed_at`).
    async fn set_upload_batch_status(
        &mut self,
        tenant: TenantId,
        id: BatchId,
        status: BatchStatus,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The statuses of a batch's items.
    async fn upload_item_statuses(&mut self, tenant: TenantId, batch: BatchId) -> Result<Vec<ItemStatus>, StoreError>;
    /// An item.
    async fn get_upload_item(&mut self, tenant: TenantId, id: ItemId) -> Result<Option<UploadItem>, StoreError>;
    /// Items of the tenant (of one batch, in one status), oldest first.
    async fn list_upload_items(
        &mut self,
        tenant: TenantId,
        batch: Option<BatchId>,
        status: Option<ItemStatus>,
        limit: u32,
    ) -> Result<Vec<UploadItem>, StoreError>;
    /// Saves every mutable field of `item` only if its stored status is
    /// still `expected` (compare-and-set, so a job and a reviewer never
    /// both win). True if saved.
    async fn update_upload_item(&mut self, item: &UploadItem, expected: ItemStatus) -> Result<bool, StoreError>;
    /// What quality metrics need, of one tenant (and batch), or of every
    /// tenant when `tenant` is `None` (system scope).
    async fn upload_quality_rows(
        &mut self,
        tenant: Option<TenantId>,
        batch: Option<BatchId>,
    ) -> Result<Vec<QualityRow>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_generated_keys_are_valid() {
        let t = "0190b1c2-3d4e-7f00-8000-000000000000";
        let i = "0190b1c2-3d4e-7f00-8000-000000000001";
        assert!(is_valid_blob_key(&format!("{t}/{i}.pdf")));
        for bad in [
            "../../etc/passwd".to_owned(),
            format!("{t}/../{i}.pdf"),
            format!("{t}/{i}.pdf/.."),
            format!("/{t}/{i}.pdf"),
            format!("{t}/{i}.exe"),
            format!("{t}/{}.pdf", i.to_uppercase()),
            format!("{t}\\{i}.pdf"),
            String::new(),
        ] {
            assert!(!is_valid_blob_key(&bad), "{bad}");
        }
    }
}
