//! `BulkRepo`: the multi-row look-ups and writes of spreadsheet imports,
//! written once for both backends (IN lists and multi-row `INSERT`s in
//! chunks, see [`crate::sql`]).
//!
//! The IN-list look-ups run as unnamed statements (`persistent(false)`), so
//! Postgres plans each with its actual parameters. A cached generic plan,
//! made while a tenant had few rows, scanned all of them to filter by id,
//! so each batch of an import took longer than the one before. The inserts
//! stay prepared: their plan doesn't depend on the values, and a
//! 1,000-row `VALUES` list is costly to plan again for every batch.

/// Organizations per multi-row INSERT (11 binds a row).
pub(crate) const ORGANIZATION_CHUNK: usize = 2_000;
/// Jobs per multi-row INSERT (10 binds a row).
pub(crate) const JOB_CHUNK: usize = 2_000;

/// Implements `BulkRepo` for a transaction type with a `tx` field.
/// `for_update` is the row-locking suffix of the backend.
macro_rules! impl_bulk_repo {
    ($tx:ty, for_update = $fu:literal) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::BulkRepo for $tx {
            async fn find_organizations_by_external_ids(
                &mut self,
                tenant: TenantId,
                external_ids: &[String],
            ) -> R<Vec<Organization>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut found = Vec::new();
                for chunk in external_ids.chunks(ID_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(concat!(
                        "SELECT ",
                        organization_columns!(),
                        " FROM organizations WHERE tenant_id = "
                    ));
                    qb.push_bind(tenant.as_uuid()).push(" AND external_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.as_str());
                    }
                    qb.push(")");
                    let rows = qb.build_query_as::<OrganizationRow>().persistent(false).fetch_all(&mut *self.tx);
                    for row in rows.await.db()? {
                        found.push(Organization::try_from(row)?);
                    }
                }
                Ok(found)
            }

            async fn insert_organizations(
                &mut self,
                orgs: &[(Organization, ::certwatch_core::suppliers::CertificateCounts)],
                counted_on: ::chrono::NaiveDate,
            ) -> R<()> {
                for (o, _) in orgs {
                    self.check_write(o.tenant_id)?;
                }
                for chunk in orgs.chunks($crate::repos::bulk::ORGANIZATION_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(concat!(
                        "INSERT INTO organizations (",
                        organization_columns!(),
                        ", name_folded, active_count, expired_count, expiring_count, expiring_as_of) "
                    ));
                    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
                    qb.push_values(chunk, |mut b, (o, c)| {
                        b.push_bind(o.id.as_uuid())
                            .push_bind(o.tenant_id.as_uuid())
                            .push_bind(o.external_id.as_deref())
                            .push_bind(o.name.as_str())
                            .push_bind(o.website.as_ref().map(|v| v.as_str().to_owned()))
                            .push_bind(o.lei.as_ref().map(|v| v.as_str().to_owned()))
                            .push_bind(o.vat.as_ref().map(|v| v.as_str().to_owned()))
                            .push_bind(o.country.as_ref().map(|v| v.as_str().to_owned()))
                            .push_bind(o.created_at)
                            .push_bind(o.updated_at)
                            .push_bind(fold(&o.name))
                            .push_bind(n(c.active))
                            .push_bind(n(c.expired))
                            .push_bind(n(c.expiring))
                            .push_bind(counted_on);
                    });
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            async fn count_new_organizations(&mut self, tenant: TenantId, n: u64) -> R<()> {
                self.check_write(tenant)?;
                if n == 0 {
                    return Ok(());
                }
                sqlx::query("UPDATE tenants SET organization_count = organization_count + $1 WHERE id = $2")
                    .bind(i64::try_from(n).unwrap_or(i64::MAX))
                    .bind(tenant.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn lock_organizations(&mut self, tenant: TenantId, ids: &[OrganizationId]) -> R<u64> {
                if !self.sees(tenant) {
                    return Ok(0);
                }
                let mut sorted: Vec<Uuid> = ids.iter().map(|i| i.as_uuid()).collect();
                // One lock order for every caller, so two batches never deadlock.
                sorted.sort();
                sorted.dedup();
                let mut n = 0u64;
                for chunk in sorted.chunks(ID_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new("SELECT id FROM organizations WHERE tenant_id = ");
                    qb.push_bind(tenant.as_uuid()).push(" AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(*id);
                    }
                    qb.push(concat!(") ORDER BY id", $fu));
                    let rows: Vec<Uuid> =
                        qb.build_query_scalar().persistent(false).fetch_all(&mut *self.tx).await.db()?;
                    n += rows.len() as u64;
                }
                Ok(n)
            }

            async fn certificates_of_organizations(
                &mut self,
                tenant: TenantId,
                orgs: &[OrganizationId],
            ) -> R<Vec<Certificate>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut certs = Vec::new();
                for chunk in orgs.chunks(ID_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(concat!(
                        "SELECT ",
                        certificate_columns!(),
                        " FROM certificates WHERE tenant_id = "
                    ));
                    qb.push_bind(tenant.as_uuid()).push(" AND organization_id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.as_uuid());
                    }
                    qb.push(")");
                    let rows = qb.build_query_as::<CertificateRow>().persistent(false).fetch_all(&mut *self.tx);
                    for row in rows.await.db()? {
                        certs.push(Certificate::try_from(row)?);
                    }
                }
                self.load_site_links(tenant, &mut certs).await?;
                Ok(certs)
            }

            async fn enqueue_jobs(&mut self, jobs: &[NewJob]) -> R<u64> {
                for j in jobs {
                    match j.tenant_id {
                        Some(t) => self.check_write(t)?,
                        None => self.system_only("enqueueing a system job")?,
                    }
                }
                let mut n = 0;
                for chunk in jobs.chunks($crate::repos::bulk::JOB_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO jobs (id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, \
                         request_id, dedupe_key, created_at, updated_at) ",
                    );
                    qb.push_values(chunk, |mut b, j| {
                        b.push_bind(j.id.as_uuid())
                            .push_bind(j.tenant_id.map(|t| t.as_uuid()))
                            .push_bind(j.kind.as_str())
                            .push_bind(Json(&j.payload))
                            .push("'queued'")
                            .push("0")
                            .push_bind(i32::try_from(j.max_attempts.max(1)).unwrap_or(i32::MAX))
                            .push_bind(j.run_at)
                            .push_bind(j.request_id.as_deref())
                            .push_bind(j.dedupe_key.as_deref())
                            .push_bind(j.created_at)
                            .push_bind(j.created_at);
                    });
                    qb.push(" ON CONFLICT (dedupe_key) DO NOTHING");
                    n += qb.build().execute(&mut *self.tx).await.db()?.rows_affected();
                }
                Ok(n)
            }

            async fn organizations_after(
                &mut self,
                tenant: TenantId,
                after: Option<OrganizationId>,
                limit: u32,
            ) -> R<Vec<Organization>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    organization_columns!(),
                    " FROM organizations WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(a) = after {
                    qb.push(" AND id > ").push_bind(a.as_uuid());
                }
                qb.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build_query_as::<OrganizationRow>().fetch_all(&mut *self.tx).await.db()?;
                rows.into_iter().map(Organization::try_from).collect()
            }
        }
    };
}
pub(crate) use impl_bulk_repo;
