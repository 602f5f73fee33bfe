//! The webhook event payloads as types: what a subscriber receives for
//! each event type, from which the JSON schemas in `schemas/events/` are
//! generated (schemars). Unknown fields are refused, so a payload that grew
//! a field its type lacks fails the schema test (`tests/event_schemas.rs`,
//! which validates real deliveries of every event type).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use schemars::schema::RootSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::EventType;
use crate::certificates::{CertificateStatus, Provenance};

/// A certificate as carried by certificate events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateSnapshot {
    /// Certificate id.
    pub id: Uuid,
    /// Owning tenant.
    pub tenant_id: Uuid,
    /// The holder.
    pub organization_id: Uuid,
    /// Certificate type code (`ISO_9001`, `IATF_16949`, …).
    pub certificate_type: String,
    /// The number printed on the certificate.
    pub certificate_number: Option<String>,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// What the certificate covers.
    pub scope: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// Lifecycle state.
    pub status: CertificateStatus,
    /// Where the document can be fetched.
    pub document_url: Option<String>,
    /// The page the certificate was found on.
    pub source_url: Option<String>,
    /// SHA-256 of the document (lower-case hex).
    pub document_hash: Option<String>,
    /// The tenant's own reference.
    pub external_id: Option<String>,
    /// Where the data came from.
    pub provenance: Provenance,
    /// When the last expiry notification went out.
    pub last_expiry_notification_at: Option<DateTime<Utc>>,
    /// The organization's sites the certificate covers.
    pub site_ids: Vec<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// One changed field: its value before and after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// The value before (null: unset).
    pub old: Value,
    /// The value after (null: cleared).
    pub new: Value,
}

/// `certificate.created` and `certificate.expired`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateEvent {
    /// The event type name.
    pub event: String,
    /// The outbox event id (the same for every subscriber).
    pub event_id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// The certificate after the change.
    pub certificate: CertificateSnapshot,
}

/// `certificate.updated`: which watched fields changed, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateUpdated {
    /// `certificate.updated`.
    pub event: String,
    /// The outbox event id.
    pub event_id: Uuid,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
    /// The certificate after the change.
    pub certificate: CertificateSnapshot,
    /// Names of the changed watched fields (status, expiry_date,
    /// issuing_body, scope, document_url).
    pub changed_fields: Vec<String>,
    /// Old and new value per changed field.
    pub changes: BTreeMap<String, FieldChange>,
}

/// `certificate.expiring`: the certificate entered the 30- or 7-day window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificateExpiring {
    /// `certificate.expiring`.
    pub event: String,
    /// The outbox event id.
    pub event_id: Uuid,
    /// When it was announced.
    pub occurred_at: DateTime<Utc>,
    /// The certificate.
    pub certificate: CertificateSnapshot,
    /// The window entered: 30 or 7.
    pub window_days: u32,
    /// Days from today to the expiry date.
    pub days_until_expiry: i64,
}

/// `webhook.test`: sent on request to one subscriber.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookTest {
    /// `webhook.test`.
    pub event: String,
    /// The delivery id.
    pub delivery_id: Uuid,
    /// When it was requested.
    pub occurred_at: DateTime<Utc>,
}

/// The schema of each event type's payload, by event type.
pub fn event_schemas() -> Vec<(EventType, RootSchema)> {
    EventType::ALL
        .iter()
        .map(|t| {
            let schema = match t {
                EventType::CertificateCreated | EventType::CertificateExpired => {
                    schemars::schema_for!(CertificateEvent)
                }
                EventType::CertificateUpdated => schemars::schema_for!(CertificateUpdated),
                EventType::CertificateExpiring => schemars::schema_for!(CertificateExpiring),
                EventType::WebhookTest => schemars::schema_for!(WebhookTest),
            };
            (*t, schema)
        })
        .collect()
}
