"""Extract certificate fields from every PDF in a folder with CertWatch's
rules (no network, no model), one JSON line per file.

    python examples/python/extract_folder.py path/to/pdfs [--reference-date 2026-11-01]

Scanned PDFs (no text layer) are reported as needing OCR; unreadable files
with their error.
"""

import argparse
import json
import sys
from pathlib import Path

import certwatch

SUMMARY = ("certificate_number", "certificate_type", "issuing_body", "holder_name", "issue_date", "expiry_date")


def extract(path: Path, reference_date=None) -> dict:
    try:
        text = certwatch.pdf_text(path.read_bytes())
    except certwatch.ExtractionError as e:
        return {"file": path.name, "error": str(e)}
    if not text["has_text_layer"]:
        return {"file": path.name, "error": "no text layer (a scan: needs OCR)"}
    found = certwatch.extract_fields(text["text"], filename=path.name, reference_date=reference_date)
    fields = found["fields"]
    return {
        "file": path.name,
        "is_certificate": found["is_certificate"],
        **{k: (fields[k] or {}).get("value") for k in SUMMARY},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--reference-date", help="the day the documents are judged on (YYYY-MM-DD)")
    args = parser.parse_args()
    if not args.folder.is_dir():
        parser.error(f"{args.folder} is not a folder")
    for path in sorted(args.folder.iterdir()):
        if path.suffix.lower() == ".pdf" and path.is_file():
            print(json.dumps(extract(path, args.reference_date), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
