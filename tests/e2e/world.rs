//! The test world of DESIGN §5 for one test: a DCImanager simulator, a database of its own on
//! the shared private MariaDB, a BILLmanager mgr5 root whose `mgrctl` applies callbacks to that
//! database, and a pmdci6 processing module pointing at the simulator. Every test runs the real
//! `pmdci6` binary in it.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use billmgr_stand_in::{AddonSpec, MariaDb, Mgr5Root, TestDb};
use dci6_sim::{Dialect, Inventory, Sim, SimHandle, SimOptions};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "Adm1n-S3cret!";
pub const CUSTOMER: &str = "client@example.com";
pub const LOCATION: u64 = 1;
pub const FIXED_LABEL: &str = "i9-9900K-64Gb-2x1024NVMe";
/// The contract entries the project ships for the platform's naming.
pub const PLATFORM_CONTRACT: &str =
    include_str!("../../etc/examples/pmdci6-dcimanager-platform.toml");

pub struct World {
    pub sim: SimHandle,
    pub db: TestDb,
    pub root: Mgr5Root,
    pub module: u64,
}

/// What one run of the binary left: exit code, stdout, stderr.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    #[track_caller]
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        assert!(
            !self.stdout.contains("<error"),
            "success with error XML: {self:#?}"
        );
        self
    }

    /// The `type` of the error XML; asserts exit status 1, well-formed XML and no panic.
    #[track_caller]
    pub fn error_type(&self) -> String {
        assert_eq!(self.code, 1, "expected failure, got {self:#?}");
        assert!(
            !self.stderr.contains("panicked"),
            "a failure must never be a panic: {self:#?}"
        );
        let elements =
            crate::xml::elements(&self.stdout).unwrap_or_else(|e| panic!("{e}: {self:#?}"));
        elements
            .iter()
            .find(|e| e.name == "error")
            .and_then(|e| e.attr("type"))
            .unwrap_or_else(|| panic!("no <error type=..> in {self:#?}"))
            .to_string()
    }

    /// The text of the error's `value` param.
    pub fn error_value(&self) -> String {
        crate::xml::elements(&self.stdout)
            .ok()
            .and_then(|els| {
                els.into_iter()
                    .find(|e| e.name == "param" && e.attr("name") == Some("value"))
            })
            .map(|e| e.text)
            .unwrap_or_default()
    }
}

/// The DCImanager user of [`CUSTOMER`] in [`customer_inventory`].
pub const CUSTOMER_USER: u64 = 57;
/// Another customer's DCImanager user in [`customer_inventory`].
pub const RIVAL_USER: u64 = 58;
pub const RIVAL: &str = "rival@example.com";

/// The inventory most tests start from: location 1 with two racks (R01 with its own pool,
/// R02 without), a `public` pool that is the fallback, templates and scripts of both accesses,
/// and `servers` as given.
pub fn inventory(servers: Value) -> Inventory {
    inventory_with_users(servers, json!([]))
}

/// [`inventory`] where [`CUSTOMER`] has a DCImanager user already ([`CUSTOMER_USER`]), as after
/// an open, and so has another customer ([`RIVAL_USER`]).
pub fn customer_inventory(servers: Value) -> Inventory {
    inventory_with_users(
        servers,
        json!([
            {"id": CUSTOMER_USER, "email": CUSTOMER, "roles": "[@user]"},
            {"id": RIVAL_USER, "email": RIVAL, "roles": "[@user]"}
        ]),
    )
}

fn inventory_with_users(servers: Value, users: Value) -> Inventory {
    let text = json!({
        "admin": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
        "locations": [
            {"id": 1, "name": "Amsterdam", "ippool": null},
            {"id": 2, "name": "Frankfurt", "ippool": 3}
        ],
        "racks": [
            {"id": 1, "name": "R01", "location_id": 1, "ippool": 2},
            {"id": 2, "name": "R02", "location_id": 1, "ippool": null},
            {"id": 3, "name": "F01", "location_id": 2, "ippool": null}
        ],
        "pools": [
            {"id": 1, "name": "public-ams", "ipv4_network": "203.0.113.0/24", "ipv6_network": "2001:db8:1::/64"},
            {"id": 2, "name": "rack-r01", "ipv4_network": "198.51.100.0/24"},
            {"id": 3, "name": "fra-location", "ipv4_network": "192.0.2.0/24"}
        ],
        "pool_settings": {"allocation": [1, 2, 3], "deallocation": [1, 2, 3]},
        "servers": servers,
        "os_templates": [
            {"id": 4, "name": "Debian-12", "access": "all", "location_id": 1},
            {"id": 5, "name": "Windows-2022", "access": "admin", "location_id": 1},
            {"id": 6, "name": "Debian-12", "access": "all", "location_id": 2}
        ],
        "scripts": [
            {"id": 1, "name": "install-docker", "access": "all"},
            {"id": 2, "name": "internal-audit", "access": "admin"}
        ],
        "users": users
    });
    Inventory::from_json_str(&text.to_string()).expect("test inventory")
}

/// A server available for sale: owner none, diagnostics ok, in operation, one switch port down
/// and an IPMI port.
pub fn free_server(id: u64, rack: u64, configuration: &str) -> Value {
    json!({
        "id": id, "name": format!("srv-{id}"), "location_id": LOCATION, "rack": {"id": rack},
        "configuration": configuration, "power_status": "off",
        "switch_connection": [
            {"id": id * 10 + 1, "switch": 5, "description": format!("Gi1/0/{id}"), "admin_status": "down", "oper_status": "down"},
            {"id": id * 10 + 2, "switch": 9, "description": "ipmi", "admin_status": "up", "oper_status": "up", "is_ipmi_connection": true}
        ]
    })
}

/// The state a kill between setting the owner and writing the notes leaves: server 150 owned by
/// [`CUSTOMER`] with empty notes, named by the item param `claiming` of a new order, and server
/// 151 free beside it. Gives the world and the order's item.
pub fn interrupted_claim(name: &str) -> (World, u64) {
    let mut claimed = free_server(150, 2, FIXED_LABEL);
    claimed["owner"] = json!({"id": CUSTOMER_USER});
    let world = World::new(
        name,
        customer_inventory(json!([claimed, free_server(151, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    world.set_item_param(item, "claiming", "150");
    (world, item)
}

impl World {
    pub fn new(name: &str, inventory: Inventory) -> World {
        World::with_module_params(name, inventory, &[])
    }

    /// `extra` adds or overrides connection params (`allow_closest`, `ignore_errors`, ...).
    pub fn with_module_params(name: &str, inventory: Inventory, extra: &[(&str, &str)]) -> World {
        World::with_operation_duration(name, inventory, extra, Duration::from_millis(300))
    }

    /// A world whose simulated installs and diagnostics take `operation_duration`.
    pub fn with_operation_duration(
        name: &str,
        inventory: Inventory,
        extra: &[(&str, &str)],
        operation_duration: Duration,
    ) -> World {
        World::build(name, inventory, extra, operation_duration, Dialect::Default)
    }

    /// A world whose simulator speaks `dialect`, the module told of it only by the contract
    /// file in the mgr5 root: none for the default, the project's example for the platform's.
    pub fn in_dialect(name: &str, inventory: Inventory, dialect: Dialect) -> World {
        let world = World::build(name, inventory, &[], Duration::from_millis(300), dialect);
        if dialect == Dialect::Platform {
            world.use_contract(PLATFORM_CONTRACT);
        }
        world
    }

    /// Writes the administrator's contract file `etc/pmdci6-dcimanager.toml`.
    pub fn use_contract(&self, text: &str) {
        std::fs::write(self.root.path().join("etc/pmdci6-dcimanager.toml"), text)
            .expect("contract file");
    }

    fn build(
        name: &str,
        inventory: Inventory,
        extra: &[(&str, &str)],
        operation_duration: Duration,
        dialect: Dialect,
    ) -> World {
        let options = SimOptions {
            dialect,
            operation_duration,
            ..SimOptions::default()
        };
        let sim = Sim::start(inventory, options).expect("simulator starts");
        let db = MariaDb::shared()
            .and_then(|m| m.create_database(name))
            .expect("test database (run scripts/setup-test-deps if MariaDB is missing)");
        let root = Mgr5Root::create(&db).expect("mgr5 root");
        let url = sim.base_url();
        let location = LOCATION.to_string();
        let mut params: Vec<(&str, &str)> = vec![
            ("url", &url),
            ("username", ADMIN_EMAIL),
            ("location", &location),
        ];
        for (k, v) in extra {
            params.retain(|(name, _)| name != k);
            params.push((k, v));
        }
        let module = db
            .add_module("DCImanager 6", &params, &[("password", ADMIN_PASSWORD)])
            .expect("processing module");
        World {
            sim,
            db,
            root,
            module,
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    /// A run with extra environment (`PMDCI6_POLL_TIMEOUT`, ...).
    pub fn run_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        command.envs(env.iter().copied());
        output_of(command, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        output_of(self.command(args), stdin)
    }

    /// The binary with the world's environment: short polls so waits take milliseconds.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(billmgr_stand_in::pmdci6_binary(env!(
            "CARGO_BIN_EXE_pmdci6"
        )));
        command
            .args(args)
            .envs(self.root.env())
            .env("PMDCI6_POLL_INTERVAL", "0.05")
            .env("PMDCI6_POLL_TIMEOUT", "20")
            .env("PMDCI6_RETRY_DELAY", "0.01");
        command
    }

    /// A customer with `email`, a tariff selling `configuration`, and an ordered item of it.
    pub fn order(&self, configuration: &str, params: &[(&str, &str)]) -> u64 {
        self.order_for(CUSTOMER, configuration, &[], &[], params)
    }

    pub fn order_for(
        &self,
        email: &str,
        configuration: &str,
        addons: &[AddonSpec],
        addon_values: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> u64 {
        self.item_in_status(
            billmgr_stand_in::item_status::PROCESSING,
            email,
            configuration,
            addons,
            addon_values,
            params,
        )
    }

    /// A service of [`CUSTOMER`] in `status` that an open has finished on server `server` of
    /// the simulator: the server owned by [`CUSTOMER_USER`] (the world needs a
    /// [`customer_inventory`]), marked `billmgr-item:<N>` in its notes, on, Debian-12 installed
    /// by operation 88, one IPv4 address from its rack's pool, its switch ports up; the item
    /// with params `serverid`, `ip`, `install_operation`, `ostempl`. Returns the item.
    pub fn opened(&self, server: u64, status: i32) -> u64 {
        self.opened_with(server, status, &[])
    }

    /// [`World::opened`] with more add-ons on its tariff.
    pub fn opened_with(&self, server: u64, status: i32, addons: &[AddonSpec]) -> u64 {
        let address = format!("198.51.100.{}", 10 + server);
        let server_id = server.to_string();
        let item = self.item_in_status(
            status,
            CUSTOMER,
            FIXED_LABEL,
            addons,
            &[],
            &[
                ("serverid", &server_id),
                ("ip", &address),
                ("install_operation", "88"),
                ("ostempl", "Debian-12"),
            ],
        );
        self.sim
            .update_server(server, |s| {
                s["owner"] = json!({"id": CUSTOMER_USER});
                s["notes"] = json!(format!("billmgr-item:{item}"));
                s["power_status"] = json!("on");
                s["os_template"] = json!({"id": 4});
                s["domain"] = json!(format!("srv-{server}.example.net"));
                s["operation"] = json!({"id": 88, "type": "os_install", "status": "ok"});
                s["ip"] = json!([{"id": 9000 + server, "name": address}]);
                if let Some(ports) = s["switch_connection"].as_array_mut() {
                    for port in ports {
                        port["admin_status"] = json!("up");
                        port["oper_status"] = json!("up");
                    }
                }
            })
            .expect("the opened server");
        item
    }

    /// Changes a server of the simulator (`sim.update_server` that must succeed).
    pub fn edit_server(&self, id: u64, edit: impl FnOnce(&mut Value)) {
        self.sim
            .update_server(id, edit)
            .unwrap_or_else(|e| panic!("updating server {id}: {e:#}"));
    }

    /// Gives server `id` to DCImanager user `user` (`None`: no owner), as staff might.
    pub fn set_owner(&self, id: u64, user: Option<u64>) {
        self.edit_server(id, |s| {
            s["owner"] = user.map_or(Value::Null, |user| json!({"id": user}));
            s["owner_email"] = Value::Null;
        });
    }

    /// The calls that changed something in DCImanager: every method but GET, logins left out.
    pub fn dci_changes(&self) -> Vec<dci6_sim::RequestRecord> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.contains("/api/auth/"))
            .collect()
    }

    /// [`World::dci_changes`] as `METHOD path body` lines (no body: no third part).
    pub fn dci_change_lines(&self) -> Vec<String> {
        self.dci_changes()
            .iter()
            .map(|r| match &r.body {
                Some(body) => format!("{} {} {body}", r.method, r.path),
                None => format!("{} {}", r.method, r.path),
            })
            .collect()
    }

    /// The `mgrctl` calls that wrote to BILLmanager: all but `paramlist`.
    pub fn billing_writes(&self) -> Vec<billmgr_stand_in::MgrctlCall> {
        self.root
            .mgrctl_calls()
            .expect("mgrctl calls")
            .into_iter()
            .filter(|call| call.func != "paramlist")
            .collect()
    }

    /// Sets a plain param of `item`, as if BILLmanager or staff had changed it.
    pub fn set_item_param(&self, item: u64, name: &str, value: &str) {
        use mysql::prelude::Queryable;
        self.db
            .conn()
            .exec_drop(
                "INSERT INTO itemparam (item, intname, value) VALUES (?, ?, ?)
                 ON DUPLICATE KEY UPDATE value = VALUES(value)",
                (item, name, value),
            )
            .expect("item param");
    }

    /// Holds the item's lock as a pmdci6 run in progress would (`tmp/pmdci6-item-<N>.lock`),
    /// until the file is dropped.
    pub fn hold_item_lock(&self, item: u64) -> std::fs::File {
        let dir = self.root.path().join("tmp");
        std::fs::create_dir_all(&dir).expect("tmp/");
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("pmdci6-item-{item}.lock")))
            .expect("lock file");
        file.lock().expect("lock");
        file
    }

    /// The tasks created for `item`.
    pub fn tasks_of(&self, item: u64) -> Vec<billmgr_stand_in::TaskRow> {
        self.db
            .tasks()
            .expect("tasks")
            .into_iter()
            .filter(|task| task.item == Some(item))
            .collect()
    }

    fn item_in_status(
        &self,
        status: i32,
        email: &str,
        configuration: &str,
        addons: &[AddonSpec],
        addon_values: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> u64 {
        let account = self.db.add_account(email).expect("account");
        let mut all_addons = vec![
            AddonSpec::integer("ip", "unit").included(1),
            AddonSpec::integer("ipv6", "unit"),
        ];
        all_addons.extend(addons.iter().cloned());
        let tariff = self
            .db
            .add_tariff(configuration, &all_addons)
            .expect("tariff");
        self.db
            .add_item(self.module, account, tariff, status, addon_values, params)
            .expect("item")
    }

    pub fn server(&self, id: u64) -> Value {
        self.sim
            .server(id)
            .unwrap_or_else(|| panic!("server {id} in the simulator"))
    }

    pub fn item_param(&self, item: u64, name: &str) -> Option<String> {
        self.db
            .item_params(item)
            .expect("item params")
            .get(name)
            .cloned()
    }

    /// The module's log file.
    pub fn log(&self) -> String {
        self.root.module_log()
    }
}

fn output_of(mut command: Command, stdin: &str) -> Run {
    let output = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            if let Some(mut input) = child.stdin.take() {
                match input.write_all(stdin.as_bytes()) {
                    // The module refused the command line before reading its stdin.
                    Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => {}
                    written => written?,
                }
            }
            child.wait_with_output()
        });
    let output = output.expect("pmdci6 runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}
