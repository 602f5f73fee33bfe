//! `certwatch extract` and `certwatch scrape --dry-run`: the monitoring
//! pipeline of `certwatch_core::monitoring` run from the command line,
//! printing JSON and writing nothing.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use certwatch_core::extraction::{default_ocr, PdfLimits};
use certwatch_core::monitoring::{
    default_renderer, extract_document, scrape_page, Extractor, FetchConfig, PriorState, ReqwestFetcher,
    RuleBasedExtractor, ScrapeLimits, ScrapePorts,
};
use serde_json::json;

/// Prints one JSON object per file: the text source (`pdf_text`, `ocr`,
/// `html`, or `ocr_unavailable` when the build has no OCR) and extractor
/// used and every field with its confidence, or `is_certificate: false`.
/// The extractor is the LLM when configured (the rules for a file it fails
/// on, with a `note` saying so), else the rules.
pub async fn extract(files: Vec<PathBuf>, extractor: Arc<dyn Extractor>) -> anyhow::Result<()> {
    let limits = PdfLimits::default();
    let ocr = default_ocr();
    let today = chrono::Utc::now().date_naive();
    for path in files {
        let bytes = std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let got = extract_document(&bytes, &name, extractor.as_ref(), &ocr, &limits, Some(today)).await;
        let mut out = serde_json::to_value(&got)?;
        out["file"] = json!(path.display().to_string());
        println!("{}", serde_json::to_string(&out)?);
    }
    Ok(())
}

/// Prints what one scrape of `url` would find (page, PDFs, certificate
/// candidates with their fields) without touching any database.
pub async fn scrape_dry_run(url: &str, allow: Vec<ipnet::IpNet>) -> anyhow::Result<()> {
    let url = url::Url::parse(url).context("the URL")?;
    let fetcher = ReqwestFetcher::new(FetchConfig { allow: allow.clone(), ..FetchConfig::default() })?;
    // Headless Chromium when built with `--features browser`.
    let renderer = default_renderer(allow);
    let today = chrono::Utc::now().date_naive();
    let ocr = default_ocr();
    let ports =
        ScrapePorts { fetcher: &fetcher, renderer: renderer.as_ref(), extractor: &RuleBasedExtractor, ocr: &ocr };
    let scrape = scrape_page(ports, &url, &PriorState::default(), &ScrapeLimits::default(), Some(today)).await?;
    println!("{}", serde_json::to_string_pretty(&scrape)?);
    Ok(())
}
