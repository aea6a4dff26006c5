//! `get_suitable_module`: of the processing modules selling a tariff (one per location), the
//! answer puts the locations with a server for the order first, then those not judged, then
//! those needing a build, and leaves out the rest; nothing changes anywhere.

use serde_json::json;

use crate::world::{ADMIN_PASSWORD, FIXED_LABEL, World, free_server, inventory};
use crate::xml::elements;

/// A server of location 2 (rack F01).
fn frankfurt_server(id: u64, configuration: &str) -> serde_json::Value {
    let mut server = free_server(id, 3, configuration);
    server["location_id"] = json!(2);
    server
}

/// Another pmdci6 module of the world's BILLmanager, at `url`, selling from `location`.
fn module(world: &World, name: &str, url: &str, location: &str, extra: &[(&str, &str)]) -> u64 {
    let mut params = vec![
        ("url", url),
        ("username", crate::world::ADMIN_EMAIL),
        ("location", location),
    ];
    params.extend_from_slice(extra);
    world
        .db
        .add_module(name, &params, &[("password", ADMIN_PASSWORD)])
        .expect("module")
}

fn ask(world: &World, stdin: &str) -> crate::world::Run {
    world.run_with_stdin(&["--command", "get_suitable_module"], stdin)
}

fn answer(run: &crate::world::Run) -> Vec<u64> {
    run.assert_ok();
    elements(&run.stdout)
        .expect("well-formed")
        .iter()
        .filter(|e| e.path == "/doc/modules/module")
        .map(|e| e.attr("id").expect("id").parse().expect("an id"))
        .collect()
}

#[test]
fn the_location_with_stock_comes_first_an_unreachable_one_is_kept_an_empty_one_left_out() {
    let world = World::new(
        "suitable_modules",
        inventory(json!([
            // Amsterdam: only a smaller server, so a build.
            free_server(1, 2, "i9-9900K-32Gb-1x1024NVMe"),
            // Frankfurt: the ordered configuration.
            frankfurt_server(2, FIXED_LABEL),
        ])),
    );
    let url = world.sim.base_url();
    let amsterdam = world.module;
    let frankfurt = module(&world, "Frankfurt", &url, "2", &[]);
    let unreachable = module(&world, "Down", "http://127.0.0.1:9", "1", &[]);
    let no_builds = module(
        &world,
        "Amsterdam, no builds",
        &url,
        "1",
        &[("allow_closest", "off")],
    );
    let other_tariff_only = module(&world, "Elsewhere", &url, "2", &[]);
    let tariff = world.db.add_tariff(FIXED_LABEL, &[]).expect("tariff");
    // BILLmanager would try Amsterdam first, then the unreachable one, then Frankfurt.
    for (priority, module) in [
        (1, amsterdam),
        (2, unreachable),
        (3, frankfurt),
        (4, no_builds),
    ] {
        world.db.bind_tariff(module, tariff).expect("bind");
        world
            .db
            .set_module_priority(module, priority)
            .expect("priority");
    }
    let stdin = format!("<doc><item><pricelist>{tariff}</pricelist></item><skip_modules/></doc>");
    let run = ask(&world, &stdin);
    assert_eq!(answer(&run), vec![frankfurt, unreachable, amsterdam]);
    assert!(!answer(&run).contains(&other_tariff_only));
    let log = world.root.module_log();
    assert!(
        log.contains(&format!(
            "processing module {no_builds}: no server for the order; left out"
        )),
        "{log}"
    );
    assert!(
        log.contains(&format!("processing module {unreachable}: not judged")),
        "{log}"
    );
    // One listing of the servers per judged module (three reach the simulator), nothing changed.
    let listings = world
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/api/dci/v3/server")
        .count();
    assert_eq!(listings, 3);
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());

    // A module BILLmanager has tried already is skipped.
    let stdin = format!(
        "<doc><item><pricelist>{tariff}</pricelist></item><skip_modules>{frankfurt},{unreachable}</skip_modules></doc>"
    );
    assert_eq!(answer(&ask(&world, &stdin)), vec![amsterdam]);
}

#[test]
fn a_manual_tariff_is_judged_from_its_item_and_kept_whole_without_one() {
    let world = World::new(
        "suitable_manual",
        inventory(json!([frankfurt_server(2, "E5-2620-128Gb-2x1024NVMe")])),
    );
    let url = world.sim.base_url();
    let amsterdam = world.module;
    world
        .db
        .set_module_priority(amsterdam, 1)
        .expect("priority");
    let frankfurt = module(&world, "Frankfurt", &url, "2", &[]);
    world
        .db
        .set_module_priority(frankfurt, 2)
        .expect("priority");
    let item = world.order_for(
        crate::world::CUSTOMER,
        "manual",
        &[billmgr_stand_in::AddonSpec::integer("ram", "gb")],
        &[("ram", "96")],
        &[("ostempl", "Debian-12")],
    );
    let tariff = world.db.item(item).expect("item").pricelist;
    for module in [amsterdam, frankfurt] {
        world.db.bind_tariff(module, tariff).expect("bind");
    }
    // Amsterdam has no server at all; Frankfurt has one with 128 GB for the 96 GB ordered.
    let with_item =
        format!("<doc><item><id>{item}</id><pricelist>{tariff}</pricelist></item></doc>");
    assert_eq!(answer(&ask(&world, &with_item)), vec![frankfurt]);
    let without = format!("<doc><item><pricelist>{tariff}</pricelist></item></doc>");
    assert_eq!(answer(&ask(&world, &without)), vec![amsterdam, frankfurt]);
}

#[test]
fn an_order_that_is_not_xml_or_names_no_tariff_is_a_usage_error() {
    let world = World::new("suitable_bad_input", inventory(json!([])));
    assert_eq!(ask(&world, "pricelist=3").error_type(), "usage");
    assert_eq!(ask(&world, "<doc><item/></doc>").error_type(), "usage");
    assert_eq!(
        ask(&world, "<doc><item><pricelist>x</pricelist></item></doc>").error_type(),
        "usage"
    );
}
