//! Tenancy data: tenants, users, memberships, invitations, API tokens and
//! e-mail verifications, plus the e-mail address newtype.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::secrets::{PasswordHash, TokenHash};
use crate::ids::{ApiTokenId, EmailVerificationId, InvitationId, MembershipId, TenantId, UserId};
use crate::validation::Violation;

/// A customer of CertWatch. Its slug is unique and generated from the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tenant {
    /// Primary key.
    pub id: TenantId,
    /// Display name.
    pub name: String,
    /// Unique, URL-safe, generated from the name.
    pub slug: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// An e-mail address: trimmed, syntactically plausible, compared
/// case-insensitively through [`EmailAddress::normalized`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address; the error names the field `email`.
    pub fn parse(raw: &str) -> Result<Self, Violation> {
        let bad = |m: &str| Violation::new("email", m);
        let s = raw.trim();
        if s.is_empty() {
            return Err(bad("must not be blank"));
        }
        if s.len() > 254 {
            return Err(bad("must be at most 254 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("must not contain spaces or control characters"));
        }
        let Some((local, domain)) = s.rsplit_once('@') else {
            return Err(bad("must contain @"));
        };
        if local.is_empty() || local.len() > 64 || local.contains('@') {
            return Err(bad("has an invalid local part"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2
            || labels.iter().any(|l| {
                l.is_empty()
                    || l.len() > 63
                    || l.starts_with('-')
                    || l.ends_with('-')
                    || !l.chars().all(|c| c.is_alphanumeric() || c == '-')
            })
        {
            return Err(bad("has an invalid domain"));
        }
        Ok(Self(s.to_owned()))
    }
    /// The address as entered (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The lower-cased form used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = Violation;
    fn try_from(s: String) -> Result<Self, Violation> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(e: EmailAddress) -> String {
        e.0
    }
}

/// A person who can log in. Inactive until the e-mail address is verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Primary key.
    pub id: UserId,
    /// Login name; unique case-insensitively.
    pub email: EmailAddress,
    /// Optional display name.
    pub full_name: Option<String>,
    /// Argon2id hash (PHC string). Never serialised.
    #[serde(skip)]
    pub password_hash: PasswordHash,
    /// False until the e-mail address is verified.
    pub is_active: bool,
    /// When the address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// Operators run the installation: they may read `/api/admin/`
    /// system-wide status. Granted only from the command line.
    pub is_operator: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// What a member may do in a tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages members, invitations and every token of the tenant.
    Admin,
    /// Works with the tenant's data.
    Member,
}

impl Role {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }
}

impl FromStr for Role {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Violation> {
        match s {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(Violation::new("role", "must be admin or member")),
        }
    }
}

/// A user's membership in a tenant (unique per user and tenant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// Primary key.
    pub id: MembershipId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// The member.
    pub user_id: UserId,
    /// Admin or member.
    pub role: Role,
    /// When the user joined.
    pub created_at: DateTime<Utc>,
}

/// A membership with the member's user data, for member lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    /// The membership.
    pub membership: Membership,
    /// The member's e-mail address.
    pub email: EmailAddress,
    /// The member's display name.
    pub full_name: Option<String>,
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Sent, not yet used, not expired.
    Pending,
    /// Used to join the tenant.
    Accepted,
    /// Not used within its validity (7 days).
    Expired,
    /// Withdrawn by an admin before use.
    Revoked,
}

impl InvitationStatus {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "pending",
            InvitationStatus::Accepted => "accepted",
            InvitationStatus::Expired => "expired",
            InvitationStatus::Revoked => "revoked",
        }
    }
}

impl FromStr for InvitationStatus {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Violation> {
        match s {
            "pending" => Ok(Self::Pending),
            "accepted" => Ok(Self::Accepted),
            "expired" => Ok(Self::Expired),
            "revoked" => Ok(Self::Revoked),
            _ => Err(Violation::new("status", "unknown invitation status")),
        }
    }
}

/// An invitation to join a tenant with a role. The token itself is only
/// ever in the invitation e-mail; the store keeps its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invitation {
    /// Primary key.
    pub id: InvitationId,
    /// The inviting tenant.
    pub tenant_id: TenantId,
    /// Who is invited.
    pub email: EmailAddress,
    /// The role granted on acceptance.
    pub role: Role,
    /// SHA-256 of the URL-safe token. Never serialised.
    #[serde(skip)]
    pub token_hash: TokenHash,
    /// Where it stands.
    pub status: InvitationStatus,
    /// The admin who invited.
    pub invited_by: UserId,
    /// After this instant it can no longer be accepted.
    pub expires_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// An API token (the spec's TenantToken): a user acting in one tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    /// Primary key.
    pub id: ApiTokenId,
    /// The tenant the token acts in.
    pub tenant_id: TenantId,
    /// The user the token acts for.
    pub user_id: UserId,
    /// Optional label.
    pub name: Option<String>,
    /// SHA-256 of the secret. Never serialised.
    #[serde(skip)]
    pub token_hash: TokenHash,
    /// The first characters of the secret, to recognise it in lists.
    pub prefix: String,
    /// After this instant the token no longer authenticates.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last successful authentication (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked; revoked tokens stay for the record.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A token with the facts about its user that authentication checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPrincipal {
    /// The token.
    pub token: ApiToken,
    /// The user's role in the token's tenant; `None` when no longer a member.
    pub role: Option<Role>,
    /// Whether the user is active.
    pub user_active: bool,
    /// Whether the user is an operator.
    pub user_operator: bool,
}

/// A pending e-mail address verification (valid 24 hours, single use).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailVerification {
    /// Primary key.
    pub id: EmailVerificationId,
    /// The user whose address is verified.
    pub user_id: UserId,
    /// The tenant the user registered, for the audit ledger.
    pub tenant_id: TenantId,
    /// SHA-256 of the token sent by e-mail.
    pub token_hash: TokenHash,
    /// After this instant the token is refused.
    pub expires_at: DateTime<Utc>,
    /// When it was used; a used token is refused.
    pub used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}
