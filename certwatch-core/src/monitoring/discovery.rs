//! Website discovery: from an organization's home page, find the pages that
//! show its certificates.
//!
//! Breadth-first over same-site links (same host, `www.` ignored), links
//! whose text or URL carry a certificate keyword (English and German)
//! first, within a depth and a page limit. Every fetched page is classified
//! by its content: certificate keywords, standards (`ISO 9001`, `IATF
//! 16949`, …) and links to certificate-looking PDFs. A page linked as
//! "Sustainability" or "Downloads" is thus found by what it shows, not by
//! its name.

use std::collections::{HashSet, VecDeque};
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;
use url::Url;

use super::charset::decode_html;
use super::fetch::{FetchRequest, Fetcher};
use super::html::{parse_page, Link};

/// Keywords of certificate pages and documents, lower case.
pub const KEYWORDS: &[&str] = &[
    "certificat",
    "certified",
    "certification",
    "quality",
    "iso",
    "iatf",
    "accreditation",
    "approval",
    "compliance",
    "zertifi",
    "qualität",
    "qualitaet",
    "download",
    "nachweis",
    "umwelt",
    "environment",
    "sustainab",
    "nachhaltig",
];

/// Bounds of one discovery run.
#[derive(Debug, Clone)]
pub struct DiscoveryLimits {
    /// Link depth from the start page.
    pub max_depth: usize,
    /// Pages fetched at most.
    pub max_pages: usize,
    /// Bytes read per page.
    pub max_page_bytes: usize,
    /// Classification score from which a page is relevant.
    pub min_score: u32,
}

impl Default for DiscoveryLimits {
    fn default() -> Self {
        Self { max_depth: 3, max_pages: 30, max_page_bytes: 2 << 20, min_score: 4 }
    }
}

/// A fetched page and its classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscoveredPage {
    /// Its URL.
    pub url: String,
    /// Link depth from the start.
    pub depth: usize,
    /// Content score (standards, keywords, certificate PDFs).
    pub score: u32,
    /// Whether it shows certificates.
    pub relevant: bool,
    /// Certificate-looking PDFs it links.
    pub certificate_pdfs: Vec<String>,
}

/// The result of [`discover`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Discovery {
    /// Every page fetched, in crawl order.
    pub pages: Vec<DiscoveredPage>,
    /// Fetch failures (`url: error`).
    pub errors: Vec<String>,
}

impl Discovery {
    /// The URLs of the relevant pages.
    pub fn relevant(&self) -> Vec<&str> {
        self.pages.iter().filter(|p| p.relevant).map(|p| p.url.as_str()).collect()
    }
}

fn standard_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?i)\b(?:ISO(?:/IEC)?\s?\d{4,5}|IATF\s?16949|AS\s?9100|EN\s?1090|EMAS|SA\s?8000|OHSAS\s?18001|ATEX)\b",
        )
        .unwrap_or_else(|_| unreachable!())
    })
}

fn has_keyword(s: &str) -> bool {
    let s = s.to_lowercase();
    KEYWORDS.iter().any(|k| s.contains(k))
}

fn site_key(u: &Url) -> String {
    u.host_str().unwrap_or_default().trim_start_matches("www.").to_ascii_lowercase()
}

/// Whether a PDF link looks like a certificate (by its text or file name).
pub fn is_certificate_pdf(link: &Link) -> bool {
    let name = link.url.path().rsplit('/').next().unwrap_or_default();
    let t = format!("{} {}", link.text, name).to_lowercase();
    ["zertifikat", "certificat", "iso", "iatf", "cert"].iter().any(|k| t.contains(k)) || standard_re().is_match(&t)
}

/// How strongly a page's text and links say "certificates".
pub fn score_page(text: &str, pdf_links: &[Link]) -> (u32, Vec<String>) {
    let standards = u32::try_from(standard_re().find_iter(text).count()).unwrap_or(u32::MAX).min(10);
    let lower = text.to_lowercase();
    let keywords = ["zertifikat", "certificate", "certified", "zertifiziert", "certification", "zertifizierung"]
        .iter()
        .map(|k| u32::try_from(lower.matches(k).count()).unwrap_or(0))
        .sum::<u32>()
        .min(10);
    let pdfs: Vec<String> = pdf_links.iter().filter(|l| is_certificate_pdf(l)).map(|l| l.url.to_string()).collect();
    let score = standards + keywords + 3 * u32::try_from(pdfs.len()).unwrap_or(0).min(5);
    (score, pdfs)
}

/// Crawls from `start` within `limits`.
pub async fn discover(fetcher: &dyn Fetcher, start: &Url, limits: &DiscoveryLimits) -> Discovery {
    let site = site_key(start);
    let mut out = Discovery::default();
    let mut seen: HashSet<Url> = HashSet::new();
    let mut queue: VecDeque<(Url, usize)> = VecDeque::new();
    let mut start = start.clone();
    start.set_fragment(None);
    seen.insert(start.clone());
    queue.push_back((start, 0));
    while let Some((url, depth)) = queue.pop_front() {
        if out.pages.len() >= limits.max_pages {
            break;
        }
        let resp = match fetcher.fetch(FetchRequest::new(url.clone(), limits.max_page_bytes)).await {
            Ok(r) => r,
            Err(e) => {
                out.errors.push(format!("{url}: {e}"));
                continue;
            }
        };
        if resp.content_type.as_deref().is_some_and(|c| !c.to_ascii_lowercase().contains("html")) {
            continue;
        }
        let page = match parse_page(&decode_html(&resp.body, resp.content_type.as_deref()).text, &resp.final_url) {
            Ok(p) => p,
            Err(e) => {
                out.errors.push(format!("{url}: {e}"));
                continue;
            }
        };
        let (score, certificate_pdfs) = score_page(&page.text, &page.pdf_links);
        out.pages.push(DiscoveredPage {
            url: resp.final_url.to_string(),
            depth,
            score,
            relevant: score >= limits.min_score,
            certificate_pdfs,
        });
        if depth >= limits.max_depth {
            continue;
        }
        // Keyword links first (front of the queue, in page order), others after.
        let mut front = Vec::new();
        for link in &page.links {
            let mut u = link.url.clone();
            u.set_query(None);
            if site_key(&u) != site || page.pdf_links.iter().any(|p| p.url == link.url) || !seen.insert(u.clone()) {
                continue;
            }
            if has_keyword(&link.text) || has_keyword(u.path()) {
                front.push((u, depth + 1));
            } else {
                queue.push_back((u, depth + 1));
            }
        }
        for item in front.into_iter().rev() {
            queue.push_front(item);
        }
    }
    out
}
