//! Authentication failures, precise enough for a client to act on and for
//! the audit trail, but never revealing whether an e-mail address exists.

/// Why a credential or one-time token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No `Authorization` credentials were presented.
    #[error("authentication required")]
    MissingCredentials,
    /// The presented API token does not exist.
    #[error("unknown token")]
    UnknownToken,
    /// The presented API token was revoked.
    #[error("token revoked")]
    RevokedToken,
    /// The presented API token has expired.
    #[error("token expired")]
    ExpiredToken,
    /// The token's user is no longer a member of its tenant, or inactive.
    #[error("token no longer valid: the user is not an active member of the tenant")]
    MembershipGone,
    /// Wrong e-mail address or password (deliberately not saying which).
    #[error("invalid e-mail address or password")]
    InvalidCredentials,
    /// The password was right but the e-mail address is not verified yet.
    #[error("e-mail address not verified")]
    EmailNotVerified,
    /// The user belongs to no tenant (or not to the one asked for).
    #[error("the user is not a member of the requested tenant")]
    NoTenant,
    /// The e-mail verification token is unknown.
    #[error("unknown verification token")]
    UnknownVerification,
    /// The e-mail verification token is older than 24 hours.
    #[error("verification token expired")]
    VerificationExpired,
    /// The e-mail verification token was already used.
    #[error("verification token already used")]
    VerificationUsed,
    /// The invitation token is unknown.
    #[error("unknown invitation")]
    UnknownInvitation,
    /// The invitation is older than 7 days.
    #[error("invitation expired")]
    InvitationExpired,
    /// The invitation was already accepted or was revoked.
    #[error("invitation is no longer pending")]
    InvitationNotPending,
    /// The invitation is for an existing user whose address is not verified.
    #[error("the invited account exists but its e-mail address is not verified")]
    InviteeNotVerified,
}
