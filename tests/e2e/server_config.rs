//! get_server_config / sync_server: configurations into the module's config, OS templates and
//! scripts with access "all" into the `dedic` params, vanished values detached.

use mysql::prelude::Queryable;
use serde_json::json;

use crate::world::{FIXED_LABEL, World, customer_inventory, free_server};
use crate::xml::elements;

const OTHER_LABEL: &str = "E5-2620-64Gb-2x1024NVMe";

fn config_world(name: &str) -> World {
    let world = World::new(
        name,
        customer_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL),
            free_server(3, 2, OTHER_LABEL),
            free_server(4, 2, "")
        ])),
    );
    // Server 2 is sold.
    world.opened(2, billmgr_stand_in::item_status::ACTIVE);
    world
}

/// Names of the values of `param` bound to `module`, and of those bound to none.
fn values(world: &World, param: &str) -> (Vec<String>, Vec<String>) {
    let rows = world
        .db
        .itemtype_param_values("dedic", param)
        .expect("values");
    let bound = rows
        .iter()
        .filter(|v| v.modules.contains(&world.module))
        .map(|v| v.intname.clone())
        .collect();
    let unbound = rows
        .iter()
        .filter(|v| v.modules.is_empty())
        .map(|v| v.intname.clone())
        .collect();
    (bound, unbound)
}

#[test]
fn configurations_templates_and_scripts_are_pulled_in_and_vanished_values_detached() {
    let world = config_world("config_sync");
    let other_module = world
        .db
        .add_module("another DCImanager", &[], &[])
        .expect("module");
    world
        .db
        .add_itemtype_param_value("dedic", "ostempl", "CentOS-7", Some(world.module))
        .expect("value");
    world
        .db
        .add_itemtype_param_value("dedic", "ostempl", "FreeBSD-14", Some(other_module))
        .expect("value");
    world
        .db
        .add_itemtype_param_value("dedic", "recipe", "old-script", Some(world.module))
        .expect("value");
    let module = world.module.to_string();

    world
        .run(&["--command", "get_server_config", "--module", &module])
        .assert_ok();

    let config = world
        .db
        .module_config(world.module)
        .expect("config")
        .expect("stored");
    let els = elements(&config).expect("config is XML");
    let options: Vec<(String, Option<String>)> = els
        .iter()
        .filter(|e| e.path == "/doc/slist/msg")
        .map(|e| {
            (
                e.attr("key").unwrap_or_default().to_string(),
                e.attr("free").map(String::from),
            )
        })
        .collect();
    assert_eq!(
        options,
        [
            ("manual".to_string(), None),
            (OTHER_LABEL.to_string(), Some("1".to_string())),
            (FIXED_LABEL.to_string(), Some("1".to_string())),
        ]
    );
    assert!(
        config.contains(&format!("{FIXED_LABEL} (1 free)")),
        "{config}"
    );

    let (templates, detached_templates) = values(&world, "ostempl");
    assert_eq!(templates, ["Debian-12"], "access all, this location only");
    assert_eq!(
        detached_templates,
        ["CentOS-7"],
        "detached, kept for existing services"
    );
    let freebsd = world
        .db
        .itemtype_param_values("dedic", "ostempl")
        .expect("values");
    assert!(
        freebsd
            .iter()
            .any(|v| v.intname == "FreeBSD-14" && v.modules == [other_module]),
        "another module's value is not touched"
    );
    let (scripts, detached_scripts) = values(&world, "recipe");
    assert_eq!(scripts, ["install-docker"]);
    assert_eq!(detached_scripts, ["old-script"]);
    let added = world
        .root
        .last_call_params("itemtype.param.value.sync")
        .expect("sync call");
    assert_eq!(
        added.get("disablepricelists").map(String::as_str),
        Some("on")
    );

    // Run again (the other command of the same button): nothing left to add or detach.
    let before = world.billing_writes().len();
    world
        .run(&["--command", "sync_server", "--module", &module])
        .assert_ok();
    let writes: Vec<String> = world
        .billing_writes()
        .into_iter()
        .skip(before)
        .map(|c| c.func)
        .collect();
    assert_eq!(writes, ["processing.setconfig"]);
}

#[test]
fn config_dry_run_shows_what_would_change_and_writes_nothing() {
    let world = config_world("config_dry_run");
    let stale = world
        .db
        .add_itemtype_param_value("dedic", "ostempl", "CentOS-7", Some(world.module))
        .expect("value");
    let run = world.run(&[
        "--command",
        "sync_server",
        "--module",
        &world.module.to_string(),
        "--dry-run",
    ]);
    run.assert_ok();
    let els = elements(&run.stdout).expect("XML");
    let of = |name: &str| -> Vec<String> {
        els.iter()
            .filter(|e| e.name == name)
            .map(|e| e.text.clone())
            .collect()
    };
    assert_eq!(of("add"), ["Debian-12", "install-docker"]);
    assert_eq!(of("detach"), ["CentOS-7"]);
    assert!(
        els.iter()
            .any(|e| e.name == "detach" && e.attr("id") == Some(&stale.to_string()))
    );
    assert!(
        els.iter()
            .any(|e| e.path == "/doc/config/slist/msg" && e.attr("key") == Some(FIXED_LABEL))
    );
    assert!(world.billing_writes().is_empty());
}

#[test]
fn config_of_another_module_s_binary_is_refused() {
    let world = config_world("config_foreign");
    let foreign = world.db.add_module("VMmanager", &[], &[]).expect("module");
    world
        .db
        .conn()
        .exec_drop(
            "UPDATE processingmodule SET module = 'pmvmmgr6' WHERE id = ?",
            (foreign,),
        )
        .expect("module binary");
    let run = world.run(&[
        "--command",
        "get_server_config",
        "--module",
        &foreign.to_string(),
    ]);
    assert_eq!(run.error_type(), "module_config");
    assert!(run.error_value().contains("not by pmdci6"), "{run:#?}");
    assert!(world.sim.requests().is_empty());
}

#[test]
fn a_refused_config_store_is_an_error() {
    let world = config_world("config_refused");
    world.root.fail_next("processing.setconfig").expect("fault");
    let run = world.run(&[
        "--command",
        "get_server_config",
        "--module",
        &world.module.to_string(),
    ]);
    assert_eq!(run.error_type(), "mgrctl");
    assert!(
        run.error_value().contains("processing.setconfig"),
        "{run:#?}"
    );
    assert!(
        world
            .root
            .mgrctl_calls_of("itemtype.param.value.sync")
            .expect("calls")
            .is_empty()
    );
}
