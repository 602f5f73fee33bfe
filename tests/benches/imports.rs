//! Import budgets (issue 6), on Postgres (a fresh database from
//! `DATABASE_URL`): a 100,000-row CSV and a 100,000-row XLSX, generated
//! here (never committed), each imported into a fresh tenant through
//! `ImportService` — parsing, validation, organizations, certificates,
//! audit entries, outbox events, counters and website-discovery jobs.
//! Budgets: under 10 s and under 300 MB peak RSS each. Peak RSS is the
//! process's `VmHWM`, reset (`/proc/self/clear_refs` ← 5) before each import
//! so generating the files does not count.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo bench -p certwatch-tests --bench imports`
//! (`BENCH_IMPORT_ROWS` changes the row count). With
//! `IMPORT_COMPARE_PYTHON=<python with pandas and openpyxl>` it also runs
//! `scripts/import_compare.py` (pandas + openpyxl parsing and validating the
//! same files) and prints its numbers beside ours.

use std::path::Path;
use std::time::Instant;

use certwatch_tests::seed::admin_of;
use certwatch_tests::{core_with_clock, TestDb};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

const HEADER: [&str; 9] = [
    "Supplier ID",
    "Company",
    "Country",
    "Website",
    "VAT",
    "Certificate Type",
    "Certificate Number",
    "Issuing Body",
    "Expiry Date",
];
const TYPES: [&str; 4] = ["ISO 9001", "ISO 14001", "IATF 16949", "ISO/IEC 27001"];

fn csv(rows: u32) -> Vec<u8> {
    let mut s = String::with_capacity(rows as usize * 120);
    s.push_str(&HEADER.join(","));
    s.push('\n');
    for r in 1..=rows {
        let day = 1 + r % 28;
        s.push_str(&format!(
            "{r},Supplier {r} GmbH,DE,https://supplier-{r}.example,DE{:09},{},C-{r:07},TÜV SÜD,2028-03-{day:02}\n",
            100_000_000 + r,
            TYPES[(r % 4) as usize],
        ));
    }
    s.into_bytes()
}

fn xlsx(rows: u32) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).expect("header");
    }
    for r in 1..=rows {
        let expiry = ExcelDateTime::from_ymd(2028, 3, (1 + r % 28) as u8).expect("date");
        ws.write_number(r, 0, f64::from(r)).expect("id");
        ws.write_string(r, 1, format!("Supplier {r} GmbH")).expect("name");
        ws.write_string(r, 2, "DE").expect("country");
        ws.write_string(r, 3, format!("https://supplier-{r}.example")).expect("web");
        ws.write_string(r, 4, format!("DE{:09}", 100_000_000 + r)).expect("vat");
        ws.write_string(r, 5, TYPES[(r % 4) as usize]).expect("type");
        ws.write_string(r, 6, format!("C-{r:07}")).expect("number");
        ws.write_string(r, 7, "TÜV SÜD").expect("body");
        ws.write_datetime_with_format(r, 8, &expiry, &date).expect("date");
    }
    wb.save_to_buffer().expect("xlsx")
}

/// `VmHWM` (peak resident set) of this process, in MB.
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset VmHWM ({e}); peak RSS includes file generation");
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "within budget"
    } else {
        "OVER BUDGET"
    }
}

#[tokio::main]
async fn main() {
    let rows: u32 = std::env::var("BENCH_IMPORT_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let dir = std::env::temp_dir().join(format!("certwatch-import-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let files = [("suppliers.csv", csv(rows)), ("suppliers.xlsx", xlsx(rows))];
    for (name, bytes) in &files {
        std::fs::write(dir.join(name), bytes).expect("write bench file");
        println!("{name}: {rows} rows, {:.1} MB", bytes.len() as f64 / 1e6);
    }
    let db = TestDb::postgres().await;
    let (app, _clock) = core_with_clock(db.store.clone());
    for (i, (name, bytes)) in files.iter().enumerate() {
        let (p, _) = admin_of(&app, &format!("bench{i}@imports.example")).await;
        let bytes = bytes.clone();
        reset_peak_rss();
        let base = peak_rss_mb();
        let started = Instant::now();
        let report = app.imports().import(&p, name, bytes).await.expect("import");
        let secs = started.elapsed().as_secs_f64();
        let peak = peak_rss_mb();
        assert_eq!(report.created, rows, "{:?}", report.errors.first());
        assert!(report.errors.is_empty(), "{:?}", report.errors.first());
        println!(
            "import {name} on Postgres: {secs:.2} s ({:.0} rows/s; budget < 10 s: {}), peak RSS {peak:.0} MB \
             (before: {base:.0} MB; budget < 300 MB: {}); {} organizations, {} certificates",
            f64::from(rows) / secs,
            verdict(secs < 10.0),
            verdict(peak < 300.0),
            report.created,
            report.certificates_created,
        );
    }
    compare_with_pandas(&dir);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs the pandas + openpyxl comparison when a Python is configured.
fn compare_with_pandas(dir: &Path) {
    let Ok(python) = std::env::var("IMPORT_COMPARE_PYTHON") else {
        println!("pandas comparison: set IMPORT_COMPARE_PYTHON to a Python with pandas and openpyxl (see scripts/import_compare.py)");
        return;
    };
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/import_compare.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(dir.join("suppliers.csv"))
        .arg(dir.join("suppliers.xlsx"))
        .output()
        .expect("run the comparison script");
    print!("{}", String::from_utf8_lossy(&out.stdout));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
}
