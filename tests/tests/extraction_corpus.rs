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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use certwatch_core::extraction::{extract_fields, pdf_text, Extraction, Field, Hints, PdfLimits};
use chrono::NaiveDate;
use serde_json::Value;

/// Fields whose exact-match accuracy the issue budgets.
const BUDGETED: [&str; 5] =
    ["certificate_number", "certificate_type_code", "issuing_body", "issue_date", "expiry_date"];
const BUDGET: f64 = 0.95;

/// Fields in the table, in order.
const FIELDS: [&str; 10] = [
    "certificate_number",
    "certificate_type_code",
    "issuing_body",
    "issue_date",
    "expiry_date",
    "holder_name",
    "scope",
    "valid_from",
    "standard_text",
    "sites",
];

fn corpus_dir() -> PathBuf {
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

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_value(f: &Option<Field<String>>) -> Option<String> {
    f.as_ref().map(|f| collapse(&f.value))
}

fn date_value(f: &Option<Field<NaiveDate>>) -> Option<String> {
    f.as_ref().map(|f| f.value.to_string())
}

/// What the extraction says for `field`, in the label's terms.
fn got(e: &Extraction, field: &str) -> Option<String> {
    let f = &e.fields;
    match field {
        "certificate_number" => text_value(&f.certificate_number),
        "certificate_type_code" => text_value(&f.certificate_type),
        "issuing_body" => text_value(&f.issuing_body),
        "issue_date" => date_value(&f.issue_date),
        "expiry_date" => date_value(&f.expiry_date),
        "valid_from" => date_value(&f.valid_from),
        "holder_name" => text_value(&f.holder_name),
        "scope" => text_value(&f.scope),
        "standard_text" => text_value(&f.standard_text),
        "sites" => Some(
            f.sites
                .as_ref()
                .map(|s| {
                    s.value
                        .iter()
                        .map(|site| {
                            format!(
                                "{} | {} | {}",
                                collapse(&site.name),
                                collapse(site.address.as_deref().unwrap_or_default()),
                                collapse(site.scope.as_deref().unwrap_or_default())
                            )
                        })
                        .collect::<Vec<_>>()
                        .join(" ## ")
                })
                .unwrap_or_default(),
        ),
        other => panic!("unknown field {other}"),
    }
}

/// What the label says for `field`.
fn want(label: &Value, field: &str) -> Option<String> {
    if field == "sites" {
        let sites = label["sites"].as_array().map(Vec::as_slice).unwrap_or_default();
        return Some(
            sites
                .iter()
                .map(|s| {
                    let part = |k: &str| collapse(s[k].as_str().unwrap_or_default());
                    format!("{} | {} | {}", part("name"), part("address"), part("scope"))
                })
                .collect::<Vec<_>>()
                .join(" ## "),
        );
    }
    label[field].as_str().map(collapse)
}

#[derive(Default)]
struct Tally {
    hits: usize,
    total: usize,
}

impl Tally {
    fn rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

#[test]
fn text_pdfs_meet_the_extraction_budget() {
    let dir = corpus_dir();
    let manifest: Value = serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("read manifest"))
        .expect("manifest is JSON");
    let documents = manifest["documents"].as_array().expect("manifest lists documents");

    let mut by_field: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut by_language: BTreeMap<(String, &str), Tally> = BTreeMap::new();
    let mut misses = Vec::new();
    let mut false_certificates = Vec::new();
    let mut wrong_text_layer = Vec::new();
    let mut certificates = 0usize;
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
        certificates += 1;
        if !extraction.is_certificate {
            misses.push(format!("{file}: not recognised as a certificate"));
        }
        let language = label["language"].as_str().unwrap_or("?").to_string();
        for field in FIELDS {
            let (g, w) = (got(&extraction, field), want(label, field));
            let hit = g == w;
            for tally in [by_field.entry(field).or_default(), by_language.entry((language.clone(), field)).or_default()]
            {
                tally.total += 1;
                tally.hits += usize::from(hit);
            }
            if !hit {
                misses.push(format!(
                    "{file} [{}] {field}: got {g:?}, label {w:?}",
                    label["layout"].as_str().unwrap_or("?")
                ));
            }
        }
    }

    println!("\nField extraction on {certificates} certificate text PDFs (exact match after collapsing white space):");
    println!("{:<24} {:>9} {:>8} {:>8} {:>8}", "field", "hits", "all", "en", "de");
    for field in FIELDS {
        let t = &by_field[field];
        let lang = |l: &str| by_language.get(&(l.to_string(), field)).map_or(0.0, Tally::rate) * 100.0;
        println!(
            "{:<24} {:>4}/{:<4} {:>7.1}% {:>7.1}% {:>7.1}%{}",
            field,
            t.hits,
            t.total,
            t.rate() * 100.0,
            lang("en"),
            lang("de"),
            if BUDGETED.contains(&field) { "  (budget ≥ 95%)" } else { "" }
        );
    }
    println!("negatives taken for certificates: {}/{negatives}", false_certificates.len());
    println!("misses ({}):", misses.len());
    for m in &misses {
        println!("  {m}");
    }

    assert!(certificates > 0, "no certificate text PDFs in the manifest");
    assert!(wrong_text_layer.is_empty(), "text layer misreported: {wrong_text_layer:#?}");
    assert!(false_certificates.is_empty(), "negatives taken for certificates: {false_certificates:#?}");
    for field in BUDGETED {
        let t = &by_field[field];
        assert!(
            t.rate() >= BUDGET,
            "{field}: {}/{} = {:.1}% is under the 95% budget",
            t.hits,
            t.total,
            t.rate() * 100.0
        );
    }
}
