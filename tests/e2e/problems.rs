//! BILLmanager's dashboard problem `processingmodule_connect`: registered once when DCImanager
//! cannot be reached or refuses the module's login, cleared when a later run gets in; the
//! running operation keeps its error.

use serde_json::json;

use crate::tune::{dead_url, set_module_url};
use crate::world::{ADMIN_EMAIL, FIXED_LABEL, World, customer_inventory, free_server};

fn sync(world: &World, item: u64, ro: u64) -> crate::world::Run {
    world.run(&[
        "--command",
        "sync_item",
        "--item",
        &item.to_string(),
        "--runningoperation",
        &ro.to_string(),
    ])
}

#[test]
fn an_unreachable_dcimanager_is_one_problem_cleared_when_it_answers_again() {
    let world = World::new(
        "problem_unreachable",
        customer_inventory(json!([free_server(2, 1, FIXED_LABEL)])),
    );
    let item = world.opened(2, billmgr_stand_in::item_status::ACTIVE);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let url = world.sim.base_url();
    set_module_url(&world, &dead_url());

    assert_eq!(sync(&world, item, ro).error_type(), "dci_unreachable");
    assert_eq!(sync(&world, item, ro).error_type(), "dci_unreachable");
    let problems = world.db.problems().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    let problem = &problems[0];
    assert_eq!(problem.name, "processingmodule_connect");
    assert_eq!(problem.object, world.module);
    assert_eq!(problem.level.as_deref(), Some("error"));
    assert_eq!(
        problem.params.get("pm_name").map(String::as_str),
        Some("DCImanager 6")
    );
    assert_eq!(problem.params.get("pm_id"), Some(&world.module.to_string()));
    assert!(
        problem
            .params
            .get("errormsg")
            .is_some_and(|m| m.contains("127.0.0.1")),
        "{problem:#?}"
    );
    assert!(!problem.resolved);
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("problems.register")
            .expect("calls")
            .len(),
        1,
        "registered once, not on every failing run"
    );
    // The running operation keeps its error as before.
    let errorxml = world
        .db
        .running_operation(ro)
        .expect("ro")
        .and_then(|r| r.errorxml)
        .unwrap_or_default();
    assert!(errorxml.contains("dci_unreachable"), "{errorxml}");

    // DCImanager is back: the next run clears the problem, and later runs leave it alone.
    set_module_url(&world, &url);
    world
        .run(&["--command", "sync_item", "--item", &item.to_string()])
        .assert_ok();
    assert!(world.db.problems().expect("problems")[0].resolved);
    world
        .run(&["--command", "sync_item", "--item", &item.to_string()])
        .assert_ok();
    assert_eq!(
        world
            .root
            .mgrctl_calls_of("problems.resolve")
            .expect("calls")
            .len(),
        1
    );

    // A new outage is a new registration.
    set_module_url(&world, &dead_url());
    assert_eq!(sync(&world, item, ro).error_type(), "dci_unreachable");
    let problems = world.db.problems().expect("problems");
    assert!(!problems[0].resolved, "{problems:#?}");
}

#[test]
fn a_refused_login_is_a_problem_of_that_module_and_typed_credentials_are_not() {
    let world = World::new(
        "problem_login",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let url = world.sim.base_url();
    let wrong = world
        .db
        .add_module(
            "DCImanager 6 (old password)",
            &[("url", &url), ("username", ADMIN_EMAIL), ("location", "1")],
            &[("password", "an-old-password")],
        )
        .expect("module");
    let run = world.run(&[
        "--command",
        "get_server_config",
        "--module",
        &wrong.to_string(),
    ]);
    assert_eq!(run.error_type(), "invalid_login_or_passwd");
    let problems = world.db.problems().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert_eq!(problems[0].object, wrong);
    assert_eq!(
        problems[0].params.get("pm_name").map(String::as_str),
        Some("DCImanager 6 (old password)")
    );
    assert!(
        !world.db.problems().expect("problems")[0]
            .params
            .values()
            .any(|v| v.contains("an-old-password"))
    );

    // check_connection tests what the administrator typed: no problem for any module.
    let form = format!(
        "<doc><processingmodule><url>{url}</url><username>{ADMIN_EMAIL}</username>\
         <password>typo</password><location>1</location></processingmodule></doc>"
    );
    assert_eq!(
        world
            .run_with_stdin(&["--command", "check_connection"], &form)
            .error_type(),
        "invalid_login_or_passwd"
    );
    assert_eq!(world.db.problems().expect("problems").len(), 1);
}
