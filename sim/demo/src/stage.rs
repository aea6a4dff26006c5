//! The demo's world: the DCImanager simulator loaded with `sim/demo/inventory.json`, a private
//! MariaDB with BILLmanager's tables, a mgr5 root whose `mgrctl` applies the module's callbacks,
//! and BILLmanager's side of the story: a pmdci6 processing module, tariffs, services from the
//! past (one live, two deleted that left traces in DCImanager) and two new orders.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use billmgr_stand_in::{AddonSpec, MariaDb, Mgr5Root, TestDb, item_status};
use dci6_sim::{Inventory, Sim, SimHandle, SimOptions};
use serde_json::json;

/// The installation: two locations, racks with and without pools, twenty servers.
const INVENTORY: &str = include_str!("../inventory.json");

/// How long a simulated install or wipe takes: long enough to be waited for, short enough
/// for a demo.
const OPERATION: Duration = Duration::from_millis(1500);

/// The location the module sells from.
pub const LOCATION: u64 = 1;

/// The tariffs' configurations.
pub const I9: &str = "i9-9900K-64Gb-2x1024NVMe";
pub const DUAL_E5: &str = "2xE5-2620-128Gb-2x1024NVMe";
const E2236: &str = "E-2236-32Gb-2x480SSD";

/// The customer whose server was given out by hand before pmdci6 (DCImanager user 4 of
/// `inventory.json`), and the server staff gave her.
pub const ERIN: &str = "erin@example.net";
pub const ERIN_USER: u64 = 4;
pub const ERINS_SERVER: u64 = 10;

/// A service of the demo's BILLmanager.
#[derive(Debug, Clone)]
pub struct Service {
    pub item: u64,
    pub email: &'static str,
    pub configuration: &'static str,
}

/// The two orders the demo opens, with their running operations.
#[derive(Debug, Clone, Copy)]
pub struct Orders {
    /// An order of a configuration in stock.
    pub exact: u64,
    pub exact_operation: u64,
    /// An order of a configuration not in stock in the location.
    pub closest: u64,
    pub closest_operation: u64,
}

pub struct Stage {
    pub sim: SimHandle,
    pub db: TestDb,
    pub root: Mgr5Root,
    pub module: u64,
    pub admin_email: String,
    pub admin_password: String,
    /// Every service, in creation order.
    pub services: Vec<Service>,
    /// Running operations BILLmanager queued for the orders.
    pub running_operations: Vec<u64>,
    pmdci6: PathBuf,
}

impl Stage {
    pub fn build() -> Result<(Stage, Orders)> {
        // scripts/test runs the demo's test on the static release binary ($PMDCI6_BINARY).
        let pmdci6 = match std::env::var_os(billmgr_stand_in::PMDCI6_BINARY_ENV) {
            Some(path) if !path.is_empty() => PathBuf::from(path),
            _ => binary_beside_me("pmdci6")?,
        };
        let inventory = Inventory::from_json_str(INVENTORY).context("sim/demo/inventory.json")?;
        let (admin_email, admin_password) = (
            inventory.admin.email.clone(),
            inventory.admin.password.clone(),
        );
        let sim = Sim::start(
            inventory,
            SimOptions {
                operation_duration: OPERATION,
                ..SimOptions::default()
            },
        )
        .context("starting the DCImanager simulator")?;
        let db = MariaDb::shared()
            .and_then(|mariadb| mariadb.create_database("demo"))
            .context("starting the private MariaDB (scripts/setup-test-deps installs it)")?;
        let root = Mgr5Root::create(&db).context("creating the mgr5 root")?;
        let url = sim.base_url();
        let location = LOCATION.to_string();
        let module = db.add_module(
            "DCImanager 6 (demo)",
            &[
                ("url", &url),
                ("username", &admin_email),
                ("location", &location),
                ("allow_closest", "on"),
            ],
            &[("password", &admin_password)],
        )?;
        let mut stage = Stage {
            sim,
            db,
            root,
            module,
            admin_email,
            admin_password,
            services: Vec::new(),
            running_operations: Vec::new(),
            pmdci6,
        };
        let orders = stage.fill_billmanager()?;
        Ok((stage, orders))
    }

    /// Tariffs, the services of the past with their traces in DCImanager, the new orders.
    fn fill_billmanager(&mut self) -> Result<Orders> {
        let addons = [
            AddonSpec::integer("ip", "unit").included(1),
            AddonSpec::integer("ipv6", "unit"),
            AddonSpec::stat("traffic", "gb", 0),
        ];
        let i9 = self.db.add_tariff(I9, &addons)?;
        let dual_e5 = self.db.add_tariff(DUAL_E5, &addons)?;
        let e2236 = self.db.add_tariff(E2236, &addons)?;

        // Dave's server was opened long ago and is in order.
        let dave = self.service(
            "dave@example.com",
            (i9, I9),
            item_status::ACTIVE,
            &[
                ("serverid", "6"),
                ("ip", "198.51.100.6"),
                ("username", "root"),
                ("ostempl", "Debian-12"),
            ],
        )?;
        self.mark(6, &format!("billmgr-item:{dave}"))?;
        // Carol's service was deleted in BILLmanager by hand: her server is still hers.
        let carol = self.service(
            "carol@example.com",
            (e2236, E2236),
            item_status::DELETED,
            &[("serverid", "14")],
        )?;
        self.mark(14, &format!("billmgr-item:{carol}"))?;
        // Frank's close could not wipe the disks: the server waits in maintenance.
        let frank = self.service(
            "frank@example.com",
            (i9, I9),
            item_status::DELETED,
            &[("serverid", "15")],
        )?;
        self.mark(
            15,
            &format!(
                "billmgr-item:{frank} closing diagnostics:612 failed: diagnostics failed: disk /dev/sdb unreadable"
            ),
        )?;

        let exact = self.service(
            "alice@example.com",
            (i9, I9),
            item_status::PROCESSING,
            &[
                ("ostempl", "Debian-12"),
                ("recipe", "install-docker"),
                ("domain", "web.alice.example"),
            ],
        )?;
        let closest = self.service(
            "bob@example.com",
            (dual_e5, DUAL_E5),
            item_status::PROCESSING,
            &[("ostempl", "Ubuntu-24.04")],
        )?;
        // Erin bought a server before pmdci6 was installed: a customer, no service yet.
        self.db.add_account(ERIN)?;
        let exact_operation = self.db.add_running_operation(exact)?;
        let closest_operation = self.db.add_running_operation(closest)?;
        self.running_operations = vec![exact_operation, closest_operation];
        Ok(Orders {
            exact,
            exact_operation,
            closest,
            closest_operation,
        })
    }

    fn service(
        &mut self,
        email: &'static str,
        (tariff, configuration): (u64, &'static str),
        status: i32,
        params: &[(&str, &str)],
    ) -> Result<u64> {
        let account = self.db.add_account(email)?;
        let item = self
            .db
            .add_item(self.module, account, tariff, status, &[], params)?;
        self.services.push(Service {
            item,
            email,
            configuration,
        });
        Ok(item)
    }

    /// Writes a server's notes, as earlier runs of the module left them.
    fn mark(&self, server: u64, notes: &str) -> Result<()> {
        self.sim
            .update_server(server, |s| s["notes"] = json!(notes))
            .with_context(|| format!("writing the notes of server {server}"))
    }

    /// Switches a server off, as staff might in DCImanager's panel.
    /// Staff give `server` to the DCImanager user `user` by hand, as before pmdci6: owner
    /// set, one address, its switch ports up, power on, notes empty.
    pub fn give_by_hand(&self, server: u64, user: u64, address: &str) -> Result<()> {
        self.sim
            .update_server(server, |s| {
                s["owner"] = json!({"id": user});
                s["power_status"] = json!("on");
                s["in_operation"] = json!(true);
                s["ip"] = json!([{"id": 9900 + server, "name": address}]);
                if let Some(ports) = s["switch_connection"].as_array_mut() {
                    for port in ports {
                        port["admin_status"] = json!("up");
                        port["oper_status"] = json!("up");
                    }
                }
            })
            .with_context(|| format!("giving server {server} to user {user}"))
    }

    pub fn power_off_by_hand(&self, server: u64) -> Result<()> {
        self.sim
            .update_server(server, |s| s["power_status"] = json!("off"))
            .with_context(|| format!("switching server {server} off"))
    }

    /// The server an item holds (its param `serverid`).
    pub fn server_of(&self, item: u64) -> Result<u64> {
        let params = self.db.item_params(item)?;
        let Some(id) = params.get("serverid") else {
            bail!("item {item} holds no server (no param serverid)");
        };
        id.parse()
            .with_context(|| format!("param serverid of item {item} is '{id}'"))
    }

    /// `pmdci6` with the environment of the demo: this mgr5 root, short polls.
    pub fn pmdci6(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.pmdci6);
        command
            .args(args)
            .envs(self.root.env())
            .env("PMDCI6_POLL_INTERVAL", "0.25")
            .env("PMDCI6_POLL_TIMEOUT", "60")
            .env("PMDCI6_RETRY_DELAY", "0.05");
        command
    }
}

/// A binary of the workspace, built next to this one (`target/debug` or `target/release`).
fn binary_beside_me(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe().context("locating the demo binary")?;
    let path = me
        .parent()
        .map(|dir| dir.join(name))
        .with_context(|| format!("{} has no directory", me.display()))?;
    if !path.is_file() {
        bail!(
            "{} is not built: run `cargo build --workspace` first (scripts/demo does)",
            path.display()
        );
    }
    Ok(path)
}
