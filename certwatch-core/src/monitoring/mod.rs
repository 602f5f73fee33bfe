//! Monitoring: scrape supplier pages for certificates.
//!
//! The pipeline of one scrape ([`scrape::scrape_page`], then
//! [`MonitoringService::scrape_endpoint`] to persist):
//!
//! 1. fetch the page through the [`Fetcher`] port (default
//!    [`http::ReqwestFetcher`]: SSRF guard on every hop, size caps,
//!    retries, honest User-Agent);
//!    when it answers 403, a page with almost no visible text, or a
//!    connection error, render it in a browser instead through the
//!    [`Renderer`] port ([`render`]; headless Chromium with cargo feature
//!    `browser`: `chromium`), with the same SSRF rules for every request
//!    the page makes;
//! 2. decode by charset ([`charset`]), parse to visible text and links
//!    ([`html`], html5ever via `scraper`);
//! 3. compare the SHA-256 of the visible text with the last one: unchanged
//!    text is not extracted again (NO_CHANGE);
//! 4. fetch each linked PDF, conditionally when validators are known;
//!    only PDFs whose SHA-256 changed are read again, through
//!    [`crate::extraction::read_text`] (the path bulk upload uses: text
//!    layer, else OCR of a scan with [`MonitoringConfig::ocr`]);
//! 5. extract fields through the [`Extractor`] port (default: the rules of
//!    [`crate::extraction`]; [`llm::LlmExtractor`] when configured, with the
//!    rules as the fallback for a document it fails on);
//! 6. de-duplicate ([`dedupe_step`]: document hash, number, semantic,
//!    SimHash via the band index) and create or update certificates
//!    through the certificate service;
//! 7. record every step in a [`ScrapeLog`] and schedule the next check
//!    adaptively ([`schedule`]).
//!
//! Website discovery ([`discovery`]) crawls an organization's site for
//! certificate pages and creates endpoints for them.

mod alerts;
pub mod charset;
#[cfg(feature = "browser")]
pub mod chromium;
mod config;
pub mod dedupe_step;
pub mod discovery;
pub mod document;
pub mod extractor;
pub mod fetch;
pub mod html;
pub mod http;
pub mod jobs;
pub mod llm;
mod model;
pub mod render;
pub mod schedule;
pub mod scrape;
mod service;

pub use alerts::failure_rate_alerts;
pub use config::MonitoringConfig;
pub use document::{extract_document, DocumentExtraction};
pub use extractor::{extract_or_fall_back, Extracted, Extractor, ExtractorError, RuleBasedExtractor, TextSource};
pub use fetch::{FetchError, FetchRequest, FetchResponse, Fetcher, Validators};
pub use http::{FetchConfig, ReqwestFetcher};
pub use llm::{ApiKey, LlmConfig, LlmExtractor};
pub use model::{
    EndpointId, EndpointInput, EndpointPatch, Fingerprint, MonitoredEndpoint, ScrapeLog, ScrapeLogFilter, ScrapeLogId,
    ScrapeStats, ScrapeStatus, DEFAULT_CHECK_FREQUENCY_HOURS,
};
pub use render::{default_renderer, NoRenderer, RenderError, RenderedPage, Renderer};
pub use scrape::{scrape_page, PageScrape, PriorState, ScrapeError, ScrapeLimits, ScrapePorts};
pub use service::{
    monitor_principal, DiscoveryOutcome, DueRun, MonitoringService, FAILURE_RATE_ALERT_EVENT, SCRAPE_DUE_ENDPOINTS,
    SCRAPE_ENDPOINT,
};
