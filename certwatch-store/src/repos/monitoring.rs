//! `MonitoringRepo`: monitored endpoints, scrape logs and the SimHash band
//! index, written once for both backends. JSON columns (`jsonb` on
//! Postgres, `TEXT` on SQLite) go through `sqlx::types::Json`; the 64-bit
//! SimHash is stored as a signed `bigint` with the same bits.

use std::collections::BTreeMap;

use certwatch_core::monitoring::{EndpointId, Fingerprint, MonitoredEndpoint, ScrapeLog, ScrapeStatus, Validators};
use certwatch_core::ports::StoreError;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

/// Columns of `monitored_endpoints`, in the order of [`EndpointRow`].
macro_rules! endpoint_columns {
    () => {
        "id, tenant_id, organization_id, url, check_frequency_hours, last_checked, next_check_at, \
         last_content_hash, processed_pdf_urls, pdf_content_hashes, pdf_validators, is_active, created_at, updated_at"
    };
}
pub(crate) use endpoint_columns;

/// Columns of `scrape_logs`, in the order of [`ScrapeLogRow`].
macro_rules! scrape_log_columns {
    () => {
        "id, tenant_id, endpoint_id, status, content_hash, certificates_found, error_message, duration_ms, notes, \
         created_at"
    };
}
pub(crate) use scrape_log_columns;

/// `monitored_endpoints`.
#[derive(sqlx::FromRow)]
pub(crate) struct EndpointRow {
    id: Uuid,
    tenant_id: Uuid,
    organization_id: Uuid,
    url: String,
    check_frequency_hours: i32,
    last_checked: Option<DateTime<Utc>>,
    next_check_at: DateTime<Utc>,
    last_content_hash: Option<String>,
    processed_pdf_urls: Json<Vec<String>>,
    pdf_content_hashes: Json<BTreeMap<String, String>>,
    pdf_validators: Json<BTreeMap<String, Validators>>,
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<EndpointRow> for MonitoredEndpoint {
    type Error = StoreError;
    fn try_from(r: EndpointRow) -> Result<Self, StoreError> {
        Ok(MonitoredEndpoint {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            organization_id: r.organization_id.into(),
            url: r.url,
            check_frequency_hours: u32::try_from(r.check_frequency_hours)
                .map_err(|e| StoreError::Corrupt(format!("check_frequency_hours: {e}")))?,
            last_checked: r.last_checked,
            next_check_at: r.next_check_at,
            last_content_hash: r.last_content_hash,
            processed_pdf_urls: r.processed_pdf_urls.0,
            pdf_content_hashes: r.pdf_content_hashes.0,
            pdf_validators: r.pdf_validators.0,
            is_active: r.is_active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// `scrape_logs`.
#[derive(sqlx::FromRow)]
pub(crate) struct ScrapeLogRow {
    id: Uuid,
    tenant_id: Uuid,
    endpoint_id: Uuid,
    status: String,
    content_hash: Option<String>,
    certificates_found: i32,
    error_message: Option<String>,
    duration_ms: i64,
    notes: Json<Vec<String>>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ScrapeLogRow> for ScrapeLog {
    type Error = StoreError;
    fn try_from(r: ScrapeLogRow) -> Result<Self, StoreError> {
        Ok(ScrapeLog {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            endpoint_id: EndpointId(r.endpoint_id),
            status: r.status.parse::<ScrapeStatus>().map_err(|e| StoreError::Corrupt(format!("status: {e}")))?,
            content_hash: r.content_hash,
            certificates_found: u32::try_from(r.certificates_found).unwrap_or(0),
            error_message: r.error_message,
            duration_ms: u64::try_from(r.duration_ms).unwrap_or(0),
            notes: r.notes.0,
            created_at: r.created_at,
        })
    }
}

/// `certificate_fingerprints` (the columns a look-up reads).
#[derive(sqlx::FromRow)]
pub(crate) struct FingerprintRow {
    certificate_id: Uuid,
    organization_id: Uuid,
    simhash: i64,
}

impl From<FingerprintRow> for Fingerprint {
    fn from(r: FingerprintRow) -> Self {
        Fingerprint {
            certificate_id: r.certificate_id.into(),
            organization_id: r.organization_id.into(),
            simhash: r.simhash as u64,
        }
    }
}

/// Implements `MonitoringRepo` for a transaction type with `tx` and `scope`
/// fields.
macro_rules! impl_monitoring_repo {
    ($tx:ty) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::MonitoringRepo for $tx {
            async fn insert_endpoint(&mut self, e: &::certwatch_core::monitoring::MonitoredEndpoint) -> R<()> {
                self.check_write(e.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO monitored_endpoints (",
                    $crate::repos::monitoring::endpoint_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                ))
                .bind(e.id.as_uuid())
                .bind(e.tenant_id.as_uuid())
                .bind(e.organization_id.as_uuid())
                .bind(e.url.as_str())
                .bind(i32::try_from(e.check_frequency_hours).unwrap_or(i32::MAX))
                .bind(e.last_checked)
                .bind(e.next_check_at)
                .bind(e.last_content_hash.as_deref())
                .bind(Json(&e.processed_pdf_urls))
                .bind(Json(&e.pdf_content_hashes))
                .bind(Json(&e.pdf_validators))
                .bind(e.is_active)
                .bind(e.created_at)
                .bind(e.updated_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn get_endpoint(
                &mut self,
                tenant: TenantId,
                id: ::certwatch_core::monitoring::EndpointId,
            ) -> R<Option<::certwatch_core::monitoring::MonitoredEndpoint>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, $crate::repos::monitoring::EndpointRow>(concat!(
                    "SELECT ",
                    $crate::repos::monitoring::endpoint_columns!(),
                    " FROM monitored_endpoints WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(TryInto::try_into).transpose()
            }

            async fn update_endpoint(&mut self, e: &::certwatch_core::monitoring::MonitoredEndpoint) -> R<()> {
                self.check_write(e.tenant_id)?;
                sqlx::query(
                    "UPDATE monitored_endpoints SET url = $1, check_frequency_hours = $2, last_checked = $3, \
                     next_check_at = $4, last_content_hash = $5, processed_pdf_urls = $6, pdf_content_hashes = $7, \
                     pdf_validators = $8, is_active = $9, updated_at = $10 WHERE tenant_id = $11 AND id = $12",
                )
                .bind(e.url.as_str())
                .bind(i32::try_from(e.check_frequency_hours).unwrap_or(i32::MAX))
                .bind(e.last_checked)
                .bind(e.next_check_at)
                .bind(e.last_content_hash.as_deref())
                .bind(Json(&e.processed_pdf_urls))
                .bind(Json(&e.pdf_content_hashes))
                .bind(Json(&e.pdf_validators))
                .bind(e.is_active)
                .bind(e.updated_at)
                .bind(e.tenant_id.as_uuid())
                .bind(e.id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn delete_endpoint(
                &mut self,
                tenant: TenantId,
                id: ::certwatch_core::monitoring::EndpointId,
            ) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                sqlx::query("DELETE FROM scrape_logs WHERE tenant_id = $1 AND endpoint_id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                let done = sqlx::query("DELETE FROM monitored_endpoints WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn list_endpoints(
                &mut self,
                tenant: TenantId,
                organization: Option<OrganizationId>,
                page: ::certwatch_core::pagination::PageRequest,
            ) -> R<Page<::certwatch_core::monitoring::MonitoredEndpoint>> {
                if !self.sees(tenant) {
                    return Ok(Page { items: Vec::new(), total: 0 });
                }
                let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM monitored_endpoints WHERE tenant_id = ");
                count.push_bind(tenant.as_uuid());
                if let Some(o) = organization {
                    count.push(" AND organization_id = ").push_bind(o.as_uuid());
                }
                let total: i64 = count.build_query_scalar().fetch_one(&mut *self.tx).await.db()?;
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    $crate::repos::monitoring::endpoint_columns!(),
                    " FROM monitored_endpoints WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(o) = organization {
                    qb.push(" AND organization_id = ").push_bind(o.as_uuid());
                }
                qb.push(" ORDER BY created_at, id LIMIT ")
                    .push_bind(i64::from(page.page_size()))
                    .push(" OFFSET ")
                    .push_bind(i64::try_from(page.offset()).unwrap_or(i64::MAX));
                let rows = qb
                    .build_query_as::<$crate::repos::monitoring::EndpointRow>()
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                Ok(Page {
                    items: rows.into_iter().map(TryInto::try_into).collect::<R<Vec<_>>>()?,
                    total: u64::try_from(total).unwrap_or(0),
                })
            }

            async fn due_endpoints(
                &mut self,
                now: DateTime<Utc>,
                limit: u32,
            ) -> R<Vec<::certwatch_core::monitoring::MonitoredEndpoint>> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("listing due endpoints needs a system-scope transaction".into()));
                }
                let rows = sqlx::query_as::<_, $crate::repos::monitoring::EndpointRow>(concat!(
                    "SELECT ",
                    $crate::repos::monitoring::endpoint_columns!(),
                    " FROM monitored_endpoints WHERE is_active AND next_check_at <= $1 ORDER BY next_check_at, id LIMIT $2"
                ))
                .bind(now)
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn insert_scrape_log(&mut self, l: &::certwatch_core::monitoring::ScrapeLog) -> R<()> {
                self.check_write(l.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO scrape_logs (",
                    $crate::repos::monitoring::scrape_log_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(l.id.as_uuid())
                .bind(l.tenant_id.as_uuid())
                .bind(l.endpoint_id.as_uuid())
                .bind(l.status.as_str())
                .bind(l.content_hash.as_deref())
                .bind(i32::try_from(l.certificates_found).unwrap_or(i32::MAX))
                .bind(l.error_message.as_deref())
                .bind(i64::try_from(l.duration_ms).unwrap_or(i64::MAX))
                .bind(Json(&l.notes))
                .bind(l.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn list_scrape_logs(
                &mut self,
                tenant: TenantId,
                f: &::certwatch_core::monitoring::ScrapeLogFilter,
            ) -> R<Vec<::certwatch_core::monitoring::ScrapeLog>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    $crate::repos::monitoring::scrape_log_columns!(),
                    " FROM scrape_logs WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(e) = f.endpoint_id {
                    qb.push(" AND endpoint_id = ").push_bind(e.as_uuid());
                }
                if let Some(s) = f.status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(since) = f.since {
                    qb.push(" AND created_at >= ").push_bind(since);
                }
                qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(f.limit.clamp(1, 500)));
                let rows = qb
                    .build_query_as::<$crate::repos::monitoring::ScrapeLogRow>()
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                rows.into_iter().map(TryInto::try_into).collect()
            }

            async fn scrape_stats(
                &mut self,
                tenant: Option<TenantId>,
                since: DateTime<Utc>,
            ) -> R<::certwatch_core::monitoring::ScrapeStats> {
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status = 'FAILED' THEN 1 ELSE 0 END), 0) \
                     FROM scrape_logs WHERE created_at >= ",
                );
                qb.push_bind(since);
                match tenant {
                    Some(t) => {
                        if !self.sees(t) {
                            return Ok(Default::default());
                        }
                        qb.push(" AND tenant_id = ").push_bind(t.as_uuid());
                    }
                    None if self.scope != Scope::System => {
                        return Err(StoreError::Refused("scrape stats of all tenants need system scope".into()));
                    }
                    None => {}
                }
                let (total, failed): (i64, i64) = qb.build_query_as().fetch_one(&mut *self.tx).await.db()?;
                Ok(::certwatch_core::monitoring::ScrapeStats {
                    total: u64::try_from(total).unwrap_or(0),
                    failed: u64::try_from(failed).unwrap_or(0),
                })
            }

            async fn upsert_fingerprint(
                &mut self,
                tenant: TenantId,
                fp: &::certwatch_core::monitoring::Fingerprint,
            ) -> R<()> {
                self.check_write(tenant)?;
                let b = ::certwatch_core::dedupe::bands(fp.simhash);
                sqlx::query(
                    "INSERT INTO certificate_fingerprints (certificate_id, tenant_id, organization_id, simhash, \
                     band0, band1, band2, band3) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (certificate_id) DO UPDATE SET simhash = excluded.simhash, band0 = excluded.band0, \
                     band1 = excluded.band1, band2 = excluded.band2, band3 = excluded.band3",
                )
                .bind(fp.certificate_id.as_uuid())
                .bind(tenant.as_uuid())
                .bind(fp.organization_id.as_uuid())
                .bind(fp.simhash as i64)
                .bind(b[0])
                .bind(b[1])
                .bind(b[2])
                .bind(b[3])
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn band_candidates(
                &mut self,
                tenant: TenantId,
                organization: Option<OrganizationId>,
                simhash: u64,
                limit: u32,
            ) -> R<Vec<::certwatch_core::monitoring::Fingerprint>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let b = ::certwatch_core::dedupe::bands(simhash);
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT certificate_id, organization_id, simhash FROM certificate_fingerprints WHERE tenant_id = ",
                );
                qb.push_bind(tenant.as_uuid());
                qb.push(" AND (band0 = ").push_bind(b[0]);
                qb.push(" OR band1 = ").push_bind(b[1]);
                qb.push(" OR band2 = ").push_bind(b[2]);
                qb.push(" OR band3 = ").push_bind(b[3]).push(")");
                if let Some(o) = organization {
                    qb.push(" AND organization_id = ").push_bind(o.as_uuid());
                }
                qb.push(" LIMIT ").push_bind(i64::from(limit));
                let rows = qb
                    .build_query_as::<$crate::repos::monitoring::FingerprintRow>()
                    .fetch_all(&mut *self.tx)
                    .await
                    .db()?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn soonest_expiry(
                &mut self,
                tenant: TenantId,
                org: OrganizationId,
                from: NaiveDate,
            ) -> R<Option<NaiveDate>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let day: Option<NaiveDate> = sqlx::query_scalar(
                    "SELECT expiry_date FROM certificates WHERE tenant_id = $1 AND organization_id = $2 \
                     AND expiry_date >= $3 AND status IN ('PENDING', 'ACTIVE', 'SUSPENDED') \
                     ORDER BY expiry_date LIMIT 1",
                )
                .bind(tenant.as_uuid())
                .bind(org.as_uuid())
                .bind(from)
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(day)
            }
        }
    };
}
pub(crate) use impl_monitoring_repo;
