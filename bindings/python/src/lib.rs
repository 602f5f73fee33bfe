//! `certwatch._native`: the Python face of the CertWatch core. Every
//! function converts Python values, calls `certwatch-bindings-common`, and
//! converts back; errors become the exceptions of [`errors`]. The typed
//! façade is the `certwatch` package (`python/certwatch/`).

mod convert;
mod errors;
mod pure;
mod store;

use pyo3::prelude::*;

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_function(wrap_pyfunction!(pure::statuses, m)?)?;
    m.add_function(wrap_pyfunction!(pure::allowed_transitions, m)?)?;
    m.add_function(wrap_pyfunction!(pure::apply_transition, m)?)?;
    m.add_function(wrap_pyfunction!(pure::validate_lei, m)?)?;
    m.add_function(wrap_pyfunction!(pure::validate_country, m)?)?;
    m.add_function(wrap_pyfunction!(pure::validate_url, m)?)?;
    m.add_function(wrap_pyfunction!(pure::generate_signing_secret, m)?)?;
    m.add_function(wrap_pyfunction!(pure::sign_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(pure::verify_webhook, m)?)?;
    m.add_function(wrap_pyfunction!(pure::simhash, m)?)?;
    m.add_function(wrap_pyfunction!(pure::simhash_many, m)?)?;
    m.add_function(wrap_pyfunction!(pure::hamming_distance, m)?)?;
    m.add_function(wrap_pyfunction!(pure::similarity, m)?)?;
    m.add_function(wrap_pyfunction!(pure::duplicate_score, m)?)?;
    m.add_function(wrap_pyfunction!(pure::pdf_text, m)?)?;
    m.add_function(wrap_pyfunction!(pure::extract_fields, m)?)?;
    m.add_function(wrap_pyfunction!(pure::_core_error_sample, m)?)?;
    m.add_function(wrap_pyfunction!(store::open, m)?)?;
    m.add_class::<store::Store>()?;
    m.add_class::<store::Session>()?;
    Ok(())
}
