//! `GET /api/health`: 200 when every dependency answers, else 503 naming the
//! failed check.

use std::sync::Arc;

use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

use super::State;

#[derive(Tags)]
enum Tag {
    /// Liveness and readiness.
    Operations,
}

/// Result of one dependency check.
#[derive(Object, Debug, Clone)]
pub struct Check {
    /// The dependency ("database").
    pub name: String,
    /// "ok" or "failed".
    pub status: String,
    /// Why it failed.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

/// The health report.
#[derive(Object, Debug, Clone)]
pub struct HealthReport {
    /// "ok" when every check passed, else "unavailable".
    pub status: String,
    /// The store backend ("sqlite" or "postgres").
    pub backend: String,
    /// Every check.
    pub checks: Vec<Check>,
}

#[derive(ApiResponse)]
enum HealthResponse {
    /// Every dependency answers.
    #[oai(status = 200)]
    Ok(Json<HealthReport>),
    /// At least one dependency failed.
    #[oai(status = 503)]
    Unavailable(Json<HealthReport>),
}

/// Health endpoints.
pub struct Health {
    pub(super) state: Arc<State>,
}

#[OpenApi(prefix_path = "/api", tag = "Tag::Operations")]
impl Health {
    /// Reports whether the database is reachable.
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> HealthResponse {
        let store = self.state.core.store();
        let db = match store.ping().await {
            Ok(()) => Check { name: "database".into(), status: "ok".into(), error: None },
            Err(e) => Check {
                name: "database".into(),
                status: "failed".into(),
                error: Some(certwatch_core::audit::redact_text(&e.to_string())),
            },
        };
        let ok = db.status == "ok";
        let report = HealthReport {
            status: if ok { "ok" } else { "unavailable" }.into(),
            backend: store.backend().into(),
            checks: vec![db],
        };
        if ok {
            HealthResponse::Ok(Json(report))
        } else {
            HealthResponse::Unavailable(Json(report))
        }
    }
}
