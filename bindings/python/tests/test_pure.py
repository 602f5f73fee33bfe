"""The pure surface: state machine, validators, dedupe, extraction."""

import datetime

import pytest

import certwatch


def test_state_machine_matches_the_spec():
    assert certwatch.statuses() == ["PENDING", "ACTIVE", "SUSPENDED", "EXPIRED", "REVOKED"]
    edges = {s: certwatch.allowed_transitions(s) for s in certwatch.statuses()}
    assert edges == {
        "PENDING": ["ACTIVE", "REVOKED", "EXPIRED"],
        "ACTIVE": ["EXPIRED", "REVOKED", "SUSPENDED"],
        "SUSPENDED": ["ACTIVE", "REVOKED", "EXPIRED"],
        "EXPIRED": ["ACTIVE"],
        "REVOKED": [],
    }
    assert certwatch.allowed_transitions("active") == edges["ACTIVE"]
    with pytest.raises(certwatch.ValidationError):
        certwatch.allowed_transitions("ACTIVATED")


def test_apply_transition_with_dates():
    today = datetime.date(2026, 1, 10)
    renewed = certwatch.apply_transition("EXPIRED", "ACTIVE", today, "2026-01-01", datetime.date(2027, 1, 1))
    assert renewed == {"status": "ACTIVE", "expiry_date": "2027-01-01"}
    assert certwatch.apply_transition("ACTIVE", "SUSPENDED", "2026-01-10", "2026-03-01") == {
        "status": "SUSPENDED",
        "expiry_date": "2026-03-01",
    }
    with pytest.raises(certwatch.InvalidTransition) as e:
        certwatch.apply_transition("EXPIRED", "ACTIVE", today, "2026-01-01")
    assert e.value.allowed_transitions == ["ACTIVE"]
    assert "expiry date must be in the future" in str(e.value)
    with pytest.raises(certwatch.InvalidTransition, match="has expired"):
        certwatch.apply_transition("SUSPENDED", "ACTIVE", today, "2026-01-09")
    with pytest.raises(certwatch.ValidationError) as e:
        certwatch.apply_transition("ACTIVE", "REVOKED", "10.01.2026")
    assert e.value.errors == [{"field": "today", "message": "must be a date as YYYY-MM-DD"}]


@pytest.mark.parametrize(
    "fn,raw,want",
    [
        (certwatch.validate_lei, " 5493001kjtiigc8y1r12 ", "5493001KJTIIGC8Y1R12"),
        (certwatch.validate_country, "de", "DE"),
        (certwatch.validate_url, "https://Example.com/a b", "https://example.com/a%20b"),
    ],
)
def test_validators_canonicalise(fn, raw, want):
    assert fn(raw) == want


@pytest.mark.parametrize(
    "fn,raw,field",
    [
        (certwatch.validate_lei, "5493001KJTIIGC8Y1R13", "lei"),
        (certwatch.validate_lei, "short", "lei"),
        (certwatch.validate_country, "XX", "country"),
        (certwatch.validate_url, "ftp://example.com", "website"),
        (certwatch.validate_url, "https://user:pw@example.com", "website"),
    ],
)
def test_validators_refuse(fn, raw, field):
    with pytest.raises(certwatch.ValidationError) as e:
        fn(raw)
    assert e.value.errors[0]["field"] == field
    assert isinstance(e.value, certwatch.CertWatchError)


TEXT = (
    "CERTIFICATE ISO 9001:2015 Certificate No. 12 100 4711 TMS This is to certify that Muster GmbH, "
    "Hauptstrasse 1, 70173 Stuttgart has established and applies a quality management system. Valid until 2027-03-31."
)


def test_simhash_and_similarity():
    a = certwatch.simhash(TEXT)
    assert 0 < a < 2**64
    assert certwatch.simhash("") == 0
    assert certwatch.simhash("iso 9001") == certwatch.simhash("ISO-9001")
    b = certwatch.simhash(TEXT.replace("2027", "2028"))
    assert certwatch.simhash_many([TEXT, "", TEXT]) == [a, 0, a]
    assert certwatch.hamming_distance(a, a) == 0
    assert certwatch.hamming_distance(0, 2**64 - 1) == 64
    assert 0 < certwatch.hamming_distance(a, b) <= 16
    assert certwatch.similarity(a, a) == 1.0
    assert certwatch.similarity(0, 2**64 - 1) == 0.0
    with pytest.raises(OverflowError):
        certwatch.hamming_distance(-1, 0)


def test_duplicate_score():
    a = {"certificate_number": "12 100 4711 TMS", "certificate_type": "ISO_9001"}
    b = {"certificate_number": "12-100-4711-tms", "certificate_type": "iso_9001"}
    assert certwatch.duplicate_score(a, b) == {"score": 0.95, "verdict": "duplicate", "rule": "certificate_number"}
    same = {"document_hash": "ab" * 32}
    assert certwatch.duplicate_score(same, same)["rule"] == "document_hash"
    other = dict(b, certificate_type="ISO_14001", issue_date=datetime.date(2024, 1, 1), simhash=certwatch.simhash(TEXT))
    s = certwatch.duplicate_score(dict(a, simhash=certwatch.simhash(TEXT)), other)
    assert s["verdict"] == "distinct" and s["rule"] == "type_differs"
    with pytest.raises(certwatch.ValidationError):
        certwatch.duplicate_score({"issue_date": "yesterday"}, {})


CERT_TEXT = """CERTIFICATE

Certificate No.\t12 100 4711 TMS

This is to certify that

Muster GmbH
Hauptstrasse 1, 70173 Stuttgart

has established and applies a quality management system according to ISO 9001:2015
Valid until: 31.03.2027
"""


def test_extract_fields_from_text():
    e = certwatch.extract_fields(CERT_TEXT, filename="Zertifikat_ISO9001.pdf", reference_date=datetime.date(2026, 11, 1))
    assert e["is_certificate"] is True
    f = e["fields"]
    assert f["certificate_number"]["value"] == "12 100 4711 TMS"
    assert f["certificate_type"]["value"] == "ISO_9001"
    assert f["holder_name"]["value"] == "Muster GmbH"
    assert f["expiry_date"] == {"value": "2027-03-31", "confidence": f["expiry_date"]["confidence"], "evidence": "Valid until: 31.03.2027"}
    assert 0 < f["expiry_date"]["confidence"] <= 1
    assert f["issuing_body"] is None
    assert certwatch.extract_fields("Invoice no. 4711, total 12.00 EUR")["is_certificate"] is False
    with pytest.raises(certwatch.ValidationError):
        certwatch.extract_fields(CERT_TEXT, reference_date="soon")


def test_pdf_text(corpus):
    pdf = next(p for p in sorted((corpus / "docs").glob("*.pdf")))
    t = certwatch.pdf_text(pdf.read_bytes())
    assert set(t) == {"text", "pages", "has_text_layer"}
    assert t["text"] == "\n\f\n".join(t["pages"])
    with pytest.raises(certwatch.ExtractionError, match="not a readable PDF"):
        certwatch.pdf_text(b"%PDF-1.7 this is not a pdf")
    with pytest.raises(certwatch.ExtractionError):
        certwatch.pdf_text(b"")
