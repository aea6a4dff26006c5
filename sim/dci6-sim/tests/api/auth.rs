//! Authentication (spec §2) and the transport rules every call follows (spec §1, §4a).

use std::time::Duration;

use dci6_sim::SimOptions;
use serde_json::json;

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Client, start, start_with};

const SERVERS: &str = "/api/dci/v3/server";

#[test]
fn login_answers_a_token_with_its_expiry() {
    let sim = start();
    let client = Client::new(&sim.base_url());
    let answer = client
        .post(
            "/api/auth/v4/public/token",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .ok();
    let token = answer["token"].as_str().unwrap();
    assert_eq!(token.len(), 32);
    assert!(token.chars().all(|c| c.is_ascii_hexdigit()));
    let expires = answer["expires_at"].as_str().unwrap();
    assert_eq!(expires.len(), 20, "{expires}");
    assert!(expires.ends_with('Z') && expires.as_bytes()[10] == b'T');

    let logged_in = client.clone().logged_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert_eq!(logged_in.get(SERVERS).ok()["size"], 5);
}

#[test]
fn failed_login_is_401_and_the_password_never_logged() {
    let sim = start();
    let client = Client::new(&sim.base_url());
    client
        .post(
            "/api/auth/v4/public/token",
            json!({"email": ADMIN_EMAIL, "password": "wrong"}),
        )
        .error(401);
    client
        .post(
            "/api/auth/v4/public/token",
            json!({"email": "nobody@example.com", "password": ADMIN_PASSWORD}),
        )
        .error(401);
    client
        .post("/api/auth/v4/public/token", json!({"email": ADMIN_EMAIL}))
        .error(400);
    client
        .post(
            "/api/auth/v4/public/token",
            json!({"email": ADMIN_EMAIL, "password": "x", "remember": true}),
        )
        .error(400);
    let records = sim.requests();
    assert_eq!(records.len(), 4);
    assert_eq!(
        records[0].body,
        Some(json!({"email": ADMIN_EMAIL, "password": "***"}))
    );
    assert_eq!(
        records.iter().map(|r| r.status).collect::<Vec<_>>(),
        [401, 401, 400, 400]
    );
    assert!(!format!("{records:?}").contains("wrong"));
}

#[test]
fn every_call_needs_isp_box_instance() {
    let sim = start();
    let client = Client::admin(&sim);
    let without_box: Vec<_> = client
        .headers()
        .into_iter()
        .filter(|(name, _)| name != "isp-box-instance")
        .collect();
    let reply = client.raw("GET", SERVERS, &without_box, None).unwrap();
    reply.error(400);
    let login = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string();
    let reply = client
        .raw("POST", "/api/auth/v4/public/token", &[], Some(&login))
        .unwrap();
    reply.error(400);
    let mut wrong_value = without_box.clone();
    wrong_value.push(("isp-box-instance".into(), "yes".into()));
    client
        .raw("GET", SERVERS, &wrong_value, None)
        .unwrap()
        .error(400);
}

#[test]
fn calls_need_both_session_headers_with_the_same_token() {
    let sim = start();
    let client = Client::admin(&sim);
    let token = client.token.clone().unwrap();
    let header = |name: &str, value: &str| (name.to_string(), value.to_string());
    let box_header = header("isp-box-instance", "true");
    let cases = [
        vec![box_header.clone()],
        vec![box_header.clone(), header("x-xsrf-token", &token)],
        vec![
            box_header.clone(),
            header("Cookie", &format!("ses6={token}")),
        ],
        vec![
            box_header.clone(),
            header("x-xsrf-token", &token),
            header("Cookie", "ses6=0123456789abcdef0123456789abcdef"),
        ],
        vec![
            box_header.clone(),
            header("x-xsrf-token", "0123456789abcdef0123456789abcdef"),
            header("Cookie", "ses6=0123456789abcdef0123456789abcdef"),
        ],
    ];
    for headers in cases {
        let reply = client.raw("GET", SERVERS, &headers, None).unwrap();
        reply.error(401);
    }
    // Other cookies may come along.
    let with_other_cookies = vec![
        box_header,
        header("x-xsrf-token", &token),
        header("Cookie", &format!("lang=en; ses6={token}; theme=dark")),
    ];
    let reply = client
        .raw("GET", SERVERS, &with_other_cookies, None)
        .unwrap();
    assert_eq!(reply.ok()["size"], 5);
}

#[test]
fn tokens_expire_after_the_configured_inactivity() {
    let sim = start_with(SimOptions {
        token_ttl: Duration::from_millis(1000),
        ..SimOptions::default()
    });
    let client = Client::admin(&sim);
    // Each use extends the session: 1.6 s in all, never 1 s without use.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(400));
        client.get(SERVERS).ok();
    }
    std::thread::sleep(Duration::from_millis(1200));
    client.get(SERVERS).error(401);
}

#[test]
fn deleting_a_token_ends_the_session() {
    let sim = start();
    let client = Client::admin(&sim);
    let token = client.token.clone().unwrap();
    let other = Client::admin(&sim);
    client.delete(&format!("/api/auth/v4/token/{token}")).ok();
    client.get(SERVERS).error(401);
    other.get(SERVERS).ok();
    other
        .delete(&format!("/api/auth/v4/token/{token}"))
        .error(404);
}

#[test]
fn keys_log_a_user_in_once() {
    let sim = start();
    let admin = Client::admin(&sim);
    let by_email = admin
        .post("/api/auth/v4/user/client@example.com/key", json!({}))
        .ok();
    let key = by_email["key"].as_str().unwrap().to_string();
    let by_id = admin.post("/api/auth/v4/user/57/key", json!({})).ok();
    assert_ne!(by_id["key"], by_email["key"]);
    admin
        .post("/api/auth/v4/user/nobody@example.com/key", json!({}))
        .error(404);
    admin
        .post("/api/auth/v4/user/57/key", json!({"ttl": 5}))
        .error(400);

    let anonymous = Client::new(&sim.base_url());
    let answer = anonymous
        .post("/api/auth/v4/public/key", json!({"key": key}))
        .ok();
    let mut user = anonymous.clone();
    user.token = Some(answer["token"].as_str().unwrap().to_string());
    anonymous
        .post("/api/auth/v4/public/key", json!({"key": key}))
        .error(401);

    // A user's session is no administrator's: only its own token may be deleted.
    user.get(SERVERS).error(403);
    user.post("/api/auth/v4/user/57/key", json!({})).error(403);
    let admin_token = admin.token.clone().unwrap();
    user.delete(&format!("/api/auth/v4/token/{admin_token}"))
        .error(403);
    let own = user.token.clone().unwrap();
    user.delete(&format!("/api/auth/v4/token/{own}")).ok();
    user.get(SERVERS).error(401);
}

#[test]
fn users_with_the_admin_role_and_users_without() {
    let sim = start();
    let ops = Client::new(&sim.base_url()).logged_in("ops@example.com", "ops-pass");
    assert_eq!(ops.get(SERVERS).ok()["size"], 5);
    let client = Client::new(&sim.base_url()).logged_in("client@example.com", "client-pass");
    client.get(SERVERS).error(403);
}

#[test]
fn unknown_routes_and_wrong_methods() {
    let sim = start();
    let client = Client::admin(&sim);
    client.get("/api/dci/v3/nothing").error(404);
    client.get("/api/dci/v3/server/99").error(404);
    client.get("/api/dci/v3/server/abc").error(404);
    let reply = client.call("PUT", SERVERS, Some("{}"));
    assert_eq!(reply.error(405)["error"]["value"], json!(["GET"]));
    client.delete(SERVERS).error(405);
    client.get("/api/dci/v3/server/1/power_on").error(405);
    // Unauthenticated calls to unknown routes are 404 too.
    Client::new(&sim.base_url()).get("/api/v9/x").error(404);
}

#[test]
fn bodies_and_parameters_are_read_strictly() {
    let sim = start();
    let client = Client::admin(&sim);
    client
        .call("POST", "/api/dci/v3/server/1/power_on", None)
        .error(400);
    client
        .call("POST", "/api/dci/v3/server/1/power_on", Some("not json"))
        .error(400);
    client
        .call("POST", "/api/dci/v3/server/1/power_on", Some("[]"))
        .error(400);
    client
        .post("/api/dci/v3/server/1/power_on", json!({"force": true}))
        .error(400);
    client.get("/api/dci/v3/server/1?fields=id").error(400);
    client.get("/api/dci/v3/ippool/settings?limit=1").error(400);
    client.get(&format!("{SERVERS}?page=2")).error(400);
    client.get(&format!("{SERVERS}?limit=1&limit=2")).error(400);
    client
        .call("DELETE", "/api/dci/v3/server/2/owner", Some("{}"))
        .error(400);
    assert_eq!(client.server(1)["power_status"], "off");
}
