//! The tariff's default domain: an order without a domain gets the tariff's template
//! `freedomain` filled in (`@USERNAME@`, `@TYPE@`, `@ID@`) before the server's own domain or name.

use mysql::prelude::Queryable;
use serde_json::json;

use crate::world::{FIXED_LABEL, World, free_server, inventory};

const OS: (&str, &str) = ("ostempl", "Debian-12");

/// An ordered item whose tariff has `template` as `freedomain` and whose customer logs in as
/// `login`.
fn templated_order(world: &World, template: &str, login: &str, params: &[(&str, &str)]) -> u64 {
    let item = world.order(FIXED_LABEL, params);
    let mut conn = world.db.conn();
    conn.exec_drop(
        "INSERT INTO pricelistparam (pricelist, intname, value) \
         SELECT pricelist, 'freedomain', ? FROM item WHERE id = ?",
        (template, item),
    )
    .expect("freedomain");
    conn.exec_drop(
        "UPDATE `user` u JOIN item i ON i.account = u.account SET u.name = ? WHERE i.id = ?",
        (login, item),
    )
    .expect("login");
    item
}

fn open(world: &World, item: u64) {
    world
        .run(&["--command", "open", "--item", &item.to_string()])
        .assert_ok();
}

fn installed_domain(world: &World) -> String {
    world
        .sim
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/os_install"))
        .and_then(|r| r.body)
        .and_then(|b| b["domain"].as_str().map(String::from))
        .expect("install request with a domain")
}

fn server_with_domain(id: u64, domain: &str) -> serde_json::Value {
    let mut server = free_server(id, 1, FIXED_LABEL);
    server["domain"] = json!(domain);
    server
}

#[test]
fn an_order_without_domain_gets_the_tariff_s_template() {
    let world = World::new(
        "domain_template",
        inventory(json!([server_with_domain(11, "old.example.net")])),
    );
    let item = templated_order(
        &world,
        "@USERNAME@-@TYPE@-@ID@.example.com",
        "Alice@example.com",
        &[OS],
    );
    open(&world, item);
    let expected = format!("alice-dedic-{item}.example.com");
    assert_eq!(installed_domain(&world), expected);
    assert_eq!(world.server(11)["domain"], expected.as_str());
    assert!(
        world
            .log()
            .contains(&format!("domain {expected} from the tariff's template"))
    );
}

#[test]
fn the_order_s_own_domain_wins_over_the_template() {
    let world = World::new(
        "domain_order_wins",
        inventory(json!([server_with_domain(11, "old.example.net")])),
    );
    let item = templated_order(
        &world,
        "@USERNAME@.example.com",
        "alice",
        &[OS, ("domain", "web.example.com")],
    );
    open(&world, item);
    assert_eq!(installed_domain(&world), "web.example.com");
}

#[test]
fn a_template_that_gives_no_host_name_leaves_the_server_s_domain() {
    let world = World::new(
        "domain_template_bad",
        inventory(json!([server_with_domain(11, "old.example.net")])),
    );
    let item = templated_order(&world, "@USERNAME@.example.com", "Ivan Petrov", &[OS]);
    open(&world, item);
    assert_eq!(installed_domain(&world), "old.example.net");
    assert!(
        world
            .log()
            .contains("gives no valid host name for login 'Ivan Petrov'"),
        "{}",
        world.log()
    );
}
