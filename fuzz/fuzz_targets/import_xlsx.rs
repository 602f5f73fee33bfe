//! Workbook imports: any bytes named `.xlsx` or `.xls` go through the
//! magic-byte check, the zip-bomb guard (small limits, so the fuzzer stays
//! fast) and calamine, and either parse or are refused — never a panic.
#![no_main]

use certwatch_core::imports::{parse_file, ImportLimits, TypeIndex, ZipLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = ImportLimits {
        max_file_bytes: 4 * 1024 * 1024,
        max_rows: 10_000,
        zip: ZipLimits {
            max_entries: 200,
            max_entry_bytes: 16 * 1024 * 1024,
            max_total_bytes: 32 * 1024 * 1024,
            max_ratio: 250,
            ratio_floor: 1024 * 1024,
        },
        ..ImportLimits::default()
    };
    let types = TypeIndex::default();
    let _ = parse_file("fuzz.xlsx", data, &types, &limits);
    let _ = parse_file("fuzz.xls", data, &types, &limits);
});
