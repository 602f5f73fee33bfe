//! Field-by-field comparison of an extraction with its corpus label, and
//! the per-field accuracy table: shared by the text-PDF test
//! (`tests/extraction_corpus.rs`) and the OCR test
//! (`tests/extraction_ocr.rs`), so both budgets are measured the same way.
//! Strings match exactly after collapsing white space, dates as ISO dates.

use std::collections::BTreeMap;

use certwatch_core::extraction::{Extraction, Field};
use chrono::NaiveDate;
use serde_json::Value;

/// Fields whose exact-match accuracy the issue budgets.
pub const BUDGETED: [&str; 5] =
    ["certificate_number", "certificate_type_code", "issuing_body", "issue_date", "expiry_date"];

/// Fields in the table, in order.
pub const FIELDS: [&str; 10] = [
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
pub fn got(e: &Extraction, field: &str) -> Option<String> {
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
pub fn want(label: &Value, field: &str) -> Option<String> {
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

/// Hits out of a total.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    /// Exact matches.
    pub hits: usize,
    /// Comparisons.
    pub total: usize,
}

impl Tally {
    /// hits / total (0 when nothing was compared).
    pub fn rate(&self) -> f64 {
        if self.total == 0 {
            0.0
        } else {
            self.hits as f64 / self.total as f64
        }
    }
}

/// Per-field and per-language tallies over labelled certificates, with
/// every miss.
#[derive(Debug, Default)]
pub struct Scores {
    by_field: BTreeMap<&'static str, Tally>,
    by_language: BTreeMap<(String, &'static str), Tally>,
    /// Certificates scored.
    pub certificates: usize,
    /// One line per field that did not match (and per certificate not
    /// recognised as one).
    pub misses: Vec<String>,
}

impl Scores {
    /// Compares every field of `extraction` with `label` (a certificate).
    pub fn score(&mut self, label: &Value, extraction: &Extraction) {
        let file = label["file"].as_str().unwrap_or("?");
        self.certificates += 1;
        if !extraction.is_certificate {
            self.misses.push(format!("{file}: not recognised as a certificate"));
        }
        let language = label["language"].as_str().unwrap_or("?").to_string();
        for field in FIELDS {
            let (g, w) = (got(extraction, field), want(label, field));
            let hit = g == w;
            for tally in [
                self.by_field.entry(field).or_default(),
                self.by_language.entry((language.clone(), field)).or_default(),
            ] {
                tally.total += 1;
                tally.hits += usize::from(hit);
            }
            if !hit {
                self.misses.push(format!(
                    "{file} [{}] {field}: got {g:?}, label {w:?}",
                    label["layout"].as_str().unwrap_or("?")
                ));
            }
        }
    }

    /// The tally of `field`.
    pub fn field(&self, field: &str) -> Tally {
        self.by_field.get(field).copied().unwrap_or_default()
    }

    /// Prints the table (budgeted fields marked with `budget`, a
    /// fraction) and every miss.
    pub fn print(&self, title: &str, budget: f64) {
        println!("\n{title} ({} certificates, exact match after collapsing white space):", self.certificates);
        println!("{:<24} {:>9} {:>8} {:>8} {:>8}", "field", "hits", "all", "en", "de");
        for field in FIELDS {
            let t = self.field(field);
            let lang = |l: &str| self.by_language.get(&(l.to_string(), field)).map_or(0.0, Tally::rate) * 100.0;
            println!(
                "{:<24} {:>4}/{:<4} {:>7.1}% {:>7.1}% {:>7.1}%{}",
                field,
                t.hits,
                t.total,
                t.rate() * 100.0,
                lang("en"),
                lang("de"),
                if BUDGETED.contains(&field) {
                    format!("  (budget ≥ {:.0}%)", budget * 100.0)
                } else {
                    String::new()
                }
            );
        }
        println!("misses ({}):", self.misses.len());
        for m in &self.misses {
            println!("  {m}");
        }
    }

    /// Panics naming every budgeted field under `budget`.
    pub fn assert_budget(&self, budget: f64) {
        assert!(self.certificates > 0, "no certificates were scored");
        let under: Vec<String> = BUDGETED
            .iter()
            .map(|f| (f, self.field(f)))
            .filter(|(_, t)| t.rate() < budget)
            .map(|(f, t)| format!("{f}: {}/{} = {:.1}%", t.hits, t.total, t.rate() * 100.0))
            .collect();
        assert!(under.is_empty(), "under the {:.0}% budget: {under:#?}", budget * 100.0);
    }
}
