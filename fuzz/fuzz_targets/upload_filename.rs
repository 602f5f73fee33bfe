//! Uploaded file names and contents: `sanitize_filename` never panics,
//! never lets a path separator, `..`, NUL, control character or tag
//! bracket through, is idempotent and capped; the file-name hints, the
//! upload check (extension + magic bytes), the JavaScript scan and the
//! scanned-PDF page-image reader never panic on any bytes.
#![no_main]

use certwatch_core::bulk_upload::pdf_images::{ascii85, page_images};
use certwatch_core::bulk_upload::{
    check_upload, filename_hints, pdf_has_javascript, sanitize_filename, MAX_FILENAME_CHARS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = String::from_utf8_lossy(data);
    let s = sanitize_filename(&name);
    assert!(!s.is_empty() && s.chars().count() <= MAX_FILENAME_CHARS);
    assert!(!s.contains('/') && !s.contains('\\') && !s.contains("..") && !s.starts_with('.'));
    assert!(!s.chars().any(|c| c.is_control() || c == '<' || c == '>'));
    assert_eq!(sanitize_filename(&s), s);
    let _ = filename_hints(&s);
    let _ = check_upload(&s, data.len(), data);
    let _ = pdf_has_javascript(data);
    let _ = ascii85(data);
    let _ = page_images(data);
});
