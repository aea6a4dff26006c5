//! Tests of `db.rs`, kept apart so the module reads as the code it is.

use super::*;

fn integer(limit: Option<f64>, intvalue: Option<f64>) -> AddonRow {
    AddonRow {
        pricelist_intname: Some("ram".into()),
        itemtype_intname: Some("dedic_ram".into()),
        addontype: ADDON_INTEGER,
        billtype: 2,
        pricelist_limit: limit,
        item_intvalue: intvalue,
        measure: Some("gb".into()),
        period: 1,
        ..AddonRow::default()
    }
}

#[test]
fn integer_addon_is_limit_plus_ordered_value() {
    let addon = integer(Some(16.0), Some(48.0)).value();
    assert_eq!(
        addon,
        Addon {
            intname: "ram".into(),
            value: "64".into(),
            measure: Some("gb".into())
        }
    );
    assert_eq!(integer(None, None).value().value, "0");
    let own_limit = AddonRow {
        item_limit: Some(2.0),
        ..integer(Some(16.0), Some(1.5))
    };
    assert_eq!(own_limit.value().value, "3.5");
}

#[test]
fn trial_caps_integer_addons() {
    let trial = AddonRow {
        period: TRIAL_PERIOD,
        max_trial: Some(8.0),
        ..integer(Some(16.0), Some(48.0))
    };
    assert_eq!(trial.clone().value().value, "8");
    let small = AddonRow {
        item_intvalue: None,
        pricelist_limit: Some(4.0),
        ..trial.clone()
    };
    assert_eq!(small.value().value, "4");
    let not_trial = AddonRow {
        period: 12,
        ..trial
    };
    assert_eq!(not_trial.value().value, "64");
}

#[test]
fn enum_boolean_and_stat_addons() {
    let enumeration = AddonRow {
        pricelist_intname: None,
        itemtype_intname: Some("cpu".into()),
        addontype: ADDON_ENUM,
        item_enum: None,
        pricelist_enum: Some("e5-2620".into()),
        measure: Some("unit".into()),
        ..AddonRow::default()
    };
    let addon = enumeration.clone().value();
    assert_eq!(
        (addon.intname.as_str(), addon.value.as_str()),
        ("cpu", "e5-2620")
    );
    assert_eq!(addon.measure, None);
    let ordered = AddonRow {
        item_enum: Some("e5-2680".into()),
        ..enumeration
    };
    assert_eq!(ordered.value().value, "e5-2680");

    let boolean = AddonRow {
        pricelist_intname: Some("backup".into()),
        addontype: ADDON_BOOLEAN,
        pricelist_bool: Some("off".into()),
        item_bool: Some("on".into()),
        ..AddonRow::default()
    };
    assert_eq!(boolean.value().value, "on");

    let stat = AddonRow {
        pricelist_intname: Some("bandwidth".into()),
        addontype: ADDON_INTEGER,
        billtype: BILL_STAT,
        pricelist_max: Some("1000".into()),
        pricelist_limit: Some(5.0),
        ..AddonRow::default()
    };
    assert_eq!(stat.value().value, "1000");
}

#[test]
fn localhost_without_socket_uses_the_first_default_socket() {
    let params = DbParams {
        host: "localhost".into(),
        port: None,
        user: "root".into(),
        password: "pw".into(),
        name: "billmgr".into(),
        socket: None,
    };
    let exists = |path: &Path| path == Path::new("/var/lib/mysql/mysql.sock");
    assert_eq!(
        default_socket(&params, exists).as_deref(),
        Some("/var/lib/mysql/mysql.sock")
    );
    assert_eq!(default_socket(&params, |_| false), None);
    let tcp = DbParams {
        port: Some(3306),
        ..params.clone()
    };
    assert_eq!(default_socket(&tcp, exists), None);
    let remote = DbParams {
        host: "db.example".into(),
        ..params
    };
    assert_eq!(default_socket(&remote, exists), None);
}

#[test]
fn db_params_debug_hides_the_password() {
    let params = DbParams {
        host: "h".into(),
        port: None,
        user: "u".into(),
        password: "top-secret".into(),
        name: "n".into(),
        socket: None,
    };
    assert!(!format!("{params:?}").contains("top-secret"));
}
