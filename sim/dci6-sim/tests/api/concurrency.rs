//! Concurrent clients: a server never gets two owners.

use std::collections::HashMap;
use std::sync::{Arc, Barrier};
use std::thread;

use dci6_sim::{Inventory, Sim, SimOptions};
use serde_json::json;

use crate::common::{Client, start};

#[test]
fn of_many_claims_of_one_server_exactly_one_wins() {
    let sim = start();
    let admin = Client::admin(&sim);
    let users: Vec<u64> = (0..16)
        .map(|n| {
            let created = admin
                .post(
                    "/api/dci/v3/user",
                    json!({"email": format!("racer{n}@example.com"), "password": "pw",
                           "role": "@user"}),
                )
                .ok();
            created["id"].as_u64().unwrap()
        })
        .collect();
    let barrier = Arc::new(Barrier::new(users.len()));
    let racers: Vec<_> = users
        .iter()
        .map(|&user| {
            let (client, barrier) = (Client::admin(&sim), Arc::clone(&barrier));
            thread::spawn(move || {
                barrier.wait();
                let reply = client.post("/api/dci/v3/server/1/owner", json!({"user": user}));
                (user, reply.status)
            })
        })
        .collect();
    let results: Vec<(u64, u16)> = racers.into_iter().map(|r| r.join().unwrap()).collect();
    let winners: Vec<u64> = results
        .iter()
        .filter(|(_, status)| *status == 200)
        .map(|(user, _)| *user)
        .collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    assert!(
        results.iter().all(|(_, s)| *s == 200 || *s == 409),
        "{results:?}"
    );
    assert_eq!(admin.server(1)["owner"]["id"], winners[0]);
}

/// Eight module processes, each listing free servers and claiming the first it can, the way
/// `open` does, until none is left.
#[test]
fn parallel_claimers_never_share_a_server() {
    let sim = Sim::start(Inventory::generated(120), SimOptions::default()).unwrap();
    let free_before = Client::new(&sim.base_url())
        .logged_in("admin@example.com", "admin")
        .get("/api/dci/v3/server?where=owner%20IS%20null&limit=0")
        .ok()["size"]
        .as_u64()
        .unwrap();
    let claimers: Vec<_> = (0..8)
        .map(|n| {
            let client = Client::new(&sim.base_url()).logged_in("admin@example.com", "admin");
            thread::spawn(move || {
                let user = n % 6 + 2;
                let mut won = Vec::new();
                loop {
                    let free = client
                        .get(
                            "/api/dci/v3/server?where=owner%20IS%20null&orderby=id%20asc&limit=0,5",
                        )
                        .ok();
                    let candidates: Vec<u64> = free["list"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|s| s["id"].as_u64().unwrap())
                        .collect();
                    if candidates.is_empty() {
                        return won;
                    }
                    for id in candidates {
                        let path = format!("/api/dci/v3/server/{id}/owner");
                        let reply = client.post(&path, json!({"user": user}));
                        match reply.status {
                            200 => won.push((id, user)),
                            409 => {}
                            other => panic!("claim answered {other}: {}", reply.text),
                        }
                    }
                }
            })
        })
        .collect();
    let mut owners: HashMap<u64, u64> = HashMap::new();
    for claimer in claimers {
        for (server, user) in claimer.join().unwrap() {
            assert!(
                owners.insert(server, user).is_none(),
                "server {server} won twice"
            );
        }
    }
    assert_eq!(owners.len() as u64, free_before);
    for (server, user) in owners {
        assert_eq!(sim.server(server).unwrap()["owner"]["id"], user);
    }
}
