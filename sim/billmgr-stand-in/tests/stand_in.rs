//! The stand-in as the module meets it: the private MariaDB, the fixtures, and every callback
//! through the real `sbin/mgrctl` of a mgr5 root.

use std::collections::BTreeMap;
use std::process::Command;

use billmgr_stand_in::{
    AddonSpec, DB_PASSWORD, DB_USER, Mgr5Root, MgrctlCall, TestDb, item_status,
};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

struct Answer {
    ok: bool,
    xml: String,
}

/// Runs `sbin/mgrctl -m billmgr -o xml <func> k=v ...` as the module does.
fn mgrctl(root: &Mgr5Root, func: &str, params: &[(&str, &str)]) -> Answer {
    let output = Command::new(root.mgrctl())
        .current_dir(root.path())
        .args(["-m", "billmgr", "-o", "xml", func])
        .args(params.iter().map(|(k, v)| format!("{k}={v}")))
        .output()
        .unwrap();
    Answer {
        ok: output.status.success(),
        xml: String::from_utf8(output.stdout).unwrap(),
    }
}

fn ok(root: &Mgr5Root, func: &str, params: &[(&str, &str)]) -> String {
    let answer = mgrctl(root, func, params);
    assert!(answer.ok, "{func} failed: {}", answer.xml);
    answer.xml
}

/// A database with one ordered service on a `manual` tariff, and its mgr5 root.
struct World {
    db: TestDb,
    root: Mgr5Root,
    module: u64,
    item: u64,
}

fn world(name: &str) -> World {
    let db = TestDb::new(name).unwrap();
    let module = db
        .add_module(
            "DCImanager",
            &[("url", "https://dci.example")],
            &[("password", "dci-secret")],
        )
        .unwrap();
    let account = db.add_account("client@example.com").unwrap();
    let tariff = db
        .add_tariff("manual", &[AddonSpec::integer("ram", "gb")])
        .unwrap();
    let item = db
        .add_item(
            module,
            account,
            tariff,
            item_status::ORDERED,
            &[("ram", "32")],
            &[("ostempl", "Debian 12")],
        )
        .unwrap();
    let root = Mgr5Root::create(&db).unwrap();
    World {
        db,
        root,
        module,
        item,
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn the_module_user_logs_in_with_an_awkward_password_and_databases_are_separate() {
    let first = TestDb::new("first").unwrap();
    let second = TestDb::new("second").unwrap();
    assert_ne!(first.name(), second.name());
    assert!(DB_PASSWORD.contains('\'') && DB_PASSWORD.contains('"') && DB_PASSWORD.contains('\\'));

    let opts = OptsBuilder::new()
        .socket(Some(first.socket().to_string_lossy()))
        .user(Some(DB_USER))
        .pass(Some(DB_PASSWORD))
        .db_name(Some(first.name()));
    let mut conn = Conn::new(opts).unwrap();
    let user: String = conn.query_first("SELECT CURRENT_USER()").unwrap().unwrap();
    assert_eq!(user, "pmdci6@localhost");

    let wrong = OptsBuilder::new()
        .socket(Some(first.socket().to_string_lossy()))
        .user(Some(DB_USER))
        .pass(Some("wrong"));
    assert!(Conn::new(wrong).is_err(), "the server must check passwords");

    first.add_account("a@example.com").unwrap();
    let count = |db: &TestDb| -> u64 {
        db.conn()
            .query_first("SELECT COUNT(*) FROM account")
            .unwrap()
            .unwrap()
    };
    assert_eq!(count(&first), 1);
    assert_eq!(count(&second), 0);
}

#[test]
fn paramlist_tells_where_the_database_and_key_are() {
    let w = world("paramlist");
    let xml = ok(&w.root, "paramlist", &[]);
    assert!(
        xml.contains("<elem><DBHost>localhost</DBHost></elem>"),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<DBUser>{DB_USER}</DBUser>")),
        "{xml}"
    );
    let escaped = quick_xml::escape::escape(DB_PASSWORD);
    assert!(
        xml.contains(&format!("<DBPassword>{escaped}</DBPassword>")),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<DBName>{}</DBName>", w.db.name())),
        "{xml}"
    );
    assert!(
        xml.contains(&format!("<DBSocket>{}</DBSocket>", w.db.socket().display())),
        "{xml}"
    );
    assert!(
        xml.contains("<CryptKey>etc/billmgr.pem</CryptKey>"),
        "{xml}"
    );
    assert!(w.root.path().join("etc/billmgr.pem").is_file());
}

#[test]
fn post_callbacks_set_the_status_and_finish_the_running_operation() {
    let w = world("post");
    let operation = w.db.add_running_operation(w.item).unwrap();
    assert!(w.db.running_operation(operation).unwrap().is_some());
    let elid = w.item.to_string();

    ok(
        &w.root,
        "service.postopen",
        &[("elid", &elid), ("sok", "ok")],
    );
    let item = w.db.item(w.item).unwrap();
    assert_eq!(item.status, item_status::ACTIVE);
    assert!(item.opendate.is_some());
    assert_eq!(w.db.running_operation(operation).unwrap(), None);

    for (func, status) in [
        ("service.postsuspend", item_status::SUSPENDED),
        ("service.postreboot", item_status::SUSPENDED),
        ("service.postresume", item_status::ACTIVE),
        ("service.postclose", item_status::DELETED),
    ] {
        ok(&w.root, func, &[("elid", &elid), ("sok", "ok")]);
        assert_eq!(w.db.item_status(w.item).unwrap(), status, "after {func}");
    }
    assert_eq!(w.db.item(w.item).unwrap().opendate, item.opendate);
}

#[test]
fn saveparam_takes_both_forms_and_crypts_on_request() {
    let w = world("saveparam");
    let elid = w.item.to_string();
    ok(
        &w.root,
        "service.saveparam",
        &[
            ("elid", &elid),
            ("sok", "ok"),
            ("serverid", "17"),
            ("crypted", "off"),
        ],
    );
    ok(
        &w.root,
        "service.saveparam",
        &[
            ("elid", &elid),
            ("sok", "ok"),
            ("name", "ip"),
            ("value", "10.0.0.5"),
        ],
    );
    ok(
        &w.root,
        "service.saveparam",
        &[
            ("elid", &elid),
            ("sok", "ok"),
            ("userpassword", "r00t'pw"),
            ("crypted", "on"),
        ],
    );
    assert_eq!(
        w.db.item_params(w.item).unwrap(),
        map(&[
            ("ip", "10.0.0.5"),
            ("ostempl", "Debian 12"),
            ("serverid", "17")
        ])
    );
    assert_eq!(
        w.db.item_crypted_params(w.item).unwrap(),
        map(&[("userpassword", "r00t'pw")])
    );
    let stored: String =
        w.db.conn()
            .query_first(format!(
                "SELECT value FROM itemcryptedparam WHERE item = {}",
                w.item
            ))
            .unwrap()
            .unwrap();
    assert!(!stored.contains("r00t"));

    // Saving again replaces the value; switching crypted moves the param.
    ok(
        &w.root,
        "service.saveparam",
        &[("elid", &elid), ("sok", "ok"), ("serverid", "18")],
    );
    ok(
        &w.root,
        "service.saveparam",
        &[
            ("elid", &elid),
            ("sok", "ok"),
            ("userpassword", "plain"),
            ("crypted", "off"),
        ],
    );
    let params = w.db.item_params(w.item).unwrap();
    assert_eq!(params.get("serverid").map(String::as_str), Some("18"));
    assert_eq!(
        params.get("userpassword").map(String::as_str),
        Some("plain")
    );
    assert!(w.db.item_crypted_params(w.item).unwrap().is_empty());

    ok(
        &w.root,
        "service.dropparam",
        &[("elid", &elid), ("sok", "ok"), ("name", "userpassword")],
    );
    assert!(
        !w.db
            .item_params(w.item)
            .unwrap()
            .contains_key("userpassword")
    );
}

#[test]
fn crypted_values_from_the_root_decrypt_like_billmanager_ones() {
    let w = world("encrypt");
    let crypted = w.root.encrypt("s3cret").unwrap();
    w.db.conn()
        .exec_drop(
            "INSERT INTO itemcryptedparam (item, intname, value) VALUES (?, 'userpassword', ?)",
            (w.item, crypted),
        )
        .unwrap();
    assert_eq!(
        w.db.item_crypted_params(w.item).unwrap(),
        map(&[("userpassword", "s3cret")])
    );
    w.db.set_item_crypted_param(w.item, "token", "t0ken")
        .unwrap();
    assert_eq!(
        w.db.item_crypted_params(w.item)
            .unwrap()
            .get("token")
            .map(String::as_str),
        Some("t0ken")
    );
}

#[test]
fn status_expiredate_running_operation_and_tasks() {
    let w = world("operations");
    let elid = w.item.to_string();
    ok(
        &w.root,
        "service.setstatus",
        &[("elid", &elid), ("service_status", "7"), ("sok", "ok")],
    );
    ok(
        &w.root,
        "service.setexpiredate",
        &[("elid", &elid), ("expiredate", "2031-02-03"), ("sok", "ok")],
    );
    let item = w.db.item(w.item).unwrap();
    assert_eq!(item.service_status, Some(7));
    assert_eq!(item.expiredate.as_deref(), Some("2031-02-03"));

    let operation = w.db.add_running_operation(w.item).unwrap();
    let ro = operation.to_string();
    let errorxml = "<doc><error type=\"no_server\"><param name=\"value\">none &amp; nothing</param></error></doc>";
    ok(
        &w.root,
        "runningoperation.edit",
        &[("elid", &ro), ("sok", "ok"), ("errorxml", errorxml)],
    );
    ok(&w.root, "runningoperation.setmanual", &[("elid", &ro)]);
    let row = w.db.running_operation(operation).unwrap().unwrap();
    assert_eq!(row.errorxml.as_deref(), Some(errorxml));
    assert!(row.manual);
    assert_eq!(row.item, w.item);
    assert_eq!(row.processingmodule, Some(w.module));

    let answer = ok(
        &w.root,
        "task.gettype",
        &[("operation", "open"), ("item", &elid)],
    );
    let task_type = answer
        .split("<task_type>")
        .nth(1)
        .and_then(|rest| rest.split("</task_type>").next())
        .unwrap()
        .to_owned();
    assert!(!ok(&w.root, "task.gettype", &[("operation", "frobnicate")]).contains("task_type"));
    let answer = ok(
        &w.root,
        "task.edit",
        &[
            ("sok", "ok"),
            ("item", &elid),
            ("runningoperation", &ro),
            ("type", &task_type),
            ("params", "build srv-12: RAM 64 → 128 GB"),
        ],
    );
    assert!(answer.contains("<ok/><id>"), "{answer}");
    let tasks = w.db.tasks().unwrap();
    assert_eq!(tasks.len(), 1);
    assert_eq!(tasks[0].item, Some(w.item));
    assert_eq!(tasks[0].runningoperation, Some(operation));
    assert_eq!(tasks[0].task_type.to_string(), task_type);
    assert_eq!(
        tasks[0].params.as_deref(),
        Some("build srv-12: RAM 64 → 128 GB")
    );
}

#[test]
fn module_config_and_itemtype_param_values() {
    let w = world("config");
    let module = w.module.to_string();
    let config = "<doc><configuration name=\"2xE5-2620-128Gb\"/></doc>";
    ok(
        &w.root,
        "processing.setconfig",
        &[("elid", &module), ("config", config)],
    );
    assert_eq!(
        w.db.module_config(w.module).unwrap().as_deref(),
        Some(config)
    );

    let old =
        w.db.add_itemtype_param_value("dedic", "ostempl", "CentOS 7", Some(w.module))
            .unwrap();
    let sync = |value: &str, name: &str| {
        ok(
            &w.root,
            "itemtype.param.value.sync",
            &[
                ("itemtype", "dedic"),
                ("module", &module),
                ("param", "ostempl"),
                ("value", value),
                ("name", name),
                ("name_ru", name),
                ("disablepricelists", "on"),
            ],
        )
    };
    sync("Debian 12", "Debian 12");
    sync("Debian 12", "Debian 12 (bookworm)");
    ok(
        &w.root,
        "itemtype.param.value.processing.suspend",
        &[("elid", &module), ("plid", &old.to_string())],
    );
    let values = w.db.itemtype_param_values("dedic", "ostempl").unwrap();
    assert_eq!(values.len(), 2);
    assert_eq!(
        (values[0].intname.as_str(), values[0].modules.clone()),
        ("CentOS 7", vec![])
    );
    assert_eq!(values[1].intname, "Debian 12");
    assert_eq!(values[1].name.as_deref(), Some("Debian 12 (bookworm)"));
    assert_eq!(values[1].modules, vec![w.module]);

    let answer = mgrctl(
        &w.root,
        "itemtype.param.value.sync",
        &[
            ("itemtype", "dedic"),
            ("module", &module),
            ("param", "nosuch"),
            ("value", "x"),
        ],
    );
    assert!(!answer.ok);
    assert!(answer.xml.contains("type=\"missing\""), "{}", answer.xml);
}

#[test]
fn errors_are_billmanager_error_documents() {
    let w = world("errors");
    let answer = mgrctl(&w.root, "service.frobnicate", &[("elid", "1")]);
    assert!(!answer.ok);
    assert!(
        answer
            .xml
            .contains("<error type=\"missing\" object=\"func\""),
        "{}",
        answer.xml
    );

    let answer = mgrctl(
        &w.root,
        "service.postopen",
        &[("elid", "999999"), ("sok", "ok")],
    );
    assert!(!answer.ok);
    assert!(answer.xml.contains("object=\"item\""), "{}", answer.xml);

    let answer = mgrctl(
        &w.root,
        "service.postopen",
        &[("elid", &w.item.to_string())],
    );
    assert!(
        !answer.ok,
        "postopen without sok=ok must not pass unnoticed"
    );
    assert_eq!(w.db.item_status(w.item).unwrap(), item_status::ORDERED);

    w.root.fail_next("service.postopen").unwrap();
    let params = [("elid", w.item.to_string()), ("sok", "ok".to_owned())];
    let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let answer = mgrctl(&w.root, "service.postopen", &params);
    assert!(!answer.ok);
    assert!(
        answer.xml.contains("injected failure of service.postopen"),
        "{}",
        answer.xml
    );
    assert_eq!(w.db.item_status(w.item).unwrap(), item_status::ORDERED);
    ok(&w.root, "service.postopen", &params);
    assert_eq!(w.db.item_status(w.item).unwrap(), item_status::ACTIVE);
}

#[test]
fn every_call_is_recorded_in_order() {
    let w = world("calls");
    assert!(w.root.mgrctl_calls().unwrap().is_empty());
    let elid = w.item.to_string();
    ok(
        &w.root,
        "service.saveparam",
        &[("elid", &elid), ("sok", "ok"), ("ip", "10.0.0.9")],
    );
    let _ = mgrctl(&w.root, "nosuch.func", &[]);
    assert_eq!(
        w.root.mgrctl_calls().unwrap(),
        vec![
            MgrctlCall {
                func: "service.saveparam".into(),
                params: map(&[("elid", &elid), ("sok", "ok"), ("ip", "10.0.0.9")]),
                error: None,
            },
            MgrctlCall {
                func: "nosuch.func".into(),
                params: BTreeMap::new(),
                error: Some("unknown function nosuch.func".into()),
            },
        ]
    );
    assert_eq!(
        w.root.mgrctl_calls_of("service.saveparam").unwrap().len(),
        1
    );
    let line = std::fs::read_to_string(w.root.path().join("var/mgrctl-calls.log")).unwrap();
    assert!(
        line.starts_with("{\"func\":\"service.saveparam\",\"params\":{"),
        "{line}"
    );
}

#[test]
fn root_switches_and_environment() {
    let w = world("root");
    let path = w.root.path().to_path_buf();
    assert_eq!(
        w.root.env(),
        vec![(
            "PMDCI6_MGR_ROOT".to_owned(),
            path.to_string_lossy().into_owned()
        )]
    );
    for dir in ["etc", "var", "tmp", "sbin"] {
        assert!(path.join(dir).is_dir(), "{dir}");
    }
    assert_eq!(
        std::fs::read_to_string(path.join("etc/debug.conf")).unwrap(),
        "pmdci6 9\n"
    );
    w.root.set_debug_level(4).unwrap();
    assert_eq!(
        std::fs::read_to_string(path.join("etc/debug.conf")).unwrap(),
        "pmdci6 4\n"
    );
    w.root.set_do_nothing(true).unwrap();
    assert!(path.join("etc/billmgr.DoNothing").exists());
    w.root.set_do_nothing(false).unwrap();
    assert!(!path.join("etc/billmgr.DoNothing").exists());
    drop(w.root);
    assert!(!path.exists(), "the root is removed when dropped");
}

#[test]
fn fixtures_store_addons_the_way_billmanager_does() {
    let db = TestDb::new("fixtures").unwrap();
    let module = db.add_module("DCI", &[("url", "u")], &[]).unwrap();
    let account = db.add_account("").unwrap();
    let email: Option<Option<String>> = db
        .conn()
        .exec_first("SELECT email FROM `user` WHERE account = ?", (account,))
        .unwrap();
    assert_eq!(email, Some(None));
    let tariff = db
        .add_tariff(
            "manual",
            &[
                AddonSpec::integer("ram", "gb").included(16).max_trial(8),
                AddonSpec::integer("ip", "unit").keyed_by_itemtype(),
                AddonSpec::enumeration("cpu", &["e5-2620", "e5-2680"]).default_value("e5-2620"),
                AddonSpec::boolean("backup").default_value("off"),
                AddonSpec::stat("bandwidth", "gb", 1000),
            ],
        )
        .unwrap();
    let item = db
        .add_item(
            module,
            account,
            tariff,
            item_status::ACTIVE,
            &[
                ("ram", "64"),
                ("ip", "2"),
                ("cpu", "e5-2680"),
                ("backup", "on"),
            ],
            &[],
        )
        .unwrap();

    /// pricelist intname, itemtype, intvalue, boolvalue, enumeration item, included amount.
    type AddonRow = (
        Option<String>,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let addon_rows: Vec<AddonRow> = db
        .conn()
        .exec(
            "SELECT p.intname, t.intname, a.intvalue, a.boolvalue, e.intname, p.addonlimit
             FROM item a JOIN pricelist p ON p.id = a.pricelist JOIN itemtype t ON t.id = p.itemtype
             LEFT JOIN enumerationitem e ON e.id = a.enumerationitem
             WHERE a.parent = ? ORDER BY a.id",
            (item,),
        )
        .unwrap();
    assert_eq!(
        addon_rows,
        vec![
            (
                Some("ram".into()),
                "ram".into(),
                Some(48),
                None,
                None,
                Some(16)
            ),
            (None, "ip".into(), Some(2), None, None, None),
            (
                Some("cpu".into()),
                "cpu".into(),
                None,
                None,
                Some("e5-2680".into()),
                None
            ),
            (
                Some("backup".into()),
                "backup".into(),
                None,
                Some("on".into()),
                None,
                None
            ),
        ]
    );
    let configuration: String = db
        .conn()
        .exec_first(
            "SELECT value FROM pricelistparam WHERE pricelist = ? AND intname = 'configuration'",
            (tariff,),
        )
        .unwrap()
        .unwrap();
    assert_eq!(configuration, "manual");
    assert!(
        db.add_item(module, account, tariff, 1, &[("nosuch", "1")], &[])
            .is_err()
    );
    assert!(
        db.add_item(module, account, tariff, 1, &[("cpu", "i9")], &[])
            .is_err()
    );

    db.set_item_period(item, -100).unwrap();
    assert_eq!(db.item(item).unwrap().period, -100);
    let operation = db.add_running_operation(item).unwrap();
    db.set_try_count(operation, 10).unwrap();
    assert_eq!(
        db.running_operation(operation).unwrap().unwrap().trycount,
        10
    );
    assert!(db.add_running_operation(999_999).is_err());
}

#[test]
fn ip_list_slots_are_filled_committed_and_released_once_per_address() {
    let w = world("ip_list");
    let account = w.db.add_account("ip@example.com").unwrap();
    let tariff =
        w.db.add_tariff("manual", &[AddonSpec::integer("ip", "unit").included(2)])
            .unwrap();
    let item =
        w.db.add_item(w.module, account, tariff, item_status::ACTIVE, &[], &[])
            .unwrap();
    let slots = w.db.add_ip_slots(item, "ip", 2).unwrap();
    let (first, second) = (slots[0].to_string(), slots[1].to_string());
    let add = |slot: &str, address: &str| {
        mgrctl(
            &w.root,
            "service.ip.add",
            &[
                ("sok", "ok"),
                ("elid", slot),
                ("ip", address),
                ("mask", "255.255.255.0"),
            ],
        )
    };

    let answer = add(&first, "192.0.2.10");
    assert!(answer.ok, "{}", answer.xml);
    assert!(
        answer.xml.contains(&format!("<ip.id>{first}</ip.id>")),
        "{}",
        answer.xml
    );
    ok(
        &w.root,
        "service.ip.add.commit",
        &[("sok", "ok"), ("elid", &first)],
    );
    let rows = w.db.service_ips(item).unwrap();
    assert_eq!(rows[0].name, "192.0.2.10");
    assert_eq!(rows[0].status, 2);
    assert!(rows[0].committed);
    assert_eq!(rows[0].mask.as_deref(), Some("255.255.255.0"));
    assert_eq!(rows[1].status, 1);

    // A filled slot, an address listed already, an empty slot's commit: refused.
    assert!(!add(&first, "192.0.2.11").ok);
    assert!(!add(&second, "192.0.2.10").ok);
    assert!(
        !mgrctl(
            &w.root,
            "service.ip.add.commit",
            &[("sok", "ok"), ("elid", &second)]
        )
        .ok
    );

    // Released: the row is an empty slot again, and the address may be listed anew.
    ok(
        &w.root,
        "service.ip.del",
        &[("sok", "ok"), ("elid", &first)],
    );
    let rows = w.db.service_ips(item).unwrap();
    assert_eq!(
        (rows[0].name.as_str(), rows[0].status, rows[0].committed),
        ("", 1, false)
    );
    assert!(add(&second, "192.0.2.10").ok);
    assert!(
        !mgrctl(
            &w.root,
            "service.ip.del",
            &[("sok", "ok"), ("elid", "999999")]
        )
        .ok
    );
}

#[test]
fn problems_are_registered_once_per_name_and_object_and_resolved() {
    let w = world("problems");
    let module = w.module.to_string();
    let register = |message: &str| {
        ok(
            &w.root,
            "problems.register",
            &[
                ("name", "processingmodule_connect"),
                ("id", &module),
                ("param_pm_name", "DCImanager"),
                ("param_errormsg", message),
                ("sok", "ok"),
                ("level", "error"),
            ],
        )
    };
    register("refused");
    register("refused again");
    let problems = w.db.problems().unwrap();
    assert_eq!(problems.len(), 1);
    assert_eq!(
        problems[0].params.get("errormsg").map(String::as_str),
        Some("refused again")
    );
    assert_eq!(
        problems[0].params.get("pm_name").map(String::as_str),
        Some("DCImanager")
    );
    assert!(!problems[0].resolved);
    let resolve = [
        ("name", "processingmodule_connect"),
        ("id", module.as_str()),
        ("sok", "ok"),
    ];
    ok(&w.root, "problems.resolve", &resolve);
    assert!(w.db.problems().unwrap()[0].resolved);
    assert!(
        !mgrctl(
            &w.root,
            "problems.resolve",
            &[("name", "other"), ("id", "1"), ("sok", "ok")]
        )
        .ok
    );
}

#[test]
fn import_creates_the_service_and_a_rollback_restores_the_tariff() {
    let w = world("stand_in_import");
    let account = w.db.item(w.item).unwrap().account;
    let tariff = w.db.item(w.item).unwrap().pricelist;
    let (module, account_id, tariff_id) = (
        w.module.to_string(),
        account.to_string(),
        tariff.to_string(),
    );
    let answer = ok(
        &w.root,
        "processing.import.service",
        &[
            ("sok", "ok"),
            ("module", &module),
            ("import_itemtype_intname", "dedic"),
            ("import_pricelist_intname", &tariff_id),
            ("import_service_name", "srv-9"),
            ("status", "2"),
            ("account", &account_id),
            ("serverid", "9"),
            ("ip", "203.0.113.9"),
        ],
    );
    let service: u64 = answer
        .split("<service_id>")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no service_id in {answer}"));
    let row = w.db.item(service).unwrap();
    assert_eq!(
        (row.status, row.account, row.pricelist, row.processingmodule),
        (item_status::ACTIVE, account, tariff, Some(w.module))
    );
    assert!(row.opendate.is_some());
    assert_eq!(
        w.db.item_params(service).unwrap(),
        map(&[("ip", "203.0.113.9"), ("serverid", "9")])
    );
    // A tariff that does not exist, or no sok, imports nothing.
    let missing = mgrctl(
        &w.root,
        "processing.import.service",
        &[
            ("sok", "ok"),
            ("module", &module),
            ("import_itemtype_intname", "dedic"),
            ("import_pricelist_intname", "999"),
            ("import_service_name", "srv-10"),
            ("status", "2"),
            ("account", &account_id),
        ],
    );
    assert!(
        !missing.ok && missing.xml.contains("<error"),
        "{}",
        missing.xml
    );

    // A tariff change, then its rollback: back on the tariff it was on.
    let other = w.db.add_tariff("manual", &[]).unwrap();
    w.db.change_tariff(service, other).unwrap();
    assert_eq!(w.db.item(service).unwrap().pricelist, other);
    let elid = service.to_string();
    ok(
        &w.root,
        "service.changepricelist.rollback",
        &[("sok", "ok"), ("elid", &elid), ("userid", "3")],
    );
    assert_eq!(w.db.item(service).unwrap().pricelist, tariff);
    let again = mgrctl(
        &w.root,
        "service.changepricelist.rollback",
        &[("sok", "ok"), ("elid", &elid)],
    );
    assert!(!again.ok, "no change under way: {}", again.xml);
}
