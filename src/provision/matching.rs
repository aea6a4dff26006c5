//! Which available servers an order can take, best first.
//!
//! A fixed tariff wants the same hardware as its label ([`Configuration::same_hardware`]: the
//! `1x` prefix, disk order and disk grouping do not count). A `manual` tariff wants every addon
//! satisfied: at least `ncpu` processors, the `cpu` model when given, at least `ram` GB, and a
//! disk of its own of at least `hdd_N` GB for each `hdd_N`. Among the matches the smallest
//! adequate server comes first (least excess RAM, then least excess disk, then fewest
//! processors); exact equals are shuffled by a caller-given seed, so that parallel opens spread
//! over the stock instead of all racing for the same server, while a test with a fixed seed
//! sees one fixed order.

use std::cmp::Reverse;
use std::fmt;

use super::availability::Candidate;
use super::label::{Configuration, Disk};
use super::order::{ManualSpec, Requirement};

/// How much more a matching server has than the order needs; smaller is better, compared field
/// by field in this order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fit {
    pub excess_ram_gb: u64,
    /// Total disk space beyond the sum of the ordered disks.
    pub excess_disk_gb: u64,
    pub cpu_count: u32,
}

/// Why a server does not match, for administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    pub reason: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

fn mismatch(reason: String) -> Mismatch {
    Mismatch { reason }
}

/// Whether `configuration` satisfies the order, and by how much it exceeds it. Every server
/// matching a fixed tariff has the same hardware, so all fit equally ([`Fit::default`]).
pub fn fit(requirement: &Requirement, configuration: &Configuration) -> Result<Fit, Mismatch> {
    match requirement {
        Requirement::Fixed(wanted) => fixed_fit(wanted, configuration),
        Requirement::Manual(spec) => manual_fit(spec, configuration),
    }
}

fn fixed_fit(wanted: &Configuration, have: &Configuration) -> Result<Fit, Mismatch> {
    if have.same_hardware(wanted) {
        return Ok(Fit::default());
    }
    let part = if have.cpu_count != wanted.cpu_count
        || !have.cpu_model.eq_ignore_ascii_case(&wanted.cpu_model)
    {
        "CPU differs"
    } else if have.ram_gb != wanted.ram_gb {
        "RAM differs"
    } else {
        "disks differ"
    };
    Err(mismatch(format!("{part}: {have} is not {wanted}")))
}

fn manual_fit(spec: &ManualSpec, have: &Configuration) -> Result<Fit, Mismatch> {
    if have.cpu_count < spec.cpu_count {
        return Err(mismatch(format!(
            "{} processor(s), {} ordered",
            have.cpu_count, spec.cpu_count
        )));
    }
    if let Some(model) = &spec.cpu_model
        && !have.cpu_model.eq_ignore_ascii_case(model)
    {
        return Err(mismatch(format!("CPU {}, {model} ordered", have.cpu_model)));
    }
    if have.ram_gb < spec.ram_gb {
        return Err(mismatch(format!(
            "RAM {} GB, {} GB ordered",
            have.ram_gb, spec.ram_gb
        )));
    }
    if assign_disks(&spec.disks_gb, &have.disks)
        .iter()
        .any(Option::is_none)
    {
        let wanted: Vec<String> = spec.disks_gb.iter().map(|gb| format!("{gb} GB")).collect();
        let disks: Vec<String> = have.disks.iter().map(ToString::to_string).collect();
        let disks = if disks.is_empty() {
            "none".to_string()
        } else {
            disks.join(", ")
        };
        return Err(mismatch(format!(
            "disks {disks} cannot hold the ordered {}",
            wanted.join(" + ")
        )));
    }
    let ordered_disk: u64 = spec.disks_gb.iter().sum();
    Ok(Fit {
        excess_ram_gb: have.ram_gb - spec.ram_gb,
        excess_disk_gb: have.total_disk_gb().saturating_sub(ordered_disk),
        cpu_count: have.cpu_count,
    })
}

/// For each ordered size (in order), the index in `disks` of the disk that serves it, or `None`
/// when none is left big enough. Orders are served largest first, each by the smallest disk left
/// that is big enough. The disks big enough for a larger order are a subset of those for a
/// smaller one, so this serves as many orders as any assignment could (all of them whenever that
/// is possible), keeps the larger disks for the larger orders, and every disk it leaves unused
/// is smaller than every order it leaves unserved.
pub fn assign_disks(ordered_gb: &[u64], disks: &[Disk]) -> Vec<Option<usize>> {
    let mut orders: Vec<usize> = (0..ordered_gb.len()).collect();
    orders.sort_by_key(|&i| Reverse(ordered_gb[i]));
    let mut free: Vec<usize> = (0..disks.len()).collect();
    free.sort_by_key(|&j| disks[j]);
    let mut assigned = vec![None; ordered_gb.len()];
    for order in orders {
        if let Some(at) = free
            .iter()
            .position(|&j| disks[j].size_gb >= ordered_gb[order])
        {
            assigned[order] = Some(free.remove(at));
        }
    }
    assigned
}

/// The available servers split into matches (best first, ties shuffled by `seed`) and the
/// others with the reason each does not match.
#[derive(Debug)]
pub struct Ranking<'a> {
    pub matches: Vec<&'a Candidate>,
    pub mismatches: Vec<(&'a Candidate, Mismatch)>,
}

pub fn rank<'a>(requirement: &Requirement, candidates: &'a [Candidate], seed: u64) -> Ranking<'a> {
    let mut matches = Vec::new();
    let mut mismatches = Vec::new();
    for candidate in candidates {
        match fit(requirement, &candidate.configuration) {
            Ok(fit) => matches.push((fit, tie_break(seed, candidate.id), candidate)),
            Err(why) => mismatches.push((candidate, why)),
        }
    }
    matches.sort_by_key(|(fit, shuffle, candidate)| (*fit, *shuffle, candidate.id));
    Ranking {
        matches: matches
            .into_iter()
            .map(|(_, _, candidate)| candidate)
            .collect(),
        mismatches,
    }
}

/// A pseudo-random key per (seed, server): the same seed always gives the same order, different
/// seeds give unrelated orders. SplitMix64's finaliser, which is enough to spread ties.
pub(crate) fn tie_break(seed: u64, id: u64) -> u64 {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    mix(seed ^ mix(id))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::label::DiskKind;
    use crate::provision::testing::{candidate, fixed, manual};

    fn ids(ranking: &Ranking) -> Vec<u64> {
        ranking.matches.iter().map(|c| c.id).collect()
    }

    fn disks(sizes: &[u64]) -> Vec<Disk> {
        sizes
            .iter()
            .map(|&size_gb| Disk {
                size_gb,
                kind: DiskKind::Ssd,
            })
            .collect()
    }

    #[test]
    fn fixed_tariff_wants_the_same_hardware() {
        let stock = [
            candidate(1, "E5-2620-64Gb-1024NVMe-512SSD"),
            candidate(2, "1xE5-2620-64Gb-512SSD-1024NVMe"),
            candidate(3, "E5-2620-128Gb-1024NVMe-512SSD"),
            candidate(4, "2xE5-2620-64Gb-1024NVMe-512SSD"),
            candidate(5, "E5-2620-64Gb-1024NVMe-1024SSD"),
        ];
        let ranking = rank(&fixed("E5-2620-64Gb-1024NVMe-512SSD"), &stock, 1);
        let mut matched = ids(&ranking);
        matched.sort();
        assert_eq!(matched, vec![1, 2]);
        let reasons: Vec<(u64, String)> = ranking
            .mismatches
            .iter()
            .map(|(c, m)| (c.id, m.reason.clone()))
            .collect();
        assert_eq!(
            reasons,
            vec![
                (3, "RAM differs: E5-2620-128Gb-1024NVMe-512SSD is not E5-2620-64Gb-1024NVMe-512SSD".into()),
                (4, "CPU differs: 2xE5-2620-64Gb-1024NVMe-512SSD is not E5-2620-64Gb-1024NVMe-512SSD".into()),
                (5, "disks differ: E5-2620-64Gb-1024NVMe-1024SSD is not E5-2620-64Gb-1024NVMe-512SSD".into()),
            ]
        );
    }

    #[test]
    fn manual_wants_every_addon_satisfied() {
        let spec = manual(2, Some("E5-2620"), 128, &[1000, 500]);
        let verdict = |label: &str| fit(&spec, &candidate(1, label).configuration);
        assert_eq!(
            verdict("2xE5-2620-256Gb-2x1024NVMe-960SSD"),
            Ok(Fit {
                excess_ram_gb: 128,
                excess_disk_gb: 3008 - 1500,
                cpu_count: 2
            })
        );
        assert!(verdict("4xe5-2620-128Gb-1024NVMe-512SSD").is_ok());
        assert_eq!(
            verdict("E5-2620-128Gb-1024NVMe-512SSD").map_err(|m| m.reason),
            Err("1 processor(s), 2 ordered".into())
        );
        assert_eq!(
            verdict("2xE5-2650-128Gb-1024NVMe-512SSD").map_err(|m| m.reason),
            Err("CPU E5-2650, E5-2620 ordered".into())
        );
        assert_eq!(
            verdict("2xE5-2620-64Gb-1024NVMe-512SSD").map_err(|m| m.reason),
            Err("RAM 64 GB, 128 GB ordered".into())
        );
        assert_eq!(
            verdict("2xE5-2620-128Gb-2048NVMe").map_err(|m| m.reason),
            Err("disks 2048 GB NVMe cannot hold the ordered 1000 GB + 500 GB".into())
        );
        assert_eq!(
            verdict("2xE5-2620-128Gb-480SSD-2048NVMe").map_err(|m| m.reason),
            Err("disks 480 GB SSD, 2048 GB NVMe cannot hold the ordered 1000 GB + 500 GB".into())
        );
    }

    #[test]
    fn manual_without_model_or_disks_accepts_any() {
        let spec = manual(1, None, 0, &[]);
        assert_eq!(
            fit(&spec, &candidate(1, "i9-9900K-64Gb").configuration),
            Ok(Fit {
                excess_ram_gb: 64,
                excess_disk_gb: 0,
                cpu_count: 1
            })
        );
    }

    #[test]
    fn disk_assignment_takes_the_smallest_sufficient_disk() {
        // Taking 2000 for the 500 order would leave nothing for 1500.
        assert_eq!(
            assign_disks(&[500, 1500], &disks(&[2000, 600])),
            vec![Some(1), Some(0)]
        );
        assert_eq!(
            assign_disks(&[1500, 500], &disks(&[2000, 600])),
            vec![Some(0), Some(1)]
        );
        // Each order needs a disk of its own.
        assert_eq!(
            assign_disks(&[500, 500], &disks(&[1000])),
            vec![Some(0), None]
        );
        assert_eq!(
            assign_disks(&[], &disks(&[1000])),
            Vec::<Option<usize>>::new()
        );
        assert_eq!(assign_disks(&[10], &[]), vec![None]);
        assert_eq!(
            assign_disks(&[480, 960, 480], &disks(&[960, 480, 480, 240])),
            vec![Some(1), Some(0), Some(2)]
        );
    }

    #[test]
    fn smallest_adequate_server_first() {
        let stock = [
            candidate(1, "2xE5-2620-256Gb-2x1024NVMe"),
            candidate(2, "E5-2620-128Gb-2x1024NVMe"),
            candidate(3, "E5-2620-128Gb-1024NVMe"),
            candidate(4, "2xE5-2620-128Gb-1024NVMe"),
            candidate(5, "E5-2620-64Gb-1024NVMe"),
        ];
        let ranking = rank(&manual(1, Some("E5-2620"), 128, &[1000]), &stock, 7);
        // Least excess RAM, then least excess disk, then fewest processors.
        assert_eq!(ids(&ranking), vec![3, 4, 2, 1]);
        assert_eq!(ranking.mismatches.len(), 1);
    }

    #[test]
    fn ties_are_shuffled_by_the_seed_deterministically() {
        let stock: Vec<Candidate> = (1..=20)
            .map(|id| candidate(id, "E5-2620-64Gb-2x1024NVMe"))
            .collect();
        let requirement = fixed("E5-2620-64Gb-2x1024NVMe");
        let order = |seed| ids(&rank(&requirement, &stock, seed));
        assert_eq!(order(1), order(1));
        assert_ne!(order(1), order(2));
        let mut sorted = order(3);
        sorted.sort();
        assert_eq!(sorted, (1..=20).collect::<Vec<_>>());
        // The order does not depend on the listing order.
        let mut reversed = stock.clone();
        reversed.reverse();
        assert_eq!(ids(&rank(&requirement, &reversed, 1)), order(1));
        // Different seeds put different servers first, so parallel opens spread out.
        let firsts: std::collections::HashSet<u64> = (0..50).map(|seed| order(seed)[0]).collect();
        assert!(firsts.len() > 5, "{firsts:?}");
    }

    #[test]
    fn shuffling_never_beats_a_better_fit() {
        let stock = [
            candidate(1, "E5-2620-128Gb-1024NVMe"),
            candidate(2, "E5-2620-64Gb-1024NVMe"),
            candidate(3, "E5-2620-64Gb-1024NVMe"),
        ];
        for seed in 0..20 {
            let ranking = rank(&manual(1, None, 64, &[]), &stock, seed);
            assert_eq!(ranking.matches.last().map(|c| c.id), Some(1));
        }
    }
}
