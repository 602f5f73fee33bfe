//! HTML → visible text and links, with `scraper` (html5ever).
//!
//! Why `scraper`: it parses with html5ever, the WHATWG-conformant parser of
//! the Servo project, so broken real-world markup (unclosed cells, stray
//! tags, entities without semicolons) is repaired exactly as a browser
//! would, and entities are decoded by the parser. It is actively
//! maintained (rust-scraper). `tl` is faster but unmaintained since 2022
//! and does not decode entities; `lol_html` streams but leaves entity
//! decoding and tree structure to us.
//!
//! Everything here is pure: no IO, no clock. The tree is walked with an
//! explicit stack (html5ever's `traverse`), never recursion, so deeply
//! nested hostile markup cannot exhaust the stack.

use std::collections::HashSet;

use ego_tree::iter::Edge;
use scraper::{Html, Node};
use sha2::{Digest, Sha256};
use url::Url;

/// Elements whose content is never shown.
const HIDDEN: &[&str] = &["script", "style", "noscript", "template", "head", "svg", "iframe", "object"];

/// Elements that start a new line of text.
const BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "br",
    "dd",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "tbody",
    "thead",
    "tfoot",
    "tr",
    "ul",
    "caption",
];

/// A link on a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// Absolute `http`/`https` URL without fragment.
    pub url: Url,
    /// The link's visible text, whitespace collapsed.
    pub text: String,
}

/// What a page shows and where it links.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ParsedPage {
    /// The `<title>`, whitespace collapsed.
    pub title: String,
    /// Visible text: one line per block, table cells separated by tabs.
    pub text: String,
    /// Every `http`/`https` link, absolutised against the page URL (or
    /// `<base href>`), fragment removed, each URL once (first anchor wins).
    pub links: Vec<Link>,
    /// The links whose path ends in `.pdf` (or marked `type="application/pdf"`),
    /// in page order, each once.
    pub pdf_links: Vec<Link>,
}

/// Deepest element nesting a page may have. html5ever checks element
/// scopes against the stack of open elements, so its cost grows with tags
/// × depth; browsers cap the depth at 512 too (Blink).
pub const MAX_NESTING: usize = 512;

/// Elements that never hold others, or that the parser closes implicitly
/// when a sibling starts, so they do not deepen the tree.
const FLAT: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr", "p", "li",
    "td", "th", "tr", "option", "dt", "dd", "!doctype", "!--",
];

/// Why a page is not parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    /// Elements nest deeper than [`MAX_NESTING`].
    #[error("the page nests elements deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

/// A cheap scan of the tags: refuses markup nested deeper than `max`
/// before the parser sees it.
pub fn check_nesting(html: &str, max: usize) -> Result<(), HtmlError> {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = bytes.get(i..).and_then(|b| b.iter().position(|&c| c == b'<')) {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let end = bytes[start.min(bytes.len())..]
            .iter()
            .position(|c| !(c.is_ascii_alphanumeric() || *c == b'!' || *c == b'-'))
            .map_or(bytes.len(), |n| start + n);
        let name = html.get(start..end).unwrap_or_default().to_ascii_lowercase();
        if name.is_empty() || FLAT.contains(&name.as_str()) || name.starts_with("!--") {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            let self_closing =
                bytes[end..].iter().position(|&c| c == b'>').is_some_and(|n| n > 0 && bytes[end + n - 1] == b'/');
            if !self_closing {
                depth += 1;
                if depth > max {
                    return Err(HtmlError::TooDeep { max });
                }
            }
        }
    }
    Ok(())
}

/// Parses `html` fetched from `page_url`; markup nested deeper than
/// [`MAX_NESTING`] is refused (see [`check_nesting`]).
pub fn parse_page(html: &str, page_url: &Url) -> Result<ParsedPage, HtmlError> {
    check_nesting(html, MAX_NESTING)?;
    let doc = Html::parse_document(html);
    let base = base_url(&doc, page_url);
    let mut out = ParsedPage::default();
    let mut text = String::new();
    let mut hidden_depth = 0usize;
    // Open anchors: (start offset in `text`, href, type attribute).
    let mut anchors: Vec<(usize, Option<Url>, bool)> = Vec::new();
    let mut in_title = false;
    let mut seen = HashSet::new();
    let mut seen_pdf = HashSet::new();
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    if name == "title" {
                        in_title = true;
                    }
                    if HIDDEN.contains(&name) {
                        hidden_depth += 1;
                    }
                    if hidden_depth > 0 {
                        continue;
                    }
                    if BLOCK.contains(&name) {
                        text.push('\n');
                    }
                    if name == "a" || name == "area" {
                        let href = el.attr("href").and_then(|h| absolutise(&base, h));
                        let pdf_type =
                            el.attr("type").is_some_and(|t| t.trim().eq_ignore_ascii_case("application/pdf"));
                        anchors.push((text.len(), href, pdf_type));
                    }
                }
                Node::Text(t) => {
                    if in_title {
                        out.title.push_str(t);
                    }
                    if hidden_depth == 0 {
                        text.push_str(t);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(el) = node.value() {
                    let name = el.name();
                    if name == "title" {
                        in_title = false;
                    }
                    if HIDDEN.contains(&name) {
                        hidden_depth = hidden_depth.saturating_sub(1);
                        continue;
                    }
                    if hidden_depth > 0 {
                        continue;
                    }
                    match name {
                        "td" | "th" => text.push('\t'),
                        "a" | "area" => {
                            if let Some((start, Some(url), pdf_type)) = anchors.pop() {
                                let label = collapse(text.get(start..).unwrap_or_default());
                                let is_pdf = pdf_type || url.path().to_ascii_lowercase().ends_with(".pdf");
                                let link = Link { url, text: label };
                                if is_pdf && seen_pdf.insert(link.url.clone()) {
                                    out.pdf_links.push(link.clone());
                                }
                                if seen.insert(link.url.clone()) {
                                    out.links.push(link);
                                }
                            }
                        }
                        _ if BLOCK.contains(&name) => text.push('\n'),
                        _ => {}
                    }
                }
            }
        }
    }
    out.title = collapse(&out.title);
    out.text = tidy(&text);
    Ok(out)
}

/// The URL relative links resolve against: `<base href>` if present and
/// valid, else the page's own URL.
fn base_url(doc: &Html, page_url: &Url) -> Url {
    for node in doc.tree.root().descendants() {
        if let Node::Element(el) = node.value() {
            if el.name() == "base" {
                if let Some(u) = el.attr("href").and_then(|h| page_url.join(h.trim()).ok()) {
                    if matches!(u.scheme(), "http" | "https") {
                        return u;
                    }
                }
                break;
            }
        }
    }
    page_url.clone()
}

/// `href` resolved against `base`: only `http`/`https`, fragment dropped.
pub fn absolutise(base: &Url, href: &str) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    let mut url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    url.set_fragment(None);
    Some(url)
}

/// Whitespace runs to one space, trimmed.
pub fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Per line: spaces collapsed (tabs kept as cell separators), empty lines
/// dropped.
fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.lines() {
        let cells: Vec<String> = line.split('\t').map(collapse).filter(|c| !c.is_empty()).collect();
        if cells.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&cells.join("\t"));
    }
    out
}

/// Lower-case hex SHA-256 of the page's visible text with all whitespace
/// collapsed: markup, attribute and layout churn does not count as change.
pub fn content_hash(visible_text: &str) -> String {
    sha256_hex(collapse(visible_text).as_bytes())
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(html: &str, u: &Url) -> ParsedPage {
        parse_page(html, u).expect("parsed")
    }

    fn url(s: &str) -> Url {
        Url::parse(s).expect("url")
    }

    #[test]
    fn visible_text_skips_scripts_and_decodes_entities() {
        let page = parse(
            "<html><head><title>Q &amp; C</title><style>p{}</style><script>var x='hidden';</script></head>\
             <body><h1>Quality &amp; Certifications</h1><p>Gr&uuml;&szlig;e&nbsp;aus M&uuml;nchen</p>\
             <noscript>enable JS</noscript><table><tr><td>ISO 9001</td><td>TÜV SÜD</td></tr></table></body></html>",
            &url("https://example.com/"),
        );
        assert_eq!(page.title, "Q & C");
        assert!(page.text.contains("Quality & Certifications"), "{}", page.text);
        assert!(page.text.contains("Grüße aus München"), "{}", page.text);
        assert!(page.text.contains("ISO 9001\tTÜV SÜD"), "{}", page.text);
        assert!(!page.text.contains("hidden") && !page.text.contains("enable JS"), "{}", page.text);
    }

    #[test]
    fn links_are_absolutised_deduplicated_and_stripped_of_fragments() {
        let page = parse(
            "<a href='../../docs/a.pdf#page=2'>ISO 9001 (PDF)</a><a href='../../docs/a.pdf'>again</a>\
             <a href='/x/B.PDF?v=1'>B</a><a href='mailto:x@y'>mail</a><a href='#top'>top</a>\
             <a href='javascript:void(0)'>js</a><a href='other.html'>Other <b>page</b></a>",
            &url("https://example.com/web/site/quality/certs.html"),
        );
        let pdfs: Vec<&str> = page.pdf_links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(pdfs, ["https://example.com/web/docs/a.pdf", "https://example.com/x/B.PDF?v=1"]);
        assert_eq!(page.pdf_links[0].text, "ISO 9001 (PDF)");
        let all: Vec<&str> = page.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(page.links[2].text, "Other page");
    }

    #[test]
    fn base_href_is_honoured() {
        let page = parse(
            "<head><base href='https://cdn.example.org/files/'></head><a href='c.pdf'>c</a>",
            &url("https://example.com/a/b.html"),
        );
        assert_eq!(page.pdf_links[0].url.as_str(), "https://cdn.example.org/files/c.pdf");
    }

    #[test]
    fn markup_churn_keeps_the_hash() {
        let a = parse("<p>ISO 9001 <b>valid</b> until 2027</p>", &url("https://e.com/"));
        let b =
            parse("<div class='x'><span>ISO 9001</span>   valid until 2027</div><!-- c -->", &url("https://e.com/"));
        assert_eq!(content_hash(&a.text), content_hash(&b.text));
        let c = parse("<p>ISO 9001 valid until 2028</p>", &url("https://e.com/"));
        assert_ne!(content_hash(&a.text), content_hash(&c.text));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let html = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
        assert_eq!(parse_page(&html, &url("https://e.com/")), Err(HtmlError::TooDeep { max: MAX_NESTING }));
        let ok = "<div>".repeat(400) + "deep" + &"</div>".repeat(400);
        assert!(parse_page(&ok, &url("https://e.com/")).expect("parsed").text.contains("deep"));
        // Many siblings and implicitly closed elements are not depth.
        let flat = "<p>x<br><img src=a.png>".repeat(5_000) + "<ul>" + &"<li>i".repeat(2_000) + "</ul>";
        assert!(check_nesting(&flat, MAX_NESTING).is_ok());
    }
}
