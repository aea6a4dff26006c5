//! Log levels as COREmanager reads `etc/debug.conf`: `pmdci6 N`, `pmdci6.* N`,
//! `pmdci6.<part> N` and `* N`, the most specific line winning; other lines ignored.

use serde_json::json;

use crate::world::{FIXED_LABEL, World, customer_inventory, free_server};

/// The log lines one Config run writes with `conf` as `etc/debug.conf`. Config reaches every
/// part: BILLmanager's database and mgrctl, DCImanager, and the command itself.
fn log_with(world: &World, conf: &str) -> String {
    std::fs::write(world.root.path().join("etc/debug.conf"), conf).expect("debug.conf");
    let before = world.log().len();
    world
        .run(&[
            "--command",
            "get_server_config",
            "--module",
            &world.module.to_string(),
        ])
        .assert_ok();
    world.log()[before..].to_string()
}

struct Seen {
    /// The command's own lines (module level).
    command_info: bool,
    /// DCImanager's calls (part `dci`, info).
    dci_info: bool,
    /// mgrctl's answers (part `mgrctl`, debug).
    mgrctl_debug: bool,
    /// The database connection (part `db`, debug).
    db_debug: bool,
    /// What Config adds (part `plan`, info).
    plan_info: bool,
}

fn seen(log: &str) -> Seen {
    let has = |level: &str, text: &str| {
        log.lines()
            .any(|l| l.contains(&format!(" pmdci6 {level} ")) && l.contains(text))
    };
    Seen {
        command_info: has("INFO", "get_server_config started"),
        dci_info: has("INFO", "DCImanager GET"),
        mgrctl_debug: has("DEBUG", "mgrctl processing.setconfig answer"),
        db_debug: has("DEBUG", "connected to database"),
        plan_info: has("INFO", "adding ostempl value"),
    }
}

#[test]
fn every_debug_conf_form_sets_the_level() {
    let world = World::new(
        "debug_conf_forms",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let all = |log: &str| {
        let s = seen(log);
        s.command_info && s.dci_info && s.mgrctl_debug && s.db_debug
    };
    let none_below_warning = |log: &str| !log.contains(" INFO ") && !log.contains(" DEBUG ");

    // `pmdci6 N`, `pmdci6.* N` and `* N` (the web UI's "All modules") each turn on debug.
    for conf in ["pmdci6 9\n", "pmdci6.* 9\n", "* 9\n"] {
        let log = log_with(&world, conf);
        assert!(all(&log), "{conf:?}: {log}");
    }
    // The module's own line beats "All modules", in either order.
    for conf in ["* 9\npmdci6 4\n", "pmdci6.* 4\n* 9\n"] {
        let log = log_with(&world, conf);
        assert!(none_below_warning(&log), "{conf:?}: {log}");
    }

    // A part's line beats the module's: only DCImanager's calls at info.
    let log = log_with(&world, "pmdci6 4\npmdci6.dci 6\n");
    let s = seen(&log);
    assert!(
        s.dci_info && !s.command_info && !s.mgrctl_debug && !s.db_debug,
        "{log}"
    );
    // Only mgrctl at debug, the rest at the default (info).
    let log = log_with(&world, "pmdci6.mgrctl 9\n");
    let s = seen(&log);
    assert!(
        s.mgrctl_debug && s.command_info && s.dci_info && !s.db_debug,
        "{log}"
    );
    // Only the database at debug; DCImanager quietened below the module's level.
    let log = log_with(&world, "pmdci6.db 9\npmdci6.dci 4\n");
    let s = seen(&log);
    assert!(
        s.db_debug && s.command_info && !s.dci_info && !s.mgrctl_debug,
        "{log}"
    );
}

#[test]
fn the_plan_part_is_what_the_commands_decide_and_do() {
    let world = World::new(
        "debug_conf_plan",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    // The first Config adds the OS templates: those lines alone at info.
    let log = log_with(&world, "pmdci6 4\npmdci6.plan 6\n");
    let s = seen(&log);
    assert!(s.plan_info && !s.command_info && !s.dci_info, "{log}");
}

#[test]
fn debug_conf_lines_it_cannot_read_are_ignored() {
    let world = World::new(
        "debug_conf_ignored",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    // Other programs, SET lines, comments, a missing or non-numeric level: the default, 6.
    let log = log_with(
        &world,
        "billmgr 9\nbillmgr.* 9\nSET logsize 9\n# pmdci6 9\npmdci6\npmdci6 nine\npmdci6x 9\n",
    );
    let s = seen(&log);
    assert!(
        s.command_info && s.dci_info && !s.mgrctl_debug && !s.db_debug,
        "{log}"
    );
    // A part the module does not have is ignored, with a warning naming the parts it has.
    let log = log_with(&world, "pmdci6.dcii 9\n");
    assert!(
        log.contains("WARNING etc/debug.conf: 'pmdci6.dcii 9' names no part of pmdci6 (parts: dci, mgrctl, db, plan)"),
        "{log}"
    );
    assert!(!seen(&log).mgrctl_debug, "{log}");
}
