//! Whether a document is a certificate at all. A certificate has a title
//! ("Certificate", "Zertifikat", "Certificate of Registration", "EU-Type
//! Examination Certificate", …) and attests something ("This is to certify
//! that", "bescheinigt, dass", "has been assessed and certified"); invoices,
//! data sheets and letters mention certificates, numbers and standards too,
//! but carry their own markers ("Invoice no.", "Datenblatt", "Sehr geehrte",
//! "Kind regards"), which rule them out.

use std::sync::LazyLock;

use regex::Regex;

use super::text::Doc;

/// A short line that titles a certificate.
static TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)^(?:[\w\s\[\]-]{0,40}[\s-])?(?:certificate|zertifikat|certificado|certificat|certificato|registrierungszertifikat|konformitätsbescheinigung|zulassung|qualitätssicherungszulassung|approval|certification|zertifizierung)(?:\s+(?:of|der|de|du|für|for)\s+[\w\s-]{1,40}|\s*[–-]\s*[\w\s()-]{1,40})?$",
    )
    .expect("static regex")
});

static ATTESTATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        this\s+is\s+to\s+certify | hereby\s+certif | certif(?:y|ies)\s+that | certify,?\s+in\s+accordance
        | has\s+been\s+(?:assessed|registered|approved|audited|found\s+to\s+(?:conform|comply))
        | (?:wurde|ist)\s+(?:bewertet|zertifiziert|auditiert)
        | hiermit\s+wird\s+(?:bestätigt|bescheinigt|gemäß) | bescheinigt(?:\s+hiermit)?,?\s+dass | bescheinigt\s+für
        | bestätigt,?\s+dass | awarded\s+to | verliehen\s+an | certifies\s+that | dieses\s+zertifikat\s+bescheinigt
        | this\s+certificate\s+(?:is\s+valid|certifies) | dieses\s+zertifikat\s+ist\s+gültig
        | is\s+certified\s+in\s+accordance | has\s+been\s+furnished",
    )
    .expect("static regex")
});

/// Markers of documents that are not certificates.
static NOT_A_CERTIFICATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?ix)
        ^(?:invoice|rechnung|proforma|pro\s+forma|quotation|angebot|lieferschein|delivery\s+note|purchase\s+order)\b
        | \binvoice\s+(?:no|number|date)\b | \brechnungs(?:nummer|datum)\b | \bpayment\s+due\b | \bzahlbar\b | \biban\b
        | \b(?:technical\s+)?data\s*sheet\b | \b(?:technisches\s+)?datenblatt\b | \bproduktdatenblatt\b
        | ^sehr\s+geehrte | ^dear\s+(?:sir|madam|mr|mrs|ms|customer|colleague|all|\p{Lu}) | ^mit\s+freundlichen\s+grüßen
        | ^(?:kind|best|warm)\s+regards | ^yours\s+(?:sincerely|faithfully) | ^freundliche\s+grüße",
    )
    .expect("static regex")
});

/// Whether `doc` is a certificate: a title and an attestation on page
/// one, and no marker of an invoice, a data sheet or a letter.
pub(super) fn is_certificate(doc: &Doc<'_>) -> bool {
    let page_one = || doc.lines.iter().filter(|l| l.page == 0);
    let titled = page_one().any(|l| l.cells.iter().any(|c| c.split_whitespace().count() <= 8 && TITLE.is_match(c)));
    let attests = page_one().any(|l| ATTESTATION.is_match(l.text));
    let other = doc.lines.iter().any(|l| l.cells.iter().any(|c| NOT_A_CERTIFICATE.is_match(c)));
    titled && attests && !other
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expected: bool) {
        assert_eq!(is_certificate(&Doc::parse(text)), expected, "{text:?}");
    }

    #[test]
    fn tells_certificates_from_other_documents() {
        let cases = [
            ("Certificate of Registration\nThis is to certify that:\tAcme Ltd", true),
            ("TÜV NORD\tZERTIFIKAT\nHiermit wird gemäß den Verfahren der TÜV NORD CERT GmbH bescheinigt, dass", true),
            ("[1] EU-TYPE EXAMINATION CERTIFICATE\ncertifies that this product has been found to comply", true),
            ("CERTIFICATE\nSGS\tGB24/55486\nhas been assessed and certified as meeting", true),
            ("INVOICE\nInvoice no.\tINV-1\nReference: certificate no. 44 111 67614223", false),
            ("Technical Data Sheet\tRevision 1\nQuality: certified to ISO 9001:2015. Certificate no. GB24/55486", false),
            (
                "Ankündigung des Überwachungsaudits – Zertifikat-Nr. DE089799\nSehr geehrte Damen und Herren,\nIhr aktuelles Zertifikat wurde am 24.07.2024 ausgestellt.",
                false,
            ),
            ("Certificate\nDear Mr Smith,\nplease find attached our certificate. This is to certify that we comply.", false),
            ("", false),
        ];
        for (text, expected) in cases {
            check(text, expected);
        }
    }
}
