//! Errors across the Node boundary. A rejected promise carries only a
//! message, so every error is encoded the same way, sync or async:
//! `certwatch-error:` followed by the JSON of the common error
//! (`{"kind", "message", "details"}`). `index.js` decodes it and throws the
//! class named by `kind` (`NotFound`, `InvalidTransition`, …), all below
//! `CertWatchError`, keeping the core's message.

use certwatch_bindings_common::BindingError;

/// The marker `index.js` looks for.
pub const PREFIX: &str = "certwatch-error:";

/// The napi error for a binding error.
pub fn to_napi(e: BindingError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, format!("{PREFIX}{}", e.to_json()))
}

/// Maps a common result to a napi one.
pub trait IntoNapiResult<T> {
    /// The value, or the encoded error.
    fn js(self) -> napi::Result<T>;
}

impl<T> IntoNapiResult<T> for Result<T, BindingError> {
    fn js(self) -> napi::Result<T> {
        self.map_err(to_napi)
    }
}
