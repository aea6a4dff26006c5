//! BILLmanager's IP list: open fills the service's IP slots with its server's addresses
//! (`service.ip.add` + `service.ip.add.commit`), close empties them (`service.ip.del`), sync_item
//! makes the list follow DCImanager, and no retry ever adds a row twice.

use billmgr_stand_in::{IpRow, item_status};
use serde_json::{Value, json};

use crate::world::{CUSTOMER, FIXED_LABEL, World, customer_inventory, free_server, inventory};

const OS: (&str, &str) = ("ostempl", "Debian-12");

fn open(world: &World, item: u64) -> crate::world::Run {
    world.run(&["--command", "open", "--item", &item.to_string()])
}

fn in_use(rows: &[IpRow]) -> Vec<String> {
    rows.iter()
        .filter(|r| r.status == 2)
        .map(|r| r.name.clone())
        .collect()
}

fn server_addresses(server: &Value) -> Vec<String> {
    server["ip"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip["name"].as_str().map(String::from))
        .collect()
}

fn calls_of(world: &World, func: &str) -> usize {
    world.root.mgrctl_calls_of(func).expect("calls").len()
}

/// An order for two IPv4 addresses whose service has three IPv4 slots.
fn two_address_order(world: &World) -> u64 {
    let item = world.order_for(
        CUSTOMER,
        FIXED_LABEL,
        &[],
        &[("ip", "2")],
        &[OS, ("domain", "web.example.com")],
    );
    world.db.add_ip_slots(item, "ip", 3).expect("slots");
    item
}

#[test]
fn open_fills_the_slots_and_a_retried_open_adds_no_second_row() {
    let world = World::new(
        "ip_list_open",
        inventory(json!([free_server(11, 1, FIXED_LABEL)])),
    );
    let item = two_address_order(&world);
    // BILLmanager refuses the report once: the retry must finish without adding again.
    world.root.fail_next("service.postopen").expect("fault");
    assert_eq!(open(&world, item).error_type(), "mgrctl");
    let rows = world.db.service_ips(item).expect("ip list");
    let mut expected = server_addresses(&world.server(11));
    assert_eq!(expected.len(), 2);
    assert_eq!(in_use(&rows), expected);
    assert!(rows.iter().filter(|r| r.status == 2).all(|r| r.committed
        && r.mask.as_deref() == Some("255.255.255.0")
        && r.domain.as_deref() == Some("web.example.com")
        && r.gateway.as_deref().is_some_and(|g| !g.is_empty())));
    assert_eq!(
        rows.iter().filter(|r| r.status == 1).count(),
        1,
        "one slot stays empty"
    );

    open(&world, item).assert_ok();
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::ACTIVE
    );
    let rows = world.db.service_ips(item).expect("ip list");
    expected.sort();
    let mut listed = in_use(&rows);
    listed.sort();
    assert_eq!(listed, expected);
    assert_eq!(rows.len(), 3, "no row added");
    assert_eq!(calls_of(&world, "service.ip.add"), 2);
    assert_eq!(calls_of(&world, "service.ip.add.commit"), 2);
    // The list is filled before BILLmanager hears the service is open.
    let funcs: Vec<String> = world
        .root
        .mgrctl_calls()
        .expect("calls")
        .into_iter()
        .map(|c| c.func)
        .collect();
    let last_add = funcs
        .iter()
        .rposition(|f| f == "service.ip.add.commit")
        .expect("commit");
    let opened = funcs
        .iter()
        .rposition(|f| f == "service.postopen")
        .expect("postopen");
    assert!(last_add < opened, "{funcs:?}");
}

#[test]
fn an_open_resumed_after_its_wait_ran_out_fills_the_list_once_when_it_finishes() {
    let world = World::new(
        "ip_list_resumed",
        inventory(json!([free_server(11, 1, FIXED_LABEL)])),
    );
    let item = two_address_order(&world);
    let run = world
        .command(&["--command", "open", "--item", &item.to_string()])
        .env("PMDCI6_POLL_TIMEOUT", "0")
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&run.stdout).contains("wait_timeout"));
    // The addresses are given, but the service is not open yet: the list waits for it.
    assert_eq!(server_addresses(&world.server(11)).len(), 2);
    assert!(in_use(&world.db.service_ips(item).expect("list")).is_empty());
    assert_eq!(calls_of(&world, "service.ip.add"), 0);

    open(&world, item).assert_ok();
    let mut listed = in_use(&world.db.service_ips(item).expect("list"));
    listed.sort();
    let mut expected = server_addresses(&world.server(11));
    expected.sort();
    assert_eq!(listed, expected);
    // Another open of the now active service has nothing to do and adds nothing.
    open(&world, item).assert_ok();
    assert_eq!(calls_of(&world, "service.ip.add"), 2);
    assert_eq!(world.db.service_ips(item).expect("list").len(), 3);
}

#[test]
fn sync_item_makes_the_list_follow_dcimanager_and_close_empties_it() {
    let world = World::new(
        "ip_list_sync",
        customer_inventory(json!([free_server(2, 1, FIXED_LABEL)])),
    );
    let item = world.opened(2, item_status::ACTIVE);
    let slots = world.db.add_ip_slots(item, "ip", 2).expect("slots");
    let sync = || {
        world
            .run(&["--command", "sync_item", "--item", &item.to_string()])
            .assert_ok();
    };
    // A service opened before the module kept the list: sync_item fills it.
    sync();
    assert_eq!(
        in_use(&world.db.service_ips(item).expect("list")),
        ["198.51.100.12"]
    );

    // Staff replaced the address in DCImanager: the gone one is released, the new one added.
    world.edit_server(2, |s| {
        s["ip"] = json!([{"id": 9100, "name": "198.51.100.99", "family": "ipv4"}]);
    });
    let dry = world.run(&[
        "--command",
        "sync_item",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    dry.assert_ok();
    assert!(
        dry.stdout.contains("remove 198.51.100.12 from BILLmanager"),
        "{dry:#?}"
    );
    assert!(
        dry.stdout.contains("add 198.51.100.99 to BILLmanager"),
        "{dry:#?}"
    );
    sync();
    let rows = world.db.service_ips(item).expect("list");
    assert_eq!(in_use(&rows), ["198.51.100.99"]);
    assert_eq!(
        rows.len(),
        slots.len(),
        "released rows are slots again, none added"
    );

    // Settled: the next runs change nothing.
    let before = world.billing_writes().len();
    sync();
    sync();
    assert_eq!(
        world.billing_writes().len(),
        before,
        "{:#?}",
        world.billing_writes()
    );

    // Close: the list is emptied before BILLmanager hears the service is closed.
    let dry = world.run(&[
        "--command",
        "close",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    dry.assert_ok();
    assert!(
        dry.stdout
            .contains("<step>remove 198.51.100.99 from BILLmanager"),
        "{dry:#?}"
    );
    assert_eq!(
        in_use(&world.db.service_ips(item).expect("list")),
        ["198.51.100.99"]
    );
    world
        .run(&["--command", "close", "--item", &item.to_string()])
        .assert_ok();
    let rows = world.db.service_ips(item).expect("list");
    assert!(in_use(&rows).is_empty(), "{rows:#?}");
    assert_eq!(
        world.db.item_status(item).expect("status"),
        item_status::DELETED
    );
    let funcs: Vec<String> = world.billing_writes().into_iter().map(|c| c.func).collect();
    let del = funcs
        .iter()
        .position(|f| f == "service.ip.del")
        .expect("del");
    let closed = funcs
        .iter()
        .position(|f| f == "service.postclose")
        .expect("postclose");
    assert!(del < closed, "{funcs:?}");
}

#[test]
fn addresses_beyond_the_slots_are_logged_and_the_open_finishes() {
    let world = World::new(
        "ip_list_no_slot",
        inventory(json!([free_server(11, 1, FIXED_LABEL)])),
    );
    let item = world.order_for(CUSTOMER, FIXED_LABEL, &[], &[("ip", "2")], &[OS]);
    world.db.add_ip_slots(item, "ip", 1).expect("slot");
    open(&world, item).assert_ok();
    let rows = world.db.service_ips(item).expect("list");
    assert_eq!(in_use(&rows).len(), 1);
    assert!(
        world
            .log()
            .contains("has no free slot in BILLmanager's IP list"),
        "{}",
        world.log()
    );
    // Without any slot (a tariff without IP add-on items) the open is as before.
    let bare = World::new(
        "ip_list_bare",
        inventory(json!([free_server(12, 1, FIXED_LABEL)])),
    );
    let plain = bare.order(FIXED_LABEL, &[OS]);
    open(&bare, plain).assert_ok();
    assert_eq!(calls_of(&bare, "service.ip.add"), 0);
}
