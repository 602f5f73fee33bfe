//! The certificate status state machine.
//!
//! ```text
//!                 +-----------+
//!                 |  PENDING  |
//!                 +-----------+
//!                  |    |    |
//!        +---------+    |    +-----------+
//!        v              v                v
//!   +--------+     +---------+      +---------+
//!   | ACTIVE |---->| EXPIRED |      | REVOKED |  (terminal)
//!   +--------+     +---------+      +---------+
//!    |  ^  | ^          |               ^  ^
//!    |  |  | +----------+               |  |
//!    |  |  |   re-certification:        |  |
//!    |  |  |   only with a future       |  |
//!    |  |  |   expiry date              |  |
//!    |  |  +----------------------------+  |
//!    v  |                                  |
//!  +-----------+                           |
//!  | SUSPENDED |---------------------------+
//!  +-----------+---> EXPIRED
//! ```
//!
//! The specification's transitions, exactly: PENDING → ACTIVE | REVOKED |
//! EXPIRED; ACTIVE → EXPIRED | REVOKED; EXPIRED → ACTIVE (only when the
//! expiry date is in the future); REVOKED is terminal.
//!
//! Our addition, as certification bodies suspend certificates: ACTIVE →
//! SUSPENDED → ACTIVE | REVOKED | EXPIRED. Reinstating a suspended
//! certificate (SUSPENDED → ACTIVE) requires that it has not expired (no
//! expiry date, or one today or later); withdrawn and cancelled
//! certificates map to REVOKED.
//!
//! Everything here is a pure function of plain data, property-tested below.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::validation::Violation;

/// Lifecycle state of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CertificateStatus {
    /// Awaiting validation.
    Pending,
    /// Currently valid.
    Active,
    /// Temporarily invalid by decision of the certification body.
    Suspended,
    /// Past its expiry date.
    Expired,
    /// Withdrawn for good (terminal).
    Revoked,
}

impl CertificateStatus {
    /// Every status.
    pub const ALL: [CertificateStatus; 5] = [
        CertificateStatus::Pending,
        CertificateStatus::Active,
        CertificateStatus::Suspended,
        CertificateStatus::Expired,
        CertificateStatus::Revoked,
    ];

    /// The stored and wire name (`ACTIVE`...).
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateStatus::Pending => "PENDING",
            CertificateStatus::Active => "ACTIVE",
            CertificateStatus::Suspended => "SUSPENDED",
            CertificateStatus::Expired => "EXPIRED",
            CertificateStatus::Revoked => "REVOKED",
        }
    }

    /// The statuses this one may move to (before date rules).
    pub fn allowed_targets(self) -> &'static [CertificateStatus] {
        use CertificateStatus::*;
        match self {
            Pending => &[Active, Revoked, Expired],
            Active => &[Expired, Revoked, Suspended],
            Suspended => &[Active, Revoked, Expired],
            Expired => &[Active],
            Revoked => &[],
        }
    }

    /// Whether no transition leaves this status.
    pub fn is_terminal(self) -> bool {
        self.allowed_targets().is_empty()
    }
}

impl fmt::Display for CertificateStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CertificateStatus {
    type Err = Violation;
    fn from_str(s: &str) -> Result<Self, Violation> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| Violation::new("status", "must be one of PENDING, ACTIVE, SUSPENDED, EXPIRED, REVOKED"))
    }
}

/// Why a transition was refused. Carries the allowed targets so callers can
/// tell the user what would have worked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The state machine has no such edge.
    #[error("cannot change status from {from} to {to}")]
    NotAllowed {
        /// Current status.
        from: CertificateStatus,
        /// Requested status.
        to: CertificateStatus,
        /// What `from` may move to.
        allowed: Vec<CertificateStatus>,
    },
    /// The edge exists but needs an expiry date in the future.
    #[error("cannot change status from {from} to {to}: the expiry date must be in the future")]
    NeedsFutureExpiry {
        /// Current status.
        from: CertificateStatus,
        /// Requested status.
        to: CertificateStatus,
        /// What `from` may move to.
        allowed: Vec<CertificateStatus>,
    },
    /// The edge exists but the certificate has already expired.
    #[error("cannot change status from {from} to {to}: the certificate has expired")]
    AlreadyExpired {
        /// Current status.
        from: CertificateStatus,
        /// Requested status.
        to: CertificateStatus,
        /// What `from` may move to.
        allowed: Vec<CertificateStatus>,
    },
}

impl TransitionError {
    /// The statuses the certificate could have moved to.
    pub fn allowed(&self) -> &[CertificateStatus] {
        match self {
            TransitionError::NotAllowed { allowed, .. }
            | TransitionError::NeedsFutureExpiry { allowed, .. }
            | TransitionError::AlreadyExpired { allowed, .. } => allowed,
        }
    }
}

/// Checks one transition: `expiry_date` is the date the certificate will
/// have after the change, `today` the clock's date.
pub fn check_transition(
    from: CertificateStatus,
    to: CertificateStatus,
    expiry_date: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), TransitionError> {
    use CertificateStatus::*;
    let allowed = || from.allowed_targets().to_vec();
    if !from.allowed_targets().contains(&to) {
        return Err(TransitionError::NotAllowed { from, to, allowed: allowed() });
    }
    match (from, to) {
        (Expired, Active) if expiry_date.is_none_or(|d| d <= today) => {
            Err(TransitionError::NeedsFutureExpiry { from, to, allowed: allowed() })
        }
        (Suspended, Active) if expiry_date.is_some_and(|d| d < today) => {
            Err(TransitionError::AlreadyExpired { from, to, allowed: allowed() })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::CertificateStatus::*;
    use super::*;
    use proptest::prelude::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).expect("date") + chrono::Duration::days(n)
    }

    #[test]
    fn spec_table_exactly() {
        let edges: Vec<(CertificateStatus, CertificateStatus)> =
            CertificateStatus::ALL.iter().flat_map(|f| f.allowed_targets().iter().map(move |t| (*f, *t))).collect();
        for e in [
            (Pending, Active),
            (Pending, Revoked),
            (Pending, Expired),
            (Active, Expired),
            (Active, Revoked),
            (Expired, Active),
            (Active, Suspended),
            (Suspended, Active),
            (Suspended, Revoked),
            (Suspended, Expired),
        ] {
            assert!(edges.contains(&e), "{e:?} missing");
        }
        assert_eq!(edges.len(), 10, "no edge beyond the spec and SUSPENDED");
        assert!(Revoked.is_terminal());
    }

    #[test]
    fn recertification_needs_future_expiry() {
        let today = day(10);
        assert!(check_transition(Expired, Active, Some(day(11)), today).is_ok());
        for d in [None, Some(day(10)), Some(day(9))] {
            let e = check_transition(Expired, Active, d, today).expect_err("refused");
            assert!(matches!(e, TransitionError::NeedsFutureExpiry { .. }), "{e:?}");
        }
        // The spec puts no date rule on PENDING -> ACTIVE.
        assert!(check_transition(Pending, Active, Some(day(1)), today).is_ok());
    }

    #[test]
    fn refusal_lists_allowed_targets() {
        let e = check_transition(Expired, Revoked, None, day(0)).expect_err("refused");
        assert_eq!(e.allowed(), &[Active]);
    }

    #[test]
    fn parse_status() {
        assert_eq!("active".parse::<CertificateStatus>().expect("parse"), Active);
        assert!("ACTIVATED".parse::<CertificateStatus>().is_err());
    }

    fn status() -> impl Strategy<Value = CertificateStatus> {
        prop::sample::select(CertificateStatus::ALL.to_vec())
    }

    proptest! {
        /// Random walks stay inside the machine, REVOKED stays terminal, and
        /// EXPIRED -> ACTIVE never succeeds without a future expiry date.
        #[test]
        fn random_walks_respect_the_machine(
            start in status(),
            steps in prop::collection::vec((status(), prop::option::of(-40i64..40)), 0..40),
        ) {
            let today = day(100);
            let mut cur = start;
            for (to, off) in steps {
                let expiry = off.map(|o| today + chrono::Duration::days(o));
                match check_transition(cur, to, expiry, today) {
                    Ok(()) => {
                        prop_assert!(cur.allowed_targets().contains(&to));
                        prop_assert_ne!(cur, Revoked);
                        if cur == Expired && to == Active {
                            prop_assert!(expiry.is_some_and(|d| d > today));
                        }
                        cur = to;
                    }
                    Err(e) => prop_assert_eq!(e.allowed(), cur.allowed_targets()),
                }
            }
        }

        #[test]
        fn revoked_is_terminal(to in status(), off in prop::option::of(-400i64..400)) {
            let today = day(0);
            prop_assert!(check_transition(Revoked, to, off.map(|o| today + chrono::Duration::days(o)), today).is_err());
        }

        #[test]
        fn expired_never_reactivates_with_past_or_missing_expiry(off in prop::option::of(-400i64..=0)) {
            let today = day(0);
            prop_assert!(check_transition(Expired, Active, off.map(|o| today + chrono::Duration::days(o)), today).is_err());
        }

        #[test]
        fn status_parse_never_panics(s in ".{0,20}") {
            let _ = s.parse::<CertificateStatus>();
        }
    }
}
