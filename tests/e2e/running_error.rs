//! The error kept on BILLmanager's running operation, in the shape ISPsystem's base writes it:
//! the processing module that failed, when, the error, and the run's last log lines.

use serde_json::json;

use crate::world::{ADMIN_PASSWORD, FIXED_LABEL, World, free_server, inventory};
use crate::xml::elements;

fn stored_error(world: &World, ro: u64) -> String {
    world
        .db
        .running_operation(ro)
        .expect("running operation")
        .and_then(|r| r.errorxml)
        .expect("errorxml stored")
}

fn is_date_time(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.len() == 19
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            10 => *b == b' ',
            13 | 16 => *b == b':',
            _ => b.is_ascii_digit(),
        })
}

#[test]
fn running_operation_error_names_the_module_and_carries_the_log_tail() {
    let world = World::with_module_params(
        "running_error_shape",
        inventory(json!([free_server(1, 1, "E5-2620-64Gb-2x1024NVMe")])),
        &[("allow_closest", "off")],
    );
    world.root.set_debug_level(9).expect("debug.conf");
    let item = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let run = world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--runningoperation",
        &ro.to_string(),
    ]);
    assert_eq!(run.error_type(), "no_server");
    // stdout keeps the protocol's plain error document.
    let out = elements(&run.stdout).expect("stdout XML");
    assert!(out.iter().any(|e| e.path == "/doc/error"), "{run:#?}");

    let stored = stored_error(&world, ro);
    let els = elements(&stored).unwrap_or_else(|e| panic!("{e}: {stored}"));
    let module = els
        .iter()
        .find(|e| e.path == "/doc/processingmodule")
        .unwrap_or_else(|| panic!("no processingmodule: {stored}"));
    assert_eq!(module.attr("id"), Some(world.module.to_string().as_str()));
    assert_eq!(module.attr("name"), Some("DCImanager 6"));
    assert!(
        is_date_time(module.attr("date").unwrap_or_default()),
        "{stored}"
    );
    let error = els
        .iter()
        .find(|e| e.path == "/doc/processingmodule/error")
        .unwrap_or_else(|| panic!("no error: {stored}"));
    assert_eq!(error.attr("type"), Some("no_server"));
    assert_eq!(error.attr("object"), Some(format!("item {item}").as_str()));
    assert_eq!(error.attr("value"), Some(run.error_value().as_str()));
    assert!(
        els.iter()
            .any(|e| e.path == "/doc/processingmodule/error/param"
                && e.attr("name") == Some("value"))
    );
    let log = &els
        .iter()
        .find(|e| e.path == "/doc/processingmodule/error/log")
        .unwrap_or_else(|| panic!("no log: {stored}"))
        .text;
    assert!(
        log.contains(&format!("open started for item {item}")),
        "{log}"
    );
    assert!(
        log.contains("/api/dci/v3/server"),
        "DCImanager calls at level 9: {log}"
    );
    assert!(log.contains("open failed (no_server)"), "{log}");
    assert!(
        !stored.contains(ADMIN_PASSWORD),
        "password in the stored error"
    );
    assert!(
        !log.split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() == 32),
        "token in the stored error: {log}"
    );
    // Only this run's lines: a second run's error does not carry the first one's.
    let second = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    world.run(&[
        "--command",
        "open",
        "--item",
        &item.to_string(),
        "--runningoperation",
        &second.to_string(),
    ]);
    let again = stored_error(&world, second);
    assert_eq!(again.matches("open started for item").count(), 1, "{again}");
}

#[test]
fn an_error_before_the_module_is_known_names_the_binary() {
    let world = World::new("running_error_no_module", inventory(json!([])));
    let item = world.order(FIXED_LABEL, &[]);
    let ro = world
        .db
        .add_running_operation(item)
        .expect("running operation");
    let run = world.run(&[
        "--command",
        "suspend",
        "--item",
        "4242",
        "--runningoperation",
        &ro.to_string(),
    ]);
    assert_eq!(run.error_type(), "item");
    let stored = stored_error(&world, ro);
    let els = elements(&stored).unwrap_or_else(|e| panic!("{e}: {stored}"));
    let module = els
        .iter()
        .find(|e| e.path == "/doc/processingmodule")
        .unwrap_or_else(|| panic!("no processingmodule: {stored}"));
    assert_eq!(module.attr("name"), Some("pmdci6"));
    assert_eq!(module.attr("id"), None);
    assert!(stored.contains("item 4242 does not exist"), "{stored}");
}
