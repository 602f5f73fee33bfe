//! The one tokio runtime every store call of a process runs on, and the
//! panic boundary. Store handles keep connection pools that belong to the
//! runtime that opened them, so Python (blocking, with the GIL released) and
//! Node (awaiting from napi's own executor) both run their futures here.
//! A panic in a call becomes an [`ErrorKind::Internal`] error instead of
//! unwinding into the interpreter.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use crate::errors::{BindingError, ErrorKind, Result};

static RUNTIME: OnceLock<std::result::Result<tokio::runtime::Runtime, String>> = OnceLock::new();

fn runtime() -> Result<&'static tokio::runtime::Runtime> {
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("certwatch")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| BindingError::new(ErrorKind::Internal, format!("could not start the async runtime: {e}")))
}

/// Runs `fut` on the shared runtime and waits for it from any executor (or
/// none: see [`block_on`]). Panics inside `fut` become internal errors.
pub async fn run<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    let handle = runtime()?.spawn(fut);
    match handle.await {
        Ok(r) => r,
        Err(e) if e.is_panic() => Err(panic_error(e.into_panic())),
        Err(e) => Err(BindingError::new(ErrorKind::Internal, format!("the call was cancelled: {e}"))),
    }
}

/// Runs `fut` to completion from a thread outside the runtime (a Python
/// thread that released the GIL).
pub fn block_on<T, F>(fut: F) -> Result<T>
where
    F: Future<Output = Result<T>> + Send + 'static,
    T: Send + 'static,
{
    runtime()?.block_on(run(fut))
}

/// Calls a synchronous function, turning a panic into an internal error.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|p| Err(panic_error(p)))
}

fn panic_error(payload: Box<dyn std::any::Any + Send>) -> BindingError {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    BindingError::new(ErrorKind::Internal, format!("internal error (a bug in CertWatch): {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panics_become_internal_errors() {
        let e = guard::<()>(|| panic!("boom")).expect_err("caught");
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.contains("boom"));
        let e = block_on::<(), _>(async { panic!("async boom") }).expect_err("caught");
        assert_eq!(e.kind, ErrorKind::Internal);
        assert!(e.message.contains("async boom"));
        assert_eq!(block_on(async { Ok(7) }), Ok(7));
    }
}
