//! `GET /api/dci/v3/server/traffic`: one row per switch port and day, filtered by day, growing
//! while a powered-on server's data port is up.

use std::time::Duration;

use dci6_sim::SimOptions;
use serde_json::json;

use crate::common::{Client, encode, start, start_with};

const TRAFFIC: &str = "/api/dci/v3/server/traffic";

#[test]
fn rows_are_listed_by_day_as_added() {
    let sim = start();
    sim.add_traffic(1, 31, "2026-12-01", 10, 20);
    sim.add_traffic(1, 31, "2026-12-02", 1, 2);
    sim.add_traffic(1, 31, "2026-12-02", 1, 2);
    let client = Client::admin(&sim);
    let filter = encode("date EQ '2026-12-02' OR date EQ '2026-12-03'");
    let page = client.get(&format!("{TRAFFIC}?where={filter}")).ok();
    assert_eq!(
        page,
        json!({"list": [{"server": 1, "switch_connection": 31, "date": "2026-12-02",
                         "rx_bytes": 2, "tx_bytes": 4}], "size": 1})
    );
    assert_eq!(client.get(TRAFFIC).ok()["size"], json!(2));
}

#[test]
fn up_data_ports_of_powered_on_servers_keep_counting() {
    let sim = start_with(SimOptions {
        traffic_rate: 1_000_000,
        ..SimOptions::default()
    });
    sim.update_server(1, |server| {
        server["power_status"] = json!("on");
        server["switch_connection"][0]["admin_status"] = json!("up");
    })
    .expect("server 1 on, its port up");
    let client = Client::admin(&sim);
    let counted = || {
        client.get(TRAFFIC).ok()["list"]
            .as_array()
            .expect("list")
            .iter()
            .map(|row| {
                (
                    row["switch_connection"].as_u64(),
                    row["rx_bytes"].as_u64().unwrap_or(0),
                )
            })
            .collect::<Vec<_>>()
    };
    std::thread::sleep(Duration::from_millis(50));
    let first = counted();
    std::thread::sleep(Duration::from_millis(50));
    let second = counted();
    // Only the data port 31 of server 1, never its IPMI port 32; and it grew.
    assert_eq!(first.len(), 1, "{first:?}");
    assert_eq!(first[0].0, Some(31));
    assert!(second[0].1 > first[0].1, "{first:?} then {second:?}");
}
