//! `WebhookRepo`: subscribers, subscriptions, the delivery log and the
//! dispatcher's view of the outbox, written once for both backends.
//! A delivery is unique per (event, subscription), so dispatching an event
//! twice inserts nothing the second time (`ON CONFLICT DO NOTHING`).

/// Implements `WebhookRepo` for a transaction type with `tx` and `scope`
/// fields. `skip_locked` is the locking suffix of the outbox claim.
macro_rules! impl_webhook_repo {
    ($tx:ty, skip_locked = $sl:literal) => {
        #[::async_trait::async_trait]
        impl ::certwatch_core::ports::WebhookRepo for $tx {
            async fn insert_subscriber(&mut self, s: &Subscriber) -> R<()> {
                self.check_write(s.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO subscribers (",
                    subscriber_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(s.id.as_uuid())
                .bind(s.tenant_id.as_uuid())
                .bind(s.name.as_str())
                .bind(s.webhook_url.as_str())
                .bind(s.api_key_hash.as_str())
                .bind(s.api_key_prefix.as_str())
                .bind(s.signing_secret.as_str())
                .bind(s.is_active)
                .bind(s.created_at)
                .bind(s.updated_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn get_subscriber(&mut self, tenant: TenantId, id: SubscriberId) -> R<Option<Subscriber>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, SubscriberRow>(concat!(
                    "SELECT ",
                    subscriber_columns!(),
                    " FROM subscribers WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(Subscriber::from))
            }

            async fn list_subscribers(&mut self, tenant: TenantId) -> R<Vec<Subscriber>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, SubscriberRow>(concat!(
                    "SELECT ",
                    subscriber_columns!(),
                    " FROM subscribers WHERE tenant_id = $1 ORDER BY created_at, id"
                ))
                .bind(tenant.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(Subscriber::from).collect())
            }

            async fn update_subscriber(&mut self, s: &Subscriber) -> R<()> {
                self.check_write(s.tenant_id)?;
                sqlx::query(
                    "UPDATE subscribers SET name = $1, webhook_url = $2, api_key_hash = $3, api_key_prefix = $4, \
                     signing_secret = $5, is_active = $6, updated_at = $7 WHERE tenant_id = $8 AND id = $9",
                )
                .bind(s.name.as_str())
                .bind(s.webhook_url.as_str())
                .bind(s.api_key_hash.as_str())
                .bind(s.api_key_prefix.as_str())
                .bind(s.signing_secret.as_str())
                .bind(s.is_active)
                .bind(s.updated_at)
                .bind(s.tenant_id.as_uuid())
                .bind(s.id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn insert_subscription(&mut self, s: &Subscription) -> R<()> {
                self.check_write(s.tenant_id)?;
                sqlx::query(concat!(
                    "INSERT INTO subscriptions (",
                    subscription_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .bind(s.id.as_uuid())
                .bind(s.tenant_id.as_uuid())
                .bind(s.subscriber_id.as_uuid())
                .bind(s.organization_id.map(|o| o.as_uuid()))
                .bind(s.certificate_type.as_deref())
                .bind(Json(&s.event_types))
                .bind(s.created_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn list_subscriptions(
                &mut self,
                tenant: TenantId,
                subscriber: Option<SubscriberId>,
            ) -> R<Vec<Subscription>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    subscription_columns!(),
                    " FROM subscriptions WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(s) = subscriber {
                    qb.push(" AND subscriber_id = ").push_bind(s.as_uuid());
                }
                qb.push(" ORDER BY created_at, id");
                let rows = qb.build_query_as::<SubscriptionRow>().fetch_all(&mut *self.tx).await.db()?;
                Ok(rows.into_iter().map(Subscription::from).collect())
            }

            async fn delete_subscriber(&mut self, tenant: TenantId, id: SubscriberId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                // Children first, so the outcome does not hang on FK cascade settings.
                for table in ["webhook_deliveries", "subscriptions"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE tenant_id = $1 AND subscriber_id = $2"))
                        .bind(tenant.as_uuid())
                        .bind(id.as_uuid())
                        .execute(&mut *self.tx)
                        .await
                        .db()?;
                }
                let done = sqlx::query("DELETE FROM subscribers WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_subscription(&mut self, tenant: TenantId, id: SubscriptionId) -> R<Option<Subscription>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, SubscriptionRow>(concat!(
                    "SELECT ",
                    subscription_columns!(),
                    " FROM subscriptions WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                Ok(row.map(Subscription::from))
            }

            async fn update_subscription(&mut self, s: &Subscription) -> R<()> {
                self.check_write(s.tenant_id)?;
                sqlx::query(
                    "UPDATE subscriptions SET organization_id = $1, certificate_type = $2, event_types = $3 \
                     WHERE tenant_id = $4 AND id = $5",
                )
                .bind(s.organization_id.map(|o| o.as_uuid()))
                .bind(s.certificate_type.as_deref())
                .bind(Json(&s.event_types))
                .bind(s.tenant_id.as_uuid())
                .bind(s.id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn delete_subscription(&mut self, tenant: TenantId, id: SubscriptionId) -> R<bool> {
                if !self.sees(tenant) {
                    return Ok(false);
                }
                let done = sqlx::query("DELETE FROM subscriptions WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.as_uuid())
                    .bind(id.as_uuid())
                    .execute(&mut *self.tx)
                    .await
                    .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn active_subscriptions(&mut self, tenant: TenantId) -> R<Vec<Subscription>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let rows = sqlx::query_as::<_, SubscriptionRow>(
                    "SELECT s.id, s.tenant_id, s.subscriber_id, s.organization_id, s.certificate_type, \
                     s.event_types, s.created_at FROM subscriptions s \
                     JOIN subscribers b ON b.tenant_id = s.tenant_id AND b.id = s.subscriber_id \
                     WHERE s.tenant_id = $1 AND b.is_active ORDER BY s.created_at, s.id",
                )
                .bind(tenant.as_uuid())
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                Ok(rows.into_iter().map(Subscription::from).collect())
            }

            async fn insert_delivery(&mut self, d: &Delivery) -> R<bool> {
                self.check_write(d.tenant_id)?;
                let done = sqlx::query(concat!(
                    "INSERT INTO webhook_deliveries (",
                    delivery_columns!(),
                    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (event_id, subscription_id) DO NOTHING"
                ))
                .bind(d.id.as_uuid())
                .bind(d.tenant_id.as_uuid())
                .bind(d.subscriber_id.as_uuid())
                .bind(d.subscription_id.map(|s| s.as_uuid()))
                .bind(d.event_id.map(|e| e.as_uuid()))
                .bind(d.event_type.as_str())
                .bind(Json(&d.payload))
                .bind(d.status.as_str())
                .bind(i32::try_from(d.attempts).unwrap_or(i32::MAX))
                .bind(d.response_status.map(i32::from))
                .bind(d.error_message.as_deref())
                .bind(d.created_at)
                .bind(d.delivered_at)
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(done.rows_affected() == 1)
            }

            async fn get_delivery(&mut self, tenant: TenantId, id: DeliveryId) -> R<Option<Delivery>> {
                if !self.sees(tenant) {
                    return Ok(None);
                }
                let row = sqlx::query_as::<_, DeliveryRow>(concat!(
                    "SELECT ",
                    delivery_columns!(),
                    " FROM webhook_deliveries WHERE tenant_id = $1 AND id = $2"
                ))
                .bind(tenant.as_uuid())
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.tx)
                .await
                .db()?;
                row.map(Delivery::try_from).transpose()
            }

            async fn list_deliveries(
                &mut self,
                tenant: TenantId,
                filter: &DeliveryFilter,
                limit: u32,
            ) -> R<Vec<Delivery>> {
                if !self.sees(tenant) {
                    return Ok(Vec::new());
                }
                let mut qb = QueryBuilder::<Db>::new(concat!(
                    "SELECT ",
                    delivery_columns!(),
                    " FROM webhook_deliveries WHERE tenant_id = "
                ));
                qb.push_bind(tenant.as_uuid());
                if let Some(s) = filter.subscriber_id {
                    qb.push(" AND subscriber_id = ").push_bind(s.as_uuid());
                }
                if let Some(s) = filter.status {
                    qb.push(" AND status = ").push_bind(s.as_str());
                }
                if let Some(t) = &filter.event_type {
                    qb.push(" AND event_type = ").push_bind(t.clone());
                }
                qb.push(" ORDER BY created_at DESC, id DESC LIMIT ").push_bind(i64::from(limit));
                let rows = qb.build_query_as::<DeliveryRow>().fetch_all(&mut *self.tx).await.db()?;
                convert_all(rows)
            }

            async fn update_delivery(&mut self, d: &Delivery) -> R<()> {
                self.check_write(d.tenant_id)?;
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, attempts = $2, response_status = $3, \
                     error_message = $4, delivered_at = $5 WHERE tenant_id = $6 AND id = $7",
                )
                .bind(d.status.as_str())
                .bind(i32::try_from(d.attempts).unwrap_or(i32::MAX))
                .bind(d.response_status.map(i32::from))
                .bind(d.error_message.as_deref())
                .bind(d.delivered_at)
                .bind(d.tenant_id.as_uuid())
                .bind(d.id.as_uuid())
                .execute(&mut *self.tx)
                .await
                .db()?;
                Ok(())
            }

            async fn delivery_status_counts(&mut self) -> R<std::collections::BTreeMap<String, u64>> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("delivery counts need a system-scope transaction".into()));
                }
                let rows: Vec<(String, i64)> =
                    sqlx::query_as("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
                        .fetch_all(&mut *self.tx)
                        .await
                        .db()?;
                Ok(rows.into_iter().map(|(s, n)| (s, u64::try_from(n).unwrap_or(0))).collect())
            }

            async fn claim_unpublished_events(&mut self, limit: u32) -> R<Vec<DomainEvent>> {
                if self.scope != Scope::System {
                    return Err(StoreError::Refused("the dispatcher needs a system-scope transaction".into()));
                }
                let rows = sqlx::query_as::<_, EventRow>(concat!(
                    "SELECT id, tenant_id, event_type, payload, occurred_at FROM outbox_events \
                     WHERE published_at IS NULL ORDER BY id LIMIT $1",
                    $sl
                ))
                .bind(i64::from(limit))
                .fetch_all(&mut *self.tx)
                .await
                .db()?;
                convert_all(rows)
            }

            async fn mark_events_published(&mut self, ids: &[EventId], at: DateTime<Utc>) -> R<()> {
                for chunk in ids.chunks(ID_CHUNK) {
                    let mut qb = QueryBuilder::<Db>::new("UPDATE outbox_events SET published_at = ");
                    qb.push_bind(at).push(" WHERE published_at IS NULL AND id IN (");
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.as_uuid());
                    }
                    qb.push(")");
                    if let Scope::Tenant(t) = self.scope {
                        qb.push(" AND tenant_id = ").push_bind(t.as_uuid());
                    }
                    qb.build().execute(&mut *self.tx).await.db()?;
                }
                Ok(())
            }
        }
    };
}
pub(crate) use impl_webhook_repo;
