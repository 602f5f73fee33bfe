//! PDF text extraction over arbitrary bytes: never panics, stays within its
//! limits (tight ones here, so bombs are found fast), and a document it
//! reads has no more pages than allowed.
#![no_main]

use certwatch_core::extraction::{pdf_text, PdfLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = PdfLimits {
        max_input_bytes: 1 << 20,
        max_decompressed_bytes: 4 << 20,
        max_stream_bytes: 1 << 20,
        max_pages: 50,
        max_objects: 20_000,
        max_operators: 100_000,
        max_text_chars: 100_000,
    };
    if let Ok(text) = pdf_text(data, &limits) {
        assert!(text.pages.len() <= limits.max_pages);
        if text.has_text_layer {
            assert!(text.pages.iter().any(|p| p.chars().any(char::is_alphanumeric)));
        }
    }
});
