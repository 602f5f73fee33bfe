//! Repository traits, one per bounded context. A [`super::Tx`] implements
//! all of them. Every method that touches tenant-owned rows takes the tenant
//! explicitly and must filter by it; methods documented as *system scope*
//! are only called from [`super::Scope::System`] transactions.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};

use super::StoreError;
use crate::audit::AuditEntry;
use crate::certificates::{Certificate, CertificateFilter, CertificateType, PublicCertificate};
use crate::events::DomainEvent;
use crate::ids::{ApiTokenId, CertificateId, EventId, InvitationId, OrganizationId, SiteId, TenantId, UserId};
use crate::pagination::Page;
use crate::suppliers::{CertificateCounts, Organization, OrganizationQuery, OrganizationSummary, Site};
use crate::tenancy::{
    ApiToken, EmailVerification, Invitation, InvitationStatus, Member, Membership, Role, Tenant, TokenHash,
    TokenPrincipal, User,
};

type R<T> = Result<T, StoreError>;

/// Tenants, users, memberships, invitations, tokens, e-mail verifications.
#[async_trait]
pub trait TenancyRepo {
    /// Inserts a tenant. Conflict: `tenants_slug`.
    async fn insert_tenant(&mut self, t: &Tenant) -> R<()>;
    /// A tenant by id.
    async fn get_tenant(&mut self, id: TenantId) -> R<Option<Tenant>>;
    /// Whether any tenant uses `slug` (system scope).
    async fn tenant_slug_exists(&mut self, slug: &str) -> R<bool>;
    /// Locks the tenant row until the transaction ends, serialising
    /// membership changes (the last-admin rule). Returns false if missing.
    async fn lock_tenant(&mut self, id: TenantId) -> R<bool>;

    /// Inserts a user. Conflict: `users_email` (case-insensitive).
    async fn insert_user(&mut self, u: &User) -> R<()>;
    /// A user by id.
    async fn get_user(&mut self, id: UserId) -> R<Option<User>>;
    /// A user by lower-cased e-mail address.
    async fn find_user_by_email(&mut self, normalized_email: &str) -> R<Option<User>>;
    /// Saves `is_active`, `email_verified_at`, `full_name`, `password_hash`.
    async fn update_user(&mut self, u: &User) -> R<()>;

    /// Inserts a membership. Conflict: `memberships_user_tenant`.
    async fn insert_membership(&mut self, m: &Membership) -> R<()>;
    /// The membership of `user` in `tenant`.
    async fn get_membership(&mut self, tenant: TenantId, user: UserId) -> R<Option<Membership>>;
    /// All members of a tenant with their user data, oldest first.
    async fn list_members(&mut self, tenant: TenantId) -> R<Vec<Member>>;
    /// All memberships of a user across tenants, oldest first (system scope).
    async fn list_memberships_of_user(&mut self, user: UserId) -> R<Vec<Membership>>;
    /// Changes a member's role.
    async fn update_membership_role(&mut self, tenant: TenantId, user: UserId, role: Role) -> R<()>;
    /// Removes a membership; true if one was removed.
    async fn delete_membership(&mut self, tenant: TenantId, user: UserId) -> R<bool>;
    /// How many admins the tenant has.
    async fn count_admins(&mut self, tenant: TenantId) -> R<u64>;

    /// Inserts an invitation.
    async fn insert_invitation(&mut self, i: &Invitation) -> R<()>;
    /// An invitation of the tenant.
    async fn get_invitation(&mut self, tenant: TenantId, id: InvitationId) -> R<Option<Invitation>>;
    /// An invitation by token hash (system scope).
    async fn find_invitation_by_token(&mut self, hash: &TokenHash) -> R<Option<Invitation>>;
    /// The tenant's invitations, newest first.
    async fn list_invitations(&mut self, tenant: TenantId) -> R<Vec<Invitation>>;
    /// Sets status (and `accepted_at`).
    async fn update_invitation_status(
        &mut self,
        tenant: TenantId,
        id: InvitationId,
        status: InvitationStatus,
        accepted_at: Option<DateTime<Utc>>,
    ) -> R<()>;
    /// Replaces an invitation's token hash (the e-mail job issues the token
    /// it sends, so no raw token waits in the job queue).
    async fn update_invitation_token(&mut self, tenant: TenantId, id: InvitationId, hash: &TokenHash) -> R<()>;

    /// Inserts an e-mail verification.
    async fn insert_email_verification(&mut self, v: &EmailVerification) -> R<()>;
    /// A verification by token hash (system scope).
    async fn find_email_verification(&mut self, hash: &TokenHash) -> R<Option<EmailVerification>>;
    /// Marks a verification used.
    async fn mark_email_verification_used(&mut self, v: &EmailVerification, at: DateTime<Utc>) -> R<()>;

    /// Inserts an API token.
    async fn insert_api_token(&mut self, t: &ApiToken) -> R<()>;
    /// A token by secret hash with what authentication needs of its user,
    /// in one look-up (system scope; it runs on every request).
    async fn find_token_principal(&mut self, hash: &TokenHash) -> R<Option<TokenPrincipal>>;
    /// A token of the tenant.
    async fn get_api_token(&mut self, tenant: TenantId, id: ApiTokenId) -> R<Option<ApiToken>>;
    /// The tenant's tokens (of one user when given), newest first.
    async fn list_api_tokens(&mut self, tenant: TenantId, user: Option<UserId>) -> R<Vec<ApiToken>>;
    /// Sets `revoked_at`.
    async fn revoke_api_token(&mut self, tenant: TenantId, id: ApiTokenId, at: DateTime<Utc>) -> R<()>;
    /// Sets `last_used_at`.
    async fn touch_api_token(&mut self, tenant: TenantId, id: ApiTokenId, at: DateTime<Utc>) -> R<()>;
}

/// Organizations and sites, with per-organization certificate counters.
#[async_trait]
pub trait SupplierRepo {
    /// Inserts an organization (counters zero). Conflict: `organizations_external_id`.
    async fn insert_organization(&mut self, o: &Organization) -> R<()>;
    /// An organization of the tenant.
    async fn get_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<Option<Organization>>;
    /// Locks the organization row until the transaction ends; every
    /// certificate write of the organization takes this lock first, so its
    /// counters are recomputed without lost updates. False if missing.
    async fn lock_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<bool>;
    /// Saves every field but the counters. Conflict: `organizations_external_id`.
    async fn update_organization(&mut self, o: &Organization) -> R<()>;
    /// Deletes an organization with its sites and certificates; true if it existed.
    async fn delete_organization(&mut self, tenant: TenantId, id: OrganizationId) -> R<bool>;
    /// One page of organizations with counts. `today` is the day "expiring"
    /// is measured from; counters refreshed on another day are recomputed
    /// for the page's rows, so the counts are always exact.
    async fn list_organizations(
        &mut self,
        tenant: TenantId,
        q: &OrganizationQuery,
        today: NaiveDate,
    ) -> R<Page<OrganizationSummary>>;
    /// The counts of one organization, exact for `today`.
    async fn organization_counts(
        &mut self,
        tenant: TenantId,
        id: OrganizationId,
        today: NaiveDate,
    ) -> R<CertificateCounts>;
    /// Recomputes the stored counters of these organizations from their
    /// certificates, as of `today`.
    async fn recount_certificates(&mut self, tenant: TenantId, orgs: &[OrganizationId], today: NaiveDate) -> R<()>;
    /// Recomputes the expiring counters of every organization of the tenant
    /// whose counters are not as of `today` (the daily window job); returns
    /// how many were refreshed.
    async fn refresh_expiring_counts(&mut self, tenant: TenantId, today: NaiveDate) -> R<u64>;

    /// Inserts a site.
    async fn insert_site(&mut self, s: &Site) -> R<()>;
    /// A site of the tenant.
    async fn get_site(&mut self, tenant: TenantId, id: SiteId) -> R<Option<Site>>;
    /// Saves name and address.
    async fn update_site(&mut self, s: &Site) -> R<()>;
    /// Deletes a site; true if it existed.
    async fn delete_site(&mut self, tenant: TenantId, id: SiteId) -> R<bool>;
    /// The sites of an organization, by name.
    async fn list_sites(&mut self, tenant: TenantId, org: OrganizationId) -> R<Vec<Site>>;
}

/// Certificate types and certificates.
#[async_trait]
pub trait CertificateRepo {
    /// Every certificate type, by code.
    async fn list_certificate_types(&mut self) -> R<Vec<CertificateType>>;
    /// One certificate type.
    async fn get_certificate_type(&mut self, code: &str) -> R<Option<CertificateType>>;

    /// Inserts certificates with their site links, in batches. Conflict:
    /// `certificates_external_id`. Does not touch counters.
    async fn insert_certificates(&mut self, certs: &[Certificate]) -> R<()>;
    /// A certificate of the tenant, with its sites.
    async fn get_certificate(&mut self, tenant: TenantId, id: CertificateId) -> R<Option<Certificate>>;
    /// Saves every field and replaces the site links. Conflict:
    /// `certificates_external_id`.
    async fn update_certificate(&mut self, c: &Certificate) -> R<()>;
    /// Deletes a certificate; true if it existed.
    async fn delete_certificate(&mut self, tenant: TenantId, id: CertificateId) -> R<bool>;
    /// Stores `hash` as the document hash only while the certificate's
    /// `document_url` still equals `url` (compare-and-set); true if stored.
    async fn set_document_hash_if_url(&mut self, tenant: TenantId, id: CertificateId, url: &str, hash: &str)
        -> R<bool>;
    /// One page of certificates, newest first.
    async fn list_certificates(&mut self, tenant: TenantId, f: &CertificateFilter) -> R<Page<Certificate>>;
}

/// The transactional outbox.
#[async_trait]
pub trait OutboxRepo {
    /// Appends events.
    async fn insert_events(&mut self, events: &[DomainEvent]) -> R<()>;
    /// The tenant's events after `after` (exclusive), oldest first.
    async fn list_events(&mut self, tenant: TenantId, after: Option<EventId>, limit: u32) -> R<Vec<DomainEvent>>;
}

/// The append-only audit ledger.
#[async_trait]
pub trait AuditRepo {
    /// Appends entries.
    async fn insert_audit(&mut self, entries: &[AuditEntry]) -> R<()>;
    /// The tenant's newest entries first.
    async fn list_audit(&mut self, tenant: TenantId, limit: u32) -> R<Vec<AuditEntry>>;
}

/// Cross-tenant reads, only from [`super::Scope::System`] transactions:
/// aggregates for operators and the public certificate search.
#[async_trait]
pub trait SystemRepo {
    /// Counts across every tenant.
    async fn system_status(&mut self) -> R<crate::operations::SystemStatus>;
    /// Certificates published on supplier web pages (provenance
    /// `web_scrape` with a source URL) whose number equals `number`
    /// case-insensitively and/or whose holder name contains `holder_folded`
    /// (already lower-cased); at most `limit`, newest first.
    async fn search_public_certificates(
        &mut self,
        number: Option<&str>,
        holder_folded: Option<&str>,
        limit: u32,
    ) -> R<Vec<PublicCertificate>>;
}

/// The durable job queue. [`JobRepo::enqueue_job`] works in the scope of the
/// job's tenant (so a change and the job it causes commit together); every
/// other method is *system scope* (workers claim across tenants).
///
/// Every state change after a claim names the worker (`locked_by`) and
/// changes nothing — returning false — when that worker no longer holds the
/// job (its lease ran out and another worker took it over).
#[async_trait]
pub trait JobRepo {
    /// Inserts a job; false (and nothing inserted) when a job with the same
    /// `dedupe_key` exists.
    async fn enqueue_job(&mut self, j: &crate::jobs::NewJob) -> R<bool>;
    /// Inserts `j` as this transaction's last statement, just before the
    /// commit (nothing if the transaction is dropped), skipped like
    /// [`JobRepo::enqueue_job`] when its dedupe key exists. For jobs whose
    /// dedupe key many concurrent transactions share (the per-tenant
    /// `dispatch_outbox`): inserting such a key makes every other
    /// transaction inserting it wait until this one ends, so taken early it
    /// would serialise them for their whole length; taken last, only for
    /// the commit.
    fn enqueue_job_at_commit(&mut self, j: crate::jobs::NewJob) -> R<()>;
    /// Claims up to `limit` queued jobs due at `now`, oldest `run_at` first,
    /// skipping rows other transactions hold: status running, attempts + 1,
    /// lease until `lease_until`, locked by `worker`.
    async fn claim_jobs(
        &mut self,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> R<Vec<crate::jobs::Job>>;
    /// Extends the lease of a job `worker` runs.
    async fn extend_job_lease(
        &mut self,
        id: crate::jobs::JobId,
        worker: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> R<bool>;
    /// Marks a job `worker` runs as succeeded.
    async fn complete_job(&mut self, id: crate::jobs::JobId, worker: &str, now: DateTime<Utc>) -> R<bool>;
    /// Marks every job of `ids` that `worker` still runs as succeeded, in
    /// one statement per chunk; returns those it marked. The worker batches
    /// its successes through this, so a stream of short jobs costs one
    /// round trip per batch instead of one transaction per job.
    async fn complete_jobs(
        &mut self,
        ids: &[crate::jobs::JobId],
        worker: &str,
        now: DateTime<Utc>,
    ) -> R<Vec<crate::jobs::JobId>>;
    /// Puts a job `worker` runs back in the queue for `run_at`, recording
    /// the error.
    async fn retry_job(
        &mut self,
        id: crate::jobs::JobId,
        worker: &str,
        run_at: DateTime<Utc>,
        error: &str,
        now: DateTime<Utc>,
    ) -> R<bool>;
    /// Marks a job `worker` runs as dead, recording the error.
    async fn bury_job(&mut self, id: crate::jobs::JobId, worker: &str, error: &str, now: DateTime<Utc>) -> R<bool>;
    /// Gives a job back unfinished (graceful shutdown): queued, due now, and
    /// the claim's attempt not counted.
    async fn release_job(&mut self, id: crate::jobs::JobId, worker: &str, now: DateTime<Utc>) -> R<bool>;
    /// Running jobs whose lease ended before `now` (their worker died):
    /// queued again, or dead when they used every attempt. Returns how many.
    async fn reap_expired_leases(&mut self, now: DateTime<Utc>) -> R<u64>;
    /// One job.
    async fn get_job(&mut self, id: crate::jobs::JobId) -> R<Option<crate::jobs::Job>>;
    /// Jobs in `status`, most recently changed first.
    async fn list_jobs(&mut self, status: crate::jobs::JobStatus, limit: u32) -> R<Vec<crate::jobs::Job>>;
    /// A dead job queued again with fresh attempts, due `now`. False if the
    /// job is not dead.
    async fn requeue_dead_job(&mut self, id: crate::jobs::JobId, now: DateTime<Utc>) -> R<bool>;
    /// Deletes up to `limit` succeeded jobs finished before `before` (dead
    /// jobs stay for operators); returns how many.
    async fn purge_succeeded_jobs(&mut self, before: DateTime<Utc>, limit: u32) -> R<u64>;
    /// Clears a job's dedupe key, so the key can be enqueued again (a
    /// coalescing job that started).
    async fn release_job_dedupe_key(&mut self, id: crate::jobs::JobId) -> R<()>;
    /// Counts per status, the queued jobs due at `now` and the oldest due
    /// `run_at` (*system scope*).
    async fn job_queue_stats(&mut self, now: DateTime<Utc>) -> R<crate::jobs::QueueStats>;
}

/// Subscribers, subscriptions, the delivery log, and the outbox cursor of
/// the dispatcher.
#[async_trait]
pub trait WebhookRepo {
    /// Inserts a subscriber. Conflict: `subscribers_api_key_hash`.
    async fn insert_subscriber(&mut self, s: &crate::webhooks::Subscriber) -> R<()>;
    /// A subscriber of the tenant.
    async fn get_subscriber(
        &mut self,
        tenant: TenantId,
        id: crate::webhooks::SubscriberId,
    ) -> R<Option<crate::webhooks::Subscriber>>;
    /// The tenant's subscribers, oldest first.
    async fn list_subscribers(&mut self, tenant: TenantId) -> R<Vec<crate::webhooks::Subscriber>>;
    /// Saves name, URL, API key hash and prefix, signing secret, is_active,
    /// updated_at.
    async fn update_subscriber(&mut self, s: &crate::webhooks::Subscriber) -> R<()>;
    /// Inserts a subscription.
    async fn insert_subscription(&mut self, s: &crate::webhooks::Subscription) -> R<()>;
    /// The tenant's subscriptions (of one subscriber when given), oldest first.
    async fn list_subscriptions(
        &mut self,
        tenant: TenantId,
        subscriber: Option<crate::webhooks::SubscriberId>,
    ) -> R<Vec<crate::webhooks::Subscription>>;
    /// Deletes a subscriber with its subscriptions and delivery log; true
    /// if it existed.
    async fn delete_subscriber(&mut self, tenant: TenantId, id: crate::webhooks::SubscriberId) -> R<bool>;
    /// A subscription of the tenant.
    async fn get_subscription(
        &mut self,
        tenant: TenantId,
        id: crate::webhooks::SubscriptionId,
    ) -> R<Option<crate::webhooks::Subscription>>;
    /// Saves organization, certificate type and event types.
    async fn update_subscription(&mut self, s: &crate::webhooks::Subscription) -> R<()>;
    /// Deletes a subscription; true if it existed.
    async fn delete_subscription(&mut self, tenant: TenantId, id: crate::webhooks::SubscriptionId) -> R<bool>;
    /// The subscriptions of the tenant's active subscribers.
    async fn active_subscriptions(&mut self, tenant: TenantId) -> R<Vec<crate::webhooks::Subscription>>;
    /// Inserts a delivery; false (nothing inserted) when one for the same
    /// (event, subscription) exists.
    async fn insert_delivery(&mut self, d: &crate::webhooks::Delivery) -> R<bool>;
    /// A delivery of the tenant.
    async fn get_delivery(
        &mut self,
        tenant: TenantId,
        id: crate::webhooks::DeliveryId,
    ) -> R<Option<crate::webhooks::Delivery>>;
    /// The tenant's deliveries matching every filter given, newest first.
    async fn list_deliveries(
        &mut self,
        tenant: TenantId,
        filter: &crate::webhooks::DeliveryFilter,
        limit: u32,
    ) -> R<Vec<crate::webhooks::Delivery>>;
    /// Deliveries per status across tenants (*system scope*; metrics).
    async fn delivery_status_counts(&mut self) -> R<std::collections::BTreeMap<String, u64>>;
    /// Saves status, attempts, response status, error message, delivered_at.
    async fn update_delivery(&mut self, d: &crate::webhooks::Delivery) -> R<()>;
    /// Outbox events not yet published, oldest first, across tenants
    /// (*system scope*), taking them so a concurrent dispatcher skips them.
    async fn claim_unpublished_events(&mut self, limit: u32) -> R<Vec<DomainEvent>>;
    /// Marks events published.
    async fn mark_events_published(&mut self, ids: &[EventId], at: DateTime<Utc>) -> R<()>;
}

/// What the periodic expiry work needs from certificates (*system scope*
/// for the cross-tenant scans).
#[async_trait]
pub trait ExpiryRepo {
    /// ACTIVE certificates expiring on a day in `[from, to]` whose last
    /// expiry notification is missing or not after `notified_before`, after
    /// the keyset position `after` (tenant, id), in (tenant, id) order, at
    /// most `limit`.
    async fn expiry_notification_candidates(
        &mut self,
        from: NaiveDate,
        to: NaiveDate,
        notified_before: DateTime<Utc>,
        after: Option<(TenantId, CertificateId)>,
        limit: u32,
    ) -> R<Vec<(TenantId, CertificateId)>>;
    /// ACTIVE certificates whose expiry date is before `day`, at most `limit`.
    async fn expired_active_certificates(&mut self, day: NaiveDate, limit: u32) -> R<Vec<(TenantId, CertificateId)>>;
    /// Sets `last_expiry_notification_at` to `at` only if it still equals
    /// `expected` (compare-and-set): of concurrent notifiers exactly one
    /// wins. True if this call changed it.
    async fn mark_expiry_notified(
        &mut self,
        tenant: TenantId,
        id: CertificateId,
        expected: Option<DateTime<Utc>>,
        at: DateTime<Utc>,
    ) -> R<bool>;
}
