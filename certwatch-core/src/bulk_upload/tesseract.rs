//! The Tesseract OCR adapter (cargo feature `ocr`): leptess over the
//! system's libtesseract, English and German (`eng+deu`).

use super::ports::{Ocr, OcrError};

/// Languages read.
pub const LANGUAGES: &str = "eng+deu";

/// OCR with Tesseract. An engine is created per call: Tesseract handles are
/// not thread-safe, and a page's recognition costs far more than loading
/// the language data.
#[derive(Debug, Default, Clone, Copy)]
pub struct TesseractOcr;

impl Ocr for TesseractOcr {
    fn image_text(&self, image: &[u8]) -> Result<String, OcrError> {
        let mut lt = leptess::LepTess::new(None, LANGUAGES).map_err(|e| {
            OcrError::Failed(format!("Tesseract could not start (is tesseract-ocr-{{eng,deu}} installed?): {e}"))
        })?;
        lt.set_image_from_mem(image).map_err(|e| OcrError::Failed(format!("unreadable image: {e}")))?;
        lt.get_utf8_text().map_err(|e| OcrError::Failed(e.to_string()))
    }
}
