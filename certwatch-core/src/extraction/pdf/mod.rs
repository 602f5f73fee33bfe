//! The visible text of a PDF, page by page, with lopdf.
//!
//! [`pdf_text`] loads the document ([`load`]: encrypted documents are
//! refused, objects and object-stream bytes counted), then runs each page's
//! content stream ([`interpret`]) to collect positioned pieces of text,
//! decoded through the page's fonts ([`fonts`], [`cmap`]), and lays them
//! out as lines ([`layout`]). Every stream it decodes, every operator it
//! runs and every character it returns is charged to a [`budget`] built
//! from [`PdfLimits`], so a hostile file costs bounded memory and time and
//! ends in an [`ExtractionError`], never a panic.
//!
//! A document without a text layer (a scan) comes back with
//! `has_text_layer: false`: it needs OCR, which is a separate step.

mod budget;
mod cmap;
mod fonts;
mod interpret;
mod layout;
mod lexer;
mod load;
mod metrics;

use std::panic::{catch_unwind, AssertUnwindSafe};

use lopdf::Document;

use self::budget::Budget;
use self::interpret::{FontCache, Interpreter, Resources};
use crate::extraction::{ExtractionError, Limit};

/// Resource bounds of one [`pdf_text`] call. The defaults fit any real
/// certificate (and catalogues of a few hundred pages) with a wide margin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLimits {
    /// Size of the PDF itself. Default 20 MiB, the upload cap.
    pub max_input_bytes: usize,
    /// Decompressed bytes of all streams together (object streams, page
    /// contents, forms, font maps). Default 64 MiB.
    pub max_decompressed_bytes: usize,
    /// Decompressed bytes of any one stream lopdf decodes while loading
    /// (object and cross-reference streams). Default 16 MiB.
    pub max_stream_bytes: usize,
    /// Pages. Default 1,000.
    pub max_pages: usize,
    /// PDF objects: every value of the file outside stream data, nested
    /// ones included (`[1 2 3]` is four). Default 2,000,000.
    pub max_objects: usize,
    /// Content-stream operators, all pages and forms together. Default 5,000,000.
    pub max_operators: usize,
    /// Characters of extracted text. Default 4,000,000.
    pub max_text_chars: usize,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_input_bytes: 20 << 20,
            max_decompressed_bytes: 64 << 20,
            max_stream_bytes: 16 << 20,
            max_pages: 1_000,
            max_objects: 2_000_000,
            max_operators: 5_000_000,
            max_text_chars: 4_000_000,
        }
    }
}

/// The text of a PDF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfText {
    /// The text of each page, in page order: lines separated by `\n`, a
    /// blank line between blocks set far apart, words by spaces, and table
    /// cells (or a label and its value) set far apart on one line by `\t`.
    pub pages: Vec<String>,
    /// Whether the document has a text layer worth reading: at least
    /// [`MIN_TEXT_LAYER_CHARS`] letters or digits. False for scans, which
    /// need OCR.
    pub has_text_layer: bool,
}

/// Letters and digits a document needs to count as having a text layer (so
/// that a scan with a stamped page number still goes to OCR).
pub const MIN_TEXT_LAYER_CHARS: usize = 16;

impl PdfText {
    /// All pages, separated by form feeds.
    pub fn text(&self) -> String {
        self.pages.join("\n\u{c}\n")
    }
}

/// Extracts the visible text of `bytes`, a PDF, within `limits`.
///
/// Pure: no IO, no clock. Damaged files are read leniently where lopdf can
/// read them; what cannot be read, encrypted documents (even those that open
/// without a password) and documents beyond the limits are errors. A panic
/// inside the PDF parser is caught and reported as [`ExtractionError::Malformed`].
pub fn pdf_text(bytes: &[u8], limits: &PdfLimits) -> Result<PdfText, ExtractionError> {
    catch_unwind(AssertUnwindSafe(|| extract(bytes, limits)))
        .unwrap_or_else(|_| Err(ExtractionError::malformed("the PDF parser failed on this document")))
}

fn extract(bytes: &[u8], limits: &PdfLimits) -> Result<PdfText, ExtractionError> {
    let (doc, load_bytes) = load::load(bytes, limits)?;
    if doc.objects.len() > limits.max_objects {
        return Err(ExtractionError::LimitExceeded { limit: Limit::Objects, max: limits.max_objects });
    }
    let mut budget = Budget::new(limits);
    budget.charge_bytes(load_bytes)?;
    let mut fonts = FontCache::default();
    let mut pages = Vec::new();
    for (index, page_id) in doc.page_iter().enumerate() {
        if index >= limits.max_pages {
            return Err(ExtractionError::LimitExceeded { limit: Limit::Pages, max: limits.max_pages });
        }
        pages.push(page(&doc, page_id, &mut budget, &mut fonts)?);
    }
    if pages.is_empty() && doc.catalog().is_err() {
        return Err(ExtractionError::malformed("the document has no catalog"));
    }
    let letters: usize = pages.iter().map(|p| p.chars().filter(|c| c.is_alphanumeric()).count()).sum();
    Ok(PdfText { pages, has_text_layer: letters >= MIN_TEXT_LAYER_CHARS })
}

fn page(
    doc: &Document,
    page_id: lopdf::ObjectId,
    budget: &mut Budget,
    fonts: &mut FontCache,
) -> Result<String, ExtractionError> {
    let (inline, referenced) = doc.get_page_resources(page_id).unwrap_or((None, Vec::new()));
    let resources: Resources<'_> =
        inline.into_iter().chain(referenced.into_iter().filter_map(|id| doc.get_dictionary(id).ok())).collect();
    let mut content = Vec::new();
    for id in doc.get_page_contents(page_id) {
        // Each stream costs an operator, so a page listing one stream a
        // million times is bounded like a million operators.
        budget.operator()?;
        let Ok(stream) = doc.get_object(id).and_then(lopdf::Object::as_stream) else { continue };
        content.extend_from_slice(&budget.decode(stream)?);
        content.push(b'\n');
    }
    let mut interpreter = Interpreter::new(doc, budget, fonts);
    interpreter.run(&content, &resources, [1.0, 0.0, 0.0, 1.0, 0.0, 0.0])?;
    Ok(layout::page_text(interpreter.into_spans()))
}

#[cfg(test)]
mod tests;
