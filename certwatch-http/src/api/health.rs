//! `GET /api/health`: 200 when every dependency answers, else 503 naming the
//! failed check; a lagging job queue is reported as degraded, still 200.

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
    /// The dependency ("database", "job_queue").
    pub name: String,
    /// "ok", "degraded" (works, but lags) or "failed".
    pub status: String,
    /// Why it failed.
    #[oai(skip_serializing_if_is_none)]
    pub error: Option<String>,
}

/// The health report.
#[derive(Object, Debug, Clone)]
pub struct HealthReport {
    /// "ok" when every check passed, "degraded" when the job queue lags
    /// (still 200), "unavailable" when the database failed (503).
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
    /// The last report and when it was made (core clock). The async mutex
    /// makes the checks single-flight: under load one request runs them and
    /// the others wait for and share its answer, so a load balancer polling
    /// hard (or a health flood) costs the database at most one ping and one
    /// queue count per [`REPORT_TTL_MS`].
    pub(super) recent: tokio::sync::Mutex<Option<(chrono::DateTime<chrono::Utc>, bool, HealthReport)>>,
}

/// Due jobs waiting longer than this make the queue "degraded".
pub const QUEUE_LAG_LIMIT_SECS: i64 = 300;

/// How long a health report is reused, in milliseconds of the core clock.
/// Short enough that a database outage shows within a blink; the core
/// clock (not the wall clock) so tests that move time see fresh checks.
pub const REPORT_TTL_MS: i64 = 250;

#[OpenApi(prefix_path = "/api", tag = "Tag::Operations")]
impl Health {
    /// Reports whether the database is reachable (503 if not) and whether
    /// the job queue keeps up: `job_queue` is "degraded" — still 200 —
    /// when due jobs have waited more than 5 minutes (no worker running,
    /// or too few).
    #[oai(path = "/health", method = "get")]
    async fn health(&self) -> HealthResponse {
        let mut recent = self.recent.lock().await;
        let now = self.state.core.clock().now();
        let (ok, report) = match recent.as_ref() {
            Some((at, ok, report)) if (now - *at).num_milliseconds().abs() < REPORT_TTL_MS => (*ok, report.clone()),
            _ => {
                let (ok, report) = self.check().await;
                *recent = Some((now, ok, report.clone()));
                (ok, report)
            }
        };
        drop(recent);
        if ok {
            HealthResponse::Ok(Json(report))
        } else {
            HealthResponse::Unavailable(Json(report))
        }
    }
}

impl Health {
    /// Runs the checks: whether the report is healthy, and the report.
    async fn check(&self) -> (bool, HealthReport) {
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
        let mut checks = vec![db];
        let mut degraded = false;
        if ok {
            let queue = self.job_queue_check().await;
            degraded = queue.status != "ok";
            checks.push(queue);
        }
        let status = match (ok, degraded) {
            (false, _) => "unavailable",
            (true, true) => "degraded",
            (true, false) => "ok",
        };
        (ok, HealthReport { status: status.into(), backend: store.backend().into(), checks })
    }

    async fn job_queue_check(&self) -> Check {
        let core = &self.state.core;
        let name = "job_queue".to_owned();
        match core.jobs().queue_stats().await {
            Ok(q) => match q.oldest_due_at {
                Some(t) if (core.clock().now() - t).num_seconds() > QUEUE_LAG_LIMIT_SECS => Check {
                    name,
                    status: "degraded".into(),
                    error: Some(format!(
                        "{} due jobs; the oldest has waited {} s (is a worker running?)",
                        q.due,
                        (core.clock().now() - t).num_seconds()
                    )),
                },
                _ => Check { name, status: "ok".into(), error: None },
            },
            Err(e) => Check {
                name,
                status: "degraded".into(),
                error: Some(certwatch_core::audit::redact_text(&e.to_string())),
            },
        }
    }
}
