"""Webhook signatures cross-checked with the Rust server's signing code
(the oracle calls certwatch_core::webhooks::signing, as the delivery job
does), in both directions, plus the Standard Webhooks reference vector."""

import hashlib
import hmac
import json
import time

import pytest

import certwatch

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = json.dumps({"type": "certificate.updated", "data": {"id": "c1", "changed": ["status"]}}).encode()


def test_reference_vector():
    h = certwatch.sign_webhook(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}')
    assert h["webhook-signature"] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert h["X-Webhook-Signature"] == "sha256=" + hmac.new(SECRET.encode(), b'{"test": 2432232314}', hashlib.sha256).hexdigest()
    certwatch.verify_webhook(SECRET, h, b'{"test": 2432232314}', now=1614265330)


def test_signed_by_the_server_verified_by_python(oracle, tmp_path):
    body = tmp_path / "body.json"
    body.write_bytes(BODY)
    ts = int(time.time())
    headers = json.loads(oracle("sign", SECRET, "delivery-1", ts, body).stdout)
    assert set(headers) == {"X-Webhook-Signature", "webhook-id", "webhook-timestamp", "webhook-signature"}
    certwatch.verify_webhook(SECRET, headers, BODY)  # system clock
    certwatch.verify_webhook(SECRET, {k.lower(): v for k, v in headers.items()}, BODY, now=ts + 300)
    with pytest.raises(certwatch.SignatureError, match="mismatch"):
        certwatch.verify_webhook(SECRET, headers, BODY + b" ", now=ts)
    with pytest.raises(certwatch.SignatureError, match="tolerance"):
        certwatch.verify_webhook(SECRET, headers, BODY, now=ts + 301)
    with pytest.raises(certwatch.SignatureError, match="mismatch"):
        certwatch.verify_webhook(certwatch.generate_signing_secret(), headers, BODY, now=ts)
    with pytest.raises(certwatch.SignatureError, match="missing header webhook-id"):
        certwatch.verify_webhook(SECRET, {"webhook-signature": headers["webhook-signature"]}, BODY, now=ts)


def test_signed_by_python_verified_by_the_server(oracle, tmp_path):
    secret = certwatch.generate_signing_secret()
    assert secret.startswith("whsec_")
    ts = 1_800_000_000
    headers = certwatch.sign_webhook(secret, "delivery-2", ts, BODY)
    body, hfile = tmp_path / "body", tmp_path / "headers.json"
    body.write_bytes(BODY)
    hfile.write_text(json.dumps(headers))
    assert oracle("verify", secret, body, ts, hfile).stdout.strip() == "ok"
    body.write_bytes(BODY.replace(b"status", b"scope"))
    refused = oracle("verify", secret, body, ts, hfile, check=False)
    assert refused.returncode == 1 and "signature mismatch" in refused.stderr
