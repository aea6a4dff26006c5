//! When no available server matches: the most similar one, and what staff must change to make
//! it match (DESIGN §2, open step 5).
//!
//! The servers considered are the available ones, those passing all seven rules, that do not
//! match: a server that is owned, unhealthy, in maintenance or busy must not be reserved for a
//! rebuild either, and rule 2 guarantees a readable label to compare.
//!
//! Changes are seen from the server: an *upgrade* adds (more RAM, another disk, more
//! processors, a bigger or faster disk), a *downgrade* takes away. Downgrading a bigger server
//! wastes hardware that could be sold as it is, so a server needing no downgrade always wins
//! over one that needs any, and among the rest a downgrade weighs ten times an upgrade of the
//! same relative size. For a `manual` order the target is the order itself: parts that already
//! satisfy it are left alone, so only upgrades are ever asked.

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
const DOWNGRADE_WEIGHT: u64 = 10;

fn relative(from: u64, to: u64) -> u64 {
    from.abs_diff(to).saturating_mul(WHOLE) / to.max(1)
}

impl Change {
    /// Whether the change takes something away from the server.
    pub fn is_downgrade(&self) -> bool {
        match self {
            Change::Ram { from_gb, to_gb } => to_gb < from_gb,
            Change::ReplaceDisk {
                from,
                to: DiskTarget::Exact(to),
                ..
            } => to.size_gb < from.size_gb || to.kind < from.kind,
            Change::ReplaceDisk {
                from,
                to: DiskTarget::AtLeast(size_gb),
                ..
            } => *size_gb < from.size_gb,
            Change::AddDisk { .. } => false,
            Change::RemoveDisk { .. } => true,
            Change::Cpu {
                from_count,
                to_count,
                ..
            } => to_count < from_count,
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
    /// `RAM 64 → 128 GB`, `disk 2: 512 → 1024 GB NVMe`, `CPU E5-2620 ×1 → ×2`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Ram { from_gb, to_gb } => write!(f, "RAM {from_gb} → {to_gb} GB"),
            Change::ReplaceDisk {
                slot,
                from,
                to: DiskTarget::Exact(to),
            } if to.kind == from.kind => write!(f, "disk {slot}: {} → {to}", from.size_gb),
            Change::ReplaceDisk { slot, from, to } => write!(f, "disk {slot}: {from} → {to}"),
            Change::AddDisk { slot, to } => write!(f, "disk {slot}: add {to}"),
            Change::RemoveDisk { disk } => write!(f, "remove disk {disk}"),
            Change::Cpu {
                from_model,
                from_count,
                to_model,
                to_count,
            } => match to_model {
                None => write!(f, "CPU {from_model} ×{from_count} → ×{to_count}"),
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

/// How far a server is from the order: servers needing fewer downgrades come first, then the
/// smaller weighted change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Distance {
    pub downgrades: u32,
    pub score: u64,
}

/// The task text for staff: which server to rebuild, to what, and each part to change.
#[derive(Debug, Clone, PartialEq)]
pub struct BuildPlan {
    pub server_id: u64,
    pub server_name: String,
    pub target: Requirement,
    /// RAM first, then disks by slot and disks to remove, then processors.
    pub changes: Vec<Change>,
}

impl BuildPlan {
    pub fn new(requirement: &Requirement, candidate: &Candidate) -> BuildPlan {
        let have = &candidate.configuration;
        let changes = match requirement {
            Requirement::Fixed(wanted) => fixed_changes(wanted, have),
            Requirement::Manual(spec) => manual_changes(spec, have),
        };
        BuildPlan {
            server_id: candidate.id,
            server_name: candidate.name.clone(),
            target: requirement.clone(),
            changes,
        }
    }

    pub fn distance(&self) -> Distance {
        let mut distance = Distance::default();
        for change in &self.changes {
            if change.is_downgrade() {
                distance.downgrades += 1;
                distance.score = distance
                    .score
                    .saturating_add(change.size().saturating_mul(DOWNGRADE_WEIGHT));
            } else {
                distance.score = distance.score.saturating_add(change.size());
            }
        }
        distance
    }
}

impl fmt::Display for BuildPlan {
    /// `build server srv-12 to 2xE5-2620-128Gb-2x1024NVMe: RAM 64 → 128 GB, disk 2: 512 → 1024
    /// GB NVMe, CPU E5-2620 ×1 → ×2`.
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
    // Disks already as wanted stay; the others pair up largest with largest, which keeps each
    // replacement as small as it can be; what is left over is added or removed.
    let mut used = vec![false; have.disks.len()];
    let mut unpaired = Vec::new();
    for (slot, want) in wanted.disks.iter().enumerate() {
        match (0..have.disks.len()).find(|&j| !used[j] && have.disks[j] == *want) {
            Some(j) => used[j] = true,
            None => unpaired.push(slot),
        }
    }
    unpaired.sort_by_key(|&slot| Reverse(wanted.disks[slot]));
    let mut spare: Vec<Disk> = (0..have.disks.len())
        .filter(|&j| !used[j])
        .map(|j| have.disks[j])
        .collect();
    spare.sort_by_key(|disk| Reverse(*disk));
    let mut spare = spare.into_iter();
    let mut disk_changes: Vec<Change> = unpaired
        .into_iter()
        .map(|slot| {
            let to = DiskTarget::Exact(wanted.disks[slot]);
            match spare.next() {
                Some(from) => Change::ReplaceDisk {
                    slot: slot + 1,
                    from,
                    to,
                },
                None => Change::AddDisk { slot: slot + 1, to },
            }
        })
        .collect();
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

fn manual_changes(spec: &ManualSpec, have: &Configuration) -> Vec<Change> {
    let mut changes = Vec::new();
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
    let mut unserved: Vec<usize> = (0..spec.disks_gb.len())
        .filter(|&i| assigned[i].is_none())
        .collect();
    unserved.sort_by_key(|&i| spec.disks_gb[i]);
    let mut spare: Vec<Disk> = (0..have.disks.len())
        .filter(|j| !assigned.contains(&Some(*j)))
        .map(|j| have.disks[j])
        .collect();
    spare.sort_by_key(|disk| Reverse(*disk));
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
    changes
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

    #[test]
    fn the_design_example() {
        assert_eq!(
            plan(
                &fixed("2xE5-2620-128Gb-2x1024NVMe"),
                "E5-2620-64Gb-1024NVMe-512NVMe"
            ),
            "build server srv-12 to 2xE5-2620-128Gb-2x1024NVMe: RAM 64 → 128 GB, disk 2: 512 → 1024 GB NVMe, CPU E5-2620 ×1 → ×2"
        );
    }

    #[test]
    fn fixed_plans_name_every_kind_of_change() {
        let target = fixed("E5-2650-64Gb-1024NVMe-960SSD-480SSD");
        assert_eq!(
            plan(&target, "2xE5-2620-128Gb-960SSD-960HDD-2000HDD-240SSD"),
            "build server srv-12 to E5-2650-64Gb-1024NVMe-960SSD-480SSD: RAM 128 → 64 GB, \
             disk 1: 2000 GB HDD → 1024 GB NVMe, disk 3: 960 GB HDD → 480 GB SSD, remove disk 240 GB SSD, \
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
    }

    #[test]
    fn manual_plans_only_ask_for_what_is_missing() {
        let target = manual(2, None, 128, &[1000, 500, 2000]);
        assert_eq!(
            plan(&target, "4xE5-2620-64Gb-1024NVMe-480SSD"),
            "build server srv-12 for the order (2 × any CPU, RAM ≥ 128 GB, disks ≥ 1000 GB + 500 GB + 2000 GB): \
             RAM 64 → 128 GB, disk 2: 480 GB SSD → at least 500 GB, disk 3: add at least 2000 GB"
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
    fn manual_plans_never_downgrade() {
        let target = manual(1, None, 16, &[100]);
        let plan = BuildPlan::new(&target, &candidate(1, "2xE5-2620-512Gb-4x4000NVMe"));
        assert!(plan.changes.is_empty());
        assert_eq!(plan.distance(), Distance::default());
    }

    #[test]
    fn downgrades_and_upgrades() {
        let ssd = |size_gb| Disk {
            size_gb,
            kind: DiskKind::Ssd,
        };
        let nvme = Disk {
            size_gb: 512,
            kind: DiskKind::Nvme,
        };
        assert!(
            Change::Ram {
                from_gb: 128,
                to_gb: 64
            }
            .is_downgrade()
        );
        assert!(
            !Change::Ram {
                from_gb: 64,
                to_gb: 128
            }
            .is_downgrade()
        );
        assert!(Change::RemoveDisk { disk: ssd(1) }.is_downgrade());
        assert!(
            !Change::AddDisk {
                slot: 1,
                to: DiskTarget::AtLeast(1)
            }
            .is_downgrade()
        );
        // Bigger but slower is still taking something away.
        let slower = Change::ReplaceDisk {
            slot: 1,
            from: nvme,
            to: DiskTarget::Exact(ssd(1024)),
        };
        assert!(slower.is_downgrade());
        assert_eq!(slower.to_string(), "disk 1: 512 GB NVMe → 1024 GB SSD");
        let fewer = Change::Cpu {
            from_model: "E5".into(),
            from_count: 2,
            to_model: None,
            to_count: 1,
        };
        assert!(fewer.is_downgrade());
    }

    #[test]
    fn no_downgrade_wins_then_the_smallest_change() {
        let stock = [
            candidate(1, "E5-2620-128Gb-2x1024NVMe"), // RAM downgrade
            candidate(2, "E5-2620-32Gb-1024NVMe"),    // RAM upgrade and a new disk
            candidate(3, "E5-2620-32Gb-2x1024NVMe"),  // RAM upgrade only
            candidate(4, "E5-2620-64Gb-1024NVMe-768NVMe"), // one small disk upgrade
        ];
        let target = fixed("E5-2620-64Gb-2x1024NVMe");
        let ranked = closest(&target, &stock, 9);
        let order: Vec<u64> = ranked.iter().map(|c| c.candidate.id).collect();
        assert_eq!(order, vec![4, 3, 2, 1]);
        assert_eq!(
            ranked[0].distance,
            Distance {
                downgrades: 0,
                score: 250
            }
        );
        assert_eq!(
            ranked[3].distance,
            Distance {
                downgrades: 1,
                score: 10_000
            }
        );
    }

    #[test]
    fn a_small_downgrade_still_loses_to_a_large_upgrade() {
        let stock = [
            candidate(1, "E5-2620-72Gb-2x1024NVMe"),
            candidate(2, "E5-2620-8Gb-1024NVMe"),
        ];
        let ranked = closest(&fixed("E5-2620-64Gb-2x1024NVMe"), &stock, 0);
        assert_eq!(ranked[0].candidate.id, 2);
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
