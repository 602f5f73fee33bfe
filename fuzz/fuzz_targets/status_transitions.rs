//! Status names and transition sequences from arbitrary bytes: parsing
//! never panics, and no accepted sequence leaves REVOKED or re-activates an
//! EXPIRED certificate without a future expiry date.
#![no_main]

use certwatch_core::certificates::{check_transition, CertificateStatus};
use chrono::{Duration, NaiveDate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let _ = s.parse::<CertificateStatus>();
    }
    let Some(today) = NaiveDate::from_ymd_opt(2026, 6, 1) else { return };
    let mut cur = CertificateStatus::Pending;
    for pair in data.chunks(2) {
        let to = CertificateStatus::ALL[usize::from(pair[0]) % 5];
        let expiry = pair.get(1).map(|b| today + Duration::days(i64::from(*b) - 128));
        if check_transition(cur, to, expiry, today).is_ok() {
            assert_ne!(cur, CertificateStatus::Revoked);
            if cur == CertificateStatus::Expired && to == CertificateStatus::Active {
                assert!(expiry.is_some_and(|d| d > today));
            }
            cur = to;
        }
    }
});
