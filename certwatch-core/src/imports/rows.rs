//! From sheet rows to import rows: the cells of the recognised columns as
//! organization and certificate fields, certificate types resolved against
//! the seeded types, dates parsed. Problems become [`RowError`]s naming the
//! row and the column as the file names it.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::cell::{Cell, RawRow};
use super::header::{Columns, Field};
use crate::certificates::CertificateType;

/// One row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// Row number in the file (as the spreadsheet program shows it).
    pub row: u32,
    /// The column as the file names it, when one column is at fault.
    pub column: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// The certificate part of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    /// Resolved type code.
    pub certificate_type: String,
    /// Certificate number.
    pub number: Option<String>,
    /// Certification body.
    pub issuing_body: Option<String>,
    /// Date of issue.
    pub issue_date: Option<NaiveDate>,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
}

/// A data row, parsed; values are raw text the services validate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    /// Row number in the file.
    pub row: u32,
    /// Supplier reference.
    pub external_id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Country.
    pub country: Option<String>,
    /// Homepage.
    pub website: Option<String>,
    /// LEI.
    pub lei: Option<String>,
    /// VAT number.
    pub vat: Option<String>,
    /// The certificate, when the row has one.
    pub certificate: Option<CertificateRow>,
}

/// Seeded certificate types by folded code and folded name.
#[derive(Debug, Clone, Default)]
pub struct TypeIndex(HashMap<String, String>);

fn fold_type(s: &str) -> String {
    let s = s.split(':').next().unwrap_or(s);
    s.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '/'))
        .flat_map(char::to_lowercase)
        .collect()
}

impl TypeIndex {
    /// The index of `types`: each by its code and its name, folded (so
    /// `ISO 9001`, `iso_9001` and `ISO 9001:2015` all name `ISO_9001`).
    pub fn new(types: &[CertificateType]) -> Self {
        let mut m = HashMap::new();
        for t in types {
            m.insert(fold_type(&t.name), t.code.clone());
        }
        for t in types {
            m.insert(fold_type(&t.code), t.code.clone());
        }
        Self(m)
    }
    /// The code `text` names.
    pub fn resolve(&self, text: &str) -> Option<&str> {
        self.0.get(&fold_type(text)).map(String::as_str)
    }
}

fn cell<'a>(row: &'a RawRow, cols: &Columns, f: Field) -> &'a Cell {
    static EMPTY: Cell = Cell::Empty;
    cols.index(f).and_then(|i| row.cells.get(i)).unwrap_or(&EMPTY)
}

/// The data rows below the header (blank rows skipped), and the errors of
/// rows that can't be read.
pub fn parse_rows(rows: &[RawRow], cols: &Columns, types: &TypeIndex) -> (Vec<ImportRow>, Vec<RowError>) {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for r in rows.iter().skip(cols.header_index + 1) {
        if r.is_blank() {
            continue;
        }
        match parse_row(r, cols, types) {
            Ok(row) => out.push(row),
            Err(e) => errors.extend(e),
        }
    }
    (out, errors)
}

fn parse_row(r: &RawRow, cols: &Columns, types: &TypeIndex) -> Result<ImportRow, Vec<RowError>> {
    let text = |f| cell(r, cols, f).text();
    let mut errors = Vec::new();
    let mut err = |f: Field, message: String| {
        errors.push(RowError { row: r.number, column: Some(cols.label(f)), message });
    };
    let mut certificate = None;
    let cert_fields =
        [Field::CertificateType, Field::CertificateNumber, Field::IssuingBody, Field::IssueDate, Field::ExpiryDate];
    if cert_fields.iter().any(|f| !cell(r, cols, *f).is_blank()) {
        let mut date = |f: Field| match cell(r, cols, f).date() {
            Ok(d) => d,
            Err(m) => {
                err(f, m);
                None
            }
        };
        let issue_date = date(Field::IssueDate);
        let expiry_date = date(Field::ExpiryDate);
        let certificate_type = match text(Field::CertificateType) {
            None => {
                err(
                    Field::CertificateType,
                    "a certificate type is required when certificate columns are filled".into(),
                );
                None
            }
            Some(t) => match types.resolve(&t) {
                Some(code) => Some(code.to_owned()),
                None => {
                    err(Field::CertificateType, format!("unknown certificate type {t:?}"));
                    None
                }
            },
        };
        if let Some(certificate_type) = certificate_type {
            certificate = Some(CertificateRow {
                certificate_type,
                number: text(Field::CertificateNumber),
                issuing_body: text(Field::IssuingBody),
                issue_date,
                expiry_date,
            });
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ImportRow {
        row: r.number,
        external_id: text(Field::ExternalId),
        name: text(Field::Name),
        country: text(Field::Country),
        website: text(Field::Website),
        lei: text(Field::Lei),
        vat: text(Field::Vat),
        certificate,
    })
}

#[cfg(test)]
mod tests {
    use super::super::header::find_header;
    use super::*;

    fn types() -> TypeIndex {
        TypeIndex::new(&[
            CertificateType { code: "ISO_9001".into(), name: "ISO 9001".into(), description: String::new() },
            CertificateType { code: "ISO_27001".into(), name: "ISO/IEC 27001".into(), description: String::new() },
        ])
    }

    #[test]
    fn types_resolve_by_code_or_name() {
        let t = types();
        assert_eq!(t.resolve("iso 9001"), Some("ISO_9001"));
        assert_eq!(t.resolve("ISO 9001:2015"), Some("ISO_9001"));
        assert_eq!(t.resolve("ISO/IEC 27001"), Some("ISO_27001"));
        assert_eq!(t.resolve("ISO_27001"), Some("ISO_27001"));
        assert_eq!(t.resolve("ISO 9999"), None);
    }

    #[test]
    fn rows_and_their_errors() {
        let t = |s: &str| Cell::Text(s.into());
        let rows = vec![
            RawRow { number: 1, cells: vec![t("Supplier ID"), t("Name"), t("Type"), t("Expiry")] },
            RawRow { number: 2, cells: vec![Cell::Number(12345.0), t("ACME"), t("ISO 9001"), Cell::Number(46477.0)] },
            RawRow { number: 3, cells: vec![Cell::Empty, Cell::Empty] },
            RawRow { number: 4, cells: vec![t("9"), t("Beta"), t("Nope"), t("someday")] },
            RawRow { number: 5, cells: vec![t("10"), t("Gamma")] },
        ];
        let cols = find_header(&rows).expect("header");
        let (ok, errs) = parse_rows(&rows, &cols, &types());
        assert_eq!(ok.len(), 2);
        assert_eq!(ok[0].external_id.as_deref(), Some("12345"));
        let cert = ok[0].certificate.as_ref().expect("certificate");
        assert_eq!(cert.certificate_type, "ISO_9001");
        assert_eq!(cert.expiry_date, NaiveDate::from_ymd_opt(2027, 3, 31));
        assert!(ok[1].certificate.is_none());
        assert_eq!(errs.len(), 2);
        assert!(errs.iter().all(|e| e.row == 4));
        assert!(errs.iter().any(|e| e.column.as_deref() == Some("Type") && e.message.contains("unknown")));
        assert!(errs.iter().any(|e| e.column.as_deref() == Some("Expiry")));
    }
}
