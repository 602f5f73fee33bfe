#!/usr/bin/env python3
"""Time pdfplumber on the corpus's text PDFs, the way tests/benches/pdf_text.rs
times CertWatch's pdf_text, so the two can be compared (issue budget: pdf_text
at least 10x faster).

    pip install pdfplumber
    python3 scripts/bench_pdfplumber.py            # pdfplumber alone
    python3 scripts/bench_pdfplumber.py --rust     # also runs the Rust bench and prints the ratio

Same documents (every `text_pdf` of shared/corpus/manifest.json), same shape:
one warm-up round, then N timed rounds over all documents, reading every page's
text (`page.extract_text()`), from bytes already in memory. Prints
`RESULT tool=pdfplumber docs=... rounds=... ms_per_doc=... mb_per_s=...`.
"""

import argparse
import io
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus_dir() -> Path:
    env = os.environ.get("CERTWATCH_CORPUS_DIR")
    path = Path(env) if env else ROOT.parent / "shared" / "corpus"
    if not (path / "manifest.json").is_file():
        sys.exit(f"corpus missing at {path} (set CERTWATCH_CORPUS_DIR)")
    return path


def load_documents(path: Path):
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    docs = [d for d in manifest["documents"] if d["format"] == "text_pdf"]
    return [(d["file"], (path / d["path"]).read_bytes()) for d in docs]


def extract(pdfplumber, data: bytes) -> str:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return "\n\f\n".join(page.extract_text() or "" for page in pdf.pages)


def bench_pdfplumber(docs, rounds: int):
    try:
        import pdfplumber
    except ImportError:
        sys.exit("pdfplumber is not installed: pip install pdfplumber")
    for _, data in docs:  # warm-up
        extract(pdfplumber, data)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _, data in docs:
            extract(pdfplumber, data)
        times.append(time.perf_counter() - start)
    total_bytes = sum(len(d) for _, d in docs)
    total = sum(times)
    ms_per_doc = total * 1e3 / (rounds * len(docs))
    median = sorted(times)[len(times) // 2] * 1e3 / len(docs)
    mb_per_s = total_bytes * rounds / 1e6 / total
    print(
        f"pdfplumber {pdfplumber.__version__}: {len(docs)} documents, {total_bytes / 1e6:.2f} MB, "
        f"{rounds} rounds: {ms_per_doc:.3f} ms/doc (median round {median:.3f} ms/doc), {mb_per_s:.2f} MB/s"
    )
    print(f"RESULT tool=pdfplumber docs={len(docs)} rounds={rounds} ms_per_doc={ms_per_doc:.4f} mb_per_s={mb_per_s:.2f}")
    return ms_per_doc


def bench_rust():
    cmd = ["cargo", "bench", "-p", "certwatch-tests", "--bench", "pdf_text"]
    print("running:", " ".join(cmd), flush=True)
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    print(out, end="")
    match = re.search(r"RESULT tool=pdf_text .*?ms_per_doc=([0-9.]+)", out)
    if not match:
        sys.exit("no RESULT line from the Rust bench")
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (default 5)")
    parser.add_argument("--rust", action="store_true", help="also run the Rust bench and print the speed-up")
    args = parser.parse_args()
    docs = load_documents(corpus_dir())
    plumber = bench_pdfplumber(docs, args.rounds)
    if args.rust:
        rust = bench_rust()
        print(f"pdf_text is {plumber / rust:.0f}x faster than pdfplumber (budget: at least 10x)")


if __name__ == "__main__":
    main()
