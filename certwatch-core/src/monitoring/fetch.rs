//! The `Fetcher` port: how the monitoring pipeline reads the web.
//!
//! Implementations must refuse non-public targets (SSRF, re-checked on
//! every redirect hop), cap the bytes they read, bound redirects and time,
//! and send conditional requests when given validators. The default
//! adapter is [`super::http::ReqwestFetcher`]; tests may serve pages from
//! a local site farm through it (with loopback allow-listed).

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use url::Url;

/// HTTP cache validators of a previously fetched document.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Validators {
    /// The `ETag` the server sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The `Last-Modified` the server sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Validators {
    /// Whether there is anything to send.
    pub fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// One GET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchRequest {
    /// The URL.
    pub url: Url,
    /// At most this many body bytes are read; more is an error.
    pub max_bytes: usize,
    /// Sent as `If-None-Match` / `If-Modified-Since`.
    pub validators: Validators,
}

impl FetchRequest {
    /// A GET of `url` reading at most `max_bytes`.
    pub fn new(url: Url, max_bytes: usize) -> Self {
        Self { url, max_bytes, validators: Validators::default() }
    }
}

/// A successful answer (2xx or 304).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResponse {
    /// The URL after redirects.
    pub final_url: Url,
    /// HTTP status (200 … 299, or 304).
    pub status: u16,
    /// 304: the document did not change since the validators; `body` is empty.
    pub not_modified: bool,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body (at most the request's `max_bytes`).
    pub body: Vec<u8>,
    /// The answer's validators (for the next conditional request).
    pub validators: Validators,
    /// How many attempts it took.
    pub attempts: u32,
}

/// Why a fetch failed. Messages are meant for the scrape log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The target is not allowed (scheme, credentials, a non-public address).
    #[error("refused: {0}")]
    Refused(String),
    /// The body is larger than allowed.
    #[error("response larger than the {max} byte limit")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// More redirects than allowed (or a redirect loop).
    #[error("more than {max} redirects")]
    TooManyRedirects {
        /// The limit.
        max: usize,
    },
    /// A redirect without a usable `Location`.
    #[error("redirect without a valid Location header")]
    BadRedirect,
    /// No (complete) answer in time.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
    /// DNS, connect, TLS or transfer failure.
    #[error("connection failed: {0}")]
    Connect(String),
    /// The server answered with an error status.
    #[error("HTTP status {0}")]
    Status(u16),
}

impl FetchError {
    /// Whether another attempt may succeed (network trouble, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Timeout(_) | FetchError::Connect(_) => true,
            FetchError::Status(s) => *s >= 500 || *s == 429 || *s == 408,
            _ => false,
        }
    }
}

/// Reads documents from the web.
#[async_trait]
pub trait Fetcher: Send + Sync {
    /// GETs `req.url`, following redirects within the implementation's
    /// limits, each hop checked against the SSRF rules.
    async fn fetch(&self, req: FetchRequest) -> Result<FetchResponse, FetchError>;
}
