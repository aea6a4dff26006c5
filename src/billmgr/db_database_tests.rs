//! The queries of `db.rs` against BILLmanager's tables as the stand-in creates them, on a
//! private MariaDB.

use billmgr_stand_in::{AddonSpec, TestDb, item_status};

use super::*;
use crate::protocol::error::classify;

fn params_of(db: &TestDb) -> DbParams {
    DbParams {
        host: "localhost".into(),
        port: None,
        user: db.user().into(),
        password: db.password().into(),
        name: db.name().into(),
        socket: Some(db.socket().to_string_lossy().into_owned()),
    }
}

fn crypt_key() -> CryptKey {
    let path = std::env::temp_dir().join(format!("pmdci6-db-test-key-{}.pem", std::process::id()));
    std::fs::write(&path, billmgr_stand_in::crypt_key_pem().unwrap()).unwrap();
    let key = CryptKey::load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    key
}

#[test]
fn reads_module_item_account_tariff_and_params() {
    let db = TestDb::new("module_db_reads").unwrap();
    let module = db
        .add_module(
            "DCI",
            &[("url", "https://dci"), ("username", "admin@dci")],
            &[("password", "p@ss'w\"d")],
        )
        .unwrap();
    let account = db.add_account("client@example.com").unwrap();
    let tariff = db.add_tariff("2xE5-2620-128Gb", &[]).unwrap();
    let item = db
        .add_item(
            module,
            account,
            tariff,
            item_status::ORDERED,
            &[],
            &[("ostempl", "Debian 12")],
        )
        .unwrap();
    db.set_item_crypted_param(item, "userpassword", "r00t")
        .unwrap();
    let closed = db
        .add_item(module, account, tariff, item_status::DELETED, &[], &[])
        .unwrap();
    let key = crypt_key();

    let mut conn = Db::connect(&params_of(&db)).unwrap();
    let found = conn.processing_module(module, &key).unwrap();
    assert_eq!(
        (found.id, found.name.as_str(), found.module.as_str()),
        (module, "DCI", "pmdci6")
    );
    assert_eq!(
        found.params.get("password").map(String::as_str),
        Some("p@ss'w\"d")
    );
    assert_eq!(
        found.params.get("url").map(String::as_str),
        Some("https://dci")
    );
    let err = conn.processing_module(module + 1000, &key).unwrap_err();
    assert_eq!(classify(&err).0, ErrorKind::ModuleConfig);

    let record = conn.item(item).unwrap().unwrap();
    assert_eq!(
        record,
        ItemRecord {
            id: item,
            status: item_status::ORDERED,
            account,
            pricelist: tariff,
            processingmodule: Some(module),
            module_name: Some("pmdci6".into()),
            itemtype: "dedic".into(),
            period: 1,
            parent: None,
        }
    );
    assert_eq!(conn.item(999_999).unwrap(), None);
    let ids: Vec<u64> = conn
        .items_of_module(module)
        .unwrap()
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, vec![item]);
    assert!(!ids.contains(&closed));

    assert_eq!(
        conn.account_email(account).unwrap().as_deref(),
        Some("client@example.com")
    );
    let no_email = db.add_account("").unwrap();
    assert_eq!(conn.account_email(no_email).unwrap(), None);
    assert_eq!(
        conn.pricelist_params(tariff)
            .unwrap()
            .get("configuration")
            .map(String::as_str),
        Some("2xE5-2620-128Gb")
    );
    assert_eq!(
        conn.item_params(item)
            .unwrap()
            .get("ostempl")
            .map(String::as_str),
        Some("Debian 12")
    );
    assert_eq!(
        conn.item_crypted_params(item, &key)
            .unwrap()
            .get("userpassword")
            .map(String::as_str),
        Some("r00t")
    );

    let gb = conn
        .measures()
        .unwrap()
        .into_iter()
        .find(|m| m.intname == "gb")
        .unwrap();
    assert_eq!(gb.relation, 1024.0);
    assert!(gb.lessmeasure.is_some());
}

#[test]
fn param_values_bound_to_the_module() {
    let db = TestDb::new("module_db_param_values").unwrap();
    let module = db.add_module("DCI", &[], &[]).unwrap();
    let other = db.add_module("DCI 2", &[], &[]).unwrap();
    let debian = db
        .add_itemtype_param_value("dedic", "ostempl", "Debian-12", Some(module))
        .unwrap();
    db.add_itemtype_param_value("dedic", "ostempl", "CentOS-7", Some(other))
        .unwrap();
    db.add_itemtype_param_value("dedic", "ostempl", "Unbound", None)
        .unwrap();
    let docker = db
        .add_itemtype_param_value("dedic", "recipe", "install-docker", Some(module))
        .unwrap();
    let mut conn = Db::connect(&params_of(&db)).unwrap();
    assert_eq!(
        conn.module_param_values(module, "dedic", "ostempl")
            .unwrap(),
        vec![ParamValue {
            id: debian,
            intname: "Debian-12".into()
        }]
    );
    assert_eq!(
        conn.module_param_values(module, "dedic", "recipe").unwrap(),
        vec![ParamValue {
            id: docker,
            intname: "install-docker".into()
        }]
    );
    assert!(
        conn.module_param_values(module, "vds", "ostempl")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn module_wide_reads_for_the_report() {
    let db = TestDb::new("module_db_report_reads").unwrap();
    let module = db.add_module("DCI", &[], &[]).unwrap();
    let other = db.add_module("DCI 2", &[], &[]).unwrap();
    let alice = db.add_account("alice@example.com").unwrap();
    let bob = db.add_account("bob@example.com").unwrap();
    let carol = db.add_account("carol@example.com").unwrap();
    let silent = db.add_account("").unwrap();
    let fixed = db.add_tariff("i9-9900K-64Gb-2x1024NVMe", &[]).unwrap();
    let manual = db.add_tariff("manual", &[]).unwrap();
    let bound = db.add_tariff("E-2236-32Gb-2x480SSD", &[]).unwrap();
    let foreign = db.add_tariff("E5-2620-64Gb-2x1024NVMe", &[]).unwrap();
    db.conn()
        .exec_drop(
            "INSERT INTO processingmodule2pricelist (processingmodule, pricelist) VALUES (?, ?)",
            (module, bound),
        )
        .unwrap();
    let live = db
        .add_item(
            module,
            alice,
            fixed,
            item_status::ACTIVE,
            &[],
            &[("serverid", "12")],
        )
        .unwrap();
    let closed = db
        .add_item(
            module,
            bob,
            manual,
            item_status::DELETED,
            &[],
            &[("serverid", "13")],
        )
        .unwrap();
    db.add_item(module, silent, fixed, item_status::ORDERED, &[], &[])
        .unwrap();
    db.add_item(
        other,
        carol,
        foreign,
        item_status::ACTIVE,
        &[],
        &[("serverid", "14")],
    )
    .unwrap();
    let mut conn = Db::connect(&params_of(&db)).unwrap();

    assert_eq!(
        conn.module_customers(module).unwrap(),
        vec![
            Customer {
                account: alice,
                email: Some("alice@example.com".into())
            },
            Customer {
                account: bob,
                email: Some("bob@example.com".into())
            },
            Customer {
                account: silent,
                email: None
            },
        ]
    );
    // The deleted service's manual tariff no longer sells; the bound one does.
    assert_eq!(
        conn.module_tariffs(module).unwrap(),
        vec![
            TariffRecord {
                id: fixed,
                configuration: Some("i9-9900K-64Gb-2x1024NVMe".into())
            },
            TariffRecord {
                id: bound,
                configuration: Some("E-2236-32Gb-2x480SSD".into())
            },
        ]
    );
    let serverids = conn.module_item_param(module, "serverid").unwrap();
    assert_eq!(
        serverids,
        BTreeMap::from([(live, "12".to_string()), (closed, "13".to_string())])
    );
}

#[test]
fn addons_are_valued_like_billmanager_itemaddons() {
    let db = TestDb::new("module_db_addons").unwrap();
    let module = db.add_module("DCI", &[], &[]).unwrap();
    let account = db.add_account("a@example.com").unwrap();
    let tariff = db
        .add_tariff(
            "manual",
            &[
                AddonSpec::integer("ram", "gb").included(16).max_trial(8),
                AddonSpec::integer("ip", "unit")
                    .keyed_by_itemtype()
                    .included(1),
                AddonSpec::enumeration("cpu", &["e5-2620", "e5-2680"]).default_value("e5-2620"),
                AddonSpec::boolean("backup").default_value("off"),
                AddonSpec::stat("bandwidth", "gb", 1000),
                AddonSpec::integer("ipv6", "unit").inactive(),
            ],
        )
        .unwrap();
    let item = db
        .add_item(
            module,
            account,
            tariff,
            item_status::ACTIVE,
            &[("ram", "64"), ("cpu", "e5-2680")],
            &[],
        )
        .unwrap();
    let mut conn = Db::connect(&params_of(&db)).unwrap();

    let value = |addons: &[Addon], name: &str| {
        addons
            .iter()
            .find(|a| a.intname == name)
            .map(|a| (a.value.clone(), a.measure.clone()))
    };
    let addons = conn.item_addons(item).unwrap();
    assert_eq!(addons.len(), 5, "{addons:?}");
    assert_eq!(
        value(&addons, "ram"),
        Some(("64".into(), Some("gb".into())))
    );
    assert_eq!(
        value(&addons, "ip"),
        Some(("1".into(), Some("unit".into())))
    );
    assert_eq!(value(&addons, "cpu"), Some(("e5-2680".into(), None)));
    assert_eq!(value(&addons, "backup"), Some(("off".into(), None)));
    assert_eq!(
        value(&addons, "bandwidth"),
        Some(("1000".into(), Some("gb".into())))
    );
    assert_eq!(value(&addons, "ipv6"), None);

    db.set_item_period(item, -100).unwrap();
    let addons = conn.item_addons(item).unwrap();
    assert_eq!(value(&addons, "ram"), Some(("8".into(), Some("gb".into()))));
}

#[test]
fn connection_errors_name_the_database_but_not_the_password() {
    let db = TestDb::new("module_db_login").unwrap();
    let params = DbParams {
        password: "wrong-password-123".into(),
        ..params_of(&db)
    };
    let err = Db::connect(&params).err().unwrap();
    let text = format!("{err:#}");
    assert_eq!(classify(&err).0, ErrorKind::Database);
    assert!(text.contains(db.name()), "{text}");
    assert!(text.contains("socket"), "{text}");
    assert!(!text.contains("wrong-password-123"), "{text}");
}
