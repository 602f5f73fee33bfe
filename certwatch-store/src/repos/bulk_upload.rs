//! `BulkUploadRepo`: upload batches and items, written once for both
//! backends. Batch counts are computed from the items when read. Item
//! updates are compare-and-set on the status, so a processing job and a
//! reviewer never both win.

use certwatch_core::bulk_upload::{
    BatchId, BatchStatus, ExtractedData, FileType, ItemStatus, QualityRow, UploadBatch, UploadItem,
};
use certwatch_core::ports::StoreError;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// Columns of `upload_batches`, in the order of [`BatchRow`].
macro_rules! batch_columns {
    () => {
        "id, tenant_id, created_by, status, created_at, updated_at, completed_at"
    };
}
pub(crate) use batch_columns;

/// Columns of `upload_items`, in the order of [`ItemRow`].
macro_rules! item_columns {
    () => {
        "id, tenant_id, batch_id, original_filename, blob_key, file_type, file_size, sha256, status, \
         extracted_text, extracted_data, matched_organization_id, match_confidence, certificate_id, \
         error_message, user_corrections, reviewed_by, created_at, updated_at"
    };
}
pub(crate) use item_columns;

/// `upload_batches`.
#[derive(sqlx::FromRow)]
pub(crate) struct BatchRow {
    id: Uuid,
    tenant_id: Uuid,
    created_by: Uuid,
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl BatchRow {
    pub(crate) fn id(&self) -> Uuid {
        self.id
    }
    pub(crate) fn into_batch(
        self,
        counts: std::collections::BTreeMap<ItemStatus, u64>,
    ) -> Result<UploadBatch, StoreError> {
        Ok(UploadBatch {
            id: self.id.into(),
            tenant_id: self.tenant_id.into(),
            created_by: self.created_by.into(),
            status: BatchStatus::parse(&self.status)
                .ok_or_else(|| StoreError::Corrupt(format!("batch status {}", self.status)))?,
            counts,
            created_at: self.created_at,
            updated_at: self.updated_at,
            completed_at: self.completed_at,
        })
    }
}

/// `upload_items`.
#[derive(sqlx::FromRow)]
pub(crate) struct ItemRow {
    id: Uuid,
    tenant_id: Uuid,
    batch_id: Uuid,
    original_filename: String,
    blob_key: String,
    file_type: String,
    file_size: i64,
    sha256: String,
    status: String,
    extracted_text: Option<String>,
    extracted_data: Option<Json<ExtractedData>>,
    matched_organization_id: Option<Uuid>,
    match_confidence: Option<f64>,
    certificate_id: Option<Uuid>,
    error_message: Option<String>,
    user_corrections: Option<Json<serde_json::Value>>,
    reviewed_by: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ItemRow> for UploadItem {
    type Error = StoreError;
    fn try_from(r: ItemRow) -> Result<Self, StoreError> {
        Ok(UploadItem {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            batch_id: r.batch_id.into(),
            original_filename: r.original_filename,
            blob_key: r.blob_key,
            file_type: FileType::parse(&r.file_type)
                .ok_or_else(|| StoreError::Corrupt(format!("file type {}", r.file_type)))?,
            file_size: u64::try_from(r.file_size).unwrap_or_default(),
            sha256: r.sha256,
            status: ItemStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("item status {}", r.status)))?,
            extracted_text: r.extracted_text,
            extracted_data: r.extracted_data.map(|j| j.0),
            matched_organization: r.matched_organization_id.map(Into::into),
            match_confidence: r.match_confidence,
            certificate: r.certificate_id.map(Into::into),
            error_message: r.error_message,
            user_corrections: r.user_corrections.map(|j| j.0),
            reviewed_by: r.reviewed_by.map(Into::into),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// What quality metrics read of an item.
#[derive(sqlx::FromRow)]
pub(crate) struct QualityDbRow {
    tenant_id: Uuid,
    batch_id: Uuid,
    status: String,
    reviewed_by: Option<Uuid>,
    user_corrections: Option<Json<serde_json::Value>>,
}

impl TryFrom<QualityDbRow> for QualityRow {
    type Error = StoreError;
    fn try_from(r: QualityDbRow) -> Result<Self, StoreError> {
        let corrected_fields = r
            .user_corrections
            .as_ref()
            .and_then(|j| j.0.get("fields"))
            .and_then(|f| f.as_array())
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
            .unwrap_or_default();
        Ok(QualityRow {
            tenant_id: r.tenant_id.into(),
            batch_id: r.batch_id.into(),
            status: ItemStatus::parse(&r.status)
                .ok_or_else(|| StoreError::Corrupt(format!("item status {}", r.status)))?,
            reviewed: r.reviewed_by.is_some(),
            corrected_fields,
        })
    }
}

/// Counts per status from `(status, count)` rows.
pub(crate) fn counts_of(rows: Vec<(String, i64)>) -> Result<std::collections::BTreeMap<ItemStatus, u64>, StoreError> {
    rows.into_iter()
        .map(|(s, n)| {
            let st = ItemStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("item status {s}")))?;
            Ok((st, u64::try_from(n).unwrap_or_default()))
        })
        .collect()
}

/// Helper so the macro can name the batch id type.
pub(crate) type BatchIdT = BatchId;

/// Implements `BulkUploadRepo` for a transaction type with `tx` and `scope`
/// fields.
macro_rules! impl_bulk_upload_repo {
    ($tx:ty, for_update = $fu:literal) => {
        impl $tx {
            async fn batch_counts(
                &mut self,
                tenant: TenantId,
                batch: Uuid,
            ) -> R<std::collections::BTreeMap<certwatch_core::bulk_upload::ItemStatus, u64>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT status, COUNT(*) FROM upload_items WHERE tenant_id = $1 AND batch_id = $2 GROUP BY status",
                )
                .bind(tenant.as_uuid())
                .bind(batch)
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                $crate::repos::bulk_upload::counts_of(rows)
            }
        }

        #[::async_trait::async_trait]
        impl ::certwatch_core::bulk_upload::BulkUploadRepo for $tx {
            async fn insert_upload_batch(&mut self, b: &certwatch_core::bulk_upload::UploadBatch) -> R<()> {
                self.check_write(b.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO upload_batches (",
                    $crate::repos::bulk_upload::batch_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(b.id.as_uuid())
                .bind(b.tenant_id.as_uuid())
                .bind(b.created_by.as_uuid())
                .bind(b.status.as_str())
                .bind(b.created_at)
                .bind(b.updated_at)
                .bind(b.completed_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn insert_upload_items(&mut self, items: &[certwatch_core::bulk_upload::UploadItem]) -> R<()> {
                for i in items {
                    self.check_write(i.tenant_id)?;
                    sqlx::query(concat!(
                        "INSERT INTO upload_items (",
                        $crate::repos::bulk_upload::item_columns!(),
                        ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)"
                    ))
                    .bind(i.id.as_uuid())
                    .bind(i.tenant_id.as_uuid())
                    .bind(i.batch_id.as_uuid())
                    .bind(i.original_filename.as_str())
                    .bind(i.blob_key.as_str())
                    .bind(i.file_type.as_str())
                    .bind(i64::try_from(i.file_size).unwrap_or(i64::MAX))
                    .bind(i.sha256.as_str())
                    .bind(i.status.as_str())
                    .bind(i.extracted_text.as_deref())
                    .bind(i.extracted_data.as_ref().map(Json))
                    .bind(i.matched_organization.map(|o| o.as_uuid()))
                    .bind(i.match_confidence)
                    .bind(i.certificate.map(|c| c.as_uuid()))
                    .bind(i.error_message.as_deref())
                    .bind(i.user_corrections.as_ref().map(Json))
                    .bind(i.reviewed_by.map(|u| u.as_uuid()))
                    .bind(i.created_at)
                    .bind(i.updated_at)
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                }
                Ok(())
            }

            async fn get_upload_batch(
                &mut self,
                tenant: TenantId,
                id: $crate::repos::bulk_upload::BatchIdT,
            ) -> R<Option<certwatch_core::bulk_upload::UploadBatch>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, $crate::repos::bulk_upload::BatchRow>(concat!(
                    "SELECT ",
                    $crate::repos::bulk_upload::batch_columns!(),
                    " FROM upload_batches WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                match row {
                    None => Ok(None),
                    Some(r) => {
                        let counts = self.batch_counts(tenant, r.id()).await?;
                        Ok(Some(r.into_batch(counts)?))
                    }
                }
            }

            async fn list_upload_batches(
                &mut self,
                tenant: TenantId,
                limit: u32,
            ) -> R<Vec<certwatch_core::bulk_upload::UploadBatch>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, $crate::repos::bulk_upload::BatchRow>(concat!(
                    "SELECT ",
                    $crate::repos::bulk_upload::batch_columns!(),
                    " FROM upload_batches WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
                ))
                .bind(tenant.as_uuid())
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let counts = self.batch_counts(tenant, r.id()).await?;
                    out.push(r.into_batch(counts)?);
                }
                Ok(out)
            }

            async fn lock_upload_batch(
                &mut self,
                tenant: TenantId,
                id: $crate::repos::bulk_upload::BatchIdT,
            ) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                let row: Option<(Uuid,)> =
                    sqlx::query_as(concat!("SELECT id FROM upload_batches WHERE tenant_id = $1 AND id = $2", $fu))
                        .bind(tenant.as_uuid())
                        .bind(id.as_uuid())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .db()?;
                Ok(row.is_some())
            }

            async fn set_upload_batch_status(
                &mut self,
                tenant: TenantId,
                id: $crate::repos::bulk_upload::BatchIdT,
                status: certwatch_core::bulk_upload::BatchStatus,
                at: DateTime<Utc>,
            ) -> R<()> {
                self.check_write(tenant)?;
                let completed = (status == certwatch_core::bulk_upload::BatchStatus::Completed).then_some(at);
                sqlx::query(
                    "UPDATE upload_batches SET status = $1, updated_at = $2, \
                     completed_at = CASE WHEN $3 IS NULL THEN NULL ELSE COALESCE(completed_at, $3) END \
                     WHERE tenant_id = $4 AND id = $5 AND status <> $1",
                )
                .bind(status.as_str())
                .bind(at)
                .bind(completed)
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn upload_item_statuses(
                &mut self,
                tenant: TenantId,
                batch: $crate::repos::bulk_upload::BatchIdT,
            ) -> R<Vec<certwatch_core::bulk_upload::ItemStatus>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let counts = self.batch_counts(tenant, batch.as_uuid()).await?;
                Ok(counts
                    .into_iter()
                    .flat_map(|(s, n)| std::iter::repeat_n(s, usize::try_from(n).unwrap_or_default()))
                    .collect())
            }

            async fn get_upload_item(
                &mut self,
                tenant: TenantId,
                id: certwatch_core::bulk_upload::ItemId,
            ) -> R<Option<certwatch_core::bulk_upload::UploadItem>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, $crate::repos::bulk_upload::ItemRow>(concat!(
                    "SELECT ",
                    $crate::repos::bulk_upload::item_columns!(),
                    " FROM upload_items WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn list_upload_items(
                &mut self,
                tenant: TenantId,
                batch: Option<$crate::repos::bulk_upload::BatchIdT>,
                status: Option<certwatch_core::bulk_upload::ItemStatus>,
                limit: u32,
            ) -> R<Vec<certwatch_core::bulk_upload::UploadItem>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    $crate::repos::bulk_upload::item_columns!(),
                    " FROM upload_items WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(b) = batch {
                    qb.push(" AND batch_id = ").push_bind(b.as_uuid());
                }
                if let Some(s) = status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                qb.push(" ORDER BY created_at, id LIMIT ").push_bind(i64::from(limit));
                let rows = qb
                    .build_query_as::<$crate::repos::bulk_upload::ItemRow>()
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn update_upload_item(
                &mut self,
                i: &certwatch_core::bulk_upload::UploadItem,
                expected: certwatch_core::bulk_upload::ItemStatus,
            ) -> R<bool> {
                self.check_write(i.tenant_id)?;
                let done = sqlx::query(
                    "UPDATE upload_items SET status = $1, extracted_text = $2, extracted_data = $3, \
                     matched_organization_id = $4, match_confidence = $5, certificate_id = $6, error_message = $7, \
                     user_corrections = $8, reviewed_by = $9, updated_at = $10 \
                     WHERE tenant_id = $11 AND id = $12 AND status = $13",
                )
                .bind(i.status.as_str())
                .bind(i.extracted_text.as_deref())
                .bind(i.extracted_data.as_ref().map(Json))
                .bind(i.matched_organization.map(|o| o.as_uuid()))
                .bind(i.match_confidence)
                .bind(i.certificate.map(|c| c.as_uuid()))
                .bind(i.error_message.as_deref())
                .bind(i.user_corrections.as_ref().map(Json))
                .bind(i.reviewed_by.map(|u| u.as_uuid()))
                .bind(i.updated_at)
                .bind(i.tenant_id.as_uuid())
                .bind(i.id.as_uuid())
                .bind(expected.as_str())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn upload_quality_rows(
                &mut self,
                tenant: Option<TenantId>,
                batch: Option<$crate::repos::bulk_upload::BatchIdT>,
            ) -> R<Vec<certwatch_core::bulk_upload::QualityRow>> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT tenant_id, batch_id, status, reviewed_by, user_corrections FROM upload_items WHERE 1 = 1",
                );
                match tenant {
                    Some(t) => {
                        if !self.sees(t) {
                            return Ok(Vec::new());
                        }
                        qb.push(" AND tenant_id = ").push_bind(t.as_uuid());
                    }
                    None => {
                        if !matches!(self.scope, Scope::System) {
                            return Err(StoreError::Refused("quality across tenants needs system scope".into()));
                        }
                    }
                }
                if let Some(b) = batch {
                    qb.push(" AND batch_id = ").push_bind(b.as_uuid());
                }
                let rows = qb
                    .build_query_as::<$crate::repos::bulk_upload::QualityDbRow>()
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                rows.into_iter().map(TryInto::try_into).collect()
            }
        }
    };
}
pub(crate) use impl_bulk_upload_repo;
