//! # certwatch-core
//!
//! Every rule of CertWatch lives here: the tenancy model and its services,
//! suppliers (organizations and sites), certificates and their lifecycle,
//! change detection with a transactional outbox, the audit ledger and the
//! permission predicates.
//!
//! The crate does no IO of its own. It reaches the world only through the
//! traits in [`ports`] (the store and its transactions, the clock, id
//! generation), which is why it depends on no SQL and no HTTP-server crate:
//! the same services run inside the REST host, the bindings and the tests.
//!
//! Entry point: build a [`CertWatch`] from a [`ports::Store`] and call its
//! services ([`CertWatch::tenancy`], [`CertWatch::suppliers`],
//! [`CertWatch::certificates`]).

pub mod adapters;
pub mod audit;
pub mod authz;
pub mod bulk_upload;
pub mod certificates;
pub mod dedupe;
mod error;
pub mod events;
pub mod expiry;
pub mod extraction;
pub mod ids;
pub mod imports;
pub mod jobs;
pub mod monitoring;
pub mod net;
pub mod operations;
pub mod pagination;
pub mod ports;
pub mod suppliers;
pub mod tenancy;
pub mod validation;
pub mod webhooks;

mod app;

pub use app::{CertWatch, CoreConfig};
pub use error::{Error, Result};
