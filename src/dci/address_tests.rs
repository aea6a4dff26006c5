//! Tests of `address.rs`, kept apart so the module reads as the code it is.

use super::*;
use crate::protocol::error::classify;

fn base(raw: &str) -> String {
    match parse(raw) {
        Ok(address) => address.base,
        Err(err) => panic!("{raw}: {err:#}"),
    }
}

fn refused(raw: &str) -> String {
    match parse(raw) {
        Ok(address) => panic!("{raw} accepted as {address:?}"),
        Err(err) => {
            assert_eq!(classify(&err).0, ErrorKind::BadUrl, "{raw}");
            format!("{err:#}")
        }
    }
}

#[test]
fn scheme_is_kept_and_bare_host_means_https() {
    assert_eq!(base("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    assert_eq!(base("https://dci.example.com"), "https://dci.example.com");
    assert_eq!(base("dci.example.com"), "https://dci.example.com");
    assert_eq!(base("dci.example.com:8443"), "https://dci.example.com:8443");
    assert_eq!(base("HTTPS://DCI.Example.com"), "https://dci.example.com");
    assert_eq!(base("[::1]:8443"), "https://[::1]:8443");
}

#[test]
fn trailing_slash_and_api_suffix_are_tolerated() {
    assert_eq!(base("https://dci.example.com/"), "https://dci.example.com");
    assert_eq!(
        base("https://dci.example.com/api"),
        "https://dci.example.com"
    );
    assert_eq!(
        base("https://dci.example.com/api/"),
        "https://dci.example.com"
    );
    assert_eq!(
        base("dci.example.com:8443/api//"),
        "https://dci.example.com:8443"
    );
    assert_eq!(
        base("  https://dci.example.com \n"),
        "https://dci.example.com"
    );
    // A reverse proxy may publish the installation under a prefix.
    assert_eq!(
        base("https://example.com/dci/api"),
        "https://example.com/dci"
    );
}

#[test]
fn host_is_kept_for_messages() {
    let address = parse("http://127.0.0.1:8080/api").unwrap();
    assert_eq!(address.host, "127.0.0.1:8080");
}

#[test]
fn unusable_values_are_refused_with_the_value_named() {
    assert!(refused("").contains("it is empty"));
    assert!(refused("   ").contains("it is empty"));
    assert!(refused("dci example.com").contains("'dci example.com'"));
    assert!(refused("ftp://dci.example.com").contains("neither http nor https"));
    assert!(refused("https://").contains("no host"));
    assert!(refused("https:///api").contains("no host"));
    assert!(refused("://dci.example.com").contains("nothing before"));
    assert!(refused("https://dci.example.com:port").contains("port 'port'"));
    assert!(refused("https://dci.example.com:0").contains("port '0'"));
    assert!(refused("https://dci.example.com:70000").contains("70000"));
    assert!(refused("https://admin@dci.example.com").contains("user name"));
    assert!(refused("https://dci.example.com/?x=1").contains("query"));
    assert!(refused("https://dci_ex!ample.com").contains("not a host name"));
    assert!(refused("https://[::1").contains("closing"));
}
