//! The webhook service: subscribers (API key and signing secret generated
//! and shown once), subscriptions, the delivery log, rotation, redelivery
//! and test events. Deliveries themselves are jobs ([`super::delivery`]).

use std::collections::BTreeSet;

use serde_json::json;

use super::model::{
    parse_event_types, Delivery, DeliveryId, DeliveryStatus, Subscriber, SubscriberId, Subscription, SubscriptionId,
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

/// Subscriber, subscription and delivery operations.
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
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
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
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
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
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        if tx.get_subscriber(p.tenant_id, subscriber).await?.is_none() {
            return Err(Error::not_found("subscriber"));
        }
        if let Some(o) = input.organization_id {
            if tx.get_organization(p.tenant_id, o).await?.is_none() {
                return Err(ValidationErrors::single("organization_id", "unknown organization").into());
            }
        }
        let certificate_type = match input.certificate_type.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(t) => {
                if tx.get_certificate_type(t).await?.is_none() {
                    return Err(ValidationErrors::single("certificate_type", "unknown certificate type").into());
                }
                Some(t.to_owned())
            }
        };
        let s = Subscription {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            subscriber_id: subscriber,
            organization_id: input.organization_id,
            certificate_type,
            event_types,
            created_at: self.app.clock().now(),
        };
        tx.insert_subscription(&s).await?;
        tx.commit().await?;
        Ok(s)
    }

    /// The tenant's subscriptions (of one subscriber when given).
    pub async fn list_subscriptions(
        &self,
        p: &Principal,
        subscriber: Option<SubscriberId>,
    ) -> Result<Vec<Subscription>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_subscriptions(p.tenant_id, subscriber).await?)
    }

    /// Removes a subscription.
    pub async fn delete_subscription(&self, p: &Principal, id: SubscriptionId) -> Result<()> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        if !tx.delete_subscription(p.tenant_id, id).await? {
            return Err(Error::not_found("subscription"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The delivery log, newest first.
    pub async fn list_deliveries(
        &self,
        p: &Principal,
        subscriber: Option<SubscriberId>,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_deliveries(p.tenant_id, subscriber, limit.clamp(1, 500)).await?)
    }

    /// One delivery.
    pub async fn get_delivery(&self, p: &Principal, id: DeliveryId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_delivery(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("delivery"))
    }

    /// Sends a FAILED delivery again (same id, same payload): PENDING, with
    /// a fresh round of attempts. Conflict unless it failed.
    pub async fn redeliver(&self, p: &Principal, id: DeliveryId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let mut d = tx.get_delivery(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("delivery"))?;
        if d.status != DeliveryStatus::Failed {
            return Err(Error::conflict("only failed deliveries can be redelivered"));
        }
        d.status = DeliveryStatus::Pending;
        d.error_message = None;
        tx.update_delivery(&d).await?;
        super::delivery::enqueue_delivery(self.app, tx.as_mut(), &d, p.request_id.clone(), None).await?;
        tx.insert_audit(&[self.app.audit_by(p, "delivery.redeliver", "delivery", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Sends a `webhook.test` event to one subscriber (active or not).
    pub async fn send_test(&self, p: &Principal, subscriber: SubscriberId) -> Result<Delivery> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
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
        super::delivery::enqueue_delivery(self.app, tx.as_mut(), &d, p.request_id.clone(), None).await?;
        tx.commit().await?;
        Ok(d)
    }
}
