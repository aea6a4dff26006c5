//! `open`: from an order to a running dedicated server, with every way it can be refused.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use billmgr_stand_in::{AddonSpec, item_status};
use dci6_sim::Fault;
use serde_json::{Value, json};

use crate::world::{CUSTOMER, FIXED_LABEL, World, free_server, inventory};

const OS: (&str, &str) = ("ostempl", "Debian-12");

fn open(world: &World, item: u64) -> crate::world::Run {
    world.run(&["--command", "open", "--item", &item.to_string()])
}

fn owner_email(server: &Value) -> Option<String> {
    server["owner_email"].as_str().map(String::from)
}

fn addresses(server: &Value) -> Vec<String> {
    server["ip"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip["name"].as_str().map(String::from))
        .collect()
}

/// Opens every item at once, each in its own process, and waits for all.
fn open_in_parallel(world: &World, items: &[u64]) -> Vec<std::process::Output> {
    let children: Vec<_> = items
        .iter()
        .map(|item| {
            world
                .command(&["--command", "open", "--item", &item.to_string()])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect()
}

fn posts_to(world: &World, suffix: &str) -> usize {
    world
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with(suffix))
        .count()
}

#[test]
fn fixed_tariff_opens_on_the_matching_server_with_the_rack_pool() {
    let world = World::new(
        "open_fixed",
        inventory(json!([
            free_server(10, 1, "E-2236-32Gb-2x480SSD"),
            free_server(11, 1, FIXED_LABEL)
        ])),
    );
    let item = world.order(
        FIXED_LABEL,
        &[
            OS,
            ("recipe", "install-docker"),
            ("domain", "web.example.com"),
        ],
    );
    open(&world, item).assert_ok();

    let server = world.server(11);
    assert_eq!(owner_email(&server).as_deref(), Some(CUSTOMER));
    assert_eq!(server["notes"], format!("billmgr-item:{item}"));
    let ips = addresses(&server);
    assert_eq!(ips.len(), 1);
    assert!(
        ips[0].starts_with("198.51.100."),
        "rack R01's pool: {ips:?}"
    );
    assert_eq!(server["os_template"]["name"], "Debian-12");
    assert_eq!(server["domain"], "web.example.com");
    assert_eq!(server["switch_connection"][0]["admin_status"], "up");
    assert_eq!(
        owner_email(&world.server(10)),
        None,
        "the other server stays in stock"
    );

    let install = world
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/os_install"))
        .expect("install request");
    let body = install.body.expect("body");
    assert_eq!(body["os_template"], 4);
    assert_eq!(body["scripts"], json!([1]));

    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
    let params = world.db.item_params(item).expect("params");
    assert_eq!(params.get("serverid").map(String::as_str), Some("11"));
    assert_eq!(params.get("ip"), Some(&ips[0]));
    assert_eq!(params.get("username").map(String::as_str), Some("root"));
    let crypted = world.db.item_crypted_params(item).expect("crypted");
    let password = crypted
        .get("userpassword")
        .expect("root password saved crypted");
    assert!(password.len() >= 16);
    assert!(
        !world.log().contains(password.as_str()),
        "root password in the log"
    );
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.postopen")
            .expect("calls")
            .len(),
        1
    );
}

#[test]
fn manual_tariff_takes_the_smallest_adequate_server_with_the_public_pool() {
    let world = World::new(
        "open_manual",
        inventory(json!([
            free_server(20, 2, "2xE5-2620-128Gb-2x1024NVMe"),
            free_server(21, 2, "E-2236-32Gb-2x480SSD"),
            free_server(22, 2, "i9-9900K-64Gb-2x1024NVMe")
        ])),
    );
    let addons = [
        AddonSpec::integer("ncpu", "unit"),
        AddonSpec::integer("ram", "gb"),
        AddonSpec::integer("hdd_1", "gb"),
    ];
    let item = world.order_for(
        CUSTOMER,
        "manual",
        &addons,
        &[("ncpu", "1"), ("ram", "48"), ("hdd_1", "900"), ("ip", "2")],
        &[OS],
    );
    open(&world, item).assert_ok();
    let server = world.server(22);
    assert_eq!(
        owner_email(&server).as_deref(),
        Some(CUSTOMER),
        "64 GB beats 128 GB"
    );
    let ips = addresses(&server);
    assert_eq!(ips.len(), 2);
    assert!(
        ips.iter().all(|ip| ip.starts_with("203.0.113.")),
        "public pool: {ips:?}"
    );
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
}

#[test]
fn location_pool_serves_a_rack_without_one_and_ipv6_comes_from_the_same_pool() {
    let mut servers = free_server(30, 3, FIXED_LABEL);
    servers["location_id"] = json!(2);
    let world = World::with_module_params(
        "open_location_pool",
        inventory(json!([servers])),
        &[("location", "2")],
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    let ips = addresses(&world.server(30));
    assert!(
        ips.iter().all(|ip| ip.starts_with("192.0.2.")),
        "location pool: {ips:?}"
    );
}

#[test]
fn ipv6_is_given_from_the_ipv4_pool() {
    let world = World::new(
        "open_ipv6",
        inventory(json!([free_server(31, 2, FIXED_LABEL)])),
    );
    let item = world.order_for(CUSTOMER, FIXED_LABEL, &[], &[("ipv6", "1")], &[OS]);
    open(&world, item).assert_ok();
    let ips = addresses(&world.server(31));
    assert!(
        ips.iter().any(|ip| ip.starts_with("2001:db8:1:")),
        "{ips:?}"
    );
    assert!(ips.iter().any(|ip| ip.starts_with("203.0.113.")), "{ips:?}");
}

/// One server per rule, each failing exactly that rule, and nothing else for sale.
fn rule_breakers() -> Vec<Value> {
    let mut owned = free_server(41, 2, FIXED_LABEL);
    owned["owner"] = json!({"id": 500});
    let mut diagnostics = free_server(42, 2, FIXED_LABEL);
    diagnostics["diagnostics"] = json!({"status": "failed"});
    let mut operation = free_server(43, 2, FIXED_LABEL);
    operation["operation"] = json!({"id": 7, "type": "os_install", "status": "failed"});
    let mut maintenance = free_server(44, 2, FIXED_LABEL);
    maintenance["maintenance_mode"] = json!(true);
    let mut retired = free_server(45, 2, FIXED_LABEL);
    retired["in_operation"] = json!(false);
    let mut twin_a = free_server(46, 2, FIXED_LABEL);
    twin_a["mac_addresses"] = json!(["0c:c4:7a:99:99:99"]);
    let mut twin_b = free_server(47, 2, "E-2236-32Gb-2x480SSD");
    twin_b["mac_addresses"] = json!(["0C:C4:7A:99:99:99"]);
    twin_b["location_id"] = json!(2);
    twin_b["rack"] = json!({"id": 3});
    let mut broken = free_server(48, 2, FIXED_LABEL);
    broken["errors"] = json!({"diagnostics": [], "status": [{"code": 12, "msg": "fan failure"}]});
    vec![
        owned,
        diagnostics,
        operation,
        maintenance,
        retired,
        twin_a,
        twin_b,
        broken,
    ]
}

fn rules_world(name: &str, extra: &[(&str, &str)]) -> World {
    let mut inv = inventory(json!(rule_breakers()));
    inv.users.push(
        serde_json::from_value(json!({"id": 500, "email": "other@example.com"})).expect("user"),
    );
    World::with_module_params(name, inv, extra)
}

#[test]
fn each_availability_rule_rejects_its_server() {
    let world = rules_world("open_rules", &[("allow_closest", "off")]);
    let item = world.order(FIXED_LABEL, &[OS]);
    let run = open(&world, item);
    assert_eq!(run.error_type(), "no_server");
    let value = run.error_value();
    for rule in [
        "owned: 1",
        "diagnostics",
        "last operation",
        "maintenance: 1",
        "not in operation: 1",
        "MAC not unique: 1",
        "errors: 1",
    ] {
        assert!(value.contains(rule), "{rule} not in: {value}");
    }
    assert!(
        world
            .sim
            .servers()
            .iter()
            .all(|s| s["id"] == 41 || s["owner"].is_null()),
        "nothing claimed"
    );
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::PROCESSING
    );

    let dry = world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--dry-run",
        "--format",
        "text",
    ]);
    assert_eq!(
        dry.error_type(),
        "no_server",
        "dry run refuses the same way"
    );
}

#[test]
fn ignore_errors_lets_a_server_with_status_errors_be_sold() {
    let world = rules_world(
        "open_ignore_errors",
        &[("allow_closest", "off"), ("ignore_errors", "on")],
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    assert_eq!(owner_email(&world.server(48)).as_deref(), Some(CUSTOMER));
}

#[test]
fn closest_match_reserves_and_asks_staff_to_build() {
    let world = World::new(
        "open_closest",
        inventory(json!([free_server(50, 2, "i9-9900K-32Gb-1x1024NVMe")])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    world
        .run(&[
            "--command",
            "open",
            "--item",
            &item.to_string(),
            "--runningoperation",
            &ro.to_string(),
        ])
        .assert_ok();
    let server = world.server(50);
    assert_eq!(owner_email(&server).as_deref(), Some(CUSTOMER));
    assert_eq!(server["notes"], format!("billmgr-item:{item}"));
    assert!(addresses(&server).is_empty(), "no IPs before the rebuild");
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("50"));
    let tasks = world.db.tasks().expect("tasks");
    assert_eq!(tasks.len(), 1);
    let text = tasks[0].params.clone().unwrap_or_default();
    assert!(
        text.contains("srv-50") && text.contains("RAM 32 → 64 GB"),
        "task text: {text}"
    );
    assert!(
        world
            .db
            .running_operation(ro)
            .expect("ro")
            .expect("still there")
            .manual
    );
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::PROCESSING
    );

    // Until staff rebuild it, a retry keeps waiting; afterwards it finishes on the same server.
    assert_eq!(open(&world, item).error_type(), "no_server");
    world
        .sim
        .update_server(50, |s| s["configuration"] = json!(FIXED_LABEL))
        .expect("rebuilt");
    open(&world, item).assert_ok();
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
    assert_eq!(world.server(50)["os_template"]["name"], "Debian-12");
}

#[test]
fn closest_match_never_gives_less_than_ordered() {
    // One server lacks RAM and a disk, one has more RAM than ordered, one has far more of
    // everything: the customer gets the one with at least the order on every part and the
    // least to take out.
    let world = World::new(
        "open_closest_side",
        inventory(json!([
            free_server(51, 2, "i9-9900K-32Gb-1x1024NVMe"),
            free_server(52, 2, "i9-9900K-128Gb-2x1024NVMe"),
            free_server(53, 2, "2xi9-9900K-512Gb-4x2048NVMe"),
        ])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("52"));
    assert_eq!(owner_email(&world.server(52)).as_deref(), Some(CUSTOMER));
    assert!(world.server(51)["owner"].is_null());
    assert!(world.server(53)["owner"].is_null());
    let tasks = world.db.tasks().expect("tasks");
    let text = tasks[0].params.clone().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "build server srv-52 to {FIXED_LABEL}: RAM 128 → 64 GB (take out 64 GB)"
        )),
        "task text: {text}"
    );
}

#[test]
fn no_stock_with_closest_off_names_counts() {
    let world = World::with_module_params(
        "open_no_stock",
        inventory(json!([free_server(60, 2, "E-2236-32Gb-2x480SSD")])),
        &[("allow_closest", "off")],
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    let run = open(&world, item);
    assert_eq!(run.error_type(), "no_server");
    assert!(
        run.error_value()
            .contains("1 available servers have another configuration"),
        "{}",
        run.error_value()
    );
}

#[test]
fn missing_template_is_refused_before_any_claim() {
    let world = World::new(
        "open_no_template",
        inventory(json!([free_server(70, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Windows-2022")]);
    assert_eq!(open(&world, item).error_type(), "no_template");
    assert!(world.server(70)["owner"].is_null());
    let item = world.order(FIXED_LABEL, &[]);
    assert_eq!(open(&world, item).error_type(), "item");
}

#[test]
fn no_pool_is_refused_before_any_claim() {
    let mut inv = inventory(json!([free_server(71, 2, FIXED_LABEL)]));
    inv.pool_settings.allocation = vec![2, 3];
    let world = World::new("open_no_pool", inv);
    let item = world.order(FIXED_LABEL, &[OS]);
    let run = open(&world, item);
    assert_eq!(run.error_type(), "no_pool");
    assert!(world.server(71)["owner"].is_null());
    assert_eq!(posts_to(&world, "/owner"), 0);
}

#[test]
fn customer_without_email_is_refused() {
    let world = World::new(
        "open_no_email",
        inventory(json!([free_server(72, 2, FIXED_LABEL)])),
    );
    let item = world.order_for("", FIXED_LABEL, &[], &[], &[OS]);
    assert_eq!(open(&world, item).error_type(), "no_email");
    assert!(world.server(72)["owner"].is_null());
}

#[test]
fn unknown_item_and_item_of_another_module_are_refused() {
    let world = World::new("open_unknown_item", inventory(json!([])));
    let run = open(&world, 424242);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("424242"));

    let item = world.order(FIXED_LABEL, &[OS]);
    {
        use mysql::prelude::Queryable;
        world
            .db
            .conn()
            .exec_drop(
                "UPDATE processingmodule SET module = 'pmvmmanager' WHERE id = ?",
                (world.module,),
            )
            .expect("other module");
    }
    let run = open(&world, item);
    assert_eq!(run.error_type(), "item");
    assert!(
        run.error_value().contains("pmvmmanager"),
        "{}",
        run.error_value()
    );
}

#[test]
fn install_failure_releases_everything_and_hands_over_to_staff() {
    let world = World::new(
        "open_install_fails",
        inventory(json!([free_server(80, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    world.sim.inject(Fault::FailNextOperation);
    let run = world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--runningoperation",
        &ro.to_string(),
    ]);
    assert_eq!(run.error_type(), "operation_failed");
    let server = world.server(80);
    assert!(server["owner"].is_null(), "owner released");
    assert_eq!(server["notes"], "");
    assert!(addresses(&server).is_empty(), "IPs released");
    assert_eq!(server["switch_connection"][0]["admin_status"], "down");
    assert_eq!(world.item_param(item, "serverid"), None);
    let operation = world.db.running_operation(ro).expect("ro").expect("kept");
    assert!(operation.manual);
    assert!(
        operation
            .errorxml
            .unwrap_or_default()
            .contains("operation_failed")
    );
    assert_eq!(world.db.tasks().expect("tasks").len(), 1);
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::PROCESSING
    );
}

#[test]
fn wait_limit_then_a_second_open_finishes_without_reinstalling() {
    let world = World::new(
        "open_wait_limit",
        inventory(json!([free_server(90, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    let run = world
        .command(&["--command", "open", "--item", &item.to_string()])
        .env("PMDCI6_POLL_TIMEOUT", "0")
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stdout).contains("wait_timeout"));
    let ips = addresses(&world.server(90));
    world.sim.clear_requests();
    open(&world, item).assert_ok();
    assert!(
        world
            .sim
            .requests()
            .iter()
            .all(|r| !r.path.contains("ippool")),
        "a resume with its addresses given reads no pools"
    );
    assert_eq!(posts_to(&world, "/os_install"), 0, "not installed again");
    assert_eq!(addresses(&world.server(90)), ips, "same addresses");
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
}

#[test]
fn a_stock_server_with_an_old_install_of_the_template_is_installed_for_the_customer() {
    let mut server = free_server(91, 2, FIXED_LABEL);
    server["os_template"] = json!({"id": 4});
    server["operation"] = json!({"id": 3, "type": "os_install", "status": "ok"});
    let world = World::new("open_old_install", inventory(json!([server])));
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    assert_eq!(posts_to(&world, "/os_install"), 1);
}

#[test]
fn a_killed_open_is_finished_by_the_retry_on_the_same_server_with_the_same_addresses() {
    let world = World::new(
        "open_killed",
        inventory(json!([
            free_server(100, 2, FIXED_LABEL),
            free_server(101, 2, FIXED_LABEL),
            free_server(102, 2, FIXED_LABEL)
        ])),
    );
    let item = world.order_for(CUSTOMER, FIXED_LABEL, &[], &[("ip", "2")], &[OS]);
    let mut child = world
        .command(&["--command", "open", "--item", &item.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while posts_to(&world, "/os_install") == 0 {
        assert!(Instant::now() < deadline, "install never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let owned: Vec<Value> = world
        .sim
        .servers()
        .into_iter()
        .filter(|s| owner_email(s).is_some())
        .collect();
    assert_eq!(owned.len(), 1);
    let id = owned[0]["id"].as_u64().expect("id");
    let ips = addresses(&owned[0]);

    open(&world, item).assert_ok();
    let owned_after: Vec<Value> = world
        .sim
        .servers()
        .into_iter()
        .filter(|s| owner_email(s).is_some())
        .collect();
    assert_eq!(owned_after.len(), 1, "one server");
    assert_eq!(owned_after[0]["id"].as_u64(), Some(id));
    assert_eq!(addresses(&owned_after[0]), ips);
    assert_eq!(posts_to(&world, "/os_install"), 1, "not reinstalled");
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
}

#[test]
fn a_claim_lost_to_a_race_takes_the_next_server() {
    let world = World::new(
        "open_race",
        inventory(json!([
            free_server(110, 2, FIXED_LABEL),
            free_server(111, 2, FIXED_LABEL)
        ])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    world.sim.inject(Fault::StealNextClaim);
    open(&world, item).assert_ok();
    let mine: Vec<Value> = world
        .sim
        .servers()
        .into_iter()
        .filter(|s| owner_email(s).as_deref() == Some(CUSTOMER))
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(
        world
            .sim
            .servers()
            .iter()
            .filter(|s| owner_email(s).is_some())
            .count(),
        2,
        "the rival kept the other"
    );
}

#[test]
fn eight_parallel_opens_for_five_servers_never_share_a_server() {
    let servers: Vec<Value> = (120..125)
        .map(|id| free_server(id, 2, FIXED_LABEL))
        .collect();
    let world = World::new("open_parallel", inventory(json!(servers)));
    let items: Vec<u64> = (0..8)
        .map(|n| world.order_for(&format!("c{n}@example.com"), FIXED_LABEL, &[], &[], &[OS]))
        .collect();
    let outputs = open_in_parallel(&world, &items);
    let succeeded = outputs.iter().filter(|o| o.status.success()).count();
    assert_eq!(succeeded, 5, "five servers, five opens");
    let owners: Vec<String> = world.sim.servers().iter().filter_map(owner_email).collect();
    assert_eq!(owners.len(), 5);
    assert_eq!(
        owners.iter().collect::<HashSet<_>>().len(),
        5,
        "no server owned twice, no customer with two"
    );
    let ids: HashSet<String> = items
        .iter()
        .filter_map(|i| world.item_param(*i, "serverid"))
        .collect();
    assert_eq!(ids.len(), 5);
}

#[test]
fn dry_run_shows_the_plan_and_changes_nothing() {
    let mut owned = free_server(131, 2, FIXED_LABEL);
    owned["maintenance_mode"] = json!(true);
    let world = World::new(
        "open_dry_run",
        inventory(json!([free_server(130, 1, FIXED_LABEL), owned])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    let run = world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    let els = crate::xml::elements(&run.stdout).expect("xml");
    let chosen = els
        .iter()
        .find(|e| e.path == "/doc/open/server")
        .expect("server");
    assert_eq!(chosen.attr("name"), Some("srv-130"));
    let pool = els
        .iter()
        .find(|e| e.path == "/doc/open/pool")
        .expect("pool");
    assert_eq!(pool.attr("name"), Some("rack-r01"));
    assert!(els.iter().any(|e| e.path == "/doc/open/servers/server"
        && e.attr("verdict") == Some("rejected")
        && e.text.contains("maintenance")));
    assert!(
        run.stderr.contains("srv-130"),
        "summary on stderr: {}",
        run.stderr
    );
    assert!(
        world
            .sim
            .requests()
            .iter()
            .all(|r| r.method == "GET" || r.path.starts_with("/api/auth")),
        "only reads"
    );
    assert!(
        world
            .root
            .mgrctl_calls()
            .expect("calls")
            .iter()
            .all(|c| c.func == "paramlist")
    );

    let text = world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--dry-run",
        "--format",
        "text",
    ]);
    text.assert_ok();
    assert!(text.stdout.contains("=> srv-130"), "{}", text.stdout);
    assert!(text.stdout.contains("Pool: rack-r01"), "{}", text.stdout);
}

#[test]
fn a_server_the_customer_already_has_is_never_taken_for_a_new_order() {
    // Staff gave the customer server 140 by hand: owned, empty notes, installed.
    let mut theirs = free_server(140, 2, FIXED_LABEL);
    theirs["owner"] = json!({"id": crate::world::CUSTOMER_USER});
    theirs["power_status"] = json!("on");
    let world = World::new(
        "open_customer_has_one",
        crate::world::customer_inventory(json!([theirs, free_server(141, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("141"));
    assert!(
        world
            .sim
            .requests()
            .iter()
            .all(|r| r.method == "GET" || !r.path.contains("/server/140")),
        "the customer's own server was touched"
    );
}

#[test]
fn a_claim_killed_before_the_notes_is_adopted_by_the_retry() {
    let (world, item) = crate::world::interrupted_claim("open_interrupted_claim");
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("150"));
    assert_eq!(world.server(150)["notes"], format!("billmgr-item:{item}"));
    assert!(world.server(151)["owner"].is_null(), "no second server");
}

#[test]
fn a_held_server_staff_took_back_is_let_go_and_another_is_claimed() {
    let world = World::new(
        "open_server_taken_back",
        inventory(json!([
            free_server(160, 2, FIXED_LABEL),
            free_server(161, 2, FIXED_LABEL)
        ])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    // A reservation whose server staff then took back into maintenance, without its owner.
    world.set_item_param(item, "serverid", "160");
    world.edit_server(160, |s| {
        s["notes"] = json!(format!("billmgr-item:{item}"));
        s["maintenance_mode"] = json!(true);
    });
    let run = open(&world, item);
    assert_eq!(run.error_type(), "no_server");
    assert!(
        run.error_value().contains("maintenance"),
        "{}",
        run.error_value()
    );
    let server = world.server(160);
    assert!(server["owner"].is_null(), "{server}");
    assert_eq!(server["notes"], "");
    assert_eq!(world.item_param(item, "serverid"), None);
    assert_eq!(posts_to(&world, "/os_install"), 0);

    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("161"));
}

#[test]
fn servers_without_a_pool_are_passed_over() {
    // Only rack R01 has a pool; the public pool is not an allocation pool here.
    let mut inv = inventory(json!([
        free_server(170, 2, FIXED_LABEL),
        free_server(171, 2, FIXED_LABEL),
        free_server(172, 2, FIXED_LABEL),
        free_server(173, 1, FIXED_LABEL)
    ]));
    inv.pool_settings.allocation = vec![2, 3];
    let world = World::new("open_pool_skip", inv);
    let item = world.order(FIXED_LABEL, &[OS]);
    open(&world, item).assert_ok();
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("173"));
}

#[test]
fn parallel_opens_of_one_customer_never_share_a_server() {
    let servers: Vec<Value> = (180..183)
        .map(|id| free_server(id, 2, FIXED_LABEL))
        .collect();
    let world = World::new("open_parallel_one_customer", inventory(json!(servers)));
    let items: Vec<u64> = (0..4)
        .map(|_| world.order_for(CUSTOMER, FIXED_LABEL, &[], &[], &[OS]))
        .collect();
    let outputs = open_in_parallel(&world, &items);
    assert_eq!(outputs.iter().filter(|o| o.status.success()).count(), 3);
    let notes: Vec<String> = world
        .sim
        .servers()
        .iter()
        .filter_map(|s| s["notes"].as_str().map(String::from))
        .collect();
    assert_eq!(notes.iter().collect::<HashSet<_>>().len(), 3, "{notes:?}");
    let ids: HashSet<String> = items
        .iter()
        .filter_map(|i| world.item_param(*i, "serverid"))
        .collect();
    assert_eq!(ids.len(), 3, "three items, three different servers");
}

#[test]
fn a_refused_report_fails_the_open_and_the_retry_only_reports() {
    let world = World::new(
        "open_report_refused",
        inventory(json!([free_server(190, 2, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[OS]);
    world.root.fail_next("service.postopen").expect("fault");
    let run = open(&world, item);
    assert_eq!(run.error_type(), "mgrctl");
    assert!(run.error_value().contains("service.postopen"), "{run:#?}");
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::PROCESSING
    );
    let ips = addresses(&world.server(190));
    open(&world, item).assert_ok();
    assert_eq!(posts_to(&world, "/os_install"), 1, "not reinstalled");
    assert_eq!(addresses(&world.server(190)), ips);
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
}
