//! The pure functions, converted. Heavy calls (SimHash of many texts, PDF
//! text, field extraction) run with the GIL released.

use certwatch_bindings_common::{errors, pure};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::convert::{from_py, header_pairs, to_py};
use crate::errors::IntoPyResult;

/// A date argument: an ISO string or anything with `.isoformat()`.
fn date_arg(o: Option<&Bound<'_, PyAny>>) -> PyResult<Option<String>> {
    match o {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.extract::<String>() {
            Ok(s) => Ok(Some(s)),
            Err(_) => Ok(Some(o.call_method0("isoformat")?.extract()?)),
        },
    }
}

/// Every certificate status, in lifecycle order.
#[pyfunction]
pub fn statuses() -> Vec<&'static str> {
    pure::statuses()
}

/// The statuses `status` may move to (before date rules).
#[pyfunction]
pub fn allowed_transitions(status: &str) -> PyResult<Vec<&'static str>> {
    pure::allowed_transitions(status).py()
}

/// Applies a transition on `today`; returns `{"status", "expiry_date"}`.
#[pyfunction]
#[pyo3(signature = (status, to, today, expiry_date=None, new_expiry_date=None))]
pub fn apply_transition(
    py: Python<'_>,
    status: &str,
    to: &str,
    today: &Bound<'_, PyAny>,
    expiry_date: Option<&Bound<'_, PyAny>>,
    new_expiry_date: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    let today = date_arg(Some(today))?.unwrap_or_default();
    let (e, n) = (date_arg(expiry_date)?, date_arg(new_expiry_date)?);
    to_py(py, &pure::apply_transition(status, to, &today, e.as_deref(), n.as_deref()).py()?)
}

/// The canonical LEI, or `ValidationError`.
#[pyfunction]
pub fn validate_lei(value: &str) -> PyResult<String> {
    pure::validate_lei(value).py()
}

/// The canonical ISO 3166-1 alpha-2 code, or `ValidationError`.
#[pyfunction]
pub fn validate_country(value: &str) -> PyResult<String> {
    pure::validate_country(value).py()
}

/// The canonical website URL, or `ValidationError`.
#[pyfunction]
pub fn validate_url(value: &str) -> PyResult<String> {
    pure::validate_url(value).py()
}

/// A fresh `whsec_…` signing secret.
#[pyfunction]
pub fn generate_signing_secret() -> String {
    pure::generate_signing_secret()
}

/// The four signature headers the server sends with a delivery.
#[pyfunction]
pub fn sign_webhook<'py>(
    py: Python<'py>,
    secret: &str,
    id: &str,
    timestamp: i64,
    body: &[u8],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in pure::sign_webhook(secret, id, timestamp, body).py()? {
        d.set_item(k, v)?;
    }
    Ok(d)
}

/// Verifies a received delivery; raises `SignatureError` when it fails.
#[pyfunction]
#[pyo3(signature = (secret, headers, body, now=None, tolerance=None))]
pub fn verify_webhook(
    secret: &str,
    headers: &Bound<'_, PyAny>,
    body: &[u8],
    now: Option<i64>,
    tolerance: Option<i64>,
) -> PyResult<()> {
    pure::verify_webhook(secret, &header_pairs(headers)?, body, now, tolerance).py()
}

/// The 64-bit SimHash of `text`.
#[pyfunction]
pub fn simhash(py: Python<'_>, text: &str) -> u64 {
    py.allow_threads(|| pure::simhash(text))
}

/// The SimHash of every text, in order (one call, GIL released).
#[pyfunction]
pub fn simhash_many(py: Python<'_>, texts: Vec<String>) -> Vec<u64> {
    py.allow_threads(|| pure::simhash_many(&texts))
}

/// Differing bits of two fingerprints.
#[pyfunction]
pub fn hamming_distance(a: u64, b: u64) -> u32 {
    pure::hamming_distance(a, b)
}

/// 1.0 for identical fingerprints, 0.0 for complementary ones.
#[pyfunction]
pub fn similarity(a: u64, b: u64) -> f64 {
    pure::similarity(a, b)
}

/// `{"score", "verdict", "rule"}` for two certificates' fields.
#[pyfunction]
pub fn duplicate_score(py: Python<'_>, a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<PyObject> {
    to_py(py, &pure::duplicate_score(from_py(a)?, from_py(b)?).py()?)
}

/// `{"text", "pages", "has_text_layer"}` of a PDF's bytes.
#[pyfunction]
pub fn pdf_text(py: Python<'_>, data: &[u8]) -> PyResult<PyObject> {
    let v = py.allow_threads(|| pure::pdf_text(data)).py()?;
    to_py(py, &v)
}

/// Certificate fields read from text by the core's rules.
#[pyfunction]
#[pyo3(signature = (text, filename=None, reference_date=None))]
pub fn extract_fields(
    py: Python<'_>,
    text: &str,
    filename: Option<&str>,
    reference_date: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyObject> {
    let reference_date = date_arg(reference_date)?;
    let v = py.allow_threads(|| pure::extract_fields(text, filename, reference_date.as_deref())).py()?;
    to_py(py, &v)
}

/// Raises the exception a core error variant maps to (for the error-mapping
/// tests; not part of the public surface).
#[pyfunction]
pub fn _core_error_sample(variant: &str) -> PyResult<()> {
    Err(errors::core_error_sample(variant)).py()
}
