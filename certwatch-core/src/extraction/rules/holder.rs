//! The certificate holder as printed, legal form included: the name after
//! the attestation ("This is to certify that the management system of",
//! "Hiermit wird bestätigt, dass", "Awarded to", "Manufacturer:", "unter
//! dem Namen oder der Handelsmarke", …) or after "Certificate holder:",
//! else the first line on page one that is a company name and not the
//! issuer's.

use std::sync::LazyLock;

use regex::Regex;

use super::labels;
use super::text::Doc;
use super::Field;

/// Phrases after which the holder is named (at the end of a cell, or
/// followed by the name in the same cell).
static INTRO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        (?: this\s+is\s+to\s+certify,?\s+that(?:\s+the\s+(?:management\s+system|company|organi[sz]ation)\s+of)?
          | (?:hereby\s+)?certif(?:y|ies)\s+that\s+the\s+(?:management\s+system\s+of|company|organi[sz]ation)
          | (?:hereby\s+)?certif(?:y|ies)(?:,[^,]{0,80},)?\s+that
          | the\s+management\s+system\s+of
          | das\s+managementsystem\s+(?:von|der)
          | (?:bestätigt|bescheinigt)(?:\s+hiermit)?,?\s+dass(?:\s+(?:das|der|die))?(?:\s+(?:managementsystem\s+von|unternehmen|hersteller|organisation|firma))?
          | bescheinigt\s+für\s+(?:das\s+unternehmen|die\s+organisation|die\s+firma)
          | awarded\s+to
          | granted\s+to
          | verliehen\s+an
          | unter\s+dem\s+namen\s+oder\s+der\s+handelsmarke
          | (?:^|\s)manufacturer
          | (?:^|\s)hersteller
          | certificate\s+holder
          | zertifikatsinhaber
          | inhaber\s+des\s+zertifikats
        )\s*:?\s*$",
    )
    .expect("static regex")
});

/// The same phrases where the name follows within the cell.
static INTRO_INLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:certificate\s+holder|zertifikatsinhaber|this\s+is\s+to\s+certify\s+that|hiermit\s+wird\s+bestätigt,?\s+dass)\s*:\s*(.+)$")
        .expect("static regex")
});

static LEGAL_FORM: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:\b(?:GmbH|AG|SE|KG|KGaA|OHG|e\.K\.|Ltd|Limited|Inc|LLC|LLP|L\.P\.|plc|PLC|Corp|Corporation|Co\.|SAS|SARL|S\.A\.S\.|S\.A\.|S\.p\.A\.|S\.r\.l\.|Srl|B\.V\.|N\.V\.|Oy|Oyj|AB|A/S|ApS|AS|Kft|s\.r\.o\.|a\.s\.|Sp\.\s?z\s?o\.o\.|S\.L\.|GesmbH)(?:\W|$))",
    )
    .expect("static regex")
});

/// Words that may stand alone between the phrase and the name.
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:unternehmen|das\s+unternehmen|the\s+company|company|organisation|organization|firma)\s*:?$")
        .expect("static regex")
});

/// Whether `s` reads like a company name (a legal form), and is no label.
fn company_like(s: &str) -> bool {
    LEGAL_FORM.is_match(s) && !labels::is_label(s) && s.split_whitespace().count() <= 12
}

/// Whether `s` could be a name at all: short, starts with a capital, no
/// label, not a sentence.
fn name_like(s: &str) -> bool {
    company_like(s)
        || (s.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
            && s.split_whitespace().count() <= 10
            && !labels::is_label(s)
            && !s.ends_with('.'))
}

/// Extracts the holder. `issuer` is the issuing body's brand, whose own
/// legal name is not the holder.
pub(super) fn extract(doc: &Doc<'_>, issuer: Option<&str>) -> Option<Field<String>> {
    let not_issuer = |s: &str| issuer.is_none_or(|b| !s.contains(b));
    let mut found: Vec<(f32, usize, String, String)> = Vec::new();
    for (i, line) in doc.lines.iter().enumerate() {
        for (k, cell) in line.cells.iter().enumerate() {
            if let Some(c) = INTRO_INLINE.captures(cell) {
                let name = c[1].trim();
                if name_like(name) && not_issuer(name) {
                    let score = if company_like(name) { 0.85 } else { 0.6 };
                    found.push((score, i, name.to_string(), (*cell).to_string()));
                }
                continue;
            }
            if !INTRO.is_match(cell) {
                continue;
            }
            // The name: the next cell, else the next line (past a filler).
            let mut next = line.cells.get(k + 1).map(|c| (*c, i));
            if next.is_none() {
                let mut j = doc.next_content_line(i);
                if let Some(jj) = j {
                    if doc.lines[jj].cells.first().is_some_and(|c| FILLER.is_match(c)) {
                        j = doc.next_content_line(jj);
                    }
                }
                next = j.and_then(|j| doc.lines[j].cells.first().map(|c| (*c, j)));
            }
            if let Some((name, _)) = next {
                if name_like(name) && not_issuer(name) {
                    let score = if company_like(name) { 0.9 } else { 0.6 };
                    found.push((score, i, name.to_string(), format!("{cell} {name}")));
                }
            }
        }
    }
    if found.is_empty() {
        // The first company name on page one that is not the issuer's.
        for (i, line) in doc.lines.iter().enumerate().filter(|(_, l)| l.page == 0) {
            if line.cells.len() == 1
                && company_like(line.text)
                && not_issuer(line.text)
                && !line.text.contains(['•', '·'])
            {
                found.push((0.5, i, line.text.to_string(), line.text.to_string()));
                break;
            }
        }
    }
    found.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    found.into_iter().next().map(|(confidence, _, value, evidence)| Field { value, confidence, evidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, issuer: Option<&str>, expected: Option<&str>) {
        assert_eq!(extract(&Doc::parse(text), issuer).map(|f| f.value).as_deref(), expected, "{text:?}");
    }

    #[test]
    fn reads_the_holder() {
        let cases = [
            ("This is to certify that the management system of\nOakfield Logistics Ltd\n125 Brunel Way", None, Some("Oakfield Logistics Ltd")),
            ("Hiermit wird bestätigt, dass das Managementsystem von:\nZiegler & Krämer GmbH & Co. KG", None, Some("Ziegler & Krämer GmbH & Co. KG")),
            ("This is to certify that:\tThameside Surface Technologies Limited\n66 Aston Science Park", None, Some("Thameside Surface Technologies Limited")),
            ("Awarded to\nDubois Électronique SAS\n81 avenue Jean Jaurès", None, Some("Dubois Électronique SAS")),
            (
                "Die Zertifizierungsstelle der TÜV SÜD Management Service GmbH bescheinigt, dass das\nUnternehmen\nHoffmann Luftfahrttechnik GmbH",
                Some("TÜV SÜD"),
                Some("Hoffmann Luftfahrttechnik GmbH"),
            ),
            ("[5]\tManufacturer:\nValtorra Antideflagranti S.p.A.", None, Some("Valtorra Antideflagranti S.p.A.")),
            ("das in Verkehr gebracht wird unter dem Namen oder der Handelsmarke\nSanomed Apparatebau AG", None, Some("Sanomed Apparatebau AG")),
            (
                "procedures of TÜV Rheinland Cert GmbH, audit report no. 93821108.\nSommer IT-Services GmbH\nAm Hafen 100",
                Some("TÜV Rheinland"),
                Some("Sommer IT-Services GmbH"),
            ),
            ("Certificate holder: Pioneer Orthopaedics Inc.", None, Some("Pioneer Orthopaedics Inc.")),
            ("Sehr geehrte Damen und Herren,", None, None),
        ];
        for (text, issuer, expected) in cases {
            check(text, issuer, expected);
        }
    }
}
