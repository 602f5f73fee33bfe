//! The append-only audit ledger and the one secret-redaction function.
//!
//! Every service that changes state appends an [`AuditEntry`] in the same
//! transaction as the change. Entries are never updated or deleted: the
//! databases refuse it by trigger. Metadata passes through
//! [`redact_secrets`] before it is stored, and hosts use the same function
//! before they log anything that came from a caller.

use std::sync::LazyLock;

use chrono::{DateTime, Utc};
use regex::Regex;
use serde::Serialize;
use serde_json::Value;

use crate::ids::{AuditId, TenantId, UserId};

/// One ledger row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    /// Primary key (time-ordered).
    pub id: AuditId,
    /// The tenant whose data changed.
    pub tenant_id: TenantId,
    /// Who did it, when a user did.
    pub actor_user_id: Option<UserId>,
    /// What was done, e.g. `certificate.transition`.
    pub action: String,
    /// The kind of object acted on, e.g. `certificate`.
    pub target_type: String,
    /// The id of the object acted on.
    pub target_id: Option<String>,
    /// Details, already redacted.
    pub metadata: Value,
    /// The request that caused it.
    pub request_id: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// What replaces a secret.
pub const REDACTED: &str = "[REDACTED]";

static SENSITIVE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(pass(word|wd|phrase)?|secret|token|api[_-]?key|authorization|credential|private[_-]?key|signature|cookie|session)")
        .expect("static regex")
});

/// Patterns of secrets inside free text, with their replacement.
static TEXT_RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // scheme://user:password@host
        (r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]*@", "${1}[REDACTED]@"),
        // ?token=...&api_key=...
        (
            r"(?i)([?&;](?:token|access_token|refresh_token|api[_-]?key|key|secret|password|passwd|signature|sig|code)=)[^&#\s]+",
            "${1}[REDACTED]",
        ),
        // Authorization: Bearer xyz / Token xyz / Basic xyz
        (r"(?i)\b(bearer|token|basic)(\s+)[A-Za-z0-9._~+/=-]{8,}", "${1}${2}[REDACTED]"),
        // password=..., api_key: ...
        (
            r#"(?i)\b(password|passwd|secret|api[_-]?key|access[_-]?token|client[_-]?secret)(\s*[=:]\s*)[^\s,;&"']+"#,
            "${1}${2}[REDACTED]",
        ),
        // Well-known secret shapes: our API tokens, Standard Webhooks secrets, OpenAI keys.
        (r"\bcw_[A-Za-z0-9_-]{20,}", "[REDACTED]"),
        (r"\bwhsec_[A-Za-z0-9+/=_-]{16,}", "[REDACTED]"),
        (r"\bsk-[A-Za-z0-9_-]{20,}", "[REDACTED]"),
    ]
    .into_iter()
    .map(|(p, r)| (Regex::new(p).expect("static regex"), r))
    .collect()
});

/// Removes secrets from free text: credentials in URLs, secret query
/// parameters, authorization schemes, `password=` pairs and known token shapes.
pub fn redact_text(s: &str) -> String {
    let mut out = s.to_owned();
    for (re, rep) in TEXT_RULES.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, *rep).into_owned();
        }
    }
    out
}

/// Removes secrets from a JSON value: every value under a key that names a
/// secret (password, token, api_key, secret, authorization, ...) is
/// replaced, and every string is passed through [`redact_text`].
pub fn redact_secrets(v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if SENSITIVE_KEY.is_match(k) && !v.is_null() {
                        Value::String(REDACTED.into())
                    } else {
                        redact_secrets(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(redact_secrets).collect()),
        Value::String(s) => Value::String(redact_text(s)),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn redacts_keys_and_text() {
        let v = json!({
            "password": "hunter2hunter2",
            "nested": {"api_key": "abc", "name": "ok"},
            "Authorization": "Token cw_abcdefghijklmnopqrstuvwxyz",
            "url": "postgres://app:s3cr3t@db.example:5432/cw?sslmode=require",
            "link": "https://x.example/cb?token=abcdef&x=1",
            "note": "login with password=letmein now; key cw_0123456789abcdefghijklmn",
            "hook": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "count": 3,
        });
        let r = redact_secrets(&v);
        let s = r.to_string();
        for secret in ["hunter2", "abc\"", "s3cr3t", "abcdef&", "letmein", "cw_0123", "MfKQ9r8"] {
            assert!(!s.contains(secret), "{secret} leaked in {s}");
        }
        assert_eq!(r["nested"]["name"], "ok");
        assert_eq!(r["count"], 3);
        assert_eq!(r["url"], "postgres://[REDACTED]@db.example:5432/cw?sslmode=require");
        assert_eq!(r["link"], "https://x.example/cb?token=[REDACTED]&x=1");
    }

    #[test]
    fn leaves_ordinary_text_alone() {
        let s = "ISO 9001 certificate DE-123 valid until 2027-01-01 at https://example.com/certs";
        assert_eq!(redact_text(s), s);
    }

    proptest! {
        #[test]
        fn never_panics_and_never_keeps_an_url_password(user in "[a-z]{1,8}", pw in "[A-Za-z0-9]{6,12}", pre in ".{0,20}") {
            let s = format!("{pre} https://{user}:{pw}@host.example/x");
            let r = redact_text(&s);
            let needle = format!(":{pw}@");
            prop_assert!(!r.contains(&needle));
        }
    }
}
