//! Certificates: the seeded certificate types, certificates with the sites
//! they cover, the status state machine ([`status`]), change detection
//! ([`changes`]) and the certificate service ([`CertificateService`]).

pub mod changes;
pub mod documents;
pub mod lifecycle;
pub mod model;
mod service;
pub mod status;
pub mod types;

pub use lifecycle::{apply_transition, Lifecycle};
pub use model::{
    Certificate, CertificateFilter, CertificateInput, CertificatePatch, CertificateQuery, CertificateType,
    DocumentHash, Provenance, PublicCertificate, PublicSearch, TransitionRequest,
};
pub(crate) use service::certificate_event;
pub use service::CertificateService;
pub use status::{check_transition, CertificateStatus, TransitionError};
