//! The store handle and sessions: every call blocks on the shared runtime
//! with the GIL released, so other Python threads run meanwhile.

use certwatch_bindings_common::runtime::block_on;
use certwatch_bindings_common::store::{Migrations, Session as CoreSession, StoreHandle};
use pyo3::prelude::*;

use crate::convert::{from_py, to_py};
use crate::errors::IntoPyResult;

/// Opens `url` (`sqlite://path`, `sqlite::memory:` or `postgres://…`),
/// applying the migrations first when `migrate` is true.
#[pyfunction]
#[pyo3(signature = (url, migrate=false))]
pub fn open(py: Python<'_>, url: String, migrate: bool) -> PyResult<Store> {
    let m = if migrate { Migrations::Apply } else { Migrations::Skip };
    let inner = py.allow_threads(|| block_on(StoreHandle::open(url, m))).py()?;
    Ok(Store { inner })
}

/// A database and the CertWatch services over it.
#[pyclass(frozen, module = "certwatch._native")]
pub struct Store {
    inner: StoreHandle,
}

#[pymethods]
impl Store {
    /// `"sqlite"` or `"postgres"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    /// Registers a user and a tenant; returns ids, slug and the
    /// verification token.
    #[pyo3(signature = (email, password, tenant_name, full_name=None))]
    fn register(
        &self,
        py: Python<'_>,
        email: String,
        password: String,
        tenant_name: String,
        full_name: Option<String>,
    ) -> PyResult<PyObject> {
        let input = serde_json::json!({"email": email, "password": password, "tenant_name": tenant_name, "full_name": full_name});
        let v = py.allow_threads(|| block_on(self.inner.register(input))).py()?;
        to_py(py, &v)
    }

    /// Verifies an e-mail address with its token.
    fn verify_email(&self, py: Python<'_>, token: String) -> PyResult<PyObject> {
        let v = py.allow_threads(|| block_on(self.inner.verify_email(token))).py()?;
        to_py(py, &v)
    }

    /// Logs in; returns `{"token", ...}`.
    #[pyo3(signature = (email, password, tenant_slug=None))]
    fn login(
        &self,
        py: Python<'_>,
        email: String,
        password: String,
        tenant_slug: Option<String>,
    ) -> PyResult<PyObject> {
        let v = py.allow_threads(|| block_on(self.inner.login(email, password, tenant_slug))).py()?;
        to_py(py, &v)
    }

    /// A session acting as the owner of an API token.
    fn session(&self, py: Python<'_>, token: String) -> PyResult<Session> {
        let inner = py.allow_threads(|| block_on(self.inner.session(token))).py()?;
        Ok(Session { inner })
    }
}

/// The tenant-scoped services as one authenticated user.
#[pyclass(frozen, module = "certwatch._native")]
pub struct Session {
    inner: CoreSession,
}

#[pymethods]
impl Session {
    /// The tenant the session acts in.
    #[getter]
    fn tenant_id(&self) -> String {
        self.inner.tenant_id()
    }

    /// The user the session acts as.
    #[getter]
    fn user_id(&self) -> String {
        self.inner.user_id()
    }

    /// `"admin"` or `"member"`.
    #[getter]
    fn role(&self) -> &'static str {
        self.inner.role()
    }

    /// Creates an organization from keyword fields.
    #[pyo3(signature = (**fields))]
    fn create_organization(
        &self,
        py: Python<'_>,
        fields: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<PyObject> {
        let input = kwargs(fields)?;
        let v = py.allow_threads(|| block_on(self.inner.create_organization(input))).py()?;
        to_py(py, &v)
    }

    /// One page of organizations with counts: `{"items", "total"}`.
    #[pyo3(signature = (**query))]
    fn list_organizations(&self, py: Python<'_>, query: Option<&Bound<'_, pyo3::types::PyDict>>) -> PyResult<PyObject> {
        let q = kwargs(query)?;
        let v = py.allow_threads(|| block_on(self.inner.list_organizations(q))).py()?;
        to_py(py, &v)
    }

    /// Adds a site to an organization.
    #[pyo3(signature = (organization_id, **fields))]
    fn create_site(
        &self,
        py: Python<'_>,
        organization_id: String,
        fields: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<PyObject> {
        let input = kwargs(fields)?;
        let v = py.allow_threads(|| block_on(self.inner.create_site(organization_id, input))).py()?;
        to_py(py, &v)
    }

    /// The sites of an organization.
    fn list_sites(&self, py: Python<'_>, organization_id: String) -> PyResult<PyObject> {
        let v = py.allow_threads(|| block_on(self.inner.list_sites(organization_id))).py()?;
        to_py(py, &v)
    }

    /// Creates a certificate from keyword fields.
    #[pyo3(signature = (**fields))]
    fn create_certificate(
        &self,
        py: Python<'_>,
        fields: Option<&Bound<'_, pyo3::types::PyDict>>,
    ) -> PyResult<PyObject> {
        let input = kwargs(fields)?;
        let v = py.allow_threads(|| block_on(self.inner.create_certificate(input))).py()?;
        to_py(py, &v)
    }

    /// Moves a certificate along the state machine.
    #[pyo3(signature = (certificate_id, to, expiry_date=None, reason=None))]
    fn transition(
        &self,
        py: Python<'_>,
        certificate_id: String,
        to: String,
        expiry_date: Option<&Bound<'_, PyAny>>,
        reason: Option<String>,
    ) -> PyResult<PyObject> {
        let expiry_date = match expiry_date {
            Some(d) if !d.is_none() => from_py(d)?.as_str().map(str::to_owned),
            _ => None,
        };
        let v = py.allow_threads(|| block_on(self.inner.transition(certificate_id, to, expiry_date, reason))).py()?;
        to_py(py, &v)
    }

    /// ACTIVE certificates expiring within `within_days` days.
    #[pyo3(signature = (within_days, page=None, page_size=None))]
    fn list_expiring(
        &self,
        py: Python<'_>,
        within_days: u32,
        page: Option<u32>,
        page_size: Option<u32>,
    ) -> PyResult<PyObject> {
        let v = py.allow_threads(|| block_on(self.inner.list_expiring(within_days, page, page_size))).py()?;
        to_py(py, &v)
    }
}

fn kwargs(d: Option<&Bound<'_, pyo3::types::PyDict>>) -> PyResult<serde_json::Value> {
    match d {
        Some(d) => from_py(d.as_any()),
        None => Ok(serde_json::json!({})),
    }
}
