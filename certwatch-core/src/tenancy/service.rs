//! The tenancy service: the only write path for tenants, users, memberships,
//! invitations and tokens. Every state change appends an audit entry in the
//! same transaction.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::errors::AuthError;
use super::model::{
    ApiToken, EmailAddress, EmailVerification, Invitation, InvitationStatus, Member, Membership, Role, Tenant, User,
};
use super::secrets::{generate_secret, Secret, TokenHash, API_TOKEN_PREFIX};
use super::slug::{candidate, slugify};
use crate::authz::{authorize, check_admin_retained, Action, Principal};
use crate::ids::{ApiTokenId, InvitationId, TenantId, UserId};
use crate::ports::{Scope, Tx};
use crate::validation::{optional_text, required_text, ValidationErrors};
use crate::{CertWatch, Error, Result};

/// Input of [`TenancyService::register`].
#[derive(Debug, Clone)]
pub struct RegistrationRequest {
    /// The new user's e-mail address (the login name).
    pub email: String,
    /// The new user's password.
    pub password: String,
    /// The new user's display name.
    pub full_name: Option<String>,
    /// Name of the tenant to create.
    pub tenant_name: String,
}

/// Result of a registration. The verification token goes into the
/// verification e-mail and nowhere else.
#[derive(Debug, Clone)]
pub struct Registration {
    /// The new, inactive user.
    pub user: User,
    /// The new tenant.
    pub tenant: Tenant,
    /// The user's admin membership.
    pub membership: Membership,
    /// The one-time e-mail verification token.
    pub verification_token: Secret,
}

/// Input of [`TenancyService::login`].
#[derive(Debug, Clone)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The tenant to log in to; the oldest membership when absent.
    pub tenant_slug: Option<String>,
}

/// A token with its secret, shown once.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The stored token.
    pub token: ApiToken,
    /// The secret to present as `Authorization: Token <secret>`.
    pub secret: Secret,
}

/// Result of a log-in.
#[derive(Debug, Clone)]
pub struct LoginResult {
    /// The new token.
    pub issued: IssuedToken,
    /// The tenant logged in to.
    pub tenant: Tenant,
    /// The user.
    pub user: User,
    /// The role in that tenant.
    pub role: Role,
}

/// Input of [`TenancyService::create_token`].
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// A label.
    pub name: Option<String>,
    /// When the token stops working (must be in the future).
    pub expires_at: Option<DateTime<Utc>>,
}

/// An invitation with its token, shown once (it goes into the e-mail).
#[derive(Debug, Clone)]
pub struct IssuedInvitation {
    /// The stored invitation.
    pub invitation: Invitation,
    /// The URL-safe token for the acceptance link.
    pub token: Secret,
}

/// What [`TenancyService::preview_invitation`] shows an invitee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationPreview {
    /// The inviting tenant's name.
    pub tenant_name: String,
    /// The invited address.
    pub email: EmailAddress,
    /// The role on acceptance.
    pub role: Role,
    /// Pending, accepted, expired or revoked (expiry applied).
    pub status: InvitationStatus,
    /// When it stops being acceptable.
    pub expires_at: DateTime<Utc>,
    /// Whether the address already has an account (then no password is needed).
    pub account_exists: bool,
}

/// Input of [`TenancyService::accept_invitation`].
#[derive(Debug, Clone, Default)]
pub struct AcceptInvitation {
    /// The token from the invitation link.
    pub token: String,
    /// Password for a new account (ignored when the account exists).
    pub password: Option<String>,
    /// Display name for a new account.
    pub full_name: Option<String>,
}

/// Tenancy operations.
#[derive(Debug, Clone, Copy)]
pub struct TenancyService<'a> {
    app: &'a CertWatch,
}

/// How many slug suffixes to try before giving up.
const SLUG_ATTEMPTS: u32 = 50;

impl<'a> TenancyService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    fn now(&self) -> DateTime<Utc> {
        self.app.inner.clock.now()
    }

    async fn tenant_tx(&self, p: &Principal) -> Result<Box<dyn Tx>> {
        Ok(self.app.inner.store.begin(Scope::Tenant(p.tenant_id)).await?)
    }

    async fn tenant_read(&self, p: &Principal) -> Result<Box<dyn Tx>> {
        Ok(self.app.inner.store.begin_read(Scope::Tenant(p.tenant_id)).await?)
    }

    /// Registers a user and a new tenant with the user as its admin. The user
    /// stays inactive until the e-mail address is verified with the returned
    /// token.
    pub async fn register(&self, req: RegistrationRequest, request_id: Option<&str>) -> Result<Registration> {
        let mut errs = ValidationErrors::default();
        let email = errs.check(EmailAddress::parse(&req.email));
        let tenant_name = errs.check(required_text("tenant_name", &req.tenant_name, 200));
        let full_name = errs.check(optional_text("full_name", req.full_name.as_deref(), 200));
        let hash = errs.check(self.app.inner.config.password_hasher.hash(&req.password));
        let (Some(email), Some(tenant_name), Some(full_name), Some(password_hash)) =
            (email, tenant_name, full_name, hash)
        else {
            return Err(errs.into());
        };
        let now = self.now();
        // Registration creates the tenant, so no tenant scope exists yet; the
        // slug check must see every tenant.
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        if tx.find_user_by_email(&email.normalized()).await?.is_some() {
            return Err(Error::conflict("this e-mail address is already registered"));
        }
        let slug = self.free_slug(tx.as_mut(), &tenant_name).await?;
        let tenant = Tenant { id: self.app.new_id(), name: tenant_name, slug, created_at: now };
        let user = User {
            id: self.app.new_id(),
            email,
            full_name,
            password_hash,
            is_active: false,
            email_verified_at: None,
            is_operator: false,
            created_at: now,
        };
        let membership = Membership {
            id: self.app.new_id(),
            tenant_id: tenant.id,
            user_id: user.id,
            role: Role::Admin,
            created_at: now,
        };
        let token = generate_secret("");
        let verification = EmailVerification {
            id: self.app.new_id(),
            user_id: user.id,
            tenant_id: tenant.id,
            token_hash: TokenHash::of(token.expose()),
            expires_at: now + self.app.inner.config.verification_ttl,
            used_at: None,
            created_at: now,
        };
        tx.insert_tenant(&tenant).await?;
        tx.insert_user(&user).await?;
        tx.insert_membership(&membership).await?;
        tx.insert_email_verification(&verification).await?;
        tx.insert_audit(&[self.app.audit_entry(
            tenant.id,
            Some(user.id),
            request_id,
            "tenant.register",
            ("tenant", Some(tenant.id.to_string())),
            json!({"email": user.email, "tenant_slug": tenant.slug}),
        )])
        .await?;
        tx.commit().await?;
        Ok(Registration { user, tenant, membership, verification_token: token })
    }

    async fn free_slug(&self, tx: &mut dyn Tx, name: &str) -> Result<String> {
        let base = slugify(name);
        for n in 1..=SLUG_ATTEMPTS {
            let c = candidate(&base, n);
            if !tx.tenant_slug_exists(&c).await? {
                return Ok(c);
            }
        }
        // Fall back to a random suffix rather than failing a registration.
        let rnd = generate_secret("");
        let suffix: String = rnd.expose().chars().filter(char::is_ascii_alphanumeric).take(8).collect();
        Ok(format!("{base}-{}", suffix.to_ascii_lowercase()))
    }

    /// Issues a fresh verification token for an unverified user. Returns
    /// `None` when there is nothing to verify (unknown address or already
    /// active) so hosts can answer identically either way.
    pub async fn resend_verification(&self, email: &str) -> Result<Option<(User, Secret)>> {
        let Ok(email) = EmailAddress::parse(email) else { return Ok(None) };
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let Some(user) = tx.find_user_by_email(&email.normalized()).await? else { return Ok(None) };
        self.issue_verification_in(tx, user).await
    }

    /// The unverified account behind `email`, if any (the address of a
    /// verification e-mail job; reveals nothing to callers, who always
    /// answer alike).
    pub async fn unverified_user(&self, email: &str) -> Result<Option<UserId>> {
        let Ok(email) = EmailAddress::parse(email) else { return Ok(None) };
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        Ok(tx.find_user_by_email(&email.normalized()).await?.filter(|u| !u.is_active).map(|u| u.id))
    }

    /// Issues a fresh verification token for an unverified user, for the
    /// e-mail job that sends it (`None` when the user is gone or verified).
    pub async fn issue_verification_for(&self, user: UserId) -> Result<Option<(User, Secret)>> {
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let Some(user) = tx.get_user(user).await? else { return Ok(None) };
        self.issue_verification_in(tx, user).await
    }

    async fn issue_verification_in(&self, mut tx: Box<dyn Tx>, user: User) -> Result<Option<(User, Secret)>> {
        let now = self.now();
        if user.is_active {
            return Ok(None);
        }
        let Some(first) = tx.list_memberships_of_user(user.id).await?.into_iter().next() else {
            return Ok(None);
        };
        let token = generate_secret("");
        tx.insert_email_verification(&EmailVerification {
            id: self.app.new_id(),
            user_id: user.id,
            tenant_id: first.tenant_id,
            token_hash: TokenHash::of(token.expose()),
            expires_at: now + self.app.inner.config.verification_ttl,
            used_at: None,
            created_at: now,
        })
        .await?;
        tx.commit().await?;
        Ok(Some((user, token)))
    }

    /// Gives a pending, unexpired invitation a fresh token (the one the
    /// invitation e-mail job sends; earlier tokens stop working), with its
    /// tenant for the message. `None` when it is no longer pending.
    pub async fn reissue_invitation(
        &self,
        tenant: TenantId,
        id: InvitationId,
    ) -> Result<Option<(Invitation, Tenant, Secret)>> {
        let now = self.now();
        let mut tx = self.app.inner.store.begin(Scope::Tenant(tenant)).await?;
        let Some(inv) = tx.get_invitation(tenant, id).await? else { return Ok(None) };
        if inv.status != InvitationStatus::Pending || inv.expires_at <= now {
            return Ok(None);
        }
        let Some(t) = tx.get_tenant(tenant).await? else { return Ok(None) };
        let token = generate_secret("");
        tx.update_invitation_token(tenant, id, &TokenHash::of(token.expose())).await?;
        tx.commit().await?;
        Ok(Some((inv, t, token)))
    }

    /// Verifies an e-mail address with the token from the verification
    /// e-mail and activates the user. Tokens are single-use and expire
    /// after 24 hours.
    pub async fn verify_email(&self, token: &str, request_id: Option<&str>) -> Result<User> {
        let now = self.now();
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let v =
            tx.find_email_verification(&TokenHash::of(token.trim())).await?.ok_or(AuthError::UnknownVerification)?;
        if v.used_at.is_some() {
            return Err(AuthError::VerificationUsed.into());
        }
        if v.expires_at <= now {
            return Err(AuthError::VerificationExpired.into());
        }
        let mut user = tx.get_user(v.user_id).await?.ok_or(AuthError::UnknownVerification)?;
        user.is_active = true;
        user.email_verified_at.get_or_insert(now);
        tx.update_user(&user).await?;
        tx.mark_email_verification_used(&v, now).await?;
        tx.insert_audit(&[self.app.audit_entry(
            v.tenant_id,
            Some(user.id),
            request_id,
            "user.verify_email",
            ("user", Some(user.id.to_string())),
            json!({}),
        )])
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Checks e-mail address and password and issues a token for one of the
    /// user's tenants. Refused until the address is verified.
    pub async fn login(&self, req: LoginRequest, request_id: Option<&str>) -> Result<LoginResult> {
        let hasher = &self.app.inner.config.password_hasher;
        let Ok(email) = EmailAddress::parse(&req.email) else {
            hasher.burn(&req.password);
            return Err(AuthError::InvalidCredentials.into());
        };
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let Some(user) = tx.find_user_by_email(&email.normalized()).await? else {
            hasher.burn(&req.password);
            return Err(AuthError::InvalidCredentials.into());
        };
        if !hasher.verify(&req.password, &user.password_hash) {
            return Err(AuthError::InvalidCredentials.into());
        }
        if !user.is_active {
            return Err(AuthError::EmailNotVerified.into());
        }
        let memberships = tx.list_memberships_of_user(user.id).await?;
        let mut chosen = None;
        for m in memberships {
            let tenant = tx.get_tenant(m.tenant_id).await?.ok_or_else(|| Error::not_found("tenant"))?;
            match &req.tenant_slug {
                Some(slug) if &tenant.slug != slug => continue,
                _ => {
                    chosen = Some((m, tenant));
                    break;
                }
            }
        }
        let (membership, tenant) = chosen.ok_or(AuthError::NoTenant)?;
        let now = self.now();
        let expires_at = self.app.inner.config.login_token_ttl.map(|ttl| now + ttl);
        let issued = self.new_token(tenant.id, user.id, Some("login".into()), expires_at);
        tx.insert_api_token(&issued.token).await?;
        tx.insert_audit(&[self.app.audit_entry(
            tenant.id,
            Some(user.id),
            request_id,
            "auth.login",
            ("api_token", Some(issued.token.id.to_string())),
            json!({}),
        )])
        .await?;
        tx.commit().await?;
        Ok(LoginResult { issued, tenant, user, role: membership.role })
    }

    fn new_token(
        &self,
        tenant: TenantId,
        user: UserId,
        name: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    ) -> IssuedToken {
        let secret = generate_secret(API_TOKEN_PREFIX);
        let prefix: String = secret.expose().chars().take(API_TOKEN_PREFIX.len() + 6).collect();
        let token = ApiToken {
            id: self.app.new_id(),
            tenant_id: tenant,
            user_id: user,
            name,
            token_hash: TokenHash::of(secret.expose()),
            prefix,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            created_at: self.now(),
        };
        IssuedToken { token, secret }
    }

    /// Resolves a presented token to the user and tenant it acts for, or
    /// says precisely why it can't: unknown, revoked, expired, or the user
    /// is no longer an active member.
    pub async fn authenticate(&self, secret: &str) -> Result<Principal> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(AuthError::MissingCredentials.into());
        }
        let now = self.now();
        let hash = TokenHash::of(secret);
        let cache = &self.app.inner.auth_cache;
        if let Some(p) = cache.get(&hash, now) {
            return Ok(p);
        }
        // Read before the database, so a revocation committed meanwhile
        // keeps this answer out of the cache.
        let generation = cache.generation();
        // Token look-up precedes knowing the tenant: the one system-scope
        // read on the request path. Read-only; the occasional last-used
        // stamp is written in its own short transaction below.
        let mut tx = self.app.inner.store.begin_read(Scope::System).await?;
        let found = tx.find_token_principal(&hash).await?.ok_or(AuthError::UnknownToken)?;
        let token = found.token;
        if token.revoked_at.is_some() {
            return Err(AuthError::RevokedToken.into());
        }
        if token.expires_at.is_some_and(|e| e <= now) {
            return Err(AuthError::ExpiredToken.into());
        }
        let role = found.role.ok_or(AuthError::MembershipGone)?;
        if !found.user_active {
            return Err(AuthError::MembershipGone.into());
        }
        let stale = token.last_used_at.is_none_or(|t| now - t >= self.app.inner.config.token_touch_interval);
        drop(tx);
        if stale {
            let mut w = self.app.inner.store.begin(Scope::Tenant(token.tenant_id)).await?;
            w.touch_api_token(token.tenant_id, token.id, now).await?;
            w.commit().await?;
        }
        let principal = Principal {
            user_id: token.user_id,
            tenant_id: token.tenant_id,
            role,
            token_id: Some(token.id),
            is_operator: found.user_operator,
            request_id: None,
        };
        cache.insert(generation, hash, &principal, token.expires_at, now);
        Ok(principal)
    }

    /// Grants or withdraws the operator flag of a user (installation
    /// administration; only the command line calls this).
    pub async fn set_operator(&self, email: &str, is_operator: bool) -> Result<User> {
        let email = EmailAddress::parse(email).map_err(ValidationErrors::from)?;
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let mut user = tx.find_user_by_email(&email.normalized()).await?.ok_or_else(|| Error::not_found("user"))?;
        user.is_operator = is_operator;
        tx.update_user(&user).await?;
        tx.commit().await?;
        self.app.inner.auth_cache.invalidate();
        Ok(user)
    }

    /// The principal's user, tenant and role.
    pub async fn me(&self, p: &Principal) -> Result<(User, Tenant, Role)> {
        let mut tx = self.tenant_read(p).await?;
        let user = tx.get_user(p.user_id).await?.ok_or_else(|| Error::not_found("user"))?;
        let tenant = tx.get_tenant(p.tenant_id).await?.ok_or_else(|| Error::not_found("tenant"))?;
        Ok((user, tenant, p.role))
    }

    /// The principal's tenant.
    pub async fn tenant(&self, p: &Principal) -> Result<Tenant> {
        let mut tx = self.tenant_read(p).await?;
        tx.get_tenant(p.tenant_id).await?.ok_or_else(|| Error::not_found("tenant"))
    }

    /// Issues a new token for the principal's user in the principal's tenant.
    pub async fn create_token(&self, p: &Principal, req: TokenRequest) -> Result<IssuedToken> {
        let mut errs = ValidationErrors::default();
        let name = errs.check(optional_text("name", req.name.as_deref(), 100));
        if req.expires_at.is_some_and(|e| e <= self.now()) {
            errs.push(crate::validation::Violation::new("expires_at", "must be in the future"));
        }
        let name = errs.into_result(name)?.flatten();
        let issued = self.new_token(p.tenant_id, p.user_id, name, req.expires_at.map(crate::adapters::to_micros));
        let mut tx = self.tenant_tx(p).await?;
        tx.insert_api_token(&issued.token).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "api_token.create",
            "api_token",
            issued.token.id.to_string(),
            json!({"name": issued.token.name}),
        )])
        .await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// The principal's own tokens.
    pub async fn list_tokens(&self, p: &Principal) -> Result<Vec<ApiToken>> {
        let mut tx = self.tenant_read(p).await?;
        Ok(tx.list_api_tokens(p.tenant_id, Some(p.user_id)).await?)
    }

    /// Every token of the tenant (admins).
    pub async fn list_all_tokens(&self, p: &Principal) -> Result<Vec<ApiToken>> {
        authorize(p, Action::ListAllTokens)?;
        let mut tx = self.tenant_read(p).await?;
        Ok(tx.list_api_tokens(p.tenant_id, None).await?)
    }

    /// Revokes a token: the owner's own, or any of the tenant's for admins.
    /// Revoking an already revoked token is a no-op.
    pub async fn revoke_token(&self, p: &Principal, id: ApiTokenId) -> Result<ApiToken> {
        let mut tx = self.tenant_tx(p).await?;
        let mut token = tx.get_api_token(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("api_token"))?;
        if token.user_id != p.user_id && p.role != crate::tenancy::Role::Admin {
            // Members can't see other members' tokens: answer as for a missing one.
            return Err(Error::not_found("api_token"));
        }
        authorize(p, Action::RevokeToken { owner: token.user_id })?;
        if token.revoked_at.is_none() {
            let now = self.now();
            tx.revoke_api_token(p.tenant_id, id, now).await?;
            token.revoked_at = Some(now);
            tx.insert_audit(&[self.app.audit_by(p, "api_token.revoke", "api_token", id.to_string(), json!({}))])
                .await?;
            tx.commit().await?;
            self.app.inner.auth_cache.invalidate();
        }
        Ok(token)
    }

    /// Revokes the token the principal authenticated with (log-out).
    pub async fn logout(&self, p: &Principal) -> Result<()> {
        match p.token_id {
            Some(id) => self.revoke_token(p, id).await.map(|_| ()),
            None => Ok(()),
        }
    }

    /// Invites an e-mail address to the tenant with a role (admins). The
    /// returned token goes into the invitation e-mail.
    pub async fn invite(&self, p: &Principal, email: &str, role: Role) -> Result<IssuedInvitation> {
        authorize(p, Action::ManageInvitations)?;
        let email = EmailAddress::parse(email).map_err(ValidationErrors::from)?;
        let now = self.now();
        let mut tx = self.tenant_tx(p).await?;
        if let Some(u) = tx.find_user_by_email(&email.normalized()).await? {
            if tx.get_membership(p.tenant_id, u.id).await?.is_some() {
                return Err(Error::conflict("the user is already a member of this tenant"));
            }
        }
        let token = generate_secret("");
        let invitation = Invitation {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            email,
            role,
            token_hash: TokenHash::of(token.expose()),
            status: InvitationStatus::Pending,
            invited_by: p.user_id,
            expires_at: now + self.app.inner.config.invitation_ttl,
            created_at: now,
            accepted_at: None,
        };
        tx.insert_invitation(&invitation).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "invitation.create",
            "invitation",
            invitation.id.to_string(),
            json!({"email": invitation.email, "role": role}),
        )])
        .await?;
        tx.commit().await?;
        Ok(IssuedInvitation { invitation, token })
    }

    /// The tenant's invitations (admins); pending ones past their expiry
    /// are reported as expired.
    pub async fn list_invitations(&self, p: &Principal) -> Result<Vec<Invitation>> {
        authorize(p, Action::ManageInvitations)?;
        let now = self.now();
        let mut tx = self.tenant_read(p).await?;
        let mut list = tx.list_invitations(p.tenant_id).await?;
        for i in &mut list {
            if i.status == InvitationStatus::Pending && i.expires_at <= now {
                i.status = InvitationStatus::Expired;
            }
        }
        Ok(list)
    }

    /// Withdraws a pending invitation (admins).
    pub async fn revoke_invitation(&self, p: &Principal, id: InvitationId) -> Result<Invitation> {
        authorize(p, Action::ManageInvitations)?;
        let mut tx = self.tenant_tx(p).await?;
        let mut inv = tx.get_invitation(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("invitation"))?;
        if inv.status != InvitationStatus::Pending {
            return Err(Error::conflict(format!("the invitation is {}, not pending", inv.status.as_str())));
        }
        tx.update_invitation_status(p.tenant_id, id, InvitationStatus::Revoked, None).await?;
        inv.status = InvitationStatus::Revoked;
        tx.insert_audit(&[self.app.audit_by(p, "invitation.revoke", "invitation", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(inv)
    }

    /// What an invitation link offers, for the page that asks the invitee
    /// to accept: the tenant's name, the invited address, the role and
    /// whether it can still be accepted. Nothing else of the tenant.
    pub async fn preview_invitation(&self, token: &str) -> Result<InvitationPreview> {
        let now = self.now();
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let inv =
            tx.find_invitation_by_token(&TokenHash::of(token.trim())).await?.ok_or(AuthError::UnknownInvitation)?;
        let tenant = tx.get_tenant(inv.tenant_id).await?.ok_or(AuthError::UnknownInvitation)?;
        let account_exists = tx.find_user_by_email(&inv.email.normalized()).await?.is_some();
        let status = match inv.status {
            InvitationStatus::Pending if inv.expires_at <= now => InvitationStatus::Expired,
            s => s,
        };
        Ok(InvitationPreview {
            tenant_name: tenant.name,
            email: inv.email,
            role: inv.role,
            status,
            expires_at: inv.expires_at,
            account_exists,
        })
    }

    /// Accepts an invitation by its token. A new address gets a new,
    /// already verified account (the token proves the mailbox); an existing,
    /// verified account is linked. Returns the user and the new membership.
    pub async fn accept_invitation(
        &self,
        req: AcceptInvitation,
        request_id: Option<&str>,
    ) -> Result<(User, Membership)> {
        let now = self.now();
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        let inv =
            tx.find_invitation_by_token(&TokenHash::of(req.token.trim())).await?.ok_or(AuthError::UnknownInvitation)?;
        match inv.status {
            InvitationStatus::Pending if inv.expires_at <= now => {
                tx.update_invitation_status(inv.tenant_id, inv.id, InvitationStatus::Expired, None).await?;
                tx.commit().await?;
                return Err(AuthError::InvitationExpired.into());
            }
            InvitationStatus::Pending => {}
            InvitationStatus::Expired => return Err(AuthError::InvitationExpired.into()),
            InvitationStatus::Accepted | InvitationStatus::Revoked => {
                return Err(AuthError::InvitationNotPending.into())
            }
        }
        let user = match tx.find_user_by_email(&inv.email.normalized()).await? {
            Some(u) if !u.is_active => return Err(AuthError::InviteeNotVerified.into()),
            Some(u) => u,
            None => {
                let mut errs = ValidationErrors::default();
                let full_name = errs.check(optional_text("full_name", req.full_name.as_deref(), 200));
                let hash = match req.password.as_deref() {
                    Some(pw) => errs.check(self.app.inner.config.password_hasher.hash(pw)),
                    None => {
                        errs.push(crate::validation::Violation::new("password", "is required for a new account"));
                        None
                    }
                };
                let (Some(full_name), Some(password_hash)) = (full_name, hash) else { return Err(errs.into()) };
                let u = User {
                    id: self.app.new_id(),
                    email: inv.email.clone(),
                    full_name,
                    password_hash,
                    is_active: true,
                    email_verified_at: Some(now),
                    is_operator: false,
                    created_at: now,
                };
                tx.insert_user(&u).await?;
                u
            }
        };
        if tx.get_membership(inv.tenant_id, user.id).await?.is_some() {
            return Err(Error::conflict("the user is already a member of this tenant"));
        }
        let membership = Membership {
            id: self.app.new_id(),
            tenant_id: inv.tenant_id,
            user_id: user.id,
            role: inv.role,
            created_at: now,
        };
        tx.insert_membership(&membership).await?;
        tx.update_invitation_status(inv.tenant_id, inv.id, InvitationStatus::Accepted, Some(now)).await?;
        tx.insert_audit(&[self.app.audit_entry(
            inv.tenant_id,
            Some(user.id),
            request_id,
            "invitation.accept",
            ("invitation", Some(inv.id.to_string())),
            json!({"role": inv.role}),
        )])
        .await?;
        tx.commit().await?;
        Ok((user, membership))
    }

    /// The tenant's members.
    pub async fn list_members(&self, p: &Principal) -> Result<Vec<Member>> {
        authorize(p, Action::ReadTenantData)?;
        let mut tx = self.tenant_read(p).await?;
        Ok(tx.list_members(p.tenant_id).await?)
    }

    /// Changes a member's role (admins). The last admin can't be demoted.
    pub async fn change_role(&self, p: &Principal, user: UserId, role: Role) -> Result<Membership> {
        authorize(p, Action::ChangeRole)?;
        let mut tx = self.tenant_tx(p).await?;
        tx.lock_tenant(p.tenant_id).await?;
        let mut m = tx.get_membership(p.tenant_id, user).await?.ok_or_else(|| Error::not_found("member"))?;
        if m.role == role {
            return Ok(m);
        }
        check_admin_retained(tx.count_admins(p.tenant_id).await?, m.role, Some(role))?;
        tx.update_membership_role(p.tenant_id, user, role).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "member.change_role",
            "user",
            user.to_string(),
            json!({"from": m.role, "to": role}),
        )])
        .await?;
        tx.commit().await?;
        self.app.inner.auth_cache.invalidate();
        m.role = role;
        Ok(m)
    }

    /// Removes a member (admins, or a member leaving). The last admin can't
    /// be removed. The member's tokens for this tenant stop working at once
    /// (authentication requires a membership).
    pub async fn remove_member(&self, p: &Principal, user: UserId) -> Result<()> {
        authorize(p, Action::RemoveMember { target: user })?;
        let mut tx = self.tenant_tx(p).await?;
        tx.lock_tenant(p.tenant_id).await?;
        let m = tx.get_membership(p.tenant_id, user).await?.ok_or_else(|| Error::not_found("member"))?;
        check_admin_retained(tx.count_admins(p.tenant_id).await?, m.role, None)?;
        tx.delete_membership(p.tenant_id, user).await?;
        tx.insert_audit(&[self.app.audit_by(p, "member.remove", "user", user.to_string(), json!({"role": m.role}))])
            .await?;
        tx.commit().await?;
        self.app.inner.auth_cache.invalidate();
        Ok(())
    }
}
