//! `import`: servers of the location that have an owner and no pmdci6 service become services
//! of BILLmanager (customer by e-mail, tariff by configuration), their notes get the mark; the
//! dry run says what would be imported and why the others are not; a repeat imports nothing
//! twice.

use billmgr_stand_in::item_status;
use serde_json::{Value, json};

use crate::world::{
    CUSTOMER, CUSTOMER_USER, FIXED_LABEL, RIVAL_USER, Run, World, customer_inventory, free_server,
};
use crate::xml::elements;

/// A server of the location given out before pmdci6: owned, its port up, one address.
fn sold(id: u64, user: u64, configuration: &str) -> Value {
    let mut server = free_server(id, 1, configuration);
    server["owner"] = json!({"id": user});
    server["power_status"] = json!("on");
    server["os_template"] = json!({"id": 4});
    server["ip"] = json!([{"id": 9100 + id, "name": format!("198.51.100.{}", 100 + id)}]);
    server["switch_connection"][0]["admin_status"] = json!("up");
    server["switch_connection"][0]["oper_status"] = json!("up");
    server
}

/// Servers: 1 the customer's, 2 an owner with no BILLmanager account, 3 the customer's of a
/// configuration no tariff sells, 4 free, 5 a pmdci6 service already, 6 the customer's with
/// staff notes and its port down.
fn world(name: &str) -> (World, u64) {
    let mut dark = sold(6, CUSTOMER_USER, FIXED_LABEL);
    dark["notes"] = json!("rack B, from the old module");
    dark["switch_connection"][0]["admin_status"] = json!("down");
    let world = World::new(
        name,
        customer_inventory(json!([
            sold(1, CUSTOMER_USER, FIXED_LABEL),
            sold(2, RIVAL_USER, FIXED_LABEL),
            sold(3, CUSTOMER_USER, "E-2236-32Gb-2x480SSD"),
            free_server(4, 1, FIXED_LABEL),
            free_server(5, 1, FIXED_LABEL),
            dark,
        ])),
    );
    // The live service on server 5 brings the customer's account and the tariff selling
    // FIXED_LABEL through this module.
    let service = world.opened(5, item_status::ACTIVE);
    (world, service)
}

fn import(world: &World, extra: &[&str]) -> Run {
    let module = world.module.to_string();
    let mut args = vec![
        "--command",
        "import",
        "--module",
        &module,
        "--itemtype",
        "dedic",
    ];
    args.extend_from_slice(extra);
    world.run(&args)
}

/// `(server name, verdict, reason)` of a dry run.
fn verdicts(run: &Run) -> Vec<(String, String, String)> {
    run.assert_ok();
    elements(&run.stdout)
        .expect("well-formed")
        .into_iter()
        .filter(|e| e.path == "/doc/import/server")
        .map(|e| {
            (
                e.attr("name").unwrap_or_default().to_string(),
                e.attr("verdict").unwrap_or_default().to_string(),
                e.text.clone(),
            )
        })
        .collect()
}

/// The service an imported server's notes name.
fn service_of(world: &World, server: u64) -> u64 {
    let notes = world.server(server)["notes"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let mark = notes
        .rsplit("billmgr-item:")
        .next()
        .filter(|_| notes.contains("billmgr-item:"))
        .unwrap_or_else(|| panic!("server {server} has no mark: {notes:?}"));
    mark.trim().parse().expect("an item id")
}

#[test]
fn the_dry_run_lists_what_would_be_imported_and_why_the_others_are_not() {
    let (world, service) = world("import_dry_run");
    let run = import(&world, &["--dry-run"]);
    let seen = verdicts(&run);
    let names: Vec<&str> = seen.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["srv-1", "srv-2", "srv-3", "srv-5", "srv-6"],
        "{seen:#?}"
    );
    let verdict = |name: &str| seen.iter().find(|(n, _, _)| n == name).expect(name);
    assert_eq!(verdict("srv-1").1, "import");
    assert!(verdict("srv-1").2.contains(CUSTOMER), "{seen:#?}");
    assert!(
        verdict("srv-2").2.starts_with("no such customer"),
        "{seen:#?}"
    );
    assert!(
        verdict("srv-3").2.starts_with("no matching tariff"),
        "{seen:#?}"
    );
    assert_eq!(
        verdict("srv-5").2,
        format!("already a service: item {service} holds it")
    );
    assert!(verdict("srv-6").2.contains("as suspended"), "{seen:#?}");
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());

    let narrowed = import(&world, &["--dry-run", "--searchstring", "rival@"]);
    let seen = verdicts(&narrowed);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, "srv-2");
    let text = import(&world, &["--dry-run", "--format", "text"]);
    text.assert_ok();
    assert!(text.stdout.contains("srv-3"), "{}", text.stdout);
}

#[test]
fn owned_servers_become_services_the_others_are_named_and_a_repeat_imports_nothing_twice() {
    let (world, _) = world("import_run");
    let run = import(&world, &[]);
    assert_eq!(run.error_type(), "import", "{run:#?}");
    let why = run.error_value();
    assert!(
        why.contains("2 server(s) not imported")
            && why.contains("srv-2: no such customer")
            && why.contains("srv-3: no matching tariff"),
        "{why}"
    );
    let first = service_of(&world, 1);
    let item = world.db.item(first).expect("imported service");
    assert_eq!(item.status, item_status::ACTIVE);
    assert_eq!(item.processingmodule, Some(world.module));
    assert_eq!(world.item_param(first, "serverid").as_deref(), Some("1"));
    assert_eq!(
        world.item_param(first, "ip").as_deref(),
        Some("198.51.100.101")
    );
    assert_eq!(world.item_param(first, "username").as_deref(), Some("root"));
    assert_eq!(world.server(1)["notes"], format!("billmgr-item:{first}"));
    let dark = service_of(&world, 6);
    assert_eq!(
        world.db.item(dark).expect("service").status,
        item_status::SUSPENDED
    );
    assert_eq!(
        world.server(6)["notes"],
        format!("rack B, from the old module\nbillmgr-item:{dark}")
    );
    for untouched in [2, 3] {
        assert_eq!(world.server(untouched)["notes"], "");
    }
    // The imported services are pmdci6's now: a sync finds them in order.
    world
        .run(&["--command", "sync_item", "--item", &first.to_string()])
        .assert_ok();

    world.sim.clear_requests();
    let imports = world
        .root
        .mgrctl_calls_of("processing.import.service")
        .expect("calls")
        .len();
    assert_eq!(import(&world, &[]).error_type(), "import");
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("processing.import.service")
            .expect("calls")
            .len(),
        imports,
        "no second service"
    );
    assert!(world.dci_changes().is_empty());
    // Narrowed to what can be imported, the run succeeds and does nothing more.
    import(&world, &["--searchstring", "srv-1"]).assert_ok();
}

#[test]
fn a_run_killed_before_the_mark_is_finished_by_the_next() {
    let (world, _) = world("import_resume");
    // What processing.import.service left before the kill: the service, no mark on the server.
    let tariff = world
        .db
        .item(service_of(&world, 5))
        .expect("item")
        .pricelist;
    let account = world.db.item(service_of(&world, 5)).expect("item").account;
    let item = world
        .db
        .add_item(
            world.module,
            account,
            tariff,
            item_status::ACTIVE,
            &[],
            &[("serverid", "1")],
        )
        .expect("item");
    let run = import(&world, &["--searchstring", "srv-1"]);
    run.assert_ok();
    assert_eq!(world.server(1)["notes"], format!("billmgr-item:{item}"));
    assert!(
        world
            .root
            .mgrctl_calls_of("processing.import.service")
            .expect("calls")
            .is_empty()
    );
}

#[test]
fn billing_refusing_the_import_changes_nothing_in_dcimanager() {
    let (world, _) = world("import_refused");
    world
        .root
        .fail_next("processing.import.service")
        .expect("fault");
    let run = import(&world, &["--searchstring", "srv-1"]);
    assert_eq!(run.error_type(), "mgrctl");
    assert!(world.dci_changes().is_empty());
    assert_eq!(world.server(1)["notes"], "");
    let run = world.run(&["--command", "import", "--module", "1", "--itemtype", "vds"]);
    assert_eq!(run.error_type(), "usage");
}
