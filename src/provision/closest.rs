//! When no available server matches: the most similar one, and what staff must change to make
//! it match (DESIGN §2, open step 5).
//!
//! The servers considered are the available ones, those passing all seven rules, that do not
//! match: a server that is owned, unhealthy, in maintenance or busy must not be reserved for a
//! rebuild either, and rule 2 guarantees a readable label to compare.
//!
//! The choice is made from the customer's side: the goal is a server the customer gets quickly
//! and never below the order. A part the server has less of than ordered (RAM, a disk smaller or
//! slower than an ordered one, a missing disk, fewer or other processors) is a *shortfall*:
//! staff must add hardware, which may have to be bought. A part it has more of is *excess*:
//! staff only take something out. So a server with at least the order on every part beats every
//! server lacking a part; among those the smallest excess wins (less to take out); only when no
//! such server exists does the smallest shortfall win (excess breaks ties). For a `manual` order
//! the target is the order itself: parts that already satisfy it are left alone, so only
//! additions are ever asked, and their excess only ranks (the smaller server is kept for the
//! order, the bigger one for the orders that need it).

use std::cmp::Reverse;
use std::fmt;

use super::availability::Candidate;
use super::label::{Configuration, Disk};
use super::matching::{assign_disks, tie_break};
use super::order::{ManualSpec, Requirement};

/// What a disk slot must become.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiskTarget {
    /// A fixed label's disk.
    Exact(Disk),
    /// A `manual` order's `hdd_N`: any kind, at least this size.
    AtLeast(u64),
}

/// One part to change. Disk slots count from 1 in the order of the target's disks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Ram {
        from_gb: u64,
        to_gb: u64,
    },
    ReplaceDisk {
        slot: usize,
        from: Disk,
        to: DiskTarget,
    },
    AddDisk {
        slot: usize,
        to: DiskTarget,
    },
    RemoveDisk {
        disk: Disk,
    },
    Cpu {
        from_model: String,
        from_count: u32,
        /// The new model, when the model changes.
        to_model: Option<String>,
        to_count: u32,
    },
}

/// One whole part, in thousandths: changes are weighed relative to the target's size of the part.
const WHOLE: u64 = 1000;

/// Rounded up, so that any shortfall, however small, weighs something and loses to none.
fn relative(from: u64, to: u64) -> u64 {
    from.abs_diff(to).saturating_mul(WHOLE).div_ceil(to.max(1))
}

impl Change {
    /// Whether the server lacks what the change brings: the customer's order is not met on
    /// this part until staff add hardware. A replacement that is bigger but slower (or smaller
    /// but faster) still lacks something, so it counts as a shortfall.
    pub fn is_shortfall(&self) -> bool {
        match self {
            Change::Ram { from_gb, to_gb } => from_gb < to_gb,
            Change::ReplaceDisk {
                from,
                to: DiskTarget::Exact(to),
                ..
            } => from.size_gb < to.size_gb || from.kind < to.kind,
            Change::ReplaceDisk {
                from,
                to: DiskTarget::AtLeast(size_gb),
                ..
            } => from.size_gb < *size_gb,
            Change::AddDisk { .. } => true,
            Change::RemoveDisk { .. } => false,
            Change::Cpu {
                from_count,
                to_model,
                to_count,
                ..
            } => to_model.is_some() || from_count < to_count,
        }
    }

    /// How big the change is, in thousandths of the part.
    fn size(&self) -> u64 {
        match self {
            Change::Ram { from_gb, to_gb } => relative(*from_gb, *to_gb),
            Change::ReplaceDisk {
                from,
                to: DiskTarget::Exact(to),
                ..
            } => {
                relative(from.size_gb, to.size_gb)
                    + if to.kind == from.kind { 0 } else { WHOLE / 2 }
            }
            Change::ReplaceDisk {
                from,
                to: DiskTarget::AtLeast(size_gb),
                ..
            } => relative(from.size_gb, *size_gb),
            Change::AddDisk { .. } | Change::RemoveDisk { .. } => WHOLE,
            Change::Cpu {
                from_count,
                to_model,
                to_count,
                ..
            } => {
                relative(u64::from(*from_count), u64::from(*to_count))
                    + if to_model.is_some() { WHOLE } else { 0 }
            }
        }
    }
}

impl fmt::Display for DiskTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiskTarget::Exact(disk) => disk.fmt(f),
            DiskTarget::AtLeast(size_gb) => write!(f, "at least {size_gb} GB"),
        }
    }
}

impl fmt::Display for Change {
    /// What staff do, with the verb that says whether hardware goes in or comes out: `RAM 64 →
    /// 128 GB (add 64 GB)`, `RAM 128 → 64 GB (take out 64 GB)`, `disk 2: 512 → 1024 GB NVMe`,
    /// `disk 3: add 1024 GB NVMe`, `take out disk 240 GB SSD`, `CPU E5-2620 ×1 → ×2 (add 1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Ram { from_gb, to_gb } if from_gb < to_gb => {
                write!(f, "RAM {from_gb} → {to_gb} GB (add {} GB)", to_gb - from_gb)
            }
            Change::Ram { from_gb, to_gb } => {
                write!(
                    f,
                    "RAM {from_gb} → {to_gb} GB (take out {} GB)",
                    from_gb - to_gb
                )
            }
            Change::ReplaceDisk {
                slot,
                from,
                to: DiskTarget::Exact(to),
            } if to.kind == from.kind => write!(f, "disk {slot}: {} → {to}", from.size_gb),
            Change::ReplaceDisk { slot, from, to } => write!(f, "disk {slot}: {from} → {to}"),
            Change::AddDisk { slot, to } => write!(f, "disk {slot}: add {to}"),
            Change::RemoveDisk { disk } => write!(f, "take out disk {disk}"),
            Change::Cpu {
                from_model,
                from_count,
                to_model,
                to_count,
            } => match to_model {
                None if from_count < to_count => write!(
                    f,
                    "CPU {from_model} ×{from_count} → ×{to_count} (add {})",
                    to_count - from_count
                ),
                None => write!(
                    f,
                    "CPU {from_model} ×{from_count} → ×{to_count} (take out {})",
                    from_count - to_count
                ),
                Some(to_model) if from_count == to_count => {
                    write!(f, "CPU {from_model} → {to_model}")
                }
                Some(to_model) => {
                    write!(f, "CPU {from_model} ×{from_count} → {to_model} ×{to_count}")
                }
            },
        }
    }
}

/// How far a server is from the order, in thousandths of a part: first what it lacks, then
/// what it has beyond the order. Compared in that order, so a server lacking nothing
/// (`shortfall` 0) beats every server lacking anything, and among those the smaller excess wins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Distance {
    pub shortfall: u64,
    pub excess: u64,
}

impl Distance {
    /// Whether the server has at least the order on every part.
    pub fn lacks_nothing(&self) -> bool {
        self.shortfall == 0
    }
}

/// The task text for staff: which server to rebuild, to what, and each part to change.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    pub server_id: u64,
    pub server_name: String,
    pub target: Requirement,
    /// RAM first, then disks by slot and disks to take out, then processors.
    pub changes: Vec<Change>,
    /// For a `manual` order, what the server has beyond the order on the parts left alone.
    kept_excess: u64,
}

impl BuildPlan {
    pub fn new(requirement: &Requirement, candidate: &Candidate) -> BuildPlan {
        let have = &candidate.configuration;
        let (changes, kept_excess) = match requirement {
            Requirement::Fixed(wanted) => (fixed_changes(wanted, have), 0),
            Requirement::Manual(spec) => manual_changes(spec, have),
        };
        BuildPlan {
            server_id: candidate.id,
            server_name: candidate.name.clone(),
            target: requirement.clone(),
            changes,
            kept_excess,
        }
    }

    pub fn distance(&self) -> Distance {
        let mut distance = Distance {
            shortfall: 0,
            excess: self.kept_excess,
        };
        for change in &self.changes {
            let side = if change.is_shortfall() {
                &mut distance.shortfall
            } else {
                &mut distance.excess
            };
            *side = side.saturating_add(change.size());
        }
        distance
    }
}

impl fmt::Display for BuildPlan {
    /// `build server srv-12 to 2xE5-2620-128Gb-2x1024NVMe: RAM 64 → 128 GB (add 64 GB), disk 2:
    /// 512 → 1024 GB NVMe, CPU E5-2620 ×1 → ×2 (add 1)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.target {
            Requirement::Fixed(label) => {
                write!(f, "build server {} to {label}: ", self.server_name)?
            }
            Requirement::Manual(spec) => write!(
                f,
                "build server {} for the order ({spec}): ",
                self.server_name
            )?,
        }
        if self.changes.is_empty() {
            return f.write_str("no change needed");
        }
        let changes: Vec<String> = self.changes.iter().map(ToString::to_string).collect();
        f.write_str(&changes.join(", "))
    }
}

fn fixed_changes(wanted: &Configuration, have: &Configuration) -> Vec<Change> {
    let mut changes = Vec::new();
    if have.ram_gb != wanted.ram_gb {
        changes.push(Change::Ram {
            from_gb: have.ram_gb,
            to_gb: wanted.ram_gb,
        });
    }
    // Disks already as wanted stay. Each other wanted disk, largest first, takes the smallest
    // spare disk that has at least its size and kind (staff swap it for a smaller one: only
    // excess), so that what the server already holds serves as many ordered disks as it can.
    // The wanted disks still unserved pair up largest with largest with the spare disks left,
    // which keeps each of those replacements as small as it can be; what is left over is added
    // or taken out.
    let mut used = vec![false; have.disks.len()];
    let mut unpaired = Vec::new();
    for (slot, want) in wanted.disks.iter().enumerate() {
        match (0..have.disks.len()).find(|&j| !used[j] && have.disks[j] == *want) {
            Some(j) => used[j] = true,
            None => unpaired.push(slot),
        }
    }
    unpaired.sort_by_key(|&slot| Reverse(wanted.disks[slot]));
    let mut disk_changes = Vec::new();
    let mut unserved = Vec::new();
    for slot in unpaired {
        let want = wanted.disks[slot];
        let bigger = (0..have.disks.len())
            .filter(|&j| !used[j])
            .filter(|&j| have.disks[j].size_gb >= want.size_gb && have.disks[j].kind >= want.kind)
            .min_by_key(|&j| have.disks[j]);
        match bigger {
            Some(j) => {
                used[j] = true;
                disk_changes.push(Change::ReplaceDisk {
                    slot: slot + 1,
                    from: have.disks[j],
                    to: DiskTarget::Exact(want),
                });
            }
            None => unserved.push(slot),
        }
    }
    let mut spare: Vec<Disk> = (0..have.disks.len())
        .filter(|&j| !used[j])
        .map(|j| have.disks[j])
        .collect();
    spare.sort_by_key(|disk| Reverse(*disk));
    let mut spare = spare.into_iter();
    disk_changes.extend(unserved.into_iter().map(|slot| {
        let to = DiskTarget::Exact(wanted.disks[slot]);
        match spare.next() {
            Some(from) => Change::ReplaceDisk {
                slot: slot + 1,
                from,
                to,
            },
            None => Change::AddDisk { slot: slot + 1, to },
        }
    }));
    disk_changes.sort_by_key(slot_of);
    changes.extend(disk_changes);
    changes.extend(spare.map(|disk| Change::RemoveDisk { disk }));
    if have.cpu_count != wanted.cpu_count || !have.cpu_model.eq_ignore_ascii_case(&wanted.cpu_model)
    {
        changes.push(Change::Cpu {
            from_model: have.cpu_model.clone(),
            from_count: have.cpu_count,
            to_model: (!have.cpu_model.eq_ignore_ascii_case(&wanted.cpu_model))
                .then(|| wanted.cpu_model.clone()),
            to_count: wanted.cpu_count,
        });
    }
    changes
}

/// The changes a `manual` order asks for, and the excess of the parts left alone.
fn manual_changes(spec: &ManualSpec, have: &Configuration) -> (Vec<Change>, u64) {
    let mut changes = Vec::new();
    let mut kept_excess = 0u64;
    if have.ram_gb > spec.ram_gb {
        kept_excess += relative(have.ram_gb, spec.ram_gb);
    }
    if have.cpu_count > spec.cpu_count {
        kept_excess += relative(u64::from(have.cpu_count), u64::from(spec.cpu_count));
    }
    if have.ram_gb < spec.ram_gb {
        changes.push(Change::Ram {
            from_gb: have.ram_gb,
            to_gb: spec.ram_gb,
        });
    }
    // Every disk left over is smaller than every unserved order (see `assign_disks`): the
    // largest of them is brought up to the smallest unserved order, and so on, which keeps each
    // replacement small; the largest orders left become new disks.
    let assigned = assign_disks(&spec.disks_gb, &have.disks);
    for (i, disk) in assigned.iter().enumerate() {
        if let Some(j) = disk {
            kept_excess += relative(have.disks[*j].size_gb, spec.disks_gb[i]);
        }
    }
    let mut unserved: Vec<usize> = (0..spec.disks_gb.len())
        .filter(|&i| assigned[i].is_none())
        .collect();
    unserved.sort_by_key(|&i| spec.disks_gb[i]);
    let mut spare: Vec<Disk> = (0..have.disks.len())
        .filter(|j| !assigned.contains(&Some(*j)))
        .map(|j| have.disks[j])
        .collect();
    spare.sort_by_key(|disk| Reverse(*disk));
    // Spare disks no replacement needs stay in the server: excess the order did not ask for.
    let kept_disks = spare.len().saturating_sub(unserved.len());
    kept_excess += WHOLE * kept_disks as u64;
    let mut spare = spare.into_iter();
    let mut disk_changes: Vec<Change> = unserved
        .into_iter()
        .map(|i| {
            let to = DiskTarget::AtLeast(spec.disks_gb[i]);
            match spare.next() {
                Some(from) => Change::ReplaceDisk {
                    slot: i + 1,
                    from,
                    to,
                },
                None => Change::AddDisk { slot: i + 1, to },
            }
        })
        .collect();
    disk_changes.sort_by_key(slot_of);
    changes.extend(disk_changes);
    let model_change = spec
        .cpu_model
        .as_ref()
        .filter(|model| !model.eq_ignore_ascii_case(&have.cpu_model))
        .cloned();
    if have.cpu_count < spec.cpu_count || model_change.is_some() {
        changes.push(Change::Cpu {
            from_model: have.cpu_model.clone(),
            from_count: have.cpu_count,
            to_model: model_change,
            to_count: have.cpu_count.max(spec.cpu_count),
        });
    }
    (changes, kept_excess)
}

fn slot_of(change: &Change) -> usize {
    match change {
        Change::ReplaceDisk { slot, .. } | Change::AddDisk { slot, .. } => *slot,
        Change::Ram { .. } | Change::RemoveDisk { .. } | Change::Cpu { .. } => 0,
    }
}

/// A server to offer for a rebuild, with its distance from the order.
#[derive(Debug, Clone, Copy)]
pub struct Closest<'a> {
    pub candidate: &'a Candidate,
    pub distance: Distance,
}

/// The available servers, closest first; equal distances are shuffled by `seed` as in
/// [`super::matching::rank`]. Take the first one whose reservation holds and describe it with
/// [`BuildPlan::new`]. Plans are not kept: at 50,000 servers only distances are.
pub fn closest<'a>(
    requirement: &Requirement,
    candidates: &'a [Candidate],
    seed: u64,
) -> Vec<Closest<'a>> {
    let mut ranked: Vec<(Distance, u64, &Candidate)> = candidates
        .iter()
        .map(|candidate| {
            let distance = BuildPlan::new(requirement, candidate).distance();
            (distance, tie_break(seed, candidate.id), candidate)
        })
        .collect();
    ranked.sort_by_key(|(distance, shuffle, candidate)| (*distance, *shuffle, candidate.id));
    ranked
        .into_iter()
        .map(|(distance, _, candidate)| Closest {
            candidate,
            distance,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::label::DiskKind;
    use crate::provision::testing::{candidate, fixed, manual};

    fn plan(requirement: &Requirement, label: &str) -> String {
        BuildPlan::new(requirement, &candidate(12, label)).to_string()
    }

    fn order(requirement: &Requirement, stock: &[Candidate]) -> Vec<u64> {
        closest(requirement, stock, 9)
            .iter()
            .map(|c| c.candidate.id)
            .collect()
    }

    #[test]
    fn the_design_example() {
        assert_eq!(
            plan(
                &fixed("2xE5-2620-128Gb-2x1024NVMe"),
                "E5-2620-64Gb-1024NVMe-512NVMe"
            ),
            "build server srv-12 to 2xE5-2620-128Gb-2x1024NVMe: RAM 64 → 128 GB (add 64 GB), \
             disk 2: 512 → 1024 GB NVMe, CPU E5-2620 ×1 → ×2 (add 1)"
        );
    }

    #[test]
    fn fixed_plans_name_every_kind_of_change() {
        let target = fixed("E5-2650-64Gb-1024NVMe-960SSD-480SSD");
        assert_eq!(
            plan(&target, "2xE5-2620-128Gb-960SSD-960HDD-2000HDD-240SSD"),
            "build server srv-12 to E5-2650-64Gb-1024NVMe-960SSD-480SSD: RAM 128 → 64 GB (take out 64 GB), \
             disk 1: 2000 GB HDD → 1024 GB NVMe, disk 3: 960 GB HDD → 480 GB SSD, take out disk 240 GB SSD, \
             CPU E5-2620 ×2 → E5-2650 ×1"
        );
        assert_eq!(
            plan(&fixed("E5-2650-64Gb-2x1024NVMe"), "E5-2620-64Gb-1024NVMe"),
            "build server srv-12 to E5-2650-64Gb-2x1024NVMe: disk 2: add 1024 GB NVMe, CPU E5-2620 → E5-2650"
        );
        assert_eq!(
            plan(
                &fixed("E5-2620-64Gb-2x1024NVMe"),
                "e5-2620-64Gb-1024NVMe-1024NVMe"
            ),
            "build server srv-12 to E5-2620-64Gb-2x1024NVMe: no change needed"
        );
        assert_eq!(
            plan(&fixed("E5-2620-64Gb-1024NVMe"), "2xE5-2620-64Gb-1024NVMe"),
            "build server srv-12 to E5-2620-64Gb-1024NVMe: CPU E5-2620 ×2 → ×1 (take out 1)"
        );
    }

    #[test]
    fn a_bigger_disk_serves_an_ordered_one_before_a_smaller_is_replaced() {
        // The 2000 GB NVMe disk has at least what the 1024 GB NVMe order needs; the 480 GB SSD
        // is what lacks, so it is the one replaced upward.
        let build = BuildPlan::new(
            &fixed("E5-2620-64Gb-1024NVMe-960SSD"),
            &candidate(1, "E5-2620-64Gb-480SSD-2000NVMe"),
        );
        assert_eq!(
            build.to_string(),
            "build server srv-1 to E5-2620-64Gb-1024NVMe-960SSD: disk 1: 2000 → 1024 GB NVMe, disk 2: 480 → 960 GB SSD"
        );
        assert!(!build.changes[0].is_shortfall());
        assert!(build.changes[1].is_shortfall());
    }

    #[test]
    fn manual_plans_only_ask_for_what_is_missing() {
        let target = manual(2, None, 128, &[1000, 500, 2000]);
        assert_eq!(
            plan(&target, "4xE5-2620-64Gb-1024NVMe-480SSD"),
            "build server srv-12 for the order (2 × any CPU, RAM ≥ 128 GB, disks ≥ 1000 GB + 500 GB + 2000 GB): \
             RAM 64 → 128 GB (add 64 GB), disk 2: 480 GB SSD → at least 500 GB, disk 3: add at least 2000 GB"
        );
        assert_eq!(
            plan(
                &manual(2, Some("E5-2650"), 32, &[]),
                "E5-2620-64Gb-1024NVMe"
            ),
            "build server srv-12 for the order (2 × E5-2650, RAM ≥ 32 GB): CPU E5-2620 ×1 → E5-2650 ×2"
        );
    }

    #[test]
    fn manual_plans_never_take_out_but_the_excess_still_ranks() {
        let target = manual(1, None, 16, &[100]);
        let big = BuildPlan::new(&target, &candidate(1, "2xE5-2620-512Gb-4x4000NVMe"));
        assert!(big.changes.is_empty());
        assert!(big.distance().lacks_nothing());
        assert!(big.distance().excess > 0);
        // Both lack the same processor model; the smaller server is kept for this order.
        let target = manual(1, Some("E5-2650"), 16, &[100]);
        let stock = [
            candidate(1, "2xE5-2620-512Gb-4x4000NVMe"),
            candidate(2, "E5-2620-32Gb-240SSD"),
        ];
        assert_eq!(order(&target, &stock), vec![2, 1]);
    }

    #[test]
    fn shortfalls_and_excess() {
        let ssd = |size_gb| Disk {
            size_gb,
            kind: DiskKind::Ssd,
        };
        let nvme = Disk {
            size_gb: 512,
            kind: DiskKind::Nvme,
        };
        let less_ram = Change::Ram {
            from_gb: 64,
            to_gb: 128,
        };
        assert!(less_ram.is_shortfall());
        assert_eq!(less_ram.to_string(), "RAM 64 → 128 GB (add 64 GB)");
        let more_ram = Change::Ram {
            from_gb: 128,
            to_gb: 64,
        };
        assert!(!more_ram.is_shortfall());
        assert_eq!(more_ram.to_string(), "RAM 128 → 64 GB (take out 64 GB)");
        assert!(!Change::RemoveDisk { disk: ssd(1) }.is_shortfall());
        assert!(
            Change::AddDisk {
                slot: 1,
                to: DiskTarget::AtLeast(1)
            }
            .is_shortfall()
        );
        // Bigger but slower is still short of what was ordered: the disk must be replaced by
        // one staff may have to buy.
        let slower = Change::ReplaceDisk {
            slot: 1,
            from: ssd(1024),
            to: DiskTarget::Exact(nvme),
        };
        assert!(slower.is_shortfall());
        assert_eq!(slower.to_string(), "disk 1: 1024 GB SSD → 512 GB NVMe");
        let other_model = Change::Cpu {
            from_model: "E5".into(),
            from_count: 2,
            to_model: Some("E7".into()),
            to_count: 1,
        };
        assert!(other_model.is_shortfall());
        let fewer = Change::Cpu {
            from_model: "E5".into(),
            from_count: 2,
            to_model: None,
            to_count: 1,
        };
        assert!(!fewer.is_shortfall());
    }

    #[test]
    fn at_least_the_order_wins_then_the_smallest_excess_then_the_smallest_shortfall() {
        let stock = [
            candidate(1, "E5-2620-256Gb-2x1024NVMe"), // RAM excess, large
            candidate(2, "E5-2620-32Gb-1024NVMe"),    // RAM and a disk lacking
            candidate(3, "E5-2620-32Gb-2x1024NVMe"),  // RAM lacking only
            candidate(4, "E5-2620-64Gb-1024NVMe-768NVMe"), // one disk a little short
            candidate(5, "E5-2620-128Gb-2x1024NVMe"), // RAM excess, smaller
        ];
        let target = fixed("E5-2620-64Gb-2x1024NVMe");
        let ranked = closest(&target, &stock, 9);
        let ids: Vec<u64> = ranked.iter().map(|c| c.candidate.id).collect();
        assert_eq!(ids, vec![5, 1, 4, 3, 2]);
        assert_eq!(
            ranked[0].distance,
            Distance {
                shortfall: 0,
                excess: 1000
            }
        );
        assert_eq!(
            ranked[2].distance,
            Distance {
                shortfall: 250,
                excess: 0
            }
        );
    }

    #[test]
    fn a_tiny_shortfall_still_loses_to_a_huge_excess() {
        let stock = [
            candidate(1, "E5-2620-63Gb-2x1024NVMe"),
            candidate(2, "E5-2620-1024Gb-8x4000NVMe"),
        ];
        let ranked = closest(&fixed("E5-2620-64Gb-2x1024NVMe"), &stock, 0);
        assert_eq!(ranked[0].candidate.id, 2);
        assert!(ranked[1].distance.shortfall > 0);
    }

    #[test]
    fn equal_distances_are_shuffled_by_seed() {
        let stock: Vec<Candidate> = (1..=10)
            .map(|id| candidate(id, "E5-2620-32Gb-2x1024NVMe"))
            .collect();
        let target = fixed("E5-2620-64Gb-2x1024NVMe");
        let first = |seed| closest(&target, &stock, seed)[0].candidate.id;
        assert_eq!(first(5), first(5));
        let firsts: std::collections::HashSet<u64> = (0..30).map(first).collect();
        assert!(firsts.len() > 3, "{firsts:?}");
        assert!(closest(&target, &[], 1).is_empty());
    }
}
