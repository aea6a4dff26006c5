//! Days of the proleptic Gregorian calendar, as BILLmanager's `statdate` and DCImanager's
//! traffic rows write them (`YYYY-MM-DD`, UTC), without a date crate for four conversions.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day, counted from 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(i64);

impl Day {
    pub fn from_days(days: i64) -> Day {
        Day(days)
    }

    /// The day `now` falls on, in UTC.
    pub fn of(now: SystemTime) -> Day {
        let seconds = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Day(i64::try_from(seconds / 86_400).unwrap_or(0))
    }

    /// `YYYY-MM-DD`, or `None` for anything else (a time after the date is not a day).
    pub fn parse(text: &str) -> Option<Day> {
        let mut parts = text.trim().splitn(3, '-');
        let year: i64 = parts.next()?.parse().ok()?;
        let month: i64 = parts.next()?.parse().ok()?;
        let day: i64 = parts.next()?.parse().ok()?;
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let parsed = Day(days_from_civil(year, month, day));
        // 2026-02-30 comes back as another date: refused.
        (parsed.civil() == (year, month, day)).then_some(parsed)
    }

    pub fn next(self) -> Day {
        Day(self.0 + 1)
    }

    pub fn minus(self, days: i64) -> Day {
        Day(self.0 - days)
    }

    /// Year, month (1..=12), day of the month, by Howard Hinnant's `civil_from_days`.
    pub fn civil(self) -> (i64, i64, i64) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }
}

/// Howard Hinnant's `days_from_civil`, the inverse of [`Day::civil`].
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let mp = (month + 9) % 12;
    let day_of_year = (153 * mp + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day) = self.civil();
        write!(f, "{year:04}-{month:02}-{day:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_bad_dates_are_refused() {
        assert_eq!(Day::from_days(0).to_string(), "1970-01-01");
        for text in ["2026-12-03", "2024-02-29", "2000-03-01", "1999-12-31"] {
            let day = Day::parse(text).expect(text);
            assert_eq!(day.to_string(), text);
            assert_eq!(day.next().minus(1), day);
        }
        assert_eq!(
            Day::parse("2026-12-31")
                .map(|d| d.next().to_string())
                .as_deref(),
            Some("2027-01-01")
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-1-1x",
            "",
            "2026-12-03T10:00",
        ] {
            assert_eq!(Day::parse(bad), None, "{bad}");
        }
    }
}
