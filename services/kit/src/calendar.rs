//! Legal dates as French administrations count them: days in Europe/Paris local time,
//! months as calendar months. A deadline "one month after 31 January" is the last day
//! of February, and a request received at 00:30 in Paris on 1 April counts as received on
//! 1 April even though it is still 31 March in UTC.
//!
//! Paris time is computed from the EU summer-time rule (last Sunday of March to last
//! Sunday of October, switching at 01:00 UTC) rather than a time-zone database: it is
//! the only zone Guichet needs and the rule has not changed since 1996.

use chrono::{DateTime, Datelike as _, Days, Months, NaiveDate, TimeZone as _, Utc, Weekday};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// Hours Paris is ahead of UTC at `at`: 2 in summer time, 1 otherwise.
pub fn paris_offset_hours(at: DateTime<Utc>) -> i64 {
    let year = at.year();
    let switch = |month: u32| {
        last_sunday(year, month)
            .and_then(|d| d.and_hms_opt(1, 0, 0))
            .map(|n| Utc.from_utc_datetime(&n))
    };
    match (switch(3), switch(10)) {
        (Some(start), Some(end)) if at >= start && at < end => 2,
        _ => 1,
    }
}

fn last_sunday(year: i32, month: u32) -> Option<NaiveDate> {
    let first_of_next =
        NaiveDate::from_ymd_opt(year, month, 1)?.checked_add_months(Months::new(1))?;
    let last = first_of_next.pred_opt()?;
    let back = last.weekday().num_days_from_sunday();
    last.checked_sub_days(Days::new(u64::from(back)))
        .filter(|d| d.weekday() == Weekday::Sun)
}

/// The day it is in Paris at `at`.
pub fn paris_date(at: DateTime<Utc>) -> NaiveDate {
    (at + chrono::Duration::hours(paris_offset_hours(at))).date_naive()
}

/// The instant a Paris day begins (local midnight, never inside a clock change).
pub fn paris_start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let midnight = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
    [1, 2]
        .into_iter()
        .map(|hours| (hours, midnight - chrono::Duration::hours(hours)))
        .find(|(hours, utc)| paris_offset_hours(*utc) == *hours)
        .map_or(midnight - chrono::Duration::hours(1), |(_, utc)| utc)
}

/// `date` plus `months` calendar months, on the last day of the month when the day does
/// not exist there (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// A date as French letters write it: `1er mars 2026`, `15 avril 2026`.
pub fn french_date(date: NaiveDate) -> String {
    let month = usize::try_from(date.month0())
        .ok()
        .and_then(|m| MONTHS.get(m))
        .copied()
        .unwrap_or_default();
    let day = match date.day() {
        1 => "1er".to_owned(),
        d => d.to_string(),
    };
    format!("{day} {month} {}", date.year())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn paris_is_one_hour_ahead_in_winter_and_two_in_summer() {
        assert_eq!(paris_offset_hours(utc("2026-01-15T12:00:00Z")), 1);
        assert_eq!(paris_offset_hours(utc("2026-07-15T12:00:00Z")), 2);
        // 2026: summer time from Sunday 29 March to Sunday 25 October, at 01:00 UTC.
        assert_eq!(paris_offset_hours(utc("2026-03-29T00:59:59Z")), 1);
        assert_eq!(paris_offset_hours(utc("2026-03-29T01:00:00Z")), 2);
        assert_eq!(paris_offset_hours(utc("2026-10-25T00:59:59Z")), 2);
        assert_eq!(paris_offset_hours(utc("2026-10-25T01:00:00Z")), 1);
    }

    #[test]
    fn a_paris_day_starts_at_local_midnight() {
        assert_eq!(paris_date(utc("2026-03-31T22:30:00Z")), date("2026-04-01"));
        assert_eq!(paris_date(utc("2026-12-31T22:30:00Z")), date("2026-12-31"));
        assert_eq!(paris_date(utc("2026-12-31T23:00:00Z")), date("2027-01-01"));
        assert_eq!(
            paris_start_of_day(date("2026-04-01")),
            utc("2026-03-31T22:00:00Z")
        );
        assert_eq!(
            paris_start_of_day(date("2026-01-10")),
            utc("2026-01-09T23:00:00Z")
        );
        // The days of the clock changes.
        assert_eq!(
            paris_start_of_day(date("2026-03-29")),
            utc("2026-03-28T23:00:00Z")
        );
        assert_eq!(
            paris_start_of_day(date("2026-10-25")),
            utc("2026-10-24T22:00:00Z")
        );
    }

    #[test]
    fn months_are_calendar_months() {
        assert_eq!(add_months(date("2026-03-15"), 1), date("2026-04-15"));
        assert_eq!(add_months(date("2026-01-31"), 1), date("2026-02-28"));
        assert_eq!(add_months(date("2028-01-31"), 1), date("2028-02-29"));
        assert_eq!(add_months(date("2026-12-20"), 1), date("2027-01-20"));
    }

    #[test]
    fn dates_read_as_in_a_french_letter() {
        assert_eq!(french_date(date("2026-03-01")), "1er mars 2026");
        assert_eq!(french_date(date("2026-08-15")), "15 août 2026");
    }
}
