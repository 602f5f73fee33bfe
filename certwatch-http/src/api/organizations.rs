//! `/api/organizations/`: suppliers and their sites. Every rule is in
//! `certwatch_core::suppliers`; this module parses, calls it and maps the
//! results.

use std::sync::Arc;

use certwatch_core::ids::{OrganizationId, SiteId};
use certwatch_core::pagination::{PageRequest, DEFAULT_PAGE_SIZE};
use certwatch_core::suppliers as core;
use certwatch_core::validation::ValidationErrors;
use certwatch_core::Error as CoreError;
use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{patch, patch_required, Created, NoContent, Reply, TokenAuth};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Suppliers (organizations) and their sites.
    Organizations,
}

/// A supplier whose certificates are tracked.
#[derive(Object, Debug, Clone)]
pub struct Organization {
    /// Organization id.
    pub id: Uuid,
    /// The tenant's own reference (ERP number…), unique in the tenant.
    pub external_id: Option<String>,
    /// Legal or trading name.
    pub name: String,
    /// Homepage.
    pub website: Option<String>,
    /// Legal Entity Identifier (ISO 17442).
    pub lei: Option<String>,
    /// VAT identification number.
    pub vat: Option<String>,
    /// ISO 3166-1 alpha-2 country of the legal seat.
    pub country: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<core::Organization> for Organization {
    fn from(o: core::Organization) -> Self {
        Self {
            id: o.id.0,
            external_id: o.external_id,
            name: o.name,
            website: o.website.map(|v| v.as_str().to_owned()),
            lei: o.lei.map(|v| v.as_str().to_owned()),
            vat: o.vat.map(|v| v.as_str().to_owned()),
            country: o.country.map(|v| v.as_str().to_owned()),
            created_at: o.created_at,
            updated_at: o.updated_at,
        }
    }
}

/// How many of the organization's certificates are active, expiring
/// (active, expiring within 30 days; counted in `active_certificates` too)
/// and expired.
#[derive(Object, Debug, Clone, Copy)]
pub struct CertificateCounts {
    /// Certificates in status ACTIVE.
    pub active_certificates: u64,
    /// ACTIVE certificates whose expiry date is within the next 30 days.
    pub expiring_certificates: u64,
    /// Certificates in status EXPIRED.
    pub expired_certificates: u64,
}

impl From<core::CertificateCounts> for CertificateCounts {
    fn from(c: core::CertificateCounts) -> Self {
        Self { active_certificates: c.active, expiring_certificates: c.expiring, expired_certificates: c.expired }
    }
}

/// A list row: the organization and its certificate counts.
#[derive(Object, Debug, Clone)]
pub struct OrganizationSummary {
    /// The organization.
    #[oai(flatten)]
    pub organization: Organization,
    /// Its certificate counts.
    #[oai(flatten)]
    pub counts: CertificateCounts,
}

/// An organization with its certificate counts and its sites.
#[derive(Object, Debug, Clone)]
pub struct OrganizationDetail {
    /// The organization.
    #[oai(flatten)]
    pub organization: Organization,
    /// Its certificate counts.
    #[oai(flatten)]
    pub counts: CertificateCounts,
    /// Its sites, by name.
    pub sites: Vec<Site>,
}

/// One page of organizations.
#[derive(Object, Debug, Clone)]
pub struct OrganizationPage {
    /// The rows of this page.
    pub items: Vec<OrganizationSummary>,
    /// How many organizations match, in all pages.
    pub total: u64,
    /// This page's number, from 1.
    pub page: u32,
    /// Rows per page.
    pub page_size: u32,
}

/// A new organization.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct NewOrganization {
    /// The tenant's own reference, unique in the tenant.
    pub external_id: Option<String>,
    /// Legal or trading name.
    pub name: String,
    /// Homepage (http or https URL).
    pub website: Option<String>,
    /// Legal Entity Identifier (20 characters, ISO 7064 check digits).
    pub lei: Option<String>,
    /// VAT identification number.
    pub vat: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: Option<String>,
}

/// A partial update: a field left out stays unchanged, `null` clears it.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct OrganizationUpdate {
    /// New external id, or `null` to clear it.
    pub external_id: MaybeUndefined<String>,
    /// New name (can't be cleared).
    pub name: MaybeUndefined<String>,
    /// New homepage, or `null` to clear it.
    pub website: MaybeUndefined<String>,
    /// New LEI, or `null` to clear it.
    pub lei: MaybeUndefined<String>,
    /// New VAT number, or `null` to clear it.
    pub vat: MaybeUndefined<String>,
    /// New country, or `null` to clear it.
    pub country: MaybeUndefined<String>,
}

/// A location of an organization.
#[derive(Object, Debug, Clone)]
pub struct Site {
    /// Site id.
    pub id: Uuid,
    /// The organization it belongs to.
    pub organization_id: Uuid,
    /// Name of the site.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<core::Site> for Site {
    fn from(s: core::Site) -> Self {
        Self {
            id: s.id.0,
            organization_id: s.organization_id.0,
            name: s.name,
            address: s.address,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A new site.
#[derive(Object, Debug, Clone)]
#[oai(deny_unknown_fields)]
pub struct NewSite {
    /// Name of the site.
    pub name: String,
    /// Postal address.
    pub address: Option<String>,
}

/// A partial update of a site: a field left out stays unchanged, `null`
/// clears it.
#[derive(Object, Debug, Clone, Default)]
#[oai(deny_unknown_fields)]
pub struct SiteUpdate {
    /// New name (can't be cleared).
    pub name: MaybeUndefined<String>,
    /// New address, or `null` to clear it.
    pub address: MaybeUndefined<String>,
}

/// Sort order of the organization list; `-` means descending.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrganizationOrdering {
    /// By name, A to Z.
    #[oai(rename = "name")]
    Name,
    /// By name, Z to A.
    #[oai(rename = "-name")]
    NameDesc,
    /// Oldest first.
    #[oai(rename = "created_at")]
    CreatedAt,
    /// Newest first.
    #[oai(rename = "-created_at")]
    CreatedAtDesc,
}

impl From<OrganizationOrdering> for core::OrganizationOrder {
    fn from(o: OrganizationOrdering) -> Self {
        match o {
            OrganizationOrdering::Name => Self::NameAsc,
            OrganizationOrdering::NameDesc => Self::NameDesc,
            OrganizationOrdering::CreatedAt => Self::CreatedAsc,
            OrganizationOrdering::CreatedAtDesc => Self::CreatedDesc,
        }
    }
}

pub(super) fn default_page() -> u32 {
    1
}

pub(super) fn default_page_size() -> u32 {
    DEFAULT_PAGE_SIZE
}

/// Organization and site endpoints.
pub struct OrganizationsApi {
    pub(super) state: Arc<State>,
}

impl OrganizationsApi {
    fn suppliers(&self) -> core::SupplierService<'_> {
        self.state.core.suppliers()
    }
}

#[OpenApi(prefix_path = "/api/organizations", tag = "Tag::Organizations")]
impl OrganizationsApi {
    /// One page of the tenant's organizations with their active, expiring
    /// and expired certificate counts.
    // Each query parameter is an argument of its own in poem-openapi.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/", method = "get", operation_id = "organizations_list")]
    async fn list(
        &self,
        auth: TokenAuth,
        /// Case-insensitive part of the name.
        search: Query<Option<String>>,
        /// Only this ISO 3166-1 alpha-2 country.
        country: Query<Option<String>>,
        /// Only organizations with (`true`) or without (`false`) expiring certificates.
        has_expiring: Query<Option<bool>>,
        /// Only organizations with (`true`) or without (`false`) expired certificates.
        has_expired: Query<Option<bool>>,
        /// Sort order (default `name`).
        ordering: Query<Option<OrganizationOrdering>>,
        /// Page number, from 1.
        #[oai(default = "default_page")]
        page: Query<u32>,
        /// Rows per page, 1 to 500.
        #[oai(default = "default_page_size")]
        page_size: Query<u32>,
    ) -> Reply<Json<OrganizationPage>> {
        Reply::run(async {
            let mut errs = ValidationErrors::default();
            let page_req = match PageRequest::new(page.0, page_size.0) {
                Ok(p) => Some(p),
                Err(e) => {
                    errs.violations.extend(e.violations);
                    None
                }
            };
            let country = match country.0.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(c) => errs.check(core::CountryCode::parse(c)).map(Some),
                None => Some(None),
            };
            let (Some(page_req), Some(country)) = (page_req, country) else {
                return Err(CoreError::from(errs).into());
            };
            let q = core::OrganizationQuery {
                search: search.0.filter(|s| !s.trim().is_empty()),
                country,
                has_expiring: has_expiring.0,
                has_expired: has_expired.0,
                order: ordering.0.map(Into::into).unwrap_or_default(),
                page: page_req,
            };
            let found = self.suppliers().list_organizations(&auth.0, &q).await?;
            Ok(Json(OrganizationPage {
                items: found
                    .items
                    .into_iter()
                    .map(|s| OrganizationSummary { organization: s.organization.into(), counts: s.counts.into() })
                    .collect(),
                total: found.total,
                page: page_req.page(),
                page_size: page_req.page_size(),
            }))
        })
        .await
    }

    /// Creates an organization.
    #[oai(path = "/", method = "post", operation_id = "organizations_create")]
    async fn create(&self, auth: TokenAuth, body: Json<NewOrganization>) -> Reply<Created<Organization>> {
        let b = body.0;
        let input = core::OrganizationInput {
            external_id: b.external_id,
            name: b.name,
            website: b.website,
            lei: b.lei,
            vat: b.vat,
            country: b.country,
        };
        Reply::map(self.suppliers().create_organization(&auth.0, input).await, |o| Created::Created(Json(o.into())))
    }

    /// An organization with its certificate counts and sites.
    #[oai(path = "/:id", method = "get", operation_id = "organizations_get")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<OrganizationDetail>> {
        Reply::map(self.suppliers().get_organization(&auth.0, OrganizationId(id.0)).await, |d| {
            Json(OrganizationDetail {
                organization: d.organization.into(),
                counts: d.counts.into(),
                sites: d.sites.into_iter().map(Into::into).collect(),
            })
        })
    }

    /// Changes an organization: fields left out stay unchanged, `null`
    /// clears a field.
    #[oai(path = "/:id", method = "patch", operation_id = "organizations_update")]
    async fn update(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<OrganizationUpdate>,
    ) -> Reply<Json<Organization>> {
        Reply::run(async {
            let b = body.0;
            let patch = core::OrganizationPatch {
                external_id: patch(b.external_id),
                name: patch_required("name", b.name)?,
                website: patch(b.website),
                lei: patch(b.lei),
                vat: patch(b.vat),
                country: patch(b.country),
            };
            let org = self.suppliers().update_organization(&auth.0, OrganizationId(id.0), patch).await?;
            Ok(Json(org.into()))
        })
        .await
    }

    /// Deletes an organization with its sites and certificates.
    #[oai(path = "/:id", method = "delete", operation_id = "organizations_delete")]
    async fn delete(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.suppliers().delete_organization(&auth.0, OrganizationId(id.0)).await, |()| NoContent::NoContent)
    }

    /// The organization's sites, by name.
    #[oai(path = "/:id/sites", method = "get", operation_id = "sites_list")]
    async fn list_sites(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<Vec<Site>>> {
        Reply::map(self.suppliers().list_sites(&auth.0, OrganizationId(id.0)).await, |ss| {
            Json(ss.into_iter().map(Into::into).collect())
        })
    }

    /// Adds a site to the organization.
    #[oai(path = "/:id/sites", method = "post", operation_id = "sites_create")]
    async fn create_site(&self, auth: TokenAuth, id: Path<Uuid>, body: Json<NewSite>) -> Reply<Created<Site>> {
        let input = core::SiteInput { name: body.0.name, address: body.0.address };
        Reply::map(self.suppliers().create_site(&auth.0, OrganizationId(id.0), input).await, |s| {
            Created::Created(Json(s.into()))
        })
    }

    /// A site of the organization.
    #[oai(path = "/:id/sites/:site_id", method = "get", operation_id = "sites_get")]
    async fn get_site(&self, auth: TokenAuth, id: Path<Uuid>, site_id: Path<Uuid>) -> Reply<Json<Site>> {
        Reply::map(self.suppliers().get_site(&auth.0, OrganizationId(id.0), SiteId(site_id.0)).await, |s| {
            Json(s.into())
        })
    }

    /// Changes a site: fields left out stay unchanged, `null` clears the address.
    #[oai(path = "/:id/sites/:site_id", method = "patch", operation_id = "sites_update")]
    async fn update_site(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        site_id: Path<Uuid>,
        body: Json<SiteUpdate>,
    ) -> Reply<Json<Site>> {
        Reply::run(async {
            let (org, site) = (OrganizationId(id.0), SiteId(site_id.0));
            let b = body.0;
            let input = core::SitePatch { name: patch_required("name", b.name)?, address: patch(b.address) };
            let s = self.suppliers().update_site(&auth.0, org, site, input).await?;
            Ok(Json(s.into()))
        })
        .await
    }

    /// Deletes a site (certificates stop listing it).
    #[oai(path = "/:id/sites/:site_id", method = "delete", operation_id = "sites_delete")]
    async fn delete_site(&self, auth: TokenAuth, id: Path<Uuid>, site_id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.suppliers().delete_site(&auth.0, OrganizationId(id.0), SiteId(site_id.0)).await, |()| {
            NoContent::NoContent
        })
    }
}
