//! `SystemRepo`: the cross-tenant reads of system-scope transactions —
//! aggregate counts for operators and the public certificate search —
//! written once for both backends.

/// Implements `SystemRepo` for a transaction type with `tx` and `scope` fields.
macro_rules! impl_system_repo {
    ($tx:ty) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::SystemRepo for $tx {
            async fn system_status(&mut self) -> R<SystemStatus> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("system status needs a system-scope transaction".into()));
                }
                let (tenants, users, organizations, certificates, outbox_pending): (i64, i64, i64, i64, i64) =
                    sqlx::query_as(
                        "SELECT (SELECT count(*) FROM tenants), (SELECT count(*) FROM users), \
                         (SELECT count(*) FROM organizations), (SELECT count(*) FROM certificates), \
                         (SELECT count(*) FROM outbox_events WHERE published_at IS NULL)",
                    )
                    .fetch_one(&mut *self.tx)
                    .await
                    .db()?;
                let by_status: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, count(*) FROM certificates GROUP BY status ORDER BY status")
                        .fetch_all(&mut *self.tx)
                        .await
                        .db()?;
                let n = |v: i64| u64::try_from(v).unwrap_or(0);
                Ok(SystemStatus {
                    tenants: n(tenants),
                    users: n(users),
                    organizations: n(organizations),
                    certificates: n(certificates),
                    certificates_by_status: by_status.into_iter().map(|(s, c)| (s, n(c))).collect(),
                    outbox_pending: n(outbox_pending),
                })
            }

            async fn search_public_certificates(
                &mut self,
                number: Option<&str>,
                holder_folded: Option<&str>,
                limit: u32,
            ) -> R<Vec<PublicCertificate>> {
                if self.scope != Scope::System || (number.is_none() && holder_folded.is_none()) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT c.certificate_number, o.name AS holder, c.certificate_type, c.issuing_body, c.status, \
                     c.expiry_date, c.source_url FROM certificates c \
                     JOIN organizations o ON o.tenant_id = c.tenant_id AND o.id = c.organization_id \
                     WHERE c.provenance = 'web_scrape' AND c.source_url IS NOT NULL",
                );
                if let Some(n) = number {
                    qb.push(" AND lower(c.certificate_number) = ").push_bind(n.trim().to_lowercase());
                }
                if let Some(h) = holder_folded {
                    qb.push(" AND o.name_folded LIKE ").push_bind(contains_pattern(h)).push(" ESCAPE '\\'");
                }
                qb.push(" ORDER BY c.created_at DESC, c.id DESC LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build_query_as::<PublicCertificateRow>().fetch_all(&mut *self.tx).await.db()?;
                convert_all(rows)
            }
        }
    };
}
pub(crate) use impl_system_repo;
