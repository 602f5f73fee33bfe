//! The default [`Fetcher`]: reqwest (rustls) with the SSRF rules of
//! [`crate::webhooks::ssrf`] enforced where addresses are known.
//!
//! * Host names are resolved by our own resolver, which refuses the whole
//!   name when any address it resolves to is not public (unless
//!   allow-listed); the connection then uses exactly the checked
//!   addresses, so a second DNS answer can't swap in a private one.
//!   Literal IP hosts are checked before the request.
//! * Redirects are followed by hand, at most `max_redirects`, each hop
//!   checked again (scheme, credentials, addresses).
//! * The body is read chunk by chunk and dropped as soon as it exceeds the
//!   request's cap; a whole-request timeout bounds slow servers.
//! * Up to `attempts` tries with exponential backoff for transient
//!   failures (connection errors, timeouts, 5xx, 429); never for refusals,
//!   4xx or oversized bodies.
//! * An honest `User-Agent` names the product and where to read about it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED, LOCATION, USER_AGENT};
use url::Url;

use super::fetch::{FetchError, FetchRequest, FetchResponse, Fetcher, Validators};
use crate::webhooks::ssrf::{check_ip, check_url};

/// The `User-Agent` sent with every request.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "CertWatch-Monitor/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/certwatch; certificate monitoring)"
);

/// Settings of [`ReqwestFetcher`].
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// Non-public ranges that may be fetched anyway (tests: `127.0.0.0/8`).
    pub allow: Vec<IpNet>,
    /// Time limit of one attempt, body included.
    pub timeout: Duration,
    /// Time limit of connecting.
    pub connect_timeout: Duration,
    /// Redirect hops followed at most.
    pub max_redirects: usize,
    /// Attempts for transient failures (1 = no retry).
    pub attempts: u32,
    /// Backoff before the second attempt; doubled for each further one.
    pub backoff: Duration,
    /// The `User-Agent` header.
    pub user_agent: String,
}

impl Default for FetchConfig {
    fn default() -> Self {
        Self {
            allow: Vec::new(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_redirects: 5,
            attempts: 3,
            backoff: Duration::from_millis(500),
            user_agent: DEFAULT_USER_AGENT.to_owned(),
        }
    }
}

/// Marks a resolver refusal so it can be told apart from DNS failures.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refusal(String);

/// Resolves with the system resolver and refuses non-public answers.
#[derive(Debug)]
struct GuardedResolver {
    allow: Vec<IpNet>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allow = self.allow.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            if addrs.is_empty() {
                return Err(Box::new(Refusal(format!("{host} did not resolve"))) as _);
            }
            for a in &addrs {
                check_ip(a.ip(), &allow).map_err(|e| Box::new(Refusal(format!("{host}: {e}"))))?;
            }
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The checks possible without DNS: the URL's form (scheme, no
/// credentials) and, for a literal IP host, its address. The message names
/// the URL and the reason.
pub(crate) fn check_literal(url: &Url, allow: &[IpNet]) -> Result<(), String> {
    check_url(url).map_err(|e| format!("{url}: {e}"))?;
    if let Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) = url.host() {
        let bare = url.host_str().unwrap_or_default().trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            check_ip(ip, allow).map_err(|e| format!("{url}: {e}"))?;
        }
    }
    Ok(())
}

/// [`check_literal`], then for a host name every address it resolves to
/// (none may be non-public unless allow-listed; no answer is a refusal
/// too). Used where the connection is made by someone else (the browser
/// fallback), so the check can't be pinned to the connection as the
/// fetcher's resolver does.
#[cfg(feature = "browser")]
pub(crate) async fn check_resolved(url: &Url, allow: &[IpNet]) -> Result<(), String> {
    check_literal(url, allow)?;
    if let Some(url::Host::Domain(host)) = url.host() {
        let port = url.port_or_known_default().unwrap_or(0);
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host, port))
            .await
            .map_err(|e| format!("{url}: {host} did not resolve: {e}"))?
            .collect();
        if addrs.is_empty() {
            return Err(format!("{url}: {host} did not resolve"));
        }
        for a in &addrs {
            check_ip(a.ip(), allow).map_err(|e| format!("{url}: {host}: {e}"))?;
        }
    }
    Ok(())
}

/// reqwest-based [`Fetcher`].
#[derive(Debug, Clone)]
pub struct ReqwestFetcher {
    client: reqwest::Client,
    config: Arc<FetchConfig>,
}

impl ReqwestFetcher {
    /// A fetcher with `config`.
    ///
    /// # Errors
    /// [`FetchError::Connect`] when the TLS backend can't be initialised.
    pub fn new(config: FetchConfig) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.connect_timeout)
            .dns_resolver(Arc::new(GuardedResolver { allow: config.allow.clone() }))
            .build()
            .map_err(|e| FetchError::Connect(e.to_string()))?;
        Ok(Self { client, config: Arc::new(config) })
    }

    /// Checks the form of `url` and, for a literal IP host, its address.
    fn check(&self, url: &Url) -> Result<(), FetchError> {
        check_literal(url, &self.config.allow).map_err(FetchError::Refused)
    }

    async fn attempt(&self, req: &FetchRequest) -> Result<FetchResponse, FetchError> {
        let mut url = req.url.clone();
        let mut hops = 0usize;
        loop {
            self.check(&url)?;
            let mut builder = self.client.get(url.clone()).header(USER_AGENT, &self.config.user_agent);
            if let Some(etag) = &req.validators.etag {
                builder = builder.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &req.validators.last_modified {
                builder = builder.header(IF_MODIFIED_SINCE, lm);
            }
            let mut resp = builder.send().await.map_err(|e| self.classify(e))?;
            let status = resp.status();
            if status.is_redirection() && status.as_u16() != 304 {
                hops += 1;
                if hops > self.config.max_redirects {
                    return Err(FetchError::TooManyRedirects { max: self.config.max_redirects });
                }
                let next = resp
                    .headers()
                    .get(LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l.trim()).ok())
                    .ok_or(FetchError::BadRedirect)?;
                url = next;
                continue;
            }
            let header = |name| {
                resp.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok()).map(str::to_owned)
            };
            let validators = Validators { etag: header(ETAG), last_modified: header(LAST_MODIFIED) };
            let content_type = header(reqwest::header::CONTENT_TYPE);
            if status.as_u16() == 304 {
                return Ok(FetchResponse {
                    final_url: url,
                    status: 304,
                    not_modified: true,
                    content_type,
                    body: Vec::new(),
                    validators: if validators.is_empty() { req.validators.clone() } else { validators },
                    attempts: 1,
                });
            }
            if !status.is_success() {
                return Err(FetchError::Status(status.as_u16()));
            }
            if resp.content_length().is_some_and(|n| n > req.max_bytes as u64) {
                return Err(FetchError::TooLarge { max: req.max_bytes });
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|e| self.classify(e))? {
                if body.len() + chunk.len() > req.max_bytes {
                    return Err(FetchError::TooLarge { max: req.max_bytes });
                }
                body.extend_from_slice(&chunk);
            }
            return Ok(FetchResponse {
                final_url: url,
                status: status.as_u16(),
                not_modified: false,
                content_type,
                body,
                validators,
                attempts: 1,
            });
        }
    }

    fn classify(&self, e: reqwest::Error) -> FetchError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<Refusal>() {
                return FetchError::Refused(r.0.clone());
            }
            source = s.source();
        }
        if e.is_timeout() {
            FetchError::Timeout(self.config.timeout)
        } else {
            let mut msg = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                msg.push_str(": ");
                msg.push_str(&s.to_string());
                source = s.source();
            }
            FetchError::Connect(msg)
        }
    }
}

#[async_trait]
impl Fetcher for ReqwestFetcher {
    async fn fetch(&self, req: FetchRequest) -> Result<FetchResponse, FetchError> {
        let attempts = self.config.attempts.max(1);
        let mut delay = self.config.backoff;
        let mut n = 1;
        loop {
            match self.attempt(&req).await {
                Ok(mut r) => {
                    r.attempts = n;
                    return Ok(r);
                }
                Err(e) if e.is_transient() && n < attempts => {
                    tracing::debug!(url = %req.url, attempt = n, error = %e, "fetch failed, retrying");
                    tokio::time::sleep(delay).await;
                    delay = delay.saturating_mul(2);
                    n += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}
