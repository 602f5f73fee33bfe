//! One document (PDF, HTML page or image) → text source and fields: what
//! `certwatch extract` prints, with the same steps as a scrape (PDF text
//! layer, HTML visible text and its per-row mentions, the extractor port).

use chrono::NaiveDate;
use serde::Serialize;
use url::Url;

use super::charset::decode_html;
use super::extractor::{extract_or_fall_back, Extractor, RuleBasedExtractor, TextSource};
use super::html::parse_page;
use super::scrape::page_blocks;
use crate::extraction::{pdf_text, ExtractedFields, Hints, PdfLimits};

/// What one document yielded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentExtraction {
    /// Where the text came from.
    pub text_source: TextSource,
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
            extractor: String::new(),
            is_certificate: false,
            fields: None,
            mentions: Vec::new(),
            note: Some(note),
        }
    }
}

/// Extracts `bytes` named `filename`; the kind is sniffed from the bytes
/// (`%PDF`, PNG/JPEG signatures), else HTML.
pub async fn extract_document(
    bytes: &[u8],
    filename: &str,
    extractor: &dyn Extractor,
    limits: &PdfLimits,
    reference_date: Option<NaiveDate>,
) -> DocumentExtraction {
    let hints = Hints { filename: Some(filename.to_owned()), reference_date };
    let head = &bytes[..bytes.len().min(1024)];
    if head.windows(5).any(|w| w == b"%PDF-") {
        return match pdf_text(bytes, limits) {
            Err(e) => DocumentExtraction::unread(TextSource::PdfText, e.to_string()),
            Ok(t) if !t.has_text_layer => DocumentExtraction::unread(
                TextSource::OcrUnavailable,
                "no text layer (a scan): OCR is not built in (feature `ocr`)".into(),
            ),
            Ok(t) => {
                let got = extract_or_fall_back(extractor, &t.text(), &hints).await;
                DocumentExtraction {
                    text_source: TextSource::PdfText,
                    extractor: got.by,
                    is_certificate: got.extraction.is_certificate,
                    fields: Some(got.extraction.fields),
                    mentions: Vec::new(),
                    note: got.fallback,
                }
            }
        };
    }
    if head.starts_with(b"\x89PNG") || head.starts_with(b"\xff\xd8\xff") {
        return DocumentExtraction::unread(
            TextSource::OcrUnavailable,
            "an image: OCR is not built in (feature `ocr`)".into(),
        );
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
        extractor: got.by,
        is_certificate: got.extraction.is_certificate || !mentions.is_empty(),
        fields: Some(got.extraction.fields),
        mentions,
        note: got.fallback,
    }
}
