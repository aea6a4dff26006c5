//! `pmdci6-demo`: the README's first command. It starts the DCImanager simulator and a private
//! MariaDB, sets up a BILLmanager with a pmdci6 processing module, tariffs and orders, then runs
//! the real `pmdci6` binary through a service's whole life — features, check_connection, the
//! explanation of an open, open (an exact match, then a closest match that asks staff to build a
//! server), sync_item, suspend, resume, setparam (an extra IP ordered), reboot, close — the drift
//! report, and the import of a server given out by hand before pmdci6. Each step prints
//! the command, its output and one line per side on what changed; a table of servers and
//! services ends the run.
//!
//! `scripts/demo` builds the workspace and runs it; it finds `pmdci6` and `mgrctl-stand-in`
//! next to itself.

mod changes;
mod stage;
mod table;

use std::io::Write as _;
use std::process::{ExitCode, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use changes::{Snapshot, billing_line, calls_since, dci_line};
use stage::{LOCATION, Orders, Stage};

const RULE: &str =
    "━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pmdci6-demo: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let started = Instant::now();
    println!("pmdci6 demo: a dedicated server's life, from order to deletion, against simulators.");
    let (stage, orders) = Stage::build()?;
    println!(
        "DCImanager 6 simulator at {} (sim/demo/inventory.json: 2 locations, 20 servers);",
        stage.sim.base_url()
    );
    println!(
        "BILLmanager stand-in in {} on a private MariaDB; processing module {} sells from location {LOCATION}.",
        stage.root.path().display(),
        stage.module
    );
    println!(
        "Orders: item {} (alice, {}: in stock), item {} (bob, {}: not in stock in location {LOCATION}).",
        orders.exact,
        stage::I9,
        orders.closest,
        stage::DUAL_E5
    );
    let mut steps = Steps {
        stage: &stage,
        number: 0,
    };
    lifecycle(&mut steps, &stage, orders)?;
    println!("\n{RULE}");
    print!("{}", table::render(&stage)?);
    println!(
        "\nDemo finished in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn lifecycle(steps: &mut Steps, stage: &Stage, orders: Orders) -> Result<()> {
    let exact = orders.exact.to_string();
    let closest = orders.closest.to_string();
    let module = stage.module.to_string();
    steps.run(
        "features: what the module tells BILLmanager",
        &["--command", "features"],
        None,
    )?;
    let form = format!(
        "<doc><processingmodule><url>{}</url><username>{}</username><password>{}</password>\
         <location>{LOCATION}</location></processingmodule></doc>",
        stage.sim.base_url(),
        stage.admin_email,
        stage.admin_password
    );
    steps.run(
        "check_connection: the connection form, as BILLmanager sends it on save",
        &["--command", "check_connection"],
        Some(&form),
    )?;
    steps.run(
        "explain: the open of alice's order planned, nothing changed (equal servers are \
         shuffled on every run, so the open may take another one of the same rank)",
        &[
            "--command",
            "open",
            "--item",
            &exact,
            "--dry-run",
            "--format",
            "text",
        ],
        None,
    )?;
    steps.run(
        "open: alice's order has an exact match",
        &[
            "--command",
            "open",
            "--item",
            &exact,
            "--runningoperation",
            &orders.exact_operation.to_string(),
        ],
        None,
    )?;
    steps.run(
        "open: bob's order has none; the closest server is reserved and staff get a task",
        &[
            "--command",
            "open",
            "--item",
            &closest,
            "--runningoperation",
            &orders.closest_operation.to_string(),
        ],
        None,
    )?;
    let server = stage.server_of(orders.exact)?;
    stage.power_off_by_hand(server)?;
    println!("\n(Staff switch alice's server {server} off by hand in DCImanager.)");
    steps.run(
        "sync_item: the service is active, its server off",
        &["--command", "sync_item", "--item", &exact],
        None,
    )?;
    for (command, title) in [
        ("suspend", "suspend: the switch ports go down"),
        ("resume", "resume: ports up, power on"),
    ] {
        steps.run(title, &["--command", command, "--item", &exact], None)?;
    }
    stage.db.set_addon(orders.exact, "ip", 2)?;
    println!("\n(Alice orders a second IPv4 address in BILLmanager: add-on ip 1 → 2.)");
    steps.run(
        "setparam: alice's extra IP comes from the server's pool",
        &["--command", "setparam", "--item", &exact],
        None,
    )?;
    for (command, title) in [
        ("reboot", "reboot: a power reset"),
        ("close", "close: wipe the server and return it to stock"),
    ] {
        steps.run(title, &["--command", command, "--item", &exact], None)?;
    }
    steps.run(
        "report: drift between BILLmanager and DCImanager for the module",
        &[
            "--command",
            "report",
            "--module",
            &module,
            "--format",
            "text",
        ],
        None,
    )?;
    stage.give_by_hand(stage::ERINS_SERVER, stage::ERIN_USER, "198.51.100.10")?;
    println!(
        "\n(Before pmdci6, staff gave server {} to {} by hand.)",
        stage::ERINS_SERVER,
        stage::ERIN
    );
    steps.run(
        "import --dry-run: the owned servers of the location, and what an import would do",
        &[
            "--command",
            "import",
            "--module",
            &module,
            "--itemtype",
            "dedic",
            "--dry-run",
            "--format",
            "text",
        ],
        None,
    )?;
    steps.run(
        "import: erin's server becomes a service of BILLmanager",
        &[
            "--command",
            "import",
            "--module",
            &module,
            "--itemtype",
            "dedic",
            "--searchstring",
            stage::ERIN,
        ],
        None,
    )?;
    // Dave's server carried traffic today: 1 GB in, 2 GB out on its data port.
    const GIB: u64 = 1024 * 1024 * 1024;
    stage
        .sim
        .add_traffic(6, 61, &dci6_sim::utc_today(), GIB, 2 * GIB);
    println!(
        "
(DCImanager counted 3 GB of traffic on dave's server today.)"
    );
    steps.run(
        "stat: the day's traffic of the live services into BILLmanager's statistics",
        &["--command", "stat", "--module", &module],
        None,
    )?;
    for service in &stage.services {
        for (day, param, value, measure) in stage.db.item_stats(service.item)? {
            println!(
                "  itemstat of {}: {day} {param} {value} {}",
                service.email,
                measure.unwrap_or_default()
            );
        }
    }
    Ok(())
}

/// Runs numbered steps and prints what each did.
struct Steps<'a> {
    stage: &'a Stage,
    number: usize,
}

impl Steps<'_> {
    /// Runs `pmdci6 args` (with `stdin`), prints its command line, output, exit status and
    /// the changes on both sides. A failing step ends the demo.
    fn run(&mut self, title: &str, args: &[&str], stdin: Option<&str>) -> Result<()> {
        self.number += 1;
        println!("\n{RULE}\n{}. {title}", self.number);
        let redirect = if stdin.is_some() { " < form.xml" } else { "" };
        println!("$ pmdci6 {}{redirect}", args.join(" "));
        if let Some(form) = stdin {
            let shown = form.replace(&self.stage.admin_password, "***");
            println!("  form.xml: {shown}");
        }
        let before = Snapshot::take(self.stage)?;
        self.stage.sim.clear_requests();
        let started = Instant::now();
        let mut child = self
            .stage
            .pmdci6(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting pmdci6")?;
        if let Some(mut input) = child.stdin.take() {
            input
                .write_all(stdin.unwrap_or("").as_bytes())
                .context("writing pmdci6's stdin")?;
        }
        let output = child.wait_with_output().context("running pmdci6")?;
        let seconds = started.elapsed().as_secs_f64();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stdout.trim().is_empty() {
            println!("  (nothing on stdout: a service command reports through mgrctl)");
        } else if stdout.starts_with("<?xml") {
            println!("{}", indent(&pretty_xml(&stdout)));
        } else {
            print!("{}", indent(&stdout));
        }
        for line in stderr.lines() {
            println!("  stderr: {line}");
        }
        let code = output.status.code().unwrap_or(-1);
        println!("  exit {code} after {seconds:.1} s");
        let after = Snapshot::take(self.stage)?;
        let requests = self.stage.sim.requests();
        let calls = calls_since(&before, self.stage)?;
        println!("  DCImanager:  {}", dci_line(&before, &after, &requests));
        println!(
            "  BILLmanager: {}",
            billing_line(&before, &after, &calls, self.stage)?
        );
        if code != 0 {
            bail!(
                "step {} ({title}) failed with exit status {code}",
                self.number
            );
        }
        Ok(())
    }
}

fn indent(text: &str) -> String {
    text.lines().map(|line| format!("  {line}\n")).collect()
}

/// The module's one-line XML, indented for reading; as it is when it cannot be read.
fn pretty_xml(xml: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut writer = quick_xml::Writer::new_with_indent(Vec::new(), b' ', 2);
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(event) => {
                if writer.write_event(event).is_err() {
                    return xml.to_string();
                }
            }
            Err(_) => return xml.to_string(),
        }
    }
    String::from_utf8(writer.into_inner()).unwrap_or_else(|_| xml.to_string())
}
