"""Error mapping: each core error variant reaches its exception class."""

import pytest

import certwatch
from certwatch import _native

CASES = {
    "Validation": certwatch.ValidationError,
    "NotFound": certwatch.NotFound,
    "Conflict": certwatch.Conflict,
    "LastAdmin": certwatch.Conflict,
    "Transition": certwatch.InvalidTransition,
    "Forbidden": certwatch.Forbidden,
    "Auth": certwatch.AuthenticationError,
    "Store": certwatch.StoreError,
}


@pytest.mark.parametrize("variant,cls", CASES.items())
def test_every_core_error_variant_maps_to_its_class(variant, cls):
    with pytest.raises(cls) as e:
        _native._core_error_sample(variant)
    assert type(e.value) is cls
    assert isinstance(e.value, certwatch.CertWatchError)
    assert e.value.kind == cls.__name__
    assert str(e.value)


def test_details_travel_with_the_exception():
    with pytest.raises(certwatch.ValidationError) as e:
        _native._core_error_sample("Validation")
    assert e.value.errors == [{"field": "name", "message": "must not be empty"}]
    assert e.value.details == {"errors": e.value.errors}
    with pytest.raises(certwatch.InvalidTransition) as e:
        _native._core_error_sample("Transition")
    assert e.value.allowed_transitions == []
    with pytest.raises(certwatch.Conflict, match="at least one admin"):
        _native._core_error_sample("LastAdmin")


def test_hierarchy():
    for cls in (
        certwatch.ValidationError,
        certwatch.NotFound,
        certwatch.Conflict,
        certwatch.InvalidTransition,
        certwatch.Forbidden,
        certwatch.AuthenticationError,
        certwatch.StoreError,
        certwatch.ExtractionError,
        certwatch.SignatureError,
        certwatch.InternalError,
    ):
        assert issubclass(cls, certwatch.CertWatchError)
    assert issubclass(certwatch.CertWatchError, Exception)


def test_signature_and_extraction_errors_come_from_their_modules():
    with pytest.raises(certwatch.SignatureError, match="whsec_"):
        certwatch.sign_webhook("not-a-secret", "id", 1, b"")
    with pytest.raises(certwatch.ExtractionError):
        certwatch.pdf_text(b"garbage")
