//! From the outbox to the receiver, as two job kinds.
//!
//! * `dispatch_outbox` (system, periodic): in one system-scope transaction,
//!   takes unpublished outbox events (only committed ones are visible, so a
//!   rolled-back change never becomes a delivery), inserts one PENDING
//!   delivery per matching subscription of an active subscriber — unique per
//!   (event, subscription), so a dispatcher that runs twice inserts nothing
//!   new — enqueues a `deliver_webhook` job per new delivery, and marks the
//!   events published.
//! * `deliver_webhook` (tenant): POSTs the delivery's payload with both
//!   signatures through the [`WebhookSender`] port and records the attempt.
//!   Non-2xx answers, timeouts and connection errors are retried by the job
//!   runtime with exponential backoff until the job's attempts run out; the
//!   last failure marks the delivery FAILED. A delivery that is no longer
//!   PENDING is never sent again, so a job that runs twice (a worker died
//!   after the receiver answered 2xx and the success was recorded) sends
//!   nothing the second time.

use std::collections::hash_map::Entry;
use std::sync::Arc;

use async_trait::async_trait;
use serde_json::{json, Value};

use super::model::{subscription_matches, Delivery, DeliveryId, DeliveryStatus, EventFacts};
use super::signing::sign;
use crate::events::DomainEvent;
use crate::ids::TenantId;
use crate::jobs::{enqueue_in, Job, JobContext, JobError, JobHandler, JobSpec};
use crate::ports::{OutboundRequest, Scope, SendError, Tx, WebhookSender};
use crate::{CertWatch, Result};

/// Job kind: outbox events → deliveries.
pub const DISPATCH_OUTBOX: &str = "dispatch_outbox";
/// Job kind: one delivery → one signed POST.
pub const DELIVER_WEBHOOK: &str = "deliver_webhook";
/// Outbox events taken per dispatcher transaction.
pub const DISPATCH_BATCH: u32 = 200;

/// How deliveries are sent.
#[derive(Clone)]
pub struct DeliveryConfig {
    /// The HTTP port.
    pub sender: Arc<dyn WebhookSender>,
    /// Time limit of one POST.
    pub timeout: std::time::Duration,
    /// Attempts per delivery before it is FAILED (the retry cap).
    pub max_attempts: u32,
}

impl std::fmt::Debug for DeliveryConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeliveryConfig")
            .field("timeout", &self.timeout)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl DeliveryConfig {
    /// Attempts per delivery unless the host says otherwise.
    pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
}

impl Default for DeliveryConfig {
    /// reqwest with no allow-list, 10 s, 8 attempts.
    fn default() -> Self {
        Self {
            sender: Arc::new(super::http::ReqwestWebhookSender::default()),
            timeout: std::time::Duration::from_secs(10),
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
        }
    }
}

/// The dedupe key of the `dispatch_outbox` job a change enqueues with its
/// events ([`crate::events::append_in`]): one waiting job per tenant.
pub fn dispatch_key(tenant: TenantId) -> String {
    format!("{DISPATCH_OUTBOX}:{tenant}")
}

/// Enqueues the job that sends `d`, inside `tx`.
pub(crate) async fn enqueue_delivery(
    app: &CertWatch,
    tx: &mut dyn Tx,
    d: &Delivery,
    request_id: Option<String>,
    max_attempts: Option<u32>,
) -> Result<bool> {
    let mut spec =
        JobSpec::new(DELIVER_WEBHOOK, Some(d.tenant_id), json!({"delivery_id": d.id})).with_request_id(request_id);
    if let Some(n) = max_attempts {
        spec = spec.with_max_attempts(n);
    }
    enqueue_in(app, tx, spec).await
}

/// The body sent for an outbox event: its payload plus its id and time.
fn delivery_payload(e: &DomainEvent) -> Value {
    let mut p = match &e.payload {
        Value::Object(m) => Value::Object(m.clone()),
        other => json!({"data": other}),
    };
    p["event"] = json!(e.event_type.as_str());
    p["event_id"] = json!(e.id);
    p["occurred_at"] = json!(e.occurred_at);
    p
}

/// Turns up to `limit` unpublished outbox events into deliveries and
/// delivery jobs; returns (events published, deliveries created).
pub async fn dispatch_outbox(app: &CertWatch, limit: u32, max_attempts: u32) -> Result<(usize, usize)> {
    let mut tx = app.store().begin(Scope::System).await?;
    let events = tx.claim_unpublished_events(limit).await?;
    if events.is_empty() {
        return Ok((0, 0));
    }
    let now = app.clock().now();
    let mut subs_by_tenant: std::collections::HashMap<TenantId, Vec<super::Subscription>> = Default::default();
    let mut created = 0;
    for e in &events {
        let subs = match subs_by_tenant.entry(e.tenant_id) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(tx.active_subscriptions(e.tenant_id).await?),
        };
        let facts = EventFacts::of(e);
        for s in subs.iter().filter(|s| subscription_matches(s, &facts)) {
            let d = Delivery {
                id: app.new_id(),
                tenant_id: e.tenant_id,
                subscriber_id: s.subscriber_id,
                subscription_id: Some(s.id),
                event_id: Some(e.id),
                event_type: e.event_type.as_str().to_owned(),
                payload: delivery_payload(e),
                status: DeliveryStatus::Pending,
                attempts: 0,
                response_status: None,
                error_message: None,
                created_at: now,
                delivered_at: None,
            };
            if tx.insert_delivery(&d).await? {
                enqueue_delivery(app, tx.as_mut(), &d, None, Some(max_attempts)).await?;
                created += 1;
            }
        }
    }
    let ids: Vec<_> = events.iter().map(|e| e.id).collect();
    tx.mark_events_published(&ids, now).await?;
    tx.commit().await?;
    if created > 0 {
        app.wake_workers();
    }
    tracing::info!(events = ids.len(), deliveries = created, "outbox dispatched");
    Ok((ids.len(), created))
}

/// The `dispatch_outbox` handler: dispatches until the outbox is empty (at
/// most 50 batches per run).
#[derive(Debug, Clone)]
pub struct DispatchOutbox {
    /// Attempts of each delivery job.
    pub max_attempts: u32,
}

#[async_trait]
impl JobHandler for DispatchOutbox {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        // A change-triggered job frees its key before reading the outbox,
        // so events committed from now on enqueue a job of their own
        // instead of coalescing into this one (which might miss them).
        if job.dedupe_key.as_deref().is_some_and(|k| k.starts_with(DISPATCH_OUTBOX)) {
            let mut tx = ctx.app.store().begin(Scope::System).await?;
            tx.release_job_dedupe_key(job.id).await?;
            tx.commit().await?;
        }
        let mut published = 0;
        for _ in 0..50 {
            let (n, _) = dispatch_outbox(&ctx.app, DISPATCH_BATCH, self.max_attempts).await?;
            published += n;
            if n < DISPATCH_BATCH as usize || ctx.shutdown.is_cancelled() {
                break;
            }
        }
        // A change whose enqueue coalesced into this job (before the key
        // was freed) may commit its event only after the read above; no job
        // of its own will come. A run that published something therefore
        // books one follow-up, queued behind it under a key of its own (so
        // new changes still get an immediate job of their own); a follow-up
        // that finds nothing books none, so the chain ends.
        if let (Some(tenant), true) = (job.tenant_id, published > 0) {
            let spec = JobSpec::new(DISPATCH_OUTBOX, Some(tenant), json!({"reason": "follow-up"}))
                .with_dedupe_key(follow_up_key(tenant));
            ctx.app.jobs().enqueue(spec).await?;
        }
        Ok(())
    }
}

/// The dedupe key of a tenant's follow-up dispatch (see
/// [`DispatchOutbox`]); freed when it starts, like [`dispatch_key`].
pub fn follow_up_key(tenant: TenantId) -> String {
    format!("{DISPATCH_OUTBOX}:follow-up:{tenant}")
}

/// The `deliver_webhook` handler.
#[derive(Debug, Clone)]
pub struct DeliverWebhook {
    /// How to send.
    pub config: DeliveryConfig,
}

fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

#[async_trait]
impl JobHandler for DeliverWebhook {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let app = &ctx.app;
        let tenant = job.tenant_id.ok_or_else(|| JobError::Permanent("delivery job without tenant".into()))?;
        let id: DeliveryId = job
            .payload
            .get("delivery_id")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or_else(|| JobError::Permanent("delivery job without delivery_id".into()))?;
        // Read, then let go of the transaction before any network IO.
        let (delivery, subscriber) = {
            let mut tx = app.store().begin(Scope::Tenant(tenant)).await?;
            let Some(d) = tx.get_delivery(tenant, id).await? else { return Ok(()) };
            let s = tx.get_subscriber(tenant, d.subscriber_id).await?;
            (d, s)
        };
        if delivery.status != DeliveryStatus::Pending {
            tracing::info!(delivery_id = %id, status = delivery.status.as_str(), "already final; nothing to send");
            return Ok(());
        }
        let last_attempt = job.attempts >= job.max_attempts;
        let outcome: Result<u16, String> = match subscriber {
            None => Err("subscriber deleted".into()),
            Some(s) => {
                let body = serde_json::to_vec(&delivery.payload).map_err(|e| JobError::Permanent(e.to_string()))?;
                let ts = app.clock().now().timestamp();
                let headers = sign(&s.signing_secret, &id.to_string(), ts, &body)
                    .map_err(|e| JobError::Permanent(format!("cannot sign: {e}")))?;
                let mut hs: Vec<(String, String)> =
                    headers.pairs().iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
                hs.push(("Content-Type".into(), "application/json".into()));
                hs.push(("User-Agent".into(), "CertWatch-Webhooks/1".into()));
                hs.push(("X-Webhook-Event".into(), delivery.event_type.clone()));
                let req =
                    OutboundRequest { url: s.webhook_url.clone(), headers: hs, body, timeout: self.config.timeout };
                match self.config.sender.post(req).await {
                    Ok(status) if is_success(status) => Ok(status),
                    Ok(status) => Err(format!("HTTP {status}")),
                    Err(SendError::Timeout) => Err("timed out".into()),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        let now = app.clock().now();
        let mut d = delivery;
        d.attempts += 1;
        let result = match outcome {
            Ok(status) => {
                d.status = DeliveryStatus::Success;
                d.response_status = Some(status);
                d.error_message = None;
                d.delivered_at = Some(now);
                Ok(())
            }
            Err(msg) => {
                d.response_status = msg.strip_prefix("HTTP ").and_then(|s| s.parse().ok());
                d.error_message = Some(msg.clone());
                if last_attempt {
                    d.status = DeliveryStatus::Failed;
                    Ok(())
                } else {
                    Err(JobError::Retry(msg))
                }
            }
        };
        let mut tx = app.store().begin(Scope::Tenant(tenant)).await?;
        tx.update_delivery(&d).await?;
        tx.commit().await?;
        tracing::info!(
            delivery_id = %id,
            status = d.status.as_str(),
            attempts = d.attempts,
            response_status = d.response_status,
            "webhook delivery attempt recorded"
        );
        result
    }
}
