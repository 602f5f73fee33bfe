//! Typed identifiers, so a tenant id can never be passed where a user id is
//! expected. All are UUIDs (v7, time-ordered, from the id port).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(u: Uuid) -> Self {
                Self(u)
            }
        }
    };
}

id_type!(
    /// A customer of CertWatch (not a supplier).
    TenantId
);
id_type!(
    /// A person who can log in.
    UserId
);
id_type!(
    /// A user's membership in a tenant.
    MembershipId
);
id_type!(
    /// An invitation to join a tenant.
    InvitationId
);
id_type!(
    /// An API token.
    ApiTokenId
);
id_type!(
    /// A pending e-mail verification.
    EmailVerificationId
);
id_type!(
    /// A tracked supplier.
    OrganizationId
);
id_type!(
    /// A location of a supplier.
    SiteId
);
id_type!(
    /// A compliance certificate.
    CertificateId
);
id_type!(
    /// An outbox event.
    EventId
);
id_type!(
    /// An audit ledger entry.
    AuditId
);
