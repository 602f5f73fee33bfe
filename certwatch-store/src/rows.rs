//! Row structs read by the repositories and their conversion into domain
//! values.
//!
//! The `FromRow` derives are generic, so the same structs decode Postgres
//! and SQLite rows. Every conversion re-validates what the domain types
//! validate (enum names, e-mail addresses, identifiers); stored text that no
//! longer parses is reported as [`StoreError::Corrupt`] instead of being
//! passed on.

use std::fmt::Display;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use certwatch_core::audit::AuditEntry;
use certwatch_core::certificates::{
    Certificate, CertificateStatus, CertificateType, DocumentHash, Provenance, PublicCertificate,
};
use certwatch_core::events::{DomainEvent, EventType};
use certwatch_core::ports::StoreError;
use certwatch_core::suppliers::{
    CertificateCounts, CountryCode, Lei, Organization, OrganizationSummary, Site, VatNumber, WebsiteUrl,
};
use certwatch_core::tenancy::{
    ApiToken, EmailAddress, EmailVerification, Invitation, InvitationStatus, Member, Membership, PasswordHash, Role,
    Tenant, TokenHash, TokenPrincipal, User,
};

/// A stored value that does not parse any more.
fn corrupt(column: &str, err: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{column}: {err}"))
}

/// Parses a stored enum name.
fn parse<T: FromStr>(column: &str, s: &str) -> Result<T, StoreError>
where
    T::Err: Display,
{
    s.parse().map_err(|e| corrupt(column, e))
}

/// Parses an optional stored value with a domain parser.
fn parse_opt<T, E: Display>(
    column: &str,
    s: Option<String>,
    f: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, StoreError> {
    s.map(|s| f(&s).map_err(|e| corrupt(column, e))).transpose()
}

/// A stored counter as `u64`.
pub(crate) fn count(column: &str, n: i64) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|e| corrupt(column, e))
}

/// `tenants`.
#[derive(sqlx::FromRow)]
pub(crate) struct TenantRow {
    id: Uuid,
    name: String,
    slug: String,
    created_at: DateTime<Utc>,
}

impl From<TenantRow> for Tenant {
    fn from(r: TenantRow) -> Self {
        Tenant { id: r.id.into(), name: r.name, slug: r.slug, created_at: r.created_at }
    }
}

/// `users`.
#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    id: Uuid,
    email: String,
    full_name: Option<String>,
    password_hash: String,
    is_active: bool,
    email_verified_at: Option<DateTime<Utc>>,
    is_operator: bool,
    created_at: DateTime<Utc>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;
    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: r.id.into(),
            email: EmailAddress::parse(&r.email).map_err(|e| corrupt("users.email", e))?,
            full_name: r.full_name,
            password_hash: PasswordHash::from_stored(r.password_hash),
            is_active: r.is_active,
            email_verified_at: r.email_verified_at,
            is_operator: r.is_operator,
            created_at: r.created_at,
        })
    }
}

/// `memberships`.
#[derive(sqlx::FromRow)]
pub(crate) struct MembershipRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: DateTime<Utc>,
}

impl TryFrom<MembershipRow> for Membership {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<Self, StoreError> {
        Ok(Membership {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            user_id: r.user_id.into(),
            role: parse::<Role>("memberships.role", &r.role)?,
            created_at: r.created_at,
        })
    }
}

/// `memberships` joined with `users`.
#[derive(sqlx::FromRow)]
pub(crate) struct MemberRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    role: String,
    created_at: DateTime<Utc>,
    email: String,
    full_name: Option<String>,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self, StoreError> {
        let membership = Membership::try_from(MembershipRow {
            id: r.id,
            tenant_id: r.tenant_id,
            user_id: r.user_id,
            role: r.role,
            created_at: r.created_at,
        })?;
        Ok(Member {
            membership,
            email: EmailAddress::parse(&r.email).map_err(|e| corrupt("users.email", e))?,
            full_name: r.full_name,
        })
    }
}

/// `invitations`.
#[derive(sqlx::FromRow)]
pub(crate) struct InvitationRow {
    id: Uuid,
    tenant_id: Uuid,
    email: String,
    role: String,
    token_hash: String,
    status: String,
    invited_by: Uuid,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    accepted_at: Option<DateTime<Utc>>,
}

impl TryFrom<InvitationRow> for Invitation {
    type Error = StoreError;
    fn try_from(r: InvitationRow) -> Result<Self, StoreError> {
        Ok(Invitation {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            email: EmailAddress::parse(&r.email).map_err(|e| corrupt("invitations.email", e))?,
            role: parse::<Role>("invitations.role", &r.role)?,
            token_hash: TokenHash::from_stored(r.token_hash),
            status: parse::<InvitationStatus>("invitations.status", &r.status)?,
            invited_by: r.invited_by.into(),
            expires_at: r.expires_at,
            created_at: r.created_at,
            accepted_at: r.accepted_at,
        })
    }
}

/// `api_tokens`.
#[derive(sqlx::FromRow)]
pub(crate) struct ApiTokenRow {
    id: Uuid,
    tenant_id: Uuid,
    user_id: Uuid,
    name: Option<String>,
    token_hash: String,
    prefix: String,
    expires_at: Option<DateTime<Utc>>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<ApiTokenRow> for ApiToken {
    fn from(r: ApiTokenRow) -> Self {
        ApiToken {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            user_id: r.user_id.into(),
            name: r.name,
            token_hash: TokenHash::from_stored(r.token_hash),
            prefix: r.prefix,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            created_at: r.created_at,
        }
    }
}

/// `email_verifications`.
#[derive(sqlx::FromRow)]
pub(crate) struct EmailVerificationRow {
    id: Uuid,
    user_id: Uuid,
    tenant_id: Uuid,
    token_hash: String,
    expires_at: DateTime<Utc>,
    used_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

impl From<EmailVerificationRow> for EmailVerification {
    fn from(r: EmailVerificationRow) -> Self {
        EmailVerification {
            id: r.id.into(),
            user_id: r.user_id.into(),
            tenant_id: r.tenant_id.into(),
            token_hash: TokenHash::from_stored(r.token_hash),
            expires_at: r.expires_at,
            used_at: r.used_at,
            created_at: r.created_at,
        }
    }
}

/// `organizations` without the counters.
#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationRow {
    id: Uuid,
    tenant_id: Uuid,
    external_id: Option<String>,
    name: String,
    website: Option<String>,
    lei: Option<String>,
    vat: Option<String>,
    country: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<OrganizationRow> for Organization {
    type Error = StoreError;
    fn try_from(r: OrganizationRow) -> Result<Self, StoreError> {
        Ok(Organization {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            external_id: r.external_id,
            name: r.name,
            website: parse_opt("organizations.website", r.website, WebsiteUrl::parse)?,
            lei: parse_opt("organizations.lei", r.lei, Lei::parse)?,
            vat: parse_opt("organizations.vat", r.vat, VatNumber::parse)?,
            country: parse_opt("organizations.country", r.country, CountryCode::parse)?,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// Certificate counts as selected: `active_count`, `expired_count` and the
/// (possibly recomputed) `expiring_count`.
#[derive(sqlx::FromRow)]
pub(crate) struct CountsRow {
    active_count: i64,
    expired_count: i64,
    expiring_count: i64,
}

impl TryFrom<CountsRow> for CertificateCounts {
    type Error = StoreError;
    fn try_from(r: CountsRow) -> Result<Self, StoreError> {
        Ok(CertificateCounts {
            active: count("organizations.active_count", r.active_count)?,
            expiring: count("organizations.expiring_count", r.expiring_count)?,
            expired: count("organizations.expired_count", r.expired_count)?,
        })
    }
}

/// An organization list row: the organization and its counts.
#[derive(sqlx::FromRow)]
pub(crate) struct OrganizationSummaryRow {
    #[sqlx(flatten)]
    organization: OrganizationRow,
    #[sqlx(flatten)]
    counts: CountsRow,
}

impl TryFrom<OrganizationSummaryRow> for OrganizationSummary {
    type Error = StoreError;
    fn try_from(r: OrganizationSummaryRow) -> Result<Self, StoreError> {
        Ok(OrganizationSummary { organization: r.organization.try_into()?, counts: r.counts.try_into()? })
    }
}

/// A list page's row: the summary and the list's total, read in the same
/// statement.
#[derive(sqlx::FromRow)]
pub(crate) struct PagedOrganizationSummaryRow {
    #[sqlx(flatten)]
    pub(crate) summary: OrganizationSummaryRow,
    pub(crate) total: i64,
}

/// `sites`.
#[derive(sqlx::FromRow)]
pub(crate) struct SiteRow {
    id: Uuid,
    tenant_id: Uuid,
    organization_id: Uuid,
    name: String,
    address: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SiteRow> for Site {
    fn from(r: SiteRow) -> Self {
        Site {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            organization_id: r.organization_id.into(),
            name: r.name,
            address: r.address,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `certificate_types`.
#[derive(sqlx::FromRow)]
pub(crate) struct CertificateTypeRow {
    code: String,
    name: String,
    description: String,
}

impl From<CertificateTypeRow> for CertificateType {
    fn from(r: CertificateTypeRow) -> Self {
        CertificateType { code: r.code, name: r.name, description: r.description }
    }
}

/// `certificates` (site links are read separately).
#[derive(sqlx::FromRow)]
pub(crate) struct CertificateRow {
    id: Uuid,
    tenant_id: Uuid,
    organization_id: Uuid,
    certificate_type: String,
    certificate_number: Option<String>,
    issuing_body: Option<String>,
    scope: Option<String>,
    issue_date: Option<NaiveDate>,
    expiry_date: Option<NaiveDate>,
    status: String,
    document_url: Option<String>,
    source_url: Option<String>,
    document_hash: Option<String>,
    external_id: Option<String>,
    provenance: String,
    last_expiry_notification_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<CertificateRow> for Certificate {
    type Error = StoreError;
    fn try_from(r: CertificateRow) -> Result<Self, StoreError> {
        Ok(Certificate {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            organization_id: r.organization_id.into(),
            certificate_type: r.certificate_type,
            certificate_number: r.certificate_number,
            issuing_body: r.issuing_body,
            scope: r.scope,
            issue_date: r.issue_date,
            expiry_date: r.expiry_date,
            status: parse::<CertificateStatus>("certificates.status", &r.status)?,
            document_url: parse_opt("certificates.document_url", r.document_url, WebsiteUrl::parse)?,
            source_url: parse_opt("certificates.source_url", r.source_url, WebsiteUrl::parse)?,
            document_hash: parse_opt("certificates.document_hash", r.document_hash, DocumentHash::parse)?,
            external_id: r.external_id,
            provenance: parse::<Provenance>("certificates.provenance", &r.provenance)?,
            last_expiry_notification_at: r.last_expiry_notification_at,
            site_ids: Vec::new(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

/// One `certificate_sites` link.
#[derive(sqlx::FromRow)]
pub(crate) struct SiteLinkRow {
    pub(crate) certificate_id: Uuid,
    pub(crate) site_id: Uuid,
}

/// `outbox_events`.
#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: Uuid,
    tenant_id: Uuid,
    event_type: String,
    payload: Json<Value>,
    occurred_at: DateTime<Utc>,
}

impl TryFrom<EventRow> for DomainEvent {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self, StoreError> {
        Ok(DomainEvent {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            event_type: EventType::parse(&r.event_type)
                .ok_or_else(|| corrupt("outbox_events.event_type", format!("unknown event type {:?}", r.event_type)))?,
            payload: r.payload.0,
            occurred_at: r.occurred_at,
        })
    }
}

/// `audit_log`.
#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    id: Uuid,
    tenant_id: Uuid,
    actor_user_id: Option<Uuid>,
    action: String,
    target_type: String,
    target_id: Option<String>,
    metadata: Json<Value>,
    request_id: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(r: AuditRow) -> Self {
        AuditEntry {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            actor_user_id: r.actor_user_id.map(Into::into),
            action: r.action,
            target_type: r.target_type,
            target_id: r.target_id,
            metadata: r.metadata.0,
            request_id: r.request_id,
            created_at: r.created_at,
        }
    }
}

/// Converts every row, failing on the first corrupt one.
pub(crate) fn convert_all<R, T>(rows: Vec<R>) -> Result<Vec<T>, StoreError>
where
    T: TryFrom<R, Error = StoreError>,
{
    rows.into_iter().map(T::try_from).collect()
}

/// A row of the public certificate search.
#[derive(sqlx::FromRow)]
pub(crate) struct PublicCertificateRow {
    certificate_number: Option<String>,
    holder: String,
    certificate_type: String,
    issuing_body: Option<String>,
    status: String,
    expiry_date: Option<NaiveDate>,
    source_url: Option<String>,
}

impl TryFrom<PublicCertificateRow> for PublicCertificate {
    type Error = StoreError;
    fn try_from(r: PublicCertificateRow) -> Result<Self, StoreError> {
        Ok(PublicCertificate {
            certificate_number: r.certificate_number,
            holder: r.holder,
            certificate_type: r.certificate_type,
            issuing_body: r.issuing_body,
            status: r.status.parse().map_err(|e| corrupt("certificates.status", e))?,
            expiry_date: r.expiry_date,
            source_url: r.source_url,
        })
    }
}

/// A stored count of attempts as `u32`.
fn attempts(column: &str, n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|e| corrupt(column, e))
}

/// `jobs`.
#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: Uuid,
    tenant_id: Option<Uuid>,
    kind: String,
    payload: Json<Value>,
    status: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    lease_until: Option<DateTime<Utc>>,
    locked_by: Option<String>,
    last_error: Option<String>,
    request_id: Option<String>,
    dedupe_key: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<JobRow> for certwatch_core::jobs::Job {
    type Error = StoreError;
    fn try_from(r: JobRow) -> Result<Self, StoreError> {
        Ok(certwatch_core::jobs::Job {
            id: r.id.into(),
            tenant_id: r.tenant_id.map(Into::into),
            kind: r.kind,
            payload: r.payload.0,
            status: certwatch_core::jobs::JobStatus::parse(&r.status)
                .ok_or_else(|| corrupt("jobs.status", format!("unknown status {:?}", r.status)))?,
            attempts: attempts("jobs.attempts", r.attempts)?,
            max_attempts: attempts("jobs.max_attempts", r.max_attempts)?,
            run_at: r.run_at,
            lease_until: r.lease_until,
            locked_by: r.locked_by,
            last_error: r.last_error,
            request_id: r.request_id,
            dedupe_key: r.dedupe_key,
            created_at: r.created_at,
            updated_at: r.updated_at,
            finished_at: r.finished_at,
        })
    }
}

/// `subscribers`.
#[derive(sqlx::FromRow)]
pub(crate) struct SubscriberRow {
    id: Uuid,
    tenant_id: Uuid,
    name: String,
    webhook_url: String,
    api_key_hash: String,
    api_key_prefix: String,
    signing_secret: String,
    is_active: bool,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<SubscriberRow> for certwatch_core::webhooks::Subscriber {
    fn from(r: SubscriberRow) -> Self {
        certwatch_core::webhooks::Subscriber {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            name: r.name,
            webhook_url: r.webhook_url,
            api_key_hash: TokenHash::from_stored(r.api_key_hash),
            api_key_prefix: r.api_key_prefix,
            signing_secret: r.signing_secret,
            is_active: r.is_active,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// `subscriptions`.
#[derive(sqlx::FromRow)]
pub(crate) struct SubscriptionRow {
    id: Uuid,
    tenant_id: Uuid,
    subscriber_id: Uuid,
    organization_id: Option<Uuid>,
    certificate_type: Option<String>,
    event_types: Json<std::collections::BTreeSet<String>>,
    created_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for certwatch_core::webhooks::Subscription {
    fn from(r: SubscriptionRow) -> Self {
        certwatch_core::webhooks::Subscription {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            subscriber_id: r.subscriber_id.into(),
            organization_id: r.organization_id.map(Into::into),
            certificate_type: r.certificate_type,
            event_types: r.event_types.0,
            created_at: r.created_at,
        }
    }
}

/// `webhook_deliveries`.
#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: Uuid,
    tenant_id: Uuid,
    subscriber_id: Uuid,
    subscription_id: Option<Uuid>,
    event_id: Option<Uuid>,
    event_type: String,
    payload: Json<Value>,
    status: String,
    attempts: i32,
    response_status: Option<i32>,
    error_message: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

impl TryFrom<DeliveryRow> for certwatch_core::webhooks::Delivery {
    type Error = StoreError;
    fn try_from(r: DeliveryRow) -> Result<Self, StoreError> {
        Ok(certwatch_core::webhooks::Delivery {
            id: r.id.into(),
            tenant_id: r.tenant_id.into(),
            subscriber_id: r.subscriber_id.into(),
            subscription_id: r.subscription_id.map(Into::into),
            event_id: r.event_id.map(Into::into),
            event_type: r.event_type,
            payload: r.payload.0,
            status: certwatch_core::webhooks::DeliveryStatus::parse(&r.status)
                .ok_or_else(|| corrupt("webhook_deliveries.status", format!("unknown status {:?}", r.status)))?,
            attempts: attempts("webhook_deliveries.attempts", r.attempts)?,
            response_status: r
                .response_status
                .map(|s| u16::try_from(s).map_err(|e| corrupt("webhook_deliveries.response_status", e)))
                .transpose()?,
            error_message: r.error_message,
            created_at: r.created_at,
            delivered_at: r.delivered_at,
        })
    }
}

/// `api_tokens` joined with the user and their membership in the token's tenant.
#[derive(sqlx::FromRow)]
pub(crate) struct TokenPrincipalRow {
    #[sqlx(flatten)]
    token: ApiTokenRow,
    member_role: Option<String>,
    user_active: bool,
    user_operator: bool,
}

impl TryFrom<TokenPrincipalRow> for TokenPrincipal {
    type Error = StoreError;
    fn try_from(r: TokenPrincipalRow) -> Result<Self, StoreError> {
        let role = match r.member_role {
            Some(s) => Some(s.parse().map_err(|e| corrupt("memberships.role", e))?),
            None => None,
        };
        Ok(TokenPrincipal { token: r.token.into(), role, user_active: r.user_active, user_operator: r.user_operator })
    }
}
