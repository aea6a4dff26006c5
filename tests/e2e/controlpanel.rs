//! transition_controlpanel: the customer's one-click login URL, whose key really logs in.

use billmgr_stand_in::item_status::ACTIVE;
use serde_json::{Value, json};

use crate::world::{CUSTOMER, FIXED_LABEL, World, customer_inventory, free_server, inventory};
use crate::xml::elements;

#[test]
fn the_customer_gets_a_key_login_url_that_works_once() {
    let world = World::new(
        "controlpanel",
        customer_inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.opened(1, ACTIVE);
    let run = world.run(&[
        "--command",
        "transition_controlpanel",
        "--item",
        &item.to_string(),
    ]);
    run.assert_ok();
    let els = elements(&run.stdout).expect("XML");
    let text = |path: &str| {
        els.iter()
            .find(|e| e.path == path)
            .map(|e| e.text.clone())
            .unwrap_or_default()
    };
    assert_eq!(text("/doc/panelcount"), "1");
    let panel = els
        .iter()
        .find(|e| e.path == "/doc/panelname")
        .expect("panelname");
    assert_eq!(panel.text, "DCImanager 6");
    assert_eq!(panel.attr("keyname"), Some("pmdci6"));
    let url = text("/doc/url");
    let prefix = format!("{}/auth/key-v4/", world.sim.base_url());
    let key = url
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{url} does not start with {prefix}"));
    assert!(!key.is_empty());
    assert!(!world.log().contains(key), "the key is a secret");
    assert!(
        world
            .sim
            .requests()
            .iter()
            .any(|r| r.method == "POST" && r.path == format!("/api/auth/v4/user/{CUSTOMER}/key")),
        "{:?}",
        world.sim.requests()
    );

    // The customer's browser redeems the key: a session of the customer's user.
    let redeem = |key: &str| {
        ureq::post(&format!("{}/api/auth/v4/public/key", world.sim.base_url()))
            .header("isp-box-instance", "true")
            .config()
            .http_status_as_error(false)
            .build()
            .send_json(json!({"key": key}))
            .expect("key login answered")
    };
    let mut answer = redeem(key);
    assert_eq!(answer.status(), 200);
    let body: Value = answer.body_mut().read_json().expect("JSON");
    assert!(
        body["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    assert_ne!(redeem(key).status(), 200, "a key works once");
}

#[test]
fn a_customer_without_a_dcimanager_user_is_told_to_open_first() {
    let world = World::new(
        "controlpanel_no_user",
        inventory(json!([free_server(1, 1, FIXED_LABEL)])),
    );
    let item = world.order(FIXED_LABEL, &[]);
    let login = || {
        world.run(&[
            "--command",
            "transition_controlpanel",
            "--item",
            &item.to_string(),
        ])
    };
    let run = login();
    assert_eq!(run.error_type(), "item");
    assert!(
        run.error_value().contains("is processing: not active"),
        "{run:#?}"
    );
    assert!(
        world.sim.requests().is_empty(),
        "no key for a service not open"
    );

    {
        use mysql::prelude::Queryable;
        world
            .db
            .conn()
            .exec_drop("UPDATE item SET status = 2 WHERE id = ?", (item,))
            .expect("active");
    }
    let run = login();
    assert_eq!(run.error_type(), "item");
    assert!(
        run.error_value().contains("has no DCImanager user yet"),
        "{run:#?}"
    );
}
