//! The default [`WebhookSender`]: reqwest (rustls), no redirects, a time
//! limit per request, a cap on how much of the answer is read, and the SSRF
//! check on the addresses the host resolves to — the connection is then
//! pinned to exactly those addresses, so a second DNS answer can't swap in
//! a private one.

use std::net::{IpAddr, SocketAddr};

use async_trait::async_trait;
use ipnet::IpNet;
use url::Url;

use super::ssrf::check_target;
use crate::ports::{OutboundRequest, SendError, WebhookSender};

/// How much of an answer's body is read before it is dropped.
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// reqwest-based sender with the SSRF allow-list.
#[derive(Debug, Clone, Default)]
pub struct ReqwestWebhookSender {
    allow: Vec<IpNet>,
}

impl ReqwestWebhookSender {
    /// A sender that refuses non-public addresses except those in `allow`
    /// (the allow-list setting; tests allow `127.0.0.0/8`).
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }
}

/// Resolves `url`'s host (within `timeout`), checks every address against
/// the SSRF rules and `allow`, and builds a client pinned to exactly those
/// addresses that follows no redirects.
pub(crate) async fn pinned_client(
    url: &Url,
    allow: &[IpNet],
    timeout: std::time::Duration,
) -> Result<reqwest::Client, SendError> {
    let host = url.host_str().ok_or_else(|| SendError::Refused("URL without host".into()))?.to_owned();
    let port = url.port_or_known_default().unwrap_or(443);
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(timeout, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| SendError::Timeout)?
            .map_err(|e| SendError::Connect(format!("cannot resolve {bare}: {e}")))?
            .collect(),
    };
    let ips: Vec<IpAddr> = addrs.iter().map(SocketAddr::ip).collect();
    check_target(url, &ips, allow).map_err(|e| SendError::Refused(e.to_string()))?;
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout);
    if bare.parse::<IpAddr>().is_err() {
        builder = builder.resolve_to_addrs(bare, &addrs);
    }
    builder.build().map_err(|e| SendError::Connect(e.to_string()))
}

#[async_trait]
impl WebhookSender for ReqwestWebhookSender {
    async fn post(&self, req: OutboundRequest) -> Result<u16, SendError> {
        let url = Url::parse(&req.url).map_err(|e| SendError::Refused(format!("invalid URL: {e}")))?;
        let client = pinned_client(&url, &self.allow, req.timeout).await?;
        let mut request = client.post(url);
        for (k, v) in &req.headers {
            request = request.header(k.as_str(), v.as_str());
        }
        let mut resp = request.body(req.body).send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let mut read = 0usize;
        while read < MAX_RESPONSE_BYTES {
            match resp.chunk().await {
                Ok(Some(c)) => read += c.len(),
                Ok(None) | Err(_) => break,
            }
        }
        Ok(status)
    }
}

pub(crate) fn classify(e: reqwest::Error) -> SendError {
    if e.is_timeout() {
        SendError::Timeout
    } else {
        SendError::Connect(e.to_string())
    }
}
