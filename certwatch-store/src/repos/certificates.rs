//! `CertificateRepo`: certificate types and certificates with their site
//! links, written once for both backends. Bulk inserts are multi-row
//! `INSERT`s in chunks (see [`crate::sql`] for the sizes); lists read the
//! site links of a whole page with one extra query.

/// Implements `CertificateRepo` for a transaction type with a `tx` field.
macro_rules! impl_certificate_repo {
    ($tx:ty) => {
        impl $tx {
            /// Inserts the site links of `certs`, in chunks.
            async fn insert_site_links(&mut self, certs: &[Certificate]) -> R<()> {
                let links: Vec<(Uuid, Uuid, Uuid)> = certs
                    .iter()
                    .flat_map(|c| c.site_ids.iter().map(move |s| (c.tenant_id.as_uuid(), c.id.as_uuid(), s.as_uuid())))
                    .collect();
                for chunk in links.chunks(SITE_LINK_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new("INSERT INTO certificate_sites (tenant_id, certificate_id, site_id) ");
                    qb.push_values(chunk, |mut b, (tenant, cert, site)| {
                        b.push_bind(*tenant).push_bind(*cert).push_bind(*site);
                    });
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            /// Fills `site_ids` of `certs` (all of `tenant`), sorted.
            async fn load_site_links(&mut self, tenant: TenantId, certs: &mut [Certificate]) -> R<()> {
                if certs.is_empty() {
                    return Ok(());
                }
                let mut by_cert: HashMap<Uuid, Vec<SiteId>> = HashMap::new();
                for chunk in certs.chunks(ID_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "SELECT certificate_id, site_id FROM certificate_sites WHERE tenant_id = ",
                    );
                    qb.push_bind(tenant.as_uuid()).push(" AND certificate_id IN (");
                    let mut sep = qb.separated(", ");
                    for c in chunk {
                        sep.push_bind(c.id.as_uuid());
                    }
                    qb.push(")");
                    let links = qb.build_query_as::<SiteLinkRow>().persistent(false).fetch_all(&mut *self.tx).await.db()?;
                    for l in links {
                        by_cert.entry(l.certificate_id).or_default().push(l.site_id.into());
                    }
                }
                for c in certs.iter_mut() {
                    let mut sites = by_cert.remove(&c.id.as_uuid()).unwrap_or_default();
                    sites.sort();
                    c.site_ids = sites;
                }
                Ok(())
            }
        }

        /// Pushes the WHERE clause of a certificate list.
        fn push_certificate_filters(qb: &mut QueryBuilder<'_, Db>, tenant: TenantId, f: &CertificateFilter) {
            qb.push(" WHERE tenant_id = ").push_bind(tenant.as_uuid());
            if let Some(org) = f.organization_id {
                qb.push(" AND organization_id = ").push_bind(org.as_uuid());
            }
            if let Some(t) = &f.certificate_type {
                qb.push(" AND certificate_type = ").push_bind(t.clone());
            }
            if let Some(s) = f.status {
                qb.push(" AND status = ").push_bind(s.as_str());
            }
            if let Some((from, to)) = f.expiry_between {
                qb.push(" AND expiry_date >= ").push_bind(from).push(" AND expiry_date <= ").push_bind(to);
            }
            if let Some(s) = f.issuing_body_contains.as_deref().filter(|s| !s.is_empty()) {
                qb.push(" AND issuing_body_folded LIKE ").push_bind(contains_pattern(s)).push(" ESCAPE '\\'");
            }
        }

        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::CertificateRepo for $tx {
            async fn list_certificate_types(&mut self) -> R<Vec<CertificateType>> {
                let rows = sqlx::query_as::<_, CertificateTypeRow>(
                    "SELECT code, name, description FROM certificate_types ORDER BY code",
                )
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(CertificateType::from).collect())
            }

            async fn get_certificate_type(&mut self, code: &str) -> R<Option<CertificateType>> {
                let row = sqlx::query_as::<_, CertificateTypeRow>(
                    "SELECT code, name, description FROM certificate_types WHERE code = $1",
                )
                .bind(code)
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(CertificateType::from))
            }

            async fn insert_certificates(&mut self, certs: &[Certificate]) -> R<()> {
                for c in certs {
                    self.check_write(c.tenant_id)?;
                }
                for chunk in certs.chunks(CERTIFICATE_CHUNK) {
                    let mut qb =
                        QueryBuilder::<Db>::new(concat!("INSERT INTO certificates (", certificate_columns!(), ", issuing_body_folded) "));
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.id.as_uuid())
                            .push_bind(c.tenant_id.as_uuid())
                            .push_bind(c.organization_id.as_uuid())
                            .push_bind(c.certificate_type.as_str())
                            .push_bind(c.certificate_number.as_deref())
                            .push_bind(c.issuing_body.as_deref())
                            .push_bind(c.scope.as_deref())
                            .push_bind(c.issue_date)
                            .push_bind(c.expiry_date)
                            .push_bind(c.status.as_str())
                            .push_bind(c.document_url.as_ref().map(|v| v.as_str()))
                            .push_bind(c.source_url.as_ref().map(|v| v.as_str()))
                            .push_bind(c.document_hash.as_ref().map(|v| v.as_str()))
                            .push_bind(c.external_id.as_deref())
                            .push_bind(c.provenance.as_str())
                            .push_bind(c.last_expiry_notification_at)
                            .push_bind(c.created_at)
                            .push_bind(c.updated_at)
                            .push_bind(c.issuing_body.as_deref().map(fold));
                    });
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                self.insert_site_links(certs).await
            }

            async fn get_certificate(&mut self, tenant: TenantId, id: CertificateId) -> R<Option<Certificate>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, CertificateRow>(concat!(
                    "SELECT ",
                    certificate_columns!(),
                    " FROM certificates WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                let Some(row) = row else { return Ok(None) };
                let mut cert = [Certificate::try_from(row)?];
                self.load_site_links(tenant, &mut cert).await?;
                let [cert] = cert;
                Ok(Some(cert))
            }

            async fn update_certificate(&mut self, c: &Certificate) -> R<()> {
                if !self.sees(c.tenant_id) {
                    return Ok(());
                }
                sqlx::query(
                    "UPDATE certificates SET organization_id = $1, certificate_type = $2, certificate_number = $3, \
                     issuing_body = $4, scope = $5, issue_date = $6, expiry_date = $7, status = $8, \
                     document_url = $9, source_url = $10, document_hash = $11, external_id = $12, \
                     provenance = $13, last_expiry_notification_at = $14, created_at = $15, updated_at = $16, issuing_body_folded = $19 \
                     WHERE tenant_id = $17 AND id = $18",
                )
                .bind(c.organization_id.as_uuid())
                .bind(c.certificate_type.as_str())
                .bind(c.certificate_number.as_deref())
                .bind(c.issuing_body.as_deref())
                .bind(c.scope.as_deref())
                .bind(c.issue_date)
                .bind(c.expiry_date)
                .bind(c.status.as_str())
                .bind(c.document_url.as_ref().map(|v| v.as_str()))
                .bind(c.source_url.as_ref().map(|v| v.as_str()))
                .bind(c.document_hash.as_ref().map(|v| v.as_str()))
                .bind(c.external_id.as_deref())
                .bind(c.provenance.as_str())
                .bind(c.last_expiry_notification_at)
                .bind(c.created_at)
                .bind(c.updated_at)
                .bind(c.tenant_id.as_uuid())
                .bind(c.id.as_uuid())
                .bind(c.issuing_body.as_deref().map(fold))
                .execute(&mut *self.tx)
                .await
                .db()?;
                sqlx::query("DELETE FROM certificate_sites WHERE tenant_id = $1 AND certificate_id = $2")
                    .bind(c.tenant_id.as_uuid())
                    .bind(c.id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                self.insert_site_links(std::slice::from_ref(c)).await
            }

            async fn set_document_hash_if_url(
                &mut self,
                tenant: TenantId,
                id: CertificateId,
                url: &str,
                hash: &str,
            ) -> R<bool> {
                self.check_write(tenant)?;
                let done = sqlx::query(
                    "UPDATE certificates SET document_hash = $1 \
                     WHERE tenant_id = $2 AND id = $3 AND document_url = $4",
                )
                .bind(hash)
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .bind(url)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn delete_certificate(&mut self, tenant: TenantId, id: CertificateId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                // Site links go by ON DELETE CASCADE.
                let done = sqlx::query("DELETE FROM certificates WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() > 0)
            }

            async fn list_certificates(&mut self, tenant: TenantId, f: &CertificateFilter) -> R<Page<Certificate>> {
                if !self.sees(tenant) {
                    return Ok(Page { items: Vec::new(), total: 0 });
                }
                let mut qb = QueryBuilder::<Db>::new("SELECT count(*) FROM certificates");
                push_certificate_filters(&mut qb, tenant, f);
                let total: i64 = qb.build_query_scalar().fetch_one(&mut *self.tx).await.db()?;

                let mut qb = QueryBuilder::<Db>::new(concat!("SELECT ", certificate_columns!(), " FROM certificates"));
                push_certificate_filters(&mut qb, tenant, f);
                qb.push(" ORDER BY created_at DESC, id DESC").push(page_clause(&f.page));
                let rows = qb.build_query_as::<CertificateRow>().fetch_all(&mut *self.tx).await.db()?;
                let mut items: Vec<Certificate> = convert_all(rows)?;
                self.load_site_links(tenant, &mut items).await?;
                Ok(Page { items, total: count("count(*)", total)? })
            }
        }
    };
}
pub(crate) use impl_certificate_repo;
