//! Dates as certificates print them (`05.03.2025`, `5. März 2025`,
//! `5 March 2025`, `2025-03-05`, `March 5, 2025`, abbreviated months too),
//! validity ranges ("Valid: A – B", "valid from A until B", "gültig vom A
//! bis B"), and the three date fields: issue date, start and end of
//! validity. Only dates under their own labels, in a validity range or on
//! the place-and-date line by the signature count; audit, print, decision,
//! initial-certification and next-audit dates are labelled distractors and
//! never read.

use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::labels::Role;
use super::text::{Doc, Located};
use super::{Field, Hints};

const MONTHS_EN: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec";
const MONTHS_DE: &str =
    "januar|jänner|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember|jan|feb|mär|apr|jun|jul|aug|sept|sep|okt|nov|dez";

fn month_number(name: &str) -> Option<u32> {
    let n = name.to_lowercase();
    let n = n.trim_end_matches('.');
    let m = match n {
        "january" | "januar" | "jänner" | "jan" => 1,
        "february" | "februar" | "feb" => 2,
        "march" | "märz" | "maerz" | "mar" | "mär" => 3,
        "april" | "apr" => 4,
        "may" | "mai" => 5,
        "june" | "juni" | "jun" => 6,
        "july" | "juli" | "jul" => 7,
        "august" | "aug" => 8,
        "september" | "sept" | "sep" => 9,
        "october" | "oktober" | "oct" | "okt" => 10,
        "november" | "nov" => 11,
        "december" | "dezember" | "dec" | "dez" => 12,
        _ => return None,
    };
    Some(m)
}

/// One date in any supported style, as a regex fragment without groups.
static DATE_FRAGMENT: LazyLock<String> = LazyLock::new(|| {
    format!(
        r"(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}\.\s?\d{{1,2}}\.\s?\d{{4}}|\d{{1,2}}\.?\s*(?:{MONTHS_EN}|{MONTHS_DE})\.?\s+\d{{4}}|(?:{MONTHS_EN})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}})"
    )
});

static ISO: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^(\d{4})-(\d{2})-(\d{2})").expect("static regex"));
static DMY_DOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})").expect("static regex"));
static DMY_LONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^(\d{{1,2}})(?:\.|st|nd|rd|th)?\s*({MONTHS_EN}|{MONTHS_DE})\.?\s+(\d{{4}})"))
        .expect("static regex")
});
static MDY_LONG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)^({MONTHS_EN})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})")).expect("static regex")
});
static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    let d = &*DATE_FRAGMENT;
    Regex::new(&format!(
        r"(?i)(?:(?:from|vom|von|ab)\s+)?\b({d})\s*(?:–|—|-|to|until|till|through|bis(?:\s+zum)?|bis\s+einschließlich)\s*({d})\b"
    ))
    .expect("static regex")
});
/// A validity sentence: "valid from A until B", "gültig vom A bis B".
static VALIDITY_SENTENCE: LazyLock<Regex> = LazyLock::new(|| {
    let d = &*DATE_FRAGMENT;
    Regex::new(&format!(
        r"(?i)\b(?:valid|gültig)\s+(?:from|vom|von|ab)\s+({d})\s+(?:until|till|to|through|bis(?:\s+zum)?)\s+({d})"
    ))
    .expect("static regex")
});
/// "City, DATE" by the signature, optionally after "Place and date:".
static PLACE_DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:(?:place\s+and\s+date|ort\s+und\s+datum|date\s+and\s+place)\s*:?\s*)?(\p{{Lu}}[\p{{L}}.\- ]{{1,40}}?),\s*({})\s*\.?$",
        *DATE_FRAGMENT
    ))
    .expect("static regex")
});
static NOT_A_PLACE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)printed|gedruckt|druck|print|audit|valid|gültig|expir|ablauf|seit|since|initial|revision")
        .expect("static regex")
});

/// Parses the date at the start of `s`: the date and the bytes it took.
pub(super) fn parse_date_prefix(s: &str) -> Option<(NaiveDate, usize)> {
    let s_trim = s.trim_start();
    let offset = s.len() - s_trim.len();
    let (y, m, d, len) = if let Some(c) = ISO.captures(s_trim) {
        (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?, c[0].len())
    } else if let Some(c) = DMY_DOT.captures(s_trim) {
        (c[3].parse().ok()?, c[2].parse().ok()?, c[1].parse().ok()?, c[0].len())
    } else if let Some(c) = DMY_LONG.captures(s_trim) {
        (c[3].parse().ok()?, month_number(&c[2])?, c[1].parse().ok()?, c[0].len())
    } else if let Some(c) = MDY_LONG.captures(s_trim) {
        (c[3].parse().ok()?, month_number(&c[1])?, c[2].parse().ok()?, c[0].len())
    } else {
        return None;
    };
    // A date is followed by the end, space or punctuation, not more digits.
    if s_trim[len..].chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y, m, d).map(|date| (date, offset + len))
}

/// The whole of `s` as one date (trailing punctuation allowed).
pub(super) fn parse_date(s: &str) -> Option<NaiveDate> {
    let (date, len) = parse_date_prefix(s)?;
    s[len..].trim_matches(|c: char| c.is_whitespace() || matches!(c, '.' | ',' | ';' | ')')).is_empty().then_some(date)
}

/// A validity range anywhere in `s`.
pub(super) fn parse_range(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    let c = RANGE.captures(s)?;
    let from = parse_date(c.get(1)?.as_str())?;
    let to = parse_date(c.get(2)?.as_str())?;
    (from < to).then_some((from, to))
}

/// The three date fields of a document.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct DateFields {
    pub(super) issue_date: Option<Field<NaiveDate>>,
    pub(super) valid_from: Option<Field<NaiveDate>>,
    pub(super) expiry_date: Option<Field<NaiveDate>>,
}

/// A candidate value: higher score first, then earlier in the document.
#[derive(Debug, Clone)]
struct Candidate {
    date: NaiveDate,
    score: f32,
    line: usize,
    evidence: String,
}

fn best(mut candidates: Vec<Candidate>) -> Option<Field<NaiveDate>> {
    candidates.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.line.cmp(&b.line)));
    candidates.into_iter().next().map(|c| Field { value: c.date, confidence: c.score, evidence: c.evidence })
}

fn plausible(date: NaiveDate, hints: &Hints) -> bool {
    let latest = hints.reference_date.map_or(2100, |r| r.year() + 30);
    (1950..=latest).contains(&date.year())
}

fn evidence(label: &str, value: &Located<'_>) -> String {
    if label.contains(value.text) {
        label.to_string()
    } else {
        format!("{label} {}", value.text)
    }
}

/// Values of `role` labels parsed as single dates.
fn labelled_dates(doc: &Doc<'_>, role: Role, score: f32, hints: &Hints) -> Vec<Candidate> {
    let mut out = Vec::new();
    for (line, label, values) in doc.labelled(role) {
        for value in values {
            if let Some(date) = parse_date(value.text).filter(|d| plausible(*d, hints)) {
                out.push(Candidate { date, score, line, evidence: evidence(label, &value) });
                break;
            }
        }
    }
    out
}

/// Extracts issue date, valid-from and expiry date.
pub(super) fn extract(doc: &Doc<'_>, hints: &Hints) -> DateFields {
    let mut issue = labelled_dates(doc, Role::IssueDate, 0.9, hints);
    let mut from = labelled_dates(doc, Role::ValidFrom, 0.9, hints);
    let mut expiry = labelled_dates(doc, Role::Expiry, 0.9, hints);

    // Ranges under a validity label ("Valid: ⇥ A – B").
    for (line, label, values) in doc.labelled(Role::Validity) {
        if let Some((value, (a, b))) = values.iter().find_map(|v| parse_range(v.text).map(|r| (v, r))) {
            if plausible(a, hints) && plausible(b, hints) {
                let evidence = evidence(label, value);
                from.push(Candidate { date: a, score: 0.9, line, evidence: evidence.clone() });
                expiry.push(Candidate { date: b, score: 0.9, line, evidence });
            }
        }
    }
    // Validity sentences anywhere.
    for (i, l) in doc.lines.iter().enumerate() {
        let joined = match doc.lines.get(i + 1) {
            Some(next) if !next.is_blank() => format!("{} {}", l.text, next.text),
            _ => l.text.to_string(),
        };
        if let Some(c) = VALIDITY_SENTENCE.captures(&joined) {
            if c.get(0).is_some_and(|m| m.start() < l.text.len()) {
                let dates =
                    (c.get(1).and_then(|m| parse_date(m.as_str())), c.get(2).and_then(|m| parse_date(m.as_str())));
                if let (Some(a), Some(b)) = dates {
                    if a < b && plausible(a, hints) && plausible(b, hints) {
                        let evidence = c[0].to_string();
                        from.push(Candidate { date: a, score: 0.85, line: i, evidence: evidence.clone() });
                        expiry.push(Candidate { date: b, score: 0.85, line: i, evidence });
                    }
                }
            }
        }
        // The place-and-date line by the signature.
        for cell in &l.cells {
            if let Some(c) = PLACE_DATE.captures(cell) {
                if NOT_A_PLACE.is_match(&c[1]) {
                    continue;
                }
                if let Some(date) = parse_date(&c[2]).filter(|d| plausible(*d, hints)) {
                    issue.push(Candidate { date, score: 0.7, line: i, evidence: (*cell).to_string() });
                }
            }
        }
    }
    DateFields { issue_date: best(issue), valid_from: best(from), expiry_date: best(expiry) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn check(input: &str, expected: Option<NaiveDate>) {
        assert_eq!(parse_date(input), expected, "{input:?}");
    }

    #[test]
    fn parses_every_date_style() {
        let cases = [
            ("05.03.2025", Some(ymd(2025, 3, 5))),
            ("5.3.2025", Some(ymd(2025, 3, 5))),
            ("5. März 2025", Some(ymd(2025, 3, 5))),
            ("31. Dezember 2028.", Some(ymd(2028, 12, 31))),
            ("5 March 2025", Some(ymd(2025, 3, 5))),
            ("5th Sept 2025", Some(ymd(2025, 9, 5))),
            ("2025-03-05", Some(ymd(2025, 3, 5))),
            ("March 5, 2025", Some(ymd(2025, 3, 5))),
            ("Dec. 24 2025", Some(ymd(2025, 12, 24))),
            ("1. Mai 2024", Some(ymd(2024, 5, 1))),
            ("30.02.2025", None),
            ("2025-13-01", None),
            ("05.03.20255", None),
            ("12 100 45678 TMS", None),
            ("March 2025", None),
            ("", None),
        ];
        for (input, expected) in cases {
            check(input, expected);
        }
    }

    #[test]
    fn finds_ranges() {
        let cases = [
            ("17 November 2024 – 16 November 2027", Some((ymd(2024, 11, 17), ymd(2027, 11, 16)))),
            ("This certificate is valid from 2017-04-23 until 2020-04-22.", Some((ymd(2017, 4, 23), ymd(2020, 4, 22)))),
            ("Dieses Zertifikat ist gültig vom 13.06.2026 bis 12.06.2029.", Some((ymd(2026, 6, 13), ymd(2029, 6, 12)))),
            ("Valid: March 5, 2025 to March 4, 2028", Some((ymd(2025, 3, 5), ymd(2028, 3, 4)))),
            ("2028 – 2025", None),
            ("12.06.2029 – 13.06.2026", None),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_range(input), expected, "{input:?}");
        }
    }

    /// Issue date, valid from, expiry date.
    type Dates = (Option<NaiveDate>, Option<NaiveDate>, Option<NaiveDate>);

    fn fields(text: &str) -> Dates {
        let f = extract(&Doc::parse(text), &Hints::default());
        (f.issue_date.map(|f| f.value), f.valid_from.map(|f| f.value), f.expiry_date.map(|f| f.value))
    }

    #[test]
    fn reads_date_fields_and_skips_distractors() {
        let cases: Vec<(&str, Dates)> = vec![
            (
                "Original Registration Date:\t28.08.2000\tEffective Date:\t26.08.2026\nLatest Revision Date:\t26.08.2026\tExpiry Date:\t25.08.2029",
                (Some(ymd(2026, 8, 26)), Some(ymd(2026, 8, 26)), Some(ymd(2029, 8, 25))),
            ),
            (
                "Certificate no.:\tInitial certification date:\tValid:\nX-1\t12 January 2015\t17 November 2024 – 16 November 2027\n\nLondon, 17 November 2024\tDNV",
                (Some(ymd(2024, 11, 17)), Some(ymd(2024, 11, 17)), Some(ymd(2027, 11, 16))),
            ),
            (
                "Ablaufdatum des vorherigen Zyklus:\t13.02.2025\nDatum des Zertifizierungs- / Rezertifizierungsaudits:\t06.12.2024\nVorbehaltlich des weiterhin zufriedenstellenden Betriebs des Managementsystems\t13.02.2028\nläuft dieses Zertifikat ab am:\nAusstellungsdatum:\t14.02.2025",
                (Some(ymd(2025, 2, 14)), None, Some(ymd(2028, 2, 13))),
            ),
            (
                "Dieses Zertifikat ist gültig vom 26. März 2026 bis 25. März 2029 und bleibt gültig. Rezertifizierungsaudit fällig vor dem 31. Dezember 2028.\nStuttgart, Gedruckt am 01.05.2022\nMünchen, 2026-03-20",
                (Some(ymd(2026, 3, 20)), Some(ymd(2026, 3, 26)), Some(ymd(2029, 3, 25))),
            ),
            (
                "Zertifikat-Nr.\tGültigkeit bis\tZertifizierungsdatum\tDatum der Erstzertifizierung\n85599743/3\t12.05.2022\t05.02.2022\t16.12.2007",
                (Some(ymd(2022, 2, 5)), None, Some(ymd(2022, 5, 12))),
            ),
            ("Date of Certification Decision:\tApril 24, 2026\nIssuing Date:\tMay 2, 2026", (Some(ymd(2026, 5, 2)), None, None)),
        ];
        for (text, expected) in cases {
            assert_eq!(fields(text), expected, "{text:?}");
        }
    }
}
