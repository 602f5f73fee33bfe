//! Bytes of a document → its text and where the text came from: the one
//! text-reading path of bulk upload, monitoring scrapes and
//! `certwatch extract`. A PDF with a text layer is read by
//! [`pdf_text`](super::pdf_text); a scanned PDF (no text layer) has its
//! page images read by the [`Ocr`] port, as is an image. HTML is not read
//! here: its visible text comes from the monitoring HTML parser.

use std::sync::Arc;

use serde::Serialize;

use super::ocr::{Ocr, OcrError};
use super::ocr_text::clean_ocr_text;
use super::pdf::{pdf_text, PdfLimits};
use super::pdf_images::page_images;

/// Where the text handed to the field extractor came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TextSource {
    /// The text layer of a PDF.
    PdfText,
    /// OCR of an image or of a scanned PDF's page images.
    Ocr,
    /// The visible text of an HTML page.
    Html,
    /// A scan or image that needs OCR, which this build does not have.
    OcrUnavailable,
}

impl TextSource {
    /// The name stored and printed (`pdf_text`, `ocr`, `html`,
    /// `ocr_unavailable`), the same as its JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PdfText => "pdf_text",
            Self::Ocr => "ocr",
            Self::Html => "html",
            Self::OcrUnavailable => "ocr_unavailable",
        }
    }
}

/// What kind of document a byte string is, by its leading bytes (never by
/// a file name or a server's content type, which may lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentKind {
    /// `%PDF-` within the first KiB (readers tolerate leading junk).
    Pdf,
    /// PNG, JPEG, TIFF or WebP (by signature, checked first).
    Image,
    /// Anything else (HTML, text, unknown).
    Other,
}

impl DocumentKind {
    /// Sniffs `bytes`.
    pub fn sniff(bytes: &[u8]) -> Self {
        // Image signatures first, then `%PDF-` anywhere in the first KiB:
        // the order bulk upload's file check uses, so both agree.
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n")
            || bytes.starts_with(b"\xff\xd8\xff")
            || bytes.starts_with(b"II*\0")
            || bytes.starts_with(b"MM\0*")
            || (bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP")
        {
            Self::Image
        } else if bytes[..bytes.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
            Self::Pdf
        } else {
            Self::Other
        }
    }
}

/// The text of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentText {
    /// Pages joined by a form feed on its own line.
    pub text: String,
    /// [`TextSource::PdfText`] or [`TextSource::Ocr`].
    pub source: TextSource,
    /// Pages read (page images for OCR).
    pub pages: u32,
}

/// Why a document has no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// It needs OCR (a scan or an image) and this build has none: a human
    /// can still read it.
    #[error("{what}: {}", OcrError::Unavailable)]
    OcrUnavailable {
        /// "a scanned PDF (no text layer)" or "an image".
        what: &'static str,
    },
    /// The document could not be read (broken or hostile PDF, over a
    /// limit, OCR failure, not a PDF or image).
    #[error("{0}")]
    Unreadable(String),
}

/// Separates the pages of OCR text, as [`PdfText::text`](super::PdfText::text)
/// separates text-layer pages.
const PAGE_BREAK: &str = "\n\u{c}\n";

/// Reads the text of `bytes`: a PDF's text layer, else OCR of its page
/// images; an image through OCR (each page cleaned of stray marks by
/// [`clean_ocr_text`]). Bounded by `limits` (the PDF is checked
/// by [`pdf_text`] before its images are taken out).
pub fn read_text(bytes: &[u8], ocr: &dyn Ocr, limits: &PdfLimits) -> Result<DocumentText, TextError> {
    match DocumentKind::sniff(bytes) {
        DocumentKind::Image => ocr_pages(&[bytes.to_vec()], ocr, "an image"),
        DocumentKind::Other => Err(TextError::Unreadable("neither a PDF nor an image (PNG, JPEG, TIFF, WebP)".into())),
        DocumentKind::Pdf => {
            let t = pdf_text(bytes, limits).map_err(|e| TextError::Unreadable(e.to_string()))?;
            if t.has_text_layer {
                let pages = u32::try_from(t.pages.len()).unwrap_or(u32::MAX);
                return Ok(DocumentText { text: t.text(), source: TextSource::PdfText, pages });
            }
            const SCAN: &str = "a scanned PDF (no text layer)";
            if !ocr.available() {
                return Err(TextError::OcrUnavailable { what: SCAN });
            }
            match page_images(bytes) {
                Ok(images) if !images.is_empty() => ocr_pages(&images, ocr, SCAN),
                Ok(_) => Err(TextError::Unreadable("the PDF has no text layer and no page image OCR can read".into())),
                Err(e) => Err(TextError::Unreadable(e)),
            }
        }
    }
}

fn ocr_pages(images: &[Vec<u8>], ocr: &dyn Ocr, what: &'static str) -> Result<DocumentText, TextError> {
    let mut pages = Vec::with_capacity(images.len());
    for img in images {
        match ocr.image_text(img) {
            Ok(t) => pages.push(clean_ocr_text(&t)),
            Err(OcrError::Unavailable) => return Err(TextError::OcrUnavailable { what }),
            Err(e) => return Err(TextError::Unreadable(e.to_string())),
        }
    }
    let n = u32::try_from(pages.len()).unwrap_or(u32::MAX);
    Ok(DocumentText { text: pages.join(PAGE_BREAK), source: TextSource::Ocr, pages: n })
}

/// [`read_text`] on the blocking thread pool: OCR takes seconds per page
/// and PDF parsing is CPU work, neither belongs on an async worker thread.
/// Needs a Tokio runtime (every async caller of core has one).
pub async fn read_text_blocking(
    bytes: Vec<u8>,
    ocr: Arc<dyn Ocr>,
    limits: PdfLimits,
) -> Result<DocumentText, TextError> {
    tokio::task::spawn_blocking(move || read_text(&bytes, ocr.as_ref(), &limits))
        .await
        .unwrap_or_else(|e| Err(TextError::Unreadable(format!("reading the document failed: {e}"))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extraction::ocr::NoOcr;

    /// An OCR that returns a fixed text, to test the path around the port.
    struct Fixed(&'static str);
    impl Ocr for Fixed {
        fn image_text(&self, _image: &[u8]) -> Result<String, OcrError> {
            Ok(self.0.to_owned())
        }
    }

    #[test]
    fn kinds_are_sniffed_from_bytes() {
        assert_eq!(DocumentKind::sniff(b"%PDF-1.7\n"), DocumentKind::Pdf);
        assert_eq!(DocumentKind::sniff(b"junk\n%PDF-1.4"), DocumentKind::Pdf);
        assert_eq!(DocumentKind::sniff(b"\x89PNG\r\n\x1a\n...."), DocumentKind::Image);
        assert_eq!(DocumentKind::sniff(b"\xff\xd8\xff\xe0"), DocumentKind::Image);
        assert_eq!(DocumentKind::sniff(b"RIFF\0\0\0\0WEBPVP8 "), DocumentKind::Image);
        assert_eq!(DocumentKind::sniff(b"<html>"), DocumentKind::Other);
        assert_eq!(DocumentKind::sniff(b""), DocumentKind::Other);
    }

    #[test]
    fn images_go_to_ocr_or_say_it_is_missing() {
        let png = b"\x89PNG\r\n\x1a\nrest";
        let got = read_text(png, &Fixed("ISO 9001"), &PdfLimits::default()).expect("text");
        assert_eq!((got.text.as_str(), got.source, got.pages), ("ISO 9001", TextSource::Ocr, 1));
        let err = read_text(png, &NoOcr, &PdfLimits::default()).expect_err("no OCR");
        assert_eq!(err, TextError::OcrUnavailable { what: "an image" });
        assert!(err.to_string().contains("OCR not available in this build"), "{err}");
    }

    #[test]
    fn garbage_is_unreadable_not_a_panic() {
        for bytes in [&b"<html>hi</html>"[..], b"%PDF-1.4 broken", b""] {
            assert!(matches!(read_text(bytes, &Fixed("x"), &PdfLimits::default()), Err(TextError::Unreadable(_))));
        }
    }

    #[test]
    fn text_sources_print_as_they_serialise() {
        for s in [TextSource::PdfText, TextSource::Ocr, TextSource::Html, TextSource::OcrUnavailable] {
            assert_eq!(serde_json::to_value(s).ok(), Some(serde_json::Value::from(s.as_str())));
        }
    }
}
