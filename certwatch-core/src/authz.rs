//! Every permission predicate of the tenancy, supplier and certificate
//! services, in one place.
//!
//! A [`Principal`] acts in exactly one tenant (the one its token belongs
//! to); every service opens its transaction in that tenant's scope, so
//! cross-tenant access is impossible by construction and the predicates here
//! only decide what a role may do inside its tenant:
//!
//! | action | member | admin |
//! |---|---|---|
//! | read tenant data (suppliers, certificates, members, own tokens) | yes | yes |
//! | write suppliers and certificates, transitions | yes | yes |
//! | invite, list/revoke invitations, change roles, read the audit ledger | no | yes |
//! | remove a member | only themself | yes |
//! | revoke a token | only their own | yes |
//! | list every token of the tenant | no | yes |
//! | read webhook subscribers, subscriptions, deliveries | yes | yes |
//! | manage webhooks (subscribers, keys, subscriptions, redeliver, test) | no | yes |
//! | read system-wide status (`/api/admin/`) | operators only, whatever their role | |
//!
//! Plus the invariant [`check_admin_retained`]: no change may leave a tenant
//! without an admin.

use crate::ids::{ApiTokenId, TenantId, UserId};
use crate::tenancy::Role;
use crate::Error;

/// An authenticated caller: a user acting in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Who.
    pub user_id: UserId,
    /// In which tenant.
    pub tenant_id: TenantId,
    /// With which role there.
    pub role: Role,
    /// The token that authenticated the call, if one did.
    pub token_id: Option<ApiTokenId>,
    /// Whether the user operates the installation (system-wide status).
    pub is_operator: bool,
    /// The request being served, for the audit ledger and logs.
    pub request_id: Option<String>,
}

impl Principal {
    /// The same principal, tagged with a request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }
}

/// Something a principal wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read suppliers, certificates, members, the tenant, own tokens.
    ReadTenantData,
    /// Create, change or delete suppliers, sites, certificates; transitions.
    WriteTenantData,
    /// Invite users, list and revoke invitations.
    ManageInvitations,
    /// Change a member's role.
    ChangeRole,
    /// Remove `target` from the tenant.
    RemoveMember {
        /// The member to remove.
        target: UserId,
    },
    /// Revoke a token owned by `owner`.
    RevokeToken {
        /// The token's user.
        owner: UserId,
    },
    /// List the tokens of every member.
    ListAllTokens,
    /// Read the audit ledger.
    ReadAudit,
    /// Create, change, rotate or delete webhook subscribers and
    /// subscriptions; redeliver; send test events. Admins only: a
    /// subscriber receives every matching event of the tenant.
    ManageWebhooks,
    /// Read system-wide operational status (operators only, any tenant role).
    OperateSystem,
}

/// Whether `p` may perform `a`.
pub fn is_allowed(p: &Principal, a: Action) -> bool {
    let admin = p.role == Role::Admin;
    match a {
        Action::ReadTenantData | Action::WriteTenantData => true,
        Action::ManageInvitations
        | Action::ChangeRole
        | Action::ListAllTokens
        | Action::ReadAudit
        | Action::ManageWebhooks => admin,
        Action::RemoveMember { target } => admin || target == p.user_id,
        Action::RevokeToken { owner } => admin || owner == p.user_id,
        Action::OperateSystem => p.is_operator,
    }
}

/// [`is_allowed`] as a `Result`, naming the missing permission.
pub fn authorize(p: &Principal, a: Action) -> Result<(), Error> {
    if is_allowed(p, a) {
        Ok(())
    } else {
        Err(Error::Forbidden {
            reason: match a {
                Action::RemoveMember { .. } => "only admins can remove other members",
                Action::RevokeToken { .. } => "only admins can revoke other members' tokens",
                Action::OperateSystem => "this action needs an operator account",
                _ => "this action needs the admin role",
            },
        })
    }
}

/// The last-admin rule: a change that takes the admin role away from a
/// member (`new_role` is `None` for removal) is refused when that member is
/// one of `admin_count` admins and the only one.
pub fn check_admin_retained(admin_count: u64, target_role: Role, new_role: Option<Role>) -> Result<(), Error> {
    let loses_admin = target_role == Role::Admin && new_role != Some(Role::Admin);
    if loses_admin && admin_count <= 1 {
        Err(Error::LastAdmin)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use uuid::Uuid;

    fn principal(role: Role, user: u128) -> Principal {
        Principal {
            user_id: UserId(Uuid::from_u128(user)),
            tenant_id: TenantId(Uuid::from_u128(1)),
            role,
            token_id: None,
            is_operator: false,
            request_id: None,
        }
    }

    fn role() -> impl Strategy<Value = Role> {
        prop::sample::select(vec![Role::Admin, Role::Member])
    }

    fn action() -> impl Strategy<Value = Action> {
        prop_oneof![
            Just(Action::ReadTenantData),
            Just(Action::WriteTenantData),
            Just(Action::ManageInvitations),
            Just(Action::ChangeRole),
            Just(Action::ListAllTokens),
            Just(Action::ReadAudit),
            Just(Action::ManageWebhooks),
            Just(Action::OperateSystem),
            (0u128..4).prop_map(|u| Action::RemoveMember { target: UserId(Uuid::from_u128(u)) }),
            (0u128..4).prop_map(|u| Action::RevokeToken { owner: UserId(Uuid::from_u128(u)) }),
        ]
    }

    proptest! {
        /// Admins may do everything in their tenant; members exactly the
        /// non-admin rows of the table; only operators operate the system.
        #[test]
        fn permission_table(r in role(), a in action(), me in 0u128..4, operator in any::<bool>()) {
            let mut p = principal(r, me);
            p.is_operator = operator;
            let allowed = is_allowed(&p, a);
            let expected = match (r, a) {
                (_, Action::OperateSystem) => operator,
                (Role::Admin, _) => true,
                (_, Action::ReadTenantData | Action::WriteTenantData) => true,
                (_, Action::RemoveMember { target }) => target == p.user_id,
                (_, Action::RevokeToken { owner }) => owner == p.user_id,
                _ => false,
            };
            prop_assert_eq!(allowed, expected);
            prop_assert_eq!(authorize(&p, a).is_ok(), allowed);
        }

        /// Whatever sequence of role changes and removals is attempted, the
        /// changes the rule lets through never leave a tenant without an admin.
        #[test]
        fn a_tenant_always_keeps_an_admin(
            initial in prop::collection::vec(role(), 1..6),
            ops in prop::collection::vec((0usize..6, prop::option::of(role())), 0..30),
        ) {
            let mut members: Vec<Role> = initial;
            if !members.contains(&Role::Admin) {
                members[0] = Role::Admin;
            }
            for (idx, new_role) in ops {
                if members.is_empty() { break; }
                let i = idx % members.len();
                let admins = members.iter().filter(|r| **r == Role::Admin).count() as u64;
                if check_admin_retained(admins, members[i], new_role).is_ok() {
                    match new_role {
                        Some(r) => members[i] = r,
                        None => { members.remove(i); }
                    }
                }
                prop_assert!(members.contains(&Role::Admin));
            }
        }
    }
}
