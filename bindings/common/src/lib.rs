//! # certwatch-bindings-common
//!
//! Everything the Python and Node bindings share, so that those two crates
//! only convert values between their language and Rust:
//!
//! * [`errors`] — the one mapping from core errors to the error kinds (and
//!   class names) both languages raise;
//! * [`pure`] — the pure surface: state machine, validators, webhook signing
//!   and verification, SimHash and duplicate scoring, PDF text and field
//!   extraction;
//! * [`store`] — a handle on a store and the tenant-scoped services;
//! * [`runtime`] — the shared async runtime and the panic boundary.
//!
//! The surface both bindings must expose is listed in `bindings/surface.json`;
//! each language's test suite compares its package with it.

pub mod errors;
pub mod pure;
pub mod runtime;
pub mod store;

pub use errors::{BindingError, ErrorKind, Result};
