//! Rule-based field extraction: certificate fields out of plain text
//! (English and German), with no network and no model. Deterministic and
//! fast: pure functions over `&str`, regexes compiled once.
//!
//! Each field has its own module: [`dates`] (issue date, validity and the
//! five date styles), [`numbers`] (certificate number), [`types`] (standard
//! and type code), [`bodies`] (issuing body), [`holder`], [`scope`] (scope
//! and annex sites) and [`classify`] (is this a certificate at all). They
//! share the label vocabulary of [`labels`] and the line/cell view of
//! [`text`], which is how distractors (audit, print and initial dates;
//! accreditation, report, IATF, EMAS and approval numbers) stay out: a value
//! is only read under its own label, never under another one.

mod bodies;
mod classify;
mod dates;
mod holder;
mod labels;
mod numbers;
mod scope;
mod text;
mod types;

pub(crate) mod evidence;

use chrono::NaiveDate;
use serde::Serialize;

/// What the caller knows besides the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hints {
    /// The document's file name (`Zertifikat_ISO9001.pdf` suggests `ISO_9001`).
    pub filename: Option<String>,
    /// The day the extraction is about (dates more than 30 years after it
    /// are not believed). Rules never read the clock.
    pub reference_date: Option<NaiveDate>,
}

/// One extracted value, how sure the rules are of it, and the text it was
/// read from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Field<T> {
    /// The value.
    pub value: T,
    /// 0 to 1: 0.9 for a value under its own label, less for values read
    /// from a sentence, a shape or a hint.
    pub confidence: f32,
    /// The text the value came from.
    pub evidence: String,
}

/// A site listed on a certificate (in an annex table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Site {
    /// The site's name as printed.
    pub name: String,
    /// Its address as printed, lines joined with spaces.
    pub address: Option<String>,
    /// The activities certified there.
    pub scope: Option<String>,
}

/// The fields of a certificate.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ExtractedFields {
    /// As printed, internal spaces kept (`12 100 45678 TMS`).
    pub certificate_number: Option<Field<String>>,
    /// The canonical type code of
    /// [`SEEDED_TYPES`](crate::certificates::types::SEEDED_TYPES) (`ISO_9001`).
    pub certificate_type: Option<Field<String>>,
    /// The standard as printed (`DIN EN ISO 9001:2015`).
    pub standard_text: Option<Field<String>>,
    /// The issuing body's brand (`TÜV SÜD`, `DNV`, …).
    pub issuing_body: Option<Field<String>>,
    /// The certificate holder as printed, legal form included.
    pub holder_name: Option<Field<String>>,
    /// The day the certificate document was issued.
    pub issue_date: Option<Field<NaiveDate>>,
    /// The start of validity, when printed.
    pub valid_from: Option<Field<NaiveDate>>,
    /// The end of validity, when printed.
    pub expiry_date: Option<Field<NaiveDate>>,
    /// The scope of certification, lines joined with spaces.
    pub scope: Option<Field<String>>,
    /// Sites named in a site list or annex.
    pub sites: Option<Field<Vec<Site>>>,
}

/// The result of [`extract_fields`].
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extraction {
    /// Whether the text is a certificate (not an invoice, data sheet or
    /// letter that mentions one). The fields are filled either way: a data
    /// sheet's certificate number is still worth knowing.
    pub is_certificate: bool,
    /// What was found.
    pub fields: ExtractedFields,
}

/// Reads certificate fields out of `text` (as [`pdf_text`](super::pdf_text)
/// produces it, or any plain text: pages separated by form feeds, cells by
/// tabs or runs of spaces).
pub fn extract_fields(text: &str, hints: &Hints) -> Extraction {
    let doc = text::Doc::parse(text);
    let (certificate_type, standard_text) = types::extract(&doc, hints.filename.as_deref());
    let issuing_body = bodies::extract(&doc);
    let holder_name = holder::extract(&doc, issuing_body.as_ref().map(|b| b.value.as_str()));
    let dates = dates::extract(&doc, hints);
    Extraction {
        is_certificate: classify::is_certificate(&doc),
        fields: ExtractedFields {
            certificate_number: numbers::extract(&doc),
            certificate_type,
            standard_text,
            issuing_body,
            holder_name,
            issue_date: dates.issue_date,
            valid_from: dates.valid_from,
            expiry_date: dates.expiry_date,
            scope: scope::extract(&doc),
            sites: scope::sites(&doc),
        },
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const BSI: &str = "Certificate of Registration\nbsi.\nENVIRONMENTAL MANAGEMENT SYSTEM - ISO 14001:2015\n\
        This is to certify that:\tThameside Surface Technologies Limited\n66 Aston Science Park\n\
        Holds Certificate Number:\tEMS 530383\nand operates an environmental management system which complies with the requirements of ISO\n\
        14001:2015 for the following scope:\nElectroplating, powder coating and cathodic dip painting of metal parts\n\n\
        For and on behalf of BSI:\n\
        Original Registration Date:\t28.08.2000\tEffective Date:\t26.08.2026\n\
        Latest Revision Date:\t26.08.2026\tExpiry Date:\t25.08.2029\n\
        BSI Assurance UK Ltd, Kitemark Court, Davy Avenue, Knowlhill, Milton Keynes MK5 8PP";

    #[test]
    fn extracts_a_whole_certificate() {
        let got = extract_fields(BSI, &Hints::default());
        assert!(got.is_certificate);
        let f = got.fields;
        let value = |f: &Option<Field<String>>| f.as_ref().map(|f| f.value.clone());
        let date = |f: &Option<Field<NaiveDate>>| f.as_ref().map(|f| f.value.to_string());
        assert_eq!(value(&f.certificate_number).as_deref(), Some("EMS 530383"));
        assert_eq!(value(&f.certificate_type).as_deref(), Some("ISO_14001"));
        assert_eq!(value(&f.standard_text).as_deref(), Some("ISO 14001:2015"));
        assert_eq!(value(&f.issuing_body).as_deref(), Some("BSI"));
        assert_eq!(value(&f.holder_name).as_deref(), Some("Thameside Surface Technologies Limited"));
        assert_eq!(date(&f.issue_date).as_deref(), Some("2026-08-26"));
        assert_eq!(date(&f.valid_from).as_deref(), Some("2026-08-26"));
        assert_eq!(date(&f.expiry_date).as_deref(), Some("2029-08-25"));
        assert_eq!(
            value(&f.scope).as_deref(),
            Some("Electroplating, powder coating and cathodic dip painting of metal parts")
        );
        for field in [&f.certificate_number, &f.certificate_type, &f.issuing_body, &f.holder_name, &f.scope]
            .into_iter()
            .flatten()
        {
            assert!((0.0..=1.0).contains(&field.confidence), "{field:?}");
            assert!(!field.evidence.is_empty(), "{field:?}");
        }
    }

    #[test]
    fn empty_text_yields_nothing() {
        assert_eq!(extract_fields("", &Hints::default()), Extraction::default());
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_on_arbitrary_text(text in any::<String>(), name in proptest::option::of(any::<String>())) {
            let got = extract_fields(&text, &Hints { filename: name, reference_date: None });
            let f = got.fields;
            for c in [
                f.certificate_number.map(|f| f.confidence),
                f.issue_date.map(|f| f.confidence),
                f.expiry_date.map(|f| f.confidence),
                f.certificate_type.map(|f| f.confidence),
            ].into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&c));
            }
        }

        #[test]
        fn never_panics_on_certificate_like_text(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Certificate No.:", "Gültig bis", "\t", "12.05.2022", "5. März 2025", "March 5, 2025", "ISO 9001:2015",
                    "TÜV SÜD", "This is to certify that", "GmbH", "Scope:", "No.\tSite\tAddress\tActivities", "1",
                    "(Hauptsitz)", "\u{c}", "–", ":", "Valid: 1 May 2024 – 30 April 2027", "Sehr geehrte",
                ]),
                0..40,
            ),
            seps in proptest::collection::vec(proptest::sample::select(vec![" ", "\n", "\t", "", "   "]), 40),
        ) {
            let text: String = lines.iter().zip(&seps).map(|(l, s)| format!("{l}{s}")).collect();
            let _ = extract_fields(&text, &Hints::default());
        }
    }
}
