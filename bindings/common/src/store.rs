//! The store handle: a database the server could be using (`sqlite://path`
//! or `postgres://…`) and the very same `CertWatch` services the server
//! calls on it. A [`StoreHandle`] does what needs no tenant (register,
//! verify an e-mail address, log in); a [`Session`] acts as the user an API
//! token authenticates, in that token's tenant, with that user's
//! permissions — exactly as a request with `Authorization: Token …` would.
//!
//! Methods return `'static` futures (they clone the cheap `CertWatch`
//! handle), so each binding can run them on [`crate::runtime`]. Inputs and
//! outputs are JSON values shaped like the REST API's bodies.

use std::future::Future;

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificateQuery, TransitionRequest};
use certwatch_core::ids::{CertificateId, OrganizationId};
use certwatch_core::pagination::PageRequest;
use certwatch_core::suppliers::{CountryCode, OrganizationInput, OrganizationOrder, OrganizationQuery, SiteInput};
use certwatch_core::tenancy::{LoginRequest, RegistrationRequest};
use certwatch_core::CertWatch;
use certwatch_store::Backend;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::errors::{BindingError, Result};
use crate::pure::{parse_opt_date, parse_status, to_json};

/// Whether [`StoreHandle::open`] applies pending migrations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Migrations {
    /// Apply the embedded migrations first (as `certwatch migrate` does).
    Apply,
    /// Use the schema as it is.
    Skip,
}

/// An open store and the core services over it.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    app: CertWatch,
    backend: Backend,
}

/// Input of [`StoreHandle::register`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterInput {
    email: String,
    password: String,
    tenant_name: String,
    full_name: Option<String>,
}

impl StoreHandle {
    /// Opens the database `url` names, migrating it first when asked.
    pub async fn open(url: String, migrations: Migrations) -> Result<Self> {
        let backend = Backend::of_url(&url)?;
        let store = match migrations {
            Migrations::Apply => certwatch_store::connect_and_migrate(&url).await?,
            Migrations::Skip => certwatch_store::connect(&url).await?,
        };
        Ok(Self { app: CertWatch::new(store), backend })
    }

    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// Registers a user and a new tenant with the user as its admin
    /// (`{"email", "password", "tenant_name", "full_name"?}`). Returns the
    /// ids, the tenant's slug and the e-mail verification token (which the
    /// server would have mailed).
    pub fn register(&self, input: Value) -> impl Future<Output = Result<Value>> + Send + 'static {
        let app = self.app.clone();
        async move {
            let i: RegisterInput = from_json(input, "input")?;
            let req = RegistrationRequest {
                email: i.email,
                password: i.password,
                tenant_name: i.tenant_name,
                full_name: i.full_name,
            };
            let r = app.tenancy().register(req, None).await?;
            Ok(json!({
                "user_id": r.user.id, "email": r.user.email, "tenant_id": r.tenant.id,
                "tenant_slug": r.tenant.slug, "tenant_name": r.tenant.name, "role": r.membership.role,
                "verification_token": r.verification_token.expose(),
            }))
        }
    }

    /// Verifies an e-mail address with its token and activates the user.
    pub fn verify_email(&self, token: String) -> impl Future<Output = Result<Value>> + Send + 'static {
        let app = self.app.clone();
        async move {
            let u = app.tenancy().verify_email(&token, None).await?;
            Ok(json!({"user_id": u.id, "email": u.email, "is_active": u.is_active}))
        }
    }

    /// Logs in and issues an API token (`{"token", "tenant_id",
    /// "tenant_slug", "user_id", "role"}`), usable here and on the server.
    pub fn login(
        &self,
        email: String,
        password: String,
        tenant_slug: Option<String>,
    ) -> impl Future<Output = Result<Value>> + Send + 'static {
        let app = self.app.clone();
        async move {
            let r = app.tenancy().login(LoginRequest { email, password, tenant_slug }, None).await?;
            Ok(json!({
                "token": r.issued.secret.expose(), "tenant_id": r.tenant.id, "tenant_slug": r.tenant.slug,
                "user_id": r.user.id, "role": r.role,
            }))
        }
    }

    /// A session acting as the owner of API token `token`.
    pub fn session(&self, token: String) -> impl Future<Output = Result<Session>> + Send + 'static {
        let app = self.app.clone();
        async move {
            let principal = app.tenancy().authenticate(&token).await?;
            Ok(Session { app, principal })
        }
    }
}

/// The tenant-scoped services, as one authenticated user.
#[derive(Debug, Clone)]
pub struct Session {
    app: CertWatch,
    principal: Principal,
}

/// Filters and page of [`Session::list_organizations`].
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganizationQueryInput {
    search: Option<String>,
    country: Option<String>,
    has_expiring: Option<bool>,
    has_expired: Option<bool>,
    order: Option<OrganizationOrder>,
    page: Option<u32>,
    page_size: Option<u32>,
}

impl Session {
    /// The tenant the session acts in.
    pub fn tenant_id(&self) -> String {
        self.principal.tenant_id.to_string()
    }

    /// The user the session acts as.
    pub fn user_id(&self) -> String {
        self.principal.user_id.to_string()
    }

    /// `"admin"` or `"member"`.
    pub fn role(&self) -> &'static str {
        self.principal.role.as_str()
    }

    /// Creates an organization (`{"name", "external_id"?, "website"?,
    /// "lei"?, "vat"?, "country"?}`).
    pub fn create_organization(&self, input: Value) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let input: OrganizationInput = from_json(input, "input")?;
            to_json(&app.suppliers().create_organization(&p, input).await?)
        }
    }

    /// One page of organizations with their certificate counts:
    /// `{"items": [...], "total"}`. Query keys: `search`, `country`,
    /// `has_expiring`, `has_expired`, `order` (`name_asc`, `name_desc`,
    /// `created_asc`, `created_desc`), `page` (from 1), `page_size`.
    pub fn list_organizations(&self, query: Value) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let q: OrganizationQueryInput =
                if query.is_null() { Default::default() } else { from_json(query, "query")? };
            let query = OrganizationQuery {
                search: q.search,
                country: q.country.as_deref().map(CountryCode::parse).transpose()?,
                has_expiring: q.has_expiring,
                has_expired: q.has_expired,
                order: q.order.unwrap_or_default(),
                page: page(q.page, q.page_size)?,
            };
            to_json(&app.suppliers().list_organizations(&p, &query).await?)
        }
    }

    /// Adds a site (`{"name", "address"?}`) to an organization.
    pub fn create_site(
        &self,
        organization_id: String,
        input: Value,
    ) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let org: OrganizationId = parse_id("organization_id", &organization_id)?;
            let input: SiteInput = from_json(input, "input")?;
            to_json(&app.suppliers().create_site(&p, org, input).await?)
        }
    }

    /// The sites of an organization, by name.
    pub fn list_sites(&self, organization_id: String) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let org: OrganizationId = parse_id("organization_id", &organization_id)?;
            to_json(&app.suppliers().list_sites(&p, org).await?)
        }
    }

    /// Creates a certificate (the REST body of `POST /api/certificates/`:
    /// `organization_id`, `certificate_type`, optional number, body, scope,
    /// ISO dates, `status`, URLs, `external_id`, `site_ids`).
    pub fn create_certificate(&self, input: Value) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let input: CertificateInput = from_json(input, "input")?;
            to_json(&app.certificates().create_certificate(&p, input).await?)
        }
    }

    /// Moves a certificate along the state machine, optionally with a new
    /// expiry date (re-certification) and a reason for the audit ledger.
    pub fn transition(
        &self,
        certificate_id: String,
        to: String,
        expiry_date: Option<String>,
        reason: Option<String>,
    ) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let id: CertificateId = parse_id("certificate_id", &certificate_id)?;
            let req = TransitionRequest {
                to: parse_status("to", &to)?,
                expiry_date: parse_opt_date("expiry_date", expiry_date.as_deref())?,
                reason,
            };
            to_json(&app.certificates().transition(&p, id, req).await?)
        }
    }

    /// ACTIVE certificates expiring between today and today + `within_days`,
    /// newest first: `{"items": [...], "total"}`.
    pub fn list_expiring(
        &self,
        within_days: u32,
        page_number: Option<u32>,
        page_size: Option<u32>,
    ) -> impl Future<Output = Result<Value>> + Send + 'static {
        let (app, p) = (self.app.clone(), self.principal.clone());
        async move {
            let q = CertificateQuery {
                expiring_within_days: Some(within_days),
                page: page(page_number, page_size)?,
                ..Default::default()
            };
            to_json(&app.certificates().list_certificates(&p, &q).await?)
        }
    }
}

fn page(number: Option<u32>, size: Option<u32>) -> Result<PageRequest> {
    let d = PageRequest::default();
    Ok(PageRequest::new(number.unwrap_or(d.page()), size.unwrap_or(d.page_size()))?)
}

fn from_json<T: DeserializeOwned>(v: Value, field: &str) -> Result<T> {
    serde_json::from_value(v).map_err(|e| BindingError::invalid(field, e.to_string()))
}

fn parse_id<T: From<uuid::Uuid>>(field: &str, raw: &str) -> Result<T> {
    uuid::Uuid::parse_str(raw.trim()).map(T::from).map_err(|_| BindingError::invalid(field, "must be a UUID"))
}
