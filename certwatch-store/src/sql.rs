//! SQL shared by both backends: column lists, batch sizes and the small
//! computations done in Rust so the SQL stays dialect-neutral (expiry
//! windows, `LIKE` patterns, page bounds).
//!
//! Every statement uses only what Postgres and SQLite both understand:
//! numbered `$n` placeholders (or `QueryBuilder` binds), `lower(..) LIKE ..
//! ESCAPE '\'`, IN lists instead of arrays, dates bound as values.

use certwatch_core::pagination::PageRequest;
use certwatch_core::suppliers::EXPIRING_WINDOW_DAYS;
use chrono::{Duration, NaiveDate};

/// Certificates per multi-row INSERT: 18 binds a row stays far below
/// Postgres' 65,535 and SQLite's 32,766 bind parameters.
pub(crate) const CERTIFICATE_CHUNK: usize = 1_000;
/// Site links per multi-row INSERT (3 binds a row).
pub(crate) const SITE_LINK_CHUNK: usize = 5_000;
/// Events per multi-row INSERT (5 binds a row).
pub(crate) const EVENT_CHUNK: usize = 2_000;
/// Audit entries per multi-row INSERT (9 binds a row).
pub(crate) const AUDIT_CHUNK: usize = 2_000;
/// Ids per IN list.
pub(crate) const ID_CHUNK: usize = 1_000;

/// Columns of `certificates`, in the order of [`crate::rows::CertificateRow`].
macro_rules! certificate_columns {
    () => {
        "id, tenant_id, organization_id, certificate_type, certificate_number, issuing_body, scope, \
         issue_date, expiry_date, status, document_url, source_url, document_hash, external_id, \
         provenance, last_expiry_notification_at, created_at, updated_at"
    };
}
pub(crate) use certificate_columns;

/// Columns of `organizations` without the counters.
macro_rules! organization_columns {
    () => {
        "id, tenant_id, external_id, name, website, lei, vat, country, created_at, updated_at"
    };
}
pub(crate) use organization_columns;

/// Columns of `users`.
macro_rules! user_columns {
    () => {
        "id, email, full_name, password_hash, is_active, email_verified_at, is_operator, created_at"
    };
}
pub(crate) use user_columns;

/// Columns of `invitations`.
macro_rules! invitation_columns {
    () => {
        "id, tenant_id, email, role, token_hash, status, invited_by, expires_at, created_at, accepted_at"
    };
}
pub(crate) use invitation_columns;

/// Columns of `api_tokens`.
macro_rules! api_token_columns {
    () => {
        "id, tenant_id, user_id, name, token_hash, prefix, expires_at, last_used_at, revoked_at, created_at"
    };
}
pub(crate) use api_token_columns;

/// Columns of `sites`.
macro_rules! site_columns {
    () => {
        "id, tenant_id, organization_id, name, address, created_at, updated_at"
    };
}
pub(crate) use site_columns;

/// The first and last day (both inclusive) of the "expiring" window that
/// starts on `today`.
pub(crate) fn expiring_window(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let end = today.checked_add_signed(Duration::days(EXPIRING_WINDOW_DAYS)).unwrap_or(NaiveDate::MAX);
    (today, end)
}

/// A `LIKE … ESCAPE '\'` pattern matching `needle` (lower-cased) anywhere.
/// The case-folded form of text searched case-insensitively. Folded in Rust
/// and stored beside the original, because SQLite's `lower()` only folds
/// ASCII and Postgres' depends on the database's locale.
pub(crate) fn fold(s: &str) -> String {
    s.to_lowercase()
}

pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut p = String::with_capacity(needle.len() + 2);
    p.push('%');
    for c in needle.to_lowercase().chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Appends `n` numbered placeholders `$first, $first+1, …`, comma-separated.
pub(crate) fn push_placeholders(sql: &mut String, first: usize, n: usize) {
    use std::fmt::Write as _;
    for i in 0..n {
        if i > 0 {
            sql.push_str(", ");
        }
        // Writing to a String cannot fail.
        let _ = write!(sql, "${}", first + i);
    }
}

/// ` LIMIT n OFFSET m` of a page, as literals rather than binds.
///
/// Postgres estimates a bound `LIMIT $n` as 10% of the rows, so the
/// generic plan of a prepared page query always looks far dearer than a
/// custom one, and every request was planned afresh (a fifth of the
/// database's time under a list-page load). With literals the cached
/// generic plan costs what a custom one does and is reused; the values are
/// validated integers, never caller text. Each page position is its own
/// statement in the per-connection cache, which is bounded (LRU).
pub(crate) fn page_clause(page: &PageRequest) -> String {
    format!(" LIMIT {} OFFSET {}", page.page_size(), page.offset())
}

/// Columns of `jobs`, in the order of [`crate::rows::JobRow`].
macro_rules! job_columns {
    () => {
        "id, tenant_id, kind, payload, status, attempts, max_attempts, run_at, lease_until, locked_by, \
         last_error, request_id, dedupe_key, created_at, updated_at, finished_at"
    };
}
pub(crate) use job_columns;

/// Columns of `subscribers`.
macro_rules! subscriber_columns {
    () => {
        "id, tenant_id, name, webhook_url, api_key_hash, api_key_prefix, signing_secret, is_active, \
         created_at, updated_at"
    };
}
pub(crate) use subscriber_columns;

/// Columns of `subscriptions`.
macro_rules! subscription_columns {
    () => {
        "id, tenant_id, subscriber_id, organization_id, certificate_type, event_types, created_at"
    };
}
pub(crate) use subscription_columns;

/// Columns of `webhook_deliveries`.
macro_rules! delivery_columns {
    () => {
        "id, tenant_id, subscriber_id, subscription_id, event_id, event_type, payload, status, attempts, \
         response_status, error_message, created_at, delivered_at"
    };
}
pub(crate) use delivery_columns;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_escape_wildcards() {
        assert_eq!(contains_pattern("AbC"), "%abc%");
        assert_eq!(contains_pattern("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }

    #[test]
    fn numbered_placeholders() {
        let mut s = String::from("IN (");
        push_placeholders(&mut s, 4, 3);
        assert_eq!(s, "IN ($4, $5, $6");
    }

    #[test]
    fn window_is_thirty_days_inclusive() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 31).expect("date");
        assert_eq!(expiring_window(d), (d, NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")));
    }
}
