//! Bulk upload of the corpus's scanned PDFs and images through real
//! Tesseract (`eng+deu`), on both backends: the split between matched and
//! needs_review is compared with the labels (auto-match rate and precision
//! printed), no negative document yields a certificate, nothing fails to
//! extract, and OCR throughput per page is measured and printed (no timed
//! assertion). Only with the `ocr` feature: `scripts/test-ocr`.
#![cfg(feature = "ocr")]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Instant;

use certwatch_core::bulk_upload::pdf_images::page_images;
use certwatch_core::bulk_upload::tesseract::TesseractOcr;
use certwatch_core::bulk_upload::{normalize_org_name, Ocr};
use certwatch_core::dedupe::normalize_number;
use certwatch_core::suppliers::OrganizationInput;
use certwatch_tests::bulk::{corpus_documents, corpus_file, drain, upload, worker};
use certwatch_tests::http::TestServer;
use certwatch_tests::Backend;
use serde_json::Value;

const PW: &str = "bulk upload password 1";

fn ocr_labels() -> Vec<Value> {
    corpus_documents().into_iter().filter(|l| l["format"] == "scanned_pdf" || l["format"] == "image").collect()
}

async fn ocr_split(backend: Backend) {
    let srv = TestServer::spawn(backend).await;
    let token = srv.signup("ocr@upload.example", PW, "OCR").await;
    let p = srv.principal(&token).await;
    let labels = ocr_labels();
    assert!(labels.len() >= 25, "expected the corpus's 30 scans and images, found {}", labels.len());
    let holders: BTreeSet<String> =
        labels.iter().filter_map(|l| l["holder_name"].as_str().map(str::to_owned)).collect();
    let mut orgs = BTreeMap::new();
    for h in holders {
        let o = srv
            .core
            .suppliers()
            .create_organization(&p, OrganizationInput { name: h.clone(), ..OrganizationInput::default() })
            .await
            .expect("organization");
        orgs.insert(normalize_org_name(&h), o.id.to_string());
    }
    let files: Vec<(String, Vec<u8>)> =
        labels.iter().map(|l| (l["file"].as_str().expect("file").to_owned(), corpus_file(l))).collect();
    let a = upload(&srv, &token, &files).await;
    assert_eq!(a.status, 201, "{}", a.text);
    let batch = a.body["id"].as_str().expect("id").to_owned();
    let started = Instant::now();
    drain(&worker(&srv, Arc::new(TesseractOcr))).await;
    let elapsed = started.elapsed();

    let d = srv.call("GET", &format!("/api/bulk-upload/batches/{batch}"), Some(&token), None).await;
    assert_eq!(d.body["batch"]["status"], "completed", "{}", d.text);
    let by_name: BTreeMap<&str, &Value> = labels.iter().map(|l| (l["file"].as_str().expect("file"), l)).collect();
    let (mut expected, mut auto, mut correct, mut pages) = (0, 0, 0, 0u64);
    let mut wrong = Vec::new();
    let mut reasons = Vec::new();
    for item in d.body["items"].as_array().expect("items") {
        let name = item["original_filename"].as_str().expect("name");
        let label = by_name[name];
        let status = item["status"].as_str().expect("status");
        pages += item["extracted_data"]["pages"].as_u64().unwrap_or(0);
        assert!(status == "matched" || status == "needs_review", "{name}: {item}");
        assert_eq!(item["extracted_data"]["text_source"], "ocr", "{name}: {item}");
        let matchable = label["is_certificate"] == true && label["expiry_date"].is_string();
        expected += usize::from(matchable);
        if label["is_certificate"] == false {
            assert_eq!(status, "needs_review", "a negative was matched: {item}");
            assert!(item["certificate_id"].is_null());
        }
        if status != "matched" {
            let data = &item["extracted_data"];
            let low: Vec<String> = data["fields"]
                .as_object()
                .map(|f| {
                    f.iter()
                        .filter(|(_, v)| v["confidence"].as_f64().is_some_and(|c| c < 0.8))
                        .map(|(k, v)| format!("{k}={}@{}", v["value"], v["confidence"]))
                        .collect()
                })
                .unwrap_or_default();
            reasons.push(format!(
                "{name}: missing {} confidence {} low {low:?} best {}",
                data["missing"], data["confidence"], data["candidates"][0]
            ));
            continue;
        }
        auto += 1;
        let cert = item["certificate_id"].as_str().expect("certificate");
        let c = srv.call("GET", &format!("/api/certificates/{cert}"), Some(&token), None).await;
        let org = orgs.get(&normalize_org_name(label["holder_name"].as_str().unwrap_or_default()));
        let right = c.body["certificate_number"].as_str().map(normalize_number)
            == label["certificate_number"].as_str().map(normalize_number)
            && c.body["certificate_type"] == label["certificate_type_code"]
            && c.body["expiry_date"] == label["expiry_date"]
            && c.body["organization_id"].as_str() == org.map(String::as_str);
        if right {
            correct += 1;
        } else {
            wrong.push(format!("{name}: got {} / label {label}", c.text));
        }
    }
    let rate = auto as f64 / expected.max(1) as f64;
    let precision = if auto == 0 { 1.0 } else { correct as f64 / auto as f64 };
    println!("bulk upload with OCR of {} scans and images ({backend:?}):", labels.len());
    println!("  should auto-match (labels) {expected:>3}");
    println!("  auto-matched              {auto:>3}   auto-match rate {:.1}%", rate * 100.0);
    println!("  correct among matched     {correct:>3}   precision       {:.1}%", precision * 100.0);
    println!(
        "  processing {pages} pages took {:.1} s ({:.2} s per page, whole pipeline)",
        elapsed.as_secs_f64(),
        elapsed.as_secs_f64() / pages.max(1) as f64
    );
    println!("  sent to review:\n    {}", reasons.join("\n    "));
    if !wrong.is_empty() {
        println!("  wrong:\n    {}", wrong.join("\n    "));
    }
    assert!(precision >= 0.9, "precision {precision:.2} below 0.9:\n{}", wrong.join("\n"));
    // Measured 73.1% (19 of 26) on the development corpus (53.8% before
    // upscaling and the second page segmentation); the misses are fields
    // the rules cannot find in OCR noise, and they go to review.
    assert!(rate >= 0.4, "OCR auto-match rate {rate:.2} fell below 0.4 ({auto} of {expected})");
}

#[tokio::test]
async fn ocr_split_sqlite() {
    ocr_split(Backend::Sqlite).await;
}

#[tokio::test]
async fn ocr_split_postgres() {
    ocr_split(Backend::Postgres).await;
}

/// OCR throughput per page, by format (a measurement, printed).
#[test]
fn ocr_throughput_per_page() {
    let ocr = TesseractOcr;
    let mut by_format: BTreeMap<String, (u32, f64)> = BTreeMap::new();
    for l in ocr_labels() {
        let bytes = corpus_file(&l);
        let format = l["format"].as_str().expect("format").to_owned();
        let images = if format == "image" { vec![bytes] } else { page_images(&bytes).expect("page images") };
        assert!(!images.is_empty(), "{}: no page image", l["file"]);
        for img in images {
            let t = Instant::now();
            let text = ocr.image_text(&img).expect("OCR");
            let secs = t.elapsed().as_secs_f64();
            assert!(
                text.chars().filter(|c| c.is_alphanumeric()).count() > 50,
                "{}: OCR read almost nothing",
                l["file"]
            );
            let e = by_format.entry(format.clone()).or_default();
            e.0 += 1;
            e.1 += secs;
        }
    }
    println!("OCR throughput (Tesseract eng+deu, one thread):");
    println!("  {:<12} {:>6} {:>10} {:>10}", "format", "pages", "total s", "s/page");
    for (f, (n, s)) in &by_format {
        println!("  {f:<12} {n:>6} {s:>10.2} {:>10.2}", s / f64::from(*n));
    }
}
