//! Is a scraped candidate a certificate the organization already has?
//! The rules of [`crate::dedupe`] in the monitoring spec's order, each
//! only tried when the ones before found nothing:
//!
//! 1. the same document (SHA-256);
//! 2. the same normalised certificate number (type not contradicting);
//! 3. a semantic match (type, issuing body, overlapping validity);
//! 4. a SimHash near-duplicate, whose candidates come from the band index
//!    (never a scan), confirmed by the full score.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::model::Fingerprint;
use super::scrape::Candidate;
use crate::certificates::{Certificate, CertificatePatch};
use crate::dedupe::{hamming_distance, normalize_number, score, DuplicateSubject, Verdict, MAX_NEAR_DISTANCE};

/// A duplicate found: its index in the list and the rule that matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index into the existing certificates.
    pub index: usize,
    /// `document_hash`, `certificate_number`, `semantic` or `simhash`.
    pub rule: &'static str,
}

fn subject_of_candidate(c: &Candidate, with_simhash: bool) -> DuplicateSubject {
    let f = &c.extraction.fields;
    DuplicateSubject {
        document_hash: c.document_hash.clone(),
        certificate_number: f.certificate_number.as_ref().map(|v| v.value.clone()),
        certificate_type: f.certificate_type.as_ref().map(|v| v.value.clone()),
        issuing_body: f.issuing_body.as_ref().map(|v| v.value.clone()),
        issue_date: f.issue_date.as_ref().map(|v| v.value),
        expiry_date: f.expiry_date.as_ref().map(|v| v.value),
        simhash: with_simhash.then_some(c.simhash),
    }
}

fn subject_of(cert: &Certificate, simhash: Option<u64>) -> DuplicateSubject {
    DuplicateSubject {
        document_hash: cert.document_hash.as_ref().map(|h| h.as_str().to_owned()),
        certificate_number: cert.certificate_number.clone(),
        certificate_type: Some(cert.certificate_type.clone()),
        issuing_body: cert.issuing_body.clone(),
        issue_date: cert.issue_date,
        expiry_date: cert.expiry_date,
        simhash,
    }
}

/// The existing certificate `c` duplicates, if any. `near` are the band
/// index candidates for `c.simhash`.
pub fn find_duplicate(c: &Candidate, existing: &[Certificate], near: &[Fingerprint]) -> Option<Match> {
    let kind = c.extraction.fields.certificate_type.as_ref().map(|t| t.value.as_str());
    if let Some(h) = &c.document_hash {
        if let Some(i) = existing.iter().position(|e| e.document_hash.as_ref().is_some_and(|d| d.as_str() == h)) {
            return Some(Match { index: i, rule: "document_hash" });
        }
    }
    if let Some(n) = c.extraction.fields.certificate_number.as_ref().map(|n| normalize_number(&n.value)) {
        if !n.is_empty() {
            if let Some(i) = existing.iter().position(|e| {
                e.certificate_number.as_deref().map(normalize_number).as_deref() == Some(n.as_str())
                    && kind.is_none_or(|k| k == e.certificate_type)
            }) {
                return Some(Match { index: i, rule: "certificate_number" });
            }
        }
    }
    let me = subject_of_candidate(c, false);
    let best = existing
        .iter()
        .enumerate()
        .map(|(i, e)| (i, score(&me, &subject_of(e, None))))
        .filter(|(_, s)| s.verdict == Verdict::Duplicate)
        .max_by(|a, b| a.1.score.total_cmp(&b.1.score));
    if let Some((i, _)) = best {
        return Some(Match { index: i, rule: "semantic" });
    }
    let by_id: HashMap<_, _> = existing.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    let me = subject_of_candidate(c, true);
    near.iter()
        .filter(|fp| hamming_distance(fp.simhash, c.simhash) <= MAX_NEAR_DISTANCE)
        .filter_map(|fp| by_id.get(&fp.certificate_id).map(|&i| (i, fp.simhash)))
        .map(|(i, sh)| (i, score(&me, &subject_of(&existing[i], Some(sh)))))
        .filter(|(_, s)| s.verdict == Verdict::Duplicate)
        .max_by(|a, b| a.1.score.total_cmp(&b.1.score))
        .map(|(i, _)| Match { index: i, rule: "simhash" })
}

/// The fields a duplicate brings that the stored certificate lacks or has
/// differently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Refresh {
    number: Option<String>,
    body: Option<String>,
    scope: Option<String>,
    issue: Option<NaiveDate>,
    expiry: Option<NaiveDate>,
    document_url: Option<String>,
    document_hash: Option<String>,
    source_url: Option<String>,
}

impl Refresh {
    /// Whether nothing changes.
    pub fn is_empty(&self) -> bool {
        *self == Refresh::default()
    }
    /// As a certificate patch.
    pub fn into_patch(self) -> CertificatePatch {
        CertificatePatch {
            certificate_number: self.number.map(Some),
            issuing_body: self.body.map(Some),
            scope: self.scope.map(Some),
            issue_date: self.issue.map(Some),
            expiry_date: self.expiry.map(Some),
            document_url: self.document_url.map(Some),
            document_hash: self.document_hash.map(Some),
            source_url: self.source_url.map(Some),
            ..CertificatePatch::default()
        }
    }
}

/// What updating `old` with candidate `c` (found on `page_url`) changes.
/// Values only ever fill gaps or replace with newer data from a document;
/// a page mention never overwrites what a PDF said, except a later expiry.
pub fn patch_for(old: &Certificate, c: &Candidate, page_url: &str) -> Refresh {
    let f = &c.extraction.fields;
    let from_pdf = c.document_url.is_some();
    let mut r = Refresh::default();
    let differs = |new: Option<&str>, old: Option<&str>, allowed: bool| match (new, old) {
        (Some(n), None) => Some(n.to_owned()),
        (Some(n), Some(o)) if allowed && n != o => Some(n.to_owned()),
        _ => None,
    };
    r.number =
        differs(f.certificate_number.as_ref().map(|v| v.value.as_str()), old.certificate_number.as_deref(), false);
    r.body = differs(f.issuing_body.as_ref().map(|v| v.value.as_str()), old.issuing_body.as_deref(), from_pdf)
        .map(|s| s.chars().take(255).collect());
    r.scope = differs(f.scope.as_ref().map(|v| v.value.as_str()), old.scope.as_deref(), from_pdf)
        .map(|s| s.chars().take(5000).collect());
    let new_expiry = f.expiry_date.as_ref().map(|v| v.value);
    r.expiry = match (new_expiry, old.expiry_date) {
        (Some(n), None) => Some(n),
        (Some(n), Some(o)) if n != o && (from_pdf || n > o) => Some(n),
        _ => None,
    };
    let expiry_after = r.expiry.or(old.expiry_date);
    r.issue = match (f.issue_date.as_ref().map(|v| v.value), old.issue_date) {
        (Some(n), None) => Some(n),
        (Some(n), Some(o)) if from_pdf && n != o => Some(n),
        _ => None,
    }
    .filter(|i| expiry_after.is_none_or(|e| *i <= e));
    if from_pdf {
        r.document_url = differs(c.document_url.as_deref(), old.document_url.as_ref().map(|u| u.as_str()), true);
        r.document_hash = differs(c.document_hash.as_deref(), old.document_hash.as_ref().map(|h| h.as_str()), true);
    }
    r.source_url = differs(Some(page_url), old.source_url.as_ref().map(|u| u.as_str()), false);
    r
}
