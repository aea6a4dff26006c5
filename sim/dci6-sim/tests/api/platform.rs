//! The platform dialect: every name and shape that differs from the default, over HTTP, and the
//! behaviour it shares with the default (conflicts, validation, faults).

use std::time::Duration;

use dci6_sim::{Dialect, Fault, SimHandle, SimOptions};
use serde_json::{Value, json};

use crate::common::{Client, start_with, wait_for_operation};

const TASK_IDS_FROM: u64 = 1_000_000;

fn platform(operation_ms: u64) -> SimHandle {
    start_with(SimOptions {
        dialect: Dialect::Platform,
        operation_duration: Duration::from_millis(operation_ms),
        ..SimOptions::default()
    })
}

fn action(server: u64, name: &str) -> String {
    format!("/api/dci/v3/server/{server}/{name}")
}

fn reinstall(template: u64) -> Value {
    json!({"os": template, "password": "root-pw", "domain": "new.example.com",
           "recipe_list": [{"recipe": 1}], "ssh_keys": ["ssh-ed25519 AAAA test"]})
}

/// The server through the list: a read by id leaves out `ip` and `switch_connection`.
fn listed(client: &Client, id: u64) -> Value {
    let answer = client
        .get(&format!("/api/dci/v3/server?where=id+EQ+{id}"))
        .ok();
    answer["list"][0].clone()
}

#[test]
fn server_as_shown() {
    let sim = platform(300);
    let client = Client::admin(&sim);
    let server = listed(&client, 2);
    assert_eq!(
        server,
        json!({
            "id": 2,
            "name": "web-2",
            "domain": "web.example.com",
            "location_id": 1,
            "rack": {"id": 7, "name": "R07"},
            "configuration": "i9-9900K-64Gb-2x1024NVMe",
            "owner_email": "client@example.com",
            "is_new": false,
            "diagnostics": {"status": "ok"},
            "operation": {"id": 88, "status": "complete", "status_info": {},
                          "progress_info": [{"progress": 100}]},
            "maintenance_mode": false,
            "in_operation": true,
            "power_status": "on",
            "mac_addresses": ["0c:c4:7a:00:00:02"],
            "errors": {"diagnostics": [], "status": []},
            "os_template": {"id": 4, "name": "Debian-12"},
            "ip": [{"id": 901, "name": "203.0.113.2", "family": "ipv4",
                    "gateway": "203.0.113.1", "network": "203.0.113.0/29"}],
            "switch_connection": [],
            "comment": ""
        })
    );
    let mut by_id = server.clone();
    let object = by_id.as_object_mut().unwrap();
    object.remove("ip");
    object.remove("switch_connection");
    assert_eq!(client.server(2), by_id);
    assert_eq!(
        listed(&client, 1)["switch_connection"][0]["admin_status"],
        "down"
    );
    // The test-facing views keep the inventory's form, whatever the dialect.
    let inventory_form = sim.server(2).unwrap();
    assert_eq!(inventory_form["owner"]["id"], 57);
    assert_eq!(inventory_form["operation"]["status"], "ok");
    assert_eq!(sim.dialect(), Dialect::Platform);
}

#[test]
fn owner_set_and_removed_through_account() {
    let sim = platform(300);
    let client = Client::admin(&sim);
    let path = action(1, "account");
    assert_eq!(client.post(&path, json!({"account": 57})).ok(), json!({}));
    assert_eq!(client.server(1)["owner_email"], "client@example.com");
    assert!(client.server(1).get("owner").is_none());
    client
        .post(&path, json!({"account": 58}))
        .platform_error(409);
    assert_eq!(client.post(&path, json!({"account": null})).ok(), json!({}));
    assert_eq!(client.server(1)["owner_email"], json!(null));
    client
        .post(&path, json!({"account": null}))
        .platform_error(409);
    client.post(&path, json!({})).platform_error(400);
    client
        .post(&path, json!({"account": "57"}))
        .platform_error(400);
    client.post(&path, json!({"user": 57})).platform_error(400);
    client
        .post(&path, json!({"account": 12345}))
        .platform_error(400);
    client
        .post(&action(99, "account"), json!({"account": 57}))
        .platform_error(404);
    // The default's routes are not served.
    client
        .post(&action(1, "owner"), json!({"user": 57}))
        .platform_error(404);
    client.delete(&action(1, "owner")).platform_error(404);

    sim.inject(Fault::StealNextClaim);
    client
        .post(&path, json!({"account": 57}))
        .platform_error(409);
    assert_eq!(client.server(1)["owner_email"], dci6_sim::RIVAL_EMAIL);
}

#[test]
fn addresses_by_family_and_removed_at_the_top_level() {
    let sim = platform(300);
    let client = Client::admin(&sim);
    let path = action(1, "ip");
    let added = client
        .post(&path, json!({"ipv4_pool": [1], "ipv4_number": 2}))
        .ok();
    assert_eq!(added["ip"][0]["name"], "203.0.113.3");
    assert_eq!(
        added["ip"][1],
        json!({"id": added["ip"][1]["id"], "name": "203.0.113.4", "family": "ipv4",
               "gateway": "203.0.113.1", "network": "203.0.113.0/29"})
    );
    let v6 = client
        .post(&path, json!({"ipv6_pool": [3], "ipv6_number": 1}))
        .ok();
    assert_eq!(v6["ip"][0]["name"], "2001:db8:2::2");
    assert_eq!(v6["ip"][0]["family"], "ipv6");
    assert_eq!(listed(&client, 1)["ip"].as_array().unwrap().len(), 3);

    let refused = [
        json!({"ipv4_pool": [1], "ipv4_number": 1, "ipv6_pool": [1], "ipv6_number": 1}),
        json!({"ipv4_pool": [1], "ipv4_number": 1, "ipv6_number": 1}),
        json!({"ipv4_number": 1}),
        json!({}),
        json!({"ipv4_pool": [1]}),
        json!({"ipv4_pool": [1, 2], "ipv4_number": 1}),
        json!({"ipv4_pool": [], "ipv4_number": 1}),
        json!({"ipv4_pool": [1], "ipv4_number": 0}),
        json!({"ipv4_pool": [4], "ipv4_number": 1}),
        json!({"ipv4_pool": [3], "ipv4_number": 1}),
        json!({"ipv4_pool": [9], "ipv4_number": 1}),
        json!({"pool": 1, "family": "ipv4", "count": 1}),
        json!({"ipv4_pool": [1], "ipv4_number": 1, "ipv6_enabled": true}),
    ];
    for body in refused {
        client.post(&path, body.clone()).platform_error(400);
    }
    client
        .post(&path, json!({"ipv4_pool": [1], "ipv4_number": 3}))
        .platform_error(409);

    let first = added["ip"][0]["id"].as_u64().unwrap();
    assert_eq!(
        client.delete(&format!("/api/ip/v3/ip/{first}")).ok(),
        json!({})
    );
    client
        .delete(&format!("/api/ip/v3/ip/{first}"))
        .platform_error(404);
    client
        .delete(&format!("/api/dci/v3/server/1/ip/{}", added["ip"][1]["id"]))
        .platform_error(404);
    let again = client
        .post(
            &action(3, "ip"),
            json!({"ipv4_pool": [1], "ipv4_number": 1}),
        )
        .ok();
    assert_eq!(again["ip"][0]["name"], "203.0.113.3");
}

#[test]
fn reinstall_answers_the_operation_and_its_task() {
    let sim = platform(700);
    let client = Client::admin(&sim);
    let answer = client.post(&action(1, "reinstall"), reinstall(4)).ok();
    let operation = answer["id"].as_u64().unwrap();
    assert_eq!(
        answer,
        json!({"id": operation, "task": operation + TASK_IDS_FROM})
    );
    let running = client.server(1);
    assert_eq!(running["operation"]["id"], operation);
    assert_eq!(running["operation"]["status"], "running");
    assert!(running["operation"].get("type").is_none());
    assert!(
        running["operation"]["progress_info"][0]["progress"]
            .as_u64()
            .unwrap()
            < 100
    );

    let done = wait_for_operation(&client, 1);
    assert_eq!(
        done["operation"],
        json!({"id": operation, "status": "complete", "status_info": {},
               "progress_info": [{"progress": 100}]})
    );
    assert_eq!(done["os_template"], json!({"id": 4, "name": "Debian-12"}));
    assert_eq!(done["domain"], "new.example.com");
    let record = sim.requests();
    let record = record
        .iter()
        .find(|r| r.path.ends_with("/reinstall"))
        .unwrap();
    assert_eq!(record.body.as_ref().unwrap()["password"], "***");
}

#[test]
fn reinstall_refusals() {
    let sim = platform(60_000);
    let client = Client::admin(&sim);
    let path = action(1, "reinstall");
    client.post(&path, reinstall(6)).platform_error(400);
    let mut unknown_recipe = reinstall(4);
    unknown_recipe["recipe_list"] = json!([{"recipe": 9}]);
    client.post(&path, unknown_recipe).platform_error(400);
    let mut recipe_params = reinstall(4);
    recipe_params["recipe_list"] = json!([{"recipe": 1, "recipe_params": []}]);
    client.post(&path, recipe_params).platform_error(400);
    let mut empty_password = reinstall(4);
    empty_password["password"] = json!("");
    client.post(&path, empty_password).platform_error(400);
    client
        .post(&path, json!({"os": 4, "password": "pw"}))
        .platform_error(400);
    client
        .post(
            &path,
            json!({"os_template": 4, "password": "pw", "domain": "d"}),
        )
        .platform_error(400);
    let mut scripts = reinstall(4);
    scripts["scripts"] = json!([1]);
    client.post(&path, scripts).platform_error(400);
    client
        .post(
            &action(1, "os_install"),
            json!({"os_template": 4, "password": "pw", "domain": "d"}),
        )
        .platform_error(404);
    let minimal = json!({"os": 4, "password": "pw", "domain": "m.example.com"});
    let started = client.post(&path, minimal).ok();
    assert!(started["task"].is_u64());
    client.post(&path, reinstall(4)).platform_error(409);
    client
        .delete(&format!("/api/ip/v3/ip/{}", 0))
        .platform_error(404);
}

#[test]
fn statuses_fail_and_cancel_and_diagnostics_answer_a_task() {
    let sim = platform(700);
    let client = Client::admin(&sim);
    sim.inject(Fault::FailNextOperation);
    client.post(&action(1, "reinstall"), reinstall(4)).ok();
    assert_eq!(
        wait_for_operation(&client, 1)["operation"]["status"],
        "fail"
    );

    let answer = client
        .post(&action(2, "diagnostics"), json!({"disk_cleanup": false}))
        .ok();
    let operation = answer["id"].as_u64().unwrap();
    assert_eq!(answer["task"], operation + TASK_IDS_FROM);
    client.delete("/api/ip/v3/ip/901").platform_error(409);
    assert_eq!(
        client.post(&action(2, "operation/stop"), json!({})).ok(),
        json!({})
    );
    let stopped = client.server(2);
    assert_eq!(stopped["operation"]["id"], operation);
    assert_eq!(stopped["operation"]["status"], "cancel");
    assert_eq!(stopped["diagnostics"]["status"], "not_run");
    client.delete("/api/ip/v3/ip/901").ok();

    sim.inject(Fault::Unavailable { count: 1 });
    client.get("/api/dci/v3/server").platform_error(503);
    let control = Client::new(&sim.base_url()).get("/_sim/nothing");
    assert_eq!(control.error(404)["error"]["value"], "/_sim/nothing");
}

#[test]
fn comment_in_answers_edits_and_queries() {
    let sim = platform(300);
    let client = Client::admin(&sim);
    client
        .post(
            "/api/dci/v3/server/1",
            json!({"comment": "order 7", "domain": "a.example.com"}),
        )
        .ok();
    assert_eq!(client.server(1)["comment"], "order 7");
    assert!(client.server(1).get("notes").is_none());
    client
        .post("/api/dci/v3/server/1", json!({"notes": "x"}))
        .platform_error(400);
    let ids = |pairs: &[(&str, &str)]| client.ids("/api/dci/v3/server", pairs);
    assert_eq!(ids(&[("where", "comment EQ 'fan noise'")]), [5]);
    assert_eq!(
        ids(&[("where", "comment NE ''"), ("orderby", "comment desc")]),
        [1, 5]
    );
    assert_eq!(
        ids(&[("where", "owner_email IS null AND location_id EQ 1")]),
        [1]
    );
    for refused in ["notes EQ 'x'", "owner IS null"] {
        client
            .get(&format!(
                "/api/dci/v3/server{}",
                crate::common::query(&[("where", refused)])
            ))
            .platform_error(400);
    }
    client
        .get("/api/dci/v3/server?orderby=notes+asc")
        .platform_error(400);
}

#[test]
fn users_templates_and_logins() {
    let sim = platform(300);
    let client = Client::admin(&sim);
    let users = client.get("/api/dci/v3/user").ok();
    assert_eq!(
        users["list"][0],
        json!({"id": 57, "email": "client@example.com", "server_count": 1, "roles": ["@user"]})
    );
    assert_eq!(users["list"][1]["roles"], json!(["@admin"]));
    client
        .get("/api/dci/v3/user?where=roles+EQ+'[@user]'")
        .platform_error(400);
    assert_eq!(
        client.ids(
            "/api/dci/v3/user",
            &[("where", "email EQ 'ops@example.com'")]
        ),
        [58]
    );

    let templates = client.get("/api/dci/v3/os_template").ok();
    assert_eq!(
        templates["list"][1],
        json!({"id": 5, "name": "Windows-2022", "adminonly": true, "location_id": 1})
    );
    assert_eq!(
        client.ids(
            "/api/dci/v3/os_template",
            &[("where", "adminonly EQ false")]
        ),
        [4, 6]
    );
    client
        .get("/api/dci/v3/os_template?where=access+EQ+'all'")
        .platform_error(400);
    let scripts = client.get("/api/dci/v3/script").ok();
    assert_eq!(scripts["list"][1]["access"], "admin");

    let login = Client::new(&sim.base_url())
        .post(
            "/api/auth/v4/public/token",
            json!({"email": "admin@example.com", "password": "secret"}),
        )
        .ok();
    assert_eq!(login.as_object().unwrap().len(), 1, "{login}");
    assert_eq!(login["token"].as_str().unwrap().len(), 32);
    let key = client.post("/api/auth/v4/user/57/key", json!({})).ok();
    assert_eq!(key["id"], "57");
    let token = Client::new(&sim.base_url())
        .post("/api/auth/v4/public/key", json!({"key": key["key"]}))
        .ok();
    assert!(token["token"].is_string());
}

/// The default dialect answers byte for byte as before the platform dialect existed, and serves
/// none of the platform's names.
#[test]
fn the_default_dialect_knows_none_of_it() {
    let sim = crate::common::start();
    assert_eq!(sim.dialect(), Dialect::Default);
    let client = Client::admin(&sim);
    assert_eq!(
        client.get("/api/dci/v3/server/2").text,
        concat!(
            r#"{"id":2,"name":"web-2","domain":"web.example.com","location_id":1,"#,
            r#""rack":{"id":7,"name":"R07"},"configuration":"i9-9900K-64Gb-2x1024NVMe","#,
            r#""owner":{"id":57,"email":"client@example.com"},"owner_email":"client@example.com","#,
            r#""is_new":false,"diagnostics":{"status":"ok"},"#,
            r#""operation":{"id":88,"type":"os_install","status":"ok","progress":100},"#,
            r#""maintenance_mode":false,"in_operation":true,"power_status":"on","#,
            r#""mac_addresses":["0c:c4:7a:00:00:02"],"errors":{"diagnostics":[],"status":[]},"#,
            r#""os_template":{"id":4,"name":"Debian-12"},"#,
            r#""ip":[{"id":901,"name":"203.0.113.2","family":"ipv4","gateway":"203.0.113.1","#,
            r#""network":"203.0.113.0/29","pool":1}],"switch_connection":[],"notes":""}"#
        )
    );
    assert_eq!(
        client.get("/api/dci/v3/user?where=id+EQ+57").text,
        r#"{"list":[{"id":57,"email":"client@example.com","server_count":1,"roles":"[@user]"}],"size":1}"#
    );
    client
        .post(&action(1, "reinstall"), reinstall(4))
        .error(404);
    client
        .post(&action(1, "account"), json!({"account": 57}))
        .error(404);
    client.delete("/api/ip/v3/ip/901").error(404);
    client
        .post(
            &action(1, "ip"),
            json!({"ipv4_pool": [1], "ipv4_number": 1}),
        )
        .error(400);
    client
        .post("/api/dci/v3/server/1", json!({"comment": "x"}))
        .error(400);
    for refused in [
        "/api/dci/v3/server?where=comment+EQ+'x'",
        "/api/dci/v3/os_template?where=adminonly+EQ+true",
    ] {
        client.get(refused).error(400);
    }
    let answer = client
        .post(
            &action(1, "os_install"),
            json!({"os_template": 4, "password": "pw", "domain": "d.example.com"}),
        )
        .ok();
    assert_eq!(answer.as_object().unwrap().len(), 1);
    assert!(answer["operation"]["id"].is_u64());
}
