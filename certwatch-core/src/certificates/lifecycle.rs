//! One status change applied to a certificate's lifecycle fields, as the
//! certificate service applies it: the requested expiry date (if any)
//! replaces the current one first, then the state machine judges the change
//! with the date the certificate will have. A pure function, so the bindings
//! and the hosts can answer "what would this transition do" without a store.

use chrono::NaiveDate;
use serde::Serialize;

use super::status::{check_transition, CertificateStatus, TransitionError};

/// The part of a certificate a transition reads and writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    /// Current status.
    pub status: CertificateStatus,
    /// Last day of validity.
    pub expiry_date: Option<NaiveDate>,
}

/// Moves `current` to `to` on `today`, setting `new_expiry` first when given
/// (re-certification), or says why the state machine refuses.
pub fn apply_transition(
    current: Lifecycle,
    to: CertificateStatus,
    new_expiry: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Lifecycle, TransitionError> {
    let expiry_date = new_expiry.or(current.expiry_date);
    check_transition(current.status, to, expiry_date, today)?;
    Ok(Lifecycle { status: to, expiry_date })
}

#[cfg(test)]
mod tests {
    use super::CertificateStatus::*;
    use super::*;

    fn day(n: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, n).expect("date")
    }

    #[test]
    fn recertification_takes_the_new_date() {
        let expired = Lifecycle { status: Expired, expiry_date: Some(day(1)) };
        assert!(apply_transition(expired, Active, None, day(10)).is_err());
        let renewed = apply_transition(expired, Active, Some(day(20)), day(10)).expect("allowed");
        assert_eq!(renewed, Lifecycle { status: Active, expiry_date: Some(day(20)) });
    }

    #[test]
    fn keeps_the_date_when_none_is_given() {
        let active = Lifecycle { status: Active, expiry_date: Some(day(5)) };
        let revoked = apply_transition(active, Revoked, None, day(10)).expect("allowed");
        assert_eq!(revoked.expiry_date, Some(day(5)));
        assert!(apply_transition(revoked, Active, Some(day(30)), day(10)).is_err());
    }
}
