//! The `Extractor` port: certificate fields out of document text. The
//! default adapter is the rule-based extractor of
//! [`crate::extraction::extract_fields`] (no network); an LLM adapter can
//! implement the same trait.

use crate::extraction::{extract_fields, Extraction, Hints};
use async_trait::async_trait;

// Where text came from is decided by the shared reading path.
pub use crate::extraction::TextSource;

/// Why an extractor gave no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractorError {
    /// The extractor (e.g. a remote model) failed or answered nonsense.
    #[error("extractor failed: {0}")]
    Failed(String),
}

/// Reads certificate fields out of text.
#[async_trait]
pub trait Extractor: Send + Sync {
    /// A short name for scrape logs (`rules`, `llm:<model>`).
    fn name(&self) -> &str;
    /// The fields of `text`, each with a confidence.
    async fn extract(&self, text: &str, hints: &Hints) -> Result<Extraction, ExtractorError>;
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
