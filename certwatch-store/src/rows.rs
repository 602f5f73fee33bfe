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
