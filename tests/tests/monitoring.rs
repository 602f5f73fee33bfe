//! The monitoring pipeline against a local site farm (the corpus's supplier
//! sites on 127.0.0.1, loopback allow-listed explicitly), on SQLite and
//! Postgres: discovery, scraping into certificates, NO_CHANGE, selective
//! PDF re-extraction, adaptive scheduling, the failure-rate alert, and
//! hostile sites — each ends in a FAILED scrape log with a clear error.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use certwatch_core::authz::Principal;
use certwatch_core::certificates::{CertificateInput, CertificateQuery, CertificateStatus, Provenance};
use certwatch_core::dedupe::normalize_number;
use certwatch_core::extraction::{default_ocr, NoOcr};
use certwatch_core::ids::OrganizationId;
use certwatch_core::jobs::JobStatus;
use certwatch_core::monitoring::{
    EndpointInput, FetchConfig, MonitoredEndpoint, MonitoringConfig, ReqwestFetcher, ScrapeLog, ScrapeStatus,
};
use certwatch_core::pagination::PageRequest;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_core::CertWatch;
use certwatch_tests::site_farm::{
    corpus_dir, SiteFarm, CERTIFICATE_TABLE_PAGE, SCRIPT_FILLED_PAGE, TABLE_CERTIFICATE_NUMBER,
};
use certwatch_tests::{core_with_clock, seed, Backend, TestDb};

const REDBRIDGE: &str = "/web/redbridge-cable-systems";

fn config(allow_loopback: bool) -> MonitoringConfig {
    let fetch = FetchConfig {
        allow: if allow_loopback { vec!["127.0.0.0/8".parse().expect("net")] } else { Vec::new() },
        timeout: StdDuration::from_secs(10),
        backoff: StdDuration::from_millis(10),
        ..FetchConfig::default()
    };
    let mut limits = certwatch_core::monitoring::ScrapeLimits { max_page_bytes: 1 << 20, ..Default::default() };
    limits.pdf.max_decompressed_bytes = 8 << 20;
    MonitoringConfig {
        fetcher: Arc::new(ReqwestFetcher::new(fetch).expect("fetcher")),
        limits,
        ..MonitoringConfig::default()
    }
}

struct World {
    _db: TestDb,
    app: CertWatch,
    p: Principal,
    farm: SiteFarm,
    cfg: MonitoringConfig,
}

async fn world(backend: Backend) -> World {
    let db = TestDb::new(backend).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = seed::admin_of(&app, "monitor@example.com").await;
    World { _db: db, app, p, farm: SiteFarm::corpus().await, cfg: config(true) }
}

impl World {
    async fn org(&self, name: &str, website: Option<String>) -> OrganizationId {
        let input = OrganizationInput { name: name.into(), website, ..OrganizationInput::default() };
        self.app.suppliers().create_organization(&self.p, input).await.expect("organization").id
    }
    async fn endpoint(&self, org: OrganizationId, url: String) -> MonitoredEndpoint {
        let input = EndpointInput { organization_id: org, url, ..EndpointInput::default() };
        self.app.monitoring().create_endpoint(&self.p, input).await.expect("endpoint")
    }
    async fn scrape(&self, e: &MonitoredEndpoint) -> ScrapeLog {
        self.app.monitoring().scrape_endpoint(&self.cfg, self.p.tenant_id, e.id).await.expect("scrape recorded")
    }
    async fn numbers(&self, org: OrganizationId) -> BTreeSet<String> {
        let q = CertificateQuery {
            organization_id: Some(org),
            page: PageRequest::new(1, 500).expect("page"),
            ..CertificateQuery::default()
        };
        let page = self.app.certificates().list_certificates(&self.p, &q).await.expect("list");
        page.items.iter().filter_map(|c| c.certificate_number.as_deref().map(normalize_number)).collect()
    }
}

fn label_numbers(page: &str, key: &str) -> BTreeSet<String> {
    let raw = std::fs::read_to_string(corpus_dir().join(format!("web/{page}.json"))).expect("label");
    let v: serde_json::Value = serde_json::from_str(&raw).expect("json");
    v[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l["certificate_number"].as_str().map(normalize_number))
        .collect()
}

#[tokio::test]
async fn discovery_sqlite() {
    discovery(world(Backend::Sqlite).await).await;
}
#[tokio::test]
async fn discovery_postgres() {
    discovery(world(Backend::Postgres).await).await;
}

async fn discovery(w: World) {
    for (site, wanted) in [
        ("redbridge-cable-systems", ["quality/certificates.html", "sustainability.html"]),
        ("kessler-elektronik", ["qualitaet/zertifikate.html", "downloads.html"]),
    ] {
        let org = w.org(site, Some(w.farm.url(&format!("/web/{site}/index.html")))).await;
        // Creating an organization with a website queued its discovery.
        let queued = w.app.jobs().list(JobStatus::Queued, 100).await.expect("jobs");
        assert!(
            queued.iter().any(|j| j.kind == "website_discovery"
                && j.payload["organization_id"].as_str() == Some(org.to_string().as_str())),
            "no discovery job for {site}"
        );
        let out = w.app.monitoring().discover_organization(&w.cfg, w.p.tenant_id, org).await.expect("discover");
        let want: BTreeSet<String> = wanted.iter().map(|p| w.farm.url(&format!("/web/{site}/{p}"))).collect();
        let got: BTreeSet<String> = out.created.iter().cloned().collect();
        assert_eq!(got, want, "{site}: {:#?}", out.discovery);
        // Unrelated pages were seen, classified and left out.
        assert!(out.discovery.pages.iter().filter(|p| !p.relevant).count() >= 4, "{:#?}", out.discovery);
        // A second run creates nothing new.
        let again = w.app.monitoring().discover_organization(&w.cfg, w.p.tenant_id, org).await.expect("again");
        assert!(again.created.is_empty());
        assert_eq!(again.existing.len(), 2);
        let listed = w.app.monitoring().list_endpoints(&w.p, Some(org), PageRequest::default()).await.expect("list");
        assert_eq!(listed.total, 2);
    }
}

#[tokio::test]
async fn scraping_sqlite() {
    scraping(world(Backend::Sqlite).await).await;
}
#[tokio::test]
async fn scraping_postgres() {
    scraping(world(Backend::Postgres).await).await;
}

async fn scraping(w: World) {
    let org = w.org("Redbridge Cable Systems Limited", None).await;
    let page = format!("{REDBRIDGE}/quality/certificates.html");
    let e = w.endpoint(org, w.farm.url(&page)).await;

    let first = w.scrape(&e).await;
    assert_eq!(first.status, ScrapeStatus::Success, "{first:#?}");
    assert!(first.error_message.is_none(), "{first:#?}");
    let numbers = w.numbers(org).await;
    let linked = label_numbers("redbridge-cable-systems/quality/certificates.html", "linked_certificate_files");
    for n in &linked {
        assert!(numbers.contains(n), "certificate {n} from a linked PDF is missing: {numbers:?}\n{first:#?}");
    }
    let known: BTreeSet<String> = linked
        .union(&label_numbers("redbridge-cable-systems/quality/certificates.html", "inline_certificates"))
        .cloned()
        .collect();
    assert!(numbers.is_subset(&known), "unexpected certificates: {:?}", numbers.difference(&known));
    assert_eq!(first.certificates_found as usize, numbers.len(), "{first:#?}");
    // Scraped certificates are public web data with their page.
    let q = CertificateQuery { organization_id: Some(org), ..CertificateQuery::default() };
    let certs = w.app.certificates().list_certificates(&w.p, &q).await.expect("list").items;
    assert!(certs
        .iter()
        .all(|c| c.provenance == Provenance::WebScrape
            && c.source_url.as_ref().map(|u| u.as_str()) == Some(e.url.as_str())));
    let pdf_certs = certs.iter().filter(|c| c.document_hash.is_some()).count();
    assert_eq!(pdf_certs, linked.len());

    // Second scrape: nothing changed, and no PDF was downloaded again (304).
    let iso9001 = "/docs/RCSL_ISO9001_Certificate.pdf";
    let old14001 = "/docs/RCSL_ISO14001_Certificate_old.pdf";
    let hits_before = (w.farm.hits(iso9001), w.farm.hits(old14001));
    let second = w.scrape(&e).await;
    assert_eq!(second.status, ScrapeStatus::NoChange, "{second:#?}");
    assert_eq!((w.farm.hits(iso9001), w.farm.hits(old14001)), hits_before);
    assert_eq!(w.numbers(org).await, numbers);

    // Replace one PDF: only it is downloaded and extracted again; its
    // certificate is updated (new document hash), none is created.
    let mut changed = w.farm.body(iso9001).expect("pdf");
    changed.extend_from_slice(b"\n% re-issued\n");
    w.farm.put(iso9001, changed.clone(), "application/pdf");
    let third = w.scrape(&e).await;
    assert_eq!(third.status, ScrapeStatus::Success, "{third:#?}");
    assert_eq!(w.farm.hits(iso9001), hits_before.0 + 1);
    assert_eq!(w.farm.hits(old14001), hits_before.1);
    let extracted: Vec<&String> = third.notes.iter().filter(|n| n.contains("Extracted")).collect();
    assert_eq!(extracted.len(), 1, "{third:#?}");
    assert!(extracted[0].contains(iso9001));
    assert_eq!(w.numbers(org).await, numbers);
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &changed));
    let certs = w.app.certificates().list_certificates(&w.p, &q).await.expect("list").items;
    assert!(certs.iter().any(|c| c.document_hash.as_ref().map(|h| h.as_str()) == Some(sha.as_str())));

    // Scrape logs explain every step.
    let logs = w
        .app
        .monitoring()
        .list_scrape_logs(
            &w.p,
            &certwatch_core::monitoring::ScrapeLogFilter { endpoint_id: Some(e.id), limit: 10, ..Default::default() },
        )
        .await
        .expect("logs");
    let statuses: Vec<ScrapeStatus> = logs.iter().map(|l| l.status).collect();
    assert_eq!(statuses, [ScrapeStatus::Success, ScrapeStatus::NoChange, ScrapeStatus::Success]);
    let health = w.app.monitoring().health(&w.p).await.expect("health");
    assert_eq!((health.total, health.failed), (3, 0));
}

/// A scanned PDF (no text layer) in a build without OCR: the scrape
/// succeeds, creates nothing from the scan, and its log says the scan went
/// unread because OCR is not available. (`tests/extraction_ocr.rs` runs the
/// same scrape with Tesseract and gets the certificate.)
#[tokio::test]
async fn scanned_pdf_without_ocr() {
    let mut w = world(Backend::Sqlite).await;
    assert_eq!(
        default_ocr().available(),
        cfg!(feature = "ocr"),
        "the default OCR must be Tesseract exactly when the `ocr` feature is on"
    );
    // What a build without the `ocr` feature has (so this test holds in
    // the OCR build too).
    w.cfg.ocr = Arc::new(NoOcr);
    let org = w.org("Scan Holder GmbH", None).await;
    let e = w.endpoint(org, w.farm.put_document_page("/scan/downloads.html", "doc-002.pdf")).await;
    let log = w.scrape(&e).await;
    assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
    assert!(log.error_message.is_none(), "an unread scan is not a failure: {log:#?}");
    assert_eq!(log.certificates_found, 0, "{log:#?}");
    assert!(w.numbers(org).await.is_empty());
    assert!(log.notes[0].contains("OCR not available in this build"), "{:#?}", log.notes);
    let pdf = w.farm.url("/docs/doc-002.pdf");
    assert!(
        log.notes.iter().any(|n| n.contains(&pdf)
            && n.contains("a scanned PDF (no text layer)")
            && n.contains("OCR not available in this build")),
        "{:#?}",
        log.notes
    );
}

/// `certwatch extract`'s core: each kind of document names its text
/// source, and a scan or an image in a build without OCR says why it was
/// not read instead of pretending it is no certificate.
#[tokio::test]
async fn extract_document_names_the_text_source() {
    use certwatch_core::extraction::{Ocr, PdfLimits, TextSource};
    use certwatch_core::monitoring::{extract_document, RuleBasedExtractor};
    let docs = corpus_dir().join("docs");
    let no_ocr: Arc<dyn Ocr> = Arc::new(NoOcr);
    let read = |name: &str| std::fs::read(docs.join(name)).expect("corpus document");
    let limits = PdfLimits::default();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 6, 1);
    let text =
        extract_document(&read("doc-001.pdf"), "doc-001.pdf", &RuleBasedExtractor, &no_ocr, &limits, today).await;
    assert_eq!(text.text_source, TextSource::PdfText, "{text:#?}");
    assert!(text.is_certificate && text.fields.is_some() && text.pages == Some(2), "{text:#?}");
    for scan in ["doc-002.pdf", "doc-003.png", "doc-005.jpg"] {
        let got = extract_document(&read(scan), scan, &RuleBasedExtractor, &no_ocr, &limits, today).await;
        assert_eq!(got.text_source, TextSource::OcrUnavailable, "{scan}: {got:#?}");
        assert!(!got.is_certificate && got.fields.is_none(), "{scan}: {got:#?}");
        assert!(got.note.as_deref().is_some_and(|n| n.contains("OCR not available in this build")), "{scan}: {got:#?}");
        let json = serde_json::to_value(&got).expect("json");
        assert_eq!(json["text_source"], "ocr_unavailable");
    }
    let page = std::fs::read(corpus_dir().join("web/redbridge-cable-systems/quality/certificates.html")).expect("page");
    let html = extract_document(&page, "certificates.html", &RuleBasedExtractor, &no_ocr, &limits, today).await;
    assert_eq!(html.text_source, TextSource::Html);
    assert!(!html.mentions.is_empty(), "{html:#?}");
}

#[tokio::test]
async fn scheduling_and_alerts_sqlite() {
    scheduling_and_alerts(world(Backend::Sqlite).await).await;
}
#[tokio::test]
async fn scheduling_and_alerts_postgres() {
    scheduling_and_alerts(world(Backend::Postgres).await).await;
}

async fn scheduling_and_alerts(w: World) {
    let org = w.org("Redbridge", None).await;
    let now = w.app.clock().now();
    // A certificate expiring in 5 days: the endpoint is checked every 4 h.
    w.app
        .certificates()
        .create_certificate(
            &w.p,
            CertificateInput {
                organization_id: org,
                certificate_type: "ISO_9001".into(),
                certificate_number: Some("X-1".into()),
                expiry_date: Some(w.app.clock().today() + chrono::Duration::days(5)),
                status: Some(CertificateStatus::Active),
                ..CertificateInput::default()
            },
        )
        .await
        .expect("certificate");
    let e = w.endpoint(org, w.farm.url(&format!("{REDBRIDGE}/about.html"))).await;
    let run = w.app.monitoring().scrape_due(&w.cfg).await.expect("due run");
    assert_eq!((run.scraped, run.failed, run.alerted), (1, 0, false));
    let after = w.app.monitoring().get_endpoint(&w.p, e.id).await.expect("endpoint");
    assert_eq!(after.next_check_at, now + chrono::Duration::hours(4));
    // Not due again in the same instant.
    let run = w.app.monitoring().scrape_due(&w.cfg).await.expect("due run");
    assert_eq!(run.scraped, 0);

    // Everything failing: the 24-hour rate passes the threshold and alerts.
    let other = w.org("Gone", None).await;
    for i in 0..3 {
        w.endpoint(other, w.farm.url(&format!("/missing/{i}.html"))).await;
    }
    let before = certwatch_core::monitoring::failure_rate_alerts();
    let run = w.app.monitoring().scrape_due(&w.cfg).await.expect("due run");
    assert_eq!((run.scraped, run.failed), (3, 3));
    assert!(run.alerted && run.failure_rate_24h > 0.5, "{run:?}");
    assert!(certwatch_core::monitoring::failure_rate_alerts() > before);
}

fn pdf_bomb() -> Vec<u8> {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b' '; 32 << 20];
    z.write_all(&zeros).expect("compress");
    let stream = z.finish().expect("compress");
    let mut pdf = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
        2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n\
        3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n"
        .to_vec();
    pdf.extend_from_slice(format!("4 0 obj << /Length {} /Filter /FlateDecode >> stream\n", stream.len()).as_bytes());
    pdf.extend_from_slice(&stream);
    pdf.extend_from_slice(b"\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");
    pdf
}

#[tokio::test]
async fn hostile_sites_sqlite() {
    hostile_sites(world(Backend::Sqlite).await).await;
}
#[tokio::test]
async fn hostile_sites_postgres() {
    hostile_sites(world(Backend::Postgres).await).await;
}

async fn hostile_sites(w: World) {
    let org = w.org("Hostile", None).await;
    let f = &w.farm;
    f.put(
        "/h/huge.html",
        format!("<html><body>{}</body></html>", "<p>ISO 9001</p>".repeat(200_000)).into_bytes(),
        "text/html",
    );
    f.redirect("/h/loop.html", "/h/loop2.html");
    f.redirect("/h/loop2.html", "/h/loop.html");
    f.put("/h/bomb.pdf", pdf_bomb(), "application/pdf");
    f.put("/h/bomb.html", b"<a href='bomb.pdf'>ISO 9001 certificate</a>".to_vec(), "text/html");
    f.put("/h/broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R".to_vec(), "application/pdf");
    f.put("/h/broken.html", b"<a href='broken.pdf'>Zertifikat</a>".to_vec(), "text/html");
    f.redirect("/h/to-metadata.html", "http://169.254.169.254/latest/meta-data/");
    f.put("/h/deep.html", "<div>".repeat(50_000).into_bytes(), "text/html");
    let cases: Vec<(String, &str)> = vec![
        (f.url("/h/huge.html"), "larger than"),
        (f.url("/h/loop.html"), "redirects"),
        (f.url("/h/bomb.html"), "exceeds"),
        (f.url("/h/broken.html"), "not a readable PDF"),
        (f.url("/h/to-metadata.html"), "169.254.169.254"),
        (f.url("/h/deep.html"), "nests elements deeper"),
        ("http://169.254.169.254/latest/meta-data/".to_owned(), "not public"),
    ];
    for (url, why) in cases {
        let e = w.endpoint(org, url.clone()).await;
        let log = w.scrape(&e).await;
        assert_eq!(log.status, ScrapeStatus::Failed, "{url}: {log:#?}");
        let msg = log.error_message.clone().unwrap_or_default();
        assert!(msg.contains(why), "{url}: expected '{why}' in '{msg}'");
        // The endpoint stays consistent and is scheduled again.
        let after = w.app.monitoring().get_endpoint(&w.p, e.id).await.expect("endpoint");
        assert!(after.last_checked.is_some() && after.next_check_at > after.last_checked.unwrap_or_default());
    }
    // Loopback is refused unless allow-listed.
    let strict = config(false);
    let e = w.endpoint(org, f.url(&format!("{REDBRIDGE}/index.html"))).await;
    let log = w.app.monitoring().scrape_endpoint(&strict, w.p.tenant_id, e.id).await.expect("recorded");
    assert_eq!(log.status, ScrapeStatus::Failed);
    assert!(log.error_message.unwrap_or_default().contains("127.0.0.1"));
    // Non-UTF-8 pages are decoded by their charset, or as windows-1252.
    f.put(
        "/h/latin1.html",
        b"<meta charset='iso-8859-1'><p>Qualit\xe4tsmanagement nach ISO 9001</p>".to_vec(),
        "text/html",
    );
    f.put("/h/undeclared.html", b"<p>Gr\xfc\xdfe \xff\xfe</p>".to_vec(), "text/html");
    for (path, note) in [("/h/latin1.html", "page text changed"), ("/h/undeclared.html", "windows-1252")] {
        let e = w.endpoint(org, f.url(path)).await;
        let log = w.scrape(&e).await;
        assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
        assert!(log.notes.iter().any(|n| n.contains(note)), "{log:#?}");
    }
}

#[tokio::test]
async fn browser_fallback_unavailable_sqlite() {
    browser_fallback_unavailable(world(Backend::Sqlite).await).await;
}
#[tokio::test]
async fn browser_fallback_unavailable_postgres() {
    browser_fallback_unavailable(world(Backend::Postgres).await).await;
}

/// Without a browser (the default build; these tests' config has
/// `NoRenderer` in every build) a 403 or an almost empty page is tried
/// with the fallback, which says it is unavailable, and the scrape goes
/// on with what HTTP gave.
async fn browser_fallback_unavailable(w: World) {
    let f = &w.farm;
    let org = w.org("Fallback Supplier GmbH", None).await;
    // Control: the same page over plain HTTP is read without the fallback.
    f.put("/b/open.html", CERTIFICATE_TABLE_PAGE.as_bytes().to_vec(), "text/html; charset=utf-8");
    let e = w.endpoint(org, f.url("/b/open.html")).await;
    let log = w.scrape(&e).await;
    assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
    assert!(!log.notes.iter().any(|n| n.contains("browser fallback")), "{log:#?}");
    assert!(w.numbers(org).await.contains(&normalize_number(TABLE_CERTIFICATE_NUMBER)));

    // 403 to non-browsers: FAILED with HTTP's error and the fallback note.
    f.put_browser_only("/b/walled.html", CERTIFICATE_TABLE_PAGE.as_bytes().to_vec());
    let e = w.endpoint(org, f.url("/b/walled.html")).await;
    let log = w.scrape(&e).await;
    assert_eq!(log.status, ScrapeStatus::Failed, "{log:#?}");
    let msg = log.error_message.clone().unwrap_or_default();
    assert!(msg.contains("HTTP status 403"), "{msg}");
    let note = log.notes.iter().find(|n| n.starts_with("browser fallback unavailable:")).cloned().unwrap_or_default();
    assert!(note.contains("feature `browser` is off") && note.ends_with("used the HTTP response"), "{log:#?}");
    assert_eq!(f.hits("/b/walled.html"), 0, "the wall let a non-browser in");

    // An almost empty page: the HTTP text is used, and the log says why.
    f.put("/b/shell.html", SCRIPT_FILLED_PAGE.as_bytes().to_vec(), "text/html; charset=utf-8");
    let e = w.endpoint(org, f.url("/b/shell.html")).await;
    let log = w.scrape(&e).await;
    assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
    assert_eq!(log.certificates_found, 0, "{log:#?}");
    assert!(log.notes.iter().any(|n| n.contains("browser fallback unavailable")), "{log:#?}");

    // A connection error (nothing listens) is a fallback reason too.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let e = w.endpoint(org, format!("http://127.0.0.1:{port}/gone.html")).await;
    let log = w.scrape(&e).await;
    assert_eq!(log.status, ScrapeStatus::Failed, "{log:#?}");
    assert!(log.error_message.clone().unwrap_or_default().contains("connection failed"), "{log:#?}");
    assert!(log.notes.iter().any(|n| n.starts_with("browser fallback unavailable")), "{log:#?}");
}
