//! Tests of `connection.rs`, kept apart so the module reads as the code it is.

use super::*;

fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn no_env(_: &str) -> Option<String> {
    None
}

const GOOD: &[(&str, &str)] = &[
    ("url", "dci.example.com"),
    ("username", "admin@example.com"),
    ("password", "s3cret"),
    ("location", "3"),
];

#[test]
fn defaults_apply() {
    let c = Connection::from_params(&params(GOOD), &no_env).expect("valid");
    assert_eq!(c.location, 3);
    assert!(c.allow_closest);
    assert!(!c.ignore_errors);
    assert_eq!(c.poll_timeout, DEFAULT_POLL_TIMEOUT);
}

#[test]
fn environment_overrides_poll_settings() {
    let env = |name: &str| (name == "PMDCI6_POLL_INTERVAL").then(|| "0.05".to_string());
    let c = Connection::from_params(&params(GOOD), &env).expect("valid");
    assert_eq!(c.poll_interval, Duration::from_millis(50));
}

#[test]
fn non_numeric_location_is_a_config_error() {
    let mut p = params(GOOD);
    p.insert("location".into(), "moscow".into());
    let err = Connection::from_params(&p, &no_env).expect_err("error");
    assert!(err.to_string().contains("moscow"));
}

#[test]
fn debug_never_shows_the_password() {
    let c = Connection::from_params(&params(GOOD), &no_env).expect("valid");
    assert!(!format!("{c:?}").contains("s3cret"));
}

#[test]
fn form_xml_is_read_with_entities() {
    let xml = "<doc><processingmodule><id>4</id><url>http://h</url><password>a&amp;b&lt;</password>\
               <location>3</location><func>processing.add.user</func></processingmodule></doc>";
    let p = params_from_form_xml(xml).expect("parsed");
    assert_eq!(p.get("password").map(String::as_str), Some("a&b<"));
    assert_eq!(p.get("url").map(String::as_str), Some("http://h"));
    assert!(!p.contains_key("func"));
    assert!(!p.contains_key("id"));
}

#[test]
fn form_that_is_not_xml_is_refused() {
    assert!(params_from_form_xml("not xml at all").is_err());
}

#[test]
fn checkbox_values() {
    let mut p = params(GOOD);
    p.insert("allow_closest".into(), "off".into());
    p.insert("ignore_errors".into(), "on".into());
    let c = Connection::from_params(&p, &no_env).expect("valid");
    assert!(!c.allow_closest);
    assert!(c.ignore_errors);
}
