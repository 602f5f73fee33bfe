//! Webhook signatures (DESIGN §7): every delivery carries two, both made
//! with the subscriber's signing secret `whsec_<base64 of 32 bytes>`:
//!
//! * `X-Webhook-Signature: sha256=<lowercase hex HMAC-SHA256(body)>`, keyed
//!   with the whole secret string as UTF-8 bytes (GitHub style);
//! * Standard Webhooks: `webhook-id` (the delivery id, the same across
//!   retries), `webhook-timestamp` (unix seconds) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>`,
//!   keyed with the base64-decoded part after `whsec_`.
//!
//! Verification compares in constant time (`Mac::verify_slice`) and rejects
//! timestamps outside a tolerance (replays).

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

use crate::tenancy::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of signing secrets (Standard Webhooks form).
pub const SECRET_PREFIX: &str = "whsec_";
/// Header of the GitHub-style body signature.
pub const HEADER_X_SIGNATURE: &str = "X-Webhook-Signature";
/// Standard Webhooks: the message (delivery) id.
pub const HEADER_ID: &str = "webhook-id";
/// Standard Webhooks: unix seconds at signing.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// Standard Webhooks: `v1,<base64>` signatures, space-separated.
pub const HEADER_SIGNATURE: &str = "webhook-signature";
/// How far a timestamp may be from now before verification rejects it.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Why a signature or secret was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The secret is not `whsec_<base64>`.
    #[error("the signing secret is not of the form whsec_<base64>")]
    MalformedSecret,
    /// A header is missing or not in its documented form.
    #[error("malformed signature header")]
    MalformedHeader,
    /// The timestamp is too old or too far in the future.
    #[error("timestamp outside the tolerance")]
    TimestampOutOfTolerance,
    /// No signature matched.
    #[error("signature mismatch")]
    Mismatch,
}

/// A fresh signing secret `whsec_<base64 of 32 random bytes>`.
pub fn generate_signing_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Secret::new(format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes)))
}

/// The Standard Webhooks key: the base64-decoded part after `whsec_`.
pub fn standard_key(secret: &str) -> Result<Vec<u8>, SignatureError> {
    let b64 = secret.strip_prefix(SECRET_PREFIX).ok_or(SignatureError::MalformedSecret)?;
    let key = STANDARD.decode(b64).map_err(|_| SignatureError::MalformedSecret)?;
    if key.is_empty() {
        return Err(SignatureError::MalformedSecret);
    }
    Ok(key)
}

fn mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC takes keys of any length")
}

/// The headers that carry both signatures of one delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// `X-Webhook-Signature`: `sha256=<hex>`.
    pub x_webhook_signature: String,
    /// `webhook-id`.
    pub webhook_id: String,
    /// `webhook-timestamp` (unix seconds).
    pub webhook_timestamp: String,
    /// `webhook-signature`: `v1,<base64>`.
    pub webhook_signature: String,
}

impl SignatureHeaders {
    /// The headers as (name, value) pairs.
    pub fn pairs(&self) -> [(&'static str, &str); 4] {
        [
            (HEADER_X_SIGNATURE, &self.x_webhook_signature),
            (HEADER_ID, &self.webhook_id),
            (HEADER_TIMESTAMP, &self.webhook_timestamp),
            (HEADER_SIGNATURE, &self.webhook_signature),
        ]
    }
}

/// `sha256=<lowercase hex HMAC-SHA256(body)>` keyed with the secret string.
pub fn github_signature(secret: &str, body: &[u8]) -> String {
    let mut m = mac(secret.as_bytes());
    m.update(body);
    format!("sha256={}", hex::encode(m.finalize().into_bytes()))
}

fn standard_mac(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> HmacSha256 {
    let mut m = mac(key);
    m.update(id.as_bytes());
    m.update(b".");
    m.update(timestamp.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    m
}

/// Signs one attempt of delivery `id` at `timestamp` (unix seconds) over
/// the exact `body` bytes sent.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> Result<SignatureHeaders, SignatureError> {
    let key = standard_key(secret)?;
    let v1 = STANDARD.encode(standard_mac(&key, id, timestamp, body).finalize().into_bytes());
    Ok(SignatureHeaders {
        x_webhook_signature: github_signature(secret, body),
        webhook_id: id.to_owned(),
        webhook_timestamp: timestamp.to_string(),
        webhook_signature: format!("v1,{v1}"),
    })
}

/// Verifies `X-Webhook-Signature` over `body`, in constant time.
pub fn verify_github(secret: &str, body: &[u8], header: &str) -> Result<(), SignatureError> {
    let hex_sig = header.trim().strip_prefix("sha256=").ok_or(SignatureError::MalformedHeader)?;
    if hex_sig.len() != 64 || !hex_sig.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(SignatureError::MalformedHeader);
    }
    let sig = hex::decode(hex_sig).map_err(|_| SignatureError::MalformedHeader)?;
    let mut m = mac(secret.as_bytes());
    m.update(body);
    m.verify_slice(&sig).map_err(|_| SignatureError::Mismatch)
}

/// Verifies the Standard Webhooks headers: the timestamp must be within
/// `tolerance_secs` of `now_unix`, and one of the space-separated `v1,`
/// signatures must match (constant-time).
pub fn verify_standard(
    secret: &str,
    id: &str,
    timestamp: &str,
    signature_header: &str,
    body: &[u8],
    now_unix: i64,
    tolerance_secs: i64,
) -> Result<(), SignatureError> {
    let key = standard_key(secret)?;
    let ts: i64 = timestamp.trim().parse().map_err(|_| SignatureError::MalformedHeader)?;
    if now_unix.abs_diff(ts) > tolerance_secs.unsigned_abs() {
        return Err(SignatureError::TimestampOutOfTolerance);
    }
    let mut any = false;
    for part in signature_header.split(' ').filter(|p| !p.is_empty()) {
        let Some((version, b64)) = part.split_once(',') else { return Err(SignatureError::MalformedHeader) };
        if version != "v1" {
            continue;
        }
        any = true;
        let Ok(sig) = STANDARD.decode(b64) else { continue };
        if standard_mac(&key, id, ts, body).verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    if any {
        Err(SignatureError::Mismatch)
    } else {
        Err(SignatureError::MalformedHeader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn generated_secrets_have_the_standard_form() {
        let s = generate_signing_secret();
        assert_eq!(standard_key(s.expose()).expect("key").len(), 32);
        assert_ne!(s.expose(), generate_signing_secret().expose());
    }

    #[test]
    fn standard_webhooks_reference_vector() {
        // The test vector of the Standard Webhooks reference libraries.
        let body = br#"{"test": 2432232314}"#;
        let h = sign(SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1_614_265_330, body).expect("sign");
        assert_eq!(h.webhook_signature, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        verify_standard(SECRET, &h.webhook_id, &h.webhook_timestamp, &h.webhook_signature, body, 1_614_265_330, 300)
            .expect("verifies");
    }

    #[test]
    fn github_signature_round_trips_and_rejects_tampering() {
        let body = b"{\"a\":1}";
        let h = github_signature(SECRET, body);
        assert!(h.starts_with("sha256=") && h.len() == 71);
        verify_github(SECRET, body, &h).expect("verifies");
        assert_eq!(verify_github(SECRET, b"{\"a\":2}", &h), Err(SignatureError::Mismatch));
        assert_eq!(verify_github("whsec_other", body, &h), Err(SignatureError::Mismatch));
        assert_eq!(verify_github(SECRET, body, "sha1=00"), Err(SignatureError::MalformedHeader));
    }

    #[test]
    fn replays_and_bad_headers_are_rejected() {
        let body = b"x";
        let h = sign(SECRET, "d1", 1000, body).expect("sign");
        let v = |ts: &str, sig: &str, now| verify_standard(SECRET, "d1", ts, sig, body, now, 300);
        assert_eq!(v("1000", &h.webhook_signature, 1301), Err(SignatureError::TimestampOutOfTolerance));
        assert_eq!(v("1000", &h.webhook_signature, 699), Err(SignatureError::TimestampOutOfTolerance));
        assert!(v("1000", &h.webhook_signature, 1300).is_ok());
        assert_eq!(v("1001", &h.webhook_signature, 1000), Err(SignatureError::Mismatch));
        assert!(v("1000", &format!("v1,AAAA {}", h.webhook_signature), 1000).is_ok());
        assert_eq!(v("1000", "v2,abc", 1000), Err(SignatureError::MalformedHeader));
        assert_eq!(v("x", &h.webhook_signature, 1000), Err(SignatureError::MalformedHeader));
        assert_eq!(sign("nope", "d1", 1, body), Err(SignatureError::MalformedSecret));
    }
}
