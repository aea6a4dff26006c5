//! `report --module N`: every kind of drift between BILLmanager and DCImanager found in one
//! listing, and the ways the report is refused.

use billmgr_stand_in::item_status;
use dci6_sim::{Inventory, UserSpec};
use mysql::prelude::Queryable;
use serde_json::{Value, json};

use crate::world::{CUSTOMER, FIXED_LABEL, World, free_server, inventory};
use crate::xml::{El, elements};

const CUSTOMER_USER: u64 = 57;
const OUTSIDER_USER: u64 = 58;
const OUTSIDER: &str = "outsider@example.com";
/// A configuration a tariff sells and no server has.
const UNSTOCKED_LABEL: &str = "E5-2620-64Gb-2x1024NVMe";

/// [`inventory`] with the customer's DCImanager user and a user who is no customer of the
/// module.
fn users_inventory(servers: Value) -> Inventory {
    let mut inventory = inventory(servers);
    for (id, email) in [(CUSTOMER_USER, CUSTOMER), (OUTSIDER_USER, OUTSIDER)] {
        inventory.users.push(UserSpec {
            id,
            email: email.into(),
            password: None,
            roles: "[@user]".into(),
        });
    }
    inventory
}

/// A service of [`CUSTOMER`] on a tariff selling `configuration`, in `status`, with `serverid`.
fn service(world: &World, status: i32, configuration: &str, serverid: Option<u64>) -> u64 {
    let account = world.db.add_account(CUSTOMER).expect("account");
    let tariff = world.db.add_tariff(configuration, &[]).expect("tariff");
    let serverid = serverid.map(|id| id.to_string());
    let params: Vec<(&str, &str)> = serverid
        .as_deref()
        .map(|id| vec![("serverid", id)])
        .unwrap_or_default();
    world
        .db
        .add_item(world.module, account, tariff, status, &[], &params)
        .expect("item")
}

/// Server `id` as an open leaves it for `item`: owned by `user`, marked, an address, ports up.
fn held(world: &World, id: u64, user: Option<u64>, item: u64) {
    world
        .sim
        .update_server(id, |s| {
            s["owner"] = user.map_or(Value::Null, |user| json!({"id": user}));
            s["notes"] = json!(format!("billmgr-item:{item}"));
            s["power_status"] = json!("on");
            s["ip"] = json!([{"id": 9000 + id, "name": format!("198.51.100.{}", 10 + id)}]);
            s["switch_connection"][0]["admin_status"] = json!("up");
        })
        .expect("server held");
}

fn report(world: &World, format: &str) -> crate::world::Run {
    world.run(&[
        "--command",
        "report",
        "--module",
        &world.module.to_string(),
        "--format",
        format,
    ])
}

fn drifts(els: &[El]) -> Vec<(String, Option<String>, Option<String>)> {
    els.iter()
        .filter(|e| e.path == "/doc/report/drifts/drift")
        .map(|e| {
            (
                e.attr("kind").unwrap_or_default().to_string(),
                e.attr("server").map(String::from),
                e.attr("item").map(String::from),
            )
        })
        .collect()
}

fn some(value: u64) -> Option<String> {
    Some(value.to_string())
}

#[test]
fn every_kind_of_drift_is_found_in_one_listing() {
    let mut elsewhere = free_server(10, 3, FIXED_LABEL);
    elsewhere["location_id"] = json!(2);
    elsewhere["owner"] = json!({"id": OUTSIDER_USER});
    let world = World::new(
        "report_drift",
        users_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL),
            free_server(3, 1, FIXED_LABEL),
            free_server(4, 2, FIXED_LABEL),
            free_server(5, 2, FIXED_LABEL),
            free_server(6, 2, FIXED_LABEL),
            free_server(7, 2, FIXED_LABEL),
            free_server(8, 2, FIXED_LABEL),
            free_server(9, 1, FIXED_LABEL),
            elsewhere
        ])),
    );
    let fine = service(&world, item_status::ACTIVE, FIXED_LABEL, Some(1));
    held(&world, 1, Some(CUSTOMER_USER), fine);
    let ownerless = service(&world, item_status::ACTIVE, FIXED_LABEL, Some(2));
    held(&world, 2, None, ownerless);
    let taken = service(&world, item_status::SUSPENDED, FIXED_LABEL, Some(3));
    held(&world, 3, Some(OUTSIDER_USER), taken);
    let rebuilt = service(&world, item_status::ACTIVE, FIXED_LABEL, Some(4));
    held(&world, 4, Some(CUSTOMER_USER), rebuilt);
    world
        .sim
        .update_server(4, |s| {
            s["configuration"] = json!("i9-9900K-128Gb-2x1024NVMe")
        })
        .expect("rebuilt by staff");
    let vanished = service(&world, item_status::ACTIVE, FIXED_LABEL, Some(99));
    let deleted = service(&world, item_status::DELETED, FIXED_LABEL, Some(5));
    held(&world, 5, Some(CUSTOMER_USER), deleted);
    world
        .sim
        .update_server(6, |s| {
            s["ip"] = json!([{"id": 9106, "name": "198.51.100.99"}])
        })
        .expect("address left behind");
    let wiped = service(&world, item_status::DELETED, FIXED_LABEL, None);
    world
        .sim
        .update_server(7, |s| {
            s["maintenance_mode"] = json!(true);
            s["notes"] = json!(format!(
                "billmgr-item:{wiped} closing diagnostics:88 failed: diagnostics failed"
            ));
        })
        .expect("failed close");
    let forgotten = service(&world, item_status::DELETED, FIXED_LABEL, None);
    world
        .sim
        .update_server(8, |s| {
            s["notes"] = json!(format!("billmgr-item:{forgotten}"))
        })
        .expect("stale mark");
    let unstocked = world.db.add_tariff(UNSTOCKED_LABEL, &[]).expect("tariff");
    world
        .db
        .conn()
        .exec_drop(
            "INSERT INTO processingmodule2pricelist (processingmodule, pricelist) VALUES (?, ?)",
            (world.module, unstocked),
        )
        .expect("tariff bound to the module");
    world.sim.clear_requests();

    let run = report(&world, "xml");
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed report");
    assert_eq!(
        drifts(&els),
        vec![
            ("orphan_server".into(), some(5), None),
            ("service_without_server".into(), None, some(vanished)),
            ("lost_owner".into(), some(2), some(ownerless)),
            ("lost_owner".into(), some(3), some(taken)),
            ("configuration_changed".into(), some(4), some(rebuilt)),
            ("ips_without_service".into(), some(5), None),
            ("ips_without_service".into(), some(6), None),
            ("unfinished_close".into(), some(7), some(wiped)),
            ("stale_mark".into(), some(8), some(forgotten)),
            ("out_of_stock".into(), None, None),
        ],
        "{}",
        run.stdout
    );
    let drift_text = |kind: &str| {
        els.iter()
            .find(|e| e.path == "/doc/report/drifts/drift" && e.attr("kind") == Some(kind))
            .map(|e| e.text.clone())
            .unwrap_or_default()
    };
    assert!(drift_text("unfinished_close").contains("in maintenance"));
    assert!(drift_text("configuration_changed").contains("is now i9-9900K-128Gb-2x1024NVMe"));
    let unstocked = els
        .iter()
        .find(|e| e.attr("kind") == Some("out_of_stock"))
        .and_then(|e| e.attr("configuration"));
    assert_eq!(unstocked, Some(UNSTOCKED_LABEL));
    let stock: Vec<(&str, &str)> = els
        .iter()
        .filter(|e| e.path == "/doc/report/stock/configuration")
        .map(|e| {
            (
                e.attr("label").unwrap_or_default(),
                e.attr("available").unwrap_or_default(),
            )
        })
        .collect();
    // srv-6 (an address left, but it passes the rules) and srv-9 are for sale; srv-10 is in
    // another location.
    assert_eq!(stock, vec![(FIXED_LABEL, "2"), (UNSTOCKED_LABEL, "0")]);

    // One listing per object type, nothing changed, no call per server or per user.
    let requests = world.sim.requests();
    let gets = |path: &str| {
        requests
            .iter()
            .filter(|r| r.method == "GET" && r.path == path)
            .count()
    };
    assert_eq!(gets("/api/dci/v3/server"), 1, "{requests:#?}");
    assert_eq!(gets("/api/dci/v3/server/configuration"), 1);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" || r.path.starts_with("/api/auth")),
        "a report changes nothing: {requests:#?}"
    );
    assert!(
        requests
            .iter()
            .all(|r| !r.path.starts_with("/api/dci/v3/server/")
                || r.path == "/api/dci/v3/server/configuration"),
        "no call per server: {requests:#?}"
    );
    assert!(requests.iter().all(|r| r.path != "/api/dci/v3/user"));
    assert!(
        world
            .root
            .mgrctl_calls()
            .expect("calls")
            .iter()
            .all(|c| c.func == "paramlist")
    );

    let text = report(&world, "text");
    text.assert_ok();
    for heading in [
        "Servers owned by the module's customers with no live service (1)",
        "Live services without a server (1)",
        "Live services whose server lost its owner (2)",
        "Live services whose server changed configuration (1)",
        "IP addresses on servers with no service (2)",
        "Free servers left out of stock by an unfinished close (1)",
        "Free servers kept out of stock by a stale notes mark (1)",
        "Configurations sold with no server available (1)",
    ] {
        assert!(text.stdout.contains(heading), "{heading}:\n{}", text.stdout);
    }
    assert!(text.stdout.contains("OUT OF STOCK"), "{}", text.stdout);
    assert!(!text.stdout.contains("<?xml"), "{}", text.stdout);
}

#[test]
fn a_consistent_module_reports_no_drift() {
    let world = World::new(
        "report_clean",
        users_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL)
        ])),
    );
    let item = service(&world, item_status::ACTIVE, FIXED_LABEL, Some(1));
    held(&world, 1, Some(CUSTOMER_USER), item);
    let run = report(&world, "xml");
    run.assert_ok();
    let els = elements(&run.stdout).expect("xml");
    assert!(drifts(&els).is_empty(), "{}", run.stdout);
    let count = els
        .iter()
        .find(|e| e.path == "/doc/report/drifts")
        .and_then(|e| e.attr("count"));
    assert_eq!(count, Some("0"));
    let text = report(&world, "text");
    assert!(text.stdout.contains("No drift found."), "{}", text.stdout);
}

#[test]
fn an_unknown_module_is_refused() {
    let world = World::new("report_unknown_module", inventory(json!([])));
    let run = world.run(&["--command", "report", "--module", "999999"]);
    assert_eq!(run.error_type(), "module_config");
    assert!(run.error_value().contains("999999"), "{}", run.stdout);
    let missing = world.run(&["--command", "report"]);
    assert_eq!(missing.error_type(), "usage");
}

#[test]
fn a_module_of_another_type_is_refused() {
    let world = World::new("report_other_module", inventory(json!([])));
    let other = {
        let mut conn = world.db.conn();
        conn.exec_drop(
            "INSERT INTO processingmodule (name, module) VALUES ('VMs', 'pmvmmgr6')",
            (),
        )
        .expect("other module");
        conn.last_insert_id()
    };
    let run = world.run(&["--command", "report", "--module", &other.to_string()]);
    assert_eq!(run.error_type(), "module_config");
    assert!(run.error_value().contains("pmvmmgr6"), "{}", run.stdout);
}

#[test]
fn dcimanager_down_is_an_error() {
    let world = World::with_module_params(
        "report_dci_down",
        inventory(json!([])),
        &[("url", "http://127.0.0.1:9")],
    );
    let run = world.run(&["--command", "report", "--module", &world.module.to_string()]);
    assert_eq!(run.error_type(), "dci_unreachable", "{run:#?}");
}
