//! Adaptive scheduling: scrape more often when a certificate of the
//! organization is about to expire, so a renewal shows up in time.
//!
//! | soonest expiry of the organization's certificates | interval |
//! |---|---|
//! | within 7 days | 4 h |
//! | within 30 days | 12 h |
//! | otherwise | the endpoint's own frequency (default 24 h) |
//!
//! The adaptive interval never lengthens the endpoint's own frequency: an
//! endpoint configured for every 2 h stays at 2 h.

use chrono::{DateTime, Duration, NaiveDate, Utc};

/// Hours between scrapes when a certificate expires within 7 days.
pub const URGENT_HOURS: u32 = 4;
/// Hours between scrapes when a certificate expires within 30 days.
pub const SOON_HOURS: u32 = 12;

/// The interval in hours for an endpoint with `own_hours`, when the
/// organization's soonest upcoming expiry is `soonest_expiry` (today or
/// later; `None` when nothing expires).
pub fn interval_hours(own_hours: u32, soonest_expiry: Option<NaiveDate>, today: NaiveDate) -> u32 {
    let own = own_hours.max(1);
    let adaptive = match soonest_expiry.map(|d| (d - today).num_days()) {
        Some(days) if (0..=7).contains(&days) => URGENT_HOURS,
        Some(days) if (0..=30).contains(&days) => SOON_HOURS,
        _ => return own,
    };
    adaptive.min(own)
}

/// When an endpoint scraped at `now` is due next.
pub fn next_check(now: DateTime<Utc>, own_hours: u32, soonest_expiry: Option<NaiveDate>) -> DateTime<Utc> {
    now + Duration::hours(i64::from(interval_hours(own_hours, soonest_expiry, now.date_naive())))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(n: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default() + Duration::days(n)
    }

    #[test]
    fn the_table() {
        assert_eq!(interval_hours(24, Some(day(3)), day(0)), 4);
        assert_eq!(interval_hours(24, Some(day(7)), day(0)), 4);
        assert_eq!(interval_hours(24, Some(day(8)), day(0)), 12);
        assert_eq!(interval_hours(24, Some(day(30)), day(0)), 12);
        assert_eq!(interval_hours(24, Some(day(31)), day(0)), 24);
        assert_eq!(interval_hours(24, None, day(0)), 24);
        assert_eq!(interval_hours(48, None, day(0)), 48);
        assert_eq!(interval_hours(2, Some(day(1)), day(0)), 2);
    }

    proptest! {
        #[test]
        fn interval_follows_the_rule(own in 1u32..1000, offset in proptest::option::of(-100i64..400)) {
            let today = day(0);
            let expiry = offset.map(day);
            let got = interval_hours(own, expiry, today);
            // Never longer than the endpoint's own frequency.
            prop_assert!(got <= own);
            // Always one of the three values.
            prop_assert!(got == own || got == URGENT_HOURS || got == SOON_HOURS);
            match offset {
                Some(d) if (0..=7).contains(&d) => prop_assert_eq!(got, own.min(URGENT_HOURS)),
                Some(d) if (8..=30).contains(&d) => prop_assert_eq!(got, own.min(SOON_HOURS)),
                _ => prop_assert_eq!(got, own),
            }
            // Sooner expiry never means a longer interval.
            if let Some(d) = offset {
                if d > 0 {
                    prop_assert!(interval_hours(own, Some(day(d - 1)), today) <= got || d - 1 < 0);
                }
            }
        }
    }
}
