//! The job that processes one upload item.

use async_trait::async_trait;

use super::model::ItemId;
use super::service::{BulkUploadService, ProcessingPorts};
use crate::jobs::{Job, JobContext, JobError, JobHandler};

/// Runs [`BulkUploadService::process_item`] for the job's item. Store
/// failures and an unreadable file store are retried; the item itself
/// records every failure of reading the file (`extraction_failed`), so
/// such jobs succeed.
#[derive(Debug, Clone, Default)]
pub struct ProcessUploadItem {
    /// The file store and OCR engine.
    pub ports: ProcessingPorts,
}

#[async_trait]
impl JobHandler for ProcessUploadItem {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let tenant = job.tenant_id.ok_or_else(|| JobError::Permanent("bulk upload jobs need a tenant".into()))?;
        let item: ItemId = job
            .payload
            .get("item_id")
            .and_then(|v| v.as_str())
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(ItemId)
            .ok_or_else(|| JobError::Permanent("payload needs item_id".into()))?;
        BulkUploadService::new(&ctx.app).process_item(tenant, item, &self.ports).await.map_err(|e| match e {
            crate::Error::Store(s) => JobError::Retry(s.to_string()),
            other => JobError::Permanent(other.to_string()),
        })
    }
}
