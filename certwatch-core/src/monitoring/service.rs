//! `MonitoringService`: endpoints and scrape logs for users, and the
//! scrape, periodic and discovery runs for jobs.
//!
//! Certificates are only ever written through
//! [`crate::certificates::CertificateService`] (acting as the tenant's
//! monitoring system user, see [`monitor_principal`]), so events, audit
//! entries and counters are exactly those of a manual change.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use chrono::Duration;
use serde_json::json;
use url::Url;

use super::config::MonitoringConfig;
use super::dedupe_step::{find_duplicate, patch_for, Match};
use super::discovery::{discover, Discovery};
use super::model::{
    EndpointId, EndpointInput, EndpointPatch, Fingerprint, MonitoredEndpoint, ScrapeLog, ScrapeLogFilter, ScrapeStats,
    ScrapeStatus, DEFAULT_CHECK_FREQUENCY_HOURS,
};
use super::schedule::next_check;
use super::scrape::{scrape_page, Candidate, PdfStatus, PriorState};
use crate::authz::{authorize, Action, Principal};
use crate::certificates::{Certificate, CertificateInput, CertificateQuery, CertificateStatus, Provenance};
use crate::ids::{OrganizationId, TenantId, UserId};
use crate::jobs::{enqueue_in, kinds::WEBSITE_DISCOVERY, JobSpec};
use crate::pagination::{Page, PageRequest};
use crate::ports::{Scope, StoreError};
use crate::suppliers::WebsiteUrl;
use crate::tenancy::Role;
use crate::validation::{ValidationErrors, Violation};
use crate::webhooks::ssrf::check_url;
use crate::{CertWatch, Error, Result};

/// Job kind: scrape one endpoint (tenant job, payload `{"endpoint_id"}`).
pub const SCRAPE_ENDPOINT: &str = "scrape_endpoint";
/// Job kind: scrape every due endpoint (system, periodic).
pub const SCRAPE_DUE_ENDPOINTS: &str = "scrape_due_endpoints";
/// Stable event name of the failure-rate alert (log field `event`).
pub const FAILURE_RATE_ALERT_EVENT: &str = "monitoring.scrape_failure_rate_high";
/// Longest accepted check frequency (one year).
pub const MAX_CHECK_FREQUENCY_HOURS: u32 = 8760;
/// How long a periodic run holds the endpoints it took.
const CLAIM_MINUTES: i64 = 30;

/// The principal monitoring acts as inside a tenant: no user (nil id, so
/// the audit ledger records no actor), member rights, request id
/// `monitoring`.
pub fn monitor_principal(tenant: TenantId) -> Principal {
    Principal {
        user_id: UserId(uuid::Uuid::nil()),
        tenant_id: tenant,
        role: Role::Member,
        token_id: None,
        is_operator: false,
        request_id: Some("monitoring".to_owned()),
    }
}

/// Outcome of a discovery run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct DiscoveryOutcome {
    /// Endpoints created by this run.
    pub created: Vec<String>,
    /// Relevant URLs that were already monitored.
    pub existing: Vec<String>,
    /// What the crawl saw.
    pub discovery: Discovery,
}

/// Outcome of a periodic run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct DueRun {
    /// Endpoints scraped.
    pub scraped: usize,
    /// Of which FAILED (or errored).
    pub failed: usize,
    /// Failure rate of the last 24 hours, all tenants.
    pub failure_rate_24h: f64,
    /// Whether the rate was above the threshold.
    pub alerted: bool,
}
use serde::Serialize;

/// Monitoring operations.
#[derive(Debug, Clone, Copy)]
pub struct MonitoringService<'a> {
    app: &'a CertWatch,
}

fn check_frequency(v: Option<u32>) -> Result<u32, Violation> {
    match v.unwrap_or(DEFAULT_CHECK_FREQUENCY_HOURS) {
        h @ 1..=MAX_CHECK_FREQUENCY_HOURS => Ok(h),
        _ => Err(Violation::new("check_frequency_hours", format!("must be between 1 and {MAX_CHECK_FREQUENCY_HOURS}"))),
    }
}

fn endpoint_url(raw: &str) -> Result<String, Violation> {
    let u = WebsiteUrl::parse_field("url", raw)?;
    let mut url = Url::parse(u.as_str()).map_err(|e| Violation::new("url", e.to_string()))?;
    check_url(&url).map_err(|e| Violation::new("url", e.to_string()))?;
    url.set_fragment(None);
    Ok(url.to_string())
}

impl<'a> MonitoringService<'a> {
    /// The service over `app`.
    pub fn new(app: &'a CertWatch) -> Self {
        Self { app }
    }

    /// Starts monitoring a URL of an organization.
    pub async fn create_endpoint(&self, p: &Principal, input: EndpointInput) -> Result<MonitoredEndpoint> {
        authorize(p, Action::WriteTenantData)?;
        let mut errs = ValidationErrors::default();
        let url = errs.check(endpoint_url(&input.url));
        let freq = errs.check(check_frequency(input.check_frequency_hours));
        let (Some(url), Some(freq)) = (url, freq) else { return Err(errs.into()) };
        let now = self.app.clock().now();
        let e = MonitoredEndpoint {
            id: self.app.new_id(),
            tenant_id: p.tenant_id,
            organization_id: input.organization_id,
            url,
            check_frequency_hours: freq,
            last_checked: None,
            next_check_at: now,
            last_content_hash: None,
            processed_pdf_urls: Vec::new(),
            pdf_content_hashes: BTreeMap::new(),
            pdf_validators: BTreeMap::new(),
            is_active: input.is_active.unwrap_or(true),
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        if tx.get_organization(p.tenant_id, e.organization_id).await?.is_none() {
            return Err(Error::not_found("organization"));
        }
        tx.insert_endpoint(&e).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "monitoring.endpoint.create",
            "monitored_endpoint",
            e.id.to_string(),
            json!({"url": e.url}),
        )])
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    /// One endpoint.
    pub async fn get_endpoint(&self, p: &Principal, id: EndpointId) -> Result<MonitoredEndpoint> {
        authorize(p, Action::ReadTenantData)?;
        let mut tx = self.app.store().begin_read(Scope::Tenant(p.tenant_id)).await?;
        tx.get_endpoint(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("monitored_endpoint"))
    }

    /// The tenant's endpoints (of one organization when given).
    pub async fn list_endpoints(
        &self,
        p: &Principal,
        organization: Option<OrganizationId>,
        page: PageRequest,
    ) -> Result<Page<MonitoredEndpoint>> {
        authorize(p, Action::ReadTenantData)?;
        let mut tx = self.app.store().begin_read(Scope::Tenant(p.tenant_id)).await?;
        Ok(tx.list_endpoints(p.tenant_id, organization, page).await?)
    }

    /// Changes URL, frequency or activity. A new URL forgets the
    /// change-detection state and is due at once.
    pub async fn update_endpoint(
        &self,
        p: &Principal,
        id: EndpointId,
        patch: EndpointPatch,
    ) -> Result<MonitoredEndpoint> {
        authorize(p, Action::WriteTenantData)?;
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        let mut e = tx.get_endpoint(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("monitored_endpoint"))?;
        let mut errs = ValidationErrors::default();
        let now = self.app.clock().now();
        if let Some(u) = patch.url.as_deref() {
            if let Some(u) = errs.check(endpoint_url(u)) {
                if u != e.url {
                    e.url = u;
                    e.last_content_hash = None;
                    e.processed_pdf_urls.clear();
                    e.pdf_content_hashes.clear();
                    e.pdf_validators.clear();
                    e.next_check_at = now;
                }
            }
        }
        if patch.check_frequency_hours.is_some() {
            if let Some(f) = errs.check(check_frequency(patch.check_frequency_hours)) {
                e.check_frequency_hours = f;
            }
        }
        if let Some(a) = patch.is_active {
            e.is_active = a;
        }
        errs.into_result(())?;
        e.updated_at = now;
        tx.update_endpoint(&e).await?;
        tx.insert_audit(&[self.app.audit_by(
            p,
            "monitoring.endpoint.update",
            "monitored_endpoint",
            e.id.to_string(),
            json!({"url": e.url, "is_active": e.is_active}),
        )])
        .await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Stops monitoring (the endpoint's logs go with it).
    pub async fn delete_endpoint(&self, p: &Principal, id: EndpointId) -> Result<()> {
        authorize(p, Action::WriteTenantData)?;
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        if !tx.delete_endpoint(p.tenant_id, id).await? {
            return Err(Error::not_found("monitored_endpoint"));
        }
        tx.insert_audit(&[self.app.audit_by(
            p,
            "monitoring.endpoint.delete",
            "monitored_endpoint",
            id.to_string(),
            json!({}),
        )])
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Scrape logs, newest first.
    pub async fn list_scrape_logs(&self, p: &Principal, filter: &ScrapeLogFilter) -> Result<Vec<ScrapeLog>> {
        authorize(p, Action::ReadTenantData)?;
        if !(1..=500).contains(&filter.limit) {
            return Err(ValidationErrors::single("limit", "must be between 1 and 500").into());
        }
        let mut tx = self.app.store().begin_read(Scope::Tenant(p.tenant_id)).await?;
        Ok(tx.list_scrape_logs(p.tenant_id, filter).await?)
    }

    /// The tenant's scrape counts of the last 24 hours.
    pub async fn health(&self, p: &Principal) -> Result<ScrapeStats> {
        authorize(p, Action::ReadTenantData)?;
        let since = self.app.clock().now() - Duration::hours(24);
        let mut tx = self.app.store().begin_read(Scope::Tenant(p.tenant_id)).await?;
        Ok(tx.scrape_stats(Some(p.tenant_id), since).await?)
    }

    /// Queues a scrape of the endpoint now.
    pub async fn request_scrape(&self, p: &Principal, id: EndpointId) -> Result<()> {
        authorize(p, Action::WriteTenantData)?;
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        tx.get_endpoint(p.tenant_id, id).await?.ok_or_else(|| Error::not_found("monitored_endpoint"))?;
        let spec = JobSpec::new(SCRAPE_ENDPOINT, Some(p.tenant_id), json!({"endpoint_id": id}))
            .with_request_id(p.request_id.clone());
        enqueue_in(self.app, tx.as_mut(), spec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues a website discovery for the organization now.
    pub async fn request_discovery(&self, p: &Principal, org: OrganizationId) -> Result<()> {
        authorize(p, Action::WriteTenantData)?;
        let mut tx = self.app.store().begin(Scope::Tenant(p.tenant_id)).await?;
        let o = tx.get_organization(p.tenant_id, org).await?.ok_or_else(|| Error::not_found("organization"))?;
        if o.website.is_none() {
            return Err(ValidationErrors::single("website", "the organization has no website to discover").into());
        }
        let spec = JobSpec::new(WEBSITE_DISCOVERY, Some(p.tenant_id), json!({"organization_id": org}))
            .with_request_id(p.request_id.clone());
        enqueue_in(self.app, tx.as_mut(), spec).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Scrapes one endpoint and records the scrape log. Failures of the
    /// site (fetch errors, bad PDFs, refused addresses) end in a FAILED log
    /// and `Ok`; only store failures are errors (the job retries).
    pub async fn scrape_endpoint(&self, cfg: &MonitoringConfig, tenant: TenantId, id: EndpointId) -> Result<ScrapeLog> {
        let started = Instant::now();
        let endpoint = {
            let mut tx = self.app.store().begin_read(Scope::Tenant(tenant)).await?;
            tx.get_endpoint(tenant, id).await?.ok_or_else(|| Error::not_found("monitored_endpoint"))?
        };
        let mut notes = vec![format!(
            "extractor: {}, OCR {}",
            cfg.extractor.name(),
            if cfg.ocr.available() { "available" } else { "not available in this build" }
        )];
        let prior = PriorState {
            content_hash: endpoint.last_content_hash.clone(),
            pdf_hashes: endpoint.pdf_content_hashes.clone(),
            pdf_validators: endpoint.pdf_validators.clone(),
        };
        let today = self.app.clock().today();
        let outcome = match Url::parse(&endpoint.url) {
            Ok(url) => scrape_page(cfg.ports(), &url, &prior, &cfg.limits, Some(today)).await.map_err(|e| {
                notes.extend(e.notes());
                e.to_string()
            }),
            Err(e) => Err(format!("invalid URL: {e}")),
        };
        let mut updated = endpoint.clone();
        let (status, content_hash, found, error) = match outcome {
            Err(msg) => (ScrapeStatus::Failed, None, 0, Some(msg)),
            Ok(scrape) => {
                notes.extend(scrape.notes.iter().cloned());
                let mut failures = scrape.failures();
                let mut touched = BTreeSet::new();
                let mut candidates = scrape.candidates.clone();
                // PDFs first: they carry the document, page mentions then
                // merge into them by number.
                candidates.sort_by_key(|c| c.document_url.is_none());
                if !candidates.is_empty() {
                    match self.org_certificates(tenant, endpoint.organization_id).await {
                        Ok(mut existing) => {
                            for c in &candidates {
                                match self.save_candidate(tenant, &endpoint, c, &mut existing).await {
                                    Ok((id, note)) => {
                                        notes.push(note);
                                        if let Some(id) = id {
                                            touched.insert(id);
                                        }
                                    }
                                    Err(e) => failures.push(format!("saving a certificate failed: {e}")),
                                }
                            }
                        }
                        Err(e) => failures.push(format!("reading the organization's certificates failed: {e}")),
                    }
                }
                for pdf in &scrape.pdfs {
                    notes.push(format!("PDF {}: {:?}", pdf.url, pdf.status));
                    match (&pdf.status, &pdf.sha256) {
                        (PdfStatus::Failed(_) | PdfStatus::Missing(_), _) => {
                            updated.pdf_content_hashes.remove(&pdf.url);
                            updated.pdf_validators.remove(&pdf.url);
                        }
                        (_, Some(sha)) => {
                            updated.pdf_content_hashes.insert(pdf.url.clone(), sha.clone());
                            if pdf.validators.is_empty() {
                                updated.pdf_validators.remove(&pdf.url);
                            } else {
                                updated.pdf_validators.insert(pdf.url.clone(), pdf.validators.clone());
                            }
                            if !updated.processed_pdf_urls.contains(&pdf.url) {
                                updated.processed_pdf_urls.push(pdf.url.clone());
                            }
                        }
                        _ => {}
                    }
                }
                updated.last_content_hash = Some(scrape.content_hash.clone());
                let changed = scrape.page_changed
                    || scrape.pdfs.iter().any(|p| matches!(p.status, PdfStatus::Extracted | PdfStatus::NoTextLayer));
                let status = if !failures.is_empty() {
                    ScrapeStatus::Failed
                } else if changed {
                    ScrapeStatus::Success
                } else {
                    ScrapeStatus::NoChange
                };
                let error = (!failures.is_empty()).then(|| failures.join("; "));
                (status, Some(scrape.content_hash), u32::try_from(touched.len()).unwrap_or(u32::MAX), error)
            }
        };
        let now = self.app.clock().now();
        let soonest = {
            let mut tx = self.app.store().begin_read(Scope::Tenant(tenant)).await?;
            tx.soonest_expiry(tenant, endpoint.organization_id, today).await?
        };
        updated.last_checked = Some(now);
        updated.next_check_at = next_check(now, endpoint.check_frequency_hours, soonest);
        updated.updated_at = now;
        notes.push(format!("next check at {}", updated.next_check_at.to_rfc3339()));
        let log = ScrapeLog {
            id: self.app.new_id(),
            tenant_id: tenant,
            endpoint_id: endpoint.id,
            status,
            content_hash,
            certificates_found: found,
            error_message: error,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            notes,
            created_at: now,
        };
        let mut tx = self.app.store().begin(Scope::Tenant(tenant)).await?;
        // The endpoint may have been changed meanwhile (new URL, deleted):
        // then only the log is kept.
        match tx.get_endpoint(tenant, endpoint.id).await? {
            Some(current) if current.url == endpoint.url => {
                updated.is_active = current.is_active;
                updated.check_frequency_hours = current.check_frequency_hours;
                tx.update_endpoint(&updated).await?;
            }
            Some(_) => {}
            None => return Ok(log),
        }
        tx.insert_scrape_log(&log).await?;
        tx.commit().await?;
        if log.status == ScrapeStatus::Failed {
            tracing::warn!(endpoint = %endpoint.id, url = %endpoint.url, error = ?log.error_message, "scrape failed");
        }
        Ok(log)
    }

    /// Every certificate of the organization.
    async fn org_certificates(&self, tenant: TenantId, org: OrganizationId) -> Result<Vec<Certificate>> {
        let p = monitor_principal(tenant);
        let mut all = Vec::new();
        for page in 1.. {
            let q = CertificateQuery {
                organization_id: Some(org),
                page: PageRequest::new(page, crate::pagination::MAX_PAGE_SIZE)?,
                ..CertificateQuery::default()
            };
            let got = self.app.certificates().list_certificates(&p, &q).await?;
            let n = got.items.len();
            all.extend(got.items);
            if n < crate::pagination::MAX_PAGE_SIZE as usize {
                break;
            }
        }
        Ok(all)
    }

    /// Creates or updates the certificate of one candidate; the id touched
    /// and a note for the log.
    async fn save_candidate(
        &self,
        tenant: TenantId,
        endpoint: &MonitoredEndpoint,
        c: &Candidate,
        existing: &mut Vec<Certificate>,
    ) -> Result<(Option<crate::ids::CertificateId>, String)> {
        let p = monitor_principal(tenant);
        let f = &c.extraction.fields;
        let origin = c.document_url.as_deref().unwrap_or("page text");
        let Some(kind) = f.certificate_type.as_ref().map(|t| t.value.clone()) else {
            return Ok((None, format!("{origin}: no certificate type recognised, skipped")));
        };
        let near = {
            let mut tx = self.app.store().begin_read(Scope::Tenant(tenant)).await?;
            tx.band_candidates(tenant, Some(endpoint.organization_id), c.simhash, 50).await?
        };
        let saved = match find_duplicate(c, existing, &near) {
            Some(Match { index, rule }) => {
                let old = &existing[index];
                let patch = patch_for(old, c, &endpoint.url);
                let id = old.id;
                if patch.is_empty() {
                    (id, format!("{origin}: duplicate of {id} ({rule}), unchanged"))
                } else {
                    let new = self.app.certificates().update_certificate(&p, id, patch.into_patch()).await?;
                    existing[index] = new;
                    (id, format!("{origin}: duplicate of {id} ({rule}), updated"))
                }
            }
            None => {
                let today = self.app.clock().today();
                let expiry = f.expiry_date.as_ref().map(|d| d.value);
                let status = match expiry {
                    Some(d) if d < today => CertificateStatus::Expired,
                    Some(_) => CertificateStatus::Active,
                    None => CertificateStatus::Pending,
                };
                let cut = |s: &str, n: usize| s.chars().take(n).collect::<String>();
                let input = CertificateInput {
                    organization_id: endpoint.organization_id,
                    certificate_type: kind,
                    certificate_number: f.certificate_number.as_ref().map(|v| cut(&v.value, 100)),
                    issuing_body: f.issuing_body.as_ref().map(|v| cut(&v.value, 255)),
                    scope: f.scope.as_ref().map(|v| cut(&v.value, 5000)),
                    issue_date: f.issue_date.as_ref().map(|d| d.value).filter(|i| expiry.is_none_or(|e| *i <= e)),
                    expiry_date: expiry,
                    status: Some(status),
                    document_url: c.document_url.clone(),
                    source_url: Some(endpoint.url.clone()),
                    document_hash: c.document_hash.clone(),
                    external_id: None,
                    provenance: Some(Provenance::WebScrape),
                    site_ids: Vec::new(),
                };
                let cert = self.app.certificates().create_certificate(&p, input).await?;
                let id = cert.id;
                existing.push(cert);
                (id, format!("{origin}: new certificate {id}"))
            }
        };
        let mut tx = self.app.store().begin(Scope::Tenant(tenant)).await?;
        tx.upsert_fingerprint(
            tenant,
            &Fingerprint { certificate_id: saved.0, organization_id: endpoint.organization_id, simhash: c.simhash },
        )
        .await?;
        tx.commit().await?;
        Ok((Some(saved.0), saved.1))
    }

    /// Scrapes every due endpoint (all tenants) with bounded concurrency
    /// overall and per host, then checks the 24-hour failure rate.
    pub async fn scrape_due(&self, cfg: &MonitoringConfig) -> Result<DueRun> {
        let now = self.app.clock().now();
        let due = {
            let mut tx = self.app.store().begin(Scope::System).await?;
            let mut due = tx.due_endpoints(now, cfg.batch).await?;
            // Claim: a second run in the meantime leaves these alone.
            for e in &mut due {
                e.next_check_at = now + Duration::minutes(CLAIM_MINUTES);
                tx.update_endpoint(e).await?;
            }
            tx.commit().await?;
            due
        };
        let overall = std::sync::Arc::new(tokio::sync::Semaphore::new(cfg.max_concurrency.max(1)));
        let mut hosts: BTreeMap<String, std::sync::Arc<tokio::sync::Semaphore>> = BTreeMap::new();
        let mut set = tokio::task::JoinSet::new();
        for e in due {
            let host = Url::parse(&e.url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
            let per_host = hosts
                .entry(host)
                .or_insert_with(|| std::sync::Arc::new(tokio::sync::Semaphore::new(cfg.per_host_concurrency.max(1))))
                .clone();
            let overall = overall.clone();
            let app = self.app.clone();
            let cfg = cfg.clone();
            set.spawn(async move {
                let _host = per_host.acquire_owned().await;
                let _all = overall.acquire_owned().await;
                MonitoringService::new(&app).scrape_endpoint(&cfg, e.tenant_id, e.id).await
            });
        }
        let mut run = DueRun::default();
        while let Some(joined) = set.join_next().await {
            run.scraped += 1;
            match joined {
                Ok(Ok(log)) if log.status != ScrapeStatus::Failed => {}
                Ok(Ok(_)) => run.failed += 1,
                Ok(Err(e)) => {
                    run.failed += 1;
                    tracing::error!(error = %e, "scrape could not be recorded");
                }
                Err(e) => {
                    run.failed += 1;
                    tracing::error!(error = %e, "scrape task failed");
                }
            }
        }
        let stats = {
            let mut tx = self.app.store().begin_read(Scope::System).await?;
            tx.scrape_stats(None, self.app.clock().now() - Duration::hours(24)).await?
        };
        run.failure_rate_24h = stats.failure_rate();
        if stats.total > 0 && run.failure_rate_24h > cfg.failure_alert_threshold {
            run.alerted = true;
            super::alerts::record_failure_rate_alert();
            tracing::error!(
                event = FAILURE_RATE_ALERT_EVENT,
                failure_rate = run.failure_rate_24h,
                threshold = cfg.failure_alert_threshold,
                scrapes = stats.total,
                failed = stats.failed,
                "scrape failure rate over the last 24 hours is above the threshold"
            );
        }
        Ok(run)
    }

    /// Crawls the organization's website and monitors the relevant pages
    /// it finds (each URL once per tenant, however often this runs).
    pub async fn discover_organization(
        &self,
        cfg: &MonitoringConfig,
        tenant: TenantId,
        org: OrganizationId,
    ) -> Result<DiscoveryOutcome> {
        let website = {
            let mut tx = self.app.store().begin_read(Scope::Tenant(tenant)).await?;
            tx.get_organization(tenant, org).await?.ok_or_else(|| Error::not_found("organization"))?.website
        };
        let Some(website) = website else { return Ok(DiscoveryOutcome::default()) };
        let start = Url::parse(website.as_str()).map_err(|e| ValidationErrors::single("website", e.to_string()))?;
        let discovery = discover(cfg.fetcher.as_ref(), &start, &cfg.discovery).await;
        let mut out = DiscoveryOutcome { discovery, ..DiscoveryOutcome::default() };
        let p = monitor_principal(tenant);
        for url in out.discovery.relevant().into_iter().map(str::to_owned).collect::<Vec<_>>() {
            let input = EndpointInput { organization_id: org, url: url.clone(), ..EndpointInput::default() };
            match self.create_endpoint(&p, input).await {
                Ok(_) => out.created.push(url),
                Err(Error::Conflict { .. }) => out.existing.push(url),
                Err(Error::Store(StoreError::Conflict { .. })) => out.existing.push(url),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}
