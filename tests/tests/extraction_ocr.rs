//! OCR accuracy on the corpus's scans and images, through the one text path
//! (`extraction::read_text`) with real Tesseract (`eng+deu`) and the rule
//! extractor: prints the per-field table (the comparison of
//! `tests/extraction_corpus.rs`, shared in `certwatch_tests::field_accuracy`)
//! and OCR time per page, and holds the budget — at least 90% exact
//! matches for certificate number, type, issuing body, issue date and
//! expiry date, and no negative document taken for a certificate. Then a
//! monitoring scrape of a page linking a scanned PDF creates the
//! certificate from OCR text (the no-OCR side is
//! `tests/monitoring.rs::scanned_pdf_without_ocr`).
//!
//! Only with the `ocr` feature: `scripts/test-ocr`. Set
//! `CERTWATCH_OCR_TEXT_DIR` to a directory to keep each OCR text there.
#![cfg(feature = "ocr")]

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use certwatch_core::certificates::CertificateQuery;
use certwatch_core::dedupe::normalize_number;
use certwatch_core::extraction::tesseract::TesseractOcr;
use certwatch_core::extraction::{default_ocr, extract_fields, read_text, Hints, PdfLimits, TextSource};
use certwatch_core::monitoring::{EndpointInput, FetchConfig, MonitoringConfig, ReqwestFetcher, ScrapeStatus};
use certwatch_core::pagination::PageRequest;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_tests::bulk::{corpus_documents, corpus_file};
use certwatch_tests::field_accuracy::Scores;
use certwatch_tests::site_farm::SiteFarm;
use certwatch_tests::{core_with_clock, seed, TestDb};
use serde_json::Value;

/// The budget on scanned documents.
const BUDGET: f64 = 0.90;

fn scans_and_images() -> Vec<Value> {
    corpus_documents().into_iter().filter(|l| l["format"] == "scanned_pdf" || l["format"] == "image").collect()
}

#[test]
fn ocr_meets_the_extraction_budget() {
    assert!(default_ocr().available(), "the `ocr` build must default to Tesseract");
    let labels = scans_and_images();
    assert!(labels.len() >= 25, "expected the corpus's 30 scans and images, found {}", labels.len());
    let ocr = TesseractOcr;
    let mut scores = Scores::default();
    let mut false_certificates = Vec::new();
    let (mut negatives, mut pages, mut ocr_time) = (0, 0u32, StdDuration::ZERO);
    for label in &labels {
        let file = label["file"].as_str().expect("file");
        let started = Instant::now();
        let text = read_text(&corpus_file(label), &ocr, &PdfLimits::default()).unwrap_or_else(|e| {
            panic!("{file}: {e} (is tesseract-ocr-eng/-deu installed? scripts/test-ocr installs it)")
        });
        ocr_time += started.elapsed();
        pages += text.pages;
        if let Some(dir) = std::env::var_os("CERTWATCH_OCR_TEXT_DIR") {
            // For looking at what Tesseract read when a field is missed.
            std::fs::write(std::path::Path::new(&dir).join(format!("{file}.txt")), &text.text).expect("write text");
        }
        assert_eq!(text.source, TextSource::Ocr, "{file}");
        let hints = Hints {
            filename: Some(file.to_owned()),
            reference_date: label["reference_date"].as_str().and_then(|d| d.parse().ok()),
        };
        let extraction = extract_fields(&text.text, &hints);
        if label["is_certificate"] == false {
            negatives += 1;
            if extraction.is_certificate {
                false_certificates.push(format!("{file} ({})", label["document_kind"]));
            }
            continue;
        }
        scores.score(label, &extraction);
    }
    scores.print("Field extraction through OCR on scanned PDFs and images", BUDGET);
    println!("negatives taken for certificates: {}/{negatives}", false_certificates.len());
    println!(
        "OCR (Tesseract eng+deu, this test's build profile): {pages} page(s) in {:.1} s, {:.2} s per page",
        ocr_time.as_secs_f64(),
        ocr_time.as_secs_f64() / f64::from(pages.max(1))
    );
    assert!(negatives > 0, "the corpus has no negative scans or images");
    assert!(false_certificates.is_empty(), "negatives taken for certificates: {false_certificates:#?}");
    scores.assert_budget(BUDGET);
}

/// `certwatch extract`'s core in an OCR build: an image is read by OCR and
/// its fields come back with the text source `ocr`.
#[tokio::test]
async fn extract_document_reads_an_image_by_ocr() {
    use certwatch_core::monitoring::{extract_document, RuleBasedExtractor};
    let label = corpus_documents().into_iter().find(|l| l["file"] == "doc-037.png").expect("label");
    let got = extract_document(
        &corpus_file(&label),
        "doc-037.png",
        &RuleBasedExtractor,
        &default_ocr(),
        &PdfLimits::default(),
        label["reference_date"].as_str().and_then(|d| d.parse().ok()),
    )
    .await;
    assert_eq!(got.text_source, TextSource::Ocr, "{got:#?}");
    assert!(got.is_certificate, "{got:#?}");
    let number = got.fields.as_ref().and_then(|f| f.certificate_number.as_ref()).map(|n| n.value.clone());
    assert_eq!(number.as_deref(), label["certificate_number"].as_str(), "{got:#?}");
    assert_eq!(serde_json::to_value(&got).expect("json")["text_source"], "ocr");
}

/// The scan a scrape reads by OCR (a German DQS certificate).
const SCAN: &str = "doc-002.pdf";

#[tokio::test]
async fn scrape_creates_the_certificate_from_a_scan() {
    let label = corpus_documents().into_iter().find(|l| l["file"] == SCAN).expect("the scan's label");
    let db = TestDb::sqlite().await;
    let (app, _clock) = core_with_clock(db.store.clone());
    let (p, _) = seed::admin_of(&app, "ocr-monitor@example.com").await;
    let farm = SiteFarm::corpus().await;
    let fetch = FetchConfig {
        allow: vec!["127.0.0.0/8".parse().expect("net")],
        timeout: StdDuration::from_secs(10),
        ..FetchConfig::default()
    };
    let cfg = MonitoringConfig {
        fetcher: Arc::new(ReqwestFetcher::new(fetch).expect("fetcher")),
        // The default of an `ocr` build: Tesseract.
        ..MonitoringConfig::default()
    };
    assert!(cfg.ocr.available());
    let holder = label["holder_name"].as_str().expect("holder");
    let org = app
        .suppliers()
        .create_organization(&p, OrganizationInput { name: holder.into(), ..OrganizationInput::default() })
        .await
        .expect("organization")
        .id;
    let url = farm.put_document_page("/scan/downloads.html", SCAN);
    let e = app
        .monitoring()
        .create_endpoint(&p, EndpointInput { organization_id: org, url, ..EndpointInput::default() })
        .await
        .expect("endpoint");
    let log = app.monitoring().scrape_endpoint(&cfg, p.tenant_id, e.id).await.expect("scrape recorded");
    assert_eq!(log.status, ScrapeStatus::Success, "{log:#?}");
    assert!(log.notes[0].contains("OCR available"), "{:#?}", log.notes);
    let pdf = farm.url(&format!("/docs/{SCAN}"));
    assert!(log.notes.iter().any(|n| n.contains(&pdf) && n.contains("read by OCR")), "{:#?}", log.notes);
    assert_eq!(log.certificates_found, 1, "{log:#?}");
    let q = CertificateQuery {
        organization_id: Some(org),
        page: PageRequest::new(1, 10).expect("page"),
        ..CertificateQuery::default()
    };
    let certs = app.certificates().list_certificates(&p, &q).await.expect("list").items;
    assert_eq!(certs.len(), 1, "{certs:#?}");
    let c = &certs[0];
    assert_eq!(
        c.certificate_number.as_deref().map(normalize_number),
        label["certificate_number"].as_str().map(normalize_number),
        "{c:#?}"
    );
    assert_eq!(Some(c.certificate_type.as_str()), label["certificate_type_code"].as_str(), "{c:#?}");
    assert!(c.document_hash.is_some(), "the certificate keeps its scan's hash: {c:#?}");
}
