//! One scrape of one page, without the store: fetch the page, decide
//! whether it changed, fetch and (re-)extract the PDFs that changed (their
//! text through [`read_text`](crate::extraction::read_text), the path bulk
//! upload uses: the text layer, else OCR of a scan), and turn page text and
//! PDFs into certificate candidates. The service
//! persists the result; `certwatch scrape --dry-run` prints it. Both run
//! exactly this code.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use serde::Serialize;
use url::Url;

use super::charset::decode_html;
use super::extractor::{extract_or_fall_back, Extractor, RuleBasedExtractor, TextSource};
use super::fetch::{FetchError, FetchRequest, Fetcher, Validators};
use super::html::{content_hash, parse_page, sha256_hex, HtmlError, Link, ParsedPage};
use super::render::{RenderError, Renderer};
use crate::dedupe::simhash;
use crate::extraction::{read_text_blocking, Extraction, Hints, Ocr, PdfLimits, TextError};

/// Bounds of one scrape.
#[derive(Debug, Clone)]
pub struct ScrapeLimits {
    /// Largest page read (default 5 MiB).
    pub max_page_bytes: usize,
    /// PDFs read per page at most (default 50).
    pub max_pdfs: usize,
    /// Bounds of PDF reading; `max_input_bytes` also caps the download.
    pub pdf: PdfLimits,
    /// A page whose visible text has fewer non-whitespace characters than
    /// this is "suspiciously small" and is rendered in the browser
    /// fallback (default 100): bot walls and script-filled pages ship an
    /// empty shell ("Loading…", "Please enable JavaScript"), while any page
    /// that lists a certificate has more text than that. 0 turns the
    /// small-body fallback off (403 and connection errors still trigger it).
    pub min_visible_chars: usize,
}

impl Default for ScrapeLimits {
    fn default() -> Self {
        Self { max_page_bytes: 5 << 20, max_pdfs: 50, pdf: PdfLimits::default(), min_visible_chars: 100 }
    }
}

/// What the previous scrape of the page left behind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriorState {
    /// Hash of the page's visible text.
    pub content_hash: Option<String>,
    /// PDF URL → SHA-256 of the bytes extracted.
    pub pdf_hashes: BTreeMap<String, String>,
    /// PDF URL → validators.
    pub pdf_validators: BTreeMap<String, Validators>,
}

/// What happened to one linked PDF.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PdfStatus {
    /// The server answered 304 Not Modified.
    NotModified,
    /// Downloaded, same SHA-256 as last time: not extracted again.
    UnchangedHash,
    /// New or changed, extracted (from its text layer, or by OCR: the
    /// candidate's source and the scrape notes say which).
    Extracted,
    /// New or changed, but a scan (or an image) and this build has no OCR.
    NoTextLayer,
    /// The link is broken (HTTP 404 or 410): noted, not a failure of the
    /// scrape (supplier pages often link documents that are gone).
    Missing(u16),
    /// Could not be read; the message says why.
    Failed(String),
}

/// One linked PDF and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfResult {
    /// The PDF's URL.
    pub url: String,
    /// The link text.
    pub anchor_text: String,
    /// What happened.
    pub status: PdfStatus,
    /// SHA-256 of its bytes (when downloaded or known).
    pub sha256: Option<String>,
    /// Validators for the next conditional request.
    #[serde(skip)]
    pub validators: Validators,
}

/// A certificate found on the page or in a PDF.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    /// Where the text came from.
    pub source: TextSource,
    /// The PDF it came from (None for the page's own text).
    pub document_url: Option<String>,
    /// SHA-256 of that PDF.
    pub document_hash: Option<String>,
    /// SimHash of the text the fields were read from.
    #[serde(serialize_with = "hex_u64")]
    pub simhash: u64,
    /// The extracted fields with confidences.
    pub extraction: Extraction,
}

fn hex_u64<S: serde::Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{v:016x}"))
}

/// The result of [`scrape_page`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PageScrape {
    /// The page URL after redirects.
    pub final_url: String,
    /// SHA-256 of the visible text.
    pub content_hash: String,
    /// Whether the visible text differs from the previous scrape.
    pub page_changed: bool,
    /// Every linked PDF (up to the limit) and what happened to it.
    pub pdfs: Vec<PdfResult>,
    /// Certificates found in the changed parts.
    pub candidates: Vec<Candidate>,
    /// Step by step, for the scrape log.
    pub notes: Vec<String>,
}

impl PageScrape {
    /// The PDFs that could not be read.
    pub fn failures(&self) -> Vec<String> {
        self.pdfs
            .iter()
            .filter_map(|p| match &p.status {
                PdfStatus::Failed(e) => Some(format!("{}: {e}", p.url)),
                _ => None,
            })
            .collect()
    }
}

/// Why a page could not be scraped at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    /// The page could not be fetched.
    #[error("fetching the page failed: {0}")]
    Fetch(FetchError),
    /// The page could not be fetched and the browser fallback could not
    /// render it either.
    #[error("fetching the page failed: {error}; {fallback}")]
    FetchAndRender {
        /// What HTTP said.
        error: FetchError,
        /// The note on the fallback ("browser fallback unavailable: …").
        fallback: String,
    },
    /// The page could not be parsed.
    #[error("parsing the page failed: {0}")]
    Html(HtmlError),
}

impl ScrapeError {
    /// Notes for the scrape log beyond the message (what the browser
    /// fallback did).
    pub fn notes(&self) -> Vec<String> {
        match self {
            ScrapeError::FetchAndRender { fallback, .. } => vec![fallback.clone()],
            _ => Vec::new(),
        }
    }
}

// Not `#[from]`: that would also make the inner error the `source`, and
// error chains would print its message twice.
impl From<FetchError> for ScrapeError {
    fn from(e: FetchError) -> Self {
        Self::Fetch(e)
    }
}
impl From<HtmlError> for ScrapeError {
    fn from(e: HtmlError) -> Self {
        Self::Html(e)
    }
}

/// The adapters one scrape reads the world through (see
/// [`MonitoringConfig::ports`](super::MonitoringConfig::ports)).
#[derive(Clone, Copy)]
pub struct ScrapePorts<'a> {
    /// Pages and PDFs over HTTP.
    pub fetcher: &'a dyn Fetcher,
    /// The browser fallback.
    pub renderer: &'a dyn Renderer,
    /// Fields out of text.
    pub extractor: &'a dyn Extractor,
    /// Scanned PDFs.
    pub ocr: &'a Arc<dyn Ocr>,
}

/// Scrapes `url`: the page must be fetched and parsed (else the error),
/// linked PDFs are handled one by one (a failing PDF is recorded, not fatal);
/// scans among them are read by the OCR port.
///
/// Browser fallback: when the page answers 403, connecting fails (not an
/// SSRF refusal: the browser would be refused too), or its visible text is
/// shorter than [`ScrapeLimits::min_visible_chars`], the page is rendered
/// through the renderer and the rendered HTML is used. When that fails (no
/// browser in the build or on the machine, or it failed too) the scrape
/// carries on with what HTTP returned — or fails with HTTP's error — and
/// the notes say why.
pub async fn scrape_page(
    ports: ScrapePorts<'_>,
    url: &Url,
    prior: &PriorState,
    limits: &ScrapeLimits,
    reference_date: Option<NaiveDate>,
) -> Result<PageScrape, ScrapeError> {
    let ScrapePorts { fetcher, renderer, extractor, ocr } = ports;
    let mut notes = Vec::new();
    let (final_url, parsed) = fetch_or_render(fetcher, renderer, url, limits, &mut notes).await?;
    let hash = content_hash(&parsed.text);
    let page_changed = prior.content_hash.as_deref() != Some(hash.as_str());
    notes.push(format!(
        "page text {} ({} PDF link(s))",
        if page_changed { "changed" } else { "unchanged" },
        parsed.pdf_links.len()
    ));
    let hints = |filename: Option<String>| Hints { filename, reference_date };
    let mut candidates = Vec::new();
    if page_changed {
        // A remote model reads the page once; its rows and lines are read
        // by the rules (one model call per line would cost a call per row).
        let block_extractor: &dyn Extractor = if extractor.per_block() { extractor } else { &RuleBasedExtractor };
        let mut fallback_note = None;
        for block in page_blocks(&parsed.text) {
            let got = extract_or_fall_back(block_extractor, &block, &hints(None)).await;
            fallback_note = fallback_note.or(got.fallback);
            let ex = got.extraction;
            if ex.fields.certificate_type.is_some() && ex.fields.certificate_number.is_some() {
                candidates.push(Candidate {
                    source: TextSource::Html,
                    document_url: None,
                    document_hash: None,
                    simhash: simhash(&block),
                    extraction: ex,
                });
            }
        }
        notes.extend(fallback_note);
        if !extractor.per_block() {
            match extractor.extract(&parsed.text, &hints(None)).await {
                Ok(ex) if ex.fields.certificate_type.is_some() && ex.fields.certificate_number.is_some() => {
                    candidates.push(Candidate {
                        source: TextSource::Html,
                        document_url: None,
                        document_hash: None,
                        simhash: simhash(&parsed.text),
                        extraction: ex,
                    });
                }
                Ok(_) => {}
                Err(e) => notes.push(format!(
                    "{} failed on the page text ({e}); its mentions were read by the rules only",
                    extractor.name()
                )),
            }
        }
        notes.push(format!("{} certificate mention(s) in the page text", candidates.len()));
    }
    let mut pdfs = Vec::new();
    let links: Vec<&Link> = parsed.pdf_links.iter().collect();
    if links.len() > limits.max_pdfs {
        notes.push(format!("{} PDF links, only the first {} read", links.len(), limits.max_pdfs));
    }
    let ctx = PdfContext { fetcher, extractor, ocr, prior, limits, reference_date };
    for link in links.into_iter().take(limits.max_pdfs) {
        let (result, candidate) = scrape_pdf(&ctx, link, &mut notes).await;
        if let Some(c) = candidate {
            candidates.push(c);
        }
        pdfs.push(result);
    }
    Ok(PageScrape { final_url: final_url.to_string(), content_hash: hash, page_changed, pdfs, candidates, notes })
}

/// Why the browser fallback is tried.
fn fallback_reason(e: &FetchError) -> Option<String> {
    match e {
        FetchError::Status(403) => Some("HTTP 403".to_owned()),
        FetchError::Connect(msg) => Some(format!("a connection error ({msg})")),
        _ => None,
    }
}

/// Fetches and parses the page, falling back to the renderer when HTTP
/// was refused (403), failed to connect or gave an almost empty page.
async fn fetch_or_render(
    fetcher: &dyn Fetcher,
    renderer: &dyn Renderer,
    url: &Url,
    limits: &ScrapeLimits,
    notes: &mut Vec<String>,
) -> Result<(Url, ParsedPage), ScrapeError> {
    let (http, reason) = match fetcher.fetch(FetchRequest::new(url.clone(), limits.max_page_bytes)).await {
        Ok(page) => {
            notes.push(format!(
                "fetched {} (HTTP {}, {} bytes, {} attempt(s))",
                page.final_url,
                page.status,
                page.body.len(),
                page.attempts
            ));
            let decoded = decode_html(&page.body, page.content_type.as_deref());
            if let Some(n) = &decoded.note {
                notes.push(n.clone());
            }
            let parsed = parse_page(&decoded.text, &page.final_url)?;
            let visible = parsed.text.chars().filter(|c| !c.is_whitespace()).count();
            if visible >= limits.min_visible_chars {
                return Ok((page.final_url, parsed));
            }
            let reason = format!("only {visible} visible character(s) over HTTP");
            (Ok((page.final_url, parsed)), reason)
        }
        Err(e) => match fallback_reason(&e) {
            Some(reason) => {
                notes.push(format!("fetching {url} failed: {e}"));
                (Err(e), reason)
            }
            None => return Err(e.into()),
        },
    };
    match renderer.render(url).await {
        Ok(rendered) => {
            notes.push(format!(
                "rendered with {} after {reason} ({} bytes of HTML from {})",
                renderer.name(),
                rendered.html.len(),
                rendered.final_url
            ));
            if !rendered.blocked.is_empty() {
                notes.push(format!(
                    "the browser refused {} request(s) of the page: {}",
                    rendered.blocked.len(),
                    rendered.blocked.join("; ")
                ));
            }
            let parsed = parse_page(&rendered.html, &rendered.final_url)?;
            Ok((rendered.final_url, parsed))
        }
        Err(e) => {
            let note = match &e {
                RenderError::Unavailable(why) => {
                    format!("browser fallback unavailable: {why}; used the HTTP response")
                }
                other => format!("browser fallback after {reason} failed: {other}; used the HTTP response"),
            };
            match http {
                Ok(page) => {
                    notes.push(note);
                    Ok(page)
                }
                Err(error) => Err(ScrapeError::FetchAndRender { error, fallback: note }),
            }
        }
    }
}

/// What reading one linked PDF needs.
struct PdfContext<'a> {
    fetcher: &'a dyn Fetcher,
    extractor: &'a dyn Extractor,
    ocr: &'a Arc<dyn Ocr>,
    prior: &'a PriorState,
    limits: &'a ScrapeLimits,
    reference_date: Option<NaiveDate>,
}

/// Fetches one PDF (conditionally when validators are known) and extracts
/// it when its bytes changed; how its text was read goes to `notes`.
async fn scrape_pdf(ctx: &PdfContext<'_>, link: &Link, notes: &mut Vec<String>) -> (PdfResult, Option<Candidate>) {
    let PdfContext { fetcher, extractor, ocr, prior, limits, reference_date } = *ctx;
    let key = link.url.as_str();
    let known_hash = prior.pdf_hashes.get(key).cloned();
    let mut req = FetchRequest::new(link.url.clone(), limits.pdf.max_input_bytes);
    if known_hash.is_some() {
        req.validators = prior.pdf_validators.get(key).cloned().unwrap_or_default();
    }
    let mut result = PdfResult {
        url: key.to_owned(),
        anchor_text: link.text.clone(),
        status: PdfStatus::Extracted,
        sha256: known_hash.clone(),
        validators: req.validators.clone(),
    };
    let resp = match fetcher.fetch(req).await {
        Ok(r) => r,
        Err(FetchError::Status(code @ (404 | 410))) => {
            result.status = PdfStatus::Missing(code);
            result.sha256 = None;
            return (result, None);
        }
        Err(e) => {
            result.status = PdfStatus::Failed(e.to_string());
            return (result, None);
        }
    };
    result.validators = resp.validators.clone();
    if resp.not_modified {
        result.status = if known_hash.is_some() {
            PdfStatus::NotModified
        } else {
            PdfStatus::Failed("304 without a previous download".into())
        };
        return (result, None);
    }
    let sha = sha256_hex(&resp.body);
    result.sha256 = Some(sha.clone());
    if known_hash.as_deref() == Some(sha.as_str()) {
        result.status = PdfStatus::UnchangedHash;
        return (result, None);
    }
    let started = std::time::Instant::now();
    let read = match read_text_blocking(resp.body, ocr.clone(), limits.pdf.clone()).await {
        Ok(t) => t,
        Err(e @ TextError::OcrUnavailable { .. }) => {
            notes.push(format!("PDF {key}: not read, {e}"));
            result.status = PdfStatus::NoTextLayer;
            return (result, None);
        }
        Err(TextError::Unreadable(e)) => {
            result.status = PdfStatus::Failed(e);
            result.sha256 = None;
            return (result, None);
        }
    };
    if read.source == TextSource::Ocr {
        notes.push(format!("PDF {key}: read by OCR ({} page(s), {} ms)", read.pages, started.elapsed().as_millis()));
    }
    let text = read.text;
    let filename = link.url.path_segments().and_then(|mut s| s.next_back()).map(str::to_owned);
    let got = extract_or_fall_back(extractor, &text, &Hints { filename, reference_date }).await;
    if let Some(why) = got.fallback {
        notes.push(format!("PDF {key}: {why}"));
    }
    if !got.extraction.is_certificate {
        return (result, None);
    }
    let c = Candidate {
        source: read.source,
        document_url: Some(key.to_owned()),
        document_hash: Some(sha),
        simhash: simhash(&text),
        extraction: got.extraction,
    };
    (result, Some(c))
}

/// The page text cut into blocks that may each mention one certificate:
/// table rows become `header: value` lines (so each value sits under its
/// label, as the rules expect), other lines stand alone.
pub fn page_blocks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut header: Option<Vec<&str>> = None;
    for line in text.lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        if cells.len() < 2 {
            header = None;
            out.push(line.to_owned());
            continue;
        }
        match &header {
            Some(h) if h.len() == cells.len() => {
                out.push(h.iter().zip(&cells).map(|(h, c)| format!("{h}: {c}")).collect::<Vec<_>>().join("\n"));
            }
            _ => {
                header = Some(cells);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_rows_are_labelled_by_their_header() {
        let blocks = page_blocks("Intro\nStandard\tCertificate no.\nISO 9001:2015\tGB24/55486\nOutro");
        assert_eq!(blocks, ["Intro", "Standard: ISO 9001:2015\nCertificate no.: GB24/55486", "Outro"]);
    }
}
