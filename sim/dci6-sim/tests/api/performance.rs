//! A large installation stays quick to page through.

use std::time::{Duration, Instant};

use dci6_sim::{Dialect, Inventory, Sim, SimOptions};

use crate::common::{Client, query};

/// Both dialects, one after the other: the platform's views are written as directly as the
/// default's objects.
#[test]
fn paging_through_fifty_thousand_servers() {
    page_through(
        Dialect::Default,
        "(owner IS null) AND location_id EQ 1 AND maintenance_mode EQ false",
    );
    page_through(
        Dialect::Platform,
        "(owner_email IS null) AND location_id EQ 1 AND maintenance_mode EQ false",
    );
}

fn page_through(dialect: Dialect, filter: &str) {
    let started = Instant::now();
    let options = SimOptions {
        dialect,
        ..SimOptions::default()
    };
    let sim = Sim::start(Inventory::generated(50_000), options).unwrap();
    let start_time = started.elapsed();
    let client = Client::new(&sim.base_url()).logged_in("admin@example.com", "admin");

    let started = Instant::now();
    let mut seen = 0;
    let mut offset = 0;
    loop {
        let limit = format!("{offset},1000");
        let page = client
            .get(&format!(
                "/api/dci/v3/server{}",
                query(&[("limit", &limit)])
            ))
            .ok();
        assert_eq!(page["size"], 50_000);
        let count = page["list"].as_array().unwrap().len();
        if count == 0 {
            break;
        }
        seen += count;
        offset += count;
    }
    let paging_time = started.elapsed();
    assert_eq!(seen, 50_000);

    let started = Instant::now();
    let free = client
        .get(&format!(
            "/api/dci/v3/server{}",
            query(&[
                ("where", filter),
                ("orderby", "name desc"),
                ("limit", "0,100")
            ])
        ))
        .ok();
    let filter_time = started.elapsed();
    let free_count = free["size"].as_u64().unwrap();
    assert!(free_count > 30_000 && free_count < 34_000, "{free_count}");
    assert_eq!(free["list"].as_array().unwrap().len(), 100);

    eprintln!(
        "{dialect}: start {start_time:?}, 50 pages {paging_time:?}, filtered and sorted {filter_time:?}"
    );
    // Generous bounds: this runs unoptimised, on a shared machine.
    assert!(paging_time < Duration::from_secs(30), "{paging_time:?}");
    assert!(filter_time < Duration::from_secs(3), "{filter_time:?}");
}
