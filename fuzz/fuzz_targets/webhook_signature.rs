//! Webhook signature-header verification: arbitrary headers and bodies
//! never panic, and a header signed by us always verifies.
#![no_main]

use certwatch_core::webhooks::{sign, verify_github, verify_standard};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (id, ts, sig, body) = (
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
        parts.next().unwrap_or(""),
    );
    let _ = verify_github(SECRET, body.as_bytes(), sig);
    let _ = verify_standard(SECRET, id, ts, sig, body.as_bytes(), 1_700_000_000, 300);
    let _ = verify_standard(sig, id, ts, sig, body.as_bytes(), 1_700_000_000, 300);
    let h = sign(SECRET, id, 1_700_000_000, body.as_bytes()).expect("valid secret");
    assert!(verify_github(SECRET, body.as_bytes(), &h.x_webhook_signature).is_ok());
    assert!(verify_standard(
        SECRET,
        id,
        &h.webhook_timestamp,
        &h.webhook_signature,
        body.as_bytes(),
        1_700_000_000,
        300
    )
    .is_ok());
});
