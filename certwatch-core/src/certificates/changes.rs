//! Change detection: which watched fields of a certificate changed, and the
//! side rules that follow from a change (a new expiry date re-arms expiry
//! notifications).

use serde::Serialize;
use serde_json::Value;

use super::model::Certificate;

/// The fields whose change is announced with `certificate.updated`.
pub const WATCHED_FIELDS: [&str; 5] = ["status", "expiry_date", "issuing_body", "scope", "document_url"];

/// One changed watched field, old and new value as JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    /// The field name.
    pub field: &'static str,
    /// Value before.
    pub old: Value,
    /// Value after.
    pub new: Value,
}

/// The watched fields that differ between `old` and `new`, in
/// [`WATCHED_FIELDS`] order.
pub fn detect_changes(old: &Certificate, new: &Certificate) -> Vec<FieldChange> {
    let pairs: [(&'static str, Value, Value); 5] = [
        ("status", json(&old.status), json(&new.status)),
        ("expiry_date", json(&old.expiry_date), json(&new.expiry_date)),
        ("issuing_body", json(&old.issuing_body), json(&new.issuing_body)),
        ("scope", json(&old.scope), json(&new.scope)),
        ("document_url", json(&old.document_url), json(&new.document_url)),
    ];
    pairs.into_iter().filter(|(_, a, b)| a != b).map(|(field, old, new)| FieldChange { field, old, new }).collect()
}

/// Applies the rules that follow a change to `new`: a changed expiry date
/// clears `last_expiry_notification_at` (fresh notifications after
/// renewal); a changed document URL clears the stale document hash.
pub fn apply_change_rules(old: &Certificate, new: &mut Certificate) {
    if old.expiry_date != new.expiry_date {
        new.last_expiry_notification_at = None;
    }
    if old.document_url != new.document_url && old.document_hash == new.document_hash {
        new.document_hash = None;
    }
}

fn json<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::certificates::CertificateStatus;
    use crate::ids::{CertificateId, OrganizationId, TenantId};
    use chrono::{NaiveDate, TimeZone, Utc};

    fn cert() -> Certificate {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
        Certificate {
            id: CertificateId::default(),
            tenant_id: TenantId::default(),
            organization_id: OrganizationId::default(),
            certificate_type: "ISO_9001".into(),
            certificate_number: Some("A-1".into()),
            issuing_body: Some("TÜV".into()),
            scope: None,
            issue_date: None,
            expiry_date: NaiveDate::from_ymd_opt(2027, 1, 1),
            status: CertificateStatus::Active,
            document_url: None,
            source_url: None,
            document_hash: None,
            external_id: None,
            provenance: Default::default(),
            last_expiry_notification_at: Some(t),
            site_ids: vec![],
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn only_watched_fields_count() {
        let old = cert();
        let mut new = old.clone();
        new.certificate_number = Some("B-2".into());
        assert!(detect_changes(&old, &new).is_empty());
        new.status = CertificateStatus::Revoked;
        new.scope = Some("Steel".into());
        let ch = detect_changes(&old, &new);
        assert_eq!(ch.iter().map(|c| c.field).collect::<Vec<_>>(), ["status", "scope"]);
        assert_eq!(ch[0].old, "ACTIVE");
        assert_eq!(ch[0].new, "REVOKED");
    }

    #[test]
    fn new_expiry_rearms_notifications_and_new_url_drops_hash() {
        let mut old = cert();
        old.document_hash = Some(crate::certificates::DocumentHash::parse(&"a".repeat(64)).expect("hash"));
        let mut same = old.clone();
        apply_change_rules(&old, &mut same);
        assert!(same.last_expiry_notification_at.is_some() && same.document_hash.is_some());
        let mut new = old.clone();
        new.expiry_date = NaiveDate::from_ymd_opt(2030, 1, 1);
        new.document_url = Some(crate::suppliers::WebsiteUrl::parse("https://x.example/c.pdf").expect("url"));
        apply_change_rules(&old, &mut new);
        assert_eq!(new.last_expiry_notification_at, None);
        assert_eq!(new.document_hash, None);
    }
}
