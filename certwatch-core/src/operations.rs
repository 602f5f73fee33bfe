//! Installation-wide operational facts for operators (`/api/admin/`):
//! how many tenants, users, organizations and certificates exist, and how
//! much of the outbox awaits delivery. Aggregates only — never another
//! tenant's data.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::authz::{authorize, Action, Principal};
use crate::ports::Scope;
use crate::{CertWatch, Result};

/// Counts across every tenant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SystemStatus {
    /// Tenants.
    pub tenants: u64,
    /// Users.
    pub users: u64,
    /// Organizations of every tenant.
    pub organizations: u64,
    /// Certificates of every tenant.
    pub certificates: u64,
    /// Certificates per status name.
    pub certificates_by_status: BTreeMap<String, u64>,
    /// Outbox events not yet published.
    pub outbox_pending: u64,
}

/// Operator operations.
#[derive(Debug, Clone, Copy)]
pub struct OperationsService<'a> {
    app: &'a CertWatch,
}

impl<'a> OperationsService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    /// System-wide counts; operators only.
    pub async fn system_status(&self, p: &Principal) -> Result<SystemStatus> {
        authorize(p, Action::OperateSystem)?;
        let mut tx = self.app.inner.store.begin(Scope::System).await?;
        Ok(tx.system_status().await?)
    }
}
