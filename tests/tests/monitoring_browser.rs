//! The scraper's browser fallback through real headless Chromium
//! (`CHROMIUM_PATH`, default `/usr/bin/chromium`): a page that answers 403
//! to non-browsers and a page whose certificate table JavaScript inserts
//! are rendered and their certificate extracted; the SSRF guard holds
//! inside the browser (sub-requests, frames, redirects and the page URL to
//! a non-allowed address never reach it); one browser serves many renders
//! and a dead one is replaced. Only with the `browser` feature:
//! `scripts/test-browser` (installs `chromium` when missing). Fails, never
//! skips, when the browser is missing.
#![cfg(feature = "browser")]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use certwatch_core::certificates::CertificateQuery;
use certwatch_core::dedupe::normalize_number;
use certwatch_core::monitoring::chromium::{ChromiumConfig, ChromiumRenderer};
use certwatch_core::monitoring::{
    scrape_page, EndpointInput, FetchConfig, MonitoringConfig, PriorState, RenderError, Renderer, ReqwestFetcher,
    RuleBasedExtractor, ScrapeLimits, ScrapePorts, ScrapeStatus,
};
use certwatch_core::pagination::PageRequest;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_tests::site_farm::{SiteFarm, CERTIFICATE_TABLE_PAGE, SCRIPT_FILLED_PAGE, TABLE_CERTIFICATE_NUMBER};
use certwatch_tests::{core_with_clock, seed, Backend, TestDb};
use url::Url;

/// Loopback as the farm's allow-list: 127.0.0.1 only, so 127.0.0.2 stands
/// in for a forbidden (internal) address.
fn allow() -> Vec<ipnet::IpNet> {
    vec!["127.0.0.1/32".parse().expect("net")]
}

/// The renderer under test; fails with install instructions when the
/// browser binary is missing.
fn chromium() -> ChromiumRenderer {
    let config = ChromiumConfig { allow: allow(), ..ChromiumConfig::from_env() };
    assert!(
        config.executable.is_file(),
        "headless Chromium is missing at {}: install it with `apt-get install chromium` (scripts/test-browser does \
         that), or set CHROMIUM_PATH to the browser binary",
        config.executable.display()
    );
    ChromiumRenderer::new(config)
}

fn fetcher() -> ReqwestFetcher {
    ReqwestFetcher::new(FetchConfig {
        allow: allow(),
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(10),
        attempts: 1,
        ..FetchConfig::default()
    })
    .expect("fetcher")
}

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

#[tokio::test]
async fn a_403_page_is_rendered_and_its_certificate_saved_sqlite() {
    walled_page(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_403_page_is_rendered_and_its_certificate_saved_postgres() {
    walled_page(Backend::Postgres).await;
}

/// Through the service, as the scrape job runs it: the wall answers 403 to
/// the fetcher, Chromium gets the page, the certificate is saved and the
/// scrape log says how.
async fn walled_page(backend: Backend) {
    let renderer = Arc::new(chromium());
    let db = TestDb::new(backend).await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = seed::admin_of(&app, "browser@example.com").await;
    let farm = SiteFarm::empty().await;
    farm.put_browser_only("/walled/certificates.html", CERTIFICATE_TABLE_PAGE.as_bytes().to_vec());
    let cfg =
        MonitoringConfig { fetcher: Arc::new(fetcher()), renderer: renderer.clone(), ..MonitoringConfig::default() };
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: "Walled Garden AG".into(), ..OrganizationInput::default() })
        .await
        .expect("organization")
        .id;
    let input =
        EndpointInput { organization_id: org, url: farm.url("/walled/certificates.html"), ..EndpointInput::default() };
    let e = app.monitoring().create_endpoint(&p, input).await.expect("endpoint");
    let log = app.monitoring().scrape_endpoint(&cfg, p.tenant_id, e.id).await.expect("scrape recorded");
    assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
    assert!(log.notes.iter().any(|n| n.starts_with("rendered with headless Chromium after HTTP 403")), "{log:#?}");
    assert_eq!(log.certificates_found, 1, "{log:#?}");
    assert_eq!(farm.hits("/walled/certificates.html"), 1, "the browser got past the wall exactly once");
    let q = CertificateQuery {
        organization_id: Some(org),
        page: PageRequest::new(1, 50).expect("page"),
        ..CertificateQuery::default()
    };
    let numbers: BTreeSet<String> = app
        .certificates()
        .list_certificates(&p, &q)
        .await
        .expect("list")
        .items
        .iter()
        .filter_map(|c| c.certificate_number.as_deref().map(normalize_number))
        .collect();
    assert_eq!(numbers, BTreeSet::from([normalize_number(TABLE_CERTIFICATE_NUMBER)]));
}

/// A page whose static HTML is a "Loading…" shell: too little visible text,
/// so it is rendered; the table JavaScript inserts is read. One browser
/// process serves both renders; a killed one is replaced.
#[tokio::test]
async fn script_filled_page_is_rendered_and_the_browser_reused_and_relaunched() {
    let renderer = chromium();
    let farm = SiteFarm::empty().await;
    farm.put("/spa/certificates.html", SCRIPT_FILLED_PAGE.as_bytes().to_vec(), "text/html; charset=utf-8");
    let page = url(&farm.url("/spa/certificates.html"));
    let scrape = |prior: PriorState| {
        let renderer = &renderer;
        let page = page.clone();
        async move {
            let ocr = certwatch_core::extraction::default_ocr();
            let fetcher = fetcher();
            let ports = ScrapePorts { fetcher: &fetcher, renderer, extractor: &RuleBasedExtractor, ocr: &ocr };
            scrape_page(ports, &page, &prior, &ScrapeLimits::default(), None).await.expect("scrape")
        }
    };
    let first = scrape(PriorState::default()).await;
    let note = first.notes.iter().find(|n| n.starts_with("rendered with headless Chromium")).cloned();
    assert!(note.as_deref().is_some_and(|n| n.contains("visible character(s) over HTTP")), "{:#?}", first.notes);
    let numbers: Vec<String> = first
        .candidates
        .iter()
        .filter_map(|c| c.extraction.fields.certificate_number.as_ref().map(|f| normalize_number(&f.value)))
        .collect();
    assert_eq!(numbers, [normalize_number(TABLE_CERTIFICATE_NUMBER)], "{first:#?}");

    // The same page again: same browser, same rendered text (the hash is
    // stable, so an unchanged page stays NO_CHANGE).
    let second = scrape(PriorState { content_hash: Some(first.content_hash.clone()), ..PriorState::default() }).await;
    assert!(!second.page_changed, "{second:#?}");
    assert_eq!(renderer.launches(), 1);

    // The browser dies: the next render starts a new one.
    let pid = renderer.browser_pid().await.expect("a running browser");
    let killed = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status().expect("kill");
    assert!(killed.success());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let third = scrape(PriorState::default()).await;
    assert_eq!(third.candidates.len(), 1, "{third:#?}");
    assert_eq!(renderer.launches(), 2);
    assert_ne!(renderer.browser_pid().await, Some(pid));
}

/// The SSRF guard inside the browser: a page on an allowed address that
/// loads images, scripts, frames and `fetch()`es from a forbidden one, a
/// redirect to it, and the forbidden page itself — the forbidden server
/// never sees a request.
#[tokio::test]
async fn the_browser_cannot_reach_forbidden_addresses() {
    let renderer = chromium();
    let farm = SiteFarm::empty().await;
    let internal = SiteFarm::empty_at("127.0.0.2:0").await;
    internal.put("/secret.js", b"document.title = 'leaked';".to_vec(), "text/javascript");
    internal.put("/secret.html", b"<p>internal admin page</p>".to_vec(), "text/html");
    let secret = internal.url("/secret.html");
    let script = internal.url("/secret.js");
    let image = internal.url("/pixel.png");
    let page = format!(
        "<!doctype html><html><head><title>ok</title><script src='{script}'></script></head><body>\
         <p>Certificates of a supplier that embeds things it shouldn't.</p>\
         <img src='{image}'><iframe src='{secret}'></iframe>\
         <div id='out'>waiting</div>\
         <script>fetch('{secret}').then(r => r.text()).then(t => document.getElementById('out').textContent = 'got ' + t)\
         .catch(e => document.getElementById('out').textContent = 'blocked');</script></body></html>"
    );
    farm.put("/embeds.html", page.into_bytes(), "text/html; charset=utf-8");
    farm.redirect("/to-internal.html", &secret);

    let rendered = renderer.render(&url(&farm.url("/embeds.html"))).await.expect("render");
    assert!(rendered.html.contains("blocked"), "{}", rendered.html);
    assert!(!rendered.html.contains("internal admin page") && !rendered.html.contains("leaked"), "{}", rendered.html);
    assert!(rendered.blocked.iter().any(|b| b.contains("127.0.0.2")), "{:#?}", rendered.blocked);

    let redirected = renderer.render(&url(&farm.url("/to-internal.html"))).await;
    assert!(redirected.as_ref().map_or(true, |r| !r.html.contains("internal admin page")), "{redirected:#?}");

    let direct = renderer.render(&url(&secret)).await;
    assert!(matches!(&direct, Err(RenderError::Refused(m)) if m.contains("127.0.0.2")), "{direct:#?}");

    assert_eq!(internal.requests(), 0, "the forbidden server was reached");
    assert!(farm.hits("/embeds.html") >= 1);
}

/// With the feature on but no browser at the configured path, the error
/// names the path and how to install it; the scrape carries on with HTTP.
#[tokio::test]
async fn a_missing_browser_is_explained() {
    let renderer = ChromiumRenderer::new(ChromiumConfig {
        executable: "/nonexistent/chromium".into(),
        allow: allow(),
        ..ChromiumConfig::default()
    });
    let farm = SiteFarm::empty().await;
    farm.put_browser_only("/walled.html", CERTIFICATE_TABLE_PAGE.as_bytes().to_vec());
    let (fetcher, ocr) = (fetcher(), certwatch_core::extraction::default_ocr());
    let err = scrape_page(
        ScrapePorts { fetcher: &fetcher, renderer: &renderer, extractor: &RuleBasedExtractor, ocr: &ocr },
        &url(&farm.url("/walled.html")),
        &PriorState::default(),
        &ScrapeLimits::default(),
        None,
    )
    .await
    .expect_err("403 without a browser");
    let msg = err.to_string();
    assert!(msg.contains("HTTP status 403"), "{msg}");
    assert!(msg.contains("/nonexistent/chromium") && msg.contains("apt-get install chromium"), "{msg}");
    assert_eq!(err.notes().len(), 1);
    assert_eq!(renderer.launches(), 0);
}
