//! The supplier service: the only write path for organizations and sites.

use serde_json::json;

use super::identifiers::{CountryCode, Lei, VatNumber, WebsiteUrl};
use super::model::{
    CertificateCounts, Organization, OrganizationDetail, OrganizationInput, OrganizationPatch, OrganizationQuery,
    OrganizationSummary, Site, SiteInput, SitePatch,
};
use crate::authz::{authorize, Action, Principal};
use crate::ids::{OrganizationId, SiteId};
use crate::pagination::Page;
use crate::ports::{Scope, Tx};
use crate::validation::{optional_long_text, optional_text, required_text, ValidationErrors, Violation};
use crate::{CertWatch, Error, Result};

/// Organization and site operations.
#[derive(Debug, Clone, Copy)]
pub struct SupplierService<'a> {
    app: &'a CertWatch,
}

fn opt<T>(field: &str, v: Option<&str>, parse: impl Fn(&str) -> Result<T, Violation>) -> Result<Option<T>, Violation> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => parse(s).map(Some).map_err(|mut e| {
            e.field = field.to_owned();
            e
        }),
    }
}

impl<'a> SupplierService<'a> {
    pub(crate) fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    async fn tx(&self, p: &Principal, action: Action) -> Result<Box<dyn Tx>> {
        authorize(p, action)?;
        let scope = Scope::Tenant(p.tenant_id);
        Ok(match action {
            Action::ReadTenantData => self.app.inner.store.begin_read(scope).await?,
            _ => self.app.inner.store.begin(scope).await?,
        })
    }

    /// Creates an organization after validating every field.
    pub async fn create_organization(&self, p: &Principal, input: OrganizationInput) -> Result<Organization> {
        let org = self.validate_new_organization(p, input)?;
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        tx.insert_organization(&org).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "organization.create",
            "organization",
            org.id.to_string(),
            json!({"name": org.name, "external_id": org.external_id}),
        )])
        .await?;
        if org.website.is_some() {
            // Find its certificate pages; in this transaction, so a rolled
            // back creation leaves no job behind.
            let spec = crate::jobs::JobSpec::new(
                crate::jobs::kinds::WEBSITE_DISCOVERY,
                Some(p.tenant_id),
                json!({"organization_id": org.id}),
            )
            .with_request_id(p.request_id.clone())
            // The same key as an import's discovery job for a new
            // organization, so the two paths never queue it twice.
            .with_dedupe_key(format!("{}:{}", crate::jobs::kinds::WEBSITE_DISCOVERY, org.id));
            crate::jobs::enqueue_in(self.app, tx.as_mut(), spec).await?;
        }
        tx.commit().await?;
        Ok(org)
    }

    /// A new organization of `p`'s tenant from raw input, every field
    /// validated (the one rule set of creation, used by imports too).
    pub(crate) fn validate_new_organization(
        &self,
        p: &Principal,
        input: OrganizationInput,
    ) -> Result<Organization, ValidationErrors> {
        let mut errs = ValidationErrors::default();
        let external_id = errs.check(optional_text("external_id", input.external_id.as_deref(), 100));
        let name = errs.check(required_text("name", &input.name, 255));
        let website = errs.check(opt("website", input.website.as_deref(), WebsiteUrl::parse));
        let lei = errs.check(opt("lei", input.lei.as_deref(), Lei::parse));
        let vat = errs.check(opt("vat", input.vat.as_deref(), VatNumber::parse));
        let country = errs.check(opt("country", input.country.as_deref(), CountryCode::parse));
        let (Some(external_id), Some(name), Some(website), Some(lei), Some(vat), Some(country)) =
            (external_id, name, website, lei, vat, country)
        else {
            return Err(errs);
        };
        let now = self.app.inner.clock.now();
        Ok(Organization {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            external_id,
            name,
            website,
            lei,
            vat,
            country,
            created_at: now,
            updated_at: now,
        })
    }

    /// Inserts validated organizations in `tx` with their audit entries
    /// (`metadata` is merged into each entry's), without committing: the
    /// batch path of imports.
    pub(crate) async fn insert_organizations_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        orgs: &[(Organization, CertificateCounts)],
        counted_on: chrono::NaiveDate,
        metadata: &serde_json::Value,
    ) -> Result<()> {
        if orgs.is_empty() {
            return Ok(());
        }
        tx.insert_organizations(orgs, counted_on).await?;
        let audits: Vec<_> = orgs
            .iter()
            .map(|(o, _)| {
                let mut meta = json!({"name": o.name, "external_id": o.external_id});
                merge(&mut meta, metadata);
                self.app.audit_by(p, "organization.create", "organization", o.id.to_string(), meta)
            })
            .collect();
        tx.insert_audit(&audits).await?;
        Ok(())
    }

    /// Saves changed organizations in `tx` with their audit entries,
    /// without committing: the batch path of imports.
    pub(crate) async fn update_organizations_in(
        &self,
        tx: &mut dyn Tx,
        p: &Principal,
        orgs: &[Organization],
        metadata: &serde_json::Value,
    ) -> Result<()> {
        let mut audits = Vec::with_capacity(orgs.len());
        for o in orgs {
            tx.update_organization(o).await?;
            let mut meta = json!({"name": o.name});
            merge(&mut meta, metadata);
            audits.push(self.app.audit_by(p, "organization.update", "organization", o.id.to_string(), meta));
        }
        tx.insert_audit(&audits).await?;
        Ok(())
    }

    /// Applies a partial update.
    pub async fn update_organization(
        &self,
        p: &Principal,
        id: OrganizationId,
        patch: OrganizationPatch,
    ) -> Result<Organization> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let mut org = tx.get_organization(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("organization"))?;
        apply_organization_patch(&mut org, &patch)?;
        org.updated_at = self.app.inner.clock.now();
        tx.update_organization(&org).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "organization.update",
            "organization",
            id.to_string(),
            json!({"name": org.name}),
        )])
        .await?;
        tx.commit().await?;
        Ok(org)
    }

    /// Deletes an organization with its sites and certificates.
    pub async fn delete_organization(&self, p: &Principal, id: OrganizationId) -> Result<()> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        if !tx.delete_organization(p.tenant_id, id).await? {
            return Err(Error::not_found("organization"));
        }
        tx.insert_audit(&[self.app.audit_by(p, "organization.delete", "organization", id.to_string(), json!({}))])
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The organization with its counts and its sites.
    pub async fn get_organization(&self, p: &Principal, id: OrganizationId) -> Result<OrganizationDetail> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        let organization =
            tx.get_organization(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("organization"))?;
        let counts = tx.organization_counts(p.tenant_id, id, self.app.inner.clock.today()).await?;
        let sites = tx.list_sites(p.tenant_id, id).await?;
        Ok(OrganizationDetail { organization, counts, sites })
    }

    /// One page of organizations with their active, expiring and expired
    /// certificate counts.
    pub async fn list_organizations(&self, p: &Principal, q: &OrganizationQuery) -> Result<Page<OrganizationSummary>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        Ok(tx.list_organizations(p.tenant_id, q, self.app.inner.clock.today()).await?)
    }

    /// Re-derives every stale expiring counter of the tenant for today (the
    /// daily window job); returns how many organizations were refreshed.
    pub async fn refresh_expiring_counts(&self, p: &Principal) -> Result<u64> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let n = tx.refresh_expiring_counts(p.tenant_id, self.app.inner.clock.today()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Adds a site to an organization.
    pub async fn create_site(&self, p: &Principal, org: OrganizationId, input: SiteInput) -> Result<Site> {
        let (name, address) = validate_site(&input)?;
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        if tx.get_organization(p.tenant_id, org).await?.is_none() {
            return Err(Error::not_found("organization"));
        }
        let now = self.app.inner.clock.now();
        let site = Site {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            organization_id: org,
            name,
            address,
            created_at: now,
            updated_at: now,
        };
        tx.insert_site(&site).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "site.create",
            "site",
            site.id.to_string(),
            json!({"organization_id": org}),
        )])
        .await?;
        tx.commit().await?;
        Ok(site)
    }

    /// A site of an organization.
    pub async fn get_site(&self, p: &Principal, org: OrganizationId, id: SiteId) -> Result<Site> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        tx.get_site(p.tenant_id, id).await?.filter(|s| s.organization_id == org).ok_or_else(|| Error::not_found("site"))
    }

    /// The sites of an organization.
    pub async fn list_sites(&self, p: &Principal, org: OrganizationId) -> Result<Vec<Site>> {
        let mut tx = self.tx(p, Action::ReadTenantData).await?;
        if tx.get_organization(p.tenant_id, org).await?.is_none() {
            return Err(Error::not_found("organization"));
        }
        Ok(tx.list_sites(p.tenant_id, org).await?)
    }

    /// Applies a partial update to a site, in one transaction.
    pub async fn update_site(&self, p: &Principal, org: OrganizationId, id: SiteId, patch: SitePatch) -> Result<Site> {
        let mut errs = ValidationErrors::default();
        let name = patch.name.as_deref().and_then(|n| errs.check(required_text("name", n, 255)));
        let address =
            patch.address.as_ref().and_then(|a| errs.check(optional_long_text("address", a.as_deref(), 1000)));
        errs.into_result(())?;
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        let mut site = tx
            .get_site(p.tenant_id, id)
            .await?
            .filter(|s| s.organization_id == org)
            .ok_or_else(|| Error::not_found("site"))?;
        if let Some(n) = name {
            site.name = n;
        }
        if let Some(a) = address {
            site.address = a;
        }
        site.updated_at = self.app.inner.clock.now();
        tx.update_site(&site).await?;
        tx.insert_audit(&[self.app.audit_by(p, "site.update", "site", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(site)
    }

    /// Deletes a site (certificates stop listing it).
    pub async fn delete_site(&self, p: &Principal, org: OrganizationId, id: SiteId) -> Result<()> {
        let mut tx = self.tx(p, Action::WriteTenantData).await?;
        if tx.get_site(p.tenant_id, id).await?.filter(|s| s.organization_id == org).is_none() {
            return Err(Error::not_found("site"));
        }
        tx.delete_site(p.tenant_id, id).await?;
        tx.insert_audit(&[self.app.audit_by(p, "site.delete", "site", id.to_string(), json!({}))]).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Applies `patch` to `org`, every changed field validated as on creation
/// (the one rule set of updates, used by imports too). On error `org` may be
/// partly changed; callers discard it.
pub(crate) fn apply_organization_patch(
    org: &mut Organization,
    patch: &OrganizationPatch,
) -> Result<(), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    if let Some(v) = &patch.external_id {
        if let Some(v) = errs.check(optional_text("external_id", v.as_deref(), 100)) {
            org.external_id = v;
        }
    }
    if let Some(v) = &patch.name {
        if let Some(v) = errs.check(required_text("name", v, 255)) {
            org.name = v;
        }
    }
    if let Some(v) = &patch.website {
        if let Some(v) = errs.check(opt("website", v.as_deref(), WebsiteUrl::parse)) {
            org.website = v;
        }
    }
    if let Some(v) = &patch.lei {
        if let Some(v) = errs.check(opt("lei", v.as_deref(), Lei::parse)) {
            org.lei = v;
        }
    }
    if let Some(v) = &patch.vat {
        if let Some(v) = errs.check(opt("vat", v.as_deref(), VatNumber::parse)) {
            org.vat = v;
        }
    }
    if let Some(v) = &patch.country {
        if let Some(v) = errs.check(opt("country", v.as_deref(), CountryCode::parse)) {
            org.country = v;
        }
    }
    errs.into_result(())
}

fn merge(meta: &mut serde_json::Value, extra: &serde_json::Value) {
    if let (serde_json::Value::Object(m), serde_json::Value::Object(x)) = (meta, extra) {
        m.extend(x.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

fn validate_site(input: &SiteInput) -> Result<(String, Option<String>), ValidationErrors> {
    let mut errs = ValidationErrors::default();
    let name = errs.check(required_text("name", &input.name, 255));
    let address = errs.check(optional_long_text("address", input.address.as_deref(), 1000));
    match (name, address) {
        (Some(n), Some(a)) => errs.into_result((n, a)),
        _ => Err(errs),
    }
}
