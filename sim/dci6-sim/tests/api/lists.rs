//! The objects of spec §3 and the list query language.

use serde_json::json;

use crate::common::{Client, query, start};

const SERVERS: &str = "/api/dci/v3/server";

#[test]
fn server_as_shown() {
    let sim = start();
    let client = Client::admin(&sim);
    let server = client.server(2);
    assert_eq!(
        server,
        json!({
            "id": 2,
            "name": "web-2",
            "domain": "web.example.com",
            "location_id": 1,
            "rack": {"id": 7, "name": "R07"},
            "configuration": "i9-9900K-64Gb-2x1024NVMe",
            "owner": {"id": 57, "email": "client@example.com"},
            "owner_email": "client@example.com",
            "is_new": false,
            "diagnostics": {"status": "ok"},
            "operation": {"id": 88, "type": "os_install", "status": "ok", "progress": 100},
            "maintenance_mode": false,
            "in_operation": true,
            "power_status": "on",
            "mac_addresses": ["0c:c4:7a:00:00:02"],
            "errors": {"diagnostics": [], "status": []},
            "os_template": {"id": 4, "name": "Debian-12"},
            "ip": [{"id": 901, "name": "203.0.113.2", "family": "ipv4",
                    "gateway": "203.0.113.1", "network": "203.0.113.0/29", "pool": 1}],
            "switch_connection": [],
            "notes": ""
        })
    );
    assert_eq!(sim.server(2), Some(server));
    let free = client.server(1);
    assert_eq!(free["owner"], json!(null));
    assert_eq!(free["owner_email"], json!(null));
    assert_eq!(free["operation"], json!(null));
    assert_eq!(free["name"], "srv-1");
    assert_eq!(free["switch_connection"][1]["admin_status"], "up");
    assert_eq!(client.server(4)["configuration"], "");
}

#[test]
fn where_grammar() {
    let sim = start();
    let client = Client::admin(&sim);
    let ids = |filter: &str| client.ids(SERVERS, &[("where", filter)]);
    assert_eq!(ids("location_id EQ 3"), [3, 4, 5]);
    assert_eq!(ids("location_id NE 3"), [1, 2]);
    assert_eq!(ids("(owner_email IS null) AND location_id EQ 3"), [3, 4, 5]);
    assert_eq!(ids("owner IS null"), [1, 3, 4, 5]);
    assert_eq!(ids("NOT (owner IS null)"), [2]);
    assert_eq!(ids("owner_email EQ 'client@example.com'"), [2]);
    assert_eq!(ids("configuration CP '%NVMe'"), [1, 2, 3]);
    assert_eq!(ids("configuration CP 'i9%'"), [1, 2]);
    assert_eq!(ids("configuration EQ ''"), [4]);
    assert_eq!(ids("maintenance_mode EQ true"), [5]);
    assert_eq!(
        ids("maintenance_mode EQ false AND in_operation EQ true"),
        [1, 2, 3, 4]
    );
    assert_eq!(ids("power_status EQ 'on' OR id EQ 5"), [2, 5]);
    assert_eq!(ids("id EQ 1 OR id EQ 2 AND location_id EQ 3"), [1]);
    assert_eq!(ids("(id EQ 1 OR id EQ 3) AND location_id EQ 3"), [3]);
    assert_eq!(ids("NOT location_id EQ 3 AND NOT owner IS null"), [2]);
    assert_eq!(ids("operation IS null"), [1, 3, 4, 5]);
    assert_eq!(ids("notes EQ 'fan noise'"), [5]);
    assert_eq!(ids("name EQ 'it\\'s'"), Vec::<u64>::new());
    // SQL: comparing with null is unknown, also under NOT.
    assert_eq!(
        ids("NOT owner_email EQ 'client@example.com'"),
        Vec::<u64>::new()
    );

    for refused in [
        "colour EQ 'red'",
        "ip IS null",
        "diagnostics IS null",
        "location_id EQ '3'",
        "owner EQ 57",
        "owner_email IS NOT null",
        "location_id eq 3",
        "(id EQ 1",
        "id EQ 1 id EQ 2",
    ] {
        let reply = client.get(&format!("{SERVERS}{}", query(&[("where", refused)])));
        reply.error(400);
    }
    let unknown = client.get(&format!(
        "{SERVERS}{}",
        query(&[("where", "colour EQ 'red'")])
    ));
    assert_eq!(unknown.error(400)["error"]["value"], "colour");
}

#[test]
fn orderby_and_limit() {
    let sim = start();
    let client = Client::admin(&sim);
    assert_eq!(
        client.ids(SERVERS, &[("orderby", "id desc")]),
        [5, 4, 3, 2, 1]
    );
    assert_eq!(
        client.ids(SERVERS, &[("orderby", "configuration asc")]),
        [4, 3, 5, 1, 2]
    );
    assert_eq!(
        client.ids(SERVERS, &[("orderby", "owner_email desc")]),
        [2, 1, 3, 4, 5]
    );
    let page = |pairs: &[(&str, &str)]| {
        let answer = client.get(&format!("{SERVERS}{}", query(pairs))).ok();
        let ids: Vec<u64> = answer["list"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_u64().unwrap())
            .collect();
        (ids, answer["size"].as_u64().unwrap())
    };
    assert_eq!(page(&[("limit", "2")]), (vec![1, 2], 5));
    assert_eq!(page(&[("limit", "2,2")]), (vec![3, 4], 5));
    assert_eq!(page(&[("limit", "4,2")]), (vec![5], 5));
    assert_eq!(page(&[("limit", "9,2")]), (vec![], 5));
    assert_eq!(
        page(&[
            ("where", "owner IS null"),
            ("orderby", "id desc"),
            ("limit", "1,2")
        ]),
        (vec![4, 3], 4)
    );
    for refused in [
        &[("orderby", "id")][..],
        &[("orderby", "id DESC")],
        &[("orderby", "colour asc")],
        &[("limit", "a")],
        &[("limit", "1,2,3")],
    ] {
        client
            .get(&format!("{SERVERS}{}", query(refused)))
            .error(400);
    }
}

#[test]
fn configurations_count_free_servers() {
    let sim = start();
    let client = Client::admin(&sim);
    let answer = client.get("/api/dci/v3/server/configuration").ok();
    assert_eq!(
        answer,
        json!({"list": [
            {"configuration": "2xE5-2620-128Gb-2x1024NVMe", "free_server_count": 1},
            {"configuration": "E-2146G-64Gb-1920SSD-3840SSD", "free_server_count": 1},
            {"configuration": "i9-9900K-64Gb-2x1024NVMe", "free_server_count": 1}
        ], "size": 3})
    );
    client
        .post("/api/dci/v3/server/1/owner", json!({"user": 58}))
        .ok();
    let filtered = client
        .get(&format!(
            "/api/dci/v3/server/configuration{}",
            query(&[("where", "configuration CP 'i9%'")])
        ))
        .ok();
    assert_eq!(
        filtered["list"],
        json!([{"configuration": "i9-9900K-64Gb-2x1024NVMe", "free_server_count": 0}])
    );
}

#[test]
fn users_list_and_creation() {
    let sim = start();
    let client = Client::admin(&sim);
    let answer = client
        .get(&format!(
            "/api/dci/v3/user{}",
            query(&[("where", "email EQ 'client@example.com'")])
        ))
        .ok();
    assert_eq!(
        answer,
        json!({"list": [{"id": 57, "email": "client@example.com", "server_count": 1,
                         "roles": "[@user]"}], "size": 1})
    );
    let new_user = json!({"email": "new@example.com", "full_name": "New Client",
                          "password": "pw", "phone_number": "+31 20 000", "role": "@user"});
    let created = client.post("/api/dci/v3/user", new_user.clone()).ok();
    assert_eq!(created, json!({"id": 59}));
    client.post("/api/dci/v3/user", new_user).error(409);
    client
        .post(
            "/api/dci/v3/user",
            json!({"email": "admin@example.com", "password": "pw", "role": "@user"}),
        )
        .error(409);
    client
        .post(
            "/api/dci/v3/user",
            json!({"email": "x@example.com", "password": "pw", "role": "@user", "age": 3}),
        )
        .error(400);
    client
        .post(
            "/api/dci/v3/user",
            json!({"email": "x@example.com", "role": "@user"}),
        )
        .error(400);
    client
        .post(
            "/api/dci/v3/user",
            json!({"email": "x@example.com", "password": "pw", "role": "@root"}),
        )
        .error(400);
    assert_eq!(
        client.ids("/api/dci/v3/user", &[("where", "server_count EQ 0")]),
        [58, 59]
    );
    let by_email = client.ids(
        "/api/dci/v3/user",
        &[("where", "email EQ 'new@example.com'")],
    );
    assert_eq!(by_email, [59]);
    assert_eq!(sim.users().len(), 3);
    // The new user can log in.
    Client::new(&sim.base_url()).logged_in("new@example.com", "pw");
}

#[test]
fn locations_racks_pools_templates_scripts() {
    let sim = start();
    let client = Client::admin(&sim);
    assert_eq!(
        client.get("/api/dci/v3/location/3").ok(),
        json!({"id": 3, "name": "FRA", "ippool": 2})
    );
    assert_eq!(
        client.get("/api/dci/v3/location/1").ok(),
        json!({"id": 1, "name": "AMS", "ippool": null})
    );
    client.get("/api/dci/v3/location/2").error(404);
    assert_eq!(client.get("/api/dci/v3/location").ok()["size"], 2);
    assert_eq!(
        client.get("/api/dci/v3/rack/7").ok(),
        json!({"id": 7, "name": "R07", "location_id": 1, "ippool": 1})
    );
    client.get("/api/dci/v3/rack/9").error(404);
    assert_eq!(
        client.ids("/api/dci/v3/rack", &[("where", "location_id EQ 3")]),
        [8]
    );
    assert_eq!(
        client.get("/api/ip/v3/ippool").ok(),
        json!({"list": [
            {"id": 1, "name": "rack-7", "families": ["ipv4", "ipv6"], "free_ipv4": 4},
            {"id": 2, "name": "public-fra", "families": ["ipv4"], "free_ipv4": 253},
            {"id": 3, "name": "v6-only", "families": ["ipv6"], "free_ipv4": 0},
            {"id": 4, "name": "reserved", "families": ["ipv4"], "free_ipv4": 253}
        ], "size": 4})
    );
    assert_eq!(
        client.ids("/api/ip/v3/ippool", &[("where", "name CP '%public%'")]),
        [2]
    );
    assert_eq!(
        client.get("/api/dci/v3/ippool/settings").ok(),
        json!({"allocation": [1, 2, 3], "deallocation": [1, 2, 3]})
    );
    assert_eq!(
        client
            .get(&format!(
                "/api/dci/v3/os_template{}",
                query(&[("where", "location_id EQ 1")])
            ))
            .ok(),
        json!({"list": [
            {"id": 4, "name": "Debian-12", "access": "all", "location_id": 1},
            {"id": 5, "name": "Windows-2022", "access": "admin", "location_id": 1}
        ], "size": 2})
    );
    assert_eq!(
        client.ids(
            "/api/dci/v3/os_template",
            &[("where", "access EQ 'all' AND location_id EQ 3")]
        ),
        [6]
    );
    assert_eq!(
        client.get("/api/dci/v3/script").ok(),
        json!({"list": [
            {"id": 1, "name": "install-agent", "access": "all"},
            {"id": 2, "name": "audit", "access": "admin"}
        ], "size": 2})
    );
    let snapshot = sim.snapshot();
    assert_eq!(snapshot["servers"].as_array().unwrap().len(), 5);
    assert_eq!(snapshot["pools"][0]["free_ipv4"], 4);
    assert_eq!(snapshot["os_templates"].as_array().unwrap().len(), 3);
}
