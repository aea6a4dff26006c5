//! `stat`: DCImanager's daily traffic of each live service's data ports into BILLmanager's
//! `itemstat`, each day's difference added once, then `service.poststat`.

use std::time::SystemTime;

use billmgr_stand_in::AddonSpec;
use billmgr_stand_in::item_status::{ACTIVE, DELETED, SUSPENDED};
use dci6_sim::{Dialect, Rewrite};
use mysql::prelude::Queryable;
use serde_json::json;

use crate::world::{FIXED_LABEL, Run, World, customer_inventory, free_server};

const GIB: u64 = 1024 * 1024 * 1024;

fn day(offset: i64) -> String {
    let days = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        / 86_400
        + offset;
    // Howard Hinnant's civil_from_days, as the module's calendar does it.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn traffic_addon() -> AddonSpec {
    AddonSpec::stat("traffic", "gb", 0)
}

/// Two servers (1 and 2, data ports 11 and 21, IPMI ports 12 and 22), a service on each; the
/// first opened yesterday.
fn metered_world(name: &str, dialect: Dialect) -> (World, u64, u64) {
    let world = World::in_dialect(
        name,
        customer_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL)
        ])),
        dialect,
    );
    let first = world.opened_with(1, ACTIVE, &[traffic_addon()]);
    let second = world.opened_with(2, SUSPENDED, &[traffic_addon()]);
    world
        .db
        .conn()
        .exec_drop(
            "UPDATE item SET opendate = ? WHERE id = ?",
            (day(-1), first),
        )
        .expect("opendate");
    (world, first, second)
}

fn stat(world: &World, extra: &[&str]) -> Run {
    let module = world.module.to_string();
    world.run(&[&["--command", "stat", "--module", &module][..], extra].concat())
}

fn stats(world: &World, item: u64) -> Vec<(String, String, f64, Option<String>)> {
    world.db.item_stats(item).expect("itemstat")
}

#[test]
fn each_day_s_traffic_is_added_once_and_grows_by_its_difference() {
    let (world, first, second) = metered_world("stat_days", Dialect::Default);
    world.sim.add_traffic(1, 11, &day(-1), GIB, 2 * GIB);
    world.sim.add_traffic(1, 11, &day(0), GIB / 2, 0);
    world.sim.add_traffic(1, 12, &day(0), 40 * GIB, 40 * GIB); // IPMI: never billed
    world.sim.add_traffic(2, 21, &day(0), GIB, GIB);
    world.sim.add_traffic(3, 31, &day(0), 9 * GIB, 0); // no service of the module
    stat(&world, &[]).assert_ok();
    let gb = Some("gb".to_owned());
    assert_eq!(
        stats(&world, first),
        [
            (day(-1), "traffic".to_owned(), 3.0, gb.clone()),
            (day(0), "traffic".to_owned(), 0.5, gb.clone()),
        ]
    );
    // The suspended service is billed too; it opened today (no opendate: today only).
    assert_eq!(
        stats(&world, second),
        [(day(0), "traffic".to_owned(), 2.0, gb.clone())]
    );
    let poststat = world
        .root
        .mgrctl_calls_of("service.poststat")
        .expect("calls");
    assert_eq!(poststat.len(), 1);
    assert_eq!(
        world
            .root
            .last_call_params("service.poststat")
            .expect("params"),
        [
            ("date".to_owned(), day(0)),
            ("elid".to_owned(), world.module.to_string())
        ]
        .into_iter()
        .collect()
    );

    // Again with nothing new: nothing added.
    stat(&world, &[]).assert_ok();
    assert_eq!(stats(&world, first)[1].2, 0.5);
    // Today grew: only the growth is added, yesterday stays.
    world.sim.add_traffic(1, 11, &day(0), 0, GIB / 4);
    stat(&world, &[]).assert_ok();
    assert_eq!(
        stats(&world, first)
            .iter()
            .map(|(_, _, value, _)| *value)
            .collect::<Vec<_>>(),
        [3.0, 0.75]
    );
    // Only one listing of the traffic per run, never a call per server.
    let listings = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.path == "/api/dci/v3/server/traffic")
        .count();
    assert_eq!(listings, 3, "one per run");
}

#[test]
fn deleted_services_and_services_without_a_traffic_add_on_are_left_alone() {
    let world = World::new(
        "stat_left_alone",
        customer_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL)
        ])),
    );
    let plain = world.opened(1, ACTIVE);
    let deleted = world.opened_with(2, DELETED, &[traffic_addon()]);
    // A VPS item of the same module with a traffic add-on and server 1 in its params.
    let vps = world.opened_with(1, ACTIVE, &[traffic_addon()]);
    let mut conn = world.db.conn();
    conn.exec_drop("INSERT IGNORE INTO itemtype (intname) VALUES ('vds')", ())
        .expect("vds");
    conn.exec_drop(
        "UPDATE pricelist SET itemtype = (SELECT id FROM itemtype WHERE intname = 'vds')
         WHERE id = (SELECT pricelist FROM item WHERE id = ?)",
        (vps,),
    )
    .expect("a VPS tariff");
    drop(conn);
    world.sim.add_traffic(1, 11, &day(0), GIB, GIB);
    world.sim.add_traffic(2, 21, &day(0), GIB, GIB);
    stat(&world, &[]).assert_ok();
    assert!(stats(&world, plain).is_empty());
    assert!(stats(&world, deleted).is_empty());
    assert!(
        stats(&world, vps).is_empty(),
        "another product type is never measured"
    );
    // Nothing to measure: DCImanager is not even asked for traffic, BILLmanager still told.
    assert!(
        !world
            .sim
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/traffic"))
    );
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("service.poststat")
            .expect("calls")
            .len(),
        1
    );
}

#[test]
fn the_dry_run_shows_the_rows_and_writes_nothing() {
    let (world, first, _) = metered_world("stat_dry", Dialect::Default);
    world.sim.add_traffic(1, 11, &day(0), GIB, GIB);
    let run = stat(&world, &["--dry-run"]);
    run.assert_ok();
    assert!(
        run.stdout.contains(&format!("item=\"{first}\"")) && run.stdout.contains("add=\"2\""),
        "{run:#?}"
    );
    assert!(stats(&world, first).is_empty());
    assert!(
        world
            .root
            .mgrctl_calls_of("service.poststat")
            .expect("calls")
            .is_empty()
    );
}

#[test]
fn the_platform_dialect_is_measured_the_same() {
    let (world, first, _) = metered_world("stat_platform", Dialect::Platform);
    world.sim.add_traffic(1, 11, &day(0), GIB, GIB);
    stat(&world, &[]).assert_ok();
    assert_eq!(stats(&world, first).last().map(|s| s.2), Some(2.0));
}

#[test]
fn dcimanager_unreachable_writes_nothing_and_reports_no_statistics() {
    let (world, first, _) = metered_world("stat_unreachable", Dialect::Default);
    world
        .db
        .conn()
        .exec_drop(
            "UPDATE processingparam SET value = 'http://127.0.0.1:9' WHERE processingmodule = ? AND intname = 'url'",
            (world.module,),
        )
        .expect("url");
    let run = stat(&world, &[]);
    assert_eq!(run.error_type(), "dci_unreachable");
    assert!(stats(&world, first).is_empty());
    assert!(
        world
            .root
            .mgrctl_calls_of("service.poststat")
            .expect("calls")
            .is_empty()
    );
}

#[test]
fn a_count_dcimanager_does_not_give_is_never_read_as_zero() {
    let (world, first, second) = metered_world("stat_unknown", Dialect::Default);
    world.sim.add_traffic(1, 11, &day(0), GIB, GIB);
    world.sim.rewrite(Rewrite {
        path_prefix: "/api/dci/v3/server/traffic".into(),
        field: "tx_bytes".into(),
        value: None,
    });
    let run = stat(&world, &[]);
    assert_eq!(run.error_type(), "item");
    assert!(
        run.error_value().contains(&format!("item {first}")),
        "{run:#?}"
    );
    assert!(stats(&world, first).is_empty());
    // The other service had no traffic row at all: nothing to add, and it was not refused.
    assert!(stats(&world, second).is_empty());
    assert!(
        !run.error_value().contains(&format!("item {second}")),
        "{run:#?}"
    );
}

#[test]
fn maintenance_mode_pauses_stat() {
    let (world, first, _) = metered_world("stat_maintenance", Dialect::Default);
    world.sim.add_traffic(1, 11, &day(0), GIB, GIB);
    world.root.set_do_nothing(true).expect("DoNothing");
    stat(&world, &[]).assert_ok();
    assert!(stats(&world, first).is_empty());
    assert!(world.sim.requests().is_empty());
}
