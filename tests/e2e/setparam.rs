//! `setparam`: the customer changed add-ons or the tariff of a live service; the server
//! follows. Extra addresses come from the pool chain, fewer ones go newest first (never the
//! main address), a hardware change goes to staff until the server satisfies the order, and a
//! failure during a tariff change rolls the tariff back.

use billmgr_stand_in::{AddonSpec, item_status};
use serde_json::{Value, json};

use crate::world::{FIXED_LABEL, Run, World, customer_inventory, free_server};
use crate::xml::elements;

const SERVER: u64 = 31;
const MAIN: &str = "198.51.100.41";

/// The item's server is in `rack`: R01 has a pool of its own (IPv4 only), R02 none, so its
/// addresses come from the public pool (IPv4 and IPv6).
fn world_in_rack(name: &str, rack: u64) -> (World, u64, u64) {
    let world = World::new(
        name,
        customer_inventory(json!([free_server(SERVER, rack, FIXED_LABEL)])),
    );
    let item = world.opened(SERVER, item_status::ACTIVE);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    world.sim.clear_requests();
    (world, item, ro)
}

fn world(name: &str) -> (World, u64, u64) {
    world_in_rack(name, 1)
}

fn setparam(world: &World, item: u64, ro: u64, extra: &[&str]) -> Run {
    let (item, ro) = (item.to_string(), ro.to_string());
    let mut args = vec![
        "--command",
        "setparam",
        "--item",
        &item,
        "--runningoperation",
        &ro,
        "--userid",
        "7",
    ];
    args.extend_from_slice(extra);
    world.run(&args)
}

/// The server's addresses as `(id, address)`.
fn addresses(server: &Value) -> Vec<(u64, String)> {
    server["ip"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|ip| {
            (
                ip["id"].as_u64().unwrap_or_default(),
                ip["name"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn postsetparams(world: &World) -> usize {
    world
        .root
        .mgrctl_calls_of("service.postsetparam")
        .expect("calls")
        .len()
}

#[test]
fn an_extra_ip_ordered_is_added_from_the_pool_chain_and_reported() {
    let (world, item, ro) = world_in_rack("setparam_more", 2);
    world.db.set_addon(item, "ip", 2).expect("ip addon");
    world.db.set_addon(item, "ipv6", 1).expect("ipv6 addon");

    let dry = setparam(&world, item, ro, &["--dry-run"]);
    dry.assert_ok();
    let steps: Vec<String> = elements(&dry.stdout)
        .expect("XML")
        .into_iter()
        .filter(|e| e.path == "/doc/plan/step")
        .map(|e| e.text)
        .collect();
    assert_eq!(
        steps,
        [
            "add 1 IPv4 address(es) from the pool chain",
            "add 1 IPv6 address(es) from the pool chain",
            "report the change done"
        ]
    );
    assert!(world.dci_changes().is_empty());

    setparam(&world, item, ro, &[]).assert_ok();
    let server = world.server(SERVER);
    let ips = addresses(&server);
    assert_eq!(ips.len(), 3, "{ips:?}");
    assert!(ips.iter().any(|(_, a)| a == MAIN));
    assert!(
        ips.iter().any(|(_, a)| a.starts_with("203.0.113.")),
        "the extra IPv4 comes from the public pool: {ips:?}"
    );
    assert!(
        ips.iter().any(|(_, a)| a.starts_with("2001:db8:1:")),
        "{ips:?}"
    );
    assert_eq!(world.item_param(item, "ip").as_deref(), Some(MAIN));
    assert_eq!(postsetparams(&world), 1);
    assert!(world.db.running_operation(ro).expect("row").is_none());

    // Safe to repeat: nothing left to change, only the report, and the server read once.
    world.sim.clear_requests();
    setparam(&world, item, ro, &[]).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    let reads = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/dci/v3/server")
        .count();
    assert_eq!(reads, 1, "{:?}", world.sim.requests());
    assert_eq!(postsetparams(&world), 2);
}

#[test]
fn a_lowered_count_removes_the_newest_extra_addresses_never_the_main_one() {
    let (world, item, ro) = world("setparam_fewer");
    world.edit_server(SERVER, |s| {
        s["ip"] = json!([
            {"id": 9600, "name": "198.51.100.201"},
            {"id": 9031, "name": MAIN},
            {"id": 9500, "name": "198.51.100.200"}
        ]);
    });
    world.db.set_addon(item, "ip", 2).expect("ip addon");
    setparam(&world, item, ro, &[]).assert_ok();
    assert_eq!(
        world.dci_change_lines(),
        [format!("DELETE /api/dci/v3/server/{SERVER}/ip/9600")]
    );
    let left: Vec<String> = addresses(&world.server(SERVER))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    assert_eq!(left, [MAIN, "198.51.100.200"]);
    assert_eq!(world.item_param(item, "ip").as_deref(), Some(MAIN));
}

#[test]
fn a_pool_without_enough_addresses_changes_nothing_and_rolls_the_tariff_back() {
    let (world, item, ro) = world("setparam_rollback");
    let before = world.db.item(item).expect("item").pricelist;
    // The new tariff includes more addresses than any pool has free.
    let bigger = world
        .db
        .add_tariff(
            FIXED_LABEL,
            &[
                AddonSpec::integer("ip", "unit").included(1000),
                AddonSpec::integer("ipv6", "unit"),
            ],
        )
        .expect("tariff");
    world.db.change_tariff(item, bigger).expect("tariff change");
    let run = setparam(&world, item, ro, &[]);
    assert_eq!(run.error_type(), "no_pool", "{run:#?}");
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert_eq!(world.db.item(item).expect("item").pricelist, before);
    let rollback = world
        .root
        .last_call_params("service.changepricelist.rollback")
        .expect("the rollback");
    assert_eq!(rollback.get("elid"), Some(&item.to_string()));
    assert_eq!(rollback.get("userid").map(String::as_str), Some("7"));
    assert_eq!(postsetparams(&world), 0);
    let stored = world
        .db
        .running_operation(ro)
        .expect("row")
        .and_then(|r| r.errorxml)
        .unwrap_or_default();
    assert!(stored.contains("no_pool"), "{stored}");
}

#[test]
fn ipv6_from_a_pool_without_it_is_refused_before_any_address_is_added() {
    let (world, item, ro) = world("setparam_no_ipv6");
    world.db.set_addon(item, "ip", 2).expect("ip addon");
    world.db.set_addon(item, "ipv6", 1).expect("ipv6 addon");
    let run = setparam(&world, item, ro, &[]);
    assert_eq!(run.error_type(), "no_pool", "{run:#?}");
    assert!(run.error_value().contains("has no IPv6"), "{run:#?}");
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert_eq!(addresses(&world.server(SERVER)).len(), 1);
}

#[test]
fn other_hardware_goes_to_staff_until_the_server_is_changed() {
    let (world, item, ro) = world("setparam_hardware");
    let bigger = world
        .db
        .add_tariff(
            "i9-9900K-128Gb-2x1024NVMe",
            &[
                AddonSpec::integer("ip", "unit").included(1),
                AddonSpec::integer("ipv6", "unit"),
            ],
        )
        .expect("tariff");
    world.db.change_tariff(item, bigger).expect("tariff change");
    setparam(&world, item, ro, &[]).assert_ok();
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1);
    let text = tasks[0].params.clone().unwrap_or_default();
    assert!(
        text.contains(&format!("server srv-{SERVER} (id {SERVER})"))
            && text.contains("RAM 64 → 128 GB (add 64 GB)"),
        "{text}"
    );
    assert!(
        world
            .db
            .running_operation(ro)
            .expect("row")
            .expect("kept")
            .manual
    );
    assert_eq!(postsetparams(&world), 0);
    assert!(world.dci_changes().is_empty());

    // Staff rebuilt the server: the next setparam reports the change done.
    world.edit_server(SERVER, |s| {
        s["configuration"] = json!("i9-9900K-128Gb-2x1024NVMe");
    });
    setparam(&world, item, ro, &[]).assert_ok();
    assert_eq!(postsetparams(&world), 1);
    assert_eq!(world.tasks_of(item).len(), 1);
}

#[test]
fn a_server_that_is_not_the_items_is_refused_untouched() {
    let (world, item, ro) = world("setparam_not_owner");
    world.edit_server(SERVER, |s| s["notes"] = json!("billmgr-item:999"));
    world.db.set_addon(item, "ip", 3).expect("ip addon");
    assert_eq!(setparam(&world, item, ro, &[]).error_type(), "not_owner");
    assert!(world.dci_changes().is_empty());
    assert_eq!(postsetparams(&world), 0);
}

#[test]
fn a_setparam_killed_after_adding_addresses_is_finished_by_the_retry_without_more() {
    let (world, item, ro) = world_in_rack("setparam_killed", 2);
    world.db.set_addon(item, "ip", 3).expect("ip addon");
    world.db.set_addon(item, "ipv6", 1).expect("ipv6 addon");
    // Every answer takes a while, so the kill lands between the two additions.
    world.sim.inject(dci6_sim::Fault::Delay {
        duration: std::time::Duration::from_millis(400),
        count: 40,
    });
    let mut child = world
        .command(&["--command", "setparam", "--item", &item.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !world
        .dci_changes()
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with("/ip"))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "no address was ever added"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");

    setparam(&world, item, ro, &[]).assert_ok();
    let ips = addresses(&world.server(SERVER));
    let v6 = ips.iter().filter(|(_, a)| a.contains(':')).count();
    assert_eq!((ips.len() - v6, v6), (3, 1), "exactly as ordered: {ips:?}");
    assert_eq!(world.item_param(item, "ip").as_deref(), Some(MAIN));
    assert_eq!(postsetparams(&world), 1);
}

#[test]
fn dcimanager_refusing_the_addresses_fails_with_nothing_added() {
    let (world, item, ro) = world("setparam_refused");
    // Without the pool's free count the module cannot tell beforehand; DCImanager's refusal
    // of the addition is the check.
    world.sim.rewrite(dci6_sim::Rewrite {
        path_prefix: "/api/ip/v3/ippool".into(),
        field: "free_ipv4".into(),
        value: None,
    });
    world.db.set_addon(item, "ip", 1000).expect("ip addon");
    let run = setparam(&world, item, ro, &[]);
    assert_eq!(run.error_type(), "dci_api", "{run:#?}");
    assert!(
        run.error_value().contains("fewer than 999 free"),
        "{run:#?}"
    );
    assert_eq!(addresses(&world.server(SERVER)).len(), 1);
    assert_eq!(postsetparams(&world), 0);
    assert!(
        world
            .root
            .mgrctl_calls_of("service.changepricelist.rollback")
            .expect("calls")
            .is_empty(),
        "no tariff change under way, nothing to roll back"
    );
}

/// BILLmanager's IP list follows the server before the change is reported: an extra address
/// fills a slot, a removed one releases its row.
#[test]
fn billmanager_s_ip_list_follows_the_added_and_removed_addresses() {
    let (world, item, ro) = world_in_rack("setparam_ip_list", 2);
    world.db.add_ip_slots(item, "ip", 3).expect("slots");
    let listed = |world: &World| -> Vec<String> {
        let mut rows: Vec<String> = world
            .db
            .service_ips(item)
            .expect("ip list")
            .into_iter()
            .filter(|r| r.status == 2)
            .map(|r| r.name)
            .collect();
        rows.sort();
        rows
    };
    world.db.set_addon(item, "ip", 2).expect("ip addon");
    setparam(&world, item, ro, &[]).assert_ok();
    let mut on_server: Vec<String> = addresses(&world.server(SERVER))
        .into_iter()
        .map(|(_, a)| a)
        .collect();
    on_server.sort();
    assert_eq!(on_server.len(), 2);
    assert_eq!(listed(&world), on_server);
    // The report comes after the list is filled.
    let calls: Vec<String> = world
        .root
        .mgrctl_calls()
        .expect("calls")
        .into_iter()
        .map(|c| c.func)
        .filter(|f| f.starts_with("service.ip") || f == "service.postsetparam")
        .collect();
    assert_eq!(
        calls.last().map(String::as_str),
        Some("service.postsetparam"),
        "{calls:?}"
    );

    world.db.set_addon(item, "ip", 1).expect("ip addon");
    setparam(&world, item, ro, &[]).assert_ok();
    assert_eq!(listed(&world), [MAIN]);
    // Repeated: no row added or released again.
    let before = world.root.mgrctl_calls().expect("calls").len();
    setparam(&world, item, ro, &[]).assert_ok();
    let again: Vec<String> = world.root.mgrctl_calls().expect("calls")[before..]
        .iter()
        .map(|c| c.func.clone())
        .filter(|f| f.starts_with("service.ip"))
        .collect();
    assert!(again.is_empty(), "{again:?}");
}
