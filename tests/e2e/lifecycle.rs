//! suspend, resume and reboot of an opened service, and the ownership guard every command on an
//! existing server passes first.

use billmgr_stand_in::item_status::{ACTIVE, SUSPENDED};
use serde_json::json;

use crate::world::{FIXED_LABEL, RIVAL_USER, World, customer_inventory, free_server, inventory};
use crate::xml::elements;

fn opened_world(name: &str, status: i32) -> (World, u64) {
    let world = World::new(
        name,
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.opened(1, status);
    (world, item)
}

fn run(world: &World, command: &str, item: u64, ro: Option<u64>) -> crate::world::Run {
    let item = item.to_string();
    let ro = ro.map(|r| r.to_string());
    let mut args = vec!["--command", command, "--item", &item];
    if let Some(ro) = &ro {
        args.extend(["--runningoperation", ro]);
    }
    world.run(&args)
}

fn port_state(world: &World, server: u64, port: u64) -> String {
    world.server(server)["switch_connection"]
        .as_array()
        .and_then(|ports| ports.iter().find(|p| p["id"] == json!(port)))
        .map(|p| p["admin_status"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("port {port} of server {server}"))
}

#[test]
fn suspend_shuts_the_switch_ports_but_not_ipmi_and_leaves_the_power() {
    let (world, item) = opened_world("suspend_ports", ACTIVE);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    run(&world, "suspend", item, Some(ro)).assert_ok();
    assert_eq!(
        world.dci_change_lines(),
        ["POST /api/dci/v3/server/1/switch_connection/11 {\"admin_status\":\"down\"}"]
    );
    assert_eq!(port_state(&world, 1, 11), "down");
    assert_eq!(port_state(&world, 1, 12), "up", "the IPMI port stays up");
    assert_eq!(world.server(1)["power_status"], "on");
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.postsuspend")
            .expect("calls")
            .len(),
        1
    );
    assert!(
        world.db.running_operation(ro).expect("ro").is_none(),
        "BILLmanager removes it on postsuspend"
    );
}

#[test]
fn suspend_of_a_server_with_ports_down_only_reports() {
    let (world, item) = opened_world("suspend_again", ACTIVE);
    world.edit_server(1, |s| {
        s["switch_connection"][0]["admin_status"] = json!("down")
    });
    run(&world, "suspend", item, None).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
}

#[test]
fn suspend_without_switch_ports_is_refused_and_changes_nothing() {
    let (world, item) = opened_world("suspend_no_ports", ACTIVE);
    world.edit_server(1, |s| {
        s["switch_connection"]
            .as_array_mut()
            .expect("ports")
            .retain(|p| p["is_ipmi_connection"] == json!(true))
    });
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let run = run(&world, "suspend", item, Some(ro));
    assert_eq!(run.error_type(), "no_switch_ports");
    assert!(
        run.error_value()
            .contains("connect its ports in DCImanager"),
        "{run:#?}"
    );
    assert!(run.error_value().contains("not suspended"), "{run:#?}");
    assert!(world.dci_changes().is_empty());
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
    let writes: Vec<String> = world.billing_writes().into_iter().map(|c| c.func).collect();
    assert_eq!(
        writes,
        ["runningoperation.edit"],
        "only the error is recorded"
    );
    let errorxml = world
        .db
        .running_operation(ro)
        .expect("ro")
        .and_then(|r| r.errorxml)
        .unwrap_or_default();
    assert!(errorxml.contains("no_switch_ports"), "{errorxml}");
}

#[test]
fn suspend_dry_run_prints_the_steps_and_changes_nothing() {
    let (world, item) = opened_world("suspend_dry_run", ACTIVE);
    let run = world.run(&[
        "--command",
        "suspend",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    let els = elements(&run.stdout).expect("XML");
    let steps: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "step")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        steps,
        ["disable switch ports 11", "report the service suspended"]
    );
    assert!(
        els.iter()
            .any(|e| e.name == "server" && e.attr("name") == Some("srv-1"))
    );
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
}

#[test]
fn resume_enables_the_ports_powers_on_and_reports() {
    let (world, item) = opened_world("resume", SUSPENDED);
    world.edit_server(1, |s| {
        s["power_status"] = json!("off");
        s["switch_connection"][0]["admin_status"] = json!("down");
    });
    run(&world, "resume", item, None).assert_ok();
    assert_eq!(
        world.dci_change_lines(),
        [
            "POST /api/dci/v3/server/1/switch_connection/11 {\"admin_status\":\"up\"}",
            "POST /api/dci/v3/server/1/power_on {}",
        ]
    );
    assert_eq!(world.server(1)["power_status"], "on");
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
}

#[test]
fn resume_dry_run_changes_nothing() {
    let (world, item) = opened_world("resume_dry_run", SUSPENDED);
    world.edit_server(1, |s| s["power_status"] = json!("off"));
    let run = world.run(&[
        "--command",
        "resume",
        "--item",
        &item.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("<step>power on</step>"), "{run:#?}");
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
}

#[test]
fn reboot_resets_the_power_and_reports() {
    let (world, item) = opened_world("reboot", ACTIVE);
    run(&world, "reboot", item, None).assert_ok();
    assert_eq!(
        world.dci_change_lines(),
        ["POST /api/dci/v3/server/1/power_reset {}"]
    );
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.postreboot")
            .expect("calls")
            .len(),
        1
    );
}

#[test]
fn reboot_during_an_install_fails_naming_the_operation() {
    let world = World::with_operation_duration(
        "reboot_busy",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
        &[],
        std::time::Duration::from_secs(30),
    );
    let item = world.opened(1, ACTIVE);
    world.edit_server(1, |s| {
        s["operation"] = json!({"id": 90, "type": "os_install", "status": "running"})
    });
    let run = run(&world, "reboot", item, None);
    assert_eq!(run.error_type(), "dci_api");
    assert!(
        run.error_value().contains("operation 90 is running"),
        "{run:#?}"
    );
    assert!(
        world
            .root
            .mgrctl_calls_of("service.postreboot")
            .expect("calls")
            .is_empty()
    );
}

#[test]
fn commands_on_a_server_that_is_not_the_item_s_are_refused_with_a_task() {
    let (world, item) = opened_world("guard", ACTIVE);
    // The notes name another item: the same customer may hold several servers.
    world.edit_server(1, |s| s["notes"] = json!("billmgr-item:999"));
    // (resume of an active service has nothing to do: the action table stops it first)
    for command in ["suspend", "reboot"] {
        let ro = world
            .db
            .add_running_operation(item)
            .expect("running operation");
        let run = run(&world, command, item, Some(ro));
        assert_eq!(run.error_type(), "not_owner", "{command}");
        assert!(
            run.error_value().contains("name item 999, not item"),
            "{command}: {run:#?}"
        );
        let row = world
            .db
            .running_operation(ro)
            .expect("ro")
            .expect("still there");
        assert!(row.manual, "{command}: retrying cannot help");
    }
    // Another customer's server.
    world.edit_server(1, |s| s["notes"] = json!(format!("billmgr-item:{item}")));
    world.set_owner(1, Some(RIVAL_USER));
    let run = run(&world, "suspend", item, None);
    assert_eq!(run.error_type(), "not_owner");
    assert!(run.error_value().contains("rival@example.com"), "{run:#?}");
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(
        tasks[0]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("suspend of item")
    );
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
}

#[test]
fn an_active_item_without_a_server_cannot_be_suspended() {
    use mysql::prelude::Queryable;
    let world = World::new(
        "suspend_no_server",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[]);
    world
        .db
        .conn()
        .exec_drop("UPDATE item SET status = ? WHERE id = ?", (ACTIVE, item))
        .expect("active");
    let run = run(&world, "suspend", item, None);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("holds no server"), "{run:#?}");
    assert_eq!(world.db.item_status(item).expect("status"), ACTIVE);
}

#[test]
fn a_saved_server_gone_from_dcimanager_is_named() {
    let (world, item) = opened_world("suspend_gone", ACTIVE);
    world.set_item_param(item, "serverid", "99");
    // Staff moved the service: the server carrying the item's mark is the one acted on.
    run(&world, "reboot", item, None).assert_ok();
    assert!(
        world
            .sim
            .requests()
            .iter()
            .any(|r| r.path == "/api/dci/v3/server/1/power_reset")
    );
    // Nothing carries the mark: the missing server is named.
    world.edit_server(1, |s| s["notes"] = json!(""));
    let run = run(&world, "reboot", item, None);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("server 99"), "{run:#?}");
    assert!(run.error_value().contains("no longer exists"), "{run:#?}");
}

#[test]
fn a_second_run_beside_a_running_one_changes_nothing() {
    let (world, item) = opened_world("suspend_locked", ACTIVE);
    let _held = world.hold_item_lock(item);
    let run = run(&world, "suspend", item, None);
    assert_eq!(run.error_type(), "busy");
    assert!(run.error_value().contains("another pmdci6 run"), "{run:#?}");
    assert!(world.sim.requests().is_empty());
}

#[test]
fn a_service_lives_from_open_to_close_and_its_server_is_sold_again() {
    let world = World::new(
        "whole_lifecycle",
        inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let status = || world.db.item_status(item).expect("status");
    run(&world, "open", item, None).assert_ok();
    assert_eq!(status(), ACTIVE);

    world.sim.clear_requests();
    run(&world, "sync_item", item, None).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "a fresh service needs nothing: {:?}",
        world.dci_change_lines()
    );

    run(&world, "suspend", item, None).assert_ok();
    run(&world, "sync_item", item, None).assert_ok();
    assert_eq!(
        (status(), world.server(1)["power_status"].clone()),
        (SUSPENDED, json!("off"))
    );
    assert_eq!(port_state(&world, 1, 11), "down");

    run(&world, "resume", item, None).assert_ok();
    run(&world, "reboot", item, None).assert_ok();
    assert_eq!(
        (status(), world.server(1)["power_status"].clone()),
        (ACTIVE, json!("on"))
    );
    assert_eq!(port_state(&world, 1, 11), "up");

    run(&world, "close", item, None).assert_ok();
    assert_eq!(status(), billmgr_stand_in::item_status::DELETED);
    let server = world.server(1);
    assert_eq!(
        (server["owner"].clone(), server["notes"].clone()),
        (json!(null), json!(""))
    );

    let next = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    run(&world, "open", next, None).assert_ok();
    assert_eq!(
        world.server(1)["notes"],
        format!("billmgr-item:{next}"),
        "back in stock, sold again"
    );
}

#[test]
fn the_item_lock_is_held_until_the_last_change() {
    let (world, item) = opened_world("suspend_lock_held", ACTIVE);
    // Login, the server read and the port change each take a second: the port change is
    // under way once two requests are answered.
    world.sim.inject(dci6_sim::Fault::Delay {
        duration: std::time::Duration::from_secs(2),
        count: 3,
    });
    let mut child = world
        .command(&["--command", "suspend", "--item", &item.to_string()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while world.sim.requests().len() < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the module made no requests"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(
            world
                .root
                .path()
                .join(format!("tmp/pmdci6-item-{item}.lock")),
        )
        .expect("lock file");
    let busy = matches!(lock.try_lock(), Err(std::fs::TryLockError::WouldBlock));
    let status = child.wait().expect("suspend ends");
    assert!(
        busy,
        "the item lock was free while suspend was changing the server"
    );
    assert!(status.success());
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
}

#[test]
fn a_suspended_service_is_not_rebooted() {
    let (world, item) = opened_world("reboot_suspended", SUSPENDED);
    let run = run(&world, "reboot", item, None);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("not active"), "{run:#?}");
    assert!(world.dci_changes().is_empty());
}
