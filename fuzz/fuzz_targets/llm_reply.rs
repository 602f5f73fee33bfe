//! The LLM extractor's answer parser over arbitrary input: a document text
//! and, after a NUL byte, either a whole chat completion response body
//! (first byte even) or just the message content, wrapped in a well-formed
//! envelope so the fuzzer reaches the reply checks (first byte odd). Never
//! panics; every kept field has a confidence within 0..=0.9, a seeded type
//! code, and a certificate number and holder that are in the document
//! (white space and case ignored): nothing the answer invents survives.
#![no_main]

use certwatch_core::certificates::types::SEEDED_TYPES;
use certwatch_core::extraction::llm::{read_completion, MAX_CONFIDENCE};
use certwatch_core::extraction::Hints;
use libfuzzer_sys::fuzz_target;

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let Ok(s) = std::str::from_utf8(rest) else { return };
    let (text, answer) = s.split_once('\0').unwrap_or((s, ""));
    let body = if mode % 2 == 0 {
        answer.as_bytes().to_vec()
    } else {
        serde_json::json!({"choices": [{"finish_reason": "stop", "message": {"content": answer}}]})
            .to_string()
            .into_bytes()
    };
    let hints = Hints { filename: Some("cert_ISO9001.pdf".into()), reference_date: None };
    let Ok(got) = read_completion(&body, text, &hints) else { return };
    let f = &got.extraction.fields;
    for field in
        [&f.certificate_number, &f.certificate_type, &f.standard_text, &f.issuing_body, &f.holder_name, &f.scope]
            .into_iter()
            .flatten()
    {
        assert!((0.0..=MAX_CONFIDENCE).contains(&field.confidence), "{field:?}");
    }
    for field in [&f.issue_date, &f.valid_from, &f.expiry_date].into_iter().flatten() {
        assert!((0.0..=MAX_CONFIDENCE).contains(&field.confidence), "{field:?}");
    }
    if let Some(t) = &f.certificate_type {
        assert!(SEEDED_TYPES.iter().any(|(code, _, _)| *code == t.value), "{t:?}");
    }
    for field in [&f.certificate_number, &f.holder_name, &f.scope].into_iter().flatten() {
        assert!(squash(text).contains(&squash(&field.value)), "{field:?}");
    }
});
