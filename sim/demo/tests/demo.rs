//! The demo as CI runs it: the real binary, every step's output checked. `cargo test
//! --workspace` builds `pmdci6` and `mgrctl-stand-in` next to the demo binary, where it finds
//! them.

use std::process::Command;
use std::time::{Duration, Instant};

/// The demo must stay a short watch.
const LIMIT: Duration = Duration::from_secs(120);

struct Demo {
    stdout: String,
}

impl Demo {
    /// The text of step `number`: from its heading to the next rule.
    fn step(&self, number: usize, title_start: &str) -> &str {
        let heading = format!("\n{number}. {title_start}");
        let start = self
            .stdout
            .find(&heading)
            .unwrap_or_else(|| panic!("no step {number} '{title_start}' in:\n{}", self.stdout));
        let rest = &self.stdout[start + 1..];
        let end = rest.find("\n━━").unwrap_or(rest.len());
        &rest[..end]
    }

    /// A step's one-line summary for one side (`DCImanager` or `BILLmanager`).
    fn summary<'a>(&'a self, number: usize, title_start: &str, side: &str) -> &'a str {
        let step = self.step(number, title_start);
        step.lines()
            .find_map(|line| line.trim_start().strip_prefix(&format!("{side}:")))
            .unwrap_or_else(|| panic!("step {number} has no {side} line:\n{step}"))
            .trim()
    }
}

#[track_caller]
fn contains(text: &str, parts: &[&str]) {
    for part in parts {
        assert!(text.contains(part), "'{part}' missing from:\n{text}");
    }
}

#[test]
fn the_demo_runs_every_step_in_under_two_minutes() {
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_pmdci6-demo"))
        .output()
        .expect("the demo runs");
    let elapsed = started.elapsed();
    let demo = Demo {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the demo failed: {stderr}\n{}",
        demo.stdout
    );
    assert!(elapsed < LIMIT, "the demo took {elapsed:?}");

    let features = demo.step(1, "features");
    contains(
        features,
        &[
            "$ pmdci6 --command features",
            "<itemtype name=\"dedic\"/>",
            "<param name=\"password\" crypted=\"yes\"/>",
            "<feature name=\"open\"/>",
            "<feature name=\"close\"/>",
            "exit 0",
        ],
    );
    assert!(!features.contains("\"report\""), "report is no feature");
    assert!(
        demo.summary(1, "features", "DCImanager")
            .starts_with("no change")
    );
    assert_eq!(demo.summary(1, "features", "BILLmanager"), "no change");

    let check = demo.step(2, "check_connection");
    contains(
        check,
        &["< form.xml", "<password>***</password>", "<doc/>", "exit 0"],
    );
    assert!(
        !demo.stdout.contains("Demo-Adm1n!") && !stderr.contains("Demo-Adm1n!"),
        "the DCImanager password is never shown"
    );

    let explain = demo.step(3, "explain");
    contains(
        explain,
        &[
            "--dry-run --format text",
            "Servers of the location:",
            "srv-ams-07     rejected             in maintenance",
            "srv-ams-11     rejected             MAC not unique",
            "other configuration",
            "distance: ",
            "=> srv-ams-0",
            "Chosen: srv-ams-0",
            "Pool: rack-ams-a1 (from the rack pool)",
        ],
    );
    assert!(
        demo.summary(3, "explain", "DCImanager")
            .starts_with("no change")
    );
    assert_eq!(demo.summary(3, "explain", "BILLmanager"), "no change");

    let open = demo.summary(4, "open: alice", "DCImanager");
    contains(
        open,
        &[
            "owner none → alice@example.com",
            "+IP 198.51.100.",
            "down → up",
            "power off → on",
            "OS none → Debian-12",
            "user alice@example.com created",
        ],
    );
    contains(
        demo.summary(4, "open: alice", "BILLmanager"),
        &[
            "processing → active",
            "+serverid=",
            "+ip=198.51.100.",
            "+userpassword (crypted)",
            "service.postopen",
        ],
    );

    contains(
        demo.summary(5, "open: bob", "DCImanager"),
        &["srv-ams-04: owner none → bob@example.com", "'billmgr-item:"],
    );
    let closest = demo.summary(5, "open: bob", "BILLmanager");
    contains(
        closest,
        &[
            "+serverid=4",
            "task for item",
            "build server srv-ams-04 to 2xE5-2620-128Gb-2x1024NVMe: RAM 64 → 128 GB",
            "→ manual",
        ],
    );
    assert!(!closest.contains("postopen"), "{closest}");

    assert!(demo.stdout.contains("off by hand in DCImanager"));
    contains(
        demo.summary(6, "sync_item", "DCImanager"),
        &["power off → on"],
    );

    contains(demo.summary(7, "suspend", "DCImanager"), &["up → down"]);
    contains(
        demo.summary(7, "suspend", "BILLmanager"),
        &["active → suspended", "service.postsuspend"],
    );
    contains(demo.summary(8, "resume", "DCImanager"), &["down → up"]);
    contains(
        demo.summary(8, "resume", "BILLmanager"),
        &["suspended → active", "service.postresume"],
    );
    assert!(demo.stdout.contains("Alice orders a second IPv4 address"));
    contains(
        demo.summary(9, "setparam", "DCImanager"),
        &["srv-ams-0", "+IP 198.51.100.", "(1 changing call"],
    );
    contains(
        demo.summary(9, "setparam", "BILLmanager"),
        &["service.postsetparam"],
    );
    contains(demo.summary(10, "reboot", "DCImanager"), &["power_reset"]);

    let close = demo.summary(11, "close", "DCImanager");
    contains(
        close,
        &[
            "owner alice@example.com → none",
            "-IP 198.51.100.",
            "→ ''",
            "up → down",
            "operation diagnostics",
        ],
    );
    contains(
        demo.summary(11, "close", "BILLmanager"),
        &["active → deleted", "service.postclose"],
    );

    let report = demo.step(12, "report");
    contains(
        report,
        &[
            "Servers owned by the module's customers with no live service (1)",
            "srv-ams-14 (id 14)",
            "IP addresses on servers with no service (2)",
            "Free servers left out of stock by an unfinished close (1)",
            "disk /dev/sdb unreadable",
            "2xE5-2620-128Gb-2x1024NVMe  sold by tariff",
            "OUT OF STOCK",
        ],
    );
    assert_eq!(demo.summary(12, "report", "BILLmanager"), "no change");

    let plan = demo.step(13, "import --dry-run");
    contains(
        plan,
        &[
            "srv-ams-10       import import for customer erin@example.net",
            "srv-ams-06       skip   already a service: item 1 holds it",
            "srv-ams-14       skip   its notes carry the mark of item 2",
        ],
    );
    assert_eq!(
        demo.summary(13, "import --dry-run", "BILLmanager"),
        "no change"
    );
    contains(
        demo.summary(14, "import: erin", "DCImanager"),
        &["srv-ams-10: notes '' → 'billmgr-item:"],
    );
    contains(
        demo.summary(14, "import: erin", "BILLmanager"),
        &["processing.import.service"],
    );
    contains(
        demo.summary(15, "stat", "BILLmanager"),
        &["service.poststat"],
    );
    contains(
        demo.step(15, "stat"),
        &["itemstat of dave@example.com", "traffic 3 gb"],
    );

    let tables = demo
        .stdout
        .split("Servers (DCImanager):")
        .nth(1)
        .expect("the closing tables");
    contains(
        tables,
        &[
            "srv-fra-03",
            "Services (BILLmanager):",
            "alice@example.com  i9-9900K-64Gb-2x1024NVMe    deleted",
            "bob@example.com    2xE5-2620-128Gb-2x1024NVMe  processing  4",
            "dave@example.com   i9-9900K-64Gb-2x1024NVMe    active",
            "Demo finished in",
        ],
    );
}
