//! `/api/admin/`: installation-wide status for operators. The host wraps
//! this prefix in the admin IP allow-list; the core refuses anyone who is
//! not an operator, whatever their tenant role.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};

use super::common::{Reply, TokenAuth};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Operator endpoints (operator accounts only; IP allow-list).
    Admin,
}

/// Counts across every tenant (aggregates only, never tenant data).
#[derive(Object, Debug, Clone)]
pub struct SystemStatus {
    /// Tenants.
    pub tenants: u64,
    /// Users.
    pub users: u64,
    /// Organizations of every tenant.
    pub organizations: u64,
    /// Certificates of every tenant.
    pub certificates: u64,
    /// Certificates per status (`ACTIVE`, `EXPIRED`, …).
    pub certificates_by_status: BTreeMap<String, u64>,
    /// Outbox events not yet published.
    pub outbox_pending: u64,
}

impl From<certwatch_core::operations::SystemStatus> for SystemStatus {
    fn from(s: certwatch_core::operations::SystemStatus) -> Self {
        Self {
            tenants: s.tenants,
            users: s.users,
            organizations: s.organizations,
            certificates: s.certificates,
            certificates_by_status: s.certificates_by_status,
            outbox_pending: s.outbox_pending,
        }
    }
}

/// Operator endpoints.
pub struct AdminApi {
    pub(super) state: Arc<State>,
}

#[OpenApi(prefix_path = "/api/admin", tag = "Tag::Admin")]
impl AdminApi {
    /// Installation-wide counts: tenants, users, organizations,
    /// certificates by status, pending outbox events. Operators only.
    #[oai(path = "/status", method = "get", operation_id = "admin_status")]
    async fn status(&self, auth: TokenAuth) -> Reply<Json<SystemStatus>> {
        Reply::map(self.state.core.operations().system_status(&auth.0).await, |s| Json(s.into()))
    }
}
