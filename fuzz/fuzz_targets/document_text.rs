//! The shared text path: `read_text` (kind sniffing, PDF text layer, page
//! images of scans, the OCR port) never panics on any bytes, with or
//! without an engine; and the OCR clean-up never panics, keeps the line
//! structure and is idempotent on its own output.
#![no_main]

use certwatch_core::extraction::{clean_ocr_text, read_text, NoOcr, Ocr, OcrError, PdfLimits};
use libfuzzer_sys::fuzz_target;

/// An engine that "reads" the image bytes as text, so the clean-up and
/// the page joining run on fuzzed text.
struct Echo;

impl Ocr for Echo {
    fn image_text(&self, image: &[u8]) -> Result<String, OcrError> {
        Ok(String::from_utf8_lossy(image).into_owned())
    }
}

fuzz_target!(|data: &[u8]| {
    let limits = PdfLimits::default();
    let _ = read_text(data, &NoOcr, &limits);
    let _ = read_text(data, &Echo, &limits);
    let text = String::from_utf8_lossy(data);
    let cleaned = clean_ocr_text(&text);
    assert_eq!(cleaned.split('\n').count(), text.split('\n').count());
    assert_eq!(clean_ocr_text(&cleaned), cleaned);
});
