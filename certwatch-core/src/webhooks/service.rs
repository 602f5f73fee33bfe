//! The webhook service: subscribers (API key and signing secret generated
//! and shown once), subscriptions, the delivery log, rotation, redelivery
//! and test events. Deliveries themselves are jobs ([`super::delivery`]).

use std::collections::BTreeSet;

use serde_json::json;

use super::model::{
    parse_event_types, Delivery, DeliveryFilter, DeliveryId, DeliveryStatus, Subscriber, SubscriberId, Subscription,
    SubscriptionId,
};
use super::signing::generate_signing_secret;
use super::ssrf::check_url;
use crate::authz::{authorize, Action, Principal};
use crate::events::EventType;
use crate::ids::OrganizationId;
use crate::ports::{Scope, Tx};
use crate::tenancy::secrets::generate_secret;
use crate::tenancy::{Secret, TokenHash};
use crate::validation::{required_text, ValidationErrors, Violation};
use crate::{CertWatch, Error, Result};

/// Prefix of subscriber API keys.
pub const API_KEY_PREFIX: &str = "cwk_";
/// How many characters of an API key are kept to recognise it.
const KEY_PREFIX_LEN: usize = 10;

/// A new subscriber.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriberInput {
    /// Display name.
    pub name: String,
    /// Where deliveries go (http/https).
    pub webhook_url: String,
    /// Default true.
    pub is_active: Option<bool>,
}

/// Changes to a subscriber (absent: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriberPatch {
    /// New name.
    pub name: Option<String>,
    /// New URL.
    pub webhook_url: Option<String>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// A subscriber with its credentials, shown exactly once (at creation or
/// rotation; a rotation returns only the rotated one).
#[derive(Debug, Clone)]
pub struct IssuedSubscriber {
    /// The subscriber.
    pub subscriber: Subscriber,
    /// The API key, if issued by this call.
    pub api_key: Option<Secret>,
    /// The signing secret, if issued by this call.
    pub signing_secret: Option<Secret>,
}

/// A new subscription.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionInput {
    /// Only this organization's certificates.
    pub organization_id: Option<OrganizationId>,
    /// Only this certificate type.
    pub certificate_type: Option<String>,
    /// Event type names (at least one).
    pub event_types: Vec<String>,
}

/// Changes to a subscription (absent: unchanged; `Some(None)` clears a
/// filter).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionPatch {
    /// Set or clear the organization filter.
    pub organization_id: Option<Option<OrganizationId>>,
    /// Set or clear the certificate type filter.
    pub certificate_type: Option<Option<String>>,
    /// Replace the event types (at least one).
    pub event_types: Option<Vec<String>>,
}

/// Subscriber, subscription and delivery operations. Members read;
/// only admins change anything ([`Action::ManageWebhooks`]).
#[derive(Debug, Clone, Copy)]
pub struct WebhookService<'a> {
    app: &'a CertWatch,
}

fn check_webhook_url(raw: &str) -> Result<String, Violation> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|_| Violation::new("webhook_url", "must be an absolute URL"))?;
    check_url(&url).map_err(|e| Violation::new("webhook_url", e.to_string()))?;
    if raw.len() > 2000 {
        return Err(Violation::new("webhook_url", "at most 2000 characters"));
    }
    Ok(url.to_string())
}

fn new_api_key() -> (Secret, TokenHash, String) {
    let key = generate_secret(API_KEY_PREFIX);
    let hash = TokenHash::of(key.expose());
    let prefix = key.expose().chars().take(KEY_PREFIX_LEN).collect();
    (key, hash, prefix)
}

/// The organization filter of a subscription, checked to be the tenant's.
async fn check_organization(
    tx: &mut dyn Tx,
    p: &Principal,
    org: Option<OrganizationId>,
) -> Result<Option<OrganizationId>> {
    if let Some(o) = org {
        if tx.get_organization(p.tenant_id, o).await?.is_none() {
            return Err(ValidationErrors::single("organization_id", "unknown organization").into());
        }
    }
    Ok(org)
}

/// The certificate type filter of a subscription, checked to exist; blank
/// means none.
async fn check_certificate_type(tx: &mut dyn Tx, ty: Option<&str>) -> Result<Option<String>> {
    match ty.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => {
            if tx.get_certificate_type(t).await?.is_none() {
                return Err(ValidationErrors::single("certificate_type", "unknown certificate type").into());
            }
            Ok(Some(t.to_owned()))
        }
    }
}

impl<'a> WebhookService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    async fn tx(&self, p: &Principal, action: Action) -> Result<Box<dyn Tx>> {
        authorize(p, action)?;
        Ok(self.app.store().begin(Scope::Tenant(p.tenant_id)).await?)
    }

    /// Creates a subscriber with a fresh API key and signing secret, both
    /// returned once.
    pub async fn create_subscriber(&self, p: &Principal, input: SubscriberInput) -> Result<IssuedSubscriber> {
        let mut errs = ValidationErrors::default();
        let name = errs.check(required_text("name", &input.name, 200));
        let url = errs.check(check_webhook_url(&input.webhook_url));
        let (Some(name), Some(webhook_url)) = (name, url) else { return Err(errs.into()) };
        errs.into_result(())?;
        let now = self.app.clock().now();
        let (api_key, api_key_hash, api_key_prefix) = new_api_key();
        let secret = generate_signing_secret();
        let s = Subscriber {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            name,
            webhook_url,
            api_key_hash,
            api_key_prefix,
            signing_secret: secret.expose().to_owned(),
            is_active: input.is_active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        tx.insert_subscriber(&s).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "subscriber.create",
            "subscriber",
            s.id.to_string(),
            json!({"name": s.name, "webhook_url": s.webhook_url}),
        )])
        .await?;
        tx.commit().await?;
        Ok(IssuedSubscriber { subscriber: s, api_key: Some(api_key), signing_secret: Some(secret) })
    }

    /// One subscriber.
    pub async fn get_subscriber(&self, p: &Principal, id: SubscriberId) -> Result<Subscriber> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_subscriber(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("subscriber"))
    }

    /// The tenant's subscribers.
    pub async fn list_subscribers(&self, p: &Principal) -> Result<Vec<Subscriber>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_subscribers(p.tenant_id).await?)
    }

    async fn change(
        &self,
        p: &Principal,
        id: SubscriberId,
        action: &str,
        f: impl FnOnce(&mut Subscriber) -> Result<()>,
    ) -> Result<Subscriber> {
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        let mut s = tx.get_subscriber(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("subscriber"))?;
        f(&mut s)?;
        s.updated_at = self.app.clock().now();
        tx.update_subscriber(&s).await?;
        tx.insert_audit(&[self.app.audit_by(p, action, "subscriber", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Changes name, URL or activity.
    pub async fn update_subscriber(
        &self,
        p: &Principal,
        id: SubscriberId,
        patch: SubscriberPatch,
    ) -> Result<Subscriber> {
        let mut errs = ValidationErrors::default();
        let name = patch.name.as_deref().and_then(|n| errs.check(required_text("name", n, 200)));
        let url = patch.webhook_url.as_deref().and_then(|u| errs.check(check_webhook_url(u)));
        errs.into_result(())?;
        self.change(p, id, "subscriber.update", |s| {
            if let Some(n) = name {
                s.name = n;
            }
            if let Some(u) = url {
                s.webhook_url = u;
            }
            if let Some(a) = patch.is_active {
                s.is_active = a;
            }
            Ok(())
        })
        .await
    }

    /// Replaces the API key; subscriptions and history stay.
    pub async fn rotate_api_key(&self, p: &Principal, id: SubscriberId) -> Result<IssuedSubscriber> {
        let (key, hash, prefix) = new_api_key();
        let s = self
            .change(p, id, "subscriber.rotate_api_key", |s| {
                s.api_key_hash = hash;
                s.api_key_prefix = prefix;
                Ok(())
            })
            .await?;
        Ok(IssuedSubscriber { subscriber: s, api_key: Some(key), signing_secret: None })
    }

    /// Replaces the signing secret; subscriptions and history stay.
    /// Pending retries are signed with the new secret.
    pub async fn rotate_signing_secret(&self, p: &Principal, id: SubscriberId) -> Result<IssuedSubscriber> {
        let secret = generate_signing_secret();
        let value = secret.expose().to_owned();
        let s = self
            .change(p, id, "subscriber.rotate_signing_secret", |s| {
                s.signing_secret = value;
                Ok(())
            })
            .await?;
        Ok(IssuedSubscriber { subscriber: s, api_key: None, signing_secret: Some(secret) })
    }

    /// Adds a subscription to a subscriber.
    pub async fn create_subscription(
        &self,
        p: &Principal,
        subscriber: SubscriberId,
        input: SubscriptionInput,
    ) -> Result<Subscription> {
        let event_types: BTreeSet<String> =
            parse_event_types(&input.event_types).map_err(|m| ValidationErrors::single("event_types", m))?;
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        if tx.get_subscriber(p.tenant_id, subscriber).await?.is_none() {
            return Err(Error::not_found("subscriber"));
        }
        let organization_id = check_organization(tx.as_mut(), p, input.organization_id).await?;
        let certificate_type = check_certificate_type(tx.as_mut(), input.certificate_type.as_deref()).await?;
        let s = Subscription {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            subscriber_id: subscriber,
            organization_id,
            certificate_type,
            event_types,
            created_at: self.app.clock().now(),
        };
        tx.insert_subscription(&s).await?;
        tx.insert_audit(&[self.app.audit_by(p, "subscription.create", "subscription", s.id.to_string(), json!({}))])
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// One subscription.
    pub async fn get_subscription(&self, p: &Principal, id: SubscriptionId) -> Result<Subscription> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_subscription(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("subscription"))
    }

    /// Changes a subscription's filters or event types.
    pub async fn update_subscription(
        &self,
        p: &Principal,
        id: SubscriptionId,
        patch: SubscriptionPatch,
    ) -> Result<Subscription> {
        let event_types = match &patch.event_types {
            Some(t) => Some(parse_event_types(t).map_err(|m| ValidationErrors::single("event_types", m))?),
            None => None,
        };
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        let mut s = tx.get_subscription(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("subscription"))?;
        if let Some(o) = patch.organization_id {
            s.organization_id = check_organization(tx.as_mut(), p, o).await?;
        }
        if let Some(t) = patch.certificate_type {
            s.certificate_type = check_certificate_type(tx.as_mut(), t.as_deref()).await?;
        }
        if let Some(t) = event_types {
            s.event_types = t;
        }
        tx.update_subscription(&s).await?;
        tx.insert_audit(&[self.app.audit_by(p, "subscription.update", "subscription", id.to_string(), json!({}))])
            .await?;
        tx.commit().await?;
        Ok(s)
    }

    /// Deletes a subscriber, its subscriptions and its delivery log.
    pub async fn delete_subscriber(&self, p: &Principal, id: SubscriberId) -> Result<()> {
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        if !tx.delete_subscriber(p.tenant_id, id).await? {
            return Err(Error::not_found("subscriber"));
        }
        tx.insert_audit(&[self.app.audit_by(p, "subscriber.delete", "subscriber", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The tenant's subscriptions (of one subscriber when given).
    pub async fn list_subscriptions(
        &self,
        p: &Principal,
        subscriber: Option<SubscriberId>,
    ) -> Result<Vec<Subscription>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        if let Some(id) = subscriber {
            if tx.get_subscriber(p.tenant_id, id).await?.is_none() {
                return Err(Error::not_found("subscriber"));
            }
        }
        Ok(tx.list_subscriptions(p.tenant_id, subscriber).await?)
    }

    /// Removes a subscription.
    pub async fn delete_subscription(&self, p: &Principal, id: SubscriptionId) -> Result<()> {
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        if !tx.delete_subscription(p.tenant_id, id).await? {
            return Err(Error::not_found("subscription"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The delivery log, newest first, filtered. An unknown event type in
    /// the filter is a validation error, not an empty page.
    pub async fn list_deliveries(&self, p: &Principal, filter: &DeliveryFilter, limit: u32) -> Result<Vec<Delivery>> {
        if let Some(t) = filter.event_type.as_deref() {
            parse_event_types([t]).map_err(|m| ValidationErrors::single("event_type", m))?;
        }
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_deliveries(p.tenant_id, filter, limit.clamp(1, 500)).await?)
    }

    /// Deliveries per status across every tenant (no permission check:
    /// aggregates for the host's metrics).
    pub async fn delivery_status_counts(&self) -> Result<std::collections::BTreeMap<String, u64>> {
        let mut tx = self.app.store().begin(Scope::System).await?;
        Ok(tx.delivery_status_counts().await?)
    }

    /// One delivery.
    pub async fn get_delivery(&self, p: &Principal, id: DeliveryId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_delivery(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("delivery"))
    }

    /// Sends a FAILED delivery again (same id, same payload): PENDING, with
    /// a fresh round of attempts. Conflict unless it failed.
    pub async fn redeliver(&self, p: &Principal, id: DeliveryId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        let mut d = tx.get_delivery(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("delivery"))?;
        if d.status != DeliveryStatus::Failed {
            return Err(Error::conflict("only failed deliveries can be redelivered"));
        }
        d.status = DeliveryStatus::Pending;
        d.error_message = None;
        tx.update_delivery(&d).await?;
        super::delivery::enqueue_delivery(
            self.app,
            tx.as_mut(),
            &d,
            p.request_id.clone(),
            Some(self.app.config().webhook_max_attempts),
        )
        .await?;
        tx.insert_audit(&[self.app.audit_by(p, "delivery.redeliver", "delivery", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        self.app.wake_workers();
        Ok(d)
    }

    /// Sends a `webhook.test` event to one subscriber (active or not).
    pub async fn send_test(&self, p: &Principal, subscriber: SubscriberId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::ManageWebhooks).await?;
        if tx.get_subscriber(p.tenant_id, subscriber).await?.is_none() {
            return Err(Error::not_found("subscriber"));
        }
        let now = self.app.clock().now();
        let id: DeliveryId = self.app.new_id();
        let d = Delivery {
            id,
            tenant_id: p.tenant_id,
            subscriber_id: subscriber,
            subscription_id: None,
            event_id: None,
            event_type: EventType::WebhookTest.as_str().to_owned(),
            payload: json!({"event": EventType::WebhookTest.as_str(), "delivery_id": id, "occurred_at": now}),
            status: DeliveryStatus::Pending,
            attempts: 0,
            response_status: None,
            error_message: None,
            created_at: now,
            delivered_at: None,
        };
        tx.insert_delivery(&d).await?;
        super::delivery::enqueue_delivery(
            self.app,
            tx.as_mut(),
            &d,
            p.request_id.clone(),
            Some(self.app.config().webhook_max_attempts),
        )
        .await?;
        tx.commit().await?;
        self.app.wake_workers();
        Ok(d)
    }
}
