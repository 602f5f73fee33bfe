//! The OCR port: how images (photos, scans, the page images of scanned
//! PDFs) become text. Bulk upload and monitoring both read documents
//! through [`read_text`](super::read_text), which calls this port; the
//! Tesseract adapter is `extraction::tesseract` behind the cargo
//! feature `ocr`, and [`default_ocr`] picks what the build has.

use std::sync::Arc;

/// Why OCR failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OcrError {
    /// This build has no OCR engine (the `ocr` cargo feature is off).
    #[error("OCR not available in this build (build with the `ocr` feature and install Tesseract)")]
    Unavailable,
    /// The engine could not read the image.
    #[error("OCR failed: {0}")]
    Failed(String),
}

/// Reads text from images (English and German).
pub trait Ocr: Send + Sync {
    /// The text of one page image (PNG, JPEG, TIFF or WebP bytes).
    fn image_text(&self, image: &[u8]) -> Result<String, OcrError>;
    /// Whether an engine is present (false for [`NoOcr`]).
    fn available(&self) -> bool {
        true
    }
}

/// The OCR of a build without the `ocr` feature: every call says so.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoOcr;

impl Ocr for NoOcr {
    fn image_text(&self, _image: &[u8]) -> Result<String, OcrError> {
        Err(OcrError::Unavailable)
    }
    fn available(&self) -> bool {
        false
    }
}

/// The OCR engine of this build: Tesseract with the `ocr` feature, else
/// [`NoOcr`] (scans and images are then reported as unread, saying why).
pub fn default_ocr() -> Arc<dyn Ocr> {
    #[cfg(feature = "ocr")]
    {
        Arc::new(super::tesseract::TesseractOcr)
    }
    #[cfg(not(feature = "ocr"))]
    {
        Arc::new(NoOcr)
    }
}
