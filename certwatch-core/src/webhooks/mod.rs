//! Webhooks: subscribers, subscriptions and the delivery log; the two
//! signatures every delivery carries (DESIGN §7); subscription matching;
//! the SSRF check for webhook URLs; the retry policy.
//!
//! Everything here is a pure function of plain data; delivery itself runs
//! from background jobs (`crate::jobs`) through the store and HTTP ports.

pub mod delivery;
pub mod http;
pub mod model;
pub mod retry;
pub mod service;
pub mod signing;
pub mod ssrf;

pub use delivery::{dispatch_outbox, DeliveryConfig, DELIVER_WEBHOOK, DISPATCH_OUTBOX};
pub use model::{
    parse_event_types, subscription_matches, Delivery, DeliveryFilter, DeliveryId, DeliveryStatus, EventFacts,
    Subscriber, SubscriberId, Subscription, SubscriptionId,
};
pub use retry::{FixedJitter, JitterSource, RandomJitter, RetryPolicy};
pub use service::{
    IssuedSubscriber, SubscriberInput, SubscriberPatch, SubscriptionInput, SubscriptionPatch, WebhookService,
};
pub use signing::{generate_signing_secret, sign, verify_github, verify_standard, SignatureError, SignatureHeaders};
pub use ssrf::{check_target, check_url, TargetError};
