//! Asynchronous document hashing: when a certificate's `document_url` is
//! set or changes, the same transaction enqueues a `hash_document` job
//! ([`enqueue_hash`]); the job fetches the document through the
//! [`DocumentFetcher`] port and stores its SHA-256 in `document_hash` by
//! compare-and-set on the URL, so a slow job never stamps an old
//! document's hash on a certificate whose URL changed meanwhile.
//!
//! [`ReqwestDocumentFetcher`] is the default port: the SSRF check on every
//! redirect hop (redirects followed by hand, at most [`MAX_REDIRECTS`]),
//! one time limit for the whole fetch, and the size cap enforced while
//! streaming into the hash.

use std::sync::Arc;

use async_trait::async_trait;
use ipnet::IpNet;
use serde_json::json;
use sha2::{Digest, Sha256};
use url::Url;

use crate::ids::{CertificateId, TenantId};
use crate::jobs::{enqueue_in, Job, JobContext, JobError, JobHandler, JobSpec};
use crate::ports::{DocumentFetcher, FetchError, Scope, SendError, Tx};
use crate::webhooks::http::{classify, pinned_client};
use crate::{CertWatch, Result};

/// Job kind: fetch a certificate's document and store its SHA-256.
pub const HASH_DOCUMENT: &str = "hash_document";
/// Attempts of a `hash_document` job.
pub const HASH_ATTEMPTS: u32 = 3;
/// Redirects followed at most.
pub const MAX_REDIRECTS: usize = 5;
/// Largest document hashed.
pub const MAX_DOCUMENT_BYTES: u64 = 25 * 1024 * 1024;
/// Time limit of the whole fetch, redirects included.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Enqueues the hashing of `url` for certificate `id`, inside `tx` (the
/// transaction that set or changed the URL).
pub async fn enqueue_hash(
    app: &CertWatch,
    tx: &mut dyn Tx,
    tenant: TenantId,
    id: CertificateId,
    url: &str,
    request_id: Option<String>,
) -> Result<bool> {
    let spec = JobSpec::new(HASH_DOCUMENT, Some(tenant), json!({"certificate_id": id, "document_url": url}))
        .with_request_id(request_id)
        .with_max_attempts(HASH_ATTEMPTS);
    enqueue_in(app, tx, spec).await
}

/// The `hash_document` handler.
#[derive(Clone)]
pub struct HashDocument {
    /// Fetches and hashes.
    pub fetcher: Arc<dyn DocumentFetcher>,
}

impl std::fmt::Debug for HashDocument {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashDocument").finish_non_exhaustive()
    }
}

#[async_trait]
impl JobHandler for HashDocument {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let tenant = job.tenant_id.ok_or_else(|| JobError::Permanent("hash job without tenant".into()))?;
        let id: CertificateId = job
            .payload
            .get("certificate_id")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .ok_or_else(|| JobError::Permanent("hash job without certificate_id".into()))?;
        let url = job
            .payload
            .get("document_url")
            .and_then(serde_json::Value::as_str)
            .ok_or_else(|| JobError::Permanent("hash job without document_url".into()))?;
        let hash = match self.fetcher.sha256(url).await {
            Ok(h) => h,
            Err(e @ (FetchError::Refused(_) | FetchError::TooLarge(_))) => {
                return Err(JobError::Permanent(e.to_string()))
            }
            Err(e) => return Err(JobError::Retry(e.to_string())),
        };
        let mut tx = ctx.app.store().begin(Scope::Tenant(tenant)).await?;
        let stored = tx.set_document_hash_if_url(tenant, id, url, &hash).await?;
        tx.commit().await?;
        if stored {
            tracing::info!(certificate_id = %id, "document hashed");
        } else {
            tracing::info!(certificate_id = %id, "document URL changed or certificate gone; hash not stored");
        }
        Ok(())
    }
}

/// The default [`DocumentFetcher`]: reqwest, SSRF-checked and pinned on
/// every hop, redirects followed by hand.
#[derive(Debug, Clone, Default)]
pub struct ReqwestDocumentFetcher {
    allow: Vec<IpNet>,
}

impl ReqwestDocumentFetcher {
    /// A fetcher that refuses non-public addresses except those in `allow`.
    pub fn new(allow: Vec<IpNet>) -> Self {
        Self { allow }
    }

    async fn fetch(&self, start: &str) -> Result<String, FetchError> {
        let mut url = Url::parse(start).map_err(|e| FetchError::Refused(format!("invalid URL: {e}")))?;
        for _ in 0..=MAX_REDIRECTS {
            let client = pinned_client(&url, &self.allow, FETCH_TIMEOUT).await.map_err(fetch_error)?;
            let mut resp = client.get(url.clone()).send().await.map_err(|e| fetch_error(classify(e)))?;
            let status = resp.status();
            if status.is_redirection() {
                let location = resp
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| FetchError::Failed(format!("HTTP {status} without Location")))?;
                url = url.join(location).map_err(|e| FetchError::Refused(format!("bad redirect: {e}")))?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Failed(format!("HTTP {}", status.as_u16())));
            }
            if resp.content_length().is_some_and(|n| n > MAX_DOCUMENT_BYTES) {
                return Err(FetchError::TooLarge(MAX_DOCUMENT_BYTES));
            }
            let mut hasher = Sha256::new();
            let mut total: u64 = 0;
            while let Some(chunk) = resp.chunk().await.map_err(|e| fetch_error(classify(e)))? {
                total += chunk.len() as u64;
                if total > MAX_DOCUMENT_BYTES {
                    return Err(FetchError::TooLarge(MAX_DOCUMENT_BYTES));
                }
                hasher.update(&chunk);
            }
            return Ok(hex::encode(hasher.finalize()));
        }
        Err(FetchError::Refused(format!("more than {MAX_REDIRECTS} redirects")))
    }
}

fn fetch_error(e: SendError) -> FetchError {
    match e {
        SendError::Refused(m) => FetchError::Refused(m),
        SendError::Timeout => FetchError::Timeout,
        SendError::Connect(m) => FetchError::Failed(m),
    }
}

#[async_trait]
impl DocumentFetcher for ReqwestDocumentFetcher {
    async fn sha256(&self, url: &str) -> Result<String, FetchError> {
        tokio::time::timeout(FETCH_TIMEOUT, self.fetch(url)).await.map_err(|_| FetchError::Timeout)?
    }
}
