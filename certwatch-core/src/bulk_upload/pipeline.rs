//! Processing one file, as steps over its bytes (the service does the
//! IO around them): file-name hints → text ([`read_file`] through
//! [`read_text`], shared with monitoring: the PDF text layer, else OCR
//! through the [`Ocr`] port) → fields (the [`Extractor`]
//! port through [`extract_or_fall_back`], the one extraction code path of
//! monitoring and uploads: rules by default, the LLM when configured, the
//! file name as extra evidence) → organization ([`match_organization`]) →
//! the decision ([`settle`]): auto-match when the overall confidence is at
//! least [`AUTO_MATCH_THRESHOLD`] and every required field is there, else
//! review. When a configured LLM fails on a file, the rules read it and a
//! warning on the item says so.

use chrono::NaiveDate;

use super::filename::{filename_hints, FilenameHints};
use super::filetype::{pdf_has_javascript, FileType};
use super::matching::{match_organization, MatchInput};
use super::model::{ExtractedData, ExtractedValue};
use super::ports::Ocr;
use super::status::ItemStatus;
use crate::extraction::{read_text, Field, Hints, PdfLimits, TextError};
use crate::ids::OrganizationId;
use crate::monitoring::{extract_or_fall_back, Extracted, Extractor};
use crate::suppliers::Organization;

/// Confidence at or above which a certificate is created without review.
pub const AUTO_MATCH_THRESHOLD: f64 = 0.8;

/// Fields a certificate needs to be created without review (besides the
/// organization).
pub const REQUIRED_FIELDS: [&str; 3] = ["certificate_number", "certificate_type", "expiry_date"];

/// Longest text kept on an item, in characters.
pub const MAX_STORED_TEXT_CHARS: usize = 200_000;

/// What one file turned into.
#[derive(Debug, Clone, PartialEq)]
pub struct Processed {
    /// matched (auto), needs_review or extraction_failed.
    pub status: ItemStatus,
    /// The text, capped at [`MAX_STORED_TEXT_CHARS`].
    pub text: Option<String>,
    /// Fields, candidates, confidence.
    pub data: ExtractedData,
    /// The best candidate.
    pub organization: Option<OrganizationId>,
    /// Its confidence.
    pub match_confidence: Option<f64>,
    /// What went wrong or limited the result.
    pub error: Option<String>,
}

fn put<T: ToString>(data: &mut ExtractedData, name: &str, f: &Option<Field<T>>, source: &str) {
    if let Some(f) = f {
        data.fields.insert(
            name.to_owned(),
            ExtractedValue { value: f.value.to_string(), confidence: f.confidence, source: source.to_owned() },
        );
    }
}

fn cap_chars(s: String, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => s[..cut].to_owned(),
        None => s,
    }
}

/// A file's text, ready for the extractor.
#[derive(Debug, Clone)]
pub struct FileText {
    /// The whole text.
    pub text: String,
    source: &'static str,
    pages: u32,
    data: ExtractedData,
    hints: FilenameHints,
}

impl FileText {
    /// The hints the extractor gets: the file name (extra evidence of the
    /// type) and the day dates are judged against.
    pub fn hints(&self, filename: &str, today: NaiveDate) -> Hints {
        Hints { filename: Some(filename.to_owned()), reference_date: Some(today) }
    }
}

/// After reading a file: settled already (no text), or its text.
#[derive(Debug, Clone)]
pub enum ReadOutcome {
    /// Nothing to extract: review or failure.
    Settled(Box<Processed>),
    /// Text to extract.
    Text(Box<FileText>),
}

/// Reads the text of one file (CPU-bound: run it off the async threads).
/// `filename` is the sanitised name, `orgs` the tenant's organizations.
pub fn read_file(
    bytes: &[u8],
    file_type: FileType,
    orgs: &[Organization],
    filename: &str,
    ocr: &dyn Ocr,
) -> ReadOutcome {
    let hints = filename_hints(filename);
    let mut data = ExtractedData { filename_organization: hints.organization.clone(), ..ExtractedData::default() };
    if file_type == FileType::Pdf && pdf_has_javascript(bytes) {
        data.warnings.push("pdf_contains_javascript: accepted as data, never executed".into());
    }
    // `read_text` sniffs the signatures the upload check already matched
    // against the extension, so it takes the file for what `file_type` says.
    match read_text(bytes, ocr, &PdfLimits::default()) {
        Ok(t) => ReadOutcome::Text(Box::new(FileText {
            text: t.text,
            source: t.source.as_str(),
            pages: t.pages,
            data,
            hints,
        })),
        Err(why @ TextError::OcrUnavailable { .. }) => {
            data.missing = REQUIRED_FIELDS.iter().map(|f| (*f).to_owned()).collect();
            data.missing.push("organization".into());
            let input = MatchInput {
                text: "",
                holder_name: None,
                filename_organization: hints.organization.as_deref(),
                filename_words: &hints.words,
            };
            data.candidates = match_organization(&input, orgs);
            ReadOutcome::Settled(Box::new(Processed {
                status: ItemStatus::NeedsReview,
                text: None,
                organization: data.candidates.first().map(|c| c.organization_id),
                match_confidence: data.candidates.first().map(|c| c.confidence),
                data,
                error: Some(why.to_string()),
            }))
        }
        Err(TextError::Unreadable(why)) => ReadOutcome::Settled(Box::new(Processed {
            status: ItemStatus::ExtractionFailed,
            text: None,
            data,
            organization: None,
            match_confidence: None,
            error: Some(why),
        })),
    }
}

/// Processes one file: [`read_file`], the extractor, [`settle`].
/// `filename` is the sanitised name, `today` the day dates are judged
/// against, `orgs` the tenant's organizations.
pub async fn process(
    bytes: &[u8],
    file_type: FileType,
    filename: &str,
    today: NaiveDate,
    orgs: &[Organization],
    ocr: &dyn Ocr,
    extractor: &dyn Extractor,
) -> Processed {
    match read_file(bytes, file_type, orgs, filename, ocr) {
        ReadOutcome::Settled(p) => *p,
        ReadOutcome::Text(file) => {
            let got = extract_or_fall_back(extractor, &file.text, &file.hints(filename, today)).await;
            settle(*file, got, orgs)
        }
    }
}

/// Matches the organization and decides, from a file's text and its fields.
pub fn settle(file: FileText, extracted: Extracted, orgs: &[Organization]) -> Processed {
    let FileText { text, source, pages, mut data, hints } = file;
    data.text_source = Some(source.to_owned());
    data.pages = pages;
    if let Some(why) = &extracted.fallback {
        data.warnings.push(format!("extractor_fallback: {why}"));
    }
    let extraction = &extracted.extraction;
    let f = &extraction.fields;
    data.is_certificate = extraction.is_certificate;
    let src = match (extracted.by.starts_with("llm"), source) {
        (true, _) => "llm",
        (false, "ocr") => "ocr",
        (false, _) => "text",
    };
    put(&mut data, "certificate_number", &f.certificate_number, src);
    put(&mut data, "certificate_type", &f.certificate_type, src);
    put(&mut data, "standard_text", &f.standard_text, src);
    put(&mut data, "issuing_body", &f.issuing_body, src);
    put(&mut data, "holder_name", &f.holder_name, src);
    put(&mut data, "issue_date", &f.issue_date, src);
    put(&mut data, "valid_from", &f.valid_from, src);
    put(&mut data, "expiry_date", &f.expiry_date, src);
    put(&mut data, "scope", &f.scope, src);

    let input = MatchInput {
        text: &text,
        holder_name: f.holder_name.as_ref().map(|h| h.value.as_str()),
        filename_organization: hints.organization.as_deref(),
        filename_words: &hints.words,
    };
    data.candidates = match_organization(&input, orgs);
    let best = data.candidates.first().cloned();

    let mut confidence = best.as_ref().map_or(0.0, |c| c.confidence);
    let mut missing = Vec::new();
    for name in REQUIRED_FIELDS {
        match data.fields.get(name) {
            Some(v) => confidence = confidence.min(f64::from(v.confidence)),
            None => {
                missing.push(name.to_owned());
                confidence = 0.0;
            }
        }
    }
    if best.as_ref().is_none_or(|c| c.confidence < AUTO_MATCH_THRESHOLD) {
        missing.push("organization".to_owned());
    }
    if !extraction.is_certificate {
        missing.push("not_a_certificate".to_owned());
        confidence = 0.0;
    }
    data.confidence = (confidence * 1000.0).round() / 1000.0;
    data.missing = missing;
    let status = if data.missing.is_empty() && data.confidence >= AUTO_MATCH_THRESHOLD {
        ItemStatus::Matched
    } else {
        ItemStatus::NeedsReview
    };
    Processed {
        status,
        text: Some(cap_chars(text, MAX_STORED_TEXT_CHARS)),
        organization: best.as_ref().map(|c| c.organization_id),
        match_confidence: best.as_ref().map(|c| c.confidence),
        data,
        error: None,
    }
}
