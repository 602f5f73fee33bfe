//! Secret redaction over arbitrary text and JSON: never panics, and is
//! idempotent (redacting twice changes nothing more).
#![no_main]

use certwatch_core::audit::{redact_secrets, redact_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    let once = redact_text(s);
    assert_eq!(redact_text(&once), once);
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(s) {
        let r = redact_secrets(&v);
        assert_eq!(redact_secrets(&r), r);
    }
});
