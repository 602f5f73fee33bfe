//! The Python exception hierarchy, mapped from the common error kinds in
//! this one place:
//!
//! ```text
//! CertWatchError
//!  ├── ValidationError      (.errors: [{"field", "message"}])
//!  ├── NotFound
//!  ├── Conflict
//!  ├── InvalidTransition    (.allowed_transitions: [status])
//!  ├── Forbidden
//!  ├── AuthenticationError
//!  ├── StoreError
//!  ├── ExtractionError
//!  ├── SignatureError
//!  └── InternalError        (a panic caught at the boundary: a bug)
//! ```
//!
//! Every instance also carries `.kind` (the class name) and `.details`.

use certwatch_bindings_common::{BindingError, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;

use crate::convert::to_py;

create_exception!(_native, CertWatchError, PyException, "Base class of every CertWatch error.");
create_exception!(_native, ValidationError, CertWatchError, "The input broke a field rule (see .errors).");
create_exception!(_native, NotFound, CertWatchError, "No such object in this tenant.");
create_exception!(_native, Conflict, CertWatchError, "The change collides with existing data.");
create_exception!(_native, InvalidTransition, CertWatchError, "The state machine refused the status change.");
create_exception!(_native, Forbidden, CertWatchError, "The caller lacks the permission.");
create_exception!(_native, AuthenticationError, CertWatchError, "A credential or one-time token was refused.");
create_exception!(_native, StoreError, CertWatchError, "The database failed or could not be opened.");
create_exception!(_native, ExtractionError, CertWatchError, "A PDF could not be read.");
create_exception!(_native, SignatureError, CertWatchError, "A webhook signature or secret was refused.");
create_exception!(_native, InternalError, CertWatchError, "A bug in CertWatch, caught at the boundary.");

/// The Python exception for a binding error, with `.kind`, `.details` and
/// each detail as an attribute of its own.
pub fn to_pyerr(e: BindingError) -> PyErr {
    Python::with_gil(|py| {
        let err = match e.kind {
            ErrorKind::Validation => ValidationError::new_err(e.message.clone()),
            ErrorKind::NotFound => NotFound::new_err(e.message.clone()),
            ErrorKind::Conflict => Conflict::new_err(e.message.clone()),
            ErrorKind::InvalidTransition => InvalidTransition::new_err(e.message.clone()),
            ErrorKind::Forbidden => Forbidden::new_err(e.message.clone()),
            ErrorKind::Authentication => AuthenticationError::new_err(e.message.clone()),
            ErrorKind::Store => StoreError::new_err(e.message.clone()),
            ErrorKind::Extraction => ExtractionError::new_err(e.message.clone()),
            ErrorKind::Signature => SignatureError::new_err(e.message.clone()),
            ErrorKind::Internal => InternalError::new_err(e.message.clone()),
        };
        // Attaching attributes only fails on memory exhaustion; the error
        // itself is still the right class then.
        let _ = annotate(py, &err, &e);
        err
    })
}

fn annotate(py: Python<'_>, err: &PyErr, e: &BindingError) -> PyResult<()> {
    let v = err.value(py);
    v.setattr("kind", e.kind.class_name())?;
    v.setattr("details", to_py(py, &e.details)?)?;
    if let Some(map) = e.details.as_object() {
        for (k, x) in map {
            v.setattr(k.as_str(), to_py(py, x)?)?;
        }
    }
    Ok(())
}

/// Adds the hierarchy to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("CertWatchError", py.get_type::<CertWatchError>())?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("NotFound", py.get_type::<NotFound>())?;
    m.add("Conflict", py.get_type::<Conflict>())?;
    m.add("InvalidTransition", py.get_type::<InvalidTransition>())?;
    m.add("Forbidden", py.get_type::<Forbidden>())?;
    m.add("AuthenticationError", py.get_type::<AuthenticationError>())?;
    m.add("StoreError", py.get_type::<StoreError>())?;
    m.add("ExtractionError", py.get_type::<ExtractionError>())?;
    m.add("SignatureError", py.get_type::<SignatureError>())?;
    m.add("InternalError", py.get_type::<InternalError>())?;
    Ok(())
}

/// Maps a common result to a Python one.
pub trait IntoPyResult<T> {
    /// The value, or the mapped exception.
    fn py(self) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for Result<T, BindingError> {
    fn py(self) -> PyResult<T> {
        self.map_err(to_pyerr)
    }
}
