//! Cross-cutting request handling, applied in `crate::routes` from the
//! outside in: request id (and the one conversion of escaped errors into
//! problem documents), metrics, body size limit, the operator IP allow-list,
//! and rate limits — all before any handler runs.

pub mod admin_ip;
pub mod body_limit;
pub mod metrics;
pub mod rate_limit;
pub mod request_id;

use std::net::IpAddr;

use poem::Request;

/// The address a request came from, honouring `X-Forwarded-For` through
/// the configured number of trusted proxies.
pub fn client_ip(req: &Request, trusted_proxies: usize) -> Option<IpAddr> {
    let peer = req.remote_addr().as_socket_addr().map(|s| s.ip());
    let xff = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    certwatch_core::net::client_ip(peer, xff, trusted_proxies)
}
