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
        // The C API defaults to one uniform text block (PSM 6), which drops
        // headings such as the standard's name; the command line's fully
        // automatic layout (PSM 3) reads certificates whole. Runs of spaces
        // between a label and its value are kept: the extraction rules read
        // them as cell boundaries.
        for (var, value) in
            [(leptess::Variable::TesseditPagesegMode, "3"), (leptess::Variable::PreserveInterwordSpaces, "1")]
        {
            lt.set_variable(var, value).map_err(|e| OcrError::Failed(format!("Tesseract setting refused: {e:?}")))?;
        }
        lt.set_image_from_mem(image).map_err(|e| OcrError::Failed(format!("unreadable image: {e}")))?;
        lt.get_utf8_text().map_err(|e| OcrError::Failed(e.to_string()))
    }
}
