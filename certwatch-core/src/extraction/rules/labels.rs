//! The field labels certificates print, English and German, and what each
//! one labels. Distractors (audit, print and initial-certification dates,
//! accreditation, report, IATF, EMAS and approval numbers, …) are labels
//! too, so that a value is never read from under the wrong one: a cell is
//! matched against every label and the longest match decides
//! ("Ablaufdatum des vorherigen Zyklus" is not "Ablaufdatum").

use std::sync::LazyLock;

use regex::Regex;

/// What a label labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    CertificateNumber,
    IssueDate,
    ValidFrom,
    Expiry,
    /// A validity range ("Valid: A – B").
    Validity,
    /// A number or date that is none of the fields.
    Distractor,
    /// Any other field label (scope, product, signatures, …).
    Other,
}

/// A label found at the start of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Found {
    pub(super) role: Role,
    /// Where the label (with its colon) ends in the cell.
    pub(super) end: usize,
    /// The label runs on in words and its value sits in the next cell
    /// ("Subject to the continued satisfactory operation … ⇥ 23.08.2028").
    pub(super) trailing_text: bool,
}

const CERTIFICATE_NUMBER: &[&str] = &[
    r"(?:holds\s+)?certificate\s+(?:registration\s+)?(?:no\b\.?|nr\b\.?|number\b|num\b\.?)",
    r"certificate\s+identity\s+number\b",
    r"certificate\s+id\b",
    r"registration\s+(?:no\b\.?|number\b)",
    r"(?:zertifikat[\s-]*)?registrier[\s-]*(?:nr\b\.?|nummer\b)",
    r"(?:inhaber\s+der\s+)?zertifikat(?:s)?[\s-]*(?:nr\b\.?|nummer\b)",
    r"zertifikat[\s-]*identifikationsnummer\b",
    r"eu[\s-]*type\s+examination\s+certificate\s+(?:no\b\.?|number\b)",
    r"(?:eu[\s-]*)?baumusterprüfbescheinigung(?:[\s-]*(?:nr\b\.?|nummer\b))?",
    r"cert\.?\s*no\b\.?",
    r"reg\.?[\s-]*nr\b\.?",
];

const ISSUE_DATE: &[&str] = &[
    r"date\s+of\s+issue\b",
    r"issue\s+date\b",
    r"issuing\s+date\b",
    r"date\s+issued\b",
    r"issued\s+on\b",
    r"ausstellungsdatum\b",
    r"ausgestellt\s+am\b",
    r"datum\s+der\s+ausstellung\b",
    r"latest\s+revision\s+date\b",
    r"datum\s+der\s+letzten\s+revision\b",
    r"current\s+certificate\b",
    r"aktuelles\s+zertifikat\b",
    r"date\s+of\s+certification\b",
    r"certification\s+date\b",
    r"zertifizierungsdatum\b",
    r"zertifikatsdatum\b",
];

const VALID_FROM: &[&str] = &[
    r"effective\s+date\b",
    r"valid\s+from\b",
    r"gültig\s+(?:ab|von|vom)\b",
    r"certification\s*/\s*recertification\s+cycle\s+start\s+date\b",
    r"beginn\s+des\s+zertifizierungs[\s-]*/\s*rezertifizierungszyklus\b",
];

const EXPIRY: &[&str] = &[
    r"expiry\s+date\b",
    r"expiration\s+date\b",
    r"date\s+of\s+expiry\b",
    r"certificate\s+expiry\b",
    r"expiry\b",
    r"expires\s+on\b",
    r"valid\s+(?:until|to|till|through|thru)\b",
    r"gültig\s+bis\b",
    r"gültigkeit\s+bis\b",
    r"ablaufdatum\b",
    r"ablauf\s+des\s+zertifikats\b",
    r"läuft\s+ab\s+am\b",
];

/// Expiry labels whose words run on before the value cell.
const EXPIRY_TRAILING: &[&str] = &[
    r"subject\s+to\s+the\s+continued\s+satisfactory\s+operation\b",
    r"vorbehaltlich\s+des\s+weiterhin\s+zufriedenstellenden\s+betriebs\b",
];

const VALIDITY: &[&str] = &[r"valid\b", r"validity\b", r"gültig\b", r"gültigkeit\b", r"gültigkeitsdauer\b"];

const DISTRACTOR: &[&str] = &[
    r"initial\s+certification(?:\s+date)?\b",
    r"date\s+of\s+initial\s+certification\b",
    r"original\s+(?:certification|registration|approval)(?:\s*\(s\))?(?:\s+date)?\b",
    r"original\s+cycle\s+start\s+date\b",
    r"certified\s+since\b",
    r"zertifiziert\s+seit\b",
    r"(?:datum\s+der\s+)?erstzertifizierung\b",
    r"datum\s+der\s+erstregistrierung\b",
    r"erstzulassung(?:\s*\(en\))?",
    r"beginn\s+des\s+ursprünglichen\s+zyklus\b",
    r"(?:certification\s*/\s*recertification\s+)?audit\s+date\b",
    r"datum\s+des\s+zertifizierungs[\s-]*/\s*rezertifizierungsaudits\b",
    r"audit\s+vom\b",
    r"date\s+of\s+certification\s+decision\b",
    r"certification\s+decision\s+date\b",
    r"previous\s+cycle\s+expiry(?:\s+date)?\b",
    r"expiry\s+date\s+of\s+(?:the\s+)?previous\s+cycle\b",
    r"ablaufdatum\s+des\s+vorherigen\s+zyklus\b",
    r"printed\s+on\b",
    r"gedruckt\s+am\b",
    r"druckdatum\b",
    r"print\s+date\b",
    r"next\s+(?:surveillance\s+)?audit(?:\s+due)?\b",
    r"recertification\s+due\b",
    r"accreditation\s+(?:no\b\.?|number\b)",
    r"akkreditierungs[\s-]*(?:nr\b\.?|nummer\b)",
    r"akkreditierungsnummer\b",
    r"(?:audit\s+)?report\s+(?:no\b\.?|number\b)",
    r"(?:audit[\s-]*)?bericht(?:s)?[\s-]*(?:nr\b\.?|nummer\b)",
    r"auditbericht[\s-]*(?:nr\b\.?|nummer\b)",
    r"prüfbericht[\s-]*(?:nr\b\.?|nummer\b)",
    r"iatf[\s-]*(?:certificate|zertifikat)[\s-]*(?:no\b\.?|nr\b\.?|number\b|nummer\b)",
    r"iatf\s+(?:no\b\.?|number\b)",
    r"emas[\s-]*(?:registration|registrier)(?:\s+|[\s-]*)(?:no\b\.?|nr\b\.?|number\b|nummer\b)",
    r"emas[\s-]*registriernummer\b",
    r"approval\s+number(?:\s*\(s\))?",
    r"zulassungsnummer(?:\s*\(n\))?",
    r"notified\s+body(?:\s+(?:no\b\.?|number\b))?",
    r"notifizierte\s+stelle\b",
    r"version\b",
    r"ausgabe\b",
    r"invoice\s+(?:no\b\.?|number\b|date\b)",
    r"rechnungs(?:nummer|datum)\b",
    r"payment\s+due\b",
    r"client\s+id\b",
];

const OTHER: &[&str] = &[
    r"scope(?:\s+of\s+(?:certification|registration|approval))?\b",
    r"geltungsbereich\b",
    r"anwendungsbereich\b",
    r"standards?\b",
    r"normen?\b",
    r"product\b",
    r"produkt\b",
    r"manufacturer\b",
    r"hersteller\b",
    r"address\b",
    r"anschrift\b",
    r"place\s+and\s+date\b",
    r"ort\s+und\s+datum\b",
    r"for\s+the\s+issuing\s+office\b",
    r"authori[sz]ed\s+by\b",
    r"autorisiert\s+durch\b",
    r"issued\s+by\b",
    r"ausgestellt\s+von\b",
    r"certificate\s+holder\b",
    r"zertifikatsinhaber\b",
];

struct Label {
    role: Role,
    regex: Regex,
    trailing_text: bool,
}

static LABELS: LazyLock<Vec<Label>> = LazyLock::new(|| {
    let groups: [(Role, &[&str], bool); 8] = [
        (Role::CertificateNumber, CERTIFICATE_NUMBER, false),
        (Role::IssueDate, ISSUE_DATE, false),
        (Role::ValidFrom, VALID_FROM, false),
        (Role::Expiry, EXPIRY, false),
        (Role::Expiry, EXPIRY_TRAILING, true),
        (Role::Validity, VALIDITY, false),
        (Role::Distractor, DISTRACTOR, false),
        (Role::Other, OTHER, false),
    ];
    groups
        .into_iter()
        .flat_map(|(role, patterns, trailing_text)| {
            patterns.iter().map(move |p| Label {
                role,
                regex: Regex::new(&format!(r"(?i)^(?:{p})\.?\s*:?")).expect("static regex"),
                trailing_text,
            })
        })
        .collect()
});

/// The label that starts `cell`, if any: the longest match wins.
pub(super) fn label_at_start(cell: &str) -> Option<Found> {
    LABELS
        .iter()
        .filter_map(|l| l.regex.find(cell).map(|m| (l, m.end())))
        .max_by_key(|(l, end)| (*end, !l.trailing_text))
        .map(|(l, end)| Found { role: l.role, end, trailing_text: l.trailing_text })
}

/// Whether `cell` is a label and nothing else (so it holds no value).
pub(super) fn is_label(cell: &str) -> bool {
    let cell = cell.trim();
    if let Some(found) = label_at_start(cell) {
        if cell[found.end..].trim_matches([' ', ':', '.']).is_empty() {
            return true;
        }
    }
    cell.ends_with(':') && !cell.chars().any(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(cell: &str, expected: Option<(Role, &str)>) {
        let got = label_at_start(cell).map(|f| (f.role, &cell[f.end..]));
        assert_eq!(got, expected, "{cell:?}");
    }

    #[test]
    fn recognises_labels() {
        check("Certificate No.: 123", Some((Role::CertificateNumber, " 123")));
        check("Zertifikat-Registrier-Nr.", Some((Role::CertificateNumber, "")));
        check("Inhaber der Zertifikatsnummer: EMS 323214", Some((Role::CertificateNumber, " EMS 323214")));
        check("IATF Certificate No.:", Some((Role::Distractor, "")));
        check("IATF-Zertifikat-Nr.", Some((Role::Distractor, "")));
        check("EMAS registration no.", Some((Role::Distractor, "")));
        check("Ablaufdatum des vorherigen Zyklus:", Some((Role::Distractor, "")));
        check("Ablaufdatum:", Some((Role::Expiry, "")));
        check("Valid until February 26, 2029.", Some((Role::Expiry, "February 26, 2029.")));
        check("Valid:", Some((Role::Validity, "")));
        check("Gültig ab:", Some((Role::ValidFrom, "")));
        check("Date of Certification Decision:", Some((Role::Distractor, "")));
        check("Date of certification", Some((Role::IssueDate, "")));
        check(
            "Subject to the continued satisfactory operation of the organization's Management",
            Some((Role::Expiry, "of the organization's Management")),
        );
        check("Registration Notes", None);
        check("Oakfield Logistics Ltd", None);
    }

    #[test]
    fn tells_labels_from_values() {
        let cases = [
            ("Gültig von", true),
            ("Initial certification date:", true),
            ("Anything else:", true),
            ("44 100 11887752", false),
            ("Registration No. FR021996-2", false),
            ("Address: 12 Main Street", false),
        ];
        for (cell, expected) in cases {
            assert_eq!(is_label(cell), expected, "{cell:?}");
        }
    }
}
