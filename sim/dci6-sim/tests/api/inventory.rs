//! Inventories: the documented example, the generator, and what is refused.

use std::collections::HashSet;

use dci6_sim::{Inventory, Sim, SimOptions};
use serde_json::{Value, json};

use crate::common::inventory;

#[test]
fn the_readme_example_loads() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```json\n").expect("a JSON example") + "```json\n".len();
    let length = readme[start..].find("```").expect("the end of the example");
    let example = Inventory::from_json_str(&readme[start..start + length]).unwrap();
    let sim = Sim::start(example, SimOptions::default()).unwrap();
    let server = sim.server(13).unwrap();
    assert_eq!(server["owner_email"], "client@example.com");
    assert_eq!(server["ip"][0]["gateway"], "203.0.113.1");
    assert_eq!(
        sim.server(12).unwrap()["mac_addresses"],
        json!(["0c:c4:7a:00:00:0c"])
    );
}

#[test]
fn generated_inventories() {
    let generated = Inventory::generated(1000);
    assert_eq!(generated, Inventory::generated(1000));
    let sim = Sim::start(generated, SimOptions::default()).unwrap();
    let servers = sim.servers();
    assert_eq!(servers.len(), 1000);
    let macs: HashSet<&Value> = servers.iter().map(|s| &s["mac_addresses"][0]).collect();
    assert_eq!(macs.len(), 1000);
    let owned = servers.iter().filter(|s| !s["owner"].is_null()).count();
    assert_eq!(owned, 333);
    let configurations: HashSet<&Value> = servers.iter().map(|s| &s["configuration"]).collect();
    assert!(configurations.len() >= 6);
    assert!(servers.iter().any(|s| s["maintenance_mode"] == true));
    assert!(servers.iter().any(|s| s["in_operation"] == false));
    assert!(
        servers
            .iter()
            .any(|s| !s["errors"]["status"].as_array().unwrap().is_empty())
    );
    let snapshot = sim.snapshot();
    assert_eq!(snapshot["pools"][0]["free_ipv4"], (1u64 << 24) - 3 - 333);
    assert_eq!(sim.users().len(), 50);
}

fn refused(edit: impl FnOnce(&mut Value)) -> String {
    let mut json = serde_json::to_value(inventory()).unwrap();
    edit(&mut json);
    let error = Inventory::from_json_str(&json.to_string())
        .and_then(|inventory| Sim::start(inventory, SimOptions::default()).map(|_| ()))
        .expect_err("the inventory is refused");
    format!("{error:#}")
}

#[test]
fn inconsistent_inventories_are_refused() {
    let message = refused(|i| i["servers"][1]["id"] = json!(1));
    assert!(message.contains("server id 1 appears twice"), "{message}");
    let message = refused(|i| i["servers"][0]["rack"] = json!({"id": 8}));
    assert!(message.contains("rack 8 is in location 3"), "{message}");
    let message = refused(|i| i["servers"][0]["owner"] = json!({"id": 1}));
    assert!(message.contains("unknown owner 1"), "{message}");
    let message = refused(|i| i["servers"][1]["owner_email"] = json!("x@example.com"));
    assert!(message.contains("does not match"), "{message}");
    let message = refused(|i| i["servers"][0]["ip"] = json!([{"id": 5, "name": "203.0.113.2"}]));
    assert!(message.contains("already on a server"), "{message}");
    let message =
        refused(|i| i["servers"][0]["ip"] = json!([{"id": 5, "name": "192.0.2.9", "pool": 1}]));
    assert!(
        message.contains("outside the networks of pool 1"),
        "{message}"
    );
    let message = refused(|i| i["servers"][0]["colour"] = json!("red"));
    assert!(message.contains("unknown field `colour`"), "{message}");
    let message = refused(|i| i["pools"][0]["ipv4_network"] = json!("203.0.113.1/24"));
    assert!(message.contains("host bits"), "{message}");
    let message = refused(|i| i["pools"][2]["ipv6_network"] = json!("10.0.0.0/8"));
    assert!(message.contains("wrong family"), "{message}");
    let message = refused(|i| i["pool_settings"]["allocation"] = json!([9]));
    assert!(message.contains("unknown pool 9"), "{message}");
    let message = refused(|i| i["users"][0]["email"] = json!("admin@example.com"));
    assert!(message.contains("already taken"), "{message}");
    let message = refused(|i| i["os_templates"][0]["location_id"] = json!(2));
    assert!(message.contains("unknown location 2"), "{message}");
    let message = refused(|i| {
        i["servers"][0]["operation"] = json!({"id": 1, "type": "reboot", "status": "ok"})
    });
    assert!(message.contains("unknown variant `reboot`"), "{message}");
}
