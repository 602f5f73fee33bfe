//! Subscribers, subscriptions and deliveries, and which subscriptions an
//! event matches.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::events::{DomainEvent, EventType};
use crate::ids::{EventId, OrganizationId, TenantId};
use crate::tenancy::TokenHash;

macro_rules! webhook_id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub ::uuid::Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> ::uuid::Uuid {
                self.0
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
        impl From<::uuid::Uuid> for $name {
            fn from(u: ::uuid::Uuid) -> Self {
                Self(u)
            }
        }
    };
}
pub(crate) use webhook_id_type;

webhook_id_type!(
    /// An external system receiving webhooks.
    SubscriberId
);
webhook_id_type!(
    /// What a subscriber wants to receive.
    SubscriptionId
);
webhook_id_type!(
    /// One webhook delivery (the `webhook-id` header; the same across retries).
    DeliveryId
);

/// An external system receiving notifications. The API key is stored as
/// its SHA-256 (only compared); the signing secret is stored as is, because
/// every delivery is signed with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscriber {
    /// Primary key.
    pub id: SubscriberId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// Display name.
    pub name: String,
    /// Where deliveries are POSTed.
    pub webhook_url: String,
    /// SHA-256 of the API key.
    #[serde(skip)]
    pub api_key_hash: TokenHash,
    /// The first characters of the API key, to recognise it.
    pub api_key_prefix: String,
    /// `whsec_<base64>`; never serialised.
    #[serde(skip)]
    pub signing_secret: String,
    /// Inactive subscribers receive nothing.
    pub is_active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Which events a subscriber wants: a set of event types, optionally only
/// for one organization and/or one certificate type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Subscription {
    /// Primary key.
    pub id: SubscriptionId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The receiver.
    pub subscriber_id: SubscriberId,
    /// Only events about this organization's certificates.
    pub organization_id: Option<OrganizationId>,
    /// Only events about certificates of this type code.
    pub certificate_type: Option<String>,
    /// The event types (non-empty).
    pub event_types: BTreeSet<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

/// The state of a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not delivered yet (first attempt or retries pending).
    Pending,
    /// A 2xx answer was received.
    Success,
    /// Every attempt failed.
    Failed,
}

impl DeliveryStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "PENDING",
            DeliveryStatus::Success => "SUCCESS",
            DeliveryStatus::Failed => "FAILED",
        }
    }
    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "PENDING" => Some(Self::Pending),
            "SUCCESS" => Some(Self::Success),
            "FAILED" => Some(Self::Failed),
            _ => None,
        }
    }
}

/// One delivery of one event to one subscriber: the delivery log row.
/// For outbox events there is at most one per (event, subscription).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Delivery {
    /// Primary key; the `webhook-id` header.
    pub id: DeliveryId,
    /// Owning tenant.
    pub tenant_id: TenantId,
    /// The receiver.
    pub subscriber_id: SubscriberId,
    /// The matching subscription (none for test events).
    pub subscription_id: Option<SubscriptionId>,
    /// The outbox event delivered (none for test events).
    pub event_id: Option<EventId>,
    /// The event type name.
    pub event_type: String,
    /// The JSON body sent.
    pub payload: Value,
    /// PENDING, SUCCESS or FAILED.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// HTTP status of the last answer.
    pub response_status: Option<u16>,
    /// Why the last attempt failed.
    pub error_message: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// When a 2xx answer arrived.
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Which deliveries to list (absent: any).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeliveryFilter {
    /// Only this subscriber's.
    pub subscriber_id: Option<SubscriberId>,
    /// Only in this state.
    pub status: Option<DeliveryStatus>,
    /// Only of this event type name.
    pub event_type: Option<String>,
}

/// What subscription matching needs to know about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventFacts {
    /// The event type name.
    pub event_type: String,
    /// The organization the event is about, if any.
    pub organization_id: Option<OrganizationId>,
    /// The certificate type code the event is about, if any.
    pub certificate_type: Option<String>,
}

impl EventFacts {
    /// The facts of an outbox event: certificate events carry the
    /// certificate under `certificate` in their payload.
    pub fn of(e: &DomainEvent) -> Self {
        let cert = e.payload.get("certificate");
        let organization_id = cert
            .and_then(|c| c.get("organization_id"))
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
            .map(OrganizationId::from);
        let certificate_type = cert.and_then(|c| c.get("certificate_type")).and_then(Value::as_str).map(str::to_owned);
        Self { event_type: e.event_type.as_str().to_owned(), organization_id, certificate_type }
    }
}

/// Whether `s` wants the event: its type is in the set, and the optional
/// organization and certificate-type filters equal the event's (a filter
/// never matches an event that lacks the fact).
pub fn subscription_matches(s: &Subscription, e: &EventFacts) -> bool {
    s.event_types.contains(&e.event_type)
        && s.organization_id.is_none_or(|o| e.organization_id == Some(o))
        && s.certificate_type.as_deref().is_none_or(|t| e.certificate_type.as_deref() == Some(t))
}

/// Validates a set of event type names: non-empty, every name known.
pub fn parse_event_types<I, S>(names: I) -> Result<BTreeSet<String>, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out = BTreeSet::new();
    for n in names {
        let n = n.as_ref().trim();
        match EventType::parse(n) {
            Some(t) => {
                out.insert(t.as_str().to_owned());
            }
            None => return Err(format!("unknown event type {n:?}")),
        }
    }
    if out.is_empty() {
        return Err("give at least one event type".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sub(types: &[&str], org: Option<OrganizationId>, ty: Option<&str>) -> Subscription {
        Subscription {
            id: SubscriptionId::default(),
            tenant_id: TenantId::default(),
            subscriber_id: SubscriberId::default(),
            organization_id: org,
            certificate_type: ty.map(str::to_owned),
            event_types: types.iter().map(|s| (*s).to_owned()).collect(),
            created_at: DateTime::<Utc>::default(),
        }
    }

    #[test]
    fn facts_come_from_the_certificate_payload() {
        let org = OrganizationId(Uuid::from_u128(7));
        let e = DomainEvent {
            id: EventId::default(),
            tenant_id: TenantId::default(),
            event_type: EventType::CertificateExpiring,
            payload: serde_json::json!({"certificate": {"organization_id": org, "certificate_type": "ISO_9001"}}),
            occurred_at: DateTime::<Utc>::default(),
        };
        let f = EventFacts::of(&e);
        assert_eq!(f.organization_id, Some(org));
        assert_eq!(f.certificate_type.as_deref(), Some("ISO_9001"));
        assert!(subscription_matches(&sub(&["certificate.expiring"], Some(org), Some("ISO_9001")), &f));
        assert!(!subscription_matches(&sub(&["certificate.expiring"], None, Some("TISAX")), &f));
        assert!(!subscription_matches(&sub(&["certificate.created"], None, None), &f));
    }

    #[test]
    fn event_type_sets_are_validated() {
        assert!(parse_event_types(Vec::<String>::new()).is_err());
        assert!(parse_event_types(["certificate.nope"]).is_err());
        assert_eq!(parse_event_types([" certificate.created ", "certificate.created"]).map(|s| s.len()), Ok(1));
    }

    fn name() -> impl Strategy<Value = String> {
        prop::sample::select(EventType::ALL.iter().map(|t| t.as_str().to_owned()).collect::<Vec<_>>())
    }

    proptest! {
        #[test]
        fn matching_is_the_conjunction_of_its_filters(
            types in prop::collection::btree_set(name(), 0..5),
            ev in name(),
            sub_org in prop::option::of(0u128..3),
            ev_org in prop::option::of(0u128..3),
            sub_ty in prop::option::of(prop::sample::select(vec!["A", "B"])),
            ev_ty in prop::option::of(prop::sample::select(vec!["A", "B"])),
        ) {
            let s = Subscription {
                event_types: types.clone(),
                ..sub(&[], sub_org.map(|o| OrganizationId(Uuid::from_u128(o))), sub_ty)
            };
            let f = EventFacts {
                event_type: ev.clone(),
                organization_id: ev_org.map(|o| OrganizationId(Uuid::from_u128(o))),
                certificate_type: ev_ty.map(str::to_owned),
            };
            let expected = types.contains(&ev)
                && (sub_org.is_none() || sub_org == ev_org)
                && (sub_ty.is_none() || sub_ty == ev_ty);
            prop_assert_eq!(subscription_matches(&s, &f), expected);
            // Dropping a filter never loses a match.
            let wider = Subscription { organization_id: None, certificate_type: None, ..s.clone() };
            prop_assert!(!subscription_matches(&s, &f) || subscription_matches(&wider, &f));
        }
    }
}
