//! Tenancy: tenants, users (Argon2id passwords, inactive until the e-mail
//! address is verified), memberships with roles, invitations (7 days), API
//! tokens (random, stored hashed, optional expiry) and e-mail verification
//! (24 hours). The service ([`TenancyService`]) registers, verifies, logs
//! in, issues and authenticates tokens, and manages members.

mod auth_cache;
mod errors;
pub mod model;
pub mod secrets;
mod service;
pub mod slug;

pub(crate) use auth_cache::AuthCache;
pub use errors::AuthError;
pub use model::{
    ApiToken, EmailAddress, EmailVerification, Invitation, InvitationStatus, Member, Membership, Role, Tenant,
    TokenPrincipal, User,
};
pub use secrets::{PasswordHash, PasswordHasher, Secret, TokenHash};
pub use service::{
    AcceptInvitation, InvitationPreview, IssuedInvitation, IssuedToken, LoginRequest, LoginResult, Registration,
    RegistrationRequest, TenancyService, TokenRequest,
};
