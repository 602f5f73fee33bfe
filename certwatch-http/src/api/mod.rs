//! The OpenAPI surface: one module per bounded context, each a thin layer
//! that parses, calls a `certwatch-core` service and maps the result.
//! Errors become RFC 9457 problem documents in one place (`crate::problem`).

mod admin;
mod auth;
mod bulk_upload;
mod certificates;
pub mod common;
mod health;
mod imports;
mod monitoring;
mod organizations;
mod webhooks;

use std::sync::Arc;

use certwatch_core::CertWatch;

pub use admin::AdminApi;
pub use auth::AuthApi;
pub use bulk_upload::BulkUploadApi;
pub use certificates::CertificatesApi;
pub use health::Health;
pub use imports::ImportsApi;
pub use monitoring::MonitoringApi;
pub use organizations::OrganizationsApi;
pub use webhooks::WebhooksApi;

use crate::mail::Mailer;

/// What every handler can reach. Handlers get it as `&self.state` on their
/// API struct; middleware and security checkers get it with
/// `req.data::<Arc<State>>()`.
pub struct State {
    /// The core services.
    pub core: CertWatch,
    /// Where verification and invitation e-mails go.
    pub mailer: Arc<dyn Mailer>,
    /// Public base URL used in e-mailed links, e.g. `http://127.0.0.1:8000`.
    pub public_url: String,
    /// Where bulk-uploaded files are stored.
    pub blobs: Arc<dyn certwatch_core::bulk_upload::BlobStore>,
}

/// All endpoint groups of the OpenAPI document.
pub type Api = (
    Health,
    AuthApi,
    OrganizationsApi,
    CertificatesApi,
    AdminApi,
    WebhooksApi,
    BulkUploadApi,
    ImportsApi,
    MonitoringApi,
);

impl Health {
    /// The endpoint group over shared state.
    pub fn new(state: Arc<State>) -> Self {
        Health { state, recent: Default::default() }
    }
}

/// The endpoint groups over shared state.
pub fn api(state: Arc<State>) -> Api {
    (
        Health::new(state.clone()),
        AuthApi { state: state.clone() },
        OrganizationsApi { state: state.clone() },
        CertificatesApi { state: state.clone() },
        AdminApi { state: state.clone() },
        WebhooksApi { state: state.clone() },
        BulkUploadApi { state: state.clone() },
        ImportsApi { state: state.clone() },
        MonitoringApi { state },
    )
}
