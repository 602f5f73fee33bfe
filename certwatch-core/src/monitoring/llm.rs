//! [`LlmExtractor`]: the [`Extractor`] port over an OpenAI-compatible chat
//! completion API (OpenAI, Ollama, vLLM, LM Studio): `POST
//! {base_url}/chat/completions` with the model, a system prompt that
//! treats the document as data, the document fenced and capped,
//! `temperature: 0` and strict structured output. What is sent and how the
//! answer is checked against the document is the pure
//! [`crate::extraction::llm`]; this is the transport.
//!
//! Transport rules: a time limit per attempt; at most `max_attempts`
//! attempts, retrying only what may pass (connection errors, timeouts, 429
//! and 5xx) with exponential backoff, honouring `Retry-After` (seconds) up
//! to `max_retry_after`; other statuses fail at once. No redirects are
//! followed (a redirect would carry the API key elsewhere). Answers are
//! read up to [`MAX_RESPONSE_BYTES`]. The API key is sent as `Authorization:
//! Bearer`, and never logged nor shown by `Debug`. The base URL is the
//! operator's setting, so it is not SSRF-checked: a local Ollama on
//! `127.0.0.1` is the point.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use super::extractor::{Extractor, ExtractorError};
use crate::extraction::llm::{capped, read_completion, request_body, ReplyError, MAX_DOCUMENT_CHARS};
use crate::extraction::{Extraction, Hints};

/// Largest chat completion response read, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// An API key: kept out of `Debug` and logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// Wraps a key (blank keys are none: keyless local servers).
    pub fn new(key: impl Into<String>) -> Option<Self> {
        let key = key.into();
        (!key.trim().is_empty()).then(|| Self(key.trim().to_owned()))
    }
}

impl std::fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiKey(***)")
    }
}

/// Where and how to ask the model.
#[derive(Debug, Clone)]
pub struct LlmConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or
    /// `http://127.0.0.1:11434/v1` (`/chat/completions` is appended).
    pub base_url: Url,
    /// The model name.
    pub model: String,
    /// Sent as `Authorization: Bearer` when set.
    pub api_key: Option<ApiKey>,
    /// Time limit of one attempt (connect, send, answer).
    pub timeout: Duration,
    /// Attempts at most (at least 1).
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled after each further one.
    pub backoff: Duration,
    /// Longest `Retry-After` honoured (longer ones are cut to this).
    pub max_retry_after: Duration,
    /// Characters of document text sent at most.
    pub max_document_chars: usize,
}

impl LlmConfig {
    /// Defaults for `base_url` and `model`: 60 s per attempt, 3 attempts,
    /// 1 s backoff, `Retry-After` up to 30 s.
    pub fn new(base_url: Url, model: impl Into<String>) -> Self {
        Self {
            base_url,
            model: model.into(),
            api_key: None,
            timeout: Duration::from_secs(60),
            max_attempts: 3,
            backoff: Duration::from_secs(1),
            max_retry_after: Duration::from_secs(30),
            max_document_chars: MAX_DOCUMENT_CHARS,
        }
    }
}

/// The LLM adapter of the [`Extractor`] port.
#[derive(Debug, Clone)]
pub struct LlmExtractor {
    cfg: LlmConfig,
    endpoint: Url,
    name: String,
    client: reqwest::Client,
}

impl LlmExtractor {
    /// Builds the client.
    pub fn new(cfg: LlmConfig) -> Result<Self, ExtractorError> {
        let base = cfg.base_url.as_str().trim_end_matches('/');
        let endpoint = Url::parse(&format!("{base}/chat/completions"))
            .map_err(|e| ExtractorError::Failed(format!("invalid LLM base URL: {e}")))?;
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .user_agent(concat!("CertWatch/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ExtractorError::Failed(format!("cannot build the HTTP client: {e}")))?;
        let name = format!("llm:{}", cfg.model);
        Ok(Self { cfg, endpoint, name, client })
    }

    /// The settings.
    pub fn config(&self) -> &LlmConfig {
        &self.cfg
    }

    /// One attempt: the answer body, or the error and whether to retry it
    /// (with the server's `Retry-After`, if any).
    async fn attempt(&self, body: &serde_json::Value) -> Result<Vec<u8>, (ExtractorError, bool, Option<Duration>)> {
        let mut req = self.client.post(self.endpoint.clone()).json(body);
        if let Some(key) = &self.cfg.api_key {
            req = req.bearer_auth(&key.0);
        }
        let unavailable = |e: reqwest::Error| {
            let why = if e.is_timeout() {
                format!("no answer within {} s", self.cfg.timeout.as_secs_f32())
            } else if e.is_connect() {
                "cannot connect to the model server".to_owned()
            } else {
                format!("request failed: {}", e.without_url())
            };
            (ExtractorError::Unavailable(why), true, None)
        };
        let mut resp = req.send().await.map_err(unavailable)?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(unavailable)? {
            if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err((
                    ExtractorError::BadReply(format!("the answer exceeds {MAX_RESPONSE_BYTES} bytes")),
                    false,
                    None,
                ));
            }
            bytes.extend_from_slice(&chunk);
        }
        if status.is_success() {
            return Ok(bytes);
        }
        let snippet: String = String::from_utf8_lossy(&bytes).chars().take(200).collect();
        let why = format!("HTTP {} from the model server: {}", status.as_u16(), crate::audit::redact_text(&snippet));
        if status.as_u16() == 429 || status.is_server_error() {
            Err((ExtractorError::Unavailable(why), true, retry_after))
        } else {
            Err((ExtractorError::Failed(why), false, None))
        }
    }
}

#[async_trait]
impl Extractor for LlmExtractor {
    fn name(&self) -> &str {
        &self.name
    }

    fn per_block(&self) -> bool {
        false
    }

    async fn extract(&self, text: &str, hints: &Hints) -> Result<Extraction, ExtractorError> {
        let body = request_body(&self.cfg.model, text, hints, self.cfg.max_document_chars);
        let attempts = self.cfg.max_attempts.max(1);
        let mut wait = self.cfg.backoff;
        let mut last = ExtractorError::Unavailable("no attempt made".into());
        for n in 1..=attempts {
            match self.attempt(&body).await {
                Ok(bytes) => {
                    // Checked against what the model was shown.
                    let shown = capped(text, self.cfg.max_document_chars);
                    let verified = read_completion(&bytes, shown, hints)
                        .map_err(|e: ReplyError| ExtractorError::BadReply(e.to_string()))?;
                    for note in &verified.notes {
                        tracing::info!(extractor = %self.name, "{note}");
                    }
                    return Ok(verified.extraction);
                }
                Err((e, false, _)) => return Err(e),
                Err((e, true, retry_after)) => {
                    tracing::debug!(extractor = %self.name, attempt = n, error = %e, "LLM attempt failed");
                    last = e;
                    if n < attempts {
                        let pause = retry_after.map_or(wait, |r| r.min(self.cfg.max_retry_after));
                        tokio::time::sleep(pause).await;
                        wait = wait.saturating_mul(2);
                    }
                }
            }
        }
        Err(match last {
            ExtractorError::Unavailable(why) => {
                ExtractorError::Unavailable(format!("{why} (after {attempts} attempt(s))"))
            }
            other => other,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_stays_out_of_debug() {
        let mut cfg = LlmConfig::new(Url::parse("http://127.0.0.1:1/v1/").unwrap_or_else(|_| unreachable!()), "m");
        cfg.api_key = ApiKey::new("sk-secret-123");
        let ex = LlmExtractor::new(cfg);
        let shown = format!("{ex:?}");
        assert!(!shown.contains("sk-secret-123"), "{shown}");
        assert!(shown.contains("ApiKey(***)"), "{shown}");
        assert_eq!(ex.map(|e| e.endpoint.to_string()).ok().as_deref(), Some("http://127.0.0.1:1/v1/chat/completions"));
        assert_eq!(ApiKey::new("  "), None);
    }
}
