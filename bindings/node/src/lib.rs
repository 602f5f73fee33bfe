//! The Node face of the CertWatch core (napi-rs). Every function converts
//! JavaScript values, calls `certwatch-bindings-common`, and converts back;
//! errors are encoded once ([`errors`]) and turned into classes by
//! `index.js`, the package's entry point, with `index.d.ts` its types.

#![deny(clippy::all)]
// napi-derive registers the exports only outside `cfg(test)`, so a test
// build (clippy --all-targets) would see them as unused.
#![cfg_attr(test, allow(dead_code))]

mod errors;
mod pure;
mod store;
