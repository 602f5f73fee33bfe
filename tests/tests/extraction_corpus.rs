//! Field extraction against the labelled certificate corpus
//! (`shared/corpus`, see its README): every text PDF goes through
//! `pdf_text` and `extract_fields`, and each field is compared with its
//! label (strings exactly after collapsing white space, dates as ISO dates).
//! Prints a per-field accuracy table and every miss, and holds the issue's
//! budget: at least 95% exact matches for certificate number, type, issuing
//! body, issue date and expiry date on the text PDFs, no negative document
//! (invoice, data sheet, letter) taken for a certificate, and every scanned
//! PDF reported without a text layer.
//!
//! The corpus is found at `../../shared/corpus` from this crate (or at
//! `CERTWATCH_CORPUS_DIR`); without it the test fails and says so.

use certwatch_core::extraction::{extract_fields, pdf_text, Hints, PdfLimits};
use certwatch_tests::bulk::corpus_dir;
use certwatch_tests::field_accuracy::Scores;
use serde_json::Value;

/// The budget on text PDFs.
const BUDGET: f64 = 0.95;

#[test]
fn text_pdfs_meet_the_extraction_budget() {
    let dir = corpus_dir();
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("read manifest"))
        .expect("manifest is JSON");
    let documents = manifest["documents"].as_array().expect("manifest lists documents");

    let mut scores = Scores::default();
    let mut false_certificates = Vec::new();
    let mut wrong_text_layer = Vec::new();
    let mut negatives = 0usize;

    for label in documents {
        let file = label["file"].as_str().expect("file");
        let format = label["format"].as_str().expect("format");
        if format == "image" {
            continue;
        }
        let path = dir.join(label["path"].as_str().expect("path"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        let text = pdf_text(&bytes, &PdfLimits::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        if text.has_text_layer != (format == "text_pdf") {
            wrong_text_layer.push(format!("{file} ({format}): has_text_layer = {}", text.has_text_layer));
        }
        let hints = Hints {
            filename: Some(file.to_string()),
            reference_date: label["reference_date"].as_str().and_then(|d| d.parse().ok()),
        };
        let extraction = extract_fields(&text.text(), &hints);
        let is_certificate = label["is_certificate"].as_bool().expect("is_certificate");
        if !is_certificate {
            negatives += 1;
            if extraction.is_certificate {
                false_certificates.push(format!("{file} ({})", label["document_kind"]));
            }
            continue;
        }
        if format != "text_pdf" {
            continue;
        }
        scores.score(label, &extraction);
    }

    scores.print("Field extraction on certificate text PDFs", BUDGET);
    println!("negatives taken for certificates: {}/{negatives}", false_certificates.len());

    assert!(scores.certificates > 0, "no certificate text PDFs in the manifest");
    assert!(wrong_text_layer.is_empty(), "text layer misreported: {wrong_text_layer:#?}");
    assert!(false_certificates.is_empty(), "negatives taken for certificates: {false_certificates:#?}");
    scores.assert_budget(BUDGET);
}
