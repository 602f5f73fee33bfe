//! The issuing body as its brand (`TÜV SÜD`, `TÜV Rheinland`, `TÜV NORD`,
//! `DNV`, `BSI`, `SGS`, `Bureau Veritas`, `DEKRA`, `Intertek`, `LRQA`,
//! `DQS`, and other TÜV brands): every mention counts, more on page one, in
//! the logo lines at the top and in a legal name (`TÜV SÜD Management
//! Service GmbH`). A body that is none of these is read from the phrase
//! that names the issuer ("Issued by:", "Zertifizierungsstelle der …",
//! "… hereby certifies") and reduced to its brand by dropping the legal
//! form and division words.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Doc;
use super::Field;

/// `(brand, how it is printed)`.
const BRANDS: &[(&str, &str)] = &[
    ("TÜV SÜD", r"T(?:Ü|UE|U)V[\s-]*S(?:Ü|UE|U)D\b"),
    ("TÜV Rheinland", r"T(?:Ü|UE)V[\s-]*Rheinland\b"),
    ("TÜV NORD", r"T(?:Ü|UE)V[\s-]*(?:NORD|Nord)\b"),
    ("TÜV AUSTRIA", r"T(?:Ü|UE)V[\s-]*AUSTRIA\b"),
    ("TÜV Hessen", r"T(?:Ü|UE)V[\s-]*Hessen\b"),
    ("TÜV Thüringen", r"T(?:Ü|UE)V[\s-]*Thüringen\b"),
    ("TÜV Saarland", r"T(?:Ü|UE)V[\s-]*Saarland\b"),
    ("DNV", r"\bDNV(?:[\s-]*GL)?\b"),
    ("BSI", r"\bBSI\b|^bsi\.?$"),
    ("SGS", r"\bSGS\b"),
    ("Bureau Veritas", r"(?i:\bbureau\s+veritas\b)"),
    ("DEKRA", r"\bDEKRA\b"),
    ("Intertek", r"\b(?:Intertek|INTERTEK)\b"),
    ("LRQA", r"\bLRQA\b|Lloyd's\s+Register\s+Quality\s+Assurance"),
    ("DQS", r"\bDQS\b"),
];

static BRAND_PATTERNS: LazyLock<Vec<(&'static str, Regex)>> =
    LazyLock::new(|| BRANDS.iter().map(|(brand, p)| (*brand, Regex::new(p).expect("static regex"))).collect());

const LEGAL_FORM: &str = r"GmbH|AG|SE|Ltd\.?|Limited|Inc\.?|LLC|S\.A\.|S\.p\.A\.|SAS|Oy|B\.V\.|N\.V\.|plc|e\.\s?V\.|Corp\.?|Corporation|Company";

/// A brand followed by more words and a legal form, within one cell.
static LEGAL_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"^[\p{{L}}'’&.\- ]{{0,60}}?\b(?:{LEGAL_FORM})\b")).expect("static regex"));

/// Phrases that name the issuer, with its legal name.
static ISSUER_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i:issued\s+by|ausgestellt\s+von|certification\s+body\s+of(?:\s+the)?|zertifizierungsstelle\s+der|procedures\s+of(?:\s+the)?|verfahren\s+der)\s*:?\s*(\p{{Lu}}[\p{{L}}0-9'’&.\- ]{{1,60}}?\b(?:{LEGAL_FORM}))(?:\W|$)"
    ))
    .expect("static regex")
});
static CERTIFIES_PHRASE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"^(?:(?:Die|The)\s+)?(\p{{Lu}}[\p{{L}}0-9'’&.\- ]{{1,60}}?\b(?:{LEGAL_FORM}))\s+(?i:hereby\s+certifies|certifies|bescheinigt)"
    ))
    .expect("static regex")
});

/// Division, country and legal-form words that follow a brand.
static NOT_BRAND: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)^(?:{LEGAL_FORM}|&|co\.?|kg|management|service|services|cert|certification|certifications|zertifizierung|zertifizierungs|business|assurance|product|industrie|industry|systems?|international|group|holding|germany|deutschland|uk|united|kingdom|austria|österreich|schweiz|switzerland|france|italia|italy|españa|spain|nederland|usa|inc|gesellschaft|mbh|für|fuer|for|of|the|der|und|and)$"
    ))
    .expect("static regex")
});

/// The brand of a legal name: its words up to the first division,
/// country or legal-form word (`Kiwa Deutschland GmbH` → `Kiwa`).
fn brand_of(legal_name: &str) -> Option<String> {
    let words: Vec<&str> = legal_name.split_whitespace().take_while(|w| !NOT_BRAND.is_match(w)).collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The known brands `text` names, in the order of [`BRANDS`] (for checking
/// an issuing body a model claims against the document).
pub(super) fn brands_in(text: &str) -> Vec<&'static str> {
    BRAND_PATTERNS.iter().filter(|(_, re)| re.is_match(text)).map(|(brand, _)| *brand).collect()
}

/// Extracts the issuing body.
pub(super) fn extract(doc: &Doc<'_>) -> Option<Field<String>> {
    let mut scores: Vec<(f32, &'static str, String)> = Vec::new();
    for (brand, re) in BRAND_PATTERNS.iter() {
        let mut score = 0.0f32;
        let mut evidence = String::new();
        let mut first_content_line = 0usize;
        for line in &doc.lines {
            if line.is_blank() {
                continue;
            }
            first_content_line += usize::from(line.page == 0);
            for cell in &line.cells {
                for m in re.find_iter(cell) {
                    let mut s = if line.page == 0 { 1.0 } else { 0.5 };
                    if line.page == 0 && first_content_line <= 3 {
                        s += 1.0;
                    }
                    if LEGAL_NAME.is_match(&cell[m.start()..]) {
                        s += 2.0;
                    }
                    if evidence.is_empty() || s >= 3.0 {
                        evidence = (*cell).to_string();
                    }
                    score += s;
                }
            }
        }
        if score > 0.0 {
            scores.push((score, brand, evidence));
        }
    }
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    if let Some((score, brand, evidence)) = scores.first() {
        let runner_up = scores.get(1).map_or(0.0, |s| s.0);
        let confidence = if *score >= 2.0 * runner_up.max(1.0) { 0.9 } else { 0.6 };
        return Some(Field { value: (*brand).to_string(), confidence, evidence: evidence.clone() });
    }
    // Some other body: the issuer phrase, then "X certifies".
    for re in [&*ISSUER_PHRASE, &*CERTIFIES_PHRASE] {
        for line in &doc.lines {
            if let Some(c) = re.captures(line.text) {
                if let Some(brand) = c.get(1).and_then(|m| brand_of(m.as_str())) {
                    return Some(Field { value: brand, confidence: 0.5, evidence: line.text.to_string() });
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: Option<&str>) {
        assert_eq!(extract(&Doc::parse(text)).map(|f| f.value).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn reads_the_brand() {
        let cases = [
            (
                "TÜV\nZERTIFIKAT\tSÜD\nDie Zertifizierungsstelle der TÜV SÜD Management Service GmbH bescheinigt",
                Some("TÜV SÜD"),
            ),
            ("1828 BUREAU\tCertification\nVERITAS\nBureau Veritas Certification certify", Some("Bureau Veritas")),
            ("Certificate of Registration\nbsi.\nFor and on behalf of BSI:", Some("BSI")),
            ("MANAGEMENT SYSTEM CERTIFICATE\tDNV\nDNV Business Assurance UK Limited", Some("DNV")),
            ("TÜV Rheinland\tCERTIFICATE\nprocedures of TÜV Rheinland Cert GmbH", Some("TÜV Rheinland")),
            ("TÜV NORD\tZERTIFIKAT\nVerfahren der TÜV NORD CERT GmbH", Some("TÜV NORD")),
            ("LRQA\nCertificate of Approval\nIssued by: LRQA Limited", Some("LRQA")),
            ("Certificate\nIssued by: Kiwa Deutschland GmbH", Some("Kiwa")),
            ("Zertifikat\nDie GUTcert GmbH bescheinigt hiermit", Some("GUTcert")),
            ("A letter with no issuer", None),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }

    #[test]
    fn accreditation_bodies_do_not_win() {
        check("SGS\tGB24/55486\nUKAS\nUKAS Management Systems\nSGS United Kingdom Ltd • Rossmore", Some("SGS"));
        check("DQS\nDAkkS\nDeutsche Akkreditierungsstelle\nDQS GmbH • August-Schanz-Straße 21", Some("DQS"));
    }
}
