//! The form tuners BILLmanager runs while an administrator edits a form: the tariff's
//! Configuration select (`pricelist_dynamic_settings_tune`) and the connection wizard
//! (`tune_connection`). Each answer is the form sent, every field kept, with the select filled.

use mysql::prelude::Queryable;
use serde_json::json;

use crate::world::{FIXED_LABEL, World, customer_inventory, free_server};
use crate::xml::{El, elements};

const OTHER_LABEL: &str = "E5-2620-64Gb-2x1024NVMe";

/// Location 1 holds two servers of [`FIXED_LABEL`] (one sold) and one of [`OTHER_LABEL`];
/// location 2 holds one more free [`OTHER_LABEL`] that the module (location 1) must not count.
fn stock_world(name: &str) -> World {
    let mut elsewhere = free_server(5, 3, OTHER_LABEL);
    elsewhere["location_id"] = json!(2);
    let world = World::new(
        name,
        customer_inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL),
            free_server(3, 2, OTHER_LABEL),
            elsewhere
        ])),
    );
    world.opened(2, billmgr_stand_in::item_status::ACTIVE);
    world
}

/// A port nothing listens on.
pub fn dead_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Points the world's module at `url` (as if DCImanager moved or went down).
pub fn set_module_url(world: &World, url: &str) {
    world
        .db
        .conn()
        .exec_drop(
            "UPDATE processingparam SET value = ? WHERE processingmodule = ? AND intname = 'url'",
            (url, world.module),
        )
        .expect("module url");
}

fn tariff_form(configuration: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<doc><func>pricelist.edit</func><elid>7</elid>\
         <name>Dedicated &amp; fast</name><itemtype>dedic</itemtype>\
         <configuration>{configuration}</configuration><freedomain>srv-@ID@.example.com</freedomain></doc>"
    )
}

fn tune(world: &World, form: &str) -> crate::world::Run {
    world.run_with_stdin(
        &[
            "--command",
            "pricelist_dynamic_settings_tune",
            "--module",
            &world.module.to_string(),
            "--itemtype",
            "dedic",
        ],
        form,
    )
}

/// `(key, text)` of every option of the select `name`.
pub fn options(els: &[El], name: &str) -> Vec<(String, String)> {
    let slists = els
        .iter()
        .filter(|e| e.path == "/doc/slist" && e.attr("name") == Some(name))
        .count();
    assert_eq!(slists, 1, "one slist {name}: {els:#?}");
    els.iter()
        .filter(|e| e.path == "/doc/slist/msg")
        .map(|e| {
            (
                e.attr("key").unwrap_or_default().to_string(),
                e.text.clone(),
            )
        })
        .collect()
}

fn text_of(els: &[El], path: &str) -> Option<String> {
    els.iter().find(|e| e.path == path).map(|e| e.text.clone())
}

fn assert_fields_kept(els: &[El], configuration: &str) {
    assert_eq!(text_of(els, "/doc/func").as_deref(), Some("pricelist.edit"));
    assert_eq!(text_of(els, "/doc/elid").as_deref(), Some("7"));
    assert_eq!(
        text_of(els, "/doc/name").as_deref(),
        Some("Dedicated & fast")
    );
    assert_eq!(
        text_of(els, "/doc/freedomain").as_deref(),
        Some("srv-@ID@.example.com")
    );
    assert_eq!(
        text_of(els, "/doc/configuration").as_deref(),
        Some(configuration)
    );
}

#[test]
fn tariff_select_lists_the_location_s_configurations_live() {
    let world = stock_world("tune_tariff_live");
    let run = tune(&world, &tariff_form(FIXED_LABEL));
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_fields_kept(&els, FIXED_LABEL);
    assert_eq!(
        options(&els, "configuration"),
        [
            (
                "manual".to_string(),
                "manual: built from add-ons".to_string()
            ),
            (OTHER_LABEL.to_string(), format!("{OTHER_LABEL} (1 free)")),
            (FIXED_LABEL.to_string(), format!("{FIXED_LABEL} (1 free)")),
        ]
    );
    // Only reads: nothing written on either side.
    assert!(world.dci_changes().is_empty());
    assert!(world.billing_writes().is_empty());
}

#[test]
fn tariff_select_keeps_a_choice_dcimanager_no_longer_has() {
    let world = stock_world("tune_tariff_vanished");
    let run = tune(&world, &tariff_form("Xeon-Gone-8Gb-1x240SSD"));
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_fields_kept(&els, "Xeon-Gone-8Gb-1x240SSD");
    let options = options(&els, "configuration");
    assert_eq!(
        options.last(),
        Some(&(
            "Xeon-Gone-8Gb-1x240SSD".to_string(),
            "Xeon-Gone-8Gb-1x240SSD (not in DCImanager now)".to_string()
        ))
    );
    // A select sent with the form is replaced, not doubled.
    let with_old = tariff_form("manual").replace(
        "</doc>",
        "<slist name=\"configuration\"><msg key=\"stale\">stale</msg></slist></doc>",
    );
    let run = tune(&world, &with_old);
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert!(
        !self::options(&els, "configuration")
            .iter()
            .any(|(key, _)| key == "stale")
    );
}

#[test]
fn tariff_select_falls_back_to_what_config_stored() {
    let world = stock_world("tune_tariff_stored");
    world
        .run(&[
            "--command",
            "get_server_config",
            "--module",
            &world.module.to_string(),
        ])
        .assert_ok();
    set_module_url(&world, &dead_url());
    let run = tune(&world, &tariff_form(FIXED_LABEL));
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_fields_kept(&els, FIXED_LABEL);
    let keys: Vec<String> = options(&els, "configuration")
        .into_iter()
        .map(|(key, _)| key)
        .collect();
    assert_eq!(keys, ["manual", OTHER_LABEL, FIXED_LABEL]);
    let log = world.log();
    assert!(
        log.contains("WARNING the tariff form of module") && log.contains("Config stored last"),
        "{log}"
    );
}

#[test]
fn tariff_select_without_dcimanager_or_stored_config_says_to_run_config() {
    let world = stock_world("tune_tariff_none");
    set_module_url(&world, &dead_url());
    let run = tune(&world, &tariff_form(FIXED_LABEL));
    assert_eq!(run.error_type(), "module_config");
    assert!(run.error_value().contains("run Config"), "{run:#?}");
    assert!(
        run.error_value()
            .contains("could not be read from DCImanager"),
        "{run:#?}"
    );
}

#[test]
fn tariff_tune_refuses_what_is_not_a_form_or_not_dedic() {
    let world = stock_world("tune_tariff_bad");
    assert_eq!(tune(&world, "<doc><unclosed></doc>").error_type(), "usage");
    let run = world.run_with_stdin(
        &[
            "--command",
            "pricelist_dynamic_settings_tune",
            "--module",
            &world.module.to_string(),
            "--itemtype",
            "vds",
        ],
        &tariff_form(FIXED_LABEL),
    );
    assert_eq!(run.error_type(), "usage");
    assert!(run.error_value().contains("vds"), "{run:#?}");
}

/// The connection form as BILLmanager sends it to `tune_connection`: the fields under `doc`,
/// `func` naming the step, `elid` the module on the edit form.
fn connection_form(func: &str, elid: Option<u64>, url: &str, password: &str) -> String {
    let elid = elid
        .map(|id| format!("<elid>{id}</elid>"))
        .unwrap_or_default();
    format!(
        "<doc><func>{func}</func>{elid}<url>{url}</url><username>{}</username>\
         <password>{password}</password><location>1</location>\
         <allow_closest>on</allow_closest><poll_interval>30</poll_interval></doc>",
        crate::world::ADMIN_EMAIL
    )
}

fn tune_connection(world: &World, form: &str) -> crate::world::Run {
    world.run_with_stdin(&["--command", "tune_connection"], form)
}

fn assert_connection_fields_kept(els: &[El], func: &str, url: &str) {
    assert_eq!(text_of(els, "/doc/func").as_deref(), Some(func));
    assert_eq!(text_of(els, "/doc/url").as_deref(), Some(url));
    assert_eq!(
        text_of(els, "/doc/username").as_deref(),
        Some(crate::world::ADMIN_EMAIL)
    );
    assert_eq!(text_of(els, "/doc/location").as_deref(), Some("1"));
    assert_eq!(text_of(els, "/doc/allow_closest").as_deref(), Some("on"));
    assert_eq!(text_of(els, "/doc/poll_interval").as_deref(), Some("30"));
}

const AMS_FRA: [(&str, &str); 2] = [("1", "Amsterdam (id 1)"), ("2", "Frankfurt (id 2)")];

fn location_options(els: &[El]) -> Vec<(String, String)> {
    options(els, "location")
}

fn as_strings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn wizard_step_lists_the_locations_once_credentials_are_filled() {
    let world = stock_world("tune_conn_wizard");
    let url = world.sim.base_url();
    let run = tune_connection(
        &world,
        &connection_form(
            "processing.add.user",
            None,
            &url,
            crate::world::ADMIN_PASSWORD,
        ),
    );
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_connection_fields_kept(&els, "processing.add.user", &url);
    assert_eq!(location_options(&els), as_strings(&AMS_FRA));
    // The form goes back whole, its password field included, and nowhere else.
    assert_eq!(run.stdout.matches(crate::world::ADMIN_PASSWORD).count(), 1);
    assert!(!world.log().contains(crate::world::ADMIN_PASSWORD));

    // Nothing typed yet: the form comes back as it was, without asking DCImanager.
    let requests = world.sim.requests().len();
    let empty = "<doc><func>processing.add.user</func><url/><username/><password/></doc>";
    let run = tune_connection(&world, empty);
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_eq!(
        text_of(&els, "/doc/func").as_deref(),
        Some("processing.add.user")
    );
    assert!(els.iter().all(|e| e.name != "slist"), "{run:#?}");
    assert_eq!(world.sim.requests().len(), requests);
}

#[test]
fn wizard_step_rejects_what_check_connection_rejects() {
    let world = stock_world("tune_conn_wizard_bad");
    let url = world.sim.base_url();
    let wrong = tune_connection(
        &world,
        &connection_form("processing.add.user", None, &url, "wrong-pass"),
    );
    let checked = world.run_with_stdin(
        &["--command", "check_connection"],
        &connection_form("processing.add.user", None, &url, "wrong-pass"),
    );
    assert_eq!(wrong.error_type(), "invalid_login_or_passwd");
    assert_eq!(checked.error_type(), "invalid_login_or_passwd");
    assert_eq!(wrong.error_value(), checked.error_value());
    assert!(!wrong.stdout.contains("wrong-pass"));
    let down = tune_connection(
        &world,
        &connection_form(
            "processing.add.user",
            None,
            &dead_url(),
            crate::world::ADMIN_PASSWORD,
        ),
    );
    assert_eq!(down.error_type(), "dci_unreachable");
}

#[test]
fn edit_form_uses_the_stored_password_and_never_breaks() {
    let world = stock_world("tune_conn_edit");
    let url = world.sim.base_url();
    // BILLmanager does not send a private field back: the stored password logs in.
    let run = tune_connection(
        &world,
        &connection_form("processing.edit", Some(world.module), &url, ""),
    );
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert_connection_fields_kept(&els, "processing.edit", &url);
    assert_eq!(location_options(&els), as_strings(&AMS_FRA));
    assert!(!world.log().contains(crate::world::ADMIN_PASSWORD));

    // DCImanager down or the password wrong: the same form back, the reason in the log.
    let down = dead_url();
    for (url, password) in [(down.clone(), ""), (url.clone(), "wrong-pass")] {
        // The saved module's DCImanager is the one that is down.
        set_module_url(&world, &url);
        let form = connection_form("processing.edit", Some(world.module), &url, password);
        let run = tune_connection(&world, &form);
        run.assert_ok();
        let els = elements(&run.stdout).expect("well-formed");
        assert_connection_fields_kept(&els, "processing.edit", &url);
        assert!(els.iter().all(|e| e.name != "slist"), "{run:#?}");
        assert!(
            world.log().contains(
                "ERROR tune_connection (edit form): the locations of DCImanager could not be listed"
            ),
            "{}",
            world.log()
        );
    }
    assert_eq!(tune_connection(&world, "not a form").error_type(), "usage");

    // A URL typed but not saved never gets the stored password: no login is tried.
    let typed = url.replace("127.0.0.1", "localhost");
    assert_ne!(typed, url);
    world.sim.clear_requests();
    let run = tune_connection(
        &world,
        &connection_form("processing.edit", Some(world.module), &typed, ""),
    );
    run.assert_ok();
    let els = elements(&run.stdout).expect("well-formed");
    assert!(els.iter().all(|e| e.name != "slist"), "{run:#?}");
    assert!(
        world.sim.requests().is_empty(),
        "{:#?}",
        world.sim.requests()
    );
}

#[test]
fn tariff_tune_of_a_missing_or_foreign_module_is_refused() {
    let world = stock_world("tune_tariff_foreign");
    world
        .run(&[
            "--command",
            "get_server_config",
            "--module",
            &world.module.to_string(),
        ])
        .assert_ok();
    // Another binary's module, even with a config stored, gets no options from pmdci6.
    world
        .db
        .conn()
        .exec_drop(
            "UPDATE processingmodule SET module = 'pmvmmgr6' WHERE id = ?",
            (world.module,),
        )
        .expect("module binary");
    let run = tune(&world, &tariff_form(FIXED_LABEL));
    assert_eq!(run.error_type(), "module_config");
    assert!(run.error_value().contains("not by pmdci6"), "{run:#?}");
    let missing = world.run_with_stdin(
        &[
            "--command",
            "pricelist_dynamic_settings_tune",
            "--module",
            "424242",
            "--itemtype",
            "dedic",
        ],
        &tariff_form(FIXED_LABEL),
    );
    assert_eq!(missing.error_type(), "module_config");
    assert!(
        missing.error_value().contains("does not exist"),
        "{missing:#?}"
    );
}
