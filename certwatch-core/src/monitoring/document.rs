//! One document (PDF, HTML page or image) → text source and fields: what
//! `certwatch extract` prints, with the same steps as a scrape and a bulk
//! upload (the shared [`read_text`](crate::extraction::read_text): PDF text
//! layer, else OCR; HTML visible text and its per-row mentions; the
//! extractor port).

use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use url::Url;

use super::charset::decode_html;
use super::extractor::{extract_or_fall_back, Extractor, RuleBasedExtractor, TextSource};
use super::html::parse_page;
use super::scrape::page_blocks;
use crate::extraction::{read_text_blocking, DocumentKind, ExtractedFields, Hints, Ocr, PdfLimits, TextError};

/// What one document yielded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentExtraction {
    /// Where the text came from (`pdf_text`, `ocr`, `html`, or
    /// `ocr_unavailable` for a scan or image this build cannot read).
    pub text_source: TextSource,
    /// Pages read (PDF pages, or page images for OCR); absent for HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<u32>,
    /// Which extractor read the fields (`rules`, `llm:<model>`; `rules`
    /// also when the configured one failed, see `note`). Empty when the
    /// document could not be read.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub extractor: String,
    /// Whether the document is a certificate.
    pub is_certificate: bool,
    /// The fields, each with confidence and evidence (absent when the
    /// document could not be read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<ExtractedFields>,
    /// HTML only: certificates mentioned in the page's rows and lines.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mentions: Vec<ExtractedFields>,
    /// Why the document was not (fully) read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl DocumentExtraction {
    fn unread(text_source: TextSource, note: String) -> Self {
        Self {
            text_source,
            pages: None,
            extractor: String::new(),
            is_certificate: false,
            fields: None,
            mentions: Vec::new(),
            note: Some(note),
        }
    }
}

/// Extracts `bytes` named `filename`; the kind is sniffed from the bytes
/// (`%PDF-`, image signatures), else HTML. Scans and images go to `ocr`.
pub async fn extract_document(
    bytes: &[u8],
    filename: &str,
    extractor: &dyn Extractor,
    ocr: &Arc<dyn Ocr>,
    limits: &PdfLimits,
    reference_date: Option<NaiveDate>,
) -> DocumentExtraction {
    let hints = Hints { filename: Some(filename.to_owned()), reference_date };
    let kind = DocumentKind::sniff(bytes);
    if kind != DocumentKind::Other {
        let guess = if kind == DocumentKind::Image { TextSource::Ocr } else { TextSource::PdfText };
        let read = match read_text_blocking(bytes.to_vec(), ocr.clone(), limits.clone()).await {
            Ok(t) => t,
            Err(e @ TextError::OcrUnavailable { .. }) => {
                return DocumentExtraction::unread(TextSource::OcrUnavailable, e.to_string())
            }
            Err(TextError::Unreadable(e)) => return DocumentExtraction::unread(guess, e),
        };
        let got = extract_or_fall_back(extractor, &read.text, &hints).await;
        return DocumentExtraction {
            text_source: read.source,
            pages: Some(read.pages),
            extractor: got.by,
            is_certificate: got.extraction.is_certificate,
            fields: Some(got.extraction.fields),
            mentions: Vec::new(),
            note: got.fallback,
        };
    }
    let base = Url::parse("file:///document").unwrap_or_else(|_| unreachable!());
    let page = match parse_page(&decode_html(bytes, None).text, &base) {
        Ok(p) => p,
        Err(e) => return DocumentExtraction::unread(TextSource::Html, e.to_string()),
    };
    let got = extract_or_fall_back(extractor, &page.text, &hints).await;
    // As in a scrape: a remote model reads the page once, the rules its rows.
    let block_extractor: &dyn Extractor = if extractor.per_block() { extractor } else { &RuleBasedExtractor };
    let mut mentions = Vec::new();
    for block in page_blocks(&page.text) {
        let m = extract_or_fall_back(block_extractor, &block, &Hints { filename: None, reference_date }).await;
        if m.extraction.fields.certificate_type.is_some() && m.extraction.fields.certificate_number.is_some() {
            mentions.push(m.extraction.fields);
        }
    }
    DocumentExtraction {
        text_source: TextSource::Html,
        pages: None,
        extractor: got.by,
        is_certificate: got.extraction.is_certificate || !mentions.is_empty(),
        fields: Some(got.extraction.fields),
        mentions,
        note: got.fallback,
    }
}
