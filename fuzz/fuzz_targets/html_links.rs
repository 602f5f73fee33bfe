//! HTML from supplier sites: charset decoding, visible text, link and PDF
//! discovery, page blocks and the discovery classifier must never panic,
//! and every link they report must be an absolute http(s) URL without a
//! fragment.
#![no_main]

use certwatch_core::monitoring::charset::decode_html;
use certwatch_core::monitoring::discovery::score_page;
use certwatch_core::monitoring::html::{content_hash, parse_page};
use certwatch_core::monitoring::scrape::page_blocks;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(base) = url::Url::parse("https://supplier.example/web/site/quality/certificates.html") else { return };
    let decoded = decode_html(data, Some("text/html"));
    let Ok(page) = parse_page(&decoded.text, &base) else { return };
    for link in page.links.iter().chain(&page.pdf_links) {
        assert!(matches!(link.url.scheme(), "http" | "https"));
        assert!(link.url.fragment().is_none());
    }
    let _ = content_hash(&page.text);
    let _ = page_blocks(&page.text);
    let _ = score_page(&page.text, &page.pdf_links);
});
