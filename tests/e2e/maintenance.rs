//! BILLmanager's maintenance mode (`etc/billmgr.DoNothing`): the service commands wait, every
//! other command answers as usual.

use serde_json::json;

use crate::world::{
    ADMIN_EMAIL, ADMIN_PASSWORD, FIXED_LABEL, World, customer_inventory, free_server,
};
use crate::xml::elements;

fn maintenance_world(name: &str) -> (World, u64) {
    let world = World::new(
        name,
        customer_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL)
        ])),
    );
    let item = world.opened(2, billmgr_stand_in::item_status::ACTIVE);
    world.root.set_do_nothing(true).expect("DoNothing");
    (world, item)
}

#[test]
fn service_commands_do_nothing_in_maintenance() {
    let (world, active) = maintenance_world("maintenance_service");
    let order = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let (order_id, order, active) = (order, order.to_string(), active.to_string());
    let before = world.root.mgrctl_calls().expect("calls").len();
    for (command, item) in [
        ("open", &order),
        ("suspend", &active),
        ("resume", &active),
        ("close", &active),
        ("sync_item", &active),
        ("reboot", &active),
    ] {
        let run = world.run(&[
            "--command",
            command,
            "--item",
            item,
            "--runningoperation",
            "3",
        ]);
        assert_eq!(run.code, 0, "{command}: {run:#?}");
        assert!(run.stdout.is_empty(), "{command}: {run:#?}");
        assert!(
            world.log().contains(&format!("{command} for item {item}, running operation 3 skipped: BILLmanager is in maintenance")),
            "{command}: {}",
            world.log()
        );
    }
    assert!(
        world.sim.requests().is_empty(),
        "{:#?}",
        world.sim.requests()
    );
    assert_eq!(world.root.mgrctl_calls().expect("calls").len(), before);
    assert_eq!(world.item_param(order_id, "serverid"), None);

    // Once maintenance is over the same command acts.
    world.root.set_do_nothing(false).expect("DoNothing off");
    world
        .run(&["--command", "sync_item", "--item", &active])
        .assert_ok();
    assert!(!world.sim.requests().is_empty());
}

#[test]
fn features_forms_and_administrator_commands_answer_in_maintenance() {
    let (world, active) = maintenance_world("maintenance_answers");
    let module = world.module.to_string();

    let features = world.run(&["--command", "features"]);
    features.assert_ok();
    let els = elements(&features.stdout).expect("features XML");
    assert!(
        els.iter()
            .any(|e| e.path == "/doc/features/feature" && e.attr("name") == Some("open")),
        "{features:#?}"
    );

    let form = format!(
        "<doc><processingmodule><id>{module}</id><url>{}</url><username>{ADMIN_EMAIL}</username>\
         <password>{ADMIN_PASSWORD}</password><location>1</location></processingmodule></doc>",
        world.sim.base_url()
    );
    world
        .run_with_stdin(&["--command", "check_connection"], &form)
        .assert_ok();
    let wizard = world.run_with_stdin(&["--command", "tune_connection"], &form);
    wizard.assert_ok();
    assert!(
        wizard.stdout.contains("<slist name=\"location\">"),
        "{wizard:#?}"
    );

    world
        .run(&["--command", "get_server_config", "--module", &module])
        .assert_ok();
    assert!(
        world
            .db
            .module_config(world.module)
            .expect("config")
            .is_some(),
        "Config stored nothing in maintenance"
    );
    let tariff = world.run_with_stdin(
        &[
            "--command",
            "pricelist_dynamic_settings_tune",
            "--module",
            &module,
            "--itemtype",
            "dedic",
        ],
        "<doc><configuration>manual</configuration></doc>",
    );
    tariff.assert_ok();
    assert!(
        tariff.stdout.contains("<slist name=\"configuration\">"),
        "{tariff:#?}"
    );
    // The customer's panel login is not a change to the service: it answers too.
    let panel = world.run(&[
        "--command",
        "transition_controlpanel",
        "--item",
        &active.to_string(),
    ]);
    panel.assert_ok();
    assert!(panel.stdout.contains("<url>"), "{panel:#?}");
    let report = world.run(&["--command", "report", "--module", &module]);
    report.assert_ok();
    assert!(report.stdout.contains("<stock"), "{report:#?}");
}
