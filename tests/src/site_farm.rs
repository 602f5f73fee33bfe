//! A local site farm for the monitoring tests and benchmarks: a wiremock
//! server on 127.0.0.1 serving the corpus's supplier sites (`/web/…`) and
//! the documents they link (`/docs/…`), plus whatever a test puts there
//! (hostile pages, redirects, replaced PDFs). Every document carries an
//! `ETag` and answers `If-None-Match` with 304; [`SiteFarm::hits`] counts
//! full (200) answers per path, so tests can tell a download from a 304.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The corpus directory (`CERTWATCH_CORPUS_DIR` or `../../shared/corpus`).
pub fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("CERTWATCH_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    assert!(
        dir.join("manifest.json").is_file(),
        "the certificate corpus is missing: expected {}/manifest.json (the shared/ directory beside the main \
         repository, or set CERTWATCH_CORPUS_DIR to a copy of shared/corpus)",
        dir.display()
    );
    dir
}

#[derive(Clone)]
enum Entry {
    Doc {
        body: Arc<Vec<u8>>,
        content_type: String,
        etag: String,
    },
    Redirect(String),
    /// 403 to any client whose User-Agent doesn't say `HeadlessChrome`
    /// (a bot wall that only lets browsers in).
    BrowserOnly {
        body: Arc<Vec<u8>>,
    },
}

#[derive(Default)]
struct State {
    files: HashMap<String, Entry>,
    hits: HashMap<String, u32>,
    requests: u32,
}

#[derive(Clone)]
struct Responder(Arc<Mutex<State>>);

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let path = req.url.path().to_owned();
        let Ok(mut st) = self.0.lock() else { return ResponseTemplate::new(500) };
        st.requests += 1;
        match st.files.get(&path).cloned() {
            None => ResponseTemplate::new(404).set_body_string("not found"),
            Some(Entry::BrowserOnly { body }) => {
                let ua = req.headers.get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default();
                if !ua.contains("HeadlessChrome") {
                    return ResponseTemplate::new(403).set_body_string("<html><body>Forbidden</body></html>");
                }
                *st.hits.entry(path).or_default() += 1;
                ResponseTemplate::new(200)
                    .insert_header("content-type", "text/html; charset=utf-8")
                    .set_body_bytes(body.as_slice().to_vec())
            }
            Some(Entry::Redirect(to)) => ResponseTemplate::new(302).insert_header("location", to.as_str()),
            Some(Entry::Doc { body, content_type, etag }) => {
                let inm = req.headers.get("if-none-match").and_then(|v| v.to_str().ok());
                if inm == Some(etag.as_str()) {
                    return ResponseTemplate::new(304).insert_header("etag", etag.as_str());
                }
                *st.hits.entry(path).or_default() += 1;
                ResponseTemplate::new(200)
                    .insert_header("content-type", content_type.as_str())
                    .insert_header("etag", etag.as_str())
                    .set_body_bytes(body.as_slice().to_vec())
            }
        }
    }
}

/// The farm.
pub struct SiteFarm {
    /// The server (its URI is the farm's origin).
    pub server: MockServer,
    state: Arc<Mutex<State>>,
}

fn content_type(path: &str) -> &'static str {
    if path.ends_with(".pdf") {
        "application/pdf"
    } else if path.ends_with(".html") {
        "text/html; charset=utf-8"
    } else {
        "application/octet-stream"
    }
}

impl SiteFarm {
    /// An empty farm.
    pub async fn empty() -> SiteFarm {
        Self::serve(MockServer::start().await).await
    }

    /// An empty farm listening on `addr` (e.g. `127.0.0.2:0`: another
    /// loopback address, for tests that allow-list only one of them).
    ///
    /// # Panics
    /// When the address can't be bound.
    pub async fn empty_at(addr: &str) -> SiteFarm {
        let listener = std::net::TcpListener::bind(addr).unwrap_or_else(|e| panic!("binding {addr}: {e}"));
        Self::serve(MockServer::builder().listener(listener).start().await).await
    }

    async fn serve(server: MockServer) -> SiteFarm {
        let state = Arc::new(Mutex::new(State::default()));
        Mock::given(wiremock::matchers::any()).respond_with(Responder(state.clone())).mount(&server).await;
        SiteFarm { server, state }
    }

    /// A farm serving the corpus's web sites and documents.
    pub async fn corpus() -> SiteFarm {
        let farm = Self::empty().await;
        let dir = corpus_dir();
        for sub in ["web", "docs"] {
            farm.put_dir(&dir, &dir.join(sub));
        }
        farm
    }

    fn put_dir(&self, root: &Path, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                self.put_dir(root, &p);
            } else if p.extension().is_some_and(|x| x == "html" || x == "pdf") {
                let rel = p.strip_prefix(root).unwrap_or(&p).to_string_lossy().replace('\\', "/");
                let body = std::fs::read(&p).unwrap_or_default();
                self.put(&format!("/{rel}"), body, content_type(&rel));
            }
        }
    }

    /// The absolute URL of `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.uri())
    }

    /// Serves `body` at `path` (replacing what was there; a new ETag).
    pub fn put(&self, path: &str, body: Vec<u8>, content_type: &str) {
        let etag = format!("\"{}\"", hex::encode(&Sha256::digest(&body)[..8]));
        if let Ok(mut st) = self.state.lock() {
            st.files.insert(
                path.to_owned(),
                Entry::Doc { body: Arc::new(body), content_type: content_type.to_owned(), etag },
            );
        }
    }

    /// Serves a page at `path` that links the corpus document `doc` (e.g.
    /// `doc-002.pdf`, a scan) and says nothing else about it, so whatever
    /// a scrape learns of the certificate comes from the document. Returns
    /// the page's URL.
    pub fn put_document_page(&self, path: &str, doc: &str) -> String {
        let html = format!(
            "<html><head><title>Downloads</title></head><body><h1>Downloads</h1>\
             <p><a href=\"/docs/{doc}\">Certificate (PDF)</a></p></body></html>"
        );
        self.put(path, html.into_bytes(), "text/html; charset=utf-8");
        self.url(path)
    }

    /// Serves a 302 to `to` at `path`.
    pub fn redirect(&self, path: &str, to: &str) {
        if let Ok(mut st) = self.state.lock() {
            st.files.insert(path.to_owned(), Entry::Redirect(to.to_owned()));
        }
    }

    /// Serves `body` (HTML) at `path` to browsers only: any client whose
    /// User-Agent lacks `HeadlessChrome` gets 403.
    pub fn put_browser_only(&self, path: &str, body: Vec<u8>) {
        if let Ok(mut st) = self.state.lock() {
            st.files.insert(path.to_owned(), Entry::BrowserOnly { body: Arc::new(body) });
        }
    }

    /// Requests received so far, on any path, whatever the answer.
    pub fn requests(&self) -> u32 {
        self.state.lock().map(|s| s.requests).unwrap_or(0)
    }

    /// Full (200) answers served for `path` so far.
    pub fn hits(&self, path: &str) -> u32 {
        self.state.lock().map(|s| s.hits.get(path).copied().unwrap_or(0)).unwrap_or(0)
    }

    /// The bytes served at `path`.
    pub fn body(&self, path: &str) -> Option<Vec<u8>> {
        let st = self.state.lock().ok()?;
        match st.files.get(path)? {
            Entry::Doc { body, .. } => Some(body.as_slice().to_vec()),
            Entry::Redirect(_) => None,
            Entry::BrowserOnly { body } => Some(body.as_slice().to_vec()),
        }
    }
}

/// A supplier page listing one certificate in a table (number
/// `QA-2291-77`), with enough text that it isn't "suspiciously small".
pub const CERTIFICATE_TABLE_PAGE: &str = "<!doctype html><html><head><title>Certificates</title></head><body>\
<h1>Quality certificates</h1>\
<p>Our management systems are certified by accredited bodies. The certificates below are valid for all production sites.</p>\
<table><tr><th>Standard</th><th>Certificate no.</th><th>Valid until</th></tr>\
<tr><td>ISO 9001:2015</td><td>QA-2291-77</td><td>2028-03-31</td></tr></table></body></html>";

/// The number in [`CERTIFICATE_TABLE_PAGE`] and [`SCRIPT_FILLED_PAGE`].
pub const TABLE_CERTIFICATE_NUMBER: &str = "QA-2291-77";

/// A single-page-app shell: the static HTML says "Loading…"; the same
/// certificate table as [`CERTIFICATE_TABLE_PAGE`] is inserted by
/// JavaScript after load.
pub const SCRIPT_FILLED_PAGE: &str = "<!doctype html><html><head><title>Certificates</title></head><body>\
<div id='app'>Loading…</div>\
<script>window.addEventListener('load', function () { setTimeout(function () {\
document.getElementById('app').innerHTML = '<h1>Quality certificates</h1>' +\
'<p>Our management systems are certified by accredited bodies. The certificates below are valid for all production sites.</p>' +\
'<table><tr><th>Standard</th><th>Certificate no.</th><th>Valid until</th></tr>' +\
'<tr><td>ISO 9001:2015</td><td>QA-2291-77</td><td>2028-03-31</td></tr></table>';\
}, 50); });</script></body></html>";
