//! `/api/admin/`: installation-wide status for operators. The host wraps
//! this prefix in the admin IP allow-list; the core refuses anyone who is
//! not an operator, whatever their tenant role.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{Accepted, Message, Reply, TokenAuth};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Operator endpoints (operator accounts only; IP allow-list).
    Admin,
}

/// Counts across every tenant (aggregates only, never tenant data).
#[derive(Object, Debug, Clone)]
pub struct SystemStatus {
    /// Tenants.
    pub tenants: u64,
    /// Users.
    pub users: u64,
    /// Organizations of every tenant.
    pub organizations: u64,
    /// Certificates of every tenant.
    pub certificates: u64,
    /// Certificates per status (`ACTIVE`, `EXPIRED`, …).
    pub certificates_by_status: BTreeMap<String, u64>,
    /// Outbox events not yet published.
    pub outbox_pending: u64,
    /// The background job queue (shared by every worker process).
    pub job_queue: JobQueue,
}

/// The background job queue at a glance.
#[derive(Object, Debug, Clone)]
pub struct JobQueue {
    /// Jobs per status (`queued`, `running`, `succeeded`, `dead`).
    pub by_status: BTreeMap<String, u64>,
    /// Queued jobs whose time has come.
    pub due: u64,
    /// When the oldest due job became due.
    pub oldest_due_at: Option<DateTime<Utc>>,
}

impl From<certwatch_core::jobs::QueueStats> for JobQueue {
    fn from(q: certwatch_core::jobs::QueueStats) -> Self {
        Self { by_status: q.by_status, due: q.due, oldest_due_at: q.oldest_due_at }
    }
}

/// A background job (dead jobs keep their last error for operators).
#[derive(Object, Debug, Clone)]
pub struct Job {
    /// Job id.
    pub id: Uuid,
    /// The tenant it works for; none for system jobs.
    pub tenant_id: Option<Uuid>,
    /// The job kind.
    pub kind: String,
    /// The kind's arguments.
    pub payload: serde_json::Value,
    /// `queued`, `running`, `succeeded` or `dead`.
    pub status: String,
    /// Attempts started.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// Not before.
    pub run_at: DateTime<Utc>,
    /// Enqueued.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// When it succeeded or died.
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<certwatch_core::jobs::Job> for Job {
    fn from(j: certwatch_core::jobs::Job) -> Self {
        Self {
            id: j.id.as_uuid(),
            tenant_id: j.tenant_id.map(|t| t.0),
            kind: j.kind,
            payload: j.payload,
            status: j.status.as_str().to_owned(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            request_id: j.request_id,
            run_at: j.run_at,
            created_at: j.created_at,
            updated_at: j.updated_at,
            finished_at: j.finished_at,
        }
    }
}

impl SystemStatus {
    fn new(s: certwatch_core::operations::SystemStatus, q: certwatch_core::jobs::QueueStats) -> Self {
        Self {
            tenants: s.tenants,
            users: s.users,
            organizations: s.organizations,
            certificates: s.certificates,
            certificates_by_status: s.certificates_by_status,
            outbox_pending: s.outbox_pending,
            job_queue: q.into(),
        }
    }
}

/// Operator endpoints.
pub struct AdminApi {
    pub(super) state: Arc<State>,
}

#[OpenApi(prefix_path = "/api/admin", tag = "Tag::Admin")]
impl AdminApi {
    /// Installation-wide counts: tenants, users, organizations,
    /// certificates by status, pending outbox events, the job queue.
    /// Operators only.
    #[oai(path = "/status", method = "get", operation_id = "admin_status")]
    async fn status(&self, auth: TokenAuth) -> Reply<Json<SystemStatus>> {
        Reply::run(async {
            let s = self.state.core.operations().system_status(&auth.0).await?;
            let q = self.state.core.jobs().queue_stats().await?;
            Ok(Json(SystemStatus::new(s, q)))
        })
        .await
    }

    /// Dead jobs (every attempt failed), most recent first, with their
    /// last error (`limit` 1–1000, default 100). Operators only.
    #[oai(path = "/jobs/dead", method = "get", operation_id = "admin_list_dead_jobs")]
    async fn dead_jobs(&self, auth: TokenAuth, limit: Query<Option<u32>>) -> Reply<Json<Vec<Job>>> {
        Reply::map(self.state.core.jobs().list_dead(&auth.0, limit.0.unwrap_or(100)).await, |v| {
            Json(v.into_iter().map(Into::into).collect())
        })
    }

    /// Queues a dead job again with fresh attempts, due now; 409 unless it
    /// is dead. Operators only.
    #[oai(path = "/jobs/:id/retry", method = "post", operation_id = "admin_retry_job")]
    async fn retry_job(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Accepted> {
        Reply::map(self.state.core.jobs().retry_dead(&auth.0, id.0.into()).await, |()| {
            self.state.core.wake_workers();
            Accepted::Accepted(Json(Message { message: format!("job {} queued again", id.0) }))
        })
    }
}
