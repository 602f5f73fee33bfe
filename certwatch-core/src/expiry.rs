//! Periodic expiry work.
//!
//! * Notifications: an ACTIVE certificate whose expiry date is 0–7 days
//!   away is in the 7-day window (cooldown 6 days), 8–30 days away in the
//!   30-day window (cooldown 25 days). It is announced with
//!   `certificate.expiring` when it was never announced or its last
//!   announcement is at least the window's cooldown ago. The announcement
//!   time is set with a compare-and-set in the same transaction as the
//!   outbox event, so concurrent schedulers and restarts never announce
//!   twice; a new expiry date clears it (`certificates/changes.rs`), so a
//!   renewed certificate is announced afresh.
//! * Sweep: ACTIVE certificates whose expiry date has passed become EXPIRED
//!   along the state machine, with the same counters, audit entry and
//!   `certificate.updated` event as any transition, plus `certificate.expired`.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;

use crate::certificates::certificate_event;
use crate::certificates::changes::{apply_change_rules, detect_changes};
use crate::certificates::{check_transition, CertificateStatus};
use crate::events::EventType;
use crate::ids::{CertificateId, TenantId};
use crate::ports::Scope;
use crate::{CertWatch, Result};

/// Job kind: announce certificates entering an expiry window.
pub const EXPIRY_NOTIFICATIONS: &str = "expiry_notifications";
/// Job kind: ACTIVE → EXPIRED once the expiry date has passed.
pub const EXPIRY_SWEEP: &str = "expiry_sweep";
/// Certificates scanned per query.
const BATCH: u32 = 500;

/// An expiry notification window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExpiryWindow {
    /// Expires within 7 days; re-announced after 6 days.
    Days7,
    /// Expires within 30 days; re-announced after 25 days.
    Days30,
}

impl ExpiryWindow {
    /// The window's length in days.
    pub fn days(self) -> i64 {
        match self {
            ExpiryWindow::Days7 => 7,
            ExpiryWindow::Days30 => 30,
        }
    }
    /// The minimum time between two announcements in this window.
    pub fn cooldown(self) -> Duration {
        match self {
            ExpiryWindow::Days7 => Duration::days(6),
            ExpiryWindow::Days30 => Duration::days(25),
        }
    }
    /// The window a certificate expiring on `expiry` is in on `today`.
    pub fn of(expiry: NaiveDate, today: NaiveDate) -> Option<Self> {
        match (expiry - today).num_days() {
            0..=7 => Some(ExpiryWindow::Days7),
            8..=30 => Some(ExpiryWindow::Days30),
            _ => None,
        }
    }
}

/// The window to announce now, if an announcement is due.
pub fn notification_due(
    expiry: NaiveDate,
    today: NaiveDate,
    now: DateTime<Utc>,
    last: Option<DateTime<Utc>>,
) -> Option<ExpiryWindow> {
    let w = ExpiryWindow::of(expiry, today)?;
    match last {
        Some(l) if now - l < w.cooldown() => None,
        _ => Some(w),
    }
}

/// Announces every certificate whose notification is due; returns how many
/// `certificate.expiring` events this call emitted.
pub async fn run_expiry_notifications(app: &CertWatch) -> Result<u64> {
    let now = app.clock().now();
    let today = app.clock().today();
    let to = today + Duration::days(ExpiryWindow::Days30.days());
    let shortest = ExpiryWindow::Days7.cooldown();
    let mut after = None;
    let mut emitted = 0;
    loop {
        let batch = {
            let mut tx = app.store().begin(Scope::System).await?;
            tx.expiry_notification_candidates(today, to, now - shortest, after, BATCH).await?
        };
        let Some(last) = batch.last().copied() else { break };
        after = Some(last);
        for (tenant, id) in &batch {
            if notify_one(app, *tenant, *id, now, today).await? {
                emitted += 1;
            }
        }
        if batch.len() < BATCH as usize {
            break;
        }
    }
    if emitted > 0 {
        tracing::info!(emitted, "expiry notifications emitted");
    }
    Ok(emitted)
}

async fn notify_one(
    app: &CertWatch,
    tenant: TenantId,
    id: CertificateId,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<bool> {
    let mut tx = app.store().begin(Scope::Tenant(tenant)).await?;
    let Some(c) = tx.get_certificate(tenant, id).await? else { return Ok(false) };
    let (Some(expiry), CertificateStatus::Active) = (c.expiry_date, c.status) else { return Ok(false) };
    let Some(window) = notification_due(expiry, today, now, c.last_expiry_notification_at) else { return Ok(false) };
    if !tx.mark_expiry_notified(tenant, id, c.last_expiry_notification_at, now).await? {
        return Ok(false); // another scheduler announced it
    }
    let mut announced = c.clone();
    announced.last_expiry_notification_at = Some(now);
    let extra = json!({"window_days": window.days(), "days_until_expiry": (expiry - today).num_days()});
    crate::events::append_in(
        app,
        tx.as_mut(),
        &[certificate_event(app, &announced, EventType::CertificateExpiring, &[], extra)],
    )
    .await?;
    tx.commit().await?;
    app.wake_workers();
    Ok(true)
}

/// Moves every ACTIVE certificate whose expiry date has passed to EXPIRED;
/// returns how many.
pub async fn run_expiry_sweep(app: &CertWatch) -> Result<u64> {
    let today = app.clock().today();
    let mut done = 0;
    loop {
        let batch = {
            let mut tx = app.store().begin(Scope::System).await?;
            tx.expired_active_certificates(today, BATCH).await?
        };
        let mut changed = 0;
        for (tenant, id) in &batch {
            if expire_one(app, *tenant, *id, today).await? {
                changed += 1;
            }
        }
        done += changed;
        if batch.len() < BATCH as usize || changed == 0 {
            break;
        }
    }
    if done > 0 {
        tracing::info!(expired = done, "expiry sweep");
    }
    Ok(done)
}

async fn expire_one(app: &CertWatch, tenant: TenantId, id: CertificateId, today: NaiveDate) -> Result<bool> {
    let mut tx = app.store().begin(Scope::Tenant(tenant)).await?;
    let Some(first) = tx.get_certificate(tenant, id).await? else { return Ok(false) };
    // The same lock order as every certificate write: organization first.
    tx.lock_organization(tenant, first.organization_id).await?;
    let Some(old) = tx.get_certificate(tenant, id).await? else { return Ok(false) };
    if old.status != CertificateStatus::Active || old.expiry_date.is_none_or(|d| d >= today) {
        return Ok(false);
    }
    if check_transition(old.status, CertificateStatus::Expired, old.expiry_date, today).is_err() {
        return Ok(false);
    }
    let mut new = old.clone();
    new.status = CertificateStatus::Expired;
    apply_change_rules(&old, &mut new);
    new.updated_at = app.clock().now();
    tx.update_certificate(&new).await?;
    let changes = detect_changes(&old, &new);
    crate::events::append_in(
        app,
        tx.as_mut(),
        &[
            certificate_event(app, &new, EventType::CertificateUpdated, &changes, json!({})),
            certificate_event(app, &new, EventType::CertificateExpired, &[], json!({})),
        ],
    )
    .await?;
    let meta =
        json!({"from": old.status, "to": new.status, "reason": "expiry date passed", "changed_fields": ["status"]});
    tx.insert_audit(&[app.audit_entry(
        tenant,
        None,
        None,
        "certificate.expire",
        ("certificate", Some(id.to_string())),
        meta,
    )])
    .await?;
    tx.recount_certificates(tenant, &[new.organization_id], today).await?;
    tx.commit().await?;
    app.wake_workers();
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn windows_and_cooldowns() {
        let today = d(2026, 3, 1);
        let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().expect("t");
        assert_eq!(ExpiryWindow::of(d(2026, 3, 1), today), Some(ExpiryWindow::Days7));
        assert_eq!(ExpiryWindow::of(d(2026, 3, 8), today), Some(ExpiryWindow::Days7));
        assert_eq!(ExpiryWindow::of(d(2026, 3, 9), today), Some(ExpiryWindow::Days30));
        assert_eq!(ExpiryWindow::of(d(2026, 3, 31), today), Some(ExpiryWindow::Days30));
        assert_eq!(ExpiryWindow::of(d(2026, 4, 1), today), None);
        assert_eq!(ExpiryWindow::of(d(2026, 2, 28), today), None);
        let e = d(2026, 3, 5);
        assert_eq!(notification_due(e, today, now, None), Some(ExpiryWindow::Days7));
        assert_eq!(notification_due(e, today, now, Some(now - Duration::days(6) + Duration::seconds(1))), None);
        assert_eq!(notification_due(e, today, now, Some(now - Duration::days(6))), Some(ExpiryWindow::Days7));
        let e = d(2026, 3, 20);
        assert_eq!(notification_due(e, today, now, Some(now - Duration::days(24))), None);
        assert_eq!(notification_due(e, today, now, Some(now - Duration::days(25))), Some(ExpiryWindow::Days30));
    }

    proptest! {
        /// Never two announcements closer than the window's cooldown.
        #[test]
        fn cooldown_is_respected(days_left in -5i64..60, since_last_h in 0i64..(40 * 24)) {
            let today = d(2026, 3, 1);
            let now = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().expect("t");
            let expiry = today + Duration::days(days_left);
            let last = now - Duration::hours(since_last_h);
            if let Some(w) = notification_due(expiry, today, now, Some(last)) {
                prop_assert!(now - last >= w.cooldown());
                prop_assert!((0..=30).contains(&days_left));
            }
            prop_assert_eq!(notification_due(expiry, today, now, None).is_some(), (0..=30).contains(&days_left));
        }
    }
}
