//! DCImanager configuration labels, such as `2xE5-2620-128Gb-2x1024NVMe`, read into their parts.
//!
//! DCImanager sums up a server's hardware as one label (spec §3.2),
//! `[<n>x]<cpu model>-<ram>Gb-[<n>x]<size><disk type>[-...]`; tariffs name the label they sell. Matching a `manual` tariff and
//! writing a build task need the parts, so the label is parsed once into a [`Configuration`].
//! CPU models contain dashes themselves (`E5-2620`, `E-2146G`), so the RAM part `<n>Gb` is the
//! anchor: everything before it is the processor, everything after it the disks.

use std::fmt;
use std::str::FromStr;

/// The kind of a disk, ordered from slowest to fastest so that a build plan can tell a kind
/// upgrade from a downgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiskKind {
    Hdd,
    Ssd,
    Nvme,
}

impl DiskKind {
    /// The spelling DCImanager uses in labels.
    pub fn label(self) -> &'static str {
        match self {
            DiskKind::Hdd => "HDD",
            DiskKind::Ssd => "SSD",
            DiskKind::Nvme => "NVMe",
        }
    }

    fn parse(text: &str) -> Option<DiskKind> {
        [DiskKind::Hdd, DiskKind::Ssd, DiskKind::Nvme]
            .into_iter()
            .find(|kind| kind.label().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for DiskKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One physical disk. Ordered by size first, so sorting disks puts the smallest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Disk {
    pub size_gb: u64,
    pub kind: DiskKind,
}

impl fmt::Display for Disk {
    /// `1024 GB NVMe`, the way staff read it in a build task.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} GB {}", self.size_gb, self.kind)
    }
}

/// A server's hardware as its label describes it. Disks are expanded one per unit
/// (`2x1024NVMe` gives two disks) and kept in label order, so that [`fmt::Display`] gives the
/// label back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The `<n>x` prefix; 1 when absent.
    pub cpu_count: u32,
    pub cpu_model: String,
    pub ram_gb: u64,
    pub disks: Vec<Disk>,
}

impl Configuration {
    /// Whether two labels describe the same hardware: the `1x` prefix, disk order and disk
    /// grouping (`2x1024NVMe` against `1024NVMe-1024NVMe`) do not matter, and CPU models compare
    /// without regard to case. This is what a fixed tariff's "equal label" means.
    pub fn same_hardware(&self, other: &Configuration) -> bool {
        self.cpu_count == other.cpu_count
            && self.cpu_model.eq_ignore_ascii_case(&other.cpu_model)
            && self.ram_gb == other.ram_gb
            && self.sorted_disks() == other.sorted_disks()
    }

    /// Disks smallest first.
    pub fn sorted_disks(&self) -> Vec<Disk> {
        let mut disks = self.disks.clone();
        disks.sort();
        disks
    }

    pub fn total_disk_gb(&self) -> u64 {
        self.disks.iter().map(|disk| disk.size_gb).sum()
    }
}

impl fmt::Display for Configuration {
    /// The label, with equal neighbouring disks grouped as `<n>x` the way DCImanager writes them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.cpu_count != 1 {
            write!(f, "{}x", self.cpu_count)?;
        }
        write!(f, "{}-{}Gb", self.cpu_model, self.ram_gb)?;
        let mut rest = self.disks.as_slice();
        while let Some(first) = rest.first() {
            let run = rest.iter().take_while(|disk| *disk == first).count();
            if run > 1 {
                write!(f, "-{run}x{}{}", first.size_gb, first.kind)?;
            } else {
                write!(f, "-{}{}", first.size_gb, first.kind)?;
            }
            rest = &rest[run..];
        }
        Ok(())
    }
}

impl FromStr for Configuration {
    type Err = LabelError;

    fn from_str(label: &str) -> Result<Configuration, LabelError> {
        let error = |problem| LabelError {
            label: label.to_string(),
            problem,
        };
        let trimmed = label.trim();
        if trimmed.is_empty() {
            return Err(error(LabelProblem::Empty));
        }
        let parts: Vec<&str> = trimmed.split('-').collect();
        // The last `<n>Gb` part is the only possible anchor: disk parts never look like RAM, so
        // any valid anchor has no other RAM-looking part after it.
        let ram_at = parts
            .iter()
            .rposition(|part| ram_gb(part).is_some())
            .ok_or_else(|| error(LabelProblem::NoRam))?;
        let ram_gb = ram_gb(parts[ram_at]).unwrap_or_default();
        if ram_gb == 0 {
            return Err(error(LabelProblem::ZeroRam));
        }
        let (cpu_count, cpu_model) = cpu(&parts[..ram_at].join("-")).map_err(error)?;
        let mut disks = Vec::new();
        for part in &parts[ram_at + 1..] {
            let (count, disk) = disk(part).map_err(|why| {
                error(LabelProblem::BadDisk {
                    part: part.to_string(),
                    why,
                })
            })?;
            disks.extend(std::iter::repeat_n(disk, count));
        }
        Ok(Configuration {
            cpu_count,
            cpu_model,
            ram_gb,
            disks,
        })
    }
}

/// A label that cannot be read, with the label and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelError {
    pub label: String,
    pub problem: LabelProblem,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelProblem {
    /// Diagnostics have not determined the configuration yet.
    Empty,
    NoRam,
    ZeroRam,
    NoCpuModel,
    ZeroCpuCount,
    BadDisk {
        part: String,
        why: &'static str,
    },
}

impl fmt::Display for LabelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problem == LabelProblem::Empty {
            return f.write_str("configuration not determined yet (empty label)");
        }
        write!(f, "configuration label '{}': ", self.label)?;
        match &self.problem {
            LabelProblem::Empty => Ok(()),
            LabelProblem::NoRam => f.write_str("no RAM part such as '64Gb'"),
            LabelProblem::ZeroRam => f.write_str("RAM is 0Gb"),
            LabelProblem::NoCpuModel => f.write_str("no CPU model before the RAM part"),
            LabelProblem::ZeroCpuCount => f.write_str("CPU count is 0"),
            LabelProblem::BadDisk { part, why } => write!(f, "disk part '{part}': {why}"),
        }
    }
}

impl std::error::Error for LabelError {}

/// `64Gb` → 64; anything else → `None`.
fn ram_gb(part: &str) -> Option<u64> {
    let digits = part.len().checked_sub(2).and_then(|end| {
        let (digits, unit) = (part.get(..end)?, part.get(end..)?);
        unit.eq_ignore_ascii_case("gb").then_some(digits)
    })?;
    all_digits(digits).then(|| digits.parse().ok()).flatten()
}

/// `2xE5-2620` → (2, `E5-2620`); `i9-9900K` → (1, `i9-9900K`).
fn cpu(text: &str) -> Result<(u32, String), LabelProblem> {
    let (count, model) = match text.split_once('x') {
        Some((count, model)) if all_digits(count) => {
            let count: u32 = count.parse().map_err(|_| LabelProblem::ZeroCpuCount)?;
            (count, model)
        }
        _ => (1, text),
    };
    if count == 0 {
        return Err(LabelProblem::ZeroCpuCount);
    }
    if model.is_empty() {
        return Err(LabelProblem::NoCpuModel);
    }
    Ok((count, model.to_string()))
}

/// `2x1024NVMe` → (2, 1024 GB NVMe).
fn disk(part: &str) -> Result<(usize, Disk), &'static str> {
    if part.is_empty() {
        return Err("empty");
    }
    let (count, rest) = match part.split_once('x') {
        Some((count, rest)) if all_digits(count) => {
            let count: usize = count.parse().map_err(|_| "count too large")?;
            (count, rest)
        }
        _ => (1, part),
    };
    if count == 0 {
        return Err("count is 0");
    }
    let size_end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (size, kind) = rest.split_at(size_end);
    if size.is_empty() {
        return Err("no size in GB");
    }
    let size_gb: u64 = size.parse().map_err(|_| "size too large")?;
    if size_gb == 0 {
        return Err("size is 0");
    }
    let kind = DiskKind::parse(kind).ok_or("disk type must be HDD, SSD or NVMe")?;
    Ok((count, Disk { size_gb, kind }))
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(label: &str) -> Configuration {
        match label.parse() {
            Ok(configuration) => configuration,
            Err(err) => panic!("{label}: {err}"),
        }
    }

    fn problem(label: &str) -> LabelProblem {
        match label.parse::<Configuration>() {
            Ok(configuration) => panic!("{label} parsed as {configuration:?}"),
            Err(err) => err.problem,
        }
    }

    const fn nvme(size_gb: u64) -> Disk {
        Disk {
            size_gb,
            kind: DiskKind::Nvme,
        }
    }

    const fn ssd(size_gb: u64) -> Disk {
        Disk {
            size_gb,
            kind: DiskKind::Ssd,
        }
    }

    #[test]
    fn single_cpu_with_dashed_model_and_grouped_disks() {
        assert_eq!(
            parse("i9-9900K-64Gb-2x1024NVMe"),
            Configuration {
                cpu_count: 1,
                cpu_model: "i9-9900K".into(),
                ram_gb: 64,
                disks: vec![nvme(1024), nvme(1024)],
            }
        );
    }

    #[test]
    fn several_disk_parts() {
        let configuration = parse("E-2146G-64Gb-1920SSD-3840SSD");
        assert_eq!(configuration.cpu_model, "E-2146G");
        assert_eq!(configuration.disks, vec![ssd(1920), ssd(3840)]);
        assert_eq!(configuration.total_disk_gb(), 5760);
    }

    #[test]
    fn cpu_count_prefix() {
        let configuration = parse("2xE5-2620-128Gb-2x1024NVMe");
        assert_eq!(configuration.cpu_count, 2);
        assert_eq!(configuration.cpu_model, "E5-2620");
        assert_eq!(configuration.ram_gb, 128);
    }

    #[test]
    fn hdd_and_case_insensitive_units() {
        let configuration = parse("E3-1230v6-32GB-4x4000hdd");
        assert_eq!(configuration.ram_gb, 32);
        assert_eq!(configuration.disks.len(), 4);
        assert!(
            configuration
                .disks
                .iter()
                .all(|d| d.kind == DiskKind::Hdd && d.size_gb == 4000)
        );
    }

    #[test]
    fn label_without_disks_is_accepted() {
        assert!(parse("E5-2620-64Gb").disks.is_empty());
    }

    #[test]
    fn label_round_trips() {
        for label in [
            "i9-9900K-64Gb-2x1024NVMe",
            "E-2146G-64Gb-1920SSD-3840SSD",
            "2xE5-2620-128Gb-2x1024NVMe",
            "E5-2620-64Gb-1024NVMe-512SSD-1024NVMe",
        ] {
            assert_eq!(parse(label).to_string(), label);
        }
    }

    #[test]
    fn rendering_normalises_count_one_and_groups_runs() {
        assert_eq!(
            parse("1xE5-2620-64Gb-1024NVMe-1024NVMe").to_string(),
            "E5-2620-64Gb-2x1024NVMe"
        );
    }

    #[test]
    fn same_hardware_ignores_prefix_one_order_grouping_and_cpu_case() {
        let a = parse("E5-2620-64Gb-2x1024NVMe-512SSD");
        assert!(a.same_hardware(&parse("1xe5-2620-64Gb-512SSD-1024NVMe-1024NVMe")));
        assert!(!a.same_hardware(&parse("E5-2620-64Gb-1024NVMe-512SSD")));
        assert!(!a.same_hardware(&parse("E5-2620-128Gb-2x1024NVMe-512SSD")));
        assert!(!a.same_hardware(&parse("2xE5-2620-64Gb-2x1024NVMe-512SSD")));
        assert!(!a.same_hardware(&parse("E5-2650-64Gb-2x1024NVMe-512SSD")));
        assert!(!a.same_hardware(&parse("E5-2620-64Gb-2x1024NVMe-512NVMe")));
    }

    #[test]
    fn empty_label_means_not_determined() {
        assert_eq!(problem(""), LabelProblem::Empty);
        assert_eq!(problem("   "), LabelProblem::Empty);
        let err = "".parse::<Configuration>().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("configuration not determined yet (empty label)")
        );
    }

    #[test]
    fn malformed_labels_say_what_is_wrong() {
        assert_eq!(problem("E5-2620-2x1024NVMe"), LabelProblem::NoRam);
        assert_eq!(problem("64Gb-1024NVMe"), LabelProblem::NoCpuModel);
        assert_eq!(problem("2x-64Gb-1024NVMe"), LabelProblem::NoCpuModel);
        assert_eq!(
            problem("0xE5-2620-64Gb-1024NVMe"),
            LabelProblem::ZeroCpuCount
        );
        assert_eq!(problem("E5-2620-0Gb-1024NVMe"), LabelProblem::ZeroRam);
        let bad_disk = |part: &str, why| LabelProblem::BadDisk {
            part: part.into(),
            why,
        };
        assert_eq!(
            problem("E5-2620-64Gb-1024SAS"),
            bad_disk("1024SAS", "disk type must be HDD, SSD or NVMe")
        );
        assert_eq!(
            problem("E5-2620-64Gb-NVMe"),
            bad_disk("NVMe", "no size in GB")
        );
        assert_eq!(
            problem("E5-2620-64Gb-0x1024NVMe"),
            bad_disk("0x1024NVMe", "count is 0")
        );
        assert_eq!(problem("E5-2620-64Gb-0SSD"), bad_disk("0SSD", "size is 0"));
        assert_eq!(problem("E5-2620-64Gb-1024NVMe-"), bad_disk("", "empty"));
        let message = "E5-2620-64Gb-1024SAS"
            .parse::<Configuration>()
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            message.as_deref(),
            Some(
                "configuration label 'E5-2620-64Gb-1024SAS': disk part '1024SAS': disk type must be HDD, SSD or NVMe"
            )
        );
    }
}
