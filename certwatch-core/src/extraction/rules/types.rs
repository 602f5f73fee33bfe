//! The standard a certificate attests (as printed: `DIN EN ISO 9001:2015`,
//! `ISO 14001 : 2015`, `EMAS-Verordnung (EG) Nr. 1221/2009`, `Directive
//! 2014/34/EU`, …) and its canonical type code from
//! [`SEEDED_TYPES`](crate::certificates::types::SEEDED_TYPES). Product
//! directives (ATEX, PED, the construction products regulation for EN 1090)
//! decide the type before any management-system standard the text cites;
//! otherwise the standard printed on a line of its own wins, then the first
//! one cited. A filename (`Zertifikat_ISO9001.pdf`) is a weak hint.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Doc;
use super::Field;

/// `(type code, pattern of the standard as printed)`, most specific first.
const STANDARDS: &[(&str, &str)] = &[
    ("IATF_16949", r"IATF\s*16949(?:\s*:\s*\d{4})?"),
    ("AS_9100", r"(?:AS\s?9100[A-D]?|(?:(?:DIN|BS|ÖNORM)\s+)?EN\s?9100(?:\s*:\s*\d{4})?)"),
    ("OHSAS_18001", r"(?:BS\s+)?OHSAS\s*18001(?:\s*:\s*\d{4})?"),
    ("SA_8000", r"SA\s?8000(?:\s*:\s*\d{4})?"),
    (
        "EMAS",
        r"EMAS[\s-]*Verordnung\s*\(EG\)\s*Nr\.?\s*1221/2009|EMAS\s*\(Regulation\s*\(EC\)\s*No\.?\s*1221/2009\)|(?:Regulation|Verordnung)\s*\(E[CG]\)\s*(?:No\.?|Nr\.?)\s*1221/2009|\bEMAS\b",
    ),
    ("ATEX", r"(?:Directive|Richtlinie)\s+2014/34/EU|\bATEX\b"),
    ("PED_2014_68_EU", r"(?:Directive|Richtlinie)\s+2014/68/EU|\bPED\s+2014/68/EU"),
    ("EN_1090", r"(?:(?:DIN|BS|ÖNORM|SN)\s+)?EN\s?1090-1(?:\s*:\s*\d{4}(?:-\d{2})?)?(?:\s*\+\s*A\d+\s*:\s*\d{4})?"),
    ("ISO_3834", r"(?:(?:DIN\s+)?EN\s+)?ISO\s?3834(?:-\d)?(?:\s*:\s*\d{4})?"),
    ("ISO_20000", r"ISO\s*/\s*IEC\s*20000(?:-1)?(?:\s*:\s*\d{4})?|ISO\s?20000-1(?:\s*:\s*\d{4})?"),
    (
        "ISO_27001",
        r"(?:(?:DIN\s+)?EN\s+)?ISO\s*/\s*IEC\s*27001(?:\s*:\s*\d{4})?|(?:(?:DIN\s+)?EN\s+)?ISO\s?27001(?:\s*:\s*\d{4})?",
    ),
    ("ISO_13485", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?13485(?:\s*:\s*\d{4})?(?:\s*\+\s*A\d+\s*:\s*\d{4})?"),
    ("ISO_22301", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?22301(?:\s*:\s*\d{4})?"),
    ("ISO_50001", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?50001(?:\s*:\s*\d{4})?"),
    ("ISO_45001", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?45001(?:\s*:\s*\d{4})?"),
    ("ISO_14001", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?14001(?:\s*:\s*\d{4})?"),
    ("ISO_9001", r"(?:(?:DIN|BS|ÖNORM)\s+)?(?:EN\s+)?ISO\s?9001(?:\s*:\s*\d{4})?"),
    ("TISAX", r"\bTISAX\b"),
    ("NADCAP", r"\bNadcap\b|\bNADCAP\b"),
    ("IECEx", r"\bIECEx\b"),
    ("FSC", r"\bFSC\b(?:[\s-]*(?:C\d{6}|STD))?"),
    ("PEFC", r"\bPEFC\b"),
    ("BSCI", r"\bamfori\s+BSCI\b|\bBSCI\b"),
    ("SEDEX", r"\bSMETA\b|\bSedex\b"),
    ("API_SPEC", r"\bAPI\s+(?:Spec(?:ification)?\s+)?Q1\b"),
];

/// Product directives and regulations, which decide the type of a product
/// certificate whatever standards it cites.
const PRODUCT_TYPES: &[&str] = &["ATEX", "PED_2014_68_EU", "EN_1090", "ISO_3834"];

static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    STANDARDS.iter().map(|(code, p)| (*code, Regex::new(&format!(r"(?i)(?:{p})")).expect("static regex"))).collect()
});

/// Construction products regulation: EN 1090 factory production control.
static CPR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b\d{4}-CPR-|Verordnung\s*\(EU\)\s*Nr\.?\s*305/2011|Regulation\s*\(EU\)\s*No\.?\s*305/2011")
        .expect("static regex")
});

/// An amendment of a standard (`A11:2021`).
static AMENDMENT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^A\d+\s*:\s*\d{4}").expect("static regex"));

/// A standard found in the text.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Standard {
    pub(super) code: &'static str,
    pub(super) text: String,
    line: usize,
    /// The standard is the whole cell it is printed in.
    alone: bool,
    /// It carries its edition year.
    dated: bool,
}

/// Every standard mention in `text`, in order, the longest at each place.
fn mentions(text: &str) -> Vec<(usize, usize, &'static str)> {
    let mut found: Vec<(usize, usize, &'static str)> =
        PATTERNS.iter().flat_map(|(code, re)| re.find_iter(text).map(move |m| (m.start(), m.end(), *code))).collect();
    found.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut out: Vec<(usize, usize, &'static str)> = Vec::new();
    for m in found {
        if out.last().is_none_or(|last| m.0 >= last.1) {
            out.push(m);
        }
    }
    out
}

/// The type codes of every standard `text` mentions, in order.
pub(super) fn type_codes(text: &str) -> Vec<&'static str> {
    mentions(text).into_iter().map(|(_, _, code)| code).collect()
}

/// The standards of a document, in order.
pub(super) fn standards(doc: &Doc<'_>) -> Vec<Standard> {
    let mut out = Vec::new();
    for (i, line) in doc.lines.iter().enumerate() {
        for cell in &line.cells {
            for (start, end, code) in mentions(cell) {
                let mut text = cell[start..end].trim().to_string();
                // An amendment wrapped onto the next line: "… :2016 +" / "A11:2021".
                if cell[end..].trim() == "+" {
                    let next = doc.next_content_line(i).and_then(|j| doc.lines[j].cells.first());
                    if let Some(amendment) = next.and_then(|c| AMENDMENT.find(c)) {
                        text = format!("{text} + {}", amendment.as_str());
                    }
                }
                let alone = cell.trim().len() == text.len();
                let dated = text.contains(':') || text.contains('/');
                out.push(Standard { code, text, line: i, alone, dated });
            }
        }
    }
    out
}

/// The certificate type and the standard as printed.
pub(super) fn extract(doc: &Doc<'_>, filename: Option<&str>) -> (Option<Field<String>>, Option<Field<String>>) {
    let all = standards(doc);
    let text_has_cpr = doc.lines.iter().any(|l| CPR.is_match(l.text));

    let product = all
        .iter()
        .find(|s| PRODUCT_TYPES.contains(&s.code) && s.dated)
        .or_else(|| all.iter().find(|s| PRODUCT_TYPES.contains(&s.code) && (s.code != "EN_1090" || text_has_cpr)));
    let chosen = product.or_else(|| {
        // Page one before the annex, a standard on a line of its own before
        // one cited in a sentence, a dated edition before a bare name, then
        // the earliest.
        all.iter()
            .enumerate()
            .max_by_key(|(i, s)| (doc.lines[s.line].page == 0, s.alone, s.dated, std::cmp::Reverse(*i)))
            .map(|(_, s)| s)
    });

    let hint = filename.and_then(filename_type);
    match chosen {
        Some(s) => {
            let agrees = hint == Some(s.code);
            let confidence = if s.alone { 0.9 } else { 0.8 } + if agrees { 0.05 } else { 0.0 };
            let evidence = doc.lines[s.line].text.to_string();
            let standard_text = Field {
                value: s.text.clone(),
                confidence: if s.dated { 0.85 } else { 0.6 },
                evidence: evidence.clone(),
            };
            (Some(Field { value: s.code.to_string(), confidence, evidence }), Some(standard_text))
        }
        None => (
            hint.map(|code| Field {
                value: code.to_string(),
                confidence: 0.4,
                evidence: filename.unwrap_or_default().to_string(),
            }),
            None,
        ),
    }
}

/// The type a filename suggests (`Zertifikat_ISO9001.pdf` → `ISO_9001`).
pub(super) fn filename_type(filename: &str) -> Option<&'static str> {
    let spaced: String = filename.chars().map(|c| if matches!(c, '_' | '.' | '+') { ' ' } else { c }).collect();
    mentions(&spaced).into_iter().map(|(_, _, code)| code).next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::types::SEEDED_TYPES;

    fn check(text: &str, expected: Option<(&str, &str)>) {
        let (code, standard) = extract(&Doc::parse(text), None);
        let got = code.map(|c| c.value).zip(standard.map(|s| s.value));
        assert_eq!(got.as_ref().map(|(c, s)| (c.as_str(), s.as_str())), expected, "{text:?}");
    }

    #[test]
    fn reads_the_standard_and_its_type() {
        let cases = [
            ("has been found to conform to:\nISO 22301:2019", Some(("ISO_22301", "ISO 22301:2019"))),
            ("Normen\nDIN EN 9100:2018", Some(("AS_9100", "DIN EN 9100:2018"))),
            ("requirements of\nAS9100D\nThe management system", Some(("AS_9100", "AS9100D"))),
            ("ENVIRONMENTAL MANAGEMENT SYSTEM - ISO 14001:2015", Some(("ISO_14001", "ISO 14001:2015"))),
            ("Managementsystem nach\nEMAS-Verordnung (EG) Nr. 1221/2009", Some(("EMAS", "EMAS-Verordnung (EG) Nr. 1221/2009"))),
            ("EMAS (Regulation (EC) No 1221/2009)", Some(("EMAS", "EMAS (Regulation (EC) No 1221/2009)"))),
            ("ISO 45001 : 2018", Some(("ISO_45001", "ISO 45001 : 2018"))),
            ("EN ISO 13485:2016 + A11:2021", Some(("ISO_13485", "EN ISO 13485:2016 + A11:2021"))),
            ("ISO/IEC 27001:2022", Some(("ISO_27001", "ISO/IEC 27001:2022"))),
            ("ISO/IEC 20000-1:2018", Some(("ISO_20000", "ISO/IEC 20000-1:2018"))),
            ("SA8000:2014", Some(("SA_8000", "SA8000:2014"))),
            ("BS OHSAS 18001:2007", Some(("OHSAS_18001", "BS OHSAS 18001:2007"))),
            ("IATF 16949:2016", Some(("IATF_16949", "IATF 16949:2016"))),
            (
                "explosive atmospheres – Directive 2014/34/EU\nCompliance with:\nEN IEC 60079-0:2018, EN 60079-1:2014",
                Some(("ATEX", "Directive 2014/34/EU")),
            ),
            (
                "Bauprodukt nach EN 1090-2\nim Anhang ZA der Norm DIN EN 1090-1:2012-02 im System 2+\n0035-CPR-1090.1-70141",
                Some(("EN_1090", "DIN EN 1090-1:2012-02")),
            ),
            ("Modul H der Richtlinie 2014/68/EU bewertet", Some(("PED_2014_68_EU", "Richtlinie 2014/68/EU"))),
            ("ISO 3834-2:2021", Some(("ISO_3834", "ISO 3834-2:2021"))),
            ("no standard here", None),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn filenames_hint_at_types() {
        let cases = [
            ("Zertifikat_ISO9001.pdf", Some("ISO_9001")),
            ("RCSL-IATF16949-cert.pdf", Some("IATF_16949")),
            ("iso14001-certificate.pdf", Some("ISO_14001")),
            ("KE_ISO27001_Zertifikat_DE.pdf", Some("ISO_27001")),
            ("doc-001.pdf", None),
        ];
        for (name, expected) in cases {
            assert_eq!(filename_type(name), expected, "{name}");
        }
        let (code, _) = extract(&Doc::parse("nothing"), Some("Zertifikat_ISO9001.pdf"));
        assert_eq!(code.map(|c| (c.value, c.confidence)), Some(("ISO_9001".to_string(), 0.4)));
    }

    #[test]
    fn every_code_is_a_seeded_type() {
        for (code, _) in STANDARDS {
            assert!(SEEDED_TYPES.iter().any(|(c, _, _)| c == code), "{code} is not a seeded type");
        }
    }
}
