//! The pure surface: thin wrappers over core functions that take and return
//! plain values (strings, numbers, bytes, JSON), so each binding only
//! converts. No rule is decided here; every answer is the core's.

use std::time::{SystemTime, UNIX_EPOCH};

use certwatch_core::certificates::{apply_transition as core_apply, CertificateStatus, Lifecycle};
use certwatch_core::dedupe::{self, DuplicateSubject};
use certwatch_core::extraction::{self, Hints, PdfLimits};
use certwatch_core::suppliers::{CountryCode, Lei, WebsiteUrl};
use certwatch_core::webhooks::signing::{self, DEFAULT_TOLERANCE_SECS};
use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::errors::{BindingError, ErrorKind, Result};
use crate::runtime::guard;

/// Every certificate status, in lifecycle order.
pub fn statuses() -> Vec<&'static str> {
    CertificateStatus::ALL.iter().map(|s| s.as_str()).collect()
}

/// The statuses `status` may move to (before date rules).
pub fn allowed_transitions(status: &str) -> Result<Vec<&'static str>> {
    Ok(parse_status("status", status)?.allowed_targets().iter().map(|s| s.as_str()).collect())
}

/// Applies one transition to a certificate in `status` with `expiry_date`
/// on `today`, setting `new_expiry_date` first when given. Returns
/// `{"status", "expiry_date"}`; refusals are `InvalidTransition`.
pub fn apply_transition(
    status: &str,
    to: &str,
    today: &str,
    expiry_date: Option<&str>,
    new_expiry_date: Option<&str>,
) -> Result<Value> {
    let current =
        Lifecycle { status: parse_status("status", status)?, expiry_date: parse_opt_date("expiry_date", expiry_date)? };
    let to = parse_status("to", to)?;
    let next =
        core_apply(current, to, parse_opt_date("new_expiry_date", new_expiry_date)?, parse_date("today", today)?)?;
    to_json(&next)
}

/// The canonical form of an LEI, or a `ValidationError`.
pub fn validate_lei(raw: &str) -> Result<String> {
    Ok(Lei::parse(raw)?.as_str().to_owned())
}

/// The canonical form of an ISO 3166-1 alpha-2 country code.
pub fn validate_country(raw: &str) -> Result<String> {
    Ok(CountryCode::parse(raw)?.as_str().to_owned())
}

/// The canonical form of a website URL (http/https, host, no credentials).
pub fn validate_url(raw: &str) -> Result<String> {
    Ok(WebsiteUrl::parse(raw)?.as_str().to_owned())
}

/// A fresh webhook signing secret `whsec_<base64 of 32 bytes>`.
pub fn generate_signing_secret() -> String {
    signing::generate_signing_secret().expose().to_owned()
}

/// The headers the server sends with a delivery `id` signed at `timestamp`
/// (unix seconds) over `body`: `X-Webhook-Signature`, `webhook-id`,
/// `webhook-timestamp`, `webhook-signature`.
pub fn sign_webhook(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<Vec<(&'static str, String)>> {
    let h = signing::sign(secret, id, timestamp, body)?;
    Ok(h.pairs().into_iter().map(|(k, v)| (k, v.to_owned())).collect())
}

/// Verifies a received delivery as a receiver should: the Standard Webhooks
/// headers (required; timestamp within `tolerance_secs`, default 300, of
/// `now_unix`, default the system clock) and, when present, the GitHub-style
/// `X-Webhook-Signature`. Header names are matched case-insensitively.
pub fn verify_webhook(
    secret: &str,
    headers: &[(String, String)],
    body: &[u8],
    now_unix: Option<i64>,
    tolerance_secs: Option<i64>,
) -> Result<()> {
    let header = |name: &str| headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str());
    let missing = |name: &str| BindingError::new(ErrorKind::Signature, format!("missing header {name}"));
    let id = header(signing::HEADER_ID).ok_or_else(|| missing(signing::HEADER_ID))?;
    let ts = header(signing::HEADER_TIMESTAMP).ok_or_else(|| missing(signing::HEADER_TIMESTAMP))?;
    let sig = header(signing::HEADER_SIGNATURE).ok_or_else(|| missing(signing::HEADER_SIGNATURE))?;
    let now = now_unix.unwrap_or_else(unix_now);
    signing::verify_standard(secret, id, ts, sig, body, now, tolerance_secs.unwrap_or(DEFAULT_TOLERANCE_SECS))?;
    if let Some(x) = header(signing::HEADER_X_SIGNATURE) {
        signing::verify_github(secret, body, x)?;
    }
    Ok(())
}

/// The 64-bit SimHash of `text`.
pub fn simhash(text: &str) -> u64 {
    dedupe::simhash(text)
}

/// The SimHash of every text, in order.
pub fn simhash_many<S: AsRef<str>>(texts: &[S]) -> Vec<u64> {
    texts.iter().map(|t| dedupe::simhash(t.as_ref())).collect()
}

/// Differing bits of two fingerprints.
pub fn hamming_distance(a: u64, b: u64) -> u32 {
    dedupe::hamming_distance(a, b)
}

/// 1.0 for identical fingerprints, 0.0 for complementary ones.
pub fn similarity(a: u64, b: u64) -> f64 {
    dedupe::similarity(a, b)
}

/// How likely two certificates are the same: `{"score", "verdict", "rule"}`.
/// Each side is an object with any of `document_hash`,
/// `certificate_number`, `certificate_type`, `issuing_body`, `issue_date`,
/// `expiry_date` (ISO dates) and `simhash` (an integer or its decimal
/// string: JavaScript numbers cannot hold 64 bits).
pub fn duplicate_score(a: Value, b: Value) -> Result<Value> {
    let (a, b) = (subject(a, "a")?, subject(b, "b")?);
    to_json(&dedupe::score(&a, &b))
}

/// The text of a PDF: `{"pages": [...], "text", "has_text_layer"}`, under
/// the core's default resource limits.
pub fn pdf_text(bytes: &[u8]) -> Result<Value> {
    guard(|| {
        let t = extraction::pdf_text(bytes, &PdfLimits::default())?;
        Ok(json!({"text": t.text(), "pages": t.pages, "has_text_layer": t.has_text_layer}))
    })
}

/// Certificate fields read from `text` by the core's rules:
/// `{"is_certificate", "fields": {name: {"value", "confidence", "evidence"}}}`.
pub fn extract_fields(text: &str, filename: Option<&str>, reference_date: Option<&str>) -> Result<Value> {
    let hints = Hints {
        filename: filename.map(str::to_owned),
        reference_date: parse_opt_date("reference_date", reference_date)?,
    };
    guard(|| to_json(&extraction::extract_fields(text, &hints)))
}

fn subject(mut v: Value, side: &str) -> Result<DuplicateSubject> {
    if let Some(Value::String(s)) = v.get("simhash") {
        let n: u64 = s
            .trim()
            .parse()
            .map_err(|_| BindingError::invalid(&format!("{side}.simhash"), "must be an unsigned 64-bit integer"))?;
        v["simhash"] = json!(n);
    }
    serde_json::from_value(v).map_err(|e| BindingError::invalid(side, e.to_string()))
}

pub(crate) fn parse_status(field: &str, raw: &str) -> Result<CertificateStatus> {
    raw.parse::<CertificateStatus>().map_err(|v| BindingError::invalid(field, v.message))
}

pub(crate) fn parse_date(field: &str, raw: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| BindingError::invalid(field, "must be a date as YYYY-MM-DD"))
}

pub(crate) fn parse_opt_date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>> {
    raw.map(|r| parse_date(field, r)).transpose()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<Value> {
    serde_json::to_value(v).map_err(|e| BindingError::new(ErrorKind::Internal, format!("serialisation failed: {e}")))
}

fn unix_now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_apply_dates() {
        let v = apply_transition("EXPIRED", "ACTIVE", "2026-01-10", Some("2026-01-01"), Some("2027-01-01"))
            .expect("allowed");
        assert_eq!(v, json!({"status": "ACTIVE", "expiry_date": "2027-01-01"}));
        let e = apply_transition("EXPIRED", "ACTIVE", "2026-01-10", Some("2026-01-01"), None).expect_err("refused");
        assert_eq!(e.kind, ErrorKind::InvalidTransition);
        assert_eq!(
            apply_transition("NOPE", "ACTIVE", "2026-01-10", None, None).expect_err("bad").kind,
            ErrorKind::Validation
        );
    }

    #[test]
    fn webhook_round_trip_and_headers_case_insensitive() {
        let secret = generate_signing_secret();
        let h = sign_webhook(&secret, "d1", 1000, b"{}").expect("sign");
        let upper: Vec<(String, String)> = h.iter().map(|(k, v)| (k.to_uppercase(), v.clone())).collect();
        verify_webhook(&secret, &upper, b"{}", Some(1000), None).expect("verifies");
        let e = verify_webhook(&secret, &upper, b"{ }", Some(1000), None).expect_err("tampered");
        assert_eq!(e.kind, ErrorKind::Signature);
        assert_eq!(
            verify_webhook(&secret, &[], b"{}", Some(1000), None).expect_err("missing").kind,
            ErrorKind::Signature
        );
    }

    #[test]
    fn subjects_take_string_fingerprints() {
        let a = json!({"certificate_number": "12 100 4711", "simhash": u64::MAX.to_string()});
        let b = json!({"certificate_number": "121004711", "simhash": u64::MAX});
        assert_eq!(duplicate_score(a, b).expect("score")["rule"], "certificate_number");
        assert_eq!(duplicate_score(json!({"simhash": "x"}), json!({})).expect_err("bad").kind, ErrorKind::Validation);
    }
}
