"""Extraction from Python equals extraction from Rust on every text PDF of
the development corpus (the oracle calls the core directly)."""

import json

import certwatch


def test_python_extraction_equals_rust(oracle, corpus):
    rust = json.loads(oracle("extract", corpus).stdout)
    manifest = json.loads((corpus / "manifest.json").read_text(encoding="utf-8"))
    docs = [d for d in manifest["documents"] if d["format"] == "text_pdf"]
    assert len(docs) == len(rust) > 0
    for d in docs:
        text = certwatch.pdf_text((corpus / d["path"]).read_bytes())
        assert text["text"] == rust[d["file"]]["text"], d["file"]
        got = certwatch.extract_fields(text["text"], filename=d["file"], reference_date=d["reference_date"])
        assert got == rust[d["file"]]["extraction"], d["file"]
