//! Traffic statistics (`stat`): what to add to BILLmanager's `itemstat` for each service, from
//! DCImanager's daily traffic of the service's server's data ports.
//!
//! BILLmanager charges statistics from `itemstat(item, statdate, param, value, measure)`, and
//! ISPsystem's modules add to a repeated day rather than overwrite it. The module adds the
//! difference between DCImanager's total for the day and what `itemstat` already holds for it,
//! so a run repeated on the same day, or after a kill halfway, adds nothing twice; a day
//! DCImanager reports lower than what was billed adds nothing (never a credit).
//!
//! The add-ons that bill traffic are named [`TRAFFIC_ADDONS`] (README, "stat"); the values are
//! written in the add-on's measure (BILLmanager's `measure` table relates it to bytes).

use std::collections::BTreeMap;

use super::calendar::Day;
use super::order::{Measure, gigabytes_per};

/// The most days one run collects: DCImanager keeps a year of traffic, but a daily run needs
/// one or two, and a listing of a month of every port is already large.
pub const MAX_DAYS: i64 = 31;

/// Which way the traffic an add-on bills goes, seen from the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the server received.
    In,
    /// What the server sent.
    Out,
    /// Both together.
    Both,
}

/// The add-on intnames that bill traffic, and what each counts.
pub const TRAFFIC_ADDONS: [(&str, Direction); 3] = [
    ("traffic", Direction::Both),
    ("traffic_in", Direction::In),
    ("traffic_out", Direction::Out),
];

/// One add-on of a service that bills traffic.
#[derive(Debug, Clone, PartialEq)]
pub struct StatAddon {
    /// The add-on's intname: the `itemstat.param` BILLmanager charges it by.
    pub param: String,
    /// The add-on's measure intname.
    pub measure: Option<String>,
    pub direction: Direction,
}

impl StatAddon {
    /// The add-on as a traffic add-on, if its name is one.
    pub fn of(intname: &str, measure: Option<&str>) -> Option<StatAddon> {
        TRAFFIC_ADDONS
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(intname.trim()))
            .map(|(name, direction)| StatAddon {
                param: (*name).to_owned(),
                measure: measure.map(str::to_owned),
                direction: *direction,
            })
    }
}

/// One port's traffic on one day, as DCImanager counted it (bytes). A count DCImanager's answer
/// did not carry is `None`: unknown, never zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortDay {
    pub connection: u64,
    pub day: Day,
    pub received: Option<u64>,
    pub sent: Option<u64>,
}

/// What one run adds for one service on one day.
#[derive(Debug, Clone, PartialEq)]
pub struct StatRow {
    pub item: u64,
    pub day: Day,
    pub param: String,
    /// In the add-on's measure.
    pub add: f64,
    pub measure: Option<String>,
}

/// The days a service's statistics are collected for: from the day of its last collection (its
/// total may have grown since) or, never collected, from the day it opened; today at the latest,
/// and never more than [`MAX_DAYS`] back.
pub fn window(last: Option<Day>, opened: Option<Day>, today: Day) -> Vec<Day> {
    let earliest = today.minus(MAX_DAYS - 1);
    let mut day = last.or(opened).unwrap_or(today).clamp(earliest, today);
    let mut days = Vec::new();
    while day <= today {
        days.push(day);
        day = day.next();
    }
    days
}

/// What to add for a service with `addons`, whose server's data ports are `ports`, over
/// `days`, given DCImanager's `traffic` (any ports) and what `itemstat` holds already
/// (`written`, by day and param). An error says why nothing can be added for the service.
pub fn rows(
    item: u64,
    addons: &[StatAddon],
    ports: &[u64],
    days: &[Day],
    traffic: &[PortDay],
    written: &BTreeMap<(Day, String), f64>,
    measures: &[Measure],
) -> Result<Vec<StatRow>, String> {
    let mut rows = Vec::new();
    for addon in addons {
        let measure = addon.measure.as_deref().ok_or_else(|| {
            format!(
                "the add-on {} of item {item} has no measure to bill traffic in",
                addon.param
            )
        })?;
        let gb_per_unit = gigabytes_per(measure, measures).ok_or_else(|| {
            format!(
                "the measure {measure} of add-on {} of item {item} is not a byte unit in BILLmanager's measure table",
                addon.param
            )
        })?;
        for day in days {
            let mut bytes: u64 = 0;
            for port in traffic
                .iter()
                .filter(|t| t.day == *day && ports.contains(&t.connection))
            {
                let counted = match addon.direction {
                    Direction::In => port.received,
                    Direction::Out => port.sent,
                    Direction::Both => port.received.zip(port.sent).map(|(r, s)| r + s),
                };
                let counted = counted.ok_or_else(|| {
                    format!(
                        "item {item}: DCImanager's traffic of port {} on {day} lacks the count {} needs",
                        port.connection, addon.param
                    )
                })?;
                bytes = bytes.saturating_add(counted);
            }
            let total = round(bytes as f64 / GIB / gb_per_unit);
            let billed = written
                .get(&(*day, addon.param.clone()))
                .copied()
                .unwrap_or(0.0);
            let add = round(total - billed);
            if add > 0.0 {
                rows.push(StatRow {
                    item,
                    day: *day,
                    param: addon.param.clone(),
                    add,
                    measure: addon.measure.clone(),
                });
            }
        }
    }
    Ok(rows)
}

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// To `itemstat.value`'s six decimals, so that a repeated run compares what was written.
fn round(value: f64) -> f64 {
    (value * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> Day {
        Day::parse(text).expect("day")
    }

    fn measures() -> Vec<Measure> {
        vec![
            Measure {
                id: 2,
                intname: "mb".into(),
                relation: 0.0,
                lessmeasure: None,
            },
            Measure {
                id: 3,
                intname: "gb".into(),
                relation: 1024.0,
                lessmeasure: Some(2),
            },
        ]
    }

    fn port(connection: u64, on: &str, received: u64, sent: u64) -> PortDay {
        PortDay {
            connection,
            day: day(on),
            received: Some(received),
            sent: Some(sent),
        }
    }

    const GB: u64 = 1024 * 1024 * 1024;

    #[test]
    fn the_window_runs_from_the_last_collection_or_the_opening_to_today() {
        let today = day("2026-12-03");
        let days = |last, opened| -> Vec<String> {
            window(last, opened, today)
                .iter()
                .map(ToString::to_string)
                .collect()
        };
        assert_eq!(
            days(Some(day("2026-12-02")), None),
            ["2026-12-02", "2026-12-03"]
        );
        assert_eq!(days(None, Some(day("2026-12-01"))).len(), 3);
        assert_eq!(days(None, None), ["2026-12-03"]);
        // Never more than a month back, never in the future.
        assert_eq!(days(None, Some(day("2025-01-01"))).len(), MAX_DAYS as usize);
        assert_eq!(days(Some(day("2027-01-01")), None), ["2026-12-03"]);
    }

    #[test]
    fn a_day_is_topped_up_never_counted_twice_never_credited() {
        let traffic = [addon("traffic", "gb")];
        let days = [day("2026-12-02"), day("2026-12-03")];
        let seen = [
            port(11, "2026-12-02", GB, 2 * GB),
            port(12, "2026-12-02", GB, 0),
            port(99, "2026-12-02", 50 * GB, 0),
            port(11, "2026-12-03", GB / 2, 0),
        ];
        let mut written = BTreeMap::new();
        let first =
            rows(7, &traffic, &[11, 12], &days, &seen, &written, &measures()).expect("rows");
        assert_eq!(
            first
                .iter()
                .map(|r| (r.day.to_string(), r.add))
                .collect::<Vec<_>>(),
            [
                ("2026-12-02".to_owned(), 4.0),
                ("2026-12-03".to_owned(), 0.5)
            ]
        );
        for row in &first {
            written.insert((row.day, row.param.clone()), row.add);
        }
        // The same counts again: nothing to add.
        assert!(
            rows(7, &traffic, &[11, 12], &days, &seen, &written, &measures())
                .expect("rows")
                .is_empty()
        );
        // Today grew by half a GB: only that is added.
        let grown = [seen[0], seen[1], port(11, "2026-12-03", GB, 0)];
        let more =
            rows(7, &traffic, &[11, 12], &days, &grown, &written, &measures()).expect("rows");
        assert_eq!(more.len(), 1);
        assert_eq!((more[0].day, more[0].add), (day("2026-12-03"), 0.5));
        // DCImanager now counts less than was billed: nothing, and no credit.
        let shrunk = [port(11, "2026-12-02", GB, 0)];
        assert!(
            rows(
                7,
                &traffic,
                &[11, 12],
                &days,
                &shrunk,
                &written,
                &measures()
            )
            .expect("rows")
            .is_empty()
        );
    }

    fn addon(name: &str, measure: &str) -> StatAddon {
        StatAddon::of(name, Some(measure)).expect("a traffic add-on")
    }

    #[test]
    fn directions_measures_and_unknown_counts() {
        let days = [day("2026-12-03")];
        let seen = [port(11, "2026-12-03", GB, 3 * GB)];
        let written = BTreeMap::new();
        let both = rows(
            1,
            &[addon("traffic_in", "mb"), addon("traffic_out", "gb")],
            &[11],
            &days,
            &seen,
            &written,
            &measures(),
        )
        .expect("rows");
        assert_eq!(both[0].add, 1024.0);
        assert_eq!(both[1].add, 3.0);
        assert_eq!(StatAddon::of("ram", Some("gb")), None);
        let unknown = [PortDay {
            sent: None,
            ..seen[0]
        }];
        let err = rows(
            1,
            &[addon("traffic", "gb")],
            &[11],
            &days,
            &unknown,
            &written,
            &measures(),
        )
        .expect_err("unknown count");
        assert!(err.contains("lacks"), "{err}");
        let err = rows(
            1,
            &[addon("traffic", "unit")],
            &[11],
            &days,
            &seen,
            &written,
            &measures(),
        )
        .expect_err("not bytes");
        assert!(err.contains("not a byte unit"), "{err}");
    }
}
