//! The processing-module protocol and `check_connection`, run as BILLmanager runs them.

use dci6_sim::Fault;
use serde_json::json;

use crate::world::{ADMIN_EMAIL, ADMIN_PASSWORD, World, inventory};
use crate::xml::elements;

fn empty_world(name: &str) -> World {
    World::new(name, inventory(json!([])))
}

fn form(world: &World, url: &str, password: &str, location: &str) -> String {
    format!(
        "<doc><processingmodule><id>{}</id><url>{url}</url><username>{ADMIN_EMAIL}</username>\
         <password>{password}</password><location>{location}</location></processingmodule></doc>",
        world.module
    )
}

#[test]
fn features_declare_itemtype_params_and_implemented_commands() {
    let world = empty_world("features");
    let run = world.run(&["--command", "features"]);
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert!(
        els.iter()
            .any(|e| e.path == "/doc/itemtypes/itemtype" && e.attr("name") == Some("dedic"))
    );
    let params: Vec<_> = els
        .iter()
        .filter(|e| e.path == "/doc/params/param")
        .collect();
    for name in [
        "url",
        "username",
        "password",
        "location",
        "allow_closest",
        "ignore_errors",
        "tls_ca",
        "tls_insecure",
        "poll_interval",
        "poll_timeout",
    ] {
        assert!(
            params.iter().any(|p| p.attr("name") == Some(name)),
            "param {name}"
        );
    }
    let password = params
        .iter()
        .find(|p| p.attr("name") == Some("password"))
        .expect("password");
    assert_eq!(password.attr("crypted"), Some("yes"));
    assert!(
        params
            .iter()
            .filter(|p| p.attr("name") != Some("password"))
            .all(|p| p.attr("crypted").is_none())
    );
    // Every declared feature is a command the binary runs: none of them is "unknown".
    let features: Vec<String> = els
        .iter()
        .filter(|e| e.path == "/doc/features/feature")
        .filter_map(|e| e.attr("name").map(String::from))
        .collect();
    assert!(features.contains(&"check_connection".to_string()));
    assert!(features.contains(&"pricelist_dynamic_settings".to_string()));
    // `pricelist_dynamic_settings` is a switch, not a command; every other one runs.
    for feature in features
        .iter()
        .filter(|f| *f != "pricelist_dynamic_settings")
    {
        let run = world.run(&[
            "--command",
            feature,
            "--item",
            "999999",
            "--module",
            "999999",
            "--dry-run",
        ]);
        assert!(
            !run.stdout.contains("unknown command"),
            "{feature}: {run:#?}"
        );
    }
}

#[test]
fn version_is_printed_on_stdout_without_touching_the_log() {
    let world = empty_world("version");
    let run = world.run(&["--version"]);
    run.assert_ok();
    // `pmdci6 0.1.0` from cargo, `pmdci6 0.1.0-1` (the package version) from
    // scripts/build-static, which the tests run when PMDCI6_BINARY names it.
    let version = run.stdout.trim_end();
    let cargo = format!("pmdci6 {}", env!("CARGO_PKG_VERSION"));
    assert!(
        version == cargo || version.starts_with(&format!("{cargo}-")),
        "{run:#?}"
    );
    assert_eq!(run.stderr, "");
    assert_eq!(world.root.module_log(), "", "--version wrote the log");
}

#[test]
fn unknown_options_are_ignored() {
    let world = empty_world("unknown_options");
    let run = world.run(&[
        "--newoption",
        "x",
        "--command",
        "features",
        "--tld",
        "ru",
        "--flag-without-value",
    ]);
    run.assert_ok();
    assert!(run.stdout.contains("<itemtype name=\"dedic\"/>"));
}

#[test]
fn unknown_command_is_error_xml_and_exit_1() {
    let world = empty_world("unknown_command");
    let run = world.run(&["--command", "frobnicate"]);
    assert_eq!(run.error_type(), "usage");
    assert!(run.error_value().contains("frobnicate"));
    assert!(world.log().contains("frobnicate"), "log: {}", world.log());
}

#[test]
fn missing_item_is_a_usage_error() {
    let world = empty_world("missing_item");
    let run = world.run(&["--command", "open"]);
    assert_eq!(run.error_type(), "usage");
    assert!(run.error_value().contains("--item"));
}

#[test]
fn check_connection_good() {
    let world = empty_world("check_good");
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "1"),
    );
    run.assert_ok();
    assert!(
        elements(&run.stdout)
            .expect("xml")
            .iter()
            .all(|e| e.name == "doc")
    );
    assert!(
        world
            .sim
            .requests()
            .iter()
            .any(|r| r.path == "/api/dci/v3/location/1" && r.status == 200)
    );
}

#[test]
fn check_connection_wrong_password() {
    let world = empty_world("check_password");
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), "wrong-pass", "1"),
    );
    assert_eq!(run.error_type(), "invalid_login_or_passwd");
    assert!(!run.stdout.contains("wrong-pass"));
    assert!(!world.log().contains("wrong-pass"), "password in the log");
}

#[test]
fn check_connection_unreachable_host() {
    let world = empty_world("check_unreachable");
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(
            &world,
            &format!("http://127.0.0.1:{port}"),
            ADMIN_PASSWORD,
            "1",
        ),
    );
    assert_eq!(run.error_type(), "dci_unreachable");
}

#[test]
fn check_connection_bad_url() {
    let world = empty_world("check_bad_url");
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, "ftp://dci.example.com", ADMIN_PASSWORD, "1"),
    );
    assert_eq!(run.error_type(), "bad_url");
}

#[test]
fn check_connection_unknown_location() {
    let world = empty_world("check_location");
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "77"),
    );
    assert_eq!(run.error_type(), "unknown_location");
    assert!(run.error_value().contains("77"));
}

#[test]
fn check_connection_survives_three_503() {
    let world = empty_world("check_503");
    world.sim.inject(Fault::Unavailable { count: 3 });
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "1"),
    );
    run.assert_ok();
    assert_eq!(
        world
            .sim
            .requests()
            .iter()
            .filter(|r| r.status == 503)
            .count(),
        3
    );
}

#[test]
fn check_connection_logs_in_again_after_an_expired_token() {
    let world = empty_world("check_expired");
    // The login succeeds, then every token expires before the location is read.
    world.sim.inject(Fault::Delay {
        duration: std::time::Duration::from_millis(1),
        count: 1,
    });
    world.sim.inject(Fault::ExpireTokens);
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "1"),
    );
    run.assert_ok();
    let requests = world.sim.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path == "/api/auth/v4/public/token")
            .count(),
        2,
        "{requests:#?}"
    );
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/api/dci/v3/location/1" && r.status == 401)
    );
}

#[test]
fn check_connection_malformed_json() {
    let world = empty_world("check_malformed");
    world.sim.inject(Fault::Delay {
        duration: std::time::Duration::from_millis(1),
        count: 1,
    });
    world.sim.inject(Fault::MalformedBody { count: 1 });
    let run = world.run_with_stdin(
        &["--command", "check_connection"],
        &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "1"),
    );
    assert_eq!(run.error_type(), "dci_bad_response");
}

#[test]
fn check_connection_with_garbage_on_stdin() {
    let world = empty_world("check_garbage");
    let run = world.run_with_stdin(&["--command", "check_connection"], "this is not a form");
    assert_eq!(run.error_type(), "usage");
}

#[test]
fn log_is_written_at_the_configured_level_without_secrets() {
    let world = empty_world("log_level");
    world.root.set_debug_level(9).expect("debug.conf");
    world
        .run_with_stdin(
            &["--command", "check_connection"],
            &form(&world, &world.sim.base_url(), ADMIN_PASSWORD, "1"),
        )
        .assert_ok();
    let debug_log = world.log();
    assert!(
        debug_log.contains(" pmdci6 DEBUG "),
        "no debug lines at level 9: {debug_log}"
    );
    assert!(
        debug_log.contains("/api/dci/v3/location/1"),
        "DCImanager calls not logged: {debug_log}"
    );
    assert!(!debug_log.contains(ADMIN_PASSWORD), "password in the log");
    // No session token (32 hex characters) appears in the log.
    assert!(
        !debug_log
            .split(|c: char| !c.is_ascii_hexdigit())
            .any(|w| w.len() == 32),
        "token in the log: {debug_log}"
    );

    world.root.set_debug_level(4).expect("debug.conf");
    let before = world.log().len();
    world.run(&["--command", "features"]).assert_ok();
    let quiet = &world.log()[before..];
    assert!(
        !quiet.contains(" INFO ") && !quiet.contains(" DEBUG "),
        "level 4 wrote info/debug: {quiet}"
    );
}
