//! Benchmark, not a test: what one `pmdci6 --command sync_item` costs when nothing needs fixing,
//! beside one plain HTTP fetch of the same server from the same simulator in the same run.
//!
//! BILLmanager runs sync_item for every service every few minutes, so it must cost about one
//! fetch of the server: at most 2 DCImanager requests (the session token is cached in `var/`)
//! and a wall time under 2x that of the plain fetch. The plain fetch is a `curl` process (a
//! process start and one GET, like a sync run) when curl is installed, else an in-process GET
//! (said so in the output). The simulator runs in this process; the module talks to the
//! stand-in's `mgrctl` and the private MariaDB, as in the end-to-end tests.
//!
//! Run with `cargo bench --bench sync_item`. It needs `mgrctl-stand-in` built with the same
//! profile and builds it (`cargo build --release -p billmgr-stand-in`) when missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "common/mod.rs"]
mod common;

use billmgr_stand_in::{AddonSpec, MariaDb, Mgr5Root, item_status};
use dci6_sim::{Inventory, Sim, SimOptions};
use serde_json::json;

const RUNS: usize = 40;
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "Adm1n-S3cret!";
const CUSTOMER: &str = "client@example.com";

fn main() {
    common::ensure_stand_in_built();
    let sim = Sim::start(inventory(), SimOptions::default()).expect("simulator");
    let db = MariaDb::shared()
        .and_then(|m| m.create_database("bench_sync_item"))
        .expect("test database (run scripts/setup-test-deps if MariaDB is missing)");
    let root = Mgr5Root::create(&db).expect("mgr5 root");
    // Info level, as in production (debug.conf of a new root says 9).
    root.set_debug_level(6).expect("debug.conf");
    let base = sim.base_url();
    let module = db
        .add_module(
            "DCImanager 6",
            &[("url", &base), ("username", ADMIN), ("location", "1")],
            &[("password", PASSWORD)],
        )
        .expect("module");
    let account = db.add_account(CUSTOMER).expect("account");
    let tariff = db
        .add_tariff(
            "i9-9900K-64Gb-2x1024NVMe",
            &[AddonSpec::integer("ip", "unit").included(1)],
        )
        .expect("tariff");
    let item = db
        .add_item(
            module,
            account,
            tariff,
            item_status::ACTIVE,
            &[],
            &[
                ("serverid", "1"),
                ("ip", "198.51.100.11"),
                ("install_operation", "88"),
                ("ostempl", "Debian-12"),
            ],
        )
        .expect("item");
    sim.update_server(1, |s| s["notes"] = json!(format!("billmgr-item:{item}")))
        .expect("the item's mark");

    let module_binary = billmgr_stand_in::pmdci6_binary(env!("CARGO_BIN_EXE_pmdci6"));
    let item_arg = item.to_string();
    let sync = || {
        let status = Command::new(&module_binary)
            .args(["--command", "sync_item", "--item", &item_arg])
            .envs(root.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pmdci6 runs");
        assert!(
            status.success(),
            "sync_item failed: see {}",
            root.path().join("var/pmdci6.log").display()
        );
    };
    // The first run logs in and caches the session; the rest reuse it.
    sync();
    sim.clear_requests();
    let sync_time = median(sync);
    let requests = sim.requests();
    let per_sync = requests.len() as f64 / RUNS as f64;
    let changes = requests.iter().filter(|r| r.method != "GET").count();

    let url = format!("{base}/api/dci/v3/server/1");
    let token = log_in(&base);
    let (fetch_time, fetch_kind) = if curl_works(&url, &token) {
        (median(|| curl(&url, &token)), "curl process, one GET")
    } else {
        let agent = ureq::agent();
        (
            median(|| in_process_get(&agent, &url, &token)),
            "in-process GET (curl not installed)",
        )
    };
    let process_start = median(|| {
        Command::new(&module_binary)
            .args(["--command", "features"])
            .envs(root.env())
            .stdout(Stdio::null())
            .status()
            .map(drop)
            .expect("pmdci6 runs");
    });

    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let ratio = sync_time.as_secs_f64() / fetch_time.as_secs_f64();
    println!("runs per measurement:             {RUNS} (medians)");
    println!(
        "sync_item, nothing to fix:        {:>8.3} ms",
        ms(sync_time)
    );
    println!(
        "plain fetch of the server:        {:>8.3} ms  ({fetch_kind})",
        ms(fetch_time)
    );
    println!(
        "pmdci6 features (process start):  {:>8.3} ms",
        ms(process_start)
    );
    println!("ratio sync_item / plain fetch:    {ratio:>8.2}x (target < 2x)");
    println!(
        "DCImanager requests per sync:     {per_sync:>8.2}   (target <= 2; {changes} changes in all runs)"
    );
    if let Some(request) = requests.first() {
        println!("  each run: {} {}", request.method, request.path);
    }
}

fn median(mut run: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

/// A session for the plain fetch, apart from the module's.
fn log_in(base: &str) -> String {
    let mut answer = ureq::post(&format!("{base}/api/auth/v4/public/token"))
        .header("isp-box-instance", "true")
        .send_json(json!({"email": ADMIN, "password": PASSWORD}))
        .expect("login");
    let body: serde_json::Value = answer.body_mut().read_json().expect("login answer");
    body["token"].as_str().expect("token").to_string()
}

fn curl_args(url: &str, token: &str) -> Vec<String> {
    vec![
        "-sf".into(),
        "-o".into(),
        "/dev/null".into(),
        "-H".into(),
        "isp-box-instance: true".into(),
        "-H".into(),
        format!("x-xsrf-token: {token}"),
        "-H".into(),
        format!("Cookie: ses6={token}"),
        url.into(),
    ]
}

fn curl_works(url: &str, token: &str) -> bool {
    Command::new("curl")
        .args(curl_args(url, token))
        .status()
        .is_ok_and(|s| s.success())
}

fn curl(url: &str, token: &str) {
    let status = Command::new("curl")
        .args(curl_args(url, token))
        .status()
        .expect("curl runs");
    assert!(status.success(), "curl failed");
}

fn in_process_get(agent: &ureq::Agent, url: &str, token: &str) {
    agent
        .get(url)
        .header("isp-box-instance", "true")
        .header("x-xsrf-token", token)
        .header("Cookie", &format!("ses6={token}"))
        .call()
        .and_then(|mut answer| answer.body_mut().read_to_string())
        .map(drop)
        .expect("GET server");
}

/// One owned, opened server in location 1 and the customer's user.
fn inventory() -> Inventory {
    let text = json!({
        "admin": {"email": ADMIN, "password": PASSWORD},
        "locations": [{"id": 1, "name": "Amsterdam", "ippool": null}],
        "racks": [{"id": 1, "name": "R01", "location_id": 1, "ippool": 1}],
        "pools": [{"id": 1, "name": "rack-r01", "ipv4_network": "198.51.100.0/24"}],
        "pool_settings": {"allocation": [1], "deallocation": [1]},
        "servers": [{
            "id": 1, "location_id": 1, "rack": {"id": 1}, "configuration": "i9-9900K-64Gb-2x1024NVMe",
            "owner": {"id": 57}, "power_status": "on", "os_template": {"id": 4},
            "operation": {"id": 88, "type": "os_install", "status": "ok"},
            "ip": [{"id": 9001, "name": "198.51.100.11"}],
            "switch_connection": [
                {"id": 11, "switch": 5, "description": "Gi1/0/1", "admin_status": "up", "oper_status": "up"},
                {"id": 12, "switch": 9, "description": "ipmi", "admin_status": "up", "oper_status": "up", "is_ipmi_connection": true}
            ]
        }],
        "os_templates": [{"id": 4, "name": "Debian-12", "access": "all", "location_id": 1}],
        "users": [{"id": 57, "email": CUSTOMER}]
    });
    Inventory::from_json_str(&text.to_string()).expect("inventory")
}
