//! The OpenAPI document of each dialect: what it lists is what the simulator serves.

use std::collections::BTreeSet;
use std::process::Command;

use dci6_sim::{Dialect, SimOptions};
use serde_json::{Value, json};

use crate::common::{Client, start_with};

/// `METHOD path` of every operation in the document.
fn operations(document: &Value) -> BTreeSet<String> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, methods)| {
            methods
                .as_object()
                .unwrap()
                .keys()
                .map(move |method| format!("{} {path}", method.to_ascii_uppercase()))
        })
        .collect()
}

const SHARED: &[&str] = &[
    "POST /api/auth/v4/public/token",
    "POST /api/auth/v4/public/key",
    "DELETE /api/auth/v4/token/{token}",
    "POST /api/auth/v4/user/{user}/key",
    "GET /api/dci/v3/server",
    "GET /api/dci/v3/server/configuration",
    "GET /api/dci/v3/server/{server}",
    "POST /api/dci/v3/server/{server}",
    "POST /api/dci/v3/server/{server}/power_on",
    "POST /api/dci/v3/server/{server}/power_off",
    "POST /api/dci/v3/server/{server}/power_reset",
    "POST /api/dci/v3/server/{server}/ip",
    "POST /api/dci/v3/server/{server}/diagnostics",
    "POST /api/dci/v3/server/{server}/operation/stop",
    "POST /api/dci/v3/server/{server}/switch_connection/{connection}",
    "GET /api/dci/v3/user",
    "POST /api/dci/v3/user",
    "GET /api/dci/v3/location",
    "GET /api/dci/v3/location/{location}",
    "GET /api/dci/v3/rack",
    "GET /api/dci/v3/rack/{rack}",
    "GET /api/ip/v3/ippool",
    "GET /api/dci/v3/ippool/settings",
    "GET /api/dci/v3/os_template",
    "GET /api/dci/v3/script",
    "GET /api/dci/v3/server/traffic",
];

fn expected(own: &[&str]) -> BTreeSet<String> {
    SHARED.iter().chain(own).map(|s| s.to_string()).collect()
}

/// The schema at `pointer` under an operation's schema (`/paths/..`).
fn schema<'a>(document: &'a Value, pointer: &str) -> &'a Value {
    document
        .pointer(pointer)
        .unwrap_or_else(|| panic!("{pointer} is not in the document"))
}

fn answer(path: &str, method: &str) -> String {
    format!(
        "/paths/{}/{method}/responses/200/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    )
}

fn request(path: &str) -> String {
    format!(
        "/paths/{}/post/requestBody/content/application~1json/schema",
        path.replace('~', "~0").replace('/', "~1")
    )
}

#[test]
fn default_document() {
    let document = Dialect::Default.openapi();
    assert_eq!(document["openapi"], "3.0.3");
    assert_eq!(
        operations(&document),
        expected(&[
            "POST /api/dci/v3/server/{server}/owner",
            "DELETE /api/dci/v3/server/{server}/owner",
            "DELETE /api/dci/v3/server/{server}/ip/{ip}",
            "POST /api/dci/v3/server/{server}/os_install",
        ])
    );
    let install = schema(
        &document,
        &request("/api/dci/v3/server/{server}/os_install"),
    );
    assert_eq!(install["additionalProperties"], false);
    assert_eq!(
        install["required"],
        json!(["os_template", "password", "domain"])
    );
    assert_eq!(install["properties"]["scripts"]["items"]["type"], "integer");
    assert_eq!(install["properties"]["ssh_keys"]["items"]["type"], "string");
    let started = schema(
        &document,
        &answer("/api/dci/v3/server/{server}/os_install", "post"),
    );
    assert_eq!(
        started["properties"]["operation"]["properties"]["id"]["type"],
        "integer"
    );

    let server = schema(&document, &answer("/api/dci/v3/server/{server}", "get"));
    let pointer = |p: &str| server.pointer(p).cloned();
    assert_eq!(
        pointer("/properties/owner/properties/id/type"),
        Some(json!("integer"))
    );
    assert_eq!(pointer("/properties/owner/nullable"), Some(json!(true)));
    assert_eq!(
        pointer("/properties/operation/properties/type/type"),
        Some(json!("string"))
    );
    assert_eq!(
        pointer("/properties/operation/properties/progress/type"),
        Some(json!("integer"))
    );
    assert_eq!(pointer("/properties/notes/type"), Some(json!("string")));
    assert_eq!(
        pointer("/properties/ip/items/properties/pool/type"),
        Some(json!("integer"))
    );
    assert_eq!(pointer("/properties/comment"), None);
    let list = schema(&document, &answer("/api/dci/v3/server", "get"));
    assert_eq!(list["properties"]["list"]["items"], *server);
    assert_eq!(list["properties"]["size"]["type"], "integer");
    let templates = schema(&document, &answer("/api/dci/v3/os_template", "get"));
    assert_eq!(
        templates.pointer("/properties/list/items/properties/access/type"),
        Some(&json!("string"))
    );
    let users = schema(&document, &answer("/api/dci/v3/user", "get"));
    assert_eq!(
        users.pointer("/properties/list/items/properties/roles/type"),
        Some(&json!("string"))
    );
    let parameters = schema(&document, "/paths/~1api~1dci~1v3~1server/get/parameters");
    let names: Vec<&str> = parameters
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["where", "orderby", "limit"]);
    let error = "/paths/~1api~1dci~1v3~1server/get/responses/default/content/application~1json\
                 /schema/properties/error";
    assert_eq!(
        schema(&document, error),
        &json!({"type": "object", "required": ["code", "msg", "value"],
                "properties": {"code": {"type": "integer"}, "msg": {"type": "string"},
                               "value": {}}})
    );
}

#[test]
fn platform_document() {
    let document = Dialect::Platform.openapi();
    assert_eq!(
        operations(&document),
        expected(&[
            "POST /api/dci/v3/server/{server}/account",
            "DELETE /api/ip/v3/ip/{ip}",
            "POST /api/dci/v3/server/{server}/reinstall",
        ])
    );
    let reinstall = schema(&document, &request("/api/dci/v3/server/{server}/reinstall"));
    assert_eq!(reinstall["required"], json!(["os", "password", "domain"]));
    assert_eq!(
        reinstall.pointer("/properties/recipe_list/items/properties/recipe/type"),
        Some(&json!("integer"))
    );
    assert_eq!(
        reinstall.pointer("/properties/recipe_list/items/additionalProperties"),
        Some(&json!(false))
    );
    let started = schema(
        &document,
        &answer("/api/dci/v3/server/{server}/reinstall", "post"),
    );
    assert_eq!(
        started["properties"],
        json!({"id": {"type": "integer"}, "task": {"type": "integer"}})
    );
    let account = schema(&document, &request("/api/dci/v3/server/{server}/account"));
    assert_eq!(
        account["properties"]["account"],
        json!({"type": "integer", "nullable": true})
    );
    let ips = schema(&document, &request("/api/dci/v3/server/{server}/ip"));
    let fields: Vec<&String> = ips["properties"].as_object().unwrap().keys().collect();
    assert_eq!(
        fields,
        ["ipv4_number", "ipv4_pool", "ipv6_number", "ipv6_pool"]
    );
    let edit = schema(&document, &request("/api/dci/v3/server/{server}"));
    assert!(edit["properties"].get("comment").is_some());
    assert!(edit["properties"].get("notes").is_none());

    let server = schema(&document, &answer("/api/dci/v3/server/{server}", "get"));
    let pointer = |p: &str| server.pointer(p).cloned();
    assert_eq!(
        pointer("/properties/operation/properties/progress_info/items/properties/progress/type"),
        Some(json!("integer"))
    );
    assert_eq!(pointer("/properties/operation/properties/type"), None);
    assert_eq!(pointer("/properties/owner"), None);
    assert_eq!(
        pointer("/properties/owner_email/nullable"),
        Some(json!(true))
    );
    assert_eq!(pointer("/properties/comment/type"), Some(json!("string")));
    assert_eq!(pointer("/properties/ip"), None);
    assert_eq!(pointer("/properties/switch_connection"), None);
    let list = schema(&document, &answer("/api/dci/v3/server", "get"));
    let item = |p: &str| list.pointer(&format!("/properties/list/items{p}")).cloned();
    assert_eq!(
        item("/properties/ip/items/properties/name/type"),
        Some(json!("string"))
    );
    assert_eq!(item("/properties/ip/items/properties/pool"), None);
    assert_eq!(
        item("/properties/switch_connection/items/properties/admin_status/type"),
        Some(json!("string"))
    );
    assert_eq!(item("/properties/comment/type"), Some(json!("string")));
    let users = schema(&document, &answer("/api/dci/v3/user", "get"));
    assert_eq!(
        users.pointer("/properties/list/items/properties/roles/items/type"),
        Some(&json!("string"))
    );
    let templates = schema(&document, &answer("/api/dci/v3/os_template", "get"));
    assert_eq!(
        templates.pointer("/properties/list/items/properties/adminonly/type"),
        Some(&json!("boolean"))
    );
    let error = "/paths/~1api~1ip~1v3~1ip~1{ip}/delete/responses/default/content/application~1json\
                 /schema/properties/error";
    assert_eq!(schema(&document, error)["required"], json!(["code", "msg"]));
}

/// Every operation the document lists is served (its path and method are routed), and the
/// handle, the dialect and the binary give the same document.
#[test]
fn the_document_is_what_the_simulator_serves() {
    for dialect in [Dialect::Default, Dialect::Platform] {
        let sim = start_with(SimOptions {
            dialect,
            ..SimOptions::default()
        });
        let document = sim.openapi();
        assert_eq!(document, dialect.openapi());
        let client = Client::admin(&sim);
        for operation in operations(&document) {
            let (method, template) = operation.split_once(' ').unwrap();
            let path = template
                .replace("{server}", "1")
                .replace("{connection}", "31")
                .replace("{ip}", "901")
                .replace("{location}", "1")
                .replace("{rack}", "7")
                .replace("{user}", "57")
                .replace("{token}", "0");
            let body = (method == "POST").then_some("{}");
            let reply = client.call(method, &path, body);
            assert!(
                reply.status != 405 && reply.json["error"]["msg"] != "no such route",
                "{dialect}: {operation} answered {}",
                reply.text
            );
        }
        let output = Command::new(env!("CARGO_BIN_EXE_dci6-sim"))
            .args(["--print-openapi", "--dialect", dialect.as_str()])
            .output()
            .unwrap();
        assert!(output.status.success());
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed, document);
    }
    let output = Command::new(env!("CARGO_BIN_EXE_dci6-sim"))
        .args(["--print-openapi", "--dialect", "vm6"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("unknown dialect"));
}
