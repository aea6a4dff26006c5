//! The module against both dialects of the simulator, changed only by the contract file: a
//! service's whole life (exact open, sync_item, suspend, resume, reboot, close with the wipe,
//! the server sold again) and a closest-match open; and probe of each dialect with its own file
//! and with the other's.

use billmgr_stand_in::item_status::{ACTIVE, DELETED, SUSPENDED};
use dci6_sim::Dialect;
use serde_json::json;

use crate::world::{FIXED_LABEL, PLATFORM_CONTRACT, Run, World, free_server, inventory};
use crate::xml::elements;

fn run(world: &World, command: &str, item: u64) -> Run {
    world.run(&["--command", command, "--item", &item.to_string()])
}

fn port(world: &World) -> String {
    world.server(1)["switch_connection"]
        .as_array()
        .and_then(|ports| ports.iter().find(|p| p["id"] == json!(11)))
        .and_then(|p| p["admin_status"].as_str())
        .unwrap_or_default()
        .to_owned()
}

fn whole_life(dialect: Dialect) {
    let world = World::in_dialect(
        &format!("dialect_life_{dialect}"),
        inventory(json!([free_server(1, 1, FIXED_LABEL)])),
        dialect,
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let status = || world.db.item_status(item).expect("status");
    run(&world, "open", item).assert_ok();
    assert_eq!(status(), ACTIVE, "{}", world.log());
    let server = world.server(1);
    assert_eq!(server["notes"], json!(format!("billmgr-item:{item}")));
    assert!(!server["ip"].as_array().expect("ip").is_empty());
    assert_eq!(server["os_template"]["id"], json!(4));

    world.sim.clear_requests();
    run(&world, "sync_item", item).assert_ok();
    assert!(
        world.dci_changes().is_empty(),
        "{:?}",
        world.dci_change_lines()
    );

    run(&world, "suspend", item).assert_ok();
    assert_eq!((status(), port(&world)), (SUSPENDED, "down".to_owned()));
    run(&world, "resume", item).assert_ok();
    run(&world, "reboot", item).assert_ok();
    assert_eq!(
        (
            status(),
            port(&world),
            world.server(1)["power_status"].clone()
        ),
        (ACTIVE, "up".to_owned(), json!("on"))
    );

    world.sim.clear_requests();
    run(&world, "close", item).assert_ok();
    assert_eq!(status(), DELETED);
    let server = world.server(1);
    assert_eq!(
        (server["owner"].clone(), server["notes"].clone()),
        (json!(null), json!(""))
    );
    assert!(server["ip"].as_array().expect("ip").is_empty());
    assert!(
        world
            .sim
            .requests()
            .iter()
            .any(|r| r.path.ends_with("/diagnostics")
                && r.body
                    .as_ref()
                    .is_some_and(|b| b["disk_cleanup"] == json!(true))),
        "the wipe ran"
    );

    let next = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    run(&world, "open", next).assert_ok();
    assert_eq!(
        world.server(1)["notes"],
        json!(format!("billmgr-item:{next}"))
    );
}

#[test]
fn a_whole_life_in_the_default_dialect() {
    whole_life(Dialect::Default);
}

#[test]
fn a_whole_life_in_the_platform_dialect_with_its_contract_file() {
    whole_life(Dialect::Platform);
}

fn closest(dialect: Dialect) {
    let world = World::in_dialect(
        &format!("dialect_closest_{dialect}"),
        inventory(json!([free_server(1, 1, "i9-9900K-32Gb-1x1024NVMe")])),
        dialect,
    );
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    // Reserved for a build: the server held by the item, staff asked to build it, no address
    // nor install before the build.
    run(&world, "open", item).assert_ok();
    let server = world.server(1);
    assert_eq!(server["notes"], json!(format!("billmgr-item:{item}")));
    assert!(server["ip"].as_array().expect("ip").is_empty());
    let tasks = world.tasks_of(item);
    assert_eq!(tasks.len(), 1);
    assert!(
        tasks[0]
            .params
            .as_deref()
            .unwrap_or_default()
            .contains("srv-1")
    );
    assert_eq!(world.item_param(item, "serverid").as_deref(), Some("1"));
}

#[test]
fn closest_match_in_both_dialects() {
    closest(Dialect::Default);
    closest(Dialect::Platform);
}

fn probe(world: &World, extra: &[&str]) -> Run {
    let module = world.module.to_string();
    let args = [&["--command", "probe", "--module", &module][..], extra].concat();
    world.run(&args)
}

/// The entries a probe run found to differ.
fn differing(run: &Run) -> Vec<String> {
    elements(&run.stdout)
        .unwrap_or_else(|e| panic!("{e}: {run:#?}"))
        .into_iter()
        .filter(|e| e.name == "entry" && e.attr("verdict") == Some("differs"))
        .map(|e| format!("{} {}", e.attr("name").unwrap_or_default(), e.text))
        .collect()
}

fn only_reads(world: &World) {
    let changes: Vec<String> = world
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && !r.path.contains("/api/auth/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(changes.is_empty(), "probe changed DCImanager: {changes:?}");
}

fn probe_world(dialect: Dialect) -> World {
    let mut opened = free_server(1, 1, FIXED_LABEL);
    opened["operation"] = json!({"id": 7, "type": "os_install", "status": "ok"});
    World::in_dialect(
        &format!("dialect_probe_{dialect}"),
        inventory(json!([opened, free_server(2, 2, FIXED_LABEL)])),
        dialect,
    )
}

#[test]
fn probe_holds_for_each_dialect_with_its_own_file() {
    for dialect in [Dialect::Default, Dialect::Platform] {
        let world = probe_world(dialect);
        let run = probe(&world, &[]);
        assert_eq!(run.code, 0, "{dialect}: {:?}\n{run:#?}", differing(&run));
        assert!(differing(&run).is_empty());
        only_reads(&world);
        let swagger = world.root.path().join("swagger.json");
        std::fs::write(&swagger, world.sim.openapi().to_string()).expect("swagger");
        let run = probe(&world, &["--swagger", &swagger.to_string_lossy()]);
        assert_eq!(run.code, 0, "{dialect} with swagger: {:?}", differing(&run));
        only_reads(&world);
        let text = probe(&world, &["--format", "text"]);
        assert!(text.stdout.contains("holds"), "{text:#?}");
        assert!(text.stdout.contains("0 differ"), "{text:#?}");
    }
}

#[test]
fn probe_names_each_differing_entry_with_the_other_dialect_s_file() {
    // The platform's installation, the built-in (default) contract.
    let world = probe_world(Dialect::Platform);
    world.use_contract("");
    let run = probe(&world, &[]);
    assert_eq!(run.code, 1, "{run:#?}");
    let found = differing(&run).join("\n");
    for entry in [
        "answers.server.notes",
        "words.operation_status",
        "answers.os_template.access",
    ] {
        assert!(found.contains(entry), "{entry} not named:\n{found}");
    }
    only_reads(&world);
    let swagger = world.root.path().join("swagger.json");
    std::fs::write(&swagger, world.sim.openapi().to_string()).expect("swagger");
    let run = probe(&world, &["--swagger", &swagger.to_string_lossy()]);
    let found = differing(&run).join("\n");
    for entry in [
        "requests.os_install (swagger)",
        "requests.set_owner (swagger)",
        "requests.remove_ip (swagger)",
    ] {
        assert!(found.contains(entry), "{entry} not named:\n{found}");
    }
    // The default installation, the platform's file.
    let world = probe_world(Dialect::Default);
    world.use_contract(PLATFORM_CONTRACT);
    let run = probe(&world, &[]);
    assert_eq!(run.code, 1, "{run:#?}");
    let found = differing(&run).join("\n");
    assert!(found.contains("answers.server.notes"), "{found}");
    assert!(found.contains("words.operation_status"), "{found}");
    only_reads(&world);
}

#[test]
fn probe_with_a_swagger_document_it_cannot_use_fails_before_any_request() {
    let world = probe_world(Dialect::Default);
    let missing = world.root.path().join("no-such-swagger.json");
    let run = probe(&world, &["--swagger", &missing.to_string_lossy()]);
    assert_eq!(run.error_type(), "usage", "{run:#?}");
    let garbage = world.root.path().join("swagger.html");
    std::fs::write(&garbage, "<html>login</html>").expect("file");
    let run = probe(&world, &["--swagger", &garbage.to_string_lossy()]);
    assert_eq!(run.error_type(), "usage", "{run:#?}");
    assert!(run.error_value().contains("not JSON"), "{run:#?}");
    assert!(
        world.sim.requests().is_empty(),
        "{:?}",
        world.sim.requests()
    );
}
