//! What an order asks for: the hardware (a fixed label or a `manual` set of addons) and the IP
//! counts, read from the tariff's `configuration` param and the item's addons.
//!
//! The BILLmanager reader fills the plain [`Addon`] and [`Measure`] values from the database;
//! everything here is the interpretation of DESIGN §2a "Order data", so that both kinds of
//! tariff reach matching as one [`Requirement`].

use std::fmt;

use super::label::{Configuration, LabelError};
use super::pool::Addresses;

/// One addon value of the item, as BILLmanager computes it (spec §4): keyed by the pricelist's
/// intname, the value as text, and the intname of its measure when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Addon {
    pub intname: String,
    pub value: String,
    pub measure: Option<String>,
}

/// A row of BILLmanager's `measure` table: one `intname` unit is `relation` units of
/// `lessmeasure` (e.g. `gb`: relation 1024, lessmeasure → `mb`).
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    pub id: u64,
    pub intname: String,
    pub relation: f64,
    pub lessmeasure: Option<u64>,
}

/// The hardware an order wants.
#[derive(Debug, Clone, PartialEq)]
pub enum Requirement {
    /// A tariff sold for one DCImanager configuration: the server's label must be the same
    /// hardware ([`Configuration::same_hardware`]).
    Fixed(Configuration),
    /// A `manual` tariff: a server satisfying every addon.
    Manual(ManualSpec),
}

impl fmt::Display for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Requirement::Fixed(configuration) => configuration.fmt(f),
            Requirement::Manual(spec) => spec.fmt(f),
        }
    }
}

/// The addons of a `manual` tariff, converted to counts and GB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualSpec {
    /// Addon `ncpu`: at least this many processors (1 when not ordered).
    pub cpu_count: u32,
    /// Addon `cpu`: the processor model, when ordered.
    pub cpu_model: Option<String>,
    /// Addon `ram`: at least this much RAM (0 when not ordered).
    pub ram_gb: u64,
    /// Addons `hdd_N` in order of N, zero values left out: each needs its own disk of at least
    /// that size.
    pub disks_gb: Vec<u64>,
}

impl fmt::Display for ManualSpec {
    /// `2 × E5-2620, RAM ≥ 128 GB, disks ≥ 1000 GB + 500 GB`, for explanations and build tasks.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let model = self.cpu_model.as_deref().unwrap_or("any CPU");
        write!(f, "{} × {model}, RAM ≥ {} GB", self.cpu_count, self.ram_gb)?;
        if !self.disks_gb.is_empty() {
            let disks: Vec<String> = self.disks_gb.iter().map(|gb| format!("{gb} GB")).collect();
            write!(f, ", disks ≥ {}", disks.join(" + "))?;
        }
        Ok(())
    }
}

/// Everything an open needs to know about the order besides the OS.
#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub requirement: Requirement,
    /// Addon `ip`: IPv4 addresses to give, at least one.
    pub ip_v4: u32,
    /// Addon `ipv6`: IPv6 addresses to give, 0 when not ordered.
    pub ip_v6: u32,
}

impl Order {
    /// What the server is to get from its pool.
    pub fn addresses(&self) -> Addresses {
        Addresses {
            ipv4: self.ip_v4,
            ipv6: self.ip_v6,
        }
    }
}

/// The tariff param value that marks a tariff built from addons.
pub const MANUAL: &str = "manual";

impl Order {
    /// Reads the order from the tariff param `configuration` and the item's addons. A fixed
    /// tariff ignores the hardware addons (its label says it all); values of `ram` and `hdd_N`
    /// are converted to GB through `measures`, and taken as GB when they have no measure.
    pub fn read(
        configuration: &str,
        addons: &[Addon],
        measures: &[Measure],
    ) -> Result<Order, OrderError> {
        let configuration = configuration.trim();
        let requirement = if configuration.is_empty() {
            return Err(OrderError::NoConfiguration);
        } else if configuration.eq_ignore_ascii_case(MANUAL) {
            Requirement::Manual(manual_spec(addons, measures)?)
        } else {
            Requirement::Fixed(configuration.parse().map_err(OrderError::Label)?)
        };
        let ip_v4 = find(addons, "ip")
            .map(count)
            .transpose()?
            .unwrap_or(1)
            .max(1);
        let ip_v6 = find(addons, "ipv6").map(count).transpose()?.unwrap_or(0);
        Ok(Order {
            requirement,
            ip_v4,
            ip_v6,
        })
    }
}

/// Why an order cannot be read; each names the tariff param or addon to fix.
#[derive(Debug, Clone, PartialEq)]
pub enum OrderError {
    NoConfiguration,
    Label(LabelError),
    BadValue {
        addon: String,
        value: String,
    },
    UnknownMeasure {
        addon: String,
        measure: String,
    },
    /// The measure exists but no chain of `lessmeasure` links relates it to gigabytes.
    NotConvertible {
        addon: String,
        measure: String,
    },
}

impl fmt::Display for OrderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OrderError::NoConfiguration => f.write_str(
                "the tariff has no 'configuration' param: set a DCImanager configuration label or 'manual'",
            ),
            OrderError::Label(err) => write!(f, "tariff param 'configuration': {err}"),
            OrderError::BadValue { addon, value } => {
                write!(f, "addon '{addon}' has the value '{value}', which is not a non-negative number")
            }
            OrderError::UnknownMeasure { addon, measure } => {
                write!(f, "addon '{addon}' is measured in '{measure}', which is not in the measure table")
            }
            OrderError::NotConvertible { addon, measure } => write!(
                f,
                "addon '{addon}' is measured in '{measure}', which the measure table does not relate to GB"
            ),
        }
    }
}

impl std::error::Error for OrderError {}

fn manual_spec(addons: &[Addon], measures: &[Measure]) -> Result<ManualSpec, OrderError> {
    let cpu_count = find(addons, "ncpu")
        .map(count)
        .transpose()?
        .unwrap_or(1)
        .max(1);
    let cpu_model = find(addons, "cpu")
        .map(|addon| addon.value.trim().to_string())
        .filter(|model| !model.is_empty());
    let ram_gb = find(addons, "ram")
        .map(|addon| gigabytes(addon, measures))
        .transpose()?
        .unwrap_or(0);
    let mut disks: Vec<(u32, u64)> = Vec::new();
    for addon in addons {
        let Some(n) = addon
            .intname
            .strip_prefix("hdd_")
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let size = gigabytes(addon, measures)?;
        if size > 0 {
            disks.push((n, size));
        }
    }
    disks.sort();
    Ok(ManualSpec {
        cpu_count,
        cpu_model,
        ram_gb,
        disks_gb: disks.into_iter().map(|(_, size)| size).collect(),
    })
}

fn find<'a>(addons: &'a [Addon], intname: &str) -> Option<&'a Addon> {
    addons.iter().find(|addon| addon.intname == intname)
}

fn number(addon: &Addon) -> Result<f64, OrderError> {
    let text = addon.value.trim();
    if text.is_empty() {
        return Ok(0.0);
    }
    text.parse::<f64>()
        .ok()
        .filter(|value| value.is_finite() && *value >= 0.0)
        .ok_or_else(|| OrderError::BadValue {
            addon: addon.intname.clone(),
            value: addon.value.clone(),
        })
}

/// A count (processors, addresses): a whole number, whatever its measure.
fn count(addon: &Addon) -> Result<u32, OrderError> {
    let value = number(addon)?;
    if value.fract() != 0.0 || value > f64::from(u32::MAX) {
        return Err(OrderError::BadValue {
            addon: addon.intname.clone(),
            value: addon.value.clone(),
        });
    }
    Ok(value as u32)
}

/// A size in whole GB, rounded up: an order for 1500 MB needs 2 GB, not 1.
fn gigabytes(addon: &Addon, measures: &[Measure]) -> Result<u64, OrderError> {
    let value = number(addon)?;
    let gb = match addon
        .measure
        .as_deref()
        .map(str::trim)
        .filter(|m| !m.is_empty())
    {
        None => value,
        Some(measure) => {
            value
                * gb_per_unit(measure, measures).map_err(|missing| match missing {
                    Conversion::Unknown => OrderError::UnknownMeasure {
                        addon: addon.intname.clone(),
                        measure: measure.to_string(),
                    },
                    Conversion::Unrelated => OrderError::NotConvertible {
                        addon: addon.intname.clone(),
                        measure: measure.to_string(),
                    },
                })?
        }
    };
    // Float noise from relations such as 1/1024 must not round 64.000000001 up to 65.
    let nearest = gb.round();
    let whole = if (gb - nearest).abs() < 1e-6 {
        nearest
    } else {
        gb.ceil()
    };
    Ok(whole as u64)
}

enum Conversion {
    Unknown,
    Unrelated,
}

/// How many GB one unit of `measure` is, by the measure table (see [`gb_per_unit`]); `None` when
/// the table has no such measure or does not relate it to a byte unit.
pub fn gigabytes_per(measure: &str, measures: &[Measure]) -> Option<f64> {
    gb_per_unit(measure, measures).ok()
}

/// Names of byte units with their size in GB, used only when the table itself does not relate a
/// measure to a GB measure. Binary multiples, as BILLmanager's own tables use.
fn known_unit_gb(intname: &str) -> Option<f64> {
    const KIB_PER_GB: f64 = 1024.0 * 1024.0;
    match intname.to_ascii_lowercase().as_str() {
        "kb" | "kib" | "kbyte" | "kilobyte" => Some(1.0 / KIB_PER_GB),
        "mb" | "mib" | "mbyte" | "megabyte" => Some(1.0 / 1024.0),
        "gb" | "gib" | "gbyte" | "gigabyte" => Some(1.0),
        "tb" | "tib" | "tbyte" | "terabyte" => Some(1024.0),
        "pb" | "pib" | "pbyte" | "petabyte" => Some(1024.0 * 1024.0),
        _ => None,
    }
}

/// How many GB one unit of `intname` is. The table's own relations win: the measure's chain of
/// `lessmeasure` links and a GB measure's chain must meet at some unit, and the two products of
/// relations down to that unit give the ratio (covers TB → GB, MB below GB, and any custom
/// unit). Only when no GB measure shares the chain do known unit names anchor it.
fn gb_per_unit(intname: &str, measures: &[Measure]) -> Result<f64, Conversion> {
    let measure = lookup(measures, intname).ok_or(Conversion::Unknown)?;
    let chain = chain_of(measure, measures);
    let gb_chains: Vec<Vec<(u64, f64)>> = measures
        .iter()
        .filter(|m| known_unit_gb(&m.intname) == Some(1.0))
        .map(|gb| chain_of(gb, measures))
        .collect();
    for (unit, units_per_measure) in &chain {
        for gb_chain in &gb_chains {
            if let Some((_, units_per_gb)) = gb_chain.iter().find(|(id, _)| id == unit) {
                return Ok(units_per_measure / units_per_gb);
            }
        }
    }
    chain
        .iter()
        .find_map(|(id, units_per_measure)| {
            let unit = measures.iter().find(|m| m.id == *id)?;
            Some(units_per_measure * known_unit_gb(&unit.intname)?)
        })
        .ok_or(Conversion::Unrelated)
}

fn lookup<'a>(measures: &'a [Measure], intname: &str) -> Option<&'a Measure> {
    measures
        .iter()
        .find(|m| m.intname.eq_ignore_ascii_case(intname))
}

/// `(unit id, how many of that unit one `measure` is)`, from the measure itself down its
/// `lessmeasure` links; a loop in the table ends the chain instead of spinning.
fn chain_of(measure: &Measure, measures: &[Measure]) -> Vec<(u64, f64)> {
    let mut links = vec![(measure.id, 1.0)];
    let mut current = measure;
    let mut factor = 1.0;
    while let Some(less) = current
        .lessmeasure
        .and_then(|id| measures.iter().find(|m| m.id == id))
    {
        if links.iter().any(|(id, _)| *id == less.id) {
            break;
        }
        factor *= current.relation;
        links.push((less.id, factor));
        current = less;
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addon(intname: &str, value: &str, measure: Option<&str>) -> Addon {
        Addon {
            intname: intname.into(),
            value: value.into(),
            measure: measure.map(Into::into),
        }
    }

    fn measure(id: u64, intname: &str, relation: f64, lessmeasure: Option<u64>) -> Measure {
        Measure {
            id,
            intname: intname.into(),
            relation,
            lessmeasure,
        }
    }

    /// BILLmanager's usual chain: TB → GB → MB → KB.
    fn table() -> Vec<Measure> {
        vec![
            measure(1, "kb", 1.0, None),
            measure(2, "mb", 1024.0, Some(1)),
            measure(3, "gb", 1024.0, Some(2)),
            measure(4, "tb", 1024.0, Some(3)),
            measure(5, "unit", 1.0, None),
        ]
    }

    fn manual(addons: &[Addon], measures: &[Measure]) -> ManualSpec {
        match Order::read("manual", addons, measures) {
            Ok(Order {
                requirement: Requirement::Manual(spec),
                ..
            }) => spec,
            other => panic!("not a manual order: {other:?}"),
        }
    }

    #[test]
    fn fixed_tariff_reads_its_label_and_ignores_hardware_addons() {
        let order = Order::read(
            "2xE5-2620-128Gb-2x1024NVMe",
            &[addon("ram", "1", Some("gb")), addon("ip", "3", None)],
            &table(),
        );
        let Ok(order) = order else {
            panic!("{order:?}")
        };
        let Requirement::Fixed(configuration) = &order.requirement else {
            panic!("{order:?}")
        };
        assert_eq!(configuration.ram_gb, 128);
        assert_eq!((order.ip_v4, order.ip_v6), (3, 0));
    }

    #[test]
    fn manual_tariff_converts_every_addon() {
        let spec = manual(
            &[
                addon("ncpu", "2", Some("unit")),
                addon("cpu", "E5-2620", None),
                addon("ram", "65536", Some("mb")),
                addon("hdd_2", "500", Some("gb")),
                addon("hdd_1", "2", Some("tb")),
                addon("hdd_3", "0", Some("gb")),
                addon("ip", "1", None),
            ],
            &table(),
        );
        assert_eq!(
            spec,
            ManualSpec {
                cpu_count: 2,
                cpu_model: Some("E5-2620".into()),
                ram_gb: 64,
                disks_gb: vec![2048, 500],
            }
        );
    }

    #[test]
    fn hdd_order_follows_the_number_not_the_text() {
        let addons: Vec<Addon> = (1..=11)
            .rev()
            .map(|n| addon(&format!("hdd_{n}"), &n.to_string(), None))
            .collect();
        assert_eq!(
            manual(&addons, &[]).disks_gb,
            (1..=11).collect::<Vec<u64>>()
        );
    }

    #[test]
    fn manual_defaults_when_addons_are_absent() {
        assert_eq!(
            manual(
                &[addon("cpu", " ", None), addon("ncpu", "0", None)],
                &table()
            ),
            ManualSpec {
                cpu_count: 1,
                cpu_model: None,
                ram_gb: 0,
                disks_gb: vec![],
            }
        );
    }

    #[test]
    fn manual_is_case_insensitive_and_trimmed() {
        assert!(matches!(
            Order::read(" Manual ", &[], &[]).map(|o| o.requirement),
            Ok(Requirement::Manual(_))
        ));
    }

    #[test]
    fn ip_counts() {
        let read =
            |addons: &[Addon]| Order::read("manual", addons, &[]).map(|o| (o.ip_v4, o.ip_v6));
        assert_eq!(read(&[]), Ok((1, 0)));
        assert_eq!(read(&[addon("ip", "0", None)]), Ok((1, 0)));
        assert_eq!(
            read(&[addon("ip", "4", None), addon("ipv6", "2", None)]),
            Ok((4, 2))
        );
        assert_eq!(
            read(&[addon("ip", "1.5", None)]),
            Err(OrderError::BadValue {
                addon: "ip".into(),
                value: "1.5".into()
            })
        );
    }

    #[test]
    fn sizes_round_up_to_whole_gb() {
        assert_eq!(
            manual(&[addon("ram", "1500", Some("mb"))], &table()).ram_gb,
            2
        );
        assert_eq!(
            manual(&[addon("ram", "1.5", Some("tb"))], &table()).ram_gb,
            1536
        );
    }

    #[test]
    fn custom_units_and_upward_chains_convert() {
        // A table that has no "gb" name at all but whose chain reaches a known unit name.
        let measures = vec![
            measure(10, "mib", 1.0, None),
            measure(11, "rackunit", 4096.0, Some(10)),
        ];
        assert_eq!(
            manual(&[addon("ram", "2", Some("rackunit"))], &measures).ram_gb,
            8
        );
        // The table's own relation wins over the known-name factor.
        let decimal = vec![
            measure(1, "mb", 1.0, None),
            measure(2, "gb", 1000.0, Some(1)),
        ];
        assert_eq!(
            manual(&[addon("ram", "64000", Some("mb"))], &decimal).ram_gb,
            64
        );
    }

    #[test]
    fn measure_names_compare_without_case() {
        assert_eq!(
            manual(&[addon("ram", "64", Some("GB"))], &table()).ram_gb,
            64
        );
    }

    #[test]
    fn measure_loops_do_not_spin() {
        let looped = vec![measure(1, "a", 2.0, Some(2)), measure(2, "b", 2.0, Some(1))];
        assert_eq!(
            Order::read("manual", &[addon("ram", "1", Some("a"))], &looped),
            Err(OrderError::NotConvertible {
                addon: "ram".into(),
                measure: "a".into()
            })
        );
    }

    #[test]
    fn errors_name_the_addon_and_measure() {
        let err = Order::read("manual", &[addon("ram", "64", Some("parsec"))], &table());
        assert_eq!(
            err,
            Err(OrderError::UnknownMeasure {
                addon: "ram".into(),
                measure: "parsec".into()
            })
        );
        let message = err.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            message.contains("'ram'") && message.contains("'parsec'"),
            "{message}"
        );
        let unrelated = Order::read("manual", &[addon("hdd_1", "3", Some("unit"))], &table());
        assert_eq!(
            unrelated,
            Err(OrderError::NotConvertible {
                addon: "hdd_1".into(),
                measure: "unit".into()
            })
        );
        assert_eq!(
            Order::read("manual", &[addon("ram", "lots", None)], &[]),
            Err(OrderError::BadValue {
                addon: "ram".into(),
                value: "lots".into()
            })
        );
        assert_eq!(
            Order::read("manual", &[addon("ram", "-4", None)], &[]),
            Err(OrderError::BadValue {
                addon: "ram".into(),
                value: "-4".into()
            })
        );
    }

    #[test]
    fn missing_or_bad_configuration() {
        assert_eq!(Order::read(" ", &[], &[]), Err(OrderError::NoConfiguration));
        let bad = Order::read("E5-2620", &[], &[]);
        assert!(matches!(bad, Err(OrderError::Label(_))), "{bad:?}");
        let message = bad.err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            message,
            "tariff param 'configuration': configuration label 'E5-2620': no RAM part such as '64Gb'"
        );
    }
}
