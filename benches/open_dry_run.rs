//! Benchmark, not a test: `open --dry-run` over 1,000, 10,000 and 50,000 servers in the
//! location. For each size it prints the module's wall time and peak memory beside the time of
//! one plain HTTP fetch of the same server list from the same simulator (measured in the same
//! run), and the number of DCImanager requests the module made.
//!
//! Targets: module time under 3x the plain fetch, peak memory under 64 MB at 50,000 servers,
//! request count independent of the number of servers apart from paging. Each size runs against
//! both dialects of the simulator: the default contract reads answers as they come, the
//! platform's contract file (etc/examples) makes the adapter rewrite every server, so the
//! difference between the two rows is what the adapter costs.
//! Run with `cargo bench --bench open_dry_run` (needs MariaDB, see scripts/setup-test-deps; it
//! builds `mgrctl-stand-in` when missing).

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use billmgr_stand_in::{AddonSpec, MariaDb, Mgr5Root, item_status};
use dci6_sim::{Dialect, Inventory, Sim, SimOptions};

const SIZES: [usize; 3] = [1_000, 10_000, 50_000];
const RUNS: usize = 7;

fn main() -> anyhow::Result<()> {
    common::ensure_stand_in_built();
    let module = billmgr_stand_in::pmdci6_binary(env!("CARGO_BIN_EXE_pmdci6"));
    println!(
        "{:>7} {:>9} {:>12} {:>12} {:>7} {:>10} {:>9} {:>9}",
        "servers", "dialect", "module ms", "fetch ms", "ratio", "peak MB", "requests", "pages"
    );
    for (size, dialect) in SIZES
        .into_iter()
        .flat_map(|size| [(size, Dialect::Default), (size, Dialect::Platform)])
    {
        let options = SimOptions {
            dialect,
            ..SimOptions::default()
        };
        let sim = Sim::start(Inventory::generated(size), options)?;
        let db = MariaDb::shared()?.create_database(&format!("bench_{size}_{dialect}"))?;
        let root = Mgr5Root::create(&db)?;
        if dialect == Dialect::Platform {
            std::fs::write(
                root.path().join("etc/pmdci6-dcimanager.toml"),
                include_str!("../etc/examples/pmdci6-dcimanager-platform.toml"),
            )?;
        }
        let url = sim.base_url();
        let module_id = db.add_module(
            "DCImanager 6",
            &[
                ("url", &url),
                ("username", "admin@example.com"),
                ("location", "1"),
            ],
            &[("password", "admin")],
        )?;
        let account = db.add_account("bench@example.com")?;
        let tariff = db.add_tariff(
            "i9-9900K-64Gb-2x1024NVMe",
            &[AddonSpec::integer("ip", "unit").included(1)],
        )?;
        let item = db.add_item(
            module_id,
            account,
            tariff,
            item_status::PROCESSING,
            &[],
            &[("ostempl", "Debian-12")],
        )?;

        let mut module_times = Vec::new();
        let mut peak_kb = 0;
        let mut requests = 0;
        // One run more than measured: the first warms the database, the page cache and the
        // session token, and is dropped.
        for run in 0..=RUNS {
            sim.clear_requests();
            let start = Instant::now();
            let output = Command::new(&module)
                .args([
                    "--command",
                    "open",
                    "--item",
                    &item.to_string(),
                    "--dry-run",
                ])
                .envs(root.env())
                .output()?;
            if run > 0 {
                module_times.push(start.elapsed());
            }
            anyhow::ensure!(
                output.status.success(),
                "dry run failed: {}",
                String::from_utf8_lossy(&output.stdout)
            );
            requests = sim.requests().len();
            peak_kb = peak_kb.max(last_peak_kb(&root.module_log()).unwrap_or(0));
        }
        let pages = sim
            .requests()
            .iter()
            .filter(|r| r.path == "/api/dci/v3/server")
            .count();

        plain_fetch(&url)?;
        let mut fetch_times = Vec::new();
        for _ in 0..RUNS {
            fetch_times.push(plain_fetch(&url)?);
        }
        let module_ms = median(module_times).as_secs_f64() * 1e3;
        let fetch_ms = median(fetch_times).as_secs_f64() * 1e3;
        println!(
            "{size:>7} {dialect:>9} {module_ms:>12.1} {fetch_ms:>12.1} {:>6.2}x {:>10.1} {requests:>9} {pages:>9}",
            module_ms / fetch_ms,
            peak_kb as f64 / 1024.0
        );
    }
    println!("targets: ratio < 3x, peak < 64 MB at 50,000 servers, requests - pages constant");
    Ok(())
}

/// One login and one GET of the whole server list, answer read and parsed: what any client
/// must pay to see the stock once.
fn plain_fetch(url: &str) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let agent = ureq::Agent::new_with_defaults();
    let token: serde_json::Value = agent
        .post(&format!("{url}/api/auth/v4/public/token"))
        .header("isp-box-instance", "true")
        .send_json(serde_json::json!({"email": "admin@example.com", "password": "admin"}))?
        .body_mut()
        .read_json()?;
    let token = token["token"].as_str().unwrap_or_default().to_string();
    let list: serde_json::Value = agent
        .get(&format!("{url}/api/dci/v3/server"))
        .header("isp-box-instance", "true")
        .header("x-xsrf-token", &token)
        .header("Cookie", &format!("ses6={token}"))
        .call()?
        .body_mut()
        .with_config()
        .limit(1 << 30)
        .read_json()?;
    anyhow::ensure!(
        list["list"].as_array().is_some_and(|l| !l.is_empty()),
        "empty list"
    );
    Ok(start.elapsed())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// The module logs its peak memory (`VmHWM`) at the end of every run.
fn last_peak_kb(log: &str) -> Option<u64> {
    log.lines().rev().find_map(|line| {
        let rest = line.split("peak memory ").nth(1)?;
        rest.split_whitespace().next()?.parse().ok()
    })
}
