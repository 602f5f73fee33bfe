//! The monitoring job handlers: scrape one endpoint, scrape every due
//! endpoint (periodic), discover an organization's certificate pages.

use async_trait::async_trait;
use uuid::Uuid;

use super::config::MonitoringConfig;
use super::model::EndpointId;
use super::service::MonitoringService;
use crate::ids::OrganizationId;
use crate::jobs::{Job, JobContext, JobError, JobHandler};
use crate::Error;

fn payload_id(job: &Job, key: &str) -> Result<Uuid, JobError> {
    job.payload
        .get(key)
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| JobError::Permanent(format!("payload needs a UUID \"{key}\"")))
}

fn tenant(job: &Job) -> Result<crate::ids::TenantId, JobError> {
    job.tenant_id.ok_or_else(|| JobError::Permanent("a tenant job without tenant".into()))
}

/// Scrapes one endpoint (`{"endpoint_id"}`); a missing endpoint is done.
#[derive(Debug, Clone)]
pub struct ScrapeEndpoint {
    /// Adapters and limits.
    pub config: MonitoringConfig,
}

#[async_trait]
impl JobHandler for ScrapeEndpoint {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let id = EndpointId(payload_id(job, "endpoint_id")?);
        match MonitoringService::new(&ctx.app).scrape_endpoint(&self.config, tenant(job)?, id).await {
            Ok(_) | Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}

/// Scrapes every due endpoint (system, periodic).
#[derive(Debug, Clone)]
pub struct ScrapeDueEndpoints {
    /// Adapters, limits, concurrency, alert threshold.
    pub config: MonitoringConfig,
}

#[async_trait]
impl JobHandler for ScrapeDueEndpoints {
    async fn run(&self, ctx: &JobContext, _job: &Job) -> Result<(), JobError> {
        MonitoringService::new(&ctx.app).scrape_due(&self.config).await?;
        Ok(())
    }
}

/// Finds and monitors an organization's certificate pages
/// (`{"organization_id"}`); a deleted organization is done.
#[derive(Debug, Clone)]
pub struct WebsiteDiscovery {
    /// Adapters and limits.
    pub config: MonitoringConfig,
}

#[async_trait]
impl JobHandler for WebsiteDiscovery {
    async fn run(&self, ctx: &JobContext, job: &Job) -> Result<(), JobError> {
        let org = OrganizationId(payload_id(job, "organization_id")?);
        match MonitoringService::new(&ctx.app).discover_organization(&self.config, tenant(job)?, org).await {
            Ok(out) => {
                tracing::info!(organization = %org, created = out.created.len(), pages = out.discovery.pages.len(), "website discovery done");
                Ok(())
            }
            Err(Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
