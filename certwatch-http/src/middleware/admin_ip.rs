//! The operator endpoints (`/api/admin/`) answer only to addresses in
//! `ADMIN_ALLOWED_IPS` (IPs and CIDRs; empty allows any address). The
//! operator role is checked by the handlers on top.

use std::sync::Arc;

use ipnet::IpNet;
use poem::http::StatusCode;
use poem::{Endpoint, IntoResponse, Request, Response, Result};

/// Path prefix the allow-list guards.
pub const PREFIX: &str = "/api/admin";

/// The allow-list settings.
#[derive(Debug, Clone, Default)]
pub struct AdminIpPolicy {
    /// Allowed networks.
    pub allow: Vec<IpNet>,
    /// Trusted reverse proxies for `X-Forwarded-For`.
    pub trusted_proxies: usize,
}

/// Refuses `/api/admin/` requests from addresses outside the allow-list.
pub async fn around<E: Endpoint>(ep: Arc<E>, req: Request, policy: Arc<AdminIpPolicy>) -> Result<Response> {
    let path = req.uri().path();
    if path == PREFIX || path.starts_with("/api/admin/") {
        let ip = super::client_ip(&req, policy.trusted_proxies);
        if !certwatch_core::net::ip_allowed(ip, &policy.allow) {
            tracing::warn!(client_ip = ?ip, "operator endpoint refused by the IP allow-list");
            return Ok(crate::problem::problem_response(
                StatusCode::FORBIDDEN,
                "Forbidden",
                "this address may not reach the operator endpoints",
            ));
        }
    }
    ep.call(req).await.map(IntoResponse::into_response)
}
