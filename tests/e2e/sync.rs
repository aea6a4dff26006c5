//! sync_item in each state of the item and its server, drift reported once, and its cost.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use billmgr_stand_in::item_status::{ACTIVE, PROCESSING, SUSPENDED};
use serde_json::json;

use crate::world::{
    CUSTOMER_USER, FIXED_LABEL, RIVAL_USER, Run, World, customer_inventory, free_server,
};

fn opened_world(name: &str, status: i32) -> (World, u64) {
    let world = World::new(
        name,
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.opened(1, status);
    (world, item)
}

fn sync(world: &World, item: u64) -> Run {
    let run = world.run(&["--command", "sync_item", "--item", &item.to_string()]);
    run.assert_ok();
    run
}

#[test]
fn an_active_service_s_server_is_powered_on() {
    let (world, item) = opened_world("sync_power_on", ACTIVE);
    world.edit_server(1, |s| s["power_status"] = json!("off"));
    sync(&world, item);
    assert_eq!(
        world.dci_change_lines(),
        ["POST /api/dci/v3/server/1/power_on {}"]
    );
    assert_eq!(world.server(1)["power_status"], "on");
}

#[test]
fn a_suspended_service_s_server_is_powered_off() {
    let (world, item) = opened_world("sync_power_off", SUSPENDED);
    sync(&world, item);
    assert_eq!(
        world.dci_change_lines(),
        ["POST /api/dci/v3/server/1/power_off {}"]
    );
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
}

#[test]
fn nothing_is_done_while_an_operation_runs() {
    let world = World::with_operation_duration(
        "sync_operation_running",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
        &[],
        Duration::from_secs(30),
    );
    let item = world.opened(1, ACTIVE);
    world.edit_server(1, |s| {
        s["power_status"] = json!("off");
        s["operation"] = json!({"id": 95, "type": "diagnostics", "status": "running"});
    });
    sync(&world, item);
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert!(world.billing_writes().is_empty());
    assert!(
        world.log().contains("operation 95 is running"),
        "{}",
        world.log()
    );
}

#[test]
fn nothing_is_done_while_the_server_is_in_maintenance() {
    let (world, item) = opened_world("sync_maintenance", ACTIVE);
    world.edit_server(1, |s| {
        s["power_status"] = json!("off");
        s["maintenance_mode"] = json!(true);
    });
    sync(&world, item);
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert!(world.billing_writes().is_empty());
    assert!(world.log().contains("maintenance mode"), "{}", world.log());
}

#[test]
fn an_open_whose_install_finished_is_finished() {
    let (world, item) = opened_world("sync_finish_open", PROCESSING);
    world
        .db
        .set_item_crypted_param(item, "userpassword", "S3cret-root")
        .expect("password");
    world.set_item_param(item, "ip", "");
    sync(&world, item);
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
    assert_eq!(
        world.item_param(item, "ip").as_deref(),
        Some("198.51.100.11")
    );
    assert_eq!(world.item_param(item, "username").as_deref(), Some("root"));
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.postopen")
            .expect("calls")
            .len(),
        1
    );
    assert!(world.dci_changes().is_empty());
    assert!(
        !world.log().contains("has no userpassword"),
        "{}",
        world.log()
    );
}

#[test]
fn an_open_still_installing_is_left_to_open() {
    let (world, item) = opened_world("sync_open_installing", PROCESSING);
    world.set_item_param(item, "install_operation", "requested:88");
    sync(&world, item);
    assert_eq!(world.db.item_status(item).expect("status"), PROCESSING);
    assert!(world.billing_writes().is_empty());
    assert!(
        world.log().contains("has not installed the OS yet"),
        "{}",
        world.log()
    );
}

#[test]
fn an_address_changed_in_dcimanager_updates_the_ip_param() {
    let (world, item) = opened_world("sync_ip", ACTIVE);
    world.edit_server(1, |s| {
        s["ip"] = json!([{"id": 9050, "name": "198.51.100.77"}])
    });
    sync(&world, item);
    assert_eq!(
        world.item_param(item, "ip").as_deref(),
        Some("198.51.100.77")
    );
    assert!(world.dci_changes().is_empty());
}

#[test]
fn drift_is_reported_once_and_again_only_after_it_was_resolved() {
    let (world, item) = opened_world("sync_drift", ACTIVE);
    world.set_owner(1, None);
    sync(&world, item);
    sync(&world, item);
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert!(
        tasks[0]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("lost its owner"),
        "{tasks:?}"
    );
    assert_eq!(
        world.item_param(item, "drift_reported").as_deref(),
        Some("owner_lost")
    );
    assert!(
        world.log().contains("reported to staff already"),
        "{}",
        world.log()
    );
    assert!(
        world.dci_changes().is_empty(),
        "drift is never fixed by the module"
    );

    // Staff gave the server back: the drift is forgotten.
    world.set_owner(1, Some(CUSTOMER_USER));
    sync(&world, item);
    assert_eq!(world.item_param(item, "drift_reported"), None);
    // It happens again: reported again, once.
    world.set_owner(1, Some(RIVAL_USER));
    sync(&world, item);
    sync(&world, item);
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 2, "{tasks:?}");
    assert!(
        tasks[1]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("rival@example.com")
    );
    assert_eq!(
        world.item_param(item, "drift_reported").as_deref(),
        Some("reassigned")
    );
}

#[test]
fn a_server_gone_from_dcimanager_is_drift() {
    let (world, item) = opened_world("sync_server_gone", ACTIVE);
    world.set_item_param(item, "serverid", "99");
    // Nothing carries the item's mark either.
    world.edit_server(1, |s| s["notes"] = json!(""));
    sync(&world, item);
    sync(&world, item);
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert!(
        tasks[0]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("gone from DCImanager")
    );
    assert_eq!(
        world.item_param(item, "drift_reported").as_deref(),
        Some("server_gone")
    );
}

#[test]
fn sync_dry_run_prints_the_actions_and_changes_nothing() {
    let (world, item) = opened_world("sync_dry_run", ACTIVE);
    world.edit_server(1, |s| {
        s["power_status"] = json!("off");
        s["ip"] = json!([{"id": 9050, "name": "198.51.100.77"}]);
    });
    let run = world.run(&[
        "--command",
        "sync_item",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    assert!(
        run.stdout
            .contains("<step>power on</step><step>save ip 198.51.100.77</step>"),
        "{run:#?}"
    );
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());
    assert_eq!(world.server(1)["power_status"], "off");
}

#[test]
fn a_sync_with_nothing_to_fix_costs_one_request_with_the_cached_session() {
    let (world, item) = opened_world("sync_cost", ACTIVE);
    sync(&world, item);
    let cache = world
        .root
        .path()
        .join(format!("var/pmdci6-{}.token", world.module));
    let mode = std::fs::metadata(&cache)
        .expect("token cache")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "the session token is readable by its owner only"
    );
    world.sim.clear_requests();
    sync(&world, item);
    let requests: Vec<String> = world
        .sim
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(requests, ["GET /api/dci/v3/server"]);
    assert!(world.billing_writes().is_empty());
}

#[test]
fn a_sync_beside_a_running_command_skips_quietly() {
    let (world, item) = opened_world("sync_locked", ACTIVE);
    world.edit_server(1, |s| s["power_status"] = json!("off"));
    let _held = world.hold_item_lock(item);
    sync(&world, item);
    assert!(world.sim.requests().is_empty());
    assert!(world.log().contains("skipped"), "{}", world.log());
}

#[test]
fn an_expired_cached_session_is_renewed() {
    let (world, item) = opened_world("sync_session_renewed", ACTIVE);
    sync(&world, item);
    world.sim.inject(dci6_sim::Fault::ExpireTokens);
    world.sim.clear_requests();
    sync(&world, item);
    let requests: Vec<String> = world
        .sim
        .requests()
        .iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        requests,
        [
            "GET /api/dci/v3/server 401",
            "POST /api/auth/v4/public/token 200",
            "GET /api/dci/v3/server 200",
        ]
    );
    world.sim.clear_requests();
    sync(&world, item);
    assert_eq!(
        world.sim.requests().len(),
        1,
        "the renewed session is cached"
    );
}

#[test]
fn dcimanager_unavailable_is_an_error_and_changes_nothing() {
    let (world, item) = opened_world("sync_unavailable", ACTIVE);
    world.edit_server(1, |s| s["power_status"] = json!("off"));
    world
        .sim
        .inject(dci6_sim::Fault::Unavailable { count: 100 });
    let run = world.run(&["--command", "sync_item", "--item", &item.to_string()]);
    assert_eq!(run.error_type(), "dci_unreachable");
    assert!(
        world.dci_changes().iter().all(|r| r.status == 503),
        "{:?}",
        world.dci_change_lines()
    );
    // Nothing of the service changes; only the outage goes on BILLmanager's dashboard.
    let writes: Vec<String> = world.billing_writes().into_iter().map(|c| c.func).collect();
    assert_eq!(writes, ["problems.register"]);
}

#[test]
fn an_item_status_pmdci6_does_not_know_is_an_item_error() {
    let (world, item) = opened_world("sync_unknown_status", 9);
    let run = world.run(&["--command", "sync_item", "--item", &item.to_string()]);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("status 9"), "{run:#?}");
}

#[test]
fn a_close_in_progress_is_not_reported_as_drift() {
    let (world, item) = opened_world("sync_close_in_progress", ACTIVE);
    // A close that could not wipe: owner removed, maintenance, the failure in the notes.
    world.edit_server(1, |s| {
        s["owner"] = serde_json::Value::Null;
        s["owner_email"] = serde_json::Value::Null;
        s["maintenance_mode"] = json!(true);
        s["notes"] = json!(format!(
            "billmgr-item:{item} closing diagnostics:95 failed: disk sdb"
        ));
    });
    sync(&world, item);
    assert!(
        world.tasks_of(item).is_empty(),
        "{:?}",
        world.tasks_of(item)
    );
    assert!(world.dci_changes().is_empty());
    assert!(world.log().contains("close of item"), "{}", world.log());
}
