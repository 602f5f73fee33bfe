//! Rule-based field extraction over arbitrary text (an optional file name
//! before a NUL byte): never panics, confidences stay within 0..=1, the
//! type is a seeded code, and the certificate number and holder are text
//! that is really there.
#![no_main]

use certwatch_core::certificates::types::SEEDED_TYPES;
use certwatch_core::extraction::{extract_fields, Hints};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let (filename, text) = match s.split_once('\0') {
        Some((name, text)) => (Some(name.to_string()), text),
        None => (None, s),
    };
    let got = extract_fields(text, &Hints { filename, reference_date: None });
    let f = &got.fields;
    for field in
        [&f.certificate_number, &f.certificate_type, &f.standard_text, &f.issuing_body, &f.holder_name, &f.scope]
            .into_iter()
            .flatten()
    {
        assert!((0.0..=1.0).contains(&field.confidence), "{field:?}");
    }
    for field in [&f.issue_date, &f.valid_from, &f.expiry_date].into_iter().flatten() {
        assert!((0.0..=1.0).contains(&field.confidence), "{field:?}");
    }
    if let Some(t) = &f.certificate_type {
        assert!(SEEDED_TYPES.iter().any(|(code, _, _)| *code == t.value), "{t:?}");
    }
    for field in [&f.certificate_number, &f.holder_name].into_iter().flatten() {
        assert!(text.contains(field.value.as_str()), "{field:?}");
    }
});
