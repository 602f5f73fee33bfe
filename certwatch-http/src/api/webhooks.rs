//! `/api/webhooks/`: subscribers (API key and signing secret shown once),
//! their subscriptions, the delivery log, redelivery and test events. Thin
//! handlers over `certwatch_core::webhooks::WebhookService`: admins manage,
//! members read.

use std::sync::Arc;

use certwatch_core::ids::OrganizationId;
use certwatch_core::webhooks as core;
use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use serde_json::Value;
use uuid::Uuid;

use super::common::{patch, patch_required, Accepted, Created, Message, NoContent, Reply, TokenAuth};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Webhook subscribers, subscriptions and the delivery log.
    Webhooks,
}

/// An external system that receives signed webhook POSTs.
#[derive(Object, Debug, Clone)]
pub struct Subscriber {
    /// Subscriber id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Where deliveries are POSTed.
    pub webhook_url: String,
    /// The first characters of the API key, to recognise it.
    pub api_key_prefix: String,
    /// Inactive subscribers receive nothing.
    pub is_active: bool,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<core::Subscriber> for Subscriber {
    fn from(s: core::Subscriber) -> Self {
        Self {
            id: s.id.as_uuid(),
            name: s.name,
            webhook_url: s.webhook_url,
            api_key_prefix: s.api_key_prefix,
            is_active: s.is_active,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A subscriber with the credentials issued by this call. They are shown
/// exactly once: store them now.
#[derive(Object, Debug, Clone)]
pub struct IssuedSubscriber {
    /// The subscriber.
    #[oai(flatten)]
    pub subscriber: Subscriber,
    /// The API key (on creation and API key rotation).
    #[oai(skip_serializing_if_is_none)]
    pub api_key: Option<String>,
    /// The signing secret `whsec_<base64>` (on creation and secret rotation).
    #[oai(skip_serializing_if_is_none)]
    pub signing_secret: Option<String>,
}

impl From<core::IssuedSubscriber> for IssuedSubscriber {
    fn from(i: core::IssuedSubscriber) -> Self {
        Self {
            subscriber: i.subscriber.into(),
            api_key: i.api_key.map(|k| k.expose().to_owned()),
            signing_secret: i.signing_secret.map(|k| k.expose().to_owned()),
        }
    }
}

/// A new subscriber.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewSubscriber {
    /// Display name.
    pub name: String,
    /// Where deliveries go (http or https; private addresses are refused
    /// when sending unless `WEBHOOK_ALLOWED_NETWORKS` permits them).
    pub webhook_url: String,
    /// Default true.
    pub is_active: Option<bool>,
}

/// Changes to a subscriber (fields left out stay unchanged).
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct SubscriberUpdate {
    /// New name.
    pub name: MaybeUndefined<String>,
    /// New URL.
    pub webhook_url: MaybeUndefined<String>,
    /// Activate or deactivate.
    pub is_active: MaybeUndefined<bool>,
}

/// Which events a subscriber receives.
#[derive(Object, Debug, Clone)]
pub struct Subscription {
    /// Subscription id.
    pub id: Uuid,
    /// The receiver.
    pub subscriber_id: Uuid,
    /// Only events about this organization's certificates.
    pub organization_id: Option<Uuid>,
    /// Only events about certificates of this type code.
    pub certificate_type: Option<String>,
    /// Event type names (`certificate.created`, `certificate.updated`,
    /// `certificate.expiring`, `certificate.expired`, …).
    pub event_types: Vec<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<core::Subscription> for Subscription {
    fn from(s: core::Subscription) -> Self {
        Self {
            id: s.id.as_uuid(),
            subscriber_id: s.subscriber_id.as_uuid(),
            organization_id: s.organization_id.map(|o| o.0),
            certificate_type: s.certificate_type,
            event_types: s.event_types.into_iter().collect(),
            created_at: s.created_at,
        }
    }
}

/// A new subscription.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewSubscription {
    /// Only this organization's certificates.
    pub organization_id: Option<Uuid>,
    /// Only this certificate type code.
    pub certificate_type: Option<String>,
    /// At least one event type name; an unknown name is a 422.
    pub event_types: Vec<String>,
}

/// Changes to a subscription: fields left out stay unchanged, `null`
/// clears a filter.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct SubscriptionUpdate {
    /// Set or clear the organization filter.
    pub organization_id: MaybeUndefined<Uuid>,
    /// Set or clear the certificate type filter.
    pub certificate_type: MaybeUndefined<String>,
    /// Replace the event types.
    pub event_types: MaybeUndefined<Vec<String>>,
}

/// Where a delivery is.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeliveryStatus {
    /// Not delivered yet (first attempt or retries pending).
    Pending,
    /// The receiver answered 2xx.
    Success,
    /// Every attempt failed; may be redelivered.
    Failed,
}

impl From<core::DeliveryStatus> for DeliveryStatus {
    fn from(s: core::DeliveryStatus) -> Self {
        match s {
            core::DeliveryStatus::Pending => Self::Pending,
            core::DeliveryStatus::Success => Self::Success,
            core::DeliveryStatus::Failed => Self::Failed,
        }
    }
}

impl From<DeliveryStatus> for core::DeliveryStatus {
    fn from(s: DeliveryStatus) -> Self {
        match s {
            DeliveryStatus::Pending => Self::Pending,
            DeliveryStatus::Success => Self::Success,
            DeliveryStatus::Failed => Self::Failed,
        }
    }
}

/// One delivery of one event to one subscriber.
#[derive(Object, Debug, Clone)]
pub struct Delivery {
    /// Delivery id: the `webhook-id` header, the same across retries.
    pub id: Uuid,
    /// The receiver.
    pub subscriber_id: Uuid,
    /// The matching subscription (none for test events).
    pub subscription_id: Option<Uuid>,
    /// The outbox event delivered (none for test events).
    pub event_id: Option<Uuid>,
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

impl From<core::Delivery> for Delivery {
    fn from(d: core::Delivery) -> Self {
        Self {
            id: d.id.as_uuid(),
            subscriber_id: d.subscriber_id.as_uuid(),
            subscription_id: d.subscription_id.map(|s| s.as_uuid()),
            event_id: d.event_id.map(|e| e.0),
            event_type: d.event_type,
            payload: d.payload,
            status: d.status.into(),
            attempts: d.attempts,
            response_status: d.response_status,
            error_message: d.error_message,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
        }
    }
}

/// Webhook endpoints.
pub struct WebhooksApi {
    pub(super) state: Arc<State>,
}

impl WebhooksApi {
    fn webhooks(&self) -> core::WebhookService<'_> {
        self.state.core.webhooks()
    }
}

#[OpenApi(prefix_path = "/api/webhooks", tag = "Tag::Webhooks")]
impl WebhooksApi {
    /// The tenant's subscribers, oldest first.
    #[oai(path = "/subscribers", method = "get", operation_id = "webhooks_list_subscribers")]
    async fn list_subscribers(&self, auth: TokenAuth) -> Reply<Json<Vec<Subscriber>>> {
        Reply::map(self.webhooks().list_subscribers(&auth.0).await, |v| Json(v.into_iter().map(Into::into).collect()))
    }

    /// Creates a subscriber. The answer carries its API key and signing
    /// secret, shown this once. Admins only.
    #[oai(path = "/subscribers", method = "post", operation_id = "webhooks_create_subscriber")]
    async fn create_subscriber(&self, auth: TokenAuth, body: Json<NewSubscriber>) -> Reply<Created<IssuedSubscriber>> {
        let b = body.0;
        let input = core::SubscriberInput { name: b.name, webhook_url: b.webhook_url, is_active: b.is_active };
        Reply::map(self.webhooks().create_subscriber(&auth.0, input).await, |i| Created::Created(Json(i.into())))
    }

    /// One subscriber (never its credentials).
    #[oai(path = "/subscribers/:id", method = "get", operation_id = "webhooks_get_subscriber")]
    async fn get_subscriber(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Subscriber>> {
        Reply::map(self.webhooks().get_subscriber(&auth.0, id.0.into()).await, |s| Json(s.into()))
    }

    /// Changes name, URL or activity. Admins only.
    #[oai(path = "/subscribers/:id", method = "patch", operation_id = "webhooks_update_subscriber")]
    async fn update_subscriber(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<SubscriberUpdate>,
    ) -> Reply<Json<Subscriber>> {
        Reply::run(async {
            let b = body.0;
            let p = core::SubscriberPatch {
                name: patch_required("name", b.name)?,
                webhook_url: patch_required("webhook_url", b.webhook_url)?,
                is_active: patch_required("is_active", b.is_active)?,
            };
            Ok(Json(self.webhooks().update_subscriber(&auth.0, id.0.into(), p).await?.into()))
        })
        .await
    }

    /// Deletes a subscriber with its subscriptions and delivery log.
    /// Admins only.
    #[oai(path = "/subscribers/:id", method = "delete", operation_id = "webhooks_delete_subscriber")]
    async fn delete_subscriber(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.webhooks().delete_subscriber(&auth.0, id.0.into()).await, |()| NoContent::NoContent)
    }

    /// Replaces the API key (shown once in the answer); subscriptions and
    /// delivery history stay. Admins only.
    #[oai(path = "/subscribers/:id/rotate-api-key", method = "post", operation_id = "webhooks_rotate_api_key")]
    async fn rotate_api_key(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<IssuedSubscriber>> {
        Reply::map(self.webhooks().rotate_api_key(&auth.0, id.0.into()).await, |i| Json(i.into()))
    }

    /// Replaces the signing secret (shown once in the answer); later
    /// attempts, retries included, are signed with the new one.
    /// Subscriptions and delivery history stay. Admins only.
    #[oai(
        path = "/subscribers/:id/rotate-signing-secret",
        method = "post",
        operation_id = "webhooks_rotate_signing_secret"
    )]
    async fn rotate_signing_secret(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<IssuedSubscriber>> {
        Reply::map(self.webhooks().rotate_signing_secret(&auth.0, id.0.into()).await, |i| Json(i.into()))
    }

    /// Sends a `webhook.test` event to the subscriber (active or not); the
    /// answer is the new PENDING delivery. Admins only; rate limited.
    #[oai(path = "/subscribers/:id/test", method = "post", operation_id = "webhooks_send_test")]
    async fn send_test(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Created<Delivery>> {
        Reply::map(self.webhooks().send_test(&auth.0, id.0.into()).await, |d| Created::Created(Json(d.into())))
    }

    /// The subscriber's subscriptions, oldest first.
    #[oai(path = "/subscribers/:id/subscriptions", method = "get", operation_id = "webhooks_list_subscriptions")]
    async fn list_subscriptions(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Vec<Subscription>>> {
        Reply::map(self.webhooks().list_subscriptions(&auth.0, Some(id.0.into())).await, |v| {
            Json(v.into_iter().map(Into::into).collect())
        })
    }

    /// Adds a subscription: a set of event types, optionally only for one
    /// organization and/or one certificate type. Admins only.
    #[oai(path = "/subscribers/:id/subscriptions", method = "post", operation_id = "webhooks_create_subscription")]
    async fn create_subscription(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<NewSubscription>,
    ) -> Reply<Created<Subscription>> {
        let b = body.0;
        let input = core::SubscriptionInput {
            organization_id: b.organization_id.map(OrganizationId),
            certificate_type: b.certificate_type,
            event_types: b.event_types,
        };
        Reply::map(self.webhooks().create_subscription(&auth.0, id.0.into(), input).await, |s| {
            Created::Created(Json(s.into()))
        })
    }

    /// One subscription.
    #[oai(path = "/subscriptions/:id", method = "get", operation_id = "webhooks_get_subscription")]
    async fn get_subscription(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Subscription>> {
        Reply::map(self.webhooks().get_subscription(&auth.0, id.0.into()).await, |s| Json(s.into()))
    }

    /// Changes a subscription's filters or event types. Admins only.
    #[oai(path = "/subscriptions/:id", method = "patch", operation_id = "webhooks_update_subscription")]
    async fn update_subscription(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<SubscriptionUpdate>,
    ) -> Reply<Json<Subscription>> {
        Reply::run(async {
            let b = body.0;
            let p = core::SubscriptionPatch {
                organization_id: patch(b.organization_id).map(|o| o.map(OrganizationId)),
                certificate_type: patch(b.certificate_type),
                event_types: patch_required("event_types", b.event_types)?,
            };
            Ok(Json(self.webhooks().update_subscription(&auth.0, id.0.into(), p).await?.into()))
        })
        .await
    }

    /// Removes a subscription (its deliveries stay in the log). Admins only.
    #[oai(path = "/subscriptions/:id", method = "delete", operation_id = "webhooks_delete_subscription")]
    async fn delete_subscription(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.webhooks().delete_subscription(&auth.0, id.0.into()).await, |()| NoContent::NoContent)
    }

    /// The delivery log, newest first, optionally only one subscriber's,
    /// one status or one event type (`limit` 1–500, default 100).
    #[oai(path = "/deliveries", method = "get", operation_id = "webhooks_list_deliveries")]
    async fn list_deliveries(
        &self,
        auth: TokenAuth,
        subscriber_id: Query<Option<Uuid>>,
        status: Query<Option<DeliveryStatus>>,
        event_type: Query<Option<String>>,
        limit: Query<Option<u32>>,
    ) -> Reply<Json<Vec<Delivery>>> {
        let filter = core::DeliveryFilter {
            subscriber_id: subscriber_id.0.map(Into::into),
            status: status.0.map(Into::into),
            event_type: event_type.0.filter(|t| !t.trim().is_empty()),
        };
        Reply::map(self.webhooks().list_deliveries(&auth.0, &filter, limit.0.unwrap_or(100)).await, |v| {
            Json(v.into_iter().map(Into::into).collect())
        })
    }

    /// One delivery with its payload and last outcome.
    #[oai(path = "/deliveries/:id", method = "get", operation_id = "webhooks_get_delivery")]
    async fn get_delivery(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Delivery>> {
        Reply::map(self.webhooks().get_delivery(&auth.0, id.0.into()).await, |d| Json(d.into()))
    }

    /// Sends a FAILED delivery again (same id, same payload, fresh
    /// attempts); 409 unless it failed. Admins only; rate limited.
    #[oai(path = "/deliveries/:id/redeliver", method = "post", operation_id = "webhooks_redeliver")]
    async fn redeliver(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Accepted> {
        Reply::map(self.webhooks().redeliver(&auth.0, id.0.into()).await, |d| {
            Accepted::Accepted(Json(Message { message: format!("delivery {} queued again", d.id) }))
        })
    }
}
