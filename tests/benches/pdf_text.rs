//! How fast `pdf_text` reads the corpus's text PDFs, to compare with
//! pdfplumber (`scripts/bench_pdfplumber.py` measures the same documents the
//! same way; the issue budget is at least 10× faster). Also times the
//! rule-based `extract_fields` on the extracted text.
//!
//! Run: `cargo bench -p certwatch-tests --bench pdf_text`
//! (`BENCH_ROUNDS` sets the rounds, default: as many as fit in ~3 s, at
//! least 20; `CERTWATCH_CORPUS_DIR` points at another copy of the corpus).
//! Both print `RESULT tool=… docs=… rounds=… ms_per_doc=… mb_per_s=…`.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use certwatch_core::extraction::{extract_fields, pdf_text, Hints, PdfLimits};
use serde_json::Value;

fn corpus_dir() -> PathBuf {
    let dir = std::env::var_os("CERTWATCH_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    assert!(dir.join("manifest.json").is_file(), "corpus missing at {} (set CERTWATCH_CORPUS_DIR)", dir.display());
    dir
}

/// Runs `f` over all documents for `rounds` rounds (after one warm-up
/// round) and returns the wall time of each round.
fn rounds<T>(docs: &[(String, Vec<u8>)], rounds: usize, mut f: impl FnMut(&[u8]) -> T) -> Vec<Duration> {
    for (_, bytes) in docs {
        black_box(f(bytes));
    }
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for (_, bytes) in docs {
                black_box(f(black_box(bytes)));
            }
            start.elapsed()
        })
        .collect()
}

fn report(tool: &str, docs: usize, bytes: usize, mut times: Vec<Duration>) {
    times.sort();
    let total: Duration = times.iter().sum();
    let n = times.len();
    let ms_per_doc = total.as_secs_f64() * 1e3 / (n * docs) as f64;
    let median_ms_per_doc = times[n / 2].as_secs_f64() * 1e3 / docs as f64;
    let mb_per_s = (bytes * n) as f64 / 1e6 / total.as_secs_f64();
    println!(
        "{tool}: {docs} documents, {:.2} MB, {n} rounds: {ms_per_doc:.3} ms/doc (median round {median_ms_per_doc:.3} ms/doc), {mb_per_s:.1} MB/s",
        bytes as f64 / 1e6
    );
    println!("RESULT tool={tool} docs={docs} rounds={n} ms_per_doc={ms_per_doc:.4} mb_per_s={mb_per_s:.2}");
}

fn main() {
    let dir = corpus_dir();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("read manifest")).expect("manifest");
    let docs: Vec<(String, Vec<u8>)> = manifest["documents"]
        .as_array()
        .expect("documents")
        .iter()
        .filter(|d| d["format"] == "text_pdf")
        .map(|d| {
            let path = dir.join(d["path"].as_str().expect("path"));
            (d["file"].as_str().expect("file").to_string(), std::fs::read(&path).expect("read document"))
        })
        .collect();
    let bytes: usize = docs.iter().map(|(_, b)| b.len()).sum();
    let limits = PdfLimits::default();

    // Size the run: enough rounds for ~3 s, at least 20.
    let probe = rounds(&docs, 1, |b| pdf_text(b, &limits))[0];
    let n = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| ((3.0 / probe.as_secs_f64().max(1e-6)) as usize).clamp(20, 10_000));

    report("pdf_text", docs.len(), bytes, rounds(&docs, n, |b| pdf_text(b, &limits)));

    let texts: Vec<(String, Vec<u8>)> =
        docs.iter().map(|(name, b)| (name.clone(), pdf_text(b, &limits).expect("text").text().into_bytes())).collect();
    let text_bytes: usize = texts.iter().map(|(_, t)| t.len()).sum();
    let hints = Hints::default();
    report(
        "extract_fields",
        texts.len(),
        text_bytes,
        rounds(&texts, n, |t| extract_fields(std::str::from_utf8(t).unwrap_or_default(), &hints)),
    );
}
