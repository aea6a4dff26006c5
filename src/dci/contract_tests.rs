use serde_json::{Value, json};

use super::*;
use crate::dci::api::{ActionAnswer, List, OperationStatus, Server};
use crate::protocol::error::classify;

/// The built-in file defines every entry the module asks for, so that no lookup can miss.
#[test]
fn the_built_in_contract_defines_every_entry() {
    let contract = Contract::built_in();
    for (name, _) in REQUESTS {
        assert!(contract.requests.contains_key(name), "requests.{name}");
    }
    for (kind, fields) in ANSWERS {
        for field in *fields {
            assert!(
                contract
                    .answers
                    .get(kind)
                    .is_some_and(|f| f.contains_key(field)),
                "answers.{kind}.{field}"
            );
        }
    }
    for (vocabulary, words) in WORDS {
        for word in *words {
            assert!(
                !contract.values(vocabulary, word).is_empty(),
                "words.{vocabulary}.{word}"
            );
        }
    }
    for field in FIELDS {
        assert!(contract.fields.contains_key(field), "fields.{field}");
    }
    for (page, _) in PAGES {
        assert!(contract.pages.contains_key(page), "pages.{page}");
    }
    // The default maps every object as it comes: the fast path.
    for kind in ["server", "list", "pool", "user", "token"] {
        assert!(contract.as_is.contains(kind), "{kind} is read as it comes");
    }
}

fn error_of(text: &str) -> String {
    let err = Contract::with_file("etc/pmdci6-dcimanager.toml", text).expect_err("refused");
    assert_eq!(classify(&err).0, ErrorKind::ModuleConfig);
    format!("{err:#}")
}

#[test]
fn a_file_that_does_not_parse_names_the_file_and_the_line() {
    let message = error_of("[requests.set_owner]\nmethod = \"POST\"\npath = \n");
    assert!(
        message.contains("etc/pmdci6-dcimanager.toml, line 3"),
        "{message}"
    );
}

#[test]
fn an_unknown_entry_is_named_with_its_line() {
    let message =
        error_of("# a comment\n\n[requests.set_ownr]\nmethod = \"POST\"\npath = \"/x\"\n");
    assert!(message.contains("line 3, requests.set_ownr"), "{message}");
    assert!(
        message.contains("set_owner"),
        "the known entries are listed: {message}"
    );
    let message = error_of("[answers.server]\nowner_mail = \"/owner_email\"\n");
    assert!(
        message.contains("line 2, answers.server.owner_mail"),
        "{message}"
    );
    let message = error_of("[words.port_status]\nenabled = [\"enabled\"]\n");
    assert!(message.contains("words.port_status.enabled"), "{message}");
    let message = error_of("[tables]\nx = 1\n");
    assert!(message.contains("line 1"), "{message}");
}

#[test]
fn an_unknown_placeholder_is_named() {
    let message = error_of(
        "[requests.set_owner]\nmethod = \"POST\"\npath = \"/api/dci/v3/server/{server}/account\"\nbody = '{\"account\": \"{account}\"}'\n",
    );
    assert!(message.contains("requests.set_owner"), "{message}");
    assert!(message.contains("{account}"), "{message}");
    assert!(message.contains("server, user"), "{message}");
    let message = error_of("[pages]\nkey_login = \"/auth/{token}\"\n");
    assert!(message.contains("{token}"), "{message}");
}

#[test]
fn a_body_that_is_not_json_or_a_pointer_that_is_not_one_is_refused() {
    let message = error_of(
        "[requests.power_on]\nmethod = \"POST\"\npath = \"/x/{server}\"\nbody = '{oops'\n",
    );
    assert!(message.contains("not JSON"), "{message}");
    let message = error_of("[answers.server]\nnotes = \"comment\"\n");
    assert!(message.contains("not a JSON pointer"), "{message}");
}

const PLATFORM: &str = r#"
[requests.set_owner]
method = "POST"
path = "/api/dci/v3/server/{server}/account"
body = '{"account": "{user}"}'

[requests.remove_owner]
method = "POST"
path = "/api/dci/v3/server/{server}/account"
body = '{"account": null}'

[requests.os_install]
method = "POST"
path = "/api/dci/v3/server/{server}/reinstall"
body = '{"os": "{template}", "password": "{password}", "recipe_list": [{"recipe": "{scripts[]}"}]}'

[requests.edit_server]
method = "POST"
path = "/api/dci/v3/server/{server}"
body = '{"comment": "{notes}", "maintenance_mode": "{maintenance_mode}"}'

[answers.server]
notes = "/comment"
"operation.progress" = ""

[answers.action]
operation_id = "/id"

[words.operation_status]
ok = ["complete"]
failed = ["fail"]

[words.access]
all = [false]
admin = [true]

[answers.os_template]
access = "/adminonly"

[fields]
notes = "comment"
"#;

#[test]
fn requests_are_rendered_from_the_file() {
    let contract = Contract::with_file("platform.toml", PLATFORM).expect("contract");
    let owner = contract
        .render("set_owner", &[("server", json!(12)), ("user", json!(57))])
        .expect("rendered");
    assert_eq!(owner.path, "/api/dci/v3/server/12/account");
    assert_eq!(owner.body, Some(json!({"account": 57})));
    let release = contract
        .render(
            "remove_owner",
            &[("server", json!(12)), ("user", json!(57))],
        )
        .expect("rendered");
    assert_eq!(release.method, Method::Post);
    assert_eq!(release.body, Some(json!({"account": null})));
    let install = contract
        .render(
            "os_install",
            &[
                ("server", json!(12)),
                ("template", json!(4)),
                ("password", json!("pw")),
                ("domain", json!("srv.example.net")),
                ("scripts", json!([7, 8])),
                ("ssh_keys", json!([])),
            ],
        )
        .expect("rendered");
    assert_eq!(install.path, "/api/dci/v3/server/12/reinstall");
    assert_eq!(
        install.body,
        Some(json!({"os": 4, "password": "pw", "recipe_list": [{"recipe": 7}, {"recipe": 8}]}))
    );
    // Only what is given is sent.
    let notes = contract
        .render(
            "edit_server",
            &[("server", json!(12)), ("notes", json!("billmgr-item:4"))],
        )
        .expect("rendered");
    assert_eq!(notes.body, Some(json!({"comment": "billmgr-item:4"})));
    assert_eq!(contract.field("notes"), "comment");
    // The default renders the same calls in its own shape.
    let default = Contract::built_in();
    let install = default
        .render(
            "os_install",
            &[
                ("server", json!(12)),
                ("template", json!(4)),
                ("password", json!("pw")),
                ("domain", json!("d")),
                ("scripts", json!([7])),
                ("ssh_keys", json!(["ssh-ed25519 AAAA"])),
            ],
        )
        .expect("rendered");
    assert_eq!(
        install.body,
        Some(
            json!({"os_template": 4, "password": "pw", "domain": "d", "scripts": [7], "ssh_keys": ["ssh-ed25519 AAAA"]})
        )
    );
    let port = default
        .render(
            "set_port",
            &[
                ("server", json!(1)),
                ("connection", json!(2)),
                ("admin_status", json!("up")),
            ],
        )
        .expect("rendered");
    assert_eq!(port.body, Some(json!({"admin_status": "up"})));
}

#[test]
fn answers_are_read_into_the_module_s_shape() {
    let contract = Contract::with_file("platform.toml", PLATFORM).expect("contract");
    assert!(!contract.as_is.contains("server"));
    let page = json!({"list": [{
        "id": 5, "name": "srv-5", "comment": "billmgr-item:4", "owner_email": null,
        "operation": {"id": 9, "status": "complete", "progress_info": [{}]},
        "power_status": "on", "ip": [{"id": 1, "name": "192.0.2.5", "family": "ipv4"}],
        "switch_connection": []
    }], "size": 1});
    let list: List<Server> = contract
        .read_list("server", page.to_string().as_bytes())
        .expect("read");
    let server = &list.list[0];
    assert_eq!(server.notes, "billmgr-item:4");
    let operation = server.operation.as_ref().expect("operation");
    assert_eq!(
        (operation.id, operation.status, operation.progress),
        (9, OperationStatus::Ok, None)
    );
    assert_eq!(server.ip[0].name, "192.0.2.5");
    // A word the contract does not list, in a tolerant vocabulary, is the module's "unknown".
    let odd = json!({"list": [{"id": 6, "operation": {"id": 1, "status": "paused"}}]});
    let list: List<Server> = contract
        .read_list("server", odd.to_string().as_bytes())
        .expect("read");
    assert_eq!(
        list.list[0].operation.as_ref().map(|o| o.status),
        Some(OperationStatus::Unknown)
    );
    // In a strict one, an error naming the field and the vocabulary.
    let bad_port =
        json!({"list": [{"id": 6, "switch_connection": [{"id": 1, "admin_status": "enabled"}]}]});
    let err = contract
        .read_list::<List<Server>>("server", bad_port.to_string().as_bytes())
        .expect_err("refused");
    assert!(
        err.contains("admin_status") && err.contains("words.port_status"),
        "{err}"
    );
    let action: ActionAnswer = contract
        .read("action", br#"{"id": 77, "task": 3}"#)
        .expect("read");
    assert_eq!(action.operation_id, Some(77));
    let template: crate::dci::api::OsTemplate = contract
        .read(
            "os_template",
            br#"{"id": 4, "name": "Debian-12", "adminonly": false}"#,
        )
        .expect("read");
    assert_eq!(template.access, crate::dci::api::Access::All);
}

#[test]
fn a_null_parent_is_a_null_object_and_an_absent_field_stays_absent() {
    let contract = Contract::with_file("platform.toml", PLATFORM).expect("contract");
    let mut shaped: Value =
        serde_json::from_str(r#"{"id": 3, "owner": null, "notes": "stale"}"#).expect("json");
    contract.reshape("server", &mut shaped).expect("shaped");
    assert_eq!(shaped["owner"], Value::Null);
    assert!(shaped.get("maintenance_mode").is_none());
    assert!(shaped.get("notes").is_none());
}

#[test]
fn an_address_without_family_is_told_by_the_address_never_assumed() {
    let contract = Contract::built_in();
    let server: Server = contract
        .read(
            "server",
            br#"{"id": 1, "ip": [{"id": 7, "name": "2001:db8::5"}, {"id": 8, "name": "192.0.2.5"}]}"#,
        )
        .expect("read");
    let families: Vec<_> = server.ip.iter().map(|ip| ip.family).collect();
    assert_eq!(
        families,
        [
            crate::dci::api::IpFamily::Ipv6,
            crate::dci::api::IpFamily::Ipv4
        ]
    );
    let err = contract
        .read::<Server>(
            "server",
            br#"{"id": 1, "ip": [{"id": 7, "name": "srv-1.example"}]}"#,
        )
        .expect_err("refused");
    assert!(err.contains("no family"), "{err}");
}
