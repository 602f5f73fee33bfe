"""CertWatch from Python: the Rust core's pure rules and a handle on the
same database the ``certwatch`` server uses.

Everything here is the native module ``certwatch._native`` re-exported:
the functions are the core's (no rule is re-implemented in Python), and
errors are the exception hierarchy below :class:`CertWatchError`.

>>> import certwatch
>>> certwatch.allowed_transitions("ACTIVE")
['EXPIRED', 'REVOKED', 'SUSPENDED']
"""

from ._native import (
    AuthenticationError,
    CertWatchError,
    Conflict,
    ExtractionError,
    Forbidden,
    InternalError,
    InvalidTransition,
    NotFound,
    Session,
    SignatureError,
    Store,
    StoreError,
    ValidationError,
    allowed_transitions,
    apply_transition,
    duplicate_score,
    extract_fields,
    generate_signing_secret,
    hamming_distance,
    open,
    pdf_text,
    sign_webhook,
    similarity,
    simhash,
    simhash_many,
    statuses,
    validate_country,
    validate_lei,
    validate_url,
    verify_webhook,
)

__all__ = [
    # errors
    "CertWatchError",
    "ValidationError",
    "NotFound",
    "Conflict",
    "InvalidTransition",
    "Forbidden",
    "AuthenticationError",
    "StoreError",
    "ExtractionError",
    "SignatureError",
    "InternalError",
    # certificate state machine
    "statuses",
    "allowed_transitions",
    "apply_transition",
    # validators
    "validate_lei",
    "validate_country",
    "validate_url",
    # webhook signatures
    "generate_signing_secret",
    "sign_webhook",
    "verify_webhook",
    # dedupe
    "simhash",
    "simhash_many",
    "hamming_distance",
    "similarity",
    "duplicate_score",
    # extraction
    "pdf_text",
    "extract_fields",
    # store
    "open",
    "Store",
    "Session",
]
