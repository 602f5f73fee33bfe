//! `OutboxRepo` and `AuditRepo`: the transactional outbox and the
//! append-only audit ledger, written once for both backends. Both append in
//! multi-row `INSERT`s; neither is ever updated by the store (the database
//! refuses updates and deletes of `audit_log` outright).

/// Implements `OutboxRepo` and `AuditRepo` for a transaction type with a
/// `tx` field.
macro_rules! impl_outbox_and_audit_repos {
    ($tx:ty) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::OutboxRepo for $tx {
            async fn insert_events(&mut self, events: &[DomainEvent]) -> R<()> {
                for e in events {
                    self.check_write(e.tenant_id)?;
                }
                for chunk in events.chunks(EVENT_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO outbox_events (id, tenant_id, event_type, payload, occurred_at) ",
                    );
                    qb.push_values(chunk, |mut b, e| {
                        b.push_bind(e.id.as_uuid())
                            .push_bind(e.tenant_id.as_uuid())
                            .push_bind(e.event_type.as_str())
                            .push_bind(Json(&e.payload))
                            .push_bind(e.occurred_at);
                    });
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            async fn list_events(
                &mut self,
                tenant: TenantId,
                after: Option<EventId>,
                limit: u32,
            ) -> R<Vec<DomainEvent>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(
                    "SELECT id, tenant_id, event_type, payload, occurred_at FROM outbox_events WHERE tenant_id = ",
                );
                qb.push_bind(tenant.as_uuid());
                if let Some(after) = after {
                    qb.push(" AND id > ").push_bind(after.as_uuid());
                }
                qb.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build_query_as::<EventRow>().fetch_all(&mut *self.tx).await.db()?;
                convert_all(rows)
            }
        }

        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::AuditRepo for $tx {
            async fn insert_audit(&mut self, entries: &[AuditEntry]) -> R<()> {
                for a in entries {
                    self.check_write(a.tenant_id)?;
                }
                for chunk in entries.chunks(AUDIT_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new(
                        "INSERT INTO audit_log (id, tenant_id, actor_user_id, action, target_type, target_id, \
                         metadata, request_id, created_at) ",
                    );
                    qb.push_values(chunk, |mut b, a| {
                        b.push_bind(a.id.as_uuid())
                            .push_bind(a.tenant_id.as_uuid())
                            .push_bind(a.actor_user_id.map(|u| u.as_uuid()))
                            .push_bind(a.action.as_str())
                            .push_bind(a.target_type.as_str())
                            .push_bind(a.target_id.as_deref())
                            .push_bind(Json(&a.metadata))
                            .push_bind(a.request_id.as_deref())
                            .push_bind(a.created_at);
                    });
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }

            async fn list_audit(&mut self, tenant: TenantId, limit: u32) -> R<Vec<AuditEntry>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, AuditRow>(
                    "SELECT id, tenant_id, actor_user_id, action, target_type, target_id, metadata, request_id, \
                     created_at FROM audit_log WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                )
                .bind(tenant.as_uuid())
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(AuditEntry::from).collect())
            }
        }
    };
}
pub(crate) use impl_outbox_and_audit_repos;
