//! What the monitoring jobs and commands need besides the core: the
//! fetcher, renderer and extractor adapters, limits and concurrency.

use std::sync::Arc;

use async_trait::async_trait;

use super::discovery::DiscoveryLimits;
use super::extractor::{Extractor, RuleBasedExtractor};
use super::fetch::{FetchError, FetchRequest, FetchResponse, Fetcher};
use super::http::{FetchConfig, ReqwestFetcher};
use super::render::{NoRenderer, Renderer};
use super::scrape::ScrapeLimits;
use crate::extraction::{default_ocr, Ocr};

/// Monitoring settings and adapters.
#[derive(Clone)]
pub struct MonitoringConfig {
    /// How pages and PDFs are read.
    pub fetcher: Arc<dyn Fetcher>,
    /// The browser fallback for pages HTTP can't read (403, almost empty,
    /// connection errors); [`NoRenderer`] unless the host wires one.
    pub renderer: Arc<dyn Renderer>,
    /// How fields are read out of text.
    pub extractor: Arc<dyn Extractor>,
    /// How scanned PDFs (and documents that turn out to be images) are
    /// read: [`default_ocr`], Tesseract with the `ocr` feature, else none
    /// (scrape logs then say the scan could not be read).
    pub ocr: Arc<dyn Ocr>,
    /// Bounds of one scrape.
    pub limits: ScrapeLimits,
    /// Bounds of one discovery run.
    pub discovery: DiscoveryLimits,
    /// Endpoints scraped at the same time by one periodic run.
    pub max_concurrency: usize,
    /// Of those, at most this many on one host.
    pub per_host_concurrency: usize,
    /// Endpoints taken per periodic run at most.
    pub batch: u32,
    /// 24-hour failure rate above which the periodic run alerts (0..1).
    pub failure_alert_threshold: f64,
}

impl std::fmt::Debug for MonitoringConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MonitoringConfig")
            .field("extractor", &self.extractor.name())
            .field("renderer", &self.renderer.name())
            .field("ocr_available", &self.ocr.available())
            .field("limits", &self.limits)
            .field("max_concurrency", &self.max_concurrency)
            .field("per_host_concurrency", &self.per_host_concurrency)
            .field("failure_alert_threshold", &self.failure_alert_threshold)
            .finish_non_exhaustive()
    }
}

impl MonitoringConfig {
    /// The adapters a scrape uses.
    pub fn ports(&self) -> super::scrape::ScrapePorts<'_> {
        super::scrape::ScrapePorts {
            fetcher: self.fetcher.as_ref(),
            renderer: self.renderer.as_ref(),
            extractor: self.extractor.as_ref(),
            ocr: &self.ocr,
        }
    }

    /// The defaults with a [`ReqwestFetcher`] built from `fetch`. Should the
    /// HTTP client fail to build, every fetch fails with that reason (and
    /// scrape logs say so) instead of the process refusing to start.
    pub fn with_fetch(fetch: FetchConfig) -> Self {
        let fetcher: Arc<dyn Fetcher> = match ReqwestFetcher::new(fetch) {
            Ok(f) => Arc::new(f),
            Err(e) => Arc::new(UnavailableFetcher(e.to_string())),
        };
        Self {
            fetcher,
            renderer: Arc::new(NoRenderer),
            extractor: Arc::new(RuleBasedExtractor),
            ocr: default_ocr(),
            limits: ScrapeLimits::default(),
            discovery: DiscoveryLimits::default(),
            max_concurrency: 8,
            per_host_concurrency: 2,
            batch: 500,
            failure_alert_threshold: 0.5,
        }
    }
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self::with_fetch(FetchConfig::default())
    }
}

/// A fetcher that always fails with the reason the real one is missing.
#[derive(Debug)]
struct UnavailableFetcher(String);

#[async_trait]
impl Fetcher for UnavailableFetcher {
    async fn fetch(&self, _req: FetchRequest) -> Result<FetchResponse, FetchError> {
        Err(FetchError::Connect(format!("HTTP client unavailable: {}", self.0)))
    }
}
