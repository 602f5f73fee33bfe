//! `ExpiryRepo`: the scans of the periodic expiry work and the
//! compare-and-set on `last_expiry_notification_at`, written once for both
//! backends. Of two schedulers notifying at once, the second `UPDATE`
//! finds the value already changed (Postgres re-checks the condition after
//! waiting for the first writer's row lock; SQLite serialises writers) and
//! changes nothing, so each notification is emitted once.

/// Implements `ExpiryRepo` for a transaction type with `tx` and `scope` fields.
macro_rules! impl_expiry_repo {
    ($tx:ty) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::ExpiryRepo for $tx {
            async fn expiry_notification_candidates(
                &mut self,
                from: NaiveDate,
                to: NaiveDate,
                notified_before: DateTime<Utc>,
                after: Option<(TenantId, CertificateId)>,
                limit: u32,
            ) -> R<Vec<(TenantId, CertificateId)>> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("expiry scans need a system-scope transaction".into()));
                }
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT tenant_id, id FROM certificates WHERE status = 'ACTIVE' AND expiry_date >= ",
                );
                qb.push_bind(from).push(" AND expiry_date <= ").push_bind(to);
                qb.push(" AND (last_expiry_notification_at IS NULL OR last_expiry_notification_at <= ")
                    .push_bind(notified_before)
                    .push(")");
                if let Some((t, c)) = after {
                    qb.push(" AND (tenant_id > ")
                        .push_bind(t.as_uuid())
                        .push(" OR (tenant_id = ")
                        .push_bind(t.as_uuid())
                        .push(" AND id > ")
                        .push_bind(c.as_uuid())
                        .push("))");
                }
                qb.push(" ORDER BY tenant_id, id LIMIT ").push_bind(i64::from(limit));
                let rows: Vec<(Uuid, Uuid)> = qb.build_query_as().fetch_all(&mut *self.tx).await.db()?;
                Ok(rows.into_iter().map(|(t, c)| (t.into(), c.into())).collect())
            }

            async fn expired_active_certificates(
                &mut self,
                day: NaiveDate,
                limit: u32,
            ) -> R<Vec<(TenantId, CertificateId)>> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("expiry scans need a system-scope transaction".into()));
                }
                let rows: Vec<(Uuid, Uuid)> = sqlx::query_as(
                    "SELECT tenant_id, id FROM certificates WHERE status = 'ACTIVE' AND expiry_date < $1 \
                     ORDER BY expiry_date, id LIMIT $2",
                )
                .bind(day)
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(|(t, c)| (t.into(), c.into())).collect())
            }

            async fn mark_expiry_notified(
                &mut self,
                tenant: TenantId,
                id: CertificateId,
                expected: Option<DateTime<Utc>>,
                at: DateTime<Utc>,
            ) -> R<bool> {
                self.check_write(tenant)?;
                let done = match expected {
                    Some(e) => sqlx::query(
                        "UPDATE certificates SET last_expiry_notification_at = $1 \
                         WHERE tenant_id = $2 AND id = $3 AND last_expiry_notification_at = $4",
                    )
                    .bind(at)
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .bind(e)
                    .execute(&mut *self.tx)
                    .await
                    .db()?,
                    None => sqlx::query(
                        "UPDATE certificates SET last_expiry_notification_at = $1 \
                         WHERE tenant_id = $2 AND id = $3 AND last_expiry_notification_at IS NULL",
                    )
                    .bind(at)
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?,
                };
                Ok(done.rows_affected() == 1)
            }
        }
    };
}
pub(crate) use impl_expiry_repo;
