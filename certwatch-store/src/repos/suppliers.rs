//! `SupplierRepo`: organizations with their certificate counters, and
//! sites, written once for both backends.
//!
//! Counters: `active_count` and `expired_count` are exact after every
//! [`recount`](certwatch_core::ports::SupplierRepo::recount_certificates);
//! `expiring_count` is exact for the day in `expiring_as_of`. Reads for any
//! other day recompute the expiring count of just the rows they return with
//! a correlated subquery over the `(tenant_id, organization_id, status,
//! expiry_date)` index, so lists never aggregate certificates for rows whose
//! counters are fresh.

/// `count(*)` of the certificates of the `organizations` row being updated
/// that satisfy `$cond` (on alias `c`).
macro_rules! certificate_count {
    ($cond:literal) => {
        concat!(
            "(SELECT count(*) FROM certificates c WHERE c.tenant_id = organizations.tenant_id \
             AND c.organization_id = organizations.id AND ",
            $cond,
            ")"
        )
    };
}
pub(crate) use certificate_count;

/// Implements `SupplierRepo` for a transaction type with a `tx` field.
/// `for_update` is the row-locking suffix of the backend (`" FOR UPDATE"` or
/// `""`).
macro_rules! impl_supplier_repo {
    ($tx:ty, for_update = $fu:literal) => {
        /// Pushes the expiring count of organization `o` as of `today`: the
        /// stored counter when it is for `today`, else computed.
        fn push_expiring_count(qb: &mut QueryBuilder<'_, Db>, today: NaiveDate, end: NaiveDate) {
            qb.push("(CASE WHEN o.expiring_as_of = ")
                .push_bind(today)
                .push(
                    " THEN o.expiring_count ELSE (SELECT count(*) FROM certificates c \
                     WHERE c.tenant_id = o.tenant_id AND c.organization_id = o.id \
                     AND c.status = 'ACTIVE' AND c.expiry_date >= ",
                )
                .push_bind(today)
                .push(" AND c.expiry_date <= ")
                .push_bind(end)
                .push(") END)");
        }

        /// Pushes the WHERE clause of an organization list.
        fn push_organization_filters(
            qb: &mut QueryBuilder<'_, Db>,
            tenant: TenantId,
            q: &OrganizationQuery,
            today: NaiveDate,
            end: NaiveDate,
        ) {
            qb.push(" WHERE o.tenant_id = ").push_bind(tenant.as_uuid());
            if let Some(s) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                qb.push(" AND o.name_folded LIKE ").push_bind(contains_pattern(s)).push(" ESCAPE '\\'");
            }
            if let Some(c) = q.country {
                qb.push(" AND o.country = ").push_bind(c.as_str().to_owned());
            }
            if let Some(has) = q.has_expiring {
                qb.push(" AND ");
                push_expiring_count(qb, today, end);
                qb.push(if has { " > 0" } else { " = 0" });
            }
            if let Some(has) = q.has_expired {
                qb.push(if has { " AND o.expired_count > 0" } else { " AND o.expired_count = 0" });
            }
        }

        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::SupplierRepo for $tx {
            async fn insert_organization(&mut self, o: &Organization) -> R<()> {
                self.check_write(o.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO organizations (",
                    organization_columns!(),
                    ", name_folded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
                ))
                .bind(o.id.as_uuid())
                .bind(o.tenant_id.as_uuid())
                .bind(&o.external_id)
                .bind(&o.name)
                .bind(o.website.as_ref().map(|v| v.as_str()))
                .bind(o.lei.as_ref().map(|v| v.as_str()))
                .bind(o.vat.as_ref().map(|v| v.as_str()))
                .bind(o.country.as_ref().map(|v| v.as_str()))
                .bind(o.created_at)
                .bind(o.updated_at)
                .bind(fold(&o.name))
                .execute(&mut *self.tx)
                .await
                .db()?;
                sqlx::query("UPDATE tenants SET organization_count = organization_count + 1 WHERE id = $1")
                    .bind(o.tenant_id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn get_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<Option<Organization>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, OrganizationRow>(concat!(
                    "SELECT ",
                    organization_columns!(),
                    " FROM organizations WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(Organization::try_from).transpose()
            }

            async fn lock_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                let row: Option<Uuid> =
                    sqlx::query_scalar(concat!("SELECT id FROM organizations WHERE tenant_id = $1 AND id = $2", $fu))
                        .bind(tenant.as_uuid())
                        .bind(id.as_uuid())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .db()?;
                Ok(row.is_some())
            }

            async fn update_organization(&mut self, o: &Organization) -> R<()> {
                if !self.sees(o.tenant_id) {
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE organizations SET external_id = $1, name = $2, website = $3, lei = $4, vat = $5, \
                     country = $6, created_at = $7, updated_at = $8, name_folded = $11 WHERE tenant_id = $9 AND id = $10",
                )
                .bind(&o.external_id)
                .bind(&o.name)
                .bind(o.website.as_ref().map(|v| v.as_str()))
                .bind(o.lei.as_ref().map(|v| v.as_str()))
                .bind(o.vat.as_ref().map(|v| v.as_str()))
                .bind(o.country.as_ref().map(|v| v.as_str()))
                .bind(o.created_at)
                .bind(o.updated_at)
                .bind(o.tenant_id.as_uuid())
                .bind(o.id.as_uuid())
                .bind(fold(&o.name))
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn delete_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                // Sites, certificates and their links go by ON DELETE CASCADE.
                let done = sqlx::query("DELETE FROM organizations WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                if done.rows_affected() > 0 {
                    sqlx::query("UPDATE tenants SET organization_count = organization_count - 1 WHERE id = $1")
                        .bind(tenant.as_uuid())
                        .execute(&mut *self.tx)
                        .await
                        .db()?;
                }
                Ok(done.rows_affected() > 0)
            }

            async fn list_organizations(
                &mut self,
                tenant: TenantId,
                q: &OrganizationQuery,
                today: NaiveDate,
            ) -> R<Page<OrganizationSummary>> {
                if !self.sees(tenant) {
                    return Ok(Page { items: Vec::new(), total: 0 });
                }
                let (today, end) = expiring_window(today);

                let unfiltered =
                    q.search.is_none() && q.country.is_none() && q.has_expiring.is_none() && q.has_expired.is_none();
                // The total of an unfiltered list is the maintained counter,
                // read by the page query itself (one round trip, no scan);
                // a filtered list counts its matches first.
                let filtered_total: Option<i64> = if unfiltered {
                    None
                } else {
                    let mut qb = QueryBuilder::<Db>::new("SELECT count(*) FROM organizations o");
                    push_organization_filters(&mut qb, tenant, q, today, end);
                    Some(qb.build_query_scalar().fetch_one(&mut *self.tx).await.db()?)
                };

                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT o.id, o.tenant_id, o.external_id, o.name, o.website, o.lei, o.vat, o.country, \
                     o.created_at, o.updated_at, o.active_count, o.expired_count, ",
                );
                push_expiring_count(&mut qb, today, end);
                qb.push(" AS expiring_count, ");
                if filtered_total.is_some() {
                    qb.push("CAST(0 AS BIGINT)");
                } else {
                    qb.push("(SELECT t.organization_count FROM tenants t WHERE t.id = ")
                        .push_bind(tenant.as_uuid())
                        .push(")");
                }
                qb.push(" AS total FROM organizations o");
                push_organization_filters(&mut qb, tenant, q, today, end);
                qb.push(match q.order {
                    OrganizationOrder::NameAsc => " ORDER BY o.name ASC, o.id ASC",
                    OrganizationOrder::NameDesc => " ORDER BY o.name DESC, o.id DESC",
                    OrganizationOrder::CreatedAsc => " ORDER BY o.created_at ASC, o.id ASC",
                    OrganizationOrder::CreatedDesc => " ORDER BY o.created_at DESC, o.id DESC",
                });
                qb.push(page_clause(&q.page));
                let rows = qb.build_query_as::<PagedOrganizationSummaryRow>().fetch_all(&mut *self.tx).await.db()?;
                let total = match (filtered_total, rows.first()) {
                    (Some(n), _) => n,
                    (None, Some(first)) => first.total,
                    // A page past the end carries no row to read the counter from.
                    (None, None) => sqlx::query_scalar("SELECT organization_count FROM tenants WHERE id = $1")
                        .bind(tenant.as_uuid())
                        .fetch_optional(&mut *self.tx)
                        .await
                        .db()?
                        .unwrap_or(0),
                };
                let items = rows.into_iter().map(|r| r.summary.try_into()).collect::<R<Vec<OrganizationSummary>>>()?;
                Ok(Page { items, total: count("count(*)", total)? })
            }

            async fn organization_counts(
                &mut self,
                tenant: TenantId,
                id: OrganizationId,
                today: NaiveDate,
            ) -> R<CertificateCounts> {
                if !self.sees(tenant) {
                    return Ok(CertificateCounts::default());
                }
                let (today, end) = expiring_window(today);
                let mut qb = QueryBuilder::<Db>::new("SELECT o.active_count, o.expired_count, ");
                push_expiring_count(&mut qb, today, end);
                qb.push(" AS expiring_count FROM organizations o WHERE o.tenant_id = ")
                    .push_bind(tenant.as_uuid())
                    .push(" AND o.id = ")
                    .push_bind(id.as_uuid());
                let row = qb.build_query_as::<CountsRow>().fetch_optional(&mut *self.tx).await.db()?;
                row.map_or(Ok(CertificateCounts::default()), CertificateCounts::try_from)
            }

            async fn recount_certificates(
                &mut self,
                tenant: TenantId,
                orgs: &[OrganizationId],
                today: NaiveDate,
            ) -> R<()> {
                if !self.sees(tenant) {
                    return Ok(());
                }
                let (today, end) = expiring_window(today);
                for chunk in orgs.chunks(ID_CHUNK) {
                    let mut sql = String::from(concat!(
                        "UPDATE organizations SET active_count = ",
                        certificate_count!("c.status = 'ACTIVE'"),
                        ", expired_count = ",
                        certificate_count!("c.status = 'EXPIRED'"),
                        ", expiring_count = ",
                        certificate_count!("c.status = 'ACTIVE' AND c.expiry_date >= $1 AND c.expiry_date <= $2"),
                        ", expiring_as_of = $1 WHERE tenant_id = $3 AND id IN ("
                    ));
                    push_placeholders(&mut sql, 4, chunk.len());
                    sql.push(')');
                    // Unnamed: planned with its ids (see `repos::bulk`).
                    let mut query = sqlx::query(&sql).persistent(false).bind(today).bind(end).bind(tenant.as_uuid());
                    for id in chunk {
                        query = query.bind(id.as_uuid());
                    }
                    query.execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            async fn refresh_expiring_counts(&mut self, tenant: TenantId, today: NaiveDate) -> R<u64> {
                if !self.sees(tenant) {
                    return Ok(0);
                }
                let (today, end) = expiring_window(today);
                let done = sqlx::query(concat!(
                    "UPDATE organizations SET expiring_count = ",
                    certificate_count!("c.status = 'ACTIVE' AND c.expiry_date >= $1 AND c.expiry_date <= $2"),
                    ", expiring_as_of = $1 WHERE tenant_id = $3 \
                     AND (expiring_as_of IS NULL OR expiring_as_of <> $1)"
                ))
                .bind(today)
                .bind(end)
                .bind(tenant.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected())
            }

            async fn insert_site(&mut self, s: &Site) -> R<()> {
                self.check_write(s.tenant_id)?;
                sqlx::query(concat!("INSERT INTO sites (", site_columns!(), ") VALUES ($1, $2, $3, $4, $5, $6, $7)"))
                    .bind(s.id.as_uuid())
                    .bind(s.tenant_id.as_uuid())
                    .bind(s.organization_id.as_uuid())
                    .bind(&s.name)
                    .bind(&s.address)
                    .bind(s.created_at)
                    .bind(s.updated_at)
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn get_site(&mut self, tenant: TenantId, id: SiteId) -> R<Option<Site>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, SiteRow>(concat!(
                    "SELECT ",
                    site_columns!(),
                    " FROM sites WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(Site::from))
            }

            async fn update_site(&mut self, s: &Site) -> R<()> {
                if !self.sees(s.tenant_id) {
                    return Ok(());
                }
                sqlx::query("UPDATE sites SET name = $1, address = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5")
                    .bind(&s.name)
                    .bind(&s.address)
                    .bind(s.updated_at)
                    .bind(s.tenant_id.as_uuid())
                    .bind(s.id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(())
            }

            async fn delete_site(&mut self, tenant: TenantId, id: SiteId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                // Certificate links go by ON DELETE CASCADE.
                let done = sqlx::query("DELETE FROM sites WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_sites(&mut self, tenant: TenantId, org: OrganizationId) -> R<Vec<Site>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, SiteRow>(concat!(
                    "SELECT ",
                    site_columns!(),
                    " FROM sites WHERE tenant_id = $1 AND organization_id = $2 ORDER BY name, id"
                ))
                .bind(tenant.as_uuid())
                .bind(org.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(Site::from).collect())
            }
        }
    };
}
pub(crate) use impl_supplier_repo;
