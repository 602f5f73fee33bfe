//! `/api/monitoring/`: monitored endpoints, scrape logs, scrape and
//! discovery triggers (queued as jobs; rate-limited as expensive calls) and
//! the 24-hour scrape health. Every rule is in
//! `certwatch_core::monitoring`; this module parses, calls it and maps.

use std::collections::BTreeMap;
use std::sync::Arc;

use certwatch_core::ids::OrganizationId;
use certwatch_core::monitoring as core;
use certwatch_core::pagination::PageRequest;
use certwatch_core::Error as CoreError;
use chrono::{DateTime, Utc};
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Enum, Object, OpenApi, Tags};
use uuid::Uuid;

use super::common::{Accepted, Created, Message, NoContent, Reply, TokenAuth};
use super::organizations::{default_page, default_page_size};
use super::State;

#[derive(Tags)]
enum Tag {
    /// Supplier pages scraped for certificates, scrape logs, discovery.
    Monitoring,
}

/// A supplier page monitored for certificates.
#[derive(Object, Debug, Clone)]
pub struct MonitoredEndpoint {
    /// Endpoint id.
    pub id: Uuid,
    /// The supplier whose certificates the page shows.
    pub organization_id: Uuid,
    /// The page URL.
    pub url: String,
    /// The endpoint's own interval in hours; scrapes come sooner (12 h, 4 h)
    /// when a certificate of the organization expires within 30 or 7 days.
    pub check_frequency_hours: u32,
    /// Last scrape.
    pub last_checked: Option<DateTime<Utc>>,
    /// When it is due next.
    pub next_check_at: DateTime<Utc>,
    /// SHA-256 of the page's visible text at the last scrape.
    pub last_content_hash: Option<String>,
    /// PDFs processed so far.
    pub processed_pdf_urls: Vec<String>,
    /// PDF URL → SHA-256 of the bytes last extracted.
    pub pdf_content_hashes: BTreeMap<String, String>,
    /// Inactive endpoints are not scraped by the scheduler.
    pub is_active: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<core::MonitoredEndpoint> for MonitoredEndpoint {
    fn from(e: core::MonitoredEndpoint) -> Self {
        Self {
            id: e.id.as_uuid(),
            organization_id: e.organization_id.as_uuid(),
            url: e.url,
            check_frequency_hours: e.check_frequency_hours,
            last_checked: e.last_checked,
            next_check_at: e.next_check_at,
            last_content_hash: e.last_content_hash,
            processed_pdf_urls: e.processed_pdf_urls,
            pdf_content_hashes: e.pdf_content_hashes,
            is_active: e.is_active,
            created_at: e.created_at,
            updated_at: e.updated_at,
        }
    }
}

/// One page of endpoints.
#[derive(Object, Debug, Clone)]
pub struct EndpointPage {
    /// The endpoints of this page, oldest first.
    pub items: Vec<MonitoredEndpoint>,
    /// Matching endpoints in all pages.
    pub total: u64,
    /// This page's number.
    pub page: u32,
    /// Rows per page.
    pub page_size: u32,
}

/// A page to monitor.
#[derive(Object, Debug, Clone)]
pub struct NewEndpoint {
    /// The supplier (one of the tenant's organizations).
    pub organization_id: Uuid,
    /// The page URL (http or https).
    pub url: String,
    /// Hours between scrapes, 1 to 8760 (24 when absent).
    pub check_frequency_hours: Option<u32>,
    /// Active unless false.
    pub is_active: Option<bool>,
}

/// Changes to an endpoint; fields left out stay unchanged.
#[derive(Object, Debug, Clone)]
pub struct EndpointUpdate {
    /// A new URL (forgets the change-detection state; due at once).
    pub url: Option<String>,
    /// Hours between scrapes, 1 to 8760.
    pub check_frequency_hours: Option<u32>,
    /// Activate or deactivate.
    pub is_active: Option<bool>,
}

/// The outcome of a scrape.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[oai(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ScrapeStatus {
    /// Something changed and was processed.
    Success,
    /// The scrape (or part of it) failed; see `error_message`.
    Failed,
    /// Neither the page nor any PDF changed.
    NoChange,
}

impl From<core::ScrapeStatus> for ScrapeStatus {
    fn from(s: core::ScrapeStatus) -> Self {
        match s {
            core::ScrapeStatus::Success => Self::Success,
            core::ScrapeStatus::Failed => Self::Failed,
            core::ScrapeStatus::NoChange => Self::NoChange,
        }
    }
}

impl From<ScrapeStatus> for core::ScrapeStatus {
    fn from(s: ScrapeStatus) -> Self {
        match s {
            ScrapeStatus::Success => Self::Success,
            ScrapeStatus::Failed => Self::Failed,
            ScrapeStatus::NoChange => Self::NoChange,
        }
    }
}

/// One scrape attempt with every step in `notes`.
#[derive(Object, Debug, Clone)]
pub struct ScrapeLog {
    /// Log entry id.
    pub id: Uuid,
    /// The endpoint scraped.
    pub endpoint_id: Uuid,
    /// The outcome.
    pub status: ScrapeStatus,
    /// SHA-256 of the page's visible text.
    pub content_hash: Option<String>,
    /// Certificates created or updated.
    pub certificates_found: u32,
    /// Why it failed.
    pub error_message: Option<String>,
    /// Wall time in milliseconds.
    pub duration_ms: u64,
    /// Step by step: fetches, PDFs skipped by hash or 304, duplicates merged.
    pub notes: Vec<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<core::ScrapeLog> for ScrapeLog {
    fn from(l: core::ScrapeLog) -> Self {
        Self {
            id: l.id.as_uuid(),
            endpoint_id: l.endpoint_id.as_uuid(),
            status: l.status.into(),
            content_hash: l.content_hash,
            certificates_found: l.certificates_found,
            error_message: l.error_message,
            duration_ms: l.duration_ms,
            notes: l.notes,
            created_at: l.created_at,
        }
    }
}

/// Scrape logs, newest first.
#[derive(Object, Debug, Clone)]
pub struct ScrapeLogList {
    /// The entries.
    pub items: Vec<ScrapeLog>,
}

/// The tenant's scrape health over the last 24 hours.
#[derive(Object, Debug, Clone)]
pub struct MonitoringHealth {
    /// Scrapes in the window.
    pub scrapes: u64,
    /// FAILED among them.
    pub failed: u64,
    /// failed / scrapes (0 when nothing ran).
    pub failure_rate: f64,
    /// The window in hours (24).
    pub window_hours: u32,
}

/// Monitoring endpoints.
pub struct MonitoringApi {
    pub(super) state: Arc<State>,
}

impl MonitoringApi {
    fn monitoring(&self) -> core::MonitoringService<'_> {
        self.state.core.monitoring()
    }
}

fn accepted(what: &str) -> Accepted {
    Accepted::Accepted(Json(Message { message: format!("{what} queued") }))
}

#[OpenApi(prefix_path = "/api/monitoring", tag = "Tag::Monitoring")]
impl MonitoringApi {
    /// One page of the tenant's monitored endpoints, oldest first.
    #[oai(path = "/endpoints", method = "get", operation_id = "monitoring_endpoints_list")]
    async fn list(
        &self,
        auth: TokenAuth,
        /// Only this organization's endpoints.
        organization_id: Query<Option<Uuid>>,
        /// Page number, from 1.
        #[oai(default = "default_page")]
        page: Query<u32>,
        /// Rows per page, 1 to 500.
        #[oai(default = "default_page_size")]
        page_size: Query<u32>,
    ) -> Reply<Json<EndpointPage>> {
        Reply::run(async {
            let req = PageRequest::new(page.0, page_size.0).map_err(CoreError::from)?;
            let found = self.monitoring().list_endpoints(&auth.0, organization_id.0.map(OrganizationId), req).await?;
            Ok(Json(EndpointPage {
                items: found.items.into_iter().map(Into::into).collect(),
                total: found.total,
                page: req.page(),
                page_size: req.page_size(),
            }))
        })
        .await
    }

    /// Starts monitoring a page of one of the tenant's organizations (due
    /// at once). 409 when the tenant already monitors the URL.
    #[oai(path = "/endpoints", method = "post", operation_id = "monitoring_endpoints_create")]
    async fn create(&self, auth: TokenAuth, body: Json<NewEndpoint>) -> Reply<Created<MonitoredEndpoint>> {
        let b = body.0;
        let input = core::EndpointInput {
            organization_id: OrganizationId(b.organization_id),
            url: b.url,
            check_frequency_hours: b.check_frequency_hours,
            is_active: b.is_active,
        };
        Reply::map(self.monitoring().create_endpoint(&auth.0, input).await, |e| Created::Created(Json(e.into())))
    }

    /// One monitored endpoint.
    #[oai(path = "/endpoints/:id", method = "get", operation_id = "monitoring_endpoints_get")]
    async fn get(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Json<MonitoredEndpoint>> {
        Reply::map(self.monitoring().get_endpoint(&auth.0, core::EndpointId(id.0)).await, |e| Json(e.into()))
    }

    /// Changes URL, frequency or activity.
    #[oai(path = "/endpoints/:id", method = "patch", operation_id = "monitoring_endpoints_update")]
    async fn update(
        &self,
        auth: TokenAuth,
        id: Path<Uuid>,
        body: Json<EndpointUpdate>,
    ) -> Reply<Json<MonitoredEndpoint>> {
        let b = body.0;
        let patch =
            core::EndpointPatch { url: b.url, check_frequency_hours: b.check_frequency_hours, is_active: b.is_active };
        Reply::map(self.monitoring().update_endpoint(&auth.0, core::EndpointId(id.0), patch).await, |e| Json(e.into()))
    }

    /// Stops monitoring (the endpoint's scrape logs go with it).
    #[oai(path = "/endpoints/:id", method = "delete", operation_id = "monitoring_endpoints_delete")]
    async fn delete(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<NoContent> {
        Reply::map(self.monitoring().delete_endpoint(&auth.0, core::EndpointId(id.0)).await, |()| NoContent::NoContent)
    }

    /// Queues a scrape of the endpoint now (a `scrape_endpoint` job; the
    /// worker runs it). Rate-limited.
    #[oai(path = "/endpoints/:id/scrape", method = "post", operation_id = "monitoring_endpoints_scrape")]
    async fn scrape(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Accepted> {
        Reply::map(self.monitoring().request_scrape(&auth.0, core::EndpointId(id.0)).await, |()| accepted("scrape"))
    }

    /// Scrape logs, newest first.
    #[oai(path = "/scrape-logs", method = "get", operation_id = "monitoring_scrape_logs_list")]
    async fn logs(
        &self,
        auth: TokenAuth,
        /// Only this endpoint.
        endpoint_id: Query<Option<Uuid>>,
        /// Only this outcome.
        status: Query<Option<ScrapeStatus>>,
        /// Only entries at or after this instant.
        since: Query<Option<DateTime<Utc>>>,
        /// At most this many, 1 to 500 (50 when absent).
        limit: Query<Option<u32>>,
    ) -> Reply<Json<ScrapeLogList>> {
        let filter = core::ScrapeLogFilter {
            endpoint_id: endpoint_id.0.map(core::EndpointId),
            status: status.0.map(Into::into),
            since: since.0,
            limit: limit.0.unwrap_or(50),
        };
        Reply::map(self.monitoring().list_scrape_logs(&auth.0, &filter).await, |logs| {
            Json(ScrapeLogList { items: logs.into_iter().map(Into::into).collect() })
        })
    }

    /// Queues a website discovery for the organization (a
    /// `website_discovery` job): its site is crawled for certificate pages,
    /// which become monitored endpoints. 422 when it has no website.
    /// Rate-limited.
    #[oai(path = "/organizations/:id/discover", method = "post", operation_id = "monitoring_organizations_discover")]
    async fn discover(&self, auth: TokenAuth, id: Path<Uuid>) -> Reply<Accepted> {
        Reply::map(self.monitoring().request_discovery(&auth.0, OrganizationId(id.0)).await, |()| accepted("discovery"))
    }

    /// The tenant's scrape failure rate over the last 24 hours.
    #[oai(path = "/health", method = "get", operation_id = "monitoring_health")]
    async fn health(&self, auth: TokenAuth) -> Reply<Json<MonitoringHealth>> {
        Reply::map(self.monitoring().health(&auth.0).await, |s| {
            Json(MonitoringHealth {
                scrapes: s.total,
                failed: s.failed,
                failure_rate: s.failure_rate(),
                window_hours: 24,
            })
        })
    }
}
