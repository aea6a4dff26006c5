//! Fault injection, the request log, and the `/_sim/` control calls.

use std::time::{Duration, Instant};

use dci6_sim::{Fault, RIVAL_EMAIL};
use serde_json::{Value, json};

use crate::common::{ADMIN_EMAIL, ADMIN_PASSWORD, Client, start};

const SERVERS: &str = "/api/dci/v3/server";

fn statuses(sim: &dci6_sim::SimHandle) -> Vec<u16> {
    sim.requests().iter().map(|r| r.status).collect()
}

#[test]
fn unavailable_answers_503_with_an_error_body() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.clear_requests();
    sim.inject(Fault::Unavailable { count: 2 });
    client.get(SERVERS).error(503);
    client.get(SERVERS).error(503);
    client.get(SERVERS).ok();
    assert_eq!(statuses(&sim), [503, 503, 200]);
}

#[test]
fn faults_reach_login_too() {
    let sim = start();
    let client = Client::new(&sim.base_url());
    sim.inject(Fault::Unavailable { count: 1 });
    let login = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    client
        .post("/api/auth/v4/public/token", login.clone())
        .error(503);
    client.post("/api/auth/v4/public/token", login).ok();
}

#[test]
fn expired_tokens_answer_401_until_a_new_login() {
    let sim = start();
    let client = Client::admin(&sim);
    client.get(SERVERS).ok();
    sim.inject(Fault::ExpireTokens);
    client.get(SERVERS).error(401);
    client.get(SERVERS).error(401);
    let again = client.clone().logged_in(ADMIN_EMAIL, ADMIN_PASSWORD);
    again.get(SERVERS).ok();
}

#[test]
fn faults_apply_in_order() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.clear_requests();
    sim.inject(Fault::Unavailable { count: 1 });
    sim.inject(Fault::ExpireTokens);
    sim.inject(Fault::MalformedBody { count: 1 });
    client.get(SERVERS).error(503);
    // The token still worked for the 503; now it has expired, but this answer is garbage.
    let garbage = client.get(SERVERS);
    assert_eq!(garbage.status, 200);
    assert_eq!(garbage.json, Value::Null);
    client.get(SERVERS).error(401);
    assert_eq!(statuses(&sim), [503, 200, 401]);
}

#[test]
fn delay_holds_the_answer() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.inject(Fault::Delay {
        duration: Duration::from_millis(400),
        count: 1,
    });
    let started = Instant::now();
    client.get(SERVERS).ok();
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    client.get(SERVERS).ok();
    assert!(started.elapsed() < Duration::from_millis(400));
}

#[test]
fn a_delay_does_not_hold_other_calls() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.inject(Fault::Delay {
        duration: Duration::from_millis(1500),
        count: 1,
    });
    let slow_client = client.clone();
    let slow = std::thread::spawn(move || slow_client.get(SERVERS).status);
    std::thread::sleep(Duration::from_millis(200));
    let started = Instant::now();
    client.get(SERVERS).ok();
    assert!(started.elapsed() < Duration::from_millis(1000));
    assert_eq!(slow.join().unwrap(), 200);
}

#[test]
fn malformed_bodies() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.inject(Fault::MalformedBody { count: 2 });
    for _ in 0..2 {
        let reply = client.post("/api/dci/v3/server/1/power_on", json!({}));
        assert_eq!(reply.status, 200);
        assert!(
            serde_json::from_str::<Value>(&reply.text).is_err(),
            "{}",
            reply.text
        );
    }
    // Not handled: the server is still off.
    assert_eq!(client.server(1)["power_status"], "off");
}

#[test]
fn dropped_connections_get_no_answer() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.clear_requests();
    sim.inject(Fault::Drop { count: 1 });
    let started = Instant::now();
    let result = client.raw(
        "POST",
        "/api/dci/v3/server/1/power_on",
        &client.headers(),
        Some("{}"),
    );
    assert!(result.is_err(), "got an answer: {result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the connection was not closed"
    );
    assert_eq!(statuses(&sim), [0]);
    assert_eq!(client.server(1)["power_status"], "off");
    client.get(SERVERS).ok();
}

#[test]
fn stolen_claims_look_like_a_lost_race() {
    let sim = start();
    let client = Client::admin(&sim);
    sim.inject(Fault::StealNextClaim);
    // Calls in between do not use it up.
    client.get(SERVERS).ok();
    let error = client
        .post("/api/dci/v3/server/1/owner", json!({"user": 57}))
        .error(409);
    assert_eq!(error["error"]["value"], 1);
    let server = client.server(1);
    assert_eq!(server["owner_email"], RIVAL_EMAIL);
    let rival = server["owner"]["id"].clone();
    assert!(
        sim.users()
            .iter()
            .any(|u| u["email"] == RIVAL_EMAIL && u["id"] == rival)
    );
    // Once only, and the rival is reused.
    client
        .post("/api/dci/v3/server/3/owner", json!({"user": 57}))
        .ok();
    sim.inject(Fault::StealNextClaim);
    client
        .post("/api/dci/v3/server/5/owner", json!({"user": 57}))
        .error(409);
    assert_eq!(client.server(5)["owner"]["id"], rival);
    assert_eq!(
        sim.users()
            .iter()
            .filter(|u| u["email"] == RIVAL_EMAIL)
            .count(),
        1
    );
}

#[test]
fn request_log() {
    let sim = start();
    let client = Client::admin(&sim);
    client
        .get(&format!(
            "{SERVERS}?where=owner_email%20IS%20null&limit=0,2"
        ))
        .ok();
    client
        .post("/api/auth/v4/user/client%40example.com/key", json!({}))
        .ok();
    let records = sim.requests();
    assert_eq!(records.len(), 3);
    assert_eq!(records[0].method, "POST");
    assert_eq!(records[0].body.as_ref().unwrap()["password"], "***");
    assert_eq!(records[1].path, SERVERS);
    assert_eq!(records[1].query, "where=owner_email IS null&limit=0,2");
    assert_eq!(records[1].body, None);
    assert_eq!(records[1].status, 200);
    assert_eq!(records[2].path, "/api/auth/v4/user/client@example.com/key");
    assert_eq!(records[2].body, Some(json!({})));
    sim.clear_requests();
    assert!(sim.requests().is_empty());
}

#[test]
fn control_over_http() {
    let sim = start();
    let client = Client::admin(&sim);
    let control = Client::new(&sim.base_url());
    let inject = |fault: Value| control.call("POST", "/_sim/fault", Some(&fault.to_string()));
    inject(json!({"fault": "unavailable", "count": 1})).ok();
    client.get(SERVERS).error(503);
    inject(json!({"fault": "delay", "duration_ms": 300, "count": 1})).ok();
    let started = Instant::now();
    client.get(SERVERS).ok();
    assert!(started.elapsed() >= Duration::from_millis(300));
    inject(json!({"fault": "explode"})).error(400);

    let log = control
        .raw("GET", "/_sim/requests", &[], None)
        .unwrap()
        .ok();
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 3);
    assert_eq!(log[1]["status"], 503);
    assert_eq!(log[2]["path"], SERVERS);
    control
        .raw("DELETE", "/_sim/requests", &[], None)
        .unwrap()
        .ok();
    let log = control
        .raw("GET", "/_sim/requests", &[], None)
        .unwrap()
        .ok();
    assert_eq!(log, json!([]));

    let state = control.raw("GET", "/_sim/state", &[], None).unwrap().ok();
    assert_eq!(state["servers"][1]["owner_email"], "client@example.com");
    assert_eq!(state, sim.snapshot());
    control
        .raw("GET", "/_sim/nothing", &[], None)
        .unwrap()
        .error(404);
    // Control calls are not logged.
    assert!(sim.requests().is_empty());
}
