//! Tests of `mgrctl.rs`, kept apart so the module reads as the code it is.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::*;
use crate::protocol::error::classify;

#[test]
fn paramlist_reads_one_param_per_elem() {
    let answer = "<?xml version=\"1.0\"?>\n<doc>\n<elem><DBHost>db.local:3307</DBHost></elem>\
                  <elem><DBUser>billmgr</DBUser></elem><elem><DBPassword> p@ss'w&quot;d&amp;&lt; </DBPassword></elem>\
                  <elem><DBName>billmgr5</DBName></elem><elem><CryptKey>etc/billmgr.pem</CryptKey></elem></doc>";
    let params = paramlist_from_answer(answer, &MgrRoot::new("/opt/mgr5")).unwrap();
    assert_eq!(
        params.db,
        DbParams {
            host: "db.local".into(),
            port: Some(3307),
            user: "billmgr".into(),
            password: " p@ss'w\"d&< ".into(),
            name: "billmgr5".into(),
            socket: None,
        }
    );
    assert_eq!(params.crypt_key, Path::new("/opt/mgr5/etc/billmgr.pem"));
}

#[test]
fn paramlist_reads_several_params_per_elem_and_applies_defaults() {
    let answer = "<doc><elem><DBSocket>/run/mysqld/mysqld.sock</DBSocket><DBPassword><![CDATA[a<b]]></DBPassword>\
                  <DBHost/><CryptKey>/etc/keys/bill.pem</CryptKey></elem></doc>";
    let params = paramlist_from_answer(answer, &MgrRoot::new("/opt/mgr5")).unwrap();
    assert_eq!(params.db.host, "localhost");
    assert_eq!(params.db.port, None);
    assert_eq!(params.db.user, "root");
    assert_eq!(params.db.password, "a<b");
    assert_eq!(params.db.name, "billmgr");
    assert_eq!(params.db.socket.as_deref(), Some("/run/mysqld/mysqld.sock"));
    assert_eq!(params.crypt_key, Path::new("/etc/keys/bill.pem"));

    let params = paramlist_from_answer("<doc/>", &MgrRoot::new("/opt/mgr5")).unwrap();
    assert_eq!(params.crypt_key, Path::new("/opt/mgr5/etc/billmgr.pem"));
}

#[test]
fn host_and_port_forms() {
    assert_eq!(split_host_port("db").unwrap(), ("db".into(), None));
    assert_eq!(
        split_host_port("db:3306").unwrap(),
        ("db".into(), Some(3306))
    );
    assert_eq!(
        split_host_port("[::1]:3307").unwrap(),
        ("::1".into(), Some(3307))
    );
    assert_eq!(split_host_port("::1").unwrap(), ("::1".into(), None));
    assert!(split_host_port("db:x").is_err());
    let err = paramlist_from_answer("<doc><DBHost>db:port</DBHost></doc>", &MgrRoot::new("/"))
        .unwrap_err();
    assert_eq!(classify(&err).0, ErrorKind::Database);
}

#[test]
fn find_value_looks_anywhere() {
    let answer = "<doc><model><task_type>12</task_type></model></doc>";
    assert_eq!(
        find_value(answer, "task_type").unwrap().as_deref(),
        Some("12")
    );
    assert_eq!(find_value("<doc><ok/></doc>", "task_type").unwrap(), None);
    assert!(find_value("<doc><a></doc>", "a").is_err());
}

#[test]
fn error_messages_prefer_msg_then_type_object_value() {
    let doc = parse_xml(
        "<doc><error type=\"exists\" object=\"item\" lang=\"en\"><param name=\"object\">item</param>\
         <msg>Item 5 already exists</msg></error></doc>",
    )
    .unwrap();
    assert_eq!(
        error_message(&doc).as_deref(),
        Some("Item 5 already exists")
    );
    let doc = parse_xml(
        "<doc><error type=\"missing\" object=\"elid\"><param name=\"value\">77</param></error></doc>",
    )
    .unwrap();
    assert_eq!(
        error_message(&doc).as_deref(),
        Some("error missing on elid: 77")
    );
    assert_eq!(error_message(&parse_xml("<doc><ok/></doc>").unwrap()), None);
}

#[test]
fn logged_params_mask_passwords_and_shorten_long_values() {
    let long = "x".repeat(500);
    let text = describe_call(
        "runningoperation.edit",
        &[
            ("elid", "5"),
            ("userpassword", "s3cret"),
            ("errorxml", &long),
        ],
    );
    assert!(
        text.starts_with("runningoperation.edit elid=5 userpassword=*** errorxml=xxx"),
        "{text}"
    );
    assert!(text.ends_with("… (500 chars)"), "{text}");
    assert!(!text.contains("s3cret"));
    let text = describe_call(
        "service.saveparam",
        &[
            ("name", "userpassword"),
            ("value", "s3cret"),
            ("crypted", "on"),
        ],
    );
    assert_eq!(
        text,
        "service.saveparam name=userpassword value=*** crypted=on"
    );
    assert_eq!(describe_call("paramlist", &[]), "paramlist");
}

/// A fake mgrctl that records its arguments, working directory and environment, and
/// answers what the test asks.
fn fake_root(name: &str, script_body: &str) -> MgrRoot {
    let dir = std::env::temp_dir().join(format!("pmdci6-mgrctl-{}-{name}", std::process::id()));
    std::fs::create_dir_all(dir.join("sbin")).unwrap();
    let script = dir.join("sbin/mgrctl");
    std::fs::write(&script, format!("#!/bin/sh\n{script_body}\n")).unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    MgrRoot::new(dir)
}

#[test]
fn call_runs_mgrctl_from_the_root_with_the_module_name() {
    let root = fake_root(
        "ok",
        "printf '%s\\n' \"$PWD\" \"$SSH_CONNECTION\" \"$@\" > args.txt\necho '<doc><ok/></doc>'",
    );
    let answer = Mgrctl::new(&root)
        .call(
            "service.saveparam",
            &[("elid", "5"), ("ip", "10.0.0.1 10.0.0.2")],
        )
        .unwrap();
    assert_eq!(answer.trim(), "<doc><ok/></doc>");
    let args = std::fs::read_to_string(root.path().join("args.txt")).unwrap();
    let expected = format!(
        "{}\npmdci6\n-m\nbillmgr\n-o\nxml\nservice.saveparam\nelid=5\nip=10.0.0.1 10.0.0.2\n",
        root.path().display()
    );
    std::fs::remove_dir_all(root.path()).unwrap();
    assert_eq!(args, expected);
}

#[test]
fn call_fails_on_error_answer_or_exit_status() {
    let root = fake_root(
        "err",
        "echo '<doc><error type=\"missing\"><msg>no such item</msg></error></doc>'",
    );
    let err = Mgrctl::new(&root)
        .call("service.postopen", &[("elid", "9")])
        .unwrap_err();
    std::fs::remove_dir_all(root.path()).unwrap();
    assert_eq!(
        classify(&err),
        (ErrorKind::Mgrctl, "mgrctl service.postopen".to_owned())
    );
    assert_eq!(
        err.to_string(),
        "BILLmanager refused service.postopen: no such item"
    );

    let root = fake_root("exit", "echo 'panel is locked' >&2\nexit 3");
    let err = Mgrctl::new(&root).call("task.edit", &[]).unwrap_err();
    std::fs::remove_dir_all(root.path()).unwrap();
    assert_eq!(classify(&err).0, ErrorKind::Mgrctl);
    assert_eq!(
        err.to_string(),
        "BILLmanager refused task.edit: panel is locked"
    );

    let err = Mgrctl::new(&MgrRoot::new("/nonexistent"))
        .call("paramlist", &[])
        .unwrap_err();
    assert_eq!(classify(&err).0, ErrorKind::Mgrctl);
}

/// The whole chain against the stand-in: `paramlist` through its `sbin/mgrctl`, the awkward
/// password through XML, the socket, the relative `CryptKey`, then the database.
/// Needs `mgrctl-stand-in` built (`cargo build --workspace`).
#[test]
fn paramlist_from_the_stand_in_opens_billmanagers_database() {
    use billmgr_stand_in::{Mgr5Root, TestDb};

    use crate::billmgr::crypto::CryptKey;
    use crate::billmgr::db::Db;

    let db = TestDb::new("module_paramlist").unwrap();
    let module = db
        .add_module("DCI", &[], &[("password", "dci-pass")])
        .unwrap();
    let stand_in = Mgr5Root::create(&db).unwrap();
    let root = MgrRoot::new(stand_in.path());

    let params = Mgrctl::new(&root).paramlist().unwrap();
    assert_eq!(params.db.password, db.password());
    assert_eq!(params.crypt_key, stand_in.path().join("etc/billmgr.pem"));
    let key = CryptKey::load(&params.crypt_key).unwrap();
    let found = Db::connect(&params.db)
        .unwrap()
        .processing_module(module, &key)
        .unwrap();
    assert_eq!(
        found.params.get("password").map(String::as_str),
        Some("dci-pass")
    );
    assert_eq!(logging::redact(db.password()), "***");
    assert_eq!(stand_in.mgrctl_calls_of("paramlist").unwrap().len(), 1);
}
