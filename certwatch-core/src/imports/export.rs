//! Writing spreadsheets: the import template and the export of a tenant's
//! organizations, as CSV (UTF-8 with BOM, comma) or `.xlsx`.
//!
//! Formula injection: a spreadsheet program runs a cell that starts with
//! `=`, `+`, `-`, `@`, tab or carriage return as a formula (`=cmd|' /C
//! calc'!A0`). Every exported text cell starting so is prefixed with `'`,
//! which makes it literal text, and `.xlsx` cells are written as strings,
//! never formulas.

use rust_xlsxwriter::{Format as XlsxFormat, Workbook, XlsxError};

use super::error::ImportError;
use super::header::Field;
use crate::suppliers::Organization;

/// The format of a written spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// CSV, UTF-8 with BOM, comma separated.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
}

impl ExportFormat {
    /// The media type.
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }
}

/// `value` made safe to open in a spreadsheet program: prefixed with `'`
/// when it starts with a character that would make it a formula.
pub fn escape_formula(value: &str) -> String {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    }
}

/// The template's example row.
const EXAMPLE: [&str; 11] = [
    "SUP-0001",
    "Example Supplier GmbH",
    "DE",
    "https://supplier.example",
    "",
    "DE123456789",
    "ISO 9001",
    "Q-12345",
    "TÜV SÜD",
    "2025-01-15",
    "2028-01-14",
];

/// The import template: the canonical header row and one example row; the
/// `.xlsx` adds a sheet listing every column's accepted header aliases.
pub fn template(format: ExportFormat) -> Result<Vec<u8>, ImportError> {
    let header: Vec<&str> = Field::ALL.iter().map(|f| f.header()).collect();
    let rows =
        vec![header.iter().map(|s| (*s).to_owned()).collect(), EXAMPLE.iter().map(|s| (*s).to_owned()).collect()];
    match format {
        ExportFormat::Csv => csv_bytes(&rows),
        ExportFormat::Xlsx => xlsx_bytes(&rows, true).map_err(write_error),
    }
}

/// The organizations as a spreadsheet in the import's columns (certificate
/// columns left out), every cell escaped against formula injection.
pub fn organizations(orgs: &[Organization], format: ExportFormat) -> Result<Vec<u8>, ImportError> {
    let mut rows: Vec<Vec<String>> = Vec::with_capacity(orgs.len() + 1);
    rows.push(["external_id", "name", "country", "website", "lei", "vat"].iter().map(|s| (*s).to_owned()).collect());
    for o in orgs {
        rows.push(vec![
            o.external_id.clone().unwrap_or_default(),
            o.name.clone(),
            o.country.as_ref().map(|v| v.as_str().to_owned()).unwrap_or_default(),
            o.website.as_ref().map(|v| v.as_str().to_owned()).unwrap_or_default(),
            o.lei.as_ref().map(|v| v.as_str().to_owned()).unwrap_or_default(),
            o.vat.as_ref().map(|v| v.as_str().to_owned()).unwrap_or_default(),
        ]);
    }
    for r in rows.iter_mut() {
        for c in r.iter_mut() {
            *c = escape_formula(c);
        }
    }
    match format {
        ExportFormat::Csv => csv_bytes(&rows),
        ExportFormat::Xlsx => xlsx_bytes(&rows, false).map_err(write_error),
    }
}

fn write_error(e: XlsxError) -> ImportError {
    ImportError::Write(e.to_string())
}

fn csv_bytes(rows: &[Vec<String>]) -> Result<Vec<u8>, ImportError> {
    let mut w = csv::WriterBuilder::new().from_writer(b"\xEF\xBB\xBF".to_vec());
    for r in rows {
        w.write_record(r).map_err(|e| ImportError::Write(e.to_string()))?;
    }
    w.into_inner().map_err(|e| ImportError::Write(e.to_string()))
}

fn xlsx_bytes(rows: &[Vec<String>], with_help: bool) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let bold = XlsxFormat::new().set_bold();
    let sheet = wb.add_worksheet();
    sheet.set_name("Suppliers")?;
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, v) in row.iter().enumerate() {
            let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
            if r == 0 {
                sheet.write_string_with_format(r, c, v, &bold)?;
            } else if !v.is_empty() {
                sheet.write_string(r, c, v)?;
            }
        }
    }
    if with_help {
        let help = wb.add_worksheet();
        help.set_name("Columns")?;
        help.write_string_with_format(0, 0, "column", &bold)?;
        help.write_string_with_format(0, 1, "also recognised as (case, spaces, _ - . ignored)", &bold)?;
        for (i, f) in Field::ALL.iter().enumerate() {
            let r = u32::try_from(i + 1).map_err(|_| XlsxError::RowColumnLimitError)?;
            help.write_string(r, 0, f.header())?;
            help.write_string(r, 1, f.aliases().join(", "))?;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_escaped() {
        for bad in ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(escape_formula(bad).starts_with('\''), "{bad:?}");
        }
        assert_eq!(escape_formula("ACME"), "ACME");
        assert_eq!(escape_formula(""), "");
    }

    #[test]
    fn templates_parse_back() {
        let types = super::super::TypeIndex::new(&[crate::certificates::CertificateType {
            code: "ISO_9001".into(),
            name: "ISO 9001".into(),
            description: String::new(),
        }]);
        for (f, name) in [(ExportFormat::Csv, "t.csv"), (ExportFormat::Xlsx, "t.xlsx")] {
            let bytes = template(f).expect("template");
            let parsed = super::super::parse_file(name, &bytes, &types, &Default::default()).expect("parses");
            assert_eq!(parsed.columns.fields.len(), Field::ALL.len());
            assert_eq!(parsed.rows.len(), 1, "{:?}", parsed.errors);
            assert_eq!(parsed.rows[0].certificate.as_ref().map(|c| c.certificate_type.as_str()), Some("ISO_9001"));
        }
    }

    proptest::proptest! {
        /// No escaped value starts a formula, and escaping only ever adds
        /// the one quote.
        #[test]
        fn escaped_values_never_start_a_formula(v in "\\PC{0,20}") {
            let e = escape_formula(&v);
            proptest::prop_assert!(!e.starts_with(['=', '+', '-', '@', '\t', '\r']));
            let quoted = format!("'{}", v);
            proptest::prop_assert!(e == v || e == quoted);
        }
    }
}
