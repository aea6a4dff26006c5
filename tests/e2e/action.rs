//! The action table (README "What each command does to an item"), cell by cell, with the real
//! binary: a refusal or "nothing to do" changes nothing in DCImanager (the simulator's request
//! log) or in BILLmanager (item, params, tasks, callbacks), and a refusal is error XML, exit 1,
//! stored on the running operation; an "act" cell gets past the table (its dry run plans).

use billmgr_stand_in::item_status::{ACTIVE, DELETED, ORDERED, PROCESSING, SUSPENDED};
use mysql::prelude::Queryable;
use serde_json::json;

use crate::world::{ADMIN_PASSWORD, FIXED_LABEL, Run, World, customer_inventory, free_server};
use crate::xml::elements;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    Act,
    Nothing,
    Refuse,
}

const COMMANDS: [&str; 8] = [
    "open",
    "suspend",
    "resume",
    "close",
    "sync_item",
    "reboot",
    "transition_controlpanel",
    "setparam",
];

/// README's table: ordered, processing, active, suspended, deleted, unknown (9).
fn expected(command: &str) -> [Cell; 6] {
    use Cell::*;
    match command {
        "open" => [Act, Act, Nothing, Refuse, Refuse, Refuse],
        "suspend" => [Refuse, Refuse, Act, Nothing, Refuse, Refuse],
        "resume" => [Refuse, Refuse, Nothing, Act, Refuse, Refuse],
        "close" | "sync_item" => [Act, Act, Act, Act, Nothing, Refuse],
        "reboot" | "transition_controlpanel" => [Refuse, Refuse, Act, Refuse, Refuse, Refuse],
        "setparam" => [Nothing, Nothing, Act, Act, Refuse, Refuse],
        other => panic!("no row for {other}"),
    }
}

const STATUSES: [i32; 6] = [ORDERED, PROCESSING, ACTIVE, SUSPENDED, DELETED, 9];

/// What BILLmanager holds of the item, to prove a run changed nothing there.
fn billing_state(world: &World, item: u64) -> String {
    format!(
        "{:?} {:?} {:?} {:?}",
        world.db.item_status(item).expect("status"),
        world.db.item_params(item).expect("params"),
        world.db.item_crypted_params(item).expect("crypted"),
        world.tasks_of(item).len()
    )
}

/// The checks every refused or "nothing to do" run must pass.
#[track_caller]
fn assert_unchanged(world: &World, item: u64, before: &str, run: &Run) {
    assert!(
        world.dci_changes().is_empty(),
        "DCImanager was changed: {:?}\n{run:#?}",
        world.dci_change_lines()
    );
    assert_eq!(
        billing_state(world, item),
        before,
        "BILLmanager changed: {run:#?}"
    );
    let writes: Vec<_> = world
        .billing_writes()
        .into_iter()
        .filter(|c| c.func != "runningoperation.edit")
        .map(|c| c.func)
        .collect();
    assert!(writes.is_empty(), "mgrctl writes {writes:?}: {run:#?}");
    assert!(
        !world.log().contains(ADMIN_PASSWORD),
        "the password is in the log"
    );
}

/// Runs `command` on `item` with a running operation and checks the cell's verdict.
#[track_caller]
fn check_cell(world: &World, item: u64, command: &str, cell: Cell) {
    let before = billing_state(world, item);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let (item_arg, ro_arg) = (item.to_string(), ro.to_string());
    let args = [
        "--command",
        command,
        "--item",
        &item_arg,
        "--runningoperation",
        &ro_arg,
    ];
    match cell {
        Cell::Refuse => {
            let run = world.run(&args);
            assert_eq!(run.error_type(), "item", "{command}: {run:#?}");
            assert!(
                run.error_value().contains(&format!("item {item}")),
                "{run:#?}"
            );
            assert_unchanged(world, item, &before, &run);
            let stored = world
                .db
                .running_operation(ro)
                .expect("row")
                .and_then(|r| r.errorxml)
                .unwrap_or_default();
            assert!(stored.contains("type=\"item\""), "{command}: {stored}");
            let dry = world.run(&[&args[..], &["--dry-run"]].concat());
            if command != "transition_controlpanel" {
                assert_eq!(dry.error_type(), "item", "dry run of {command}: {dry:#?}");
            }
        }
        Cell::Nothing => {
            let run = world.run(&args);
            run.assert_ok();
            assert!(run.stdout.trim().is_empty(), "{run:#?}");
            assert_unchanged(world, item, &before, &run);
            assert!(world.log().contains("has nothing to do"), "{}", world.log());
            let dry = world.run(&[&args[..], &["--dry-run"]].concat());
            dry.assert_ok();
            let els = elements(&dry.stdout).expect("XML");
            let plan = els.iter().find(|e| e.name == "plan").expect("a plan");
            assert_eq!(plan.attr("verdict"), Some("nothing"), "{dry:#?}");
        }
        Cell::Act => {
            if command == "transition_controlpanel" {
                world.run(&args).assert_ok();
            } else {
                let dry = world.run(&[&args[..], &["--dry-run"]].concat());
                assert!(
                    !dry.stdout.contains("type=\"item\"") && !dry.stdout.contains("verdict="),
                    "{command} must act: {dry:#?}"
                );
            }
        }
    }
}

fn status_world(name: &str, status: i32) -> (World, u64) {
    let world = World::new(
        name,
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.opened(1, status);
    world.sim.clear_requests();
    (world, item)
}

/// One test per status column: every command of the table on an item in that status.
fn column(name: &str, index: usize) {
    for command in COMMANDS {
        let (world, item) = status_world(&format!("{name}_{command}"), STATUSES[index]);
        check_cell(&world, item, command, expected(command)[index]);
    }
}

#[test]
fn table_ordered() {
    column("tbl_ordered", 0);
}

#[test]
fn table_processing() {
    column("tbl_processing", 1);
}

#[test]
fn table_active() {
    column("tbl_active", 2);
}

#[test]
fn table_suspended() {
    column("tbl_suspended", 3);
}

#[test]
fn table_deleted() {
    column("tbl_deleted", 4);
}

#[test]
fn table_unknown_status() {
    column("tbl_unknown", 5);
}

#[test]
fn every_command_refuses_an_item_of_another_product_type() {
    for command in COMMANDS {
        let (world, item) = status_world(&format!("tbl_vds_{command}"), PROCESSING);
        let mut conn = world.db.conn();
        conn.exec_drop("INSERT IGNORE INTO itemtype (intname) VALUES ('vds')", ())
            .expect("vds type");
        conn.exec_drop(
            "UPDATE pricelist SET itemtype = (SELECT id FROM itemtype WHERE intname = 'vds')
             WHERE id = (SELECT pricelist FROM item WHERE id = ?)",
            (item,),
        )
        .expect("a VPS tariff");
        drop(conn);
        check_cell(&world, item, command, Cell::Refuse);
        let run = world.run(&["--command", command, "--item", &item.to_string()]);
        assert!(run.error_value().contains("'vds'"), "{run:#?}");
    }
}

#[test]
fn every_command_refuses_an_item_of_another_module() {
    for command in COMMANDS {
        let (world, item) = status_world(&format!("tbl_foreign_{command}"), ACTIVE);
        world
            .db
            .conn()
            .exec_drop(
                "UPDATE processingmodule SET module = 'pmother' WHERE id = ?",
                (world.module,),
            )
            .expect("another module");
        check_cell(&world, item, command, Cell::Refuse);
    }
}

#[test]
fn open_of_a_suspended_service_without_install_record_never_installs() {
    let (world, item) = status_world("tbl_suspended_no_install", SUSPENDED);
    world
        .db
        .conn()
        .exec_drop(
            "DELETE FROM itemparam WHERE item = ? AND intname = 'install_operation'",
            (item,),
        )
        .expect("no install record");
    world.edit_server(1, |s| {
        for port in s["switch_connection"].as_array_mut().expect("ports") {
            if port["is_ipmi_connection"] != json!(true) {
                port["admin_status"] = json!("down");
            }
        }
    });
    let run = world.run(&["--command", "open", "--item", &item.to_string()]);
    assert_eq!(run.error_type(), "item");
    assert_eq!(
        run.error_value(),
        format!("item {item} is suspended: resume it, do not open it")
    );
    let installs: Vec<_> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path.contains("os_install") || r.method != "GET")
        .filter(|r| !r.path.starts_with("/api/auth/"))
        .collect();
    assert!(installs.is_empty(), "{installs:?}");
    assert_eq!(world.server(1)["power_status"], json!("on"));
    assert_eq!(world.db.item_status(item).expect("status"), SUSPENDED);
}

#[test]
fn open_of_a_deleted_item_claims_nothing() {
    let world = World::new(
        "tbl_deleted_open",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    world
        .db
        .conn()
        .exec_drop("UPDATE item SET status = ? WHERE id = ?", (DELETED, item))
        .expect("deleted");
    let before = billing_state(&world, item);
    let run = world.run(&["--command", "open", "--item", &item.to_string()]);
    assert_eq!(run.error_type(), "item");
    assert!(run.error_value().contains("is deleted"), "{run:#?}");
    assert_unchanged(&world, item, &before, &run);
    assert!(world.sim.requests().is_empty(), "not even a read");
    assert_eq!(world.server(1)["owner"], json!(null));
}
