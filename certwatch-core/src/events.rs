//! Domain events, written to the transactional outbox in the same
//! transaction as the change that caused them. Delivery (webhooks, e-mail)
//! reads the outbox after commit, so a rolled-back change never announces
//! anything.

pub mod payloads;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::ids::{EventId, TenantId};

/// The kinds of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EventType {
    /// A certificate was created.
    #[serde(rename = "certificate.created")]
    CertificateCreated,
    /// A watched field of a certificate changed.
    #[serde(rename = "certificate.updated")]
    CertificateUpdated,
    /// An active certificate entered the 30-day or the 7-day expiry window.
    #[serde(rename = "certificate.expiring")]
    CertificateExpiring,
    /// A certificate passed its expiry date and became EXPIRED.
    #[serde(rename = "certificate.expired")]
    CertificateExpired,
    /// A test event sent on request to one subscriber.
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    /// Every event type, in a stable order.
    pub const ALL: [EventType; 5] = [
        EventType::CertificateCreated,
        EventType::CertificateUpdated,
        EventType::CertificateExpiring,
        EventType::CertificateExpired,
        EventType::WebhookTest,
    ];
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::CertificateCreated => "certificate.created",
            EventType::CertificateUpdated => "certificate.updated",
            EventType::CertificateExpiring => "certificate.expiring",
            EventType::CertificateExpired => "certificate.expired",
            EventType::WebhookTest => "webhook.test",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "certificate.created" => Some(Self::CertificateCreated),
            "certificate.updated" => Some(Self::CertificateUpdated),
            "certificate.expiring" => Some(Self::CertificateExpiring),
            "certificate.expired" => Some(Self::CertificateExpired),
            "webhook.test" => Some(Self::WebhookTest),
            _ => None,
        }
    }
}

/// One outbox event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainEvent {
    /// Primary key (time-ordered).
    pub id: EventId,
    /// The tenant whose data changed.
    pub tenant_id: TenantId,
    /// What happened.
    pub event_type: EventType,
    /// The JSON payload delivered to subscribers.
    pub payload: Value,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// Appends `events` to the outbox inside `tx` and, as the transaction's
/// last statement, enqueues the `dispatch_outbox` job that turns them into webhook
/// deliveries — one per tenant until a dispatcher starts (dedupe key
/// `dispatch_outbox:<tenant>`, which the dispatcher frees when it starts),
/// so a burst of changes coalesces into one job. Callers should call
/// [`crate::CertWatch::wake_workers`] after committing.
pub async fn append_in(
    app: &crate::CertWatch,
    tx: &mut dyn crate::ports::Tx,
    events: &[DomainEvent],
) -> crate::Result<()> {
    let Some(first) = events.first() else { return Ok(()) };
    tx.insert_events(events).await?;
    let spec = crate::jobs::JobSpec::new(
        crate::webhooks::DISPATCH_OUTBOX,
        Some(first.tenant_id),
        serde_json::json!({"reason": "outbox"}),
    )
    .with_dedupe_key(crate::webhooks::delivery::dispatch_key(first.tenant_id));
    // At commit: every writer of the tenant inserts this key.
    crate::jobs::enqueue_at_commit(app, tx, spec)?;
    Ok(())
}
