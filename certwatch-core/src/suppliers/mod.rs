//! Suppliers: organizations (external id unique per tenant, validated
//! website, LEI, VAT and country) and their sites, with per-organization
//! certificate counts. The service is [`SupplierService`].

pub mod identifiers;
pub mod model;
mod service;

pub use identifiers::{CountryCode, Lei, VatNumber, WebsiteUrl};
pub use model::{
    CertificateCounts, Organization, OrganizationDetail, OrganizationInput, OrganizationOrder, OrganizationPatch,
    OrganizationQuery, OrganizationSummary, Site, SiteInput, SitePatch, EXPIRING_WINDOW_DAYS,
};
pub(crate) use service::apply_organization_patch;
pub use service::SupplierService;
