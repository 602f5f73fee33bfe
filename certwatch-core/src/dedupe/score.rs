//! Duplicate scoring of two certificates from their fields.
//!
//! The rules run in the order the monitoring spec gives: an identical
//! document hash is conclusive; the same normalised certificate number (and
//! type) nearly so; otherwise a weighted semantic match (type, issuing body,
//! overlapping validity, number) with the text fingerprints as extra
//! evidence. Contradicting strong fields cap the score so a near-identical
//! template (same body, same layout) never merges two different
//! certificates.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::simhash::similarity;

/// The fields of a certificate (stored or freshly extracted) that duplicate
/// detection compares. Every field is optional: extraction may miss any.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateSubject {
    /// Lower-case hex SHA-256 of the source document.
    pub document_hash: Option<String>,
    /// The certificate number as printed.
    pub certificate_number: Option<String>,
    /// Certificate type code, e.g. `ISO_9001`.
    pub certificate_type: Option<String>,
    /// The certification body.
    pub issuing_body: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
    /// SimHash of the document text.
    pub simhash: Option<u64>,
}

/// What a score means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The same certificate: update instead of create.
    Duplicate,
    /// Worth a human look.
    Possible,
    /// Different certificates.
    Distinct,
}

/// Score at or above which two certificates are the same.
pub const DUPLICATE_THRESHOLD: f64 = 0.85;
/// Score at or above which a human should look.
pub const POSSIBLE_THRESHOLD: f64 = 0.6;

/// The outcome of [`score`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DuplicateScore {
    /// 0.0 (different) … 1.0 (the same document).
    pub score: f64,
    /// The verdict at the thresholds.
    pub verdict: Verdict,
    /// Which rule decided, e.g. `document_hash`, `certificate_number`,
    /// `semantic`.
    pub rule: &'static str,
}

/// A certificate number reduced to what identifies it: upper-case letters
/// and digits only, so `12 100 4711 TMS`, `12-100-4711-tms` and
/// `121004711TMS` compare equal.
pub fn normalize_number(raw: &str) -> String {
    raw.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_uppercase).collect()
}

fn norm_text(raw: &str) -> String {
    raw.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn both<'a, T>(a: &'a Option<T>, b: &'a Option<T>) -> Option<(&'a T, &'a T)> {
    a.as_ref().zip(b.as_ref())
}

fn verdict_of(score: f64) -> Verdict {
    if score >= DUPLICATE_THRESHOLD {
        Verdict::Duplicate
    } else if score >= POSSIBLE_THRESHOLD {
        Verdict::Possible
    } else {
        Verdict::Distinct
    }
}

fn finish(score: f64, rule: &'static str) -> DuplicateScore {
    let score = score.clamp(0.0, 1.0);
    DuplicateScore { score, verdict: verdict_of(score), rule }
}

/// How likely `a` and `b` are the same certificate. Symmetric.
pub fn score(a: &DuplicateSubject, b: &DuplicateSubject) -> DuplicateScore {
    if let Some((x, y)) = both(&a.document_hash, &b.document_hash) {
        if !x.is_empty() && x.eq_ignore_ascii_case(y) {
            return finish(1.0, "document_hash");
        }
    }
    let number_match = both(&a.certificate_number, &b.certificate_number).map(|(x, y)| {
        let (x, y) = (normalize_number(x), normalize_number(y));
        !x.is_empty() && x == y
    });
    let type_match = both(&a.certificate_type, &b.certificate_type).map(|(x, y)| x.eq_ignore_ascii_case(y));
    if number_match == Some(true) && type_match != Some(false) {
        return finish(0.95, "certificate_number");
    }

    // Semantic: weighted agreement of the fields both sides have.
    let mut got = 0.0;
    let mut max = 0.0;
    let mut weigh = |weight: f64, agree: Option<f64>| {
        if let Some(agree) = agree {
            got += weight * agree;
            max += weight;
        }
    };
    weigh(0.3, type_match.map(f64::from_bool));
    weigh(0.2, both(&a.issuing_body, &b.issuing_body).map(|(x, y)| f64::from_bool(norm_text(x) == norm_text(y))));
    weigh(0.25, validity_overlap(a, b));
    weigh(0.1, both(&a.issue_date, &b.issue_date).map(|(x, y)| f64::from_bool(x == y)));
    weigh(0.1, both(&a.expiry_date, &b.expiry_date).map(|(x, y)| f64::from_bool(x == y)));
    weigh(0.25, both(&a.simhash, &b.simhash).map(|(x, y)| similarity(*x, *y).powi(4)));
    // Too little in common to judge: never a duplicate on one field.
    let mut s = if max < 0.5 { 0.0 } else { got / max };
    let mut rule = "semantic";
    if type_match == Some(false) {
        s = s.min(0.3);
        rule = "type_differs";
    } else if number_match == Some(false) {
        s = s.min(0.7);
        rule = "number_differs";
    }
    finish(s, rule)
}

/// 1.0 when the validity periods overlap, 0.0 when they are disjoint; None
/// when either side lacks both dates.
fn validity_overlap(a: &DuplicateSubject, b: &DuplicateSubject) -> Option<f64> {
    let range = |s: &DuplicateSubject| match (s.issue_date, s.expiry_date) {
        (None, None) => None,
        (start, end) => Some((start.unwrap_or(NaiveDate::MIN), end.unwrap_or(NaiveDate::MAX))),
    };
    let ((a0, a1), (b0, b1)) = range(a).zip(range(b))?;
    Some(f64::from_bool(a0 <= b1 && b0 <= a1))
}

trait FromBool {
    fn from_bool(b: bool) -> f64;
}
impl FromBool for f64 {
    fn from_bool(b: bool) -> f64 {
        if b {
            1.0
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
    }

    fn cert() -> DuplicateSubject {
        DuplicateSubject {
            document_hash: Some("ab".repeat(32)),
            certificate_number: Some("12 100 4711 TMS".into()),
            certificate_type: Some("ISO_9001".into()),
            issuing_body: Some("TÜV SÜD".into()),
            issue_date: date("2024-04-01"),
            expiry_date: date("2027-03-31"),
            simhash: Some(0x0123_4567_89ab_cdef),
        }
    }

    #[test]
    fn the_rules_apply_in_order() {
        let a = cert();
        let mut b = cert();
        b.certificate_number = Some("other".into());
        assert_eq!(score(&a, &b).rule, "document_hash");
        assert_eq!(score(&a, &b).verdict, Verdict::Duplicate);

        b.document_hash = None;
        b.certificate_number = Some("12-100-4711-tms".into());
        let s = score(&a, &b);
        assert_eq!((s.rule, s.verdict), ("certificate_number", Verdict::Duplicate));

        b.certificate_number = None;
        b.issuing_body = Some("tüv  süd".into());
        let s = score(&a, &b);
        assert_eq!((s.rule, s.verdict), ("semantic", Verdict::Duplicate));
    }

    #[test]
    fn contradicting_fields_cap_the_score() {
        let a = cert();
        let mut b = cert();
        b.document_hash = None;
        b.certificate_type = Some("ISO_14001".into());
        assert_eq!(score(&a, &b).verdict, Verdict::Distinct);
        b.certificate_type = a.certificate_type.clone();
        b.certificate_number = Some("99 999".into());
        let s = score(&a, &b);
        assert_eq!(s.rule, "number_differs");
        assert!(s.score <= 0.7);
    }

    #[test]
    fn one_shared_field_is_not_enough() {
        let a = DuplicateSubject { issuing_body: Some("DNV".into()), ..Default::default() };
        let b = a.clone();
        assert_eq!(score(&a, &b).verdict, Verdict::Distinct);
    }

    #[test]
    fn numbers_normalise() {
        assert_eq!(normalize_number(" 12-100/4711 tms "), "121004711TMS");
        assert_eq!(normalize_number("--"), "");
    }

    fn subject() -> impl Strategy<Value = DuplicateSubject> {
        (
            proptest::option::of("[a-f0-9]{2}"),
            proptest::option::of("[A-Z0-9 -]{0,6}"),
            proptest::option::of(prop_oneof!["ISO_9001", "ISO_14001"]),
            proptest::option::of(prop_oneof!["DNV", "SGS"]),
            proptest::option::of(0i64..2000),
            proptest::option::of(0i64..2000),
            proptest::option::of(any::<u64>()),
        )
            .prop_map(|(h, n, t, body, i, e, s)| {
                let base = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
                DuplicateSubject {
                    document_hash: h,
                    certificate_number: n,
                    certificate_type: t,
                    issuing_body: body,
                    issue_date: i.map(|d| base + chrono::Duration::days(d)),
                    expiry_date: e.map(|d| base + chrono::Duration::days(d)),
                    simhash: s,
                }
            })
    }

    proptest! {
        #[test]
        fn score_is_symmetric_and_bounded(a in subject(), b in subject()) {
            let ab = score(&a, &b);
            let ba = score(&b, &a);
            prop_assert!((ab.score - ba.score).abs() < 1e-12);
            prop_assert_eq!(ab.verdict, ba.verdict);
            prop_assert!((0.0..=1.0).contains(&ab.score));
        }

        #[test]
        fn different_types_never_merge_without_the_same_document(a in subject(), b in subject()) {
            let s = score(&a, &b);
            let types_differ = matches!((&a.certificate_type, &b.certificate_type), (Some(x), Some(y)) if x != y);
            if types_differ && s.rule != "document_hash" {
                prop_assert_ne!(s.verdict, Verdict::Duplicate);
            }
        }
    }
}
