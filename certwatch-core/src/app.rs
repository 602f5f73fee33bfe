//! The service entry point: [`CertWatch`] bundles the ports and hands out
//! the per-context services. Cloning it is cheap (one `Arc`).

use std::sync::Arc;

use chrono::Duration;
use serde_json::Value;

use crate::adapters::{SystemClock, UuidV7};
use crate::audit::{redact_secrets, AuditEntry};
use crate::certificates::CertificateService;
use crate::ids::{AuditId, TenantId, UserId};
use crate::ports::{Clock, IdGenerator, Store};
use crate::suppliers::SupplierService;
use crate::tenancy::{PasswordHasher, TenancyService};

/// Tunables of the core services.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    /// Password hashing cost.
    pub password_hasher: PasswordHasher,
    /// Lifetime of tokens issued by log-in (`None`: no expiry).
    pub login_token_ttl: Option<Duration>,
    /// Lifetime of e-mail verification tokens (24 hours).
    pub verification_ttl: Duration,
    /// Lifetime of invitations (7 days).
    pub invitation_ttl: Duration,
    /// Minimum time between two `last_used_at` updates of a token, so
    /// authenticating is not a write on every request.
    pub token_touch_interval: Duration,
    /// How long an authenticated token's principal is reused without a
    /// database look-up (zero: never). Changes in this process take effect
    /// at once; in other processes after at most this long. See
    /// `tenancy::auth_cache`.
    pub auth_cache_ttl: Duration,
    /// Attempts of a webhook delivery that a request queues (redeliver,
    /// test event). Hosts set it to the same value as the workers'
    /// `DeliveryConfig::max_attempts`, so every delivery honours the one
    /// operator setting (`WEBHOOK_MAX_ATTEMPTS`).
    pub webhook_max_attempts: u32,
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            password_hasher: PasswordHasher::default(),
            login_token_ttl: Some(Duration::days(30)),
            verification_ttl: Duration::hours(24),
            invitation_ttl: Duration::days(7),
            token_touch_interval: Duration::minutes(1),
            auth_cache_ttl: Duration::seconds(2),
            webhook_max_attempts: crate::webhooks::DeliveryConfig::DEFAULT_MAX_ATTEMPTS,
        }
    }
}

pub(crate) struct Inner {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) ids: Arc<dyn IdGenerator>,
    pub(crate) config: CoreConfig,
    pub(crate) auth_cache: crate::tenancy::AuthCache,
    /// Wakes idle workers of this process when a job was committed.
    pub(crate) job_signal: Arc<tokio::sync::Notify>,
}

/// The CertWatch core: every service, over one store.
#[derive(Clone)]
pub struct CertWatch {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for CertWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertWatch").field("store", &self.inner.store.backend()).finish()
    }
}

impl CertWatch {
    /// The core over `store`, with the system clock, UUIDv7 ids and default
    /// configuration.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_ports(store, Arc::new(SystemClock), Arc::new(UuidV7), CoreConfig::default())
    }

    /// The core with every port chosen by the caller.
    pub fn with_ports(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        ids: Arc<dyn IdGenerator>,
        config: CoreConfig,
    ) -> Self {
        let auth_cache = crate::tenancy::AuthCache::new(config.auth_cache_ttl);
        let job_signal = Arc::new(tokio::sync::Notify::new());
        Self { inner: Arc::new(Inner { store, clock, ids, config, auth_cache, job_signal }) }
    }

    /// Tenants, users, members, invitations, tokens.
    pub fn tenancy(&self) -> TenancyService<'_> {
        TenancyService::new(self)
    }
    /// Organizations and sites.
    pub fn suppliers(&self) -> SupplierService<'_> {
        SupplierService::new(self)
    }
    /// Certificate types, certificates, transitions.
    pub fn certificates(&self) -> CertificateService<'_> {
        CertificateService::new(self)
    }
    /// Installation-wide status for operators.
    pub fn operations(&self) -> crate::operations::OperationsService<'_> {
        crate::operations::OperationsService::new(self)
    }
    /// Webhook subscribers, subscriptions, deliveries.
    pub fn webhooks(&self) -> crate::webhooks::WebhookService<'_> {
        crate::webhooks::WebhookService::new(self)
    }
    /// Bulk certificate upload: batches, processing, review, quality.
    pub fn bulk_upload(&self) -> crate::bulk_upload::BulkUploadService<'_> {
        crate::bulk_upload::BulkUploadService::new(self)
    }
    /// Background jobs: enqueue, dead jobs, the reaper.
    pub fn jobs(&self) -> crate::jobs::JobsService<'_> {
        crate::jobs::JobsService::new(self)
    }
    /// Spreadsheet imports, their template and the organization export.
    pub fn imports(&self) -> crate::imports::ImportService<'_> {
        crate::imports::ImportService::new(self)
    }

    /// Monitoring: endpoints, scrape logs, scrapes, discovery.
    pub fn monitoring(&self) -> crate::monitoring::MonitoringService<'_> {
        crate::monitoring::MonitoringService::new(self)
    }
    /// The store the services use.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }
    /// The clock the services use.
    pub fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }
    /// Wakes this process's idle workers: a job was committed (called
    /// after commits that enqueue, and by a host that hears of jobs
    /// committed elsewhere, e.g. Postgres `LISTEN certwatch_jobs`).
    /// Polling stays the fallback, so a lost wake-up only costs latency.
    pub fn wake_workers(&self) {
        self.inner.job_signal.notify_waiters();
    }

    /// What idle workers wait on besides their poll interval.
    pub fn job_signal(&self) -> &Arc<tokio::sync::Notify> {
        &self.inner.job_signal
    }

    /// The configuration.
    pub fn config(&self) -> &CoreConfig {
        &self.inner.config
    }

    pub(crate) fn new_id<T: From<uuid::Uuid>>(&self) -> T {
        T::from(self.inner.ids.new_id())
    }

    /// An audit entry stamped now, with redacted metadata.
    pub(crate) fn audit_entry(
        &self,
        tenant_id: TenantId,
        actor: Option<UserId>,
        request_id: Option<&str>,
        action: &str,
        target: (&str, Option<String>),
        metadata: Value,
    ) -> AuditEntry {
        AuditEntry {
            id: self.new_id::<AuditId>(),
            tenant_id,
            actor_user_id: actor,
            action: action.to_owned(),
            target_type: target.0.to_owned(),
            target_id: target.1,
            metadata: redact_secrets(&metadata),
            request_id: request_id.map(str::to_owned),
            created_at: self.inner.clock.now(),
        }
    }

    /// An audit entry for an action of `p` on `target_type`/`target_id`.
    pub(crate) fn audit_by(
        &self,
        p: &crate::authz::Principal,
        action: &str,
        target_type: &str,
        target_id: String,
        metadata: Value,
    ) -> AuditEntry {
        self.audit_entry(
            p.tenant_id,
            // The nil user is the monitoring system actor: no person acted.
            (!p.user_id.as_uuid().is_nil()).then_some(p.user_id),
            p.request_id.as_deref(),
            action,
            (target_type, Some(target_id)),
            metadata,
        )
    }
}
