//! close: the seed's order checked against the simulator's request log, the guard, the wipe
//! failing or running out of time, and a close killed in the middle then run again.

use std::process::Stdio;
use std::time::{Duration, Instant};

use billmgr_stand_in::item_status::{ACTIVE, DELETED};
use dci6_sim::Fault;
use serde_json::{Value, json};

use crate::world::{FIXED_LABEL, RIVAL_USER, World, customer_inventory, free_server};

fn world_with(name: &str, operation: Duration) -> (World, u64) {
    let world = World::with_operation_duration(
        name,
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
        &[],
        operation,
    );
    let item = world.opened(1, ACTIVE);
    (world, item)
}

fn close_args(item: &str, ro: Option<&str>) -> Vec<String> {
    let mut args = vec![
        "--command".to_string(),
        "close".into(),
        "--item".into(),
        item.into(),
    ];
    if let Some(ro) = ro {
        args.extend(["--runningoperation".to_string(), ro.into()]);
    }
    args
}

fn close(world: &World, item: u64, ro: Option<u64>) -> crate::world::Run {
    let item = item.to_string();
    let ro = ro.map(|r| r.to_string());
    let args = close_args(&item, ro.as_deref());
    world.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn notes_edit(notes: &str) -> String {
    format!("POST /api/dci/v3/server/1 {}", json!({"notes": notes}))
}

/// The server went back to stock: nothing of the customer's left, off, ports down, no mark.
#[track_caller]
fn assert_back_in_stock(world: &World) {
    let server = world.server(1);
    assert_eq!(server["owner"], Value::Null, "{server:#}");
    assert_eq!(server["notes"], "", "{server:#}");
    assert_eq!(server["ip"], json!([]), "{server:#}");
    assert_eq!(server["power_status"], "off", "{server:#}");
    assert_eq!(server["maintenance_mode"], false, "{server:#}");
    assert_eq!(
        server["switch_connection"][0]["admin_status"], "down",
        "{server:#}"
    );
    assert_eq!(
        server["switch_connection"][1]["admin_status"], "up",
        "IPMI stays up: {server:#}"
    );
    assert_eq!(
        server["os_template"],
        Value::Null,
        "the disks were wiped: {server:#}"
    );
}

fn operation_id(world: &World) -> u64 {
    world.server(1)["operation"]["id"]
        .as_u64()
        .expect("operation id")
}

#[test]
fn close_runs_the_seed_order_and_returns_the_server_to_stock() {
    let (world, item) = world_with("close_order", Duration::from_millis(600));
    // Every step has something to do: off, port down, an install running, two addresses.
    world.edit_server(1, |s| {
        s["power_status"] = json!("off");
        s["switch_connection"][0]["admin_status"] = json!("down");
        s["operation"] = json!({"id": 90, "type": "os_install", "status": "running"});
        s["ip"]
            .as_array_mut()
            .expect("ips")
            .push(json!({"id": 9101, "name": "198.51.100.50"}));
    });
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    close(&world, item, Some(ro)).assert_ok();
    let wipe = operation_id(&world);
    assert_ne!(wipe, 90);
    assert_eq!(
        world.dci_change_lines(),
        [
            notes_edit(&format!("billmgr-item:{item} closing after:90")),
            "POST /api/dci/v3/server/1/switch_connection/11 {\"admin_status\":\"up\"}".into(),
            "POST /api/dci/v3/server/1/power_on {}".into(),
            "POST /api/dci/v3/server/1/operation/stop {}".into(),
            "DELETE /api/dci/v3/server/1/ip/9001".into(),
            "DELETE /api/dci/v3/server/1/ip/9101".into(),
            "DELETE /api/dci/v3/server/1/owner".into(),
            notes_edit(&format!("billmgr-item:{item} closing wipe after:90")),
            "POST /api/dci/v3/server/1/diagnostics {\"disk_cleanup\":true}".into(),
            notes_edit(&format!("billmgr-item:{item} closing diagnostics:{wipe}")),
            "POST /api/dci/v3/server/1/power_off {}".into(),
            "POST /api/dci/v3/server/1/switch_connection/11 {\"admin_status\":\"down\"}".into(),
            notes_edit(""),
        ]
    );
    assert_back_in_stock(&world);
    assert_eq!(world.server(1)["operation"]["status"], "ok");
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.postclose")
            .expect("calls")
            .len(),
        1
    );
    assert!(world.db.running_operation(ro).expect("ro").is_none());
    assert!(world.tasks_of(item).is_empty());
}

#[test]
fn close_of_another_customer_s_server_is_refused_with_a_task() {
    let (world, item) = world_with("close_guard", Duration::from_millis(300));
    world.set_owner(1, Some(RIVAL_USER));
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let run = close(&world, item, Some(ro));
    assert_eq!(run.error_type(), "not_owner");
    assert!(run.error_value().contains("rival@example.com"), "{run:#?}");
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].runningoperation, Some(ro));
    assert!(
        tasks[0]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("close of item")
    );
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
    assert_eq!(world.server(1)["owner"]["id"], json!(RIVAL_USER));
}

#[test]
fn close_of_an_item_that_never_claimed_a_server_only_reports() {
    let world = World::new(
        "close_unclaimed",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[]);
    close(&world, item, None).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
    assert_eq!(world.server(1)["owner"], Value::Null);
}

#[test]
fn close_dry_run_prints_the_sequence_and_changes_nothing() {
    let (world, item) = world_with("close_dry_run", Duration::from_millis(300));
    let run = world.run(&[
        "--command",
        "close",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    let steps: Vec<String> = crate::xml::elements(&run.stdout)
        .expect("XML")
        .into_iter()
        .filter(|e| e.name == "step")
        .map(|e| e.text)
        .collect();
    assert_eq!(
        steps,
        [
            "mark the notes: closing",
            "remove IP 198.51.100.11 (id 9001)",
            "remove the owner",
            "start diagnostics with disk cleanup",
            "wait for the diagnostics",
            "power off",
            "disable switch ports 11",
            "clear the notes",
            "report the service closed",
        ]
    );
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());
}

#[test]
fn a_failed_wipe_keeps_the_server_out_of_stock_and_asks_staff() {
    let (world, item) = world_with("close_wipe_failed", Duration::from_millis(300));
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    world.sim.inject(Fault::FailNextOperation);
    let run = close(&world, item, Some(ro));
    assert_eq!(run.error_type(), "operation_failed");
    assert!(run.error_value().contains("maintenance mode"), "{run:#?}");
    let wipe = operation_id(&world);
    let server = world.server(1);
    assert_eq!(server["maintenance_mode"], true, "{server:#}");
    let notes = server["notes"].as_str().unwrap_or_default();
    assert!(
        notes.starts_with(&format!(
            "billmgr-item:{item} closing diagnostics:{wipe} failed: "
        )),
        "{notes}"
    );
    assert!(notes.contains("ended failed"), "{notes}");
    // Not back in stock: the power and ports steps did not run, the service is not closed.
    let changes = world.dci_change_lines();
    assert!(
        !changes.iter().any(|c| c.contains("power_off")),
        "{changes:?}"
    );
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0].runningoperation, Some(ro));
    let row = world.db.running_operation(ro).expect("ro").expect("kept");
    assert!(row.manual);
    assert!(
        row.errorxml
            .unwrap_or_default()
            .contains("operation_failed")
    );

    // Staff checked the disks and run the close again: out of maintenance, wiped, closed.
    world.sim.clear_requests();
    close(&world, item, Some(ro)).assert_ok();
    let again = world.dci_change_lines();
    assert_eq!(
        again[0], "POST /api/dci/v3/server/1 {\"maintenance_mode\":false}",
        "{again:?}"
    );
    assert_eq!(
        again
            .iter()
            .filter(|c| c.ends_with("/diagnostics {\"disk_cleanup\":true}"))
            .count(),
        1
    );
    assert_back_in_stock(&world);
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
}

#[test]
fn a_wipe_that_runs_out_of_time_goes_to_maintenance_and_the_rerun_waits_for_it() {
    let (world, item) = world_with("close_wipe_timeout", Duration::from_secs(3));
    let item_arg = item.to_string();
    let run = world.run_with_env(
        &["--command", "close", "--item", &item_arg],
        &[("PMDCI6_POLL_TIMEOUT", "0.3")],
    );
    assert_eq!(run.error_type(), "operation_failed");
    assert!(
        run.error_value().contains("did not finish in 0.3 s"),
        "{run:#?}"
    );
    let server = world.server(1);
    assert_eq!(server["maintenance_mode"], true);
    assert!(
        server["notes"]
            .as_str()
            .unwrap_or_default()
            .contains("failed: "),
        "{server:#}"
    );
    assert_eq!(world.tasks_of(item).len(), 1);

    world.sim.clear_requests();
    close(&world, item, None).assert_ok();
    let changes = world.dci_change_lines();
    assert!(
        !changes.iter().any(|c| c.contains("/diagnostics")),
        "the same wipe is waited for: {changes:?}"
    );
    assert_back_in_stock(&world);
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
}

/// Starts a close, kills it (SIGKILL) as soon as the wipe has been asked for, and returns what
/// it changed.
fn kill_during_the_wipe(world: &World, item: u64) -> Vec<String> {
    let item = item.to_string();
    let args = close_args(&item, None);
    let mut child = world
        .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("close starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !world
        .sim
        .requests()
        .iter()
        .any(|r| r.method == "POST" && r.path.ends_with("/diagnostics"))
    {
        assert!(
            Instant::now() < deadline,
            "the close never started the wipe"
        );
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the close ended before the wipe: {status}");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let changes = world.dci_change_lines();
    world.sim.clear_requests();
    changes
}

/// What a rerun must not do again after a kill during the wipe. The wipe itself may be stopped
/// and started again: when the kill came before its id reached the notes, the rerun cannot tell
/// DCImanager's newer operation (operations carry no type) from one staff started, and never
/// takes an unrecorded operation for the wipe.
const DONE_BEFORE_THE_WIPE: [&str; 3] = [
    "/switch_connection/11 {\"admin_status\":\"up\"}",
    "/power_on",
    "DELETE ",
];

#[test]
fn a_close_killed_during_the_wipe_finishes_on_rerun_after_the_wipe_ended() {
    let (world, item) = world_with("close_killed_ended", Duration::from_millis(800));
    let before = kill_during_the_wipe(&world, item);
    assert!(
        before
            .iter()
            .any(|c| c == "DELETE /api/dci/v3/server/1/owner"),
        "{before:?}"
    );
    // The wipe ends while nobody runs the close (the kill may have come before its id reached
    // the notes).
    let deadline = Instant::now() + Duration::from_secs(30);
    while world.server(1)["operation"]["status"] == "running" {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(50));
    }
    world.sim.clear_requests();
    close(&world, item, None).assert_ok();
    let rerun = world.dci_change_lines();
    for done in DONE_BEFORE_THE_WIPE {
        assert!(
            !rerun.iter().any(|c| c.contains(done)),
            "{done} repeated: {rerun:?}"
        );
    }
    assert!(
        rerun.iter().any(|c| c.ends_with("/power_off {}")),
        "{rerun:?}"
    );
    assert_back_in_stock(&world);
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
}

#[test]
fn a_close_killed_during_the_wipe_resumes_the_wait_on_rerun() {
    let (world, item) = world_with("close_killed_running", Duration::from_secs(3));
    kill_during_the_wipe(&world, item);
    assert_eq!(world.server(1)["operation"]["status"], "running");
    close(&world, item, None).assert_ok();
    let rerun = world.dci_change_lines();
    for done in DONE_BEFORE_THE_WIPE {
        assert!(
            !rerun.iter().any(|c| c.contains(done)),
            "{done} repeated: {rerun:?}"
        );
    }
    assert_back_in_stock(&world);
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
}

#[test]
fn a_close_whose_report_was_refused_only_reports_when_run_again() {
    let (world, item) = world_with("close_report_refused", Duration::from_millis(300));
    world.root.fail_next("service.postclose").expect("fault");
    let run = close(&world, item, None);
    assert_eq!(run.error_type(), "mgrctl");
    assert!(run.error_value().contains("service.postclose"), "{run:#?}");
    assert_back_in_stock(&world);
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
    assert_eq!(
        world.item_param(item, "serverid"),
        None,
        "no stale serverid"
    );
    // Before BILLmanager retries, another order takes the server out of stock.
    world.edit_server(1, |s| {
        s["owner"] = json!({"id": crate::world::RIVAL_USER});
        s["notes"] = json!("billmgr-item:999");
    });
    world.sim.clear_requests();
    close(&world, item, None).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert_eq!(world.db.item_status(item).expect("status"), DELETED);
}
