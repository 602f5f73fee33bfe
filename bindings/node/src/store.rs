//! The store handle and sessions. Every call returns a Promise: the future
//! runs on the common runtime (which owns the connection pools) and is
//! awaited from napi's executor, so the event loop never blocks.

use std::future::Future;

use certwatch_bindings_common::runtime::run;
use certwatch_bindings_common::store::{Migrations, Session as CoreSession, StoreHandle};
use certwatch_bindings_common::Result as CommonResult;
use napi::{Env, JsObject};
use napi_derive::napi;
use serde_json::Value;

use crate::errors::to_napi;

fn promise<T, F>(env: &Env, fut: F) -> napi::Result<JsObject>
where
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    F: Future<Output = CommonResult<T>> + Send + 'static,
{
    env.spawn_future(async move { run(fut).await.map_err(to_napi) })
}

/// Opens `url` (`sqlite://path`, `sqlite::memory:` or `postgres://…`),
/// applying migrations first when `options.migrate` is true.
#[napi(ts_args_type = "url: string, options?: { migrate?: boolean }", ts_return_type = "Promise<Store>")]
pub fn open(env: Env, url: String, options: Option<Value>) -> napi::Result<JsObject> {
    let migrate = options.as_ref().and_then(|o| o.get("migrate")).and_then(Value::as_bool).unwrap_or(false);
    let m = if migrate { Migrations::Apply } else { Migrations::Skip };
    let fut = StoreHandle::open(url, m);
    promise(&env, async move { fut.await.map(|inner| Store { inner }) })
}

/// A database and the CertWatch services over it.
#[napi]
pub struct Store {
    inner: StoreHandle,
}

#[napi]
impl Store {
    /// `"sqlite"` or `"postgres"`.
    #[napi(getter)]
    pub fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    /// Registers a user and a tenant: `{email, password, tenant_name, full_name?}`.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn register(&self, env: Env, input: Value) -> napi::Result<JsObject> {
        promise(&env, self.inner.register(input))
    }

    /// Verifies an e-mail address with its token.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn verify_email(&self, env: Env, token: String) -> napi::Result<JsObject> {
        promise(&env, self.inner.verify_email(token))
    }

    /// Logs in; resolves to `{token, ...}`.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn login(
        &self,
        env: Env,
        email: String,
        password: String,
        tenant_slug: Option<String>,
    ) -> napi::Result<JsObject> {
        promise(&env, self.inner.login(email, password, tenant_slug))
    }

    /// A session acting as the owner of an API token.
    #[napi(ts_return_type = "Promise<Session>")]
    pub fn session(&self, env: Env, token: String) -> napi::Result<JsObject> {
        let fut = self.inner.session(token);
        promise(&env, async move { fut.await.map(|inner| Session { inner }) })
    }
}

/// The tenant-scoped services as one authenticated user.
#[napi]
pub struct Session {
    inner: CoreSession,
}

#[napi]
impl Session {
    /// The tenant the session acts in.
    #[napi(getter)]
    pub fn tenant_id(&self) -> String {
        self.inner.tenant_id()
    }

    /// The user the session acts as.
    #[napi(getter)]
    pub fn user_id(&self) -> String {
        self.inner.user_id()
    }

    /// `"admin"` or `"member"`.
    #[napi(getter)]
    pub fn role(&self) -> &'static str {
        self.inner.role()
    }

    /// Creates an organization.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn create_organization(&self, env: Env, input: Value) -> napi::Result<JsObject> {
        promise(&env, self.inner.create_organization(input))
    }

    /// One page of organizations with counts: `{items, total}`.
    #[napi(ts_return_type = "Promise<{ items: Record<string, any>[]; total: number }>")]
    pub fn list_organizations(&self, env: Env, query: Option<Value>) -> napi::Result<JsObject> {
        promise(&env, self.inner.list_organizations(query.unwrap_or(Value::Null)))
    }

    /// Adds a site to an organization.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn create_site(&self, env: Env, organization_id: String, input: Value) -> napi::Result<JsObject> {
        promise(&env, self.inner.create_site(organization_id, input))
    }

    /// The sites of an organization.
    #[napi(ts_return_type = "Promise<Record<string, any>[]>")]
    pub fn list_sites(&self, env: Env, organization_id: String) -> napi::Result<JsObject> {
        promise(&env, self.inner.list_sites(organization_id))
    }

    /// Creates a certificate.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn create_certificate(&self, env: Env, input: Value) -> napi::Result<JsObject> {
        promise(&env, self.inner.create_certificate(input))
    }

    /// Moves a certificate along the state machine.
    #[napi(ts_return_type = "Promise<Record<string, any>>")]
    pub fn transition(
        &self,
        env: Env,
        certificate_id: String,
        to: String,
        expiry_date: Option<String>,
        reason: Option<String>,
    ) -> napi::Result<JsObject> {
        promise(&env, self.inner.transition(certificate_id, to, expiry_date, reason))
    }

    /// ACTIVE certificates expiring within `within_days` days.
    #[napi(ts_return_type = "Promise<{ items: Record<string, any>[]; total: number }>")]
    pub fn list_expiring(
        &self,
        env: Env,
        within_days: u32,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> napi::Result<JsObject> {
        promise(&env, self.inner.list_expiring(within_days, page, page_size))
    }
}
