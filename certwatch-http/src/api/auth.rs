//! `/api/auth/`: registration and e-mail verification, log-in and log-out,
//! API tokens, the tenant and its members, invitations. Every rule is in
//! `certwatch_core::tenancy`; this module parses, calls it, sends the
//! e-mails the core hands back tokens for, and maps the results.

use std::sync::Arc;

use certwatch_core::ids::{ApiTokenId, InvitationId, UserId};
use certwatch_core::tenancy as core;
use chrono::{DateTime, Utc};
use poem::Request;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{request_id, Accepted, Created, Message, NoContent, Reply, TokenAuth};
use super::State;
use crate::problem::{ApiError, Problem};

#[derive(Tags)]
enum Tag {
    /// Registration, log-in, tokens, the tenant, its members and invitations.
    Auth,
}

/// A member's role in a tenant.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum Role {
    /// Manages members, invitations and every token of the tenant.
    Admin,
    /// Works with the tenant's data.
    Member,
}

impl From<core::Role> for Role {
    fn from(r: core::Role) -> Self {
        match r {
            core::Role::Admin => Role::Admin,
            core::Role::Member => Role::Member,
        }
    }
}

impl From<Role> for core::Role {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => core::Role::Admin,
            Role::Member => core::Role::Member,
        }
    }
}

/// Where an invitation stands.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Sent, not yet used, not expired.
    Pending,
    /// Used to join the tenant.
    Accepted,
    /// Not used within 7 days.
    Expired,
    /// Withdrawn by an admin.
    Revoked,
}

impl From<core::InvitationStatus> for InvitationStatus {
    fn from(s: core::InvitationStatus) -> Self {
        match s {
            core::InvitationStatus::Pending => Self::Pending,
            core::InvitationStatus::Accepted => Self::Accepted,
            core::InvitationStatus::Expired => Self::Expired,
            core::InvitationStatus::Revoked => Self::Revoked,
        }
    }
}

/// A person who can log in.
#[derive(Object, Debug, Clone)]
pub struct User {
    /// User id.
    pub id: Uuid,
    /// E-mail address (the login name).
    pub email: String,
    /// Display name.
    pub full_name: Option<String>,
    /// False until the e-mail address is verified.
    pub is_active: bool,
    /// When the e-mail address was verified.
    pub email_verified_at: Option<DateTime<Utc>>,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl From<core::User> for User {
    fn from(u: core::User) -> Self {
        Self {
            id: u.id.0,
            email: u.email.to_string(),
            full_name: u.full_name,
            is_active: u.is_active,
            email_verified_at: u.email_verified_at,
            created_at: u.created_at,
        }
    }
}

/// A customer account of CertWatch.
#[derive(Object, Debug, Clone)]
pub struct Tenant {
    /// Tenant id.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// Unique, URL-safe name (use it as `tenant` at log-in).
    pub slug: String,
    /// When the tenant was created.
    pub created_at: DateTime<Utc>,
}

impl From<core::Tenant> for Tenant {
    fn from(t: core::Tenant) -> Self {
        Self { id: t.id.0, name: t.name, slug: t.slug, created_at: t.created_at }
    }
}

/// Registration of a new user with a new tenant.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct RegisterRequest {
    /// E-mail address; a verification link is sent there.
    pub email: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Name of the tenant to create (the new user becomes its admin).
    pub tenant_name: String,
}

/// The new, not yet verified user and their tenant.
#[derive(Object, Debug, Clone)]
pub struct Registration {
    /// The user (inactive until the e-mail address is verified).
    pub user: User,
    /// The new tenant.
    pub tenant: Tenant,
    /// The user's role in it (admin).
    pub role: Role,
    /// Whether the verification e-mail was queued for sending (a background
    /// job retries it); when false, or when nothing arrives, ask for a new
    /// one with `POST /api/auth/resend-verification`.
    pub verification_email_sent: bool,
}

/// A token from a verification e-mail.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The token.
    pub token: String,
}

/// Request for a new verification e-mail.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct ResendVerificationRequest {
    /// The address registered with.
    pub email: String,
}

/// Log-in credentials.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail address.
    pub email: String,
    /// Password.
    pub password: String,
    /// Slug of the tenant to log in to; the oldest membership when absent.
    pub tenant: Option<String>,
}

/// A successful log-in.
#[derive(Object, Debug, Clone)]
pub struct LoginResult {
    /// The API token, shown only now: send it as `Authorization: Token <token>`.
    pub token: String,
    /// The token's id (to revoke it).
    pub token_id: Uuid,
    /// The tenant logged in to.
    pub tenant: Tenant,
    /// The user.
    pub user: User,
    /// The user's role in the tenant.
    pub role: Role,
    /// When the token stops working.
    pub expires_at: Option<DateTime<Utc>>,
}

/// The caller.
#[derive(Object, Debug, Clone)]
pub struct Me {
    /// The user.
    pub user: User,
    /// The tenant the token acts in.
    pub tenant: Tenant,
    /// The role there.
    pub role: Role,
    /// Whether the user operates the installation (`/api/admin/`).
    pub is_operator: bool,
}

/// An API token (never its secret).
#[derive(Object, Debug, Clone)]
pub struct ApiToken {
    /// Token id.
    pub id: Uuid,
    /// The user it acts for.
    pub user_id: Uuid,
    /// Label.
    pub name: Option<String>,
    /// The first characters of the secret, to recognise it.
    pub prefix: String,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last use (updated at most once a minute).
    pub last_used_at: Option<DateTime<Utc>>,
    /// When it was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

impl From<core::ApiToken> for ApiToken {
    fn from(t: core::ApiToken) -> Self {
        Self {
            id: t.id.0,
            user_id: t.user_id.0,
            name: t.name,
            prefix: t.prefix,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            created_at: t.created_at,
        }
    }
}

/// A new API token for the caller, in the caller's tenant.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct NewToken {
    /// Label.
    pub name: Option<String>,
    /// When it stops working (must be in the future); never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// A newly issued token with its secret, shown only now.
#[derive(Object, Debug, Clone)]
pub struct IssuedToken {
    /// The secret: send it as `Authorization: Token <token>`.
    pub token: String,
    /// Token id.
    pub id: Uuid,
    /// Label.
    pub name: Option<String>,
    /// The first characters of the secret.
    pub prefix: String,
    /// When it stops working.
    pub expires_at: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A member of the tenant.
#[derive(Object, Debug, Clone)]
pub struct Member {
    /// The member's user id.
    pub user_id: Uuid,
    /// E-mail address.
    pub email: String,
    /// Display name.
    pub full_name: Option<String>,
    /// Role in the tenant.
    pub role: Role,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
}

/// A user's membership in the tenant.
#[derive(Object, Debug, Clone)]
pub struct Membership {
    /// The member's user id.
    pub user_id: Uuid,
    /// The tenant.
    pub tenant_id: Uuid,
    /// Role in the tenant.
    pub role: Role,
    /// When the member joined.
    pub joined_at: DateTime<Utc>,
}

impl From<core::Membership> for Membership {
    fn from(m: core::Membership) -> Self {
        Self { user_id: m.user_id.0, tenant_id: m.tenant_id.0, role: m.role.into(), joined_at: m.created_at }
    }
}

/// A role change.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct RoleChange {
    /// The new role.
    pub role: Role,
}

/// An invitation to join the tenant.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewInvitation {
    /// Who is invited; the invitation link is e-mailed there.
    pub email: String,
    /// The role granted on acceptance.
    pub role: Role,
}

/// An invitation (never its token: that is only in the e-mail).
#[derive(Object, Debug, Clone)]
pub struct Invitation {
    /// Invitation id.
    pub id: Uuid,
    /// Who is invited.
    pub email: String,
    /// The role granted on acceptance.
    pub role: Role,
    /// Where it stands.
    pub status: InvitationStatus,
    /// The admin who invited.
    pub invited_by: Uuid,
    /// Until when it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was accepted.
    pub accepted_at: Option<DateTime<Utc>>,
}

/// What an invitation link offers.
#[derive(Object, Debug, Clone)]
pub struct InvitationPreview {
    /// The inviting tenant's name.
    pub tenant_name: String,
    /// The invited address.
    pub email: String,
    /// The role granted on acceptance.
    pub role: Role,
    /// Pending, accepted, expired or revoked.
    pub status: InvitationStatus,
    /// Until when it can be accepted.
    pub expires_at: DateTime<Utc>,
    /// Whether the address already has an account (then no password is needed).
    pub account_exists: bool,
}

impl From<core::Invitation> for Invitation {
    fn from(i: core::Invitation) -> Self {
        Self {
            id: i.id.0,
            email: i.email.to_string(),
            role: i.role.into(),
            status: i.status.into(),
            invited_by: i.invited_by.0,
            expires_at: i.expires_at,
            created_at: i.created_at,
            accepted_at: i.accepted_at,
        }
    }
}

/// Acceptance of an invitation.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The token from the invitation e-mail.
    pub token: String,
    /// Password of the new account (required when the address has no account yet).
    pub password: Option<String>,
    /// Display name of the new account.
    pub full_name: Option<String>,
}

/// The user who joined and their new membership.
#[derive(Object, Debug, Clone)]
pub struct AcceptedInvitation {
    /// The user (created, or the existing account).
    pub user: User,
    /// The new membership.
    pub membership: Membership,
}

/// Authentication and tenancy endpoints.
pub struct AuthApi {
    pub(super) state: Arc<State>,
}

impl AuthApi {
    fn tenancy(&self) -> core::TenancyService<'_> {
        self.state.core.tenancy()
    }

    async fn verify(&self, req: &Request, token: &str) -> Reply<Json<User>> {
        Reply::map(self.tenancy().verify_email(token, request_id(req).as_deref()).await, |u| Json(u.into()))
    }
}

#[OpenApi(prefix_path = "/api/auth", tag = "Tag::Auth")]
impl AuthApi {
    /// Registers a user and a new tenant with the user as its admin, and
    /// queues the e-mail with a verification link (a background job, 3
    /// attempts with backoff). The user can log in once the address is
    /// verified.
    #[oai(path = "/register", method = "post", operation_id = "auth_register")]
    async fn register(&self, req: &Request, body: Json<RegisterRequest>) -> Reply<Created<Registration>> {
        Reply::run(async {
            let b = body.0;
            let reg = self
                .tenancy()
                .register(
                    core::RegistrationRequest {
                        email: b.email,
                        password: b.password,
                        full_name: b.full_name,
                        tenant_name: b.tenant_name,
                    },
                    request_id(req).as_deref(),
                )
                .await?;
            // The job issues the token it mails; the one registration made stays unused.
            let sent = crate::mail_jobs::enqueue_verification(&self.state.core, reg.user.id, request_id(req)).await;
            Ok(Created::Created(Json(Registration {
                user: reg.user.into(),
                tenant: reg.tenant.into(),
                role: reg.membership.role.into(),
                verification_email_sent: sent,
            })))
        })
        .await
    }

    /// Verifies an e-mail address with the token from the verification
    /// link (the link itself points here). Tokens are single-use and expire
    /// after 24 hours.
    #[oai(path = "/verify-email", method = "get", operation_id = "auth_verify_email_link")]
    async fn verify_email_link(&self, req: &Request, token: Query<String>) -> Reply<Json<User>> {
        self.verify(req, &token.0).await
    }

    /// Verifies an e-mail address with the token from the verification e-mail.
    #[oai(path = "/verify-email", method = "post", operation_id = "auth_verify_email")]
    async fn verify_email(&self, req: &Request, body: Json<VerifyEmailRequest>) -> Reply<Json<User>> {
        self.verify(req, &body.0.token).await
    }

    /// Sends a new verification e-mail if the address belongs to an account
    /// that is not verified yet. Always answers 202, so the answer does not
    /// reveal whether an address is registered.
    #[oai(path = "/resend-verification", method = "post", operation_id = "auth_resend_verification")]
    async fn resend_verification(&self, req: &Request, body: Json<ResendVerificationRequest>) -> Reply<Accepted> {
        Reply::run(async {
            if let Some(user) = self.tenancy().unverified_user(&body.0.email).await? {
                crate::mail_jobs::enqueue_verification(&self.state.core, user, request_id(req)).await;
            }
            Ok(Accepted::Accepted(Json(Message {
                message: "if the address belongs to an unverified account, a new verification e-mail is on its way"
                    .into(),
            })))
        })
        .await
    }

    /// Logs in with e-mail address and password and issues an API token for
    /// one of the user's tenants (the one named by `tenant`, else the oldest
    /// membership). Refused until the e-mail address is verified.
    #[oai(path = "/login", method = "post", operation_id = "auth_login")]
    async fn login(&self, req: &Request, body: Json<LoginRequest>) -> Reply<Json<LoginResult>> {
        let b = body.0;
        let r = self
            .tenancy()
            .login(
                core::LoginRequest { email: b.email, password: b.password, tenant_slug: b.tenant },
                request_id(req).as_deref(),
            )
            .await;
        Reply::map(r, |r| {
            Json(LoginResult {
                token: r.issued.secret.expose().to_owned(),
                token_id: r.issued.token.id.0,
                expires_at: r.issued.token.expires_at,
                tenant: r.tenant.into(),
                user: r.user.into(),
                role: r.role.into(),
            })
        })
    }

    /// Revokes the token this request authenticated with.
    #[oai(path = "/logout", method = "post", operation_id = "auth_logout")]
    async fn logout(&self, auth: TokenAuth) -> Reply<NoContent> {
        Reply::map(self.tenancy().logout(&auth.0).await, |()| NoContent::NoContent)
    }

    /// The caller: user, tenant and role.
    #[oai(path = "/me", method = "get", operation_id = "auth_me")]
    async fn me(&self, auth: TokenAuth) -> Reply<Json<Me>> {
        Reply::map(self.tenancy().me(&auth.0).await, |(user, tenant, role)| {
            Json(Me { user: user.into(), tenant: tenant.into(), role: role.into(), is_operator: auth.0.is_operator })
        })
    }

    /// The caller's API tokens; with `all=true`, every token of the tenant
    /// (admins only).
    #[oai(path = "/tokens", method = "get", operation_id = "auth_list_tokens")]
    async fn list_tokens(
        &self,
        auth: TokenAuth,
        /// List every member's tokens (admins only).
        #[oai(default)]
        all: Query<bool>,
    ) -> Reply<Json<Vec<ApiToken>>> {
        let r = if all.0 {
            self.tenancy().list_all_tokens(&auth.0).await
        } else {
            self.tenancy().list_tokens(&auth.0).await
        };
        Reply::map(r, |ts| Json(ts.into_iter().map(Into::into).collect()))
    }

    /// Issues a new API token for the caller in the caller's tenant. The
    /// secret is in this response only.
    #[oai(path = "/tokens", method = "post", operation_id = "auth_create_token")]
    async fn create_token(&self, auth: TokenAuth, body: Json<NewToken>) -> Reply<Created<IssuedToken>> {
        let req = core::TokenRequest { name: body.0.name, expires_at: body.0.expires_at };
        Reply::map(self.tenancy().create_token(&auth.0, req).await, |i| {
            Created::Created(Json(IssuedToken {
                token: i.secret.expose().to_owned(),
                id: i.token.id.0,
                name: i.token.name,
                prefix: i.token.prefix,
                expires_at: i.token.expires_at,
                created_at: i.token.created_at,
            }))
        })
    }

    /// Revokes a token: one of the caller's own, or any of the tenant's for
    /// admins. Other members' tokens answer 404 to members.
    #[oai(path = "/tokens/:id", method = "delete", operation_id = "auth_revoke_token")]
    async fn revoke_token(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.tenancy().revoke_token(&auth.0, ApiTokenId(id.0)).await, |_| NoContent::NoContent)
    }

    /// The caller's tenant.
    #[oai(path = "/tenant", method = "get", operation_id = "auth_tenant")]
    async fn tenant(&self, auth: TokenAuth) -> Reply<Json<Tenant>> {
        Reply::map(self.tenancy().tenant(&auth.0).await, |t| Json(t.into()))
    }

    /// The tenant's members.
    #[oai(path = "/tenant/members", method = "get", operation_id = "auth_list_members")]
    async fn members(&self, auth: TokenAuth) -> Reply<Json<Vec<Member>>> {
        Reply::map(self.tenancy().list_members(&auth.0).await, |ms| {
            Json(
                ms.into_iter()
                    .map(|m| Member {
                        user_id: m.membership.user_id.0,
                        email: m.email.to_string(),
                        full_name: m.full_name,
                        role: m.membership.role.into(),
                        joined_at: m.membership.created_at,
                    })
                    .collect(),
            )
        })
    }

    /// Changes a member's role (admins). The last admin can't be demoted.
    #[oai(path = "/tenant/members/:user_id", method = "patch", operation_id = "auth_change_role")]
    async fn change_role(
        &self,
        auth: TokenAuth,
        user_id: Path<Uuid>,
        body: Json<RoleChange>,
    ) -> Reply<Json<Membership>> {
        let r = self.tenancy().change_role(&auth.0, UserId(user_id.0), body.0.role.into()).await;
        Reply::map(r, |m| Json(m.into()))
    }

    /// Removes a member (admins; members may remove themselves). The last
    /// admin can't be removed. The member's tokens stop working at once.
    #[oai(path = "/tenant/members/:user_id", method = "delete", operation_id = "auth_remove_member")]
    async fn remove_member(&self, auth: TokenAuth, user_id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.tenancy().remove_member(&auth.0, UserId(user_id.0)).await, |()| NoContent::NoContent)
    }

    /// Invites an e-mail address to the tenant with a role (admins); a
    /// background job e-mails the acceptance link (3 attempts with
    /// backoff). Invitations expire after 7 days. If the e-mail can't be
    /// queued the invitation is withdrawn and the answer is 503.
    #[oai(path = "/invitations", method = "post", operation_id = "auth_invite")]
    async fn invite(&self, auth: TokenAuth, body: Json<NewInvitation>) -> Reply<Created<Invitation>> {
        Reply::run(async {
            let p = &auth.0;
            let issued = self.tenancy().invite(p, &body.0.email, body.0.role.into()).await?;
            let inv = issued.invitation;
            // The e-mail job issues (rotates) the token it sends, so none waits in the queue.
            if !crate::mail_jobs::enqueue_invitation(&self.state.core, p.tenant_id, inv.id, p.request_id.clone()).await
            {
                if let Err(e) = self.tenancy().revoke_invitation(p, inv.id).await {
                    tracing::error!(
                        error = %certwatch_core::audit::redact_text(&e.to_string()),
                        "could not withdraw an invitation whose e-mail could not be queued"
                    );
                }
                return Err(ApiError::from_problem(Problem::status(
                    poem::http::StatusCode::SERVICE_UNAVAILABLE,
                    "the invitation e-mail could not be queued; nothing was created, try again later",
                )));
            }
            Ok(Created::Created(Json(inv.into())))
        })
        .await
    }

    /// The tenant's invitations (admins); pending ones past their expiry are
    /// reported as expired.
    #[oai(path = "/invitations", method = "get", operation_id = "auth_list_invitations")]
    async fn list_invitations(&self, auth: TokenAuth) -> Reply<Json<Vec<Invitation>>> {
        Reply::map(self.tenancy().list_invitations(&auth.0).await, |is| Json(is.into_iter().map(Into::into).collect()))
    }

    /// Withdraws a pending invitation (admins).
    #[oai(path = "/invitations/:id", method = "delete", operation_id = "auth_revoke_invitation")]
    async fn revoke_invitation(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.tenancy().revoke_invitation(&auth.0, InvitationId(id.0)).await, |_| NoContent::NoContent)
    }

    /// What the invitation link offers (the e-mailed link points here): the
    /// tenant's name, the invited address, the role, whether it can still be
    /// accepted and whether the address already has an account.
    #[oai(path = "/invitations/accept", method = "get", operation_id = "auth_preview_invitation")]
    async fn preview_invitation(
        &self,
        /// The token from the invitation e-mail.
        token: Query<String>,
    ) -> Reply<Json<InvitationPreview>> {
        Reply::map(self.tenancy().preview_invitation(&token.0).await, |p| {
            Json(InvitationPreview {
                tenant_name: p.tenant_name,
                email: p.email.to_string(),
                role: p.role.into(),
                status: p.status.into(),
                expires_at: p.expires_at,
                account_exists: p.account_exists,
            })
        })
    }

    /// Accepts an invitation with the token from its e-mail. An address
    /// without an account gets a new, verified account (give `password`);
    /// an existing, verified account joins the tenant.
    #[oai(path = "/invitations/accept", method = "post", operation_id = "auth_accept_invitation")]
    async fn accept_invitation(
        &self,
        req: &Request,
        body: Json<AcceptInvitationRequest>,
    ) -> Reply<Json<AcceptedInvitation>> {
        let b = body.0;
        let r = self
            .tenancy()
            .accept_invitation(
                core::AcceptInvitation { token: b.token, password: b.password, full_name: b.full_name },
                request_id(req).as_deref(),
            )
            .await;
        Reply::map(r, |(user, membership)| {
            Json(AcceptedInvitation { user: user.into(), membership: membership.into() })
        })
    }
}
