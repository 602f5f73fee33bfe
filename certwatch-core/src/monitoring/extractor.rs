//! The `Extractor` port: certificate fields out of document text. The
//! default adapter is the rule-based extractor of
//! [`crate::extraction::extract_fields`] (no network); the LLM adapter
//! ([`super::llm::LlmExtractor`]) implements the same trait.
//!
//! Every caller (monitoring scrapes, bulk upload, `certwatch extract`)
//! goes through [`extract_or_fall_back`]: when a configured extractor fails
//! (the model server is down, slow, or answers nonsense), the rules read
//! that document instead and the caller records why, so an LLM outage never
//! loses work.

use crate::extraction::{extract_fields, Extraction, Hints};
use async_trait::async_trait;

// Where text came from is decided by the shared reading path.
pub use crate::extraction::TextSource;

/// Why an extractor gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractorError {
    /// The extractor failed for a reason that will not go away by retrying
    /// (e.g. the model server refuses the request: wrong model, bad key).
    #[error("extractor failed: {0}")]
    Failed(String),
    /// The model server could not be reached or kept failing (connection
    /// errors, timeouts, 429/5xx after the bounded retries).
    #[error("extractor unavailable: {0}")]
    Unavailable(String),
    /// The model answered, but not usably (refusal, truncated or malformed
    /// answer).
    #[error("extractor answer unusable: {0}")]
    BadReply(String),
}

/// Reads certificate fields out of text.
#[async_trait]
pub trait Extractor: Send + Sync {
    /// A short name for scrape logs (`rules`, `llm:<model>`).
    fn name(&self) -> &str;
    /// The fields of `text`, each with a confidence.
    async fn extract(&self, text: &str, hints: &Hints) -> Result<Extraction, ExtractorError>;
    /// Whether the extractor is cheap enough to run on every row and line
    /// of a page (scrapes cut pages into many small blocks). A remote model
    /// says no: page mentions are then read by the rules, and the model
    /// reads whole documents (each PDF, each changed page) once.
    fn per_block(&self) -> bool {
        true
    }
}

/// What [`extract_or_fall_back`] produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The fields.
    pub extraction: Extraction,
    /// Which extractor's fields these are (`rules`, `llm:<model>`).
    pub by: String,
    /// Set when the configured extractor failed and the rules read the
    /// document instead: what failed, for the scrape log or item note.
    pub fallback: Option<String>,
}

/// Extracts `text` with `extractor`; should it fail, with the rules (which
/// cannot fail), saying why. The one extraction code path of monitoring,
/// bulk upload and `certwatch extract`.
pub async fn extract_or_fall_back(extractor: &dyn Extractor, text: &str, hints: &Hints) -> Extracted {
    match extractor.extract(text, hints).await {
        Ok(extraction) => Extracted { extraction, by: extractor.name().to_owned(), fallback: None },
        Err(e) => {
            tracing::warn!(extractor = extractor.name(), error = %e, "extraction failed; the rules read the document");
            Extracted {
                extraction: extract_fields(text, hints),
                by: "rules".to_owned(),
                fallback: Some(format!("{} failed ({e}); fields read by the rules instead", extractor.name())),
            }
        }
    }
}

/// The default [`Extractor`]: the rules of [`crate::extraction::rules`].
#[derive(Debug, Default, Clone, Copy)]
pub struct RuleBasedExtractor;

#[async_trait]
impl Extractor for RuleBasedExtractor {
    fn name(&self) -> &str {
        "rules"
    }
    async fn extract(&self, text: &str, hints: &Hints) -> Result<Extraction, ExtractorError> {
        Ok(extract_fields(text, hints))
    }
}
