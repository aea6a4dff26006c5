//! Actions on a server (spec §4): effects, refusals and conflicts.

use std::time::Duration;

use dci6_sim::{Fault, SimOptions};
use serde_json::{Value, json};

use crate::common::{Client, start, start_with, wait_for_operation};

fn action(server: u64, name: &str) -> String {
    format!("/api/dci/v3/server/{server}/{name}")
}

fn slow_operations() -> SimOptions {
    SimOptions {
        operation_duration: Duration::from_secs(60),
        ..SimOptions::default()
    }
}

/// Long enough to see an operation running even on a loaded machine.
fn fast_operations() -> SimOptions {
    SimOptions {
        operation_duration: Duration::from_millis(700),
        ..SimOptions::default()
    }
}

fn install(template: u64) -> Value {
    json!({"os_template": template, "password": "root-pw", "domain": "new.example.com",
           "scripts": [1], "ssh_keys": ["ssh-ed25519 AAAA test"]})
}

#[test]
fn power() {
    let sim = start();
    let client = Client::admin(&sim);
    assert_eq!(
        client.post(&action(1, "power_on"), json!({})).ok(),
        json!({})
    );
    assert_eq!(client.server(1)["power_status"], "on");
    client.post(&action(1, "power_off"), json!({})).ok();
    assert_eq!(client.server(1)["power_status"], "off");
    client.post(&action(1, "power_reset"), json!({})).ok();
    assert_eq!(client.server(1)["power_status"], "on");
    client.post(&action(99, "power_on"), json!({})).error(404);
}

#[test]
fn owner_set_and_remove() {
    let sim = start();
    let client = Client::admin(&sim);
    let path = action(1, "owner");
    assert_eq!(client.post(&path, json!({"user": 57})).ok(), json!({}));
    let server = client.server(1);
    assert_eq!(
        server["owner"],
        json!({"id": 57, "email": "client@example.com"})
    );
    assert_eq!(server["owner_email"], "client@example.com");
    client.post(&path, json!({"user": 58})).error(409);
    client.post(&path, json!({"user": 57})).error(409);
    assert_eq!(client.delete(&path).ok(), json!({}));
    let server = client.server(1);
    assert_eq!(
        (&server["owner"], &server["owner_email"]),
        (&json!(null), &json!(null))
    );
    client.delete(&path).error(409);
    client.post(&path, json!({"user": 12345})).error(400);
    client.post(&path, json!({})).error(400);
    client.post(&path, json!({"user": "57"})).error(400);
    client
        .post(&action(99, "owner"), json!({"user": 57}))
        .error(404);
    client.delete(&action(99, "owner")).error(404);
}

#[test]
fn edit_domain_notes_maintenance() {
    let sim = start();
    let client = Client::admin(&sim);
    let path = "/api/dci/v3/server/1";
    client
        .post(path, json!({"domain": "a.example.com", "notes": "order 7"}))
        .ok();
    client.post(path, json!({"maintenance_mode": true})).ok();
    client.post(path, json!({})).ok();
    let server = client.server(1);
    assert_eq!(server["domain"], "a.example.com");
    assert_eq!(server["notes"], "order 7");
    assert_eq!(server["maintenance_mode"], true);
    client.post(path, json!({"hostname": "x"})).error(400);
    client
        .post(path, json!({"maintenance_mode": "yes"}))
        .error(400);
    client
        .post("/api/dci/v3/server/99", json!({"notes": ""}))
        .error(404);
}

#[test]
fn switch_ports() {
    let sim = start();
    let client = Client::admin(&sim);
    let path = "/api/dci/v3/server/1/switch_connection/31";
    client.post(path, json!({"admin_status": "up"})).ok();
    let port = &client.server(1)["switch_connection"][0];
    assert_eq!(
        (&port["admin_status"], &port["oper_status"]),
        (&json!("up"), &json!("up"))
    );
    client.post(path, json!({"admin_status": "down"})).ok();
    let port = &client.server(1)["switch_connection"][0];
    assert_eq!(
        (&port["admin_status"], &port["oper_status"]),
        (&json!("down"), &json!("down"))
    );
    client.post(path, json!({"admin_status": "off"})).error(400);
    client
        .post(path, json!({"admin_status": "up", "oper_status": "up"}))
        .error(400);
    client
        .post(
            "/api/dci/v3/server/1/switch_connection/99",
            json!({"admin_status": "up"}),
        )
        .error(404);
}

#[test]
fn addresses_from_pools() {
    let sim = start();
    let client = Client::admin(&sim);
    let path = action(1, "ip");
    let added = client
        .post(&path, json!({"pool": 1, "family": "ipv4", "count": 2}))
        .ok();
    let names: Vec<&str> = added["ip"]
        .as_array()
        .unwrap()
        .iter()
        .map(|ip| ip["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["203.0.113.3", "203.0.113.4"]);
    let first = &added["ip"][0];
    assert_eq!(first["family"], "ipv4");
    assert_eq!(first["gateway"], "203.0.113.1");
    assert_eq!(first["network"], "203.0.113.0/29");
    assert_eq!(first["pool"], 1);
    let first_id = first["id"].as_u64().unwrap();
    assert!(first_id > 901);

    let v6 = client
        .post(&path, json!({"pool": 1, "family": "ipv6", "count": 1}))
        .ok();
    assert_eq!(
        v6["ip"][0],
        json!({"id": first_id + 2, "name": "2001:db8:1::2", "family": "ipv6",
               "gateway": "2001:db8:1::1", "network": "2001:db8:1::/64", "pool": 1})
    );
    let v6_only = client
        .post(&path, json!({"pool": 3, "family": "ipv6", "count": 2}))
        .ok();
    assert_eq!(v6_only["ip"][1]["name"], "2001:db8:2::3");
    assert_eq!(client.server(1)["ip"].as_array().unwrap().len(), 5);

    // .5 and .6 are left in pool 1.
    let pools = client.get("/api/ip/v3/ippool").ok();
    assert_eq!(pools["list"][0]["free_ipv4"], 2);
    client
        .post(&path, json!({"pool": 1, "family": "ipv4", "count": 3}))
        .error(409);
    client
        .post(&path, json!({"pool": 3, "family": "ipv4", "count": 1}))
        .error(400);
    client
        .post(&path, json!({"pool": 4, "family": "ipv4", "count": 1}))
        .error(400);
    client
        .post(&path, json!({"pool": 9, "family": "ipv4", "count": 1}))
        .error(400);
    client
        .post(&path, json!({"pool": 1, "family": "ipv4", "count": 0}))
        .error(400);
    client
        .post(&path, json!({"pool": 1, "family": "ipx", "count": 1}))
        .error(400);
    client
        .post(&path, json!({"pool": 1, "count": 1}))
        .error(400);

    // Removing gives the address back to the pool, first in line again.
    client
        .delete(&format!("/api/dci/v3/server/1/ip/{first_id}"))
        .ok();
    client
        .delete(&format!("/api/dci/v3/server/1/ip/{first_id}"))
        .error(404);
    client.delete("/api/dci/v3/server/2/ip/901").ok();
    let again = client
        .post(
            &action(3, "ip"),
            json!({"pool": 1, "family": "ipv4", "count": 2}),
        )
        .ok();
    assert_eq!(again["ip"][0]["name"], "203.0.113.2");
    assert_eq!(again["ip"][1]["name"], "203.0.113.3");
    assert!(client.server(2)["ip"].as_array().unwrap().is_empty());
}

#[test]
fn os_install_runs_then_applies() {
    let sim = start_with(fast_operations());
    let client = Client::admin(&sim);
    let answer = client.post(&action(1, "os_install"), install(4)).ok();
    let operation = answer["operation"]["id"].as_u64().unwrap();
    assert!(operation > 88, "ids follow the inventory's");
    let running = client.server(1);
    assert_eq!(running["operation"]["id"], operation);
    assert_eq!(running["operation"]["type"], "os_install");
    assert_eq!(running["operation"]["status"], "running");
    assert!(running["operation"]["progress"].as_u64().unwrap() < 100);
    assert_eq!(running["power_status"], "on");

    let done = wait_for_operation(&client, 1);
    assert_eq!(
        done["operation"],
        json!({"id": operation, "type": "os_install", "status": "ok", "progress": 100})
    );
    assert_eq!(done["os_template"], json!({"id": 4, "name": "Debian-12"}));
    assert_eq!(done["domain"], "new.example.com");
    let log = sim.requests();
    let install_record = log
        .iter()
        .find(|r| r.path.ends_with("/os_install"))
        .unwrap();
    assert_eq!(install_record.body.as_ref().unwrap()["password"], "***");
}

#[test]
fn os_install_refusals() {
    let sim = start_with(slow_operations());
    let client = Client::admin(&sim);
    let path = action(1, "os_install");
    // Template 6 is in location 3.
    client.post(&path, install(6)).error(400);
    client.post(&path, install(77)).error(400);
    let mut unknown_script = install(4);
    unknown_script["scripts"] = json!([9]);
    client.post(&path, unknown_script).error(400);
    client
        .post(&path, json!({"os_template": 4, "domain": "x.example.com"}))
        .error(400);
    let mut extra = install(4);
    extra["recipe"] = json!("x");
    client.post(&path, extra).error(400);
    let minimal = json!({"os_template": 4, "password": "pw", "domain": "m.example.com"});
    client.post(&path, minimal).ok();
}

#[test]
fn diagnostics_with_disk_cleanup() {
    let sim = start_with(fast_operations());
    let client = Client::admin(&sim);
    let answer = client
        .post(&action(2, "diagnostics"), json!({"disk_cleanup": true}))
        .ok();
    assert!(answer["operation"]["id"].is_u64());
    let running = client.server(2);
    assert_eq!(running["diagnostics"]["status"], "running");
    assert_eq!(running["operation"]["type"], "diagnostics");
    let done = wait_for_operation(&client, 2);
    assert_eq!(done["operation"]["status"], "ok");
    assert_eq!(done["diagnostics"]["status"], "ok");
    assert_eq!(done["os_template"], json!(null));

    client
        .post(&action(4, "diagnostics"), json!({"disk_cleanup": false}))
        .ok();
    let done = wait_for_operation(&client, 4);
    assert_eq!(done["diagnostics"]["status"], "ok");
    client.post(&action(4, "diagnostics"), json!({})).error(400);
}

#[test]
fn a_running_operation_refuses_what_the_contract_says() {
    let sim = start_with(slow_operations());
    let client = Client::admin(&sim);
    client
        .post(&action(2, "diagnostics"), json!({"disk_cleanup": true}))
        .ok();
    let conflicts = [
        ("POST", action(2, "os_install"), Some(install(4))),
        (
            "POST",
            action(2, "diagnostics"),
            Some(json!({"disk_cleanup": false})),
        ),
        (
            "POST",
            action(2, "ip"),
            Some(json!({"pool": 1, "family": "ipv4", "count": 1})),
        ),
        ("DELETE", "/api/dci/v3/server/2/ip/901".to_string(), None),
        ("POST", action(2, "owner"), Some(json!({"user": 58}))),
        ("DELETE", action(2, "owner"), None),
        ("POST", action(2, "power_off"), Some(json!({}))),
        ("POST", action(2, "power_reset"), Some(json!({}))),
    ];
    for (method, path, body) in conflicts {
        let body = body.map(|b| b.to_string());
        let reply = client.call(method, &path, body.as_deref());
        let error = reply.error(409);
        assert!(error["error"]["value"].is_u64(), "{method} {path}");
    }
    // Allowed while running: what the delete sequence needs first.
    client
        .post("/api/dci/v3/server/2", json!({"notes": "closing"}))
        .ok();
    client.post(&action(2, "power_on"), json!({})).ok();
    client.post(&action(2, "operation/stop"), json!({})).ok();
    let stopped = client.server(2);
    assert_eq!(stopped["operation"]["status"], "canceled");
    assert_eq!(stopped["diagnostics"]["status"], "not_run");
    // Nothing runs any more: the rest of the sequence goes through.
    client.delete("/api/dci/v3/server/2/ip/901").ok();
    client.delete(&action(2, "owner")).ok();
    client.post(&action(2, "operation/stop"), json!({})).ok();
    client.post(&action(2, "power_off"), json!({})).ok();
}

#[test]
fn injected_failures_fail_the_next_operation() {
    let sim = start_with(fast_operations());
    let client = Client::admin(&sim);
    sim.inject(Fault::FailNextOperation);
    client.post(&action(1, "os_install"), install(4)).ok();
    let failed = wait_for_operation(&client, 1);
    assert_eq!(failed["operation"]["status"], "failed");
    assert_eq!(failed["os_template"], json!(null));

    sim.inject(Fault::FailNextOperation);
    client
        .post(&action(3, "diagnostics"), json!({"disk_cleanup": false}))
        .ok();
    let failed = wait_for_operation(&client, 3);
    assert_eq!(failed["operation"]["status"], "failed");
    assert_eq!(failed["diagnostics"]["status"], "failed");

    client
        .post(&action(3, "diagnostics"), json!({"disk_cleanup": false}))
        .ok();
    let passed = wait_for_operation(&client, 3);
    assert_eq!(passed["operation"]["status"], "ok");
    assert_eq!(passed["diagnostics"]["status"], "ok");
}

#[test]
fn tests_can_set_states_up() {
    let sim = start_with(slow_operations());
    let client = Client::admin(&sim);
    sim.update_server(1, |server| {
        server["operation"] = json!({"id": 500, "type": "os_install", "status": "running"});
        server["errors"]["diagnostics"] = json!([{"code": "smart", "msg": "disk 2 failing"}]);
        server["mac_addresses"] = json!(["0c:c4:7a:00:00:02"]);
        server["owner"] = json!({"id": 58});
        server["owner_email"] = json!("ops@example.com");
    })
    .unwrap();
    let server = client.server(1);
    assert_eq!(server["operation"]["status"], "running");
    assert_eq!(server["owner_email"], "ops@example.com");
    assert_eq!(server["errors"]["diagnostics"][0]["msg"], "disk 2 failing");
    client.post(&action(1, "power_off"), json!({})).error(409);
    // The running operation carries on through later updates.
    sim.update_server(1, |server| server["notes"] = json!("kept"))
        .unwrap();
    client.post(&action(1, "power_off"), json!({})).error(409);
    let next = client
        .post(&action(3, "diagnostics"), json!({"disk_cleanup": false}))
        .ok();
    assert!(next["operation"]["id"].as_u64().unwrap() > 500);

    // Updates are checked like the inventory; a refused one changes nothing.
    assert!(
        sim.update_server(1, |s| s["owner"] = json!({"id": 999}))
            .is_err()
    );
    assert!(
        sim.update_server(1, |s| s["colour"] = json!("red"))
            .is_err()
    );
    assert!(
        sim.update_server(3, |s| s["ip"] = json!([{"id": 1, "name": "203.0.113.2"}]))
            .is_err()
    );
    assert!(sim.update_server(3, |s| s["id"] = json!(4)).is_err());
    assert!(sim.update_server(42, |_| {}).is_err());
    assert_eq!(client.server(1)["notes"], "kept");
    sim.update_server(3, |s| s["ip"] = json!([{"id": 1, "name": "203.0.113.6"}]))
        .unwrap();
    assert_eq!(client.server(3)["ip"][0]["pool"], 1);
    assert_eq!(
        client.get("/api/ip/v3/ippool").ok()["list"][0]["free_ipv4"],
        3
    );
    assert_eq!(sim.servers().len(), 5);
}
