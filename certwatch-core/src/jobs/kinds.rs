//! The built-in job kinds and their handlers.

use std::sync::Arc;

use async_trait::async_trait;

use super::model::Job;
use super::runtime::{JobContext, JobError, JobHandler};

/// Queues again (or buries) jobs whose worker died (system, periodic).
pub const REAP_LEASES: &str = "reap_leases";

/// Re-queues jobs whose lease ran out.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReapLeases;

#[async_trait]
impl JobHandler for ReapLeases {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        ctx.app.jobs().reap_expired_leases().await?;
        Ok(())
    }
}

/// Deletes succeeded jobs after [`JOB_RETENTION_DAYS`] (system, periodic).
pub const PURGE_JOBS: &str = "purge_jobs";
/// How long succeeded jobs are kept.
pub const JOB_RETENTION_DAYS: i64 = 7;

/// Deletes old succeeded jobs.
#[derive(Debug, Default, Clone, Copy)]
pub struct PurgeJobs;

#[async_trait]
impl JobHandler for PurgeJobs {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        ctx.app.jobs().purge_succeeded(chrono::Duration::days(JOB_RETENTION_DAYS)).await?;
        Ok(())
    }
}

/// Finds an organization's certificate pages from its website (tenant job,
/// payload `{"organization_id": "<uuid>"}`). Enqueued when an organization
/// is created or imported; the monitoring module registers its handler.
pub const WEBSITE_DISCOVERY: &str = "website_discovery";

/// Announces certificates entering an expiry window.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpiryNotifications;

#[async_trait]
impl JobHandler for ExpiryNotifications {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        crate::expiry::run_expiry_notifications(&ctx.app).await?;
        Ok(())
    }
}

/// ACTIVE → EXPIRED once the expiry date passed.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpirySweep;

#[async_trait]
impl JobHandler for ExpirySweep {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        crate::expiry::run_expiry_sweep(&ctx.app).await?;
        Ok(())
    }
}

/// Every built-in kind with its handler.
pub fn builtin_handlers(config: &super::WorkerConfig) -> Vec<(&'static str, Arc<dyn JobHandler>)> {
    use crate::monitoring::jobs::{ScrapeDueEndpoints, ScrapeEndpoint, WebsiteDiscovery};
    use crate::monitoring::{SCRAPE_DUE_ENDPOINTS, SCRAPE_ENDPOINT};
    use crate::webhooks::delivery::{DeliverWebhook, DispatchOutbox, DELIVER_WEBHOOK, DISPATCH_OUTBOX};
    vec![
        (REAP_LEASES, Arc::new(ReapLeases)),
        (PURGE_JOBS, Arc::new(PurgeJobs)),
        (crate::expiry::EXPIRY_NOTIFICATIONS, Arc::new(ExpiryNotifications)),
        (crate::expiry::EXPIRY_SWEEP, Arc::new(ExpirySweep)),
        (DISPATCH_OUTBOX, Arc::new(DispatchOutbox { max_attempts: config.webhooks.max_attempts })),
        (DELIVER_WEBHOOK, Arc::new(DeliverWebhook { config: config.webhooks.clone() })),
        (
            crate::certificates::documents::HASH_DOCUMENT,
            Arc::new(crate::certificates::documents::HashDocument { fetcher: config.documents.clone() }),
        ),
        (
            crate::bulk_upload::PROCESS_UPLOAD_ITEM,
            Arc::new(crate::bulk_upload::ProcessUploadItem { ports: config.bulk_upload.clone() }),
        ),
        (SCRAPE_ENDPOINT, Arc::new(ScrapeEndpoint { config: config.monitoring.clone() })),
        (SCRAPE_DUE_ENDPOINTS, Arc::new(ScrapeDueEndpoints { config: config.monitoring.clone() })),
        (WEBSITE_DISCOVERY, Arc::new(WebsiteDiscovery { config: config.monitoring.clone() })),
    ]
}

/// The built-in periodic schedules.
pub fn default_schedules() -> Vec<super::scheduler::Schedule> {
    use super::scheduler::Schedule;
    use chrono::Duration;
    vec![
        Schedule::every(REAP_LEASES, Duration::minutes(1)),
        Schedule::every(PURGE_JOBS, Duration::hours(1)),
        Schedule::every(crate::webhooks::DISPATCH_OUTBOX, Duration::seconds(10)),
        Schedule::every(crate::expiry::EXPIRY_SWEEP, Duration::hours(1)),
        Schedule::every(crate::expiry::EXPIRY_NOTIFICATIONS, Duration::hours(1)),
        Schedule::every(crate::monitoring::SCRAPE_DUE_ENDPOINTS, Duration::minutes(5)),
    ]
}
