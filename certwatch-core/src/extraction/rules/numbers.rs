//! The certificate number, exactly as printed (internal spaces kept):
//! first the value of a certificate-number label ("Certificate No.",
//! "Registrier-Nr.", "Certificate identity number", …), then numbers in the
//! shapes certification bodies print without a label (an SGS number beside
//! the logo, a notified body's product certificate number on its own line).
//! Accreditation, audit report, IATF, EMAS, approval and notified-body
//! numbers sit under distractor labels and are never taken.

use std::sync::LazyLock;

use regex::Regex;

use super::dates;
use super::labels::Role;
use super::text::Doc;
use super::Field;

/// Looks like a certificate number: letters, digits and `/ . - _`, words
/// separated by single spaces, at least two digits.
static NUMBER_SHAPE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[\p{Lu}0-9][\p{L}0-9/.\-_]*(?: [\p{L}0-9/.\-_]+){0,5}$").expect("static regex"));

/// Accreditation numbers look like certificate numbers but are not.
static ACCREDITATION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^D-[A-Z]{2}-\d{5}-\d{2}-\d{2}$").expect("static regex"));

/// Unlabelled shapes: notified-body product certificates (`0035-CPR-…`,
/// `0062-PED-H-25-28933`), ATEX/IECEx numbers, SGS (`GB24/55486`), and the
/// TÜV scheme of spaced digit groups (`44 205 89590697`, `01 100 3241699`),
/// which TÜV product and welding certificates print under the heading
/// without a label (and which OCR keeps when a small label is lost).
static UNLABELLED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"^\d{4}-(?:CPR|PED|MED|RED|LVD|EMC|MD)(?:-[A-Z0-9.]+)+$",
        r"^[\p{Lu}]{2,8} \d{2} (?:ATEX|IECEx) \d{3,6} ?[UX]?$",
        r"^[A-Z]{2}\d{2}/\d{4,6}$",
        r"^\d{2} \d{3} \d{7,8}$",
    ]
    .iter()
    .map(|p| Regex::new(p).expect("static regex"))
    .collect()
});

/// The value at the start of `text` cut to where a number can end: before
/// " (", ", ", a sentence full stop or a run of words.
fn cut_number(text: &str) -> Option<&str> {
    let mut end = text.len();
    for stop in [" (", ", ", "; ", " – ", " - ", ". "] {
        if let Some(at) = text.find(stop) {
            end = end.min(at);
        }
    }
    let value = text[..end].trim().trim_end_matches(['.', ',', ';', ':']);
    // Stop at the first lower-case word: numbers are codes, not prose.
    let mut words = Vec::new();
    for word in value.split(' ') {
        if word.chars().next().is_some_and(char::is_lowercase) {
            break;
        }
        words.push(word);
    }
    let value = value.get(..words.join(" ").len())?.trim();
    is_number(value).then_some(value)
}

/// Whether `value` has the shape of a certificate number.
pub(super) fn is_number(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    (3..=60).contains(&value.len())
        && digits >= 2
        && NUMBER_SHAPE.is_match(value)
        && !ACCREDITATION.is_match(value)
        && dates::parse_date(value).is_none()
        && !value.split(' ').any(|w| w.len() > 1 && w.chars().all(char::is_lowercase))
}

/// Extracts the certificate number.
pub(super) fn extract(doc: &Doc<'_>) -> Option<Field<String>> {
    let mut candidates: Vec<(f32, usize, String, String)> = Vec::new();
    for (line, label, values) in doc.labelled(Role::CertificateNumber) {
        if let Some((value, number)) = values.iter().find_map(|v| cut_number(v.text).map(|n| (v, n))) {
            let page = doc.lines[line].page;
            let score = if page == 0 { 0.9 } else { 0.85 };
            let evidence =
                if label.contains(value.text) { label.to_string() } else { format!("{label} {}", value.text) };
            candidates.push((score, line, number.to_string(), evidence));
        }
    }
    if candidates.is_empty() {
        for (i, line) in doc.lines.iter().enumerate().filter(|(_, l)| l.page == 0) {
            for cell in &line.cells {
                if UNLABELLED.iter().any(|r| r.is_match(cell)) && is_number(cell) {
                    candidates.push((0.6, i, (*cell).to_string(), line.text.to_string()));
                }
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates.into_iter().next().map(|(confidence, _, value, evidence)| Field { value, confidence, evidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<&str>) {
        assert_eq!(extract(&Doc::parse(text)).map(|f| f.value).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn reads_certificate_numbers() {
        let cases = [
            ("Registration No. 12 104 42033 TMS", Some("12 104 42033 TMS")),
            ("Certificate Number:\t0071663", Some("0071663")),
            ("Holds Certificate Number:\tEMS 530383\nand operates", Some("EMS 530383")),
            ("Inhaber der Zertifikatsnummer: EMS 323214", Some("EMS 323214")),
            (
                "Certificate no.:\tInitial certification date:\n10008987265-MSC-UKAS-GBR\t12 January 2015",
                Some("10008987265-MSC-UKAS-GBR"),
            ),
            (
                "Zertifikat Registrier-Nr.\tGültig von\t2025-05-07\n44 111 26317105\nAblaufdatum\t2028-05-06",
                Some("44 111 26317105"),
            ),
            ("IATF Certificate No.:\t0452392\nCertificate identity number:\t10794345", Some("10794345")),
            ("Akkreditierungs-Nr.\tZertifiziert seit\t1998-10-06\nD-ZM-37337-01-00", None),
            ("[3]\tEU-Type Examination Certificate Number:\nTÜV 26 ATEX 9204 X", Some("TÜV 26 ATEX 9204 X")),
            ("SGS\tGB24/55486\nThe management system of", Some("GB24/55486")),
            ("PRODUKTIONSKONTROLLE\n0035-CPR-1090.1-70141\nGemäß der Verordnung", Some("0035-CPR-1090.1-70141")),
            ("Reference: certificate no. 44 111 67614223 (IATF 16949:2016).", None),
            ("Certificate No.: see annex", None),
            ("Zertifikat-Nr.\tGültigkeit bis\n85599743/3\t12.05.2022", Some("85599743/3")),
            (
                "TÜV NORD\nCERTIFICATE - WELDING QUALITY REQUIREMENTS\n44 205 89590697\nThe body",
                Some("44 205 89590697"),
            ),
            ("Phone 12 345 678\nOrder 1234 567 89012345", None),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn number_shapes() {
        let cases = [
            ("FM 123456", true),
            ("GB21/12345", true),
            ("10000123456-MSC-UKAS-GBR", true),
            ("TPS 25 ATEX 123456 X", true),
            ("12.05.2022", false),
            ("D-ZM-37337-01-00", false),
            ("see annex 12", false),
            ("7", false),
        ];
        for (value, expected) in cases {
            assert_eq!(is_number(value), expected, "{value:?}");
        }
    }
}
