//! Which of the tenant's organizations a document belongs to.
//!
//! Strong identifiers first: an organization whose LEI, VAT number or
//! external id appears in the document's text is matched with confidence
//! 1.0 (0.95 for the external id, which is the tenant's own and may be
//! short). Otherwise names are compared after [`normalize_org_name`]
//! (case, accents, punctuation and legal forms such as GmbH, AG, Ltd, Inc.,
//! S.A., SE, KG, Co. removed) with Jaro-Winkler similarity; an exact
//! normalised match scores 1.0.

use serde::{Deserialize, Serialize};

use crate::ids::OrganizationId;
use crate::suppliers::Organization;

/// Legal forms ignored when names are compared (also used to spot an
/// organization name in a file name).
pub const LEGAL_FORMS: [&str; 34] = [
    "GmbH",
    "mbH",
    "AG",
    "KG",
    "KGaA",
    "OHG",
    "GbR",
    "UG",
    "eG",
    "e.V.",
    "SE",
    "Co.",
    "Co",
    "Ltd",
    "Ltd.",
    "Limited",
    "LLC",
    "LLP",
    "PLC",
    "Inc",
    "Inc.",
    "Corp",
    "Corp.",
    "Corporation",
    "S.A.",
    "SA",
    "S.p.A.",
    "SpA",
    "S.r.l.",
    "Srl",
    "B.V.",
    "BV",
    "N.V.",
    "NV",
];

/// How many candidates a review shows.
pub const MAX_CANDIDATES: usize = 5;

/// A possible holder of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The organization.
    pub organization_id: OrganizationId,
    /// Its name.
    pub name: String,
    /// 0 to 1.
    pub confidence: f64,
    /// Why: `lei`, `vat`, `external_id`, `name`, `filename`.
    pub reason: String,
}

fn fold_char(c: char) -> Option<char> {
    Some(match c {
        'ä' | 'á' | 'à' | 'â' | 'å' | 'ã' => 'a',
        'ö' | 'ó' | 'ò' | 'ô' | 'ø' | 'õ' => 'o',
        'ü' | 'ú' | 'ù' | 'û' => 'u',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ç' => 'c',
        'ñ' => 'n',
        'ß' => 's',
        c if c.is_alphanumeric() => c,
        '&' | '+' => return None,
        _ => ' ',
    })
}

/// A name reduced to what identifies it: lower case, accents folded,
/// punctuation gone, legal forms (`GmbH & Co. KG`, `S.A.`, `Ltd`) removed.
pub fn normalize_org_name(name: &str) -> String {
    let lower = name.to_lowercase();
    // Dotted forms first (`s.p.a.`, `e.v.`), while the dots are there.
    let mut s = format!(" {lower} ");
    for form in LEGAL_FORMS.iter().filter(|f| f.contains('.')) {
        let f = form.to_lowercase();
        for (pat, with) in [(format!(" {f} "), " "), (format!(" {f},"), " "), (format!(" {f}\n"), " ")] {
            s = s.replace(&pat, with);
        }
        if s.trim_end().ends_with(&format!(" {f}")) {
            let cut = s.trim_end().len() - f.len();
            s.truncate(cut);
        }
    }
    let folded: String = s.chars().filter_map(fold_char).collect();
    let forms: Vec<String> = LEGAL_FORMS.iter().map(|f| f.to_lowercase().replace('.', "")).collect();
    folded
        .split_whitespace()
        .filter(|w| !forms.iter().any(|f| f == w) && *w != "und" && *w != "and")
        .collect::<Vec<_>>()
        .join(" ")
}

/// Similarity of two names, 0 to 1, after normalisation.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (normalize_org_name(a), normalize_org_name(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a == b {
        return 1.0;
    }
    strsim::jaro_winkler(&a, &b)
}

fn alnum_upper(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether `needle` appears in `text` as a whole token (not inside a longer
/// run of letters and digits).
fn contains_token(text: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let mut from = 0;
    while let Some(at) = text[from..].find(needle) {
        let start = from + at;
        let end = start + needle.len();
        let before = text[..start].chars().next_back().is_none_or(|c| !c.is_alphanumeric());
        let after = text[end..].chars().next().is_none_or(|c| !c.is_alphanumeric());
        if before && after {
            return true;
        }
        from = start + needle.chars().next().map_or(1, char::len_utf8);
    }
    false
}

/// What matching looks at.
#[derive(Debug, Clone, Default)]
pub struct MatchInput<'a> {
    /// The document's text.
    pub text: &'a str,
    /// The holder name the extraction found.
    pub holder_name: Option<&'a str>,
    /// The organization the file name names.
    pub filename_organization: Option<&'a str>,
    /// The other words of the file name (abbreviations).
    pub filename_words: &'a [String],
}

/// The best candidates among `orgs`, best first, at most [`MAX_CANDIDATES`]
/// with confidence at least 0.5.
pub fn match_organization(input: &MatchInput<'_>, orgs: &[Organization]) -> Vec<Candidate> {
    let compact_text = alnum_upper(input.text);
    let mut out: Vec<Candidate> = Vec::new();
    for o in orgs {
        let mut best: Option<(f64, &str)> = None;
        let mut consider = |score: f64, why: &'static str| {
            if best.is_none_or(|(s, _)| score > s) {
                best = Some((score, why));
            }
        };
        if let Some(lei) = &o.lei {
            if compact_text.contains(&alnum_upper(lei.as_str())) {
                consider(1.0, "lei");
            }
        }
        if let Some(vat) = &o.vat {
            let v = alnum_upper(vat.as_str());
            if v.len() >= 8 && compact_text.contains(&v) {
                consider(1.0, "vat");
            }
        }
        if let Some(ext) = &o.external_id {
            if ext.trim().chars().count() >= 4 && contains_token(input.text, ext.trim()) {
                consider(0.95, "external_id");
            }
        }
        if let Some(h) = input.holder_name {
            consider(name_similarity(h, &o.name), "name");
        }
        if let Some(f) = input.filename_organization {
            // A file name is weaker evidence than the printed holder.
            consider(name_similarity(f, &o.name) * 0.9, "filename");
        }
        if !input.filename_words.is_empty() {
            let initials: String = normalize_org_name(&o.name)
                .split_whitespace()
                .filter_map(|w| w.chars().next())
                .collect::<String>()
                .to_uppercase();
            if initials.len() >= 2 && input.filename_words.iter().any(|w| w.to_uppercase() == initials) {
                consider(0.7, "filename");
            }
        }
        if let Some((score, why)) = best {
            if score >= 0.5 {
                out.push(Candidate {
                    organization_id: o.id,
                    name: o.name.clone(),
                    confidence: (score * 1000.0).round() / 1000.0,
                    reason: why.to_owned(),
                });
            }
        }
    }
    out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence).then_with(|| a.name.cmp(&b.name)));
    out.truncate(MAX_CANDIDATES);
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn legal_forms_are_ignored() {
        assert_eq!(normalize_org_name("Müller Präzisionstechnik GmbH & Co. KG"), "muller prazisionstechnik");
        assert_eq!(normalize_org_name("ACME Inc."), "acme");
        assert_eq!(normalize_org_name("Fabbrica Rossi S.p.A."), "fabbrica rossi");
        assert_eq!(normalize_org_name("Aceros del Norte S.A."), "aceros del norte");
        assert_eq!(normalize_org_name("Kessler Elektronik SE"), "kessler elektronik");
        assert_eq!(normalize_org_name("Redbridge Cable Systems Limited"), "redbridge cable systems");
        assert_eq!(name_similarity("Redbridge Cable Systems Ltd", "REDBRIDGE CABLE SYSTEMS LIMITED"), 1.0);
        assert!(name_similarity("Kessler Elektronik SE", "Kessler Elektronik AG") > 0.99);
        assert!(name_similarity("Kessler Elektronik", "Thameside Surface Technologies") < 0.7);
    }

    #[test]
    fn tokens_are_whole() {
        assert!(contains_token("Kunden-Nr. SUP-0042 und", "SUP-0042"));
        assert!(!contains_token("SUP-00421", "SUP-0042"));
    }

    proptest! {
        #[test]
        fn similarity_is_bounded_and_symmetric(a in any::<String>(), b in any::<String>()) {
            let s = name_similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!((s - name_similarity(&b, &a)).abs() < 1e-9);
        }
    }
}
