//! The pure functions, converted: fingerprints are `bigint` (64 bits do not
//! fit a JavaScript number), bodies and PDFs are `Buffer`s, records are
//! plain objects. Panics are caught (`catch_unwind`) and surface as errors.

use certwatch_bindings_common::{errors, pure};
use napi::bindgen_prelude::{BigInt, Buffer};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::IntoNapiResult;

fn u64_of(field: &str, b: &BigInt) -> napi::Result<u64> {
    let (signed, v, lossless) = b.get_u64();
    if signed || !lossless {
        return Err(napi::Error::from_reason(format!("{field} must be an unsigned 64-bit bigint")));
    }
    Ok(v)
}

/// Every certificate status, in lifecycle order.
#[napi(catch_unwind)]
pub fn statuses() -> Vec<&'static str> {
    pure::statuses()
}

/// The statuses `status` may move to (before date rules).
#[napi(catch_unwind)]
pub fn allowed_transitions(status: String) -> napi::Result<Vec<&'static str>> {
    pure::allowed_transitions(&status).js()
}

/// Applies a transition on `today` (ISO dates); returns `{status, expiry_date}`.
#[napi(catch_unwind, ts_return_type = "{ status: string; expiry_date: string | null }")]
pub fn apply_transition(
    status: String,
    to: String,
    today: String,
    expiry_date: Option<String>,
    new_expiry_date: Option<String>,
) -> napi::Result<Value> {
    pure::apply_transition(&status, &to, &today, expiry_date.as_deref(), new_expiry_date.as_deref()).js()
}

/// The canonical LEI, or a `ValidationError`.
#[napi(catch_unwind)]
pub fn validate_lei(value: String) -> napi::Result<String> {
    pure::validate_lei(&value).js()
}

/// The canonical ISO 3166-1 alpha-2 code, or a `ValidationError`.
#[napi(catch_unwind)]
pub fn validate_country(value: String) -> napi::Result<String> {
    pure::validate_country(&value).js()
}

/// The canonical website URL, or a `ValidationError`.
#[napi(catch_unwind)]
pub fn validate_url(value: String) -> napi::Result<String> {
    pure::validate_url(&value).js()
}

/// A fresh `whsec_…` signing secret.
#[napi(catch_unwind)]
pub fn generate_signing_secret() -> String {
    pure::generate_signing_secret()
}

/// The four signature headers the server sends with a delivery.
#[napi(catch_unwind, ts_return_type = "Record<string, string>")]
pub fn sign_webhook(secret: String, id: String, timestamp: i64, body: Buffer) -> napi::Result<Value> {
    let pairs = pure::sign_webhook(&secret, &id, timestamp, &body).js()?;
    Ok(Value::Object(pairs.into_iter().map(|(k, v)| (k.to_owned(), Value::String(v))).collect()))
}

/// Verifies a received delivery; throws a `SignatureError` when it fails.
/// `headers` is an object such as `req.headers` (array values are joined).
#[napi(
    catch_unwind,
    ts_args_type = "secret: string, headers: Record<string, string | string[] | undefined>, body: Buffer, now?: number | null, tolerance?: number | null"
)]
pub fn verify_webhook(
    secret: String,
    headers: Value,
    body: Buffer,
    now: Option<i64>,
    tolerance: Option<i64>,
) -> napi::Result<()> {
    let pairs: Vec<(String, String)> = headers
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k.clone(), s.clone())),
            Value::Array(a) => Some((k.clone(), a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))),
            _ => None,
        })
        .collect();
    pure::verify_webhook(&secret, &pairs, &body, now, tolerance).js()
}

/// The 64-bit SimHash of `text`.
#[napi(catch_unwind)]
pub fn simhash(text: String) -> BigInt {
    BigInt::from(pure::simhash(&text))
}

/// The SimHash of every text, in order.
#[napi(catch_unwind)]
pub fn simhash_many(texts: Vec<String>) -> Vec<BigInt> {
    pure::simhash_many(&texts).into_iter().map(BigInt::from).collect()
}

/// Differing bits of two fingerprints.
#[napi(catch_unwind)]
pub fn hamming_distance(a: BigInt, b: BigInt) -> napi::Result<u32> {
    Ok(pure::hamming_distance(u64_of("a", &a)?, u64_of("b", &b)?))
}

/// 1.0 for identical fingerprints, 0.0 for complementary ones.
#[napi(catch_unwind)]
pub fn similarity(a: BigInt, b: BigInt) -> napi::Result<f64> {
    Ok(pure::similarity(u64_of("a", &a)?, u64_of("b", &b)?))
}

/// `{score, verdict, rule}` for two certificates' fields (`simhash` as a
/// decimal string: `index.js` converts bigints).
#[napi(catch_unwind, ts_return_type = "{ score: number; verdict: string; rule: string }")]
pub fn duplicate_score(a: Value, b: Value) -> napi::Result<Value> {
    pure::duplicate_score(a, b).js()
}

/// `{text, pages, has_text_layer}` of a PDF.
#[napi(catch_unwind, ts_return_type = "{ text: string; pages: string[]; has_text_layer: boolean }")]
pub fn pdf_text(data: Buffer) -> napi::Result<Value> {
    pure::pdf_text(&data).js()
}

/// Certificate fields read from text by the core's rules.
#[napi(catch_unwind, ts_return_type = "{ is_certificate: boolean; fields: Record<string, any> }")]
pub fn extract_fields(text: String, filename: Option<String>, reference_date: Option<String>) -> napi::Result<Value> {
    pure::extract_fields(&text, filename.as_deref(), reference_date.as_deref()).js()
}

/// Throws the error a core error variant maps to (error-mapping tests only).
#[napi(js_name = "_coreErrorSample", catch_unwind)]
pub fn core_error_sample(variant: String) -> napi::Result<()> {
    Err(errors::core_error_sample(&variant)).js()
}
