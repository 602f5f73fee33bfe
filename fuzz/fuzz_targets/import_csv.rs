//! CSV imports: any bytes named `.csv` either parse into rows and row
//! errors or are refused with an `ImportError` — never a panic — and the
//! export escaping never leaves a formula-like cell.
#![no_main]

use certwatch_core::certificates::types::SEEDED_TYPES;
use certwatch_core::certificates::CertificateType;
use certwatch_core::imports::{escape_formula, parse_file, ImportLimits, TypeIndex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let types: Vec<CertificateType> = SEEDED_TYPES
        .iter()
        .map(|(code, name, description)| CertificateType {
            code: (*code).into(),
            name: (*name).into(),
            description: (*description).into(),
        })
        .collect();
    let index = TypeIndex::new(&types);
    let limits = ImportLimits { max_rows: 10_000, ..ImportLimits::default() };
    if let Ok(parsed) = parse_file("fuzz.csv", data, &index, &limits) {
        for row in &parsed.rows {
            if let Some(name) = &row.name {
                let escaped = escape_formula(name);
                assert!(!escaped.starts_with(['=', '+', '-', '@', '\t', '\r']));
            }
        }
    }
});
