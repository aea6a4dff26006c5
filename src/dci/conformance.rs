//! How well an installation matches the contract: the pure half of `probe`.
//!
//! `probe` reads what it can without changing anything and hands the raw answers here; an
//! OpenAPI document exported from the installation's `/swagger/` covers what cannot be called.
//! Every entry of the contract gets one [`Finding`]: it holds, it differs (with what was seen
//! and what to write in the file), or it was not checked (and why).

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::adapter::json_type;
use super::contract::{Contract, Method, NESTED, WORDED};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Holds,
    Differs,
    NotChecked,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Holds => "holds",
            Verdict::Differs => "differs",
            Verdict::NotChecked => "not checked",
        })
    }
}

/// The verdict on one entry of the contract (`requests.set_owner`, `answers.server.notes`,
/// `words.operation_status`), in words for the administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub entry: String,
    pub verdict: Verdict,
    pub detail: String,
}

/// The JSON types the module reads a field as; a field whose type differs does not parse.
const TYPES: &[(&str, &str, &[&str])] = &[
    ("server", "id", &["number"]),
    ("server", "name", &["string"]),
    ("server", "domain", &["string", "null"]),
    ("server", "location_id", &["number"]),
    ("server", "rack.id", &["number", "null"]),
    ("server", "rack.name", &["string"]),
    ("server", "configuration", &["string", "null"]),
    ("server", "owner_email", &["string", "null"]),
    ("server", "owner.id", &["number", "null"]),
    ("server", "owner.email", &["string"]),
    ("server", "is_new", &["boolean"]),
    (
        "server",
        "diagnostics.status",
        &["string", "number", "boolean"],
    ),
    ("server", "operation.id", &["number"]),
    (
        "server",
        "operation.status",
        &["string", "number", "boolean"],
    ),
    ("server", "operation.progress", &["number", "null"]),
    ("server", "maintenance_mode", &["boolean"]),
    ("server", "in_operation", &["boolean"]),
    ("server", "power_status", &["string", "number", "boolean"]),
    ("server", "mac_addresses", &["array"]),
    ("server", "errors.diagnostics", &["array"]),
    ("server", "errors.status", &["array"]),
    ("server", "os_template.id", &["number"]),
    ("server", "os_template.name", &["string"]),
    ("server", "ip", &["array"]),
    ("server", "switch_connection", &["array"]),
    ("server", "notes", &["string", "null"]),
    ("ip", "id", &["number"]),
    ("ip", "name", &["string"]),
    ("ip", "family", &["string", "number", "boolean"]),
    ("ip", "gateway", &["string", "null"]),
    ("ip", "network", &["string", "null"]),
    ("ip", "pool", &["number", "null"]),
    ("switch_connection", "id", &["number"]),
    ("switch_connection", "switch", &["number"]),
    ("switch_connection", "description", &["string"]),
    (
        "switch_connection",
        "admin_status",
        &["string", "number", "boolean"],
    ),
    (
        "switch_connection",
        "oper_status",
        &["string", "number", "boolean"],
    ),
    ("switch_connection", "is_ipmi_connection", &["boolean"]),
    ("configuration", "configuration", &["string"]),
    ("configuration", "free_server_count", &["number"]),
    ("user", "id", &["number"]),
    ("user", "email", &["string"]),
    ("user", "server_count", &["number"]),
    ("user", "roles", &["string", "array", "null"]),
    ("location", "id", &["number"]),
    ("location", "name", &["string"]),
    ("location", "ippool", &["number", "null"]),
    ("rack", "id", &["number"]),
    ("rack", "name", &["string"]),
    ("rack", "location_id", &["number"]),
    ("rack", "ippool", &["number", "null"]),
    ("pool", "id", &["number"]),
    ("pool", "name", &["string"]),
    ("pool", "families", &["array"]),
    ("pool", "free_ipv4", &["number", "null"]),
    ("pool_settings", "allocation", &["array"]),
    ("pool_settings", "deallocation", &["array"]),
    ("os_template", "id", &["number"]),
    ("os_template", "name", &["string"]),
    ("os_template", "access", &["string", "number", "boolean"]),
    ("os_template", "location_id", &["number"]),
    ("script", "id", &["number"]),
    ("script", "name", &["string"]),
    ("script", "access", &["string", "number", "boolean"]),
    ("traffic", "server", &["number"]),
    ("traffic", "connection", &["number"]),
    ("traffic", "date", &["string"]),
    ("traffic", "received", &["number"]),
    ("traffic", "sent", &["number"]),
];

/// Which request answers each kind, and whether in a list; for the swagger check.
const ANSWERED_BY: &[(&str, &str, bool)] = &[
    ("server", "servers", true),
    ("configuration", "configurations", true),
    ("user", "users", true),
    ("location", "location", false),
    ("rack", "rack", false),
    ("pool", "pools", true),
    ("pool_settings", "pool_settings", false),
    ("os_template", "os_templates", true),
    ("script", "scripts", true),
    ("token", "login", false),
    ("key", "user_key", false),
    ("created", "create_user", false),
    ("action", "diagnostics", false),
    ("added_ips", "add_ipv4", false),
    ("traffic", "traffic", true),
];

/// What `probe` read of one kind: the objects, in DCImanager's own shape.
#[derive(Debug, Default)]
pub struct Observed {
    pub objects: BTreeMap<&'static str, Vec<Value>>,
}

impl Observed {
    /// Adds `objects` of `kind`, and the objects nested in them (a server's addresses and
    /// ports), found through the contract's pointers.
    pub fn add(&mut self, contract: &Contract, kind: &'static str, objects: Vec<Value>) {
        for (of, field, item) in NESTED {
            if *of != kind {
                continue;
            }
            let Some(pointer) = contract.pointer(kind, field) else {
                continue;
            };
            let nested: Vec<Value> = objects
                .iter()
                .filter_map(|object| object.pointer(pointer))
                .filter_map(Value::as_array)
                .flatten()
                .cloned()
                .collect();
            self.objects.entry(item).or_default().extend(nested);
        }
        self.objects.entry(kind).or_default().extend(objects);
    }
}

/// Every answer field of the kinds read, and every vocabulary, against what was seen.
pub fn check_answers(contract: &Contract, observed: &Observed) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (kind, objects) in &observed.objects {
        for (field, pointer) in contract.answer_fields(kind) {
            findings.push(check_field(kind, field, pointer, objects));
        }
    }
    for (kind, field, vocabulary) in WORDED {
        let Some(objects) = observed.objects.get(kind) else {
            continue;
        };
        let Some(pointer) = contract.pointer(kind, field) else {
            continue;
        };
        let mut seen: BTreeMap<String, (Value, usize)> = BTreeMap::new();
        for value in objects.iter().filter_map(|object| object.pointer(pointer)) {
            let values = match value {
                Value::Array(values) => values.clone(),
                Value::Null => Vec::new(),
                one => vec![one.clone()],
            };
            for one in values {
                seen.entry(one.to_string()).or_insert((one, 0)).1 += 1;
            }
        }
        let entry = format!("words.{vocabulary} ({kind}.{field})");
        if seen.is_empty() {
            findings.push(Finding {
                entry,
                verdict: Verdict::NotChecked,
                detail: "no value seen".into(),
            });
            continue;
        }
        let listed = |value: &Value| {
            contract
                .vocabulary(vocabulary)
                .any(|(_, values)| values.contains(value))
        };
        let counts: Vec<String> = seen
            .values()
            .map(|(value, count)| format!("{value} ×{count}"))
            .collect();
        let unknown: Vec<String> = seen
            .values()
            .filter(|(value, _)| !listed(value))
            .map(|(value, _)| value.to_string())
            .collect();
        findings.push(if unknown.is_empty() {
            Finding {
                entry,
                verdict: Verdict::Holds,
                detail: format!("seen {}", counts.join(", ")),
            }
        } else {
            Finding {
                entry,
                verdict: Verdict::Differs,
                detail: format!(
                    "seen {}; {} not in the contract: add each under the word it means in [words.{vocabulary}]",
                    counts.join(", "),
                    unknown.join(", ")
                ),
            }
        });
    }
    findings
}

fn check_field(kind: &str, field: &str, pointer: &str, objects: &[Value]) -> Finding {
    let entry = format!("answers.{kind}.{field}");
    let finding = |verdict, detail: String| Finding {
        entry: entry.clone(),
        verdict,
        detail,
    };
    if pointer.is_empty() {
        return finding(
            Verdict::NotChecked,
            "\"\": this DCImanager does not give it (the module treats it as unknown)".into(),
        );
    }
    if objects.is_empty() {
        return finding(
            Verdict::NotChecked,
            "no object of this kind was listed".into(),
        );
    }
    let present: Vec<&Value> = objects.iter().filter_map(|o| o.pointer(pointer)).collect();
    let mut types: BTreeMap<&str, usize> = BTreeMap::new();
    for value in &present {
        *types.entry(json_type(value)).or_default() += 1;
    }
    let seen: Vec<String> = types.iter().map(|(t, n)| format!("{t} ×{n}")).collect();
    if present.is_empty() {
        let parent_null = pointer.rsplit_once('/').is_some_and(|(parent, _)| {
            !parent.is_empty()
                && objects
                    .iter()
                    .all(|o| o.pointer(parent).is_none_or(Value::is_null))
                && objects.iter().any(|o| o.pointer(parent).is_some())
        });
        if parent_null {
            return finding(
                Verdict::NotChecked,
                format!(
                    "{pointer}: its parent is null in all {} objects",
                    objects.len()
                ),
            );
        }
        return finding(
            Verdict::Differs,
            format!(
                "{pointer} is in none of {} objects: write the pointer where this DCImanager has it, or \"\" if it has none",
                objects.len()
            ),
        );
    }
    let expected = TYPES
        .iter()
        .find(|(k, f, _)| *k == kind && *f == field)
        .map(|(_, _, types)| *types);
    if let Some(expected) = expected
        && let Some(wrong) = types.keys().find(|t| !expected.contains(t))
    {
        return finding(
            Verdict::Differs,
            format!(
                "{pointer} present in {} of {}, seen {} ({wrong} where the module reads {})",
                present.len(),
                objects.len(),
                seen.join(", "),
                expected.join(" or ")
            ),
        );
    }
    finding(
        Verdict::Holds,
        format!(
            "{pointer} present in {} of {} ({})",
            present.len(),
            objects.len(),
            seen.join(", ")
        ),
    )
}

/// Every request and every answer pointer against an OpenAPI document of the installation.
pub fn check_swagger(contract: &Contract, swagger: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    let paths = swagger.get("paths").and_then(Value::as_object);
    for (name, entry) in contract.requests() {
        let label = format!("requests.{name} (swagger)");
        let method = entry.method.as_str().to_ascii_lowercase();
        let Some((path, operation)) = paths.and_then(|paths| {
            paths
                .iter()
                .find(|(path, _)| same_template(path, &entry.path))
                .and_then(|(path, item)| item.get(&method).map(|op| (path, op)))
        }) else {
            let other = paths.and_then(|paths| {
                paths
                    .iter()
                    .find(|(path, _)| same_template(path, &entry.path))
                    .map(|(_, item)| {
                        item.as_object()
                            .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                    })
            });
            findings.push(Finding {
                entry: label,
                verdict: Verdict::Differs,
                detail: match other {
                    Some(methods) => format!(
                        "{} {} is not in the document; the path has {}",
                        entry.method.as_str(),
                        entry.path,
                        methods.unwrap_or_default()
                    ),
                    None => format!(
                        "{} {} is not in the document",
                        entry.method.as_str(),
                        entry.path
                    ),
                },
            });
            continue;
        };
        let undeclared: Vec<String> = match (&entry.body, entry.method) {
            (Some(Value::Object(fields)), Method::Post) => {
                let schema = operation
                    .pointer("/requestBody/content/application~1json/schema")
                    .map(|schema| resolve(swagger, schema));
                fields
                    .keys()
                    .filter(|key| {
                        schema
                            .and_then(|s| s.get("properties"))
                            .and_then(|p| p.get(key.as_str()))
                            .is_none()
                    })
                    .cloned()
                    .collect()
            }
            _ => Vec::new(),
        };
        findings.push(if undeclared.is_empty() {
            Finding {
                entry: label,
                verdict: Verdict::Holds,
                detail: format!("{} {path} is declared", entry.method.as_str()),
            }
        } else {
            Finding {
                entry: label,
                verdict: Verdict::Differs,
                detail: format!(
                    "the body sends {} that {} {path} does not declare",
                    undeclared.join(", "),
                    entry.method.as_str()
                ),
            }
        });
    }
    for (kind, request, listed) in ANSWERED_BY {
        let entry = contract.request(request);
        let method = entry.method.as_str().to_ascii_lowercase();
        let schema = paths
            .and_then(|paths| {
                paths
                    .iter()
                    .find(|(path, _)| same_template(path, &entry.path))
            })
            .and_then(|(_, item)| item.get(&method))
            .and_then(answer_schema)
            .map(|schema| resolve(swagger, schema));
        let Some(mut schema) = schema else {
            continue;
        };
        if *listed {
            let items = contract
                .pointer("list", "items")
                .and_then(|pointer| schema_at(swagger, schema, pointer));
            match items.and_then(|array| array.get("items")) {
                Some(item) => schema = resolve(swagger, item),
                None => continue,
            }
        }
        findings.extend(check_schema(contract, swagger, kind, schema));
    }
    findings
}

fn check_schema(contract: &Contract, swagger: &Value, kind: &str, schema: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (field, pointer) in contract.answer_fields(kind) {
        if pointer.is_empty() {
            continue;
        }
        let found = schema_at(swagger, schema, pointer);
        findings.push(Finding {
            entry: format!("answers.{kind}.{field} (swagger)"),
            verdict: if found.is_some() {
                Verdict::Holds
            } else {
                Verdict::Differs
            },
            detail: match found {
                Some(_) => format!("{pointer} is declared"),
                None => format!("{pointer} is not in the answer's schema"),
            },
        });
        if let (Some(nested), Some((_, _, item))) = (
            found,
            NESTED.iter().find(|(k, f, _)| *k == kind && *f == field),
        ) && let Some(item_schema) = nested.get("items")
        {
            findings.extend(check_schema(
                contract,
                swagger,
                item,
                resolve(swagger, item_schema),
            ));
        }
    }
    findings
}

/// The schema of a successful JSON answer of an operation.
fn answer_schema(operation: &Value) -> Option<&Value> {
    let responses = operation.get("responses")?.as_object()?;
    responses
        .iter()
        .find(|(status, _)| status.starts_with('2'))
        .and_then(|(_, response)| response.pointer("/content/application~1json/schema"))
}

/// The schema a JSON pointer reaches from `schema`, through `properties` and array `items`.
fn schema_at<'a>(swagger: &'a Value, schema: &'a Value, pointer: &str) -> Option<&'a Value> {
    pointer
        .split('/')
        .skip(1)
        .try_fold(resolve(swagger, schema), |at, segment| {
            let segment = segment.replace("~1", "/").replace("~0", "~");
            match at.get("properties").and_then(|p| p.get(&segment)) {
                Some(next) => Some(resolve(swagger, next)),
                None if segment.parse::<usize>().is_ok() => {
                    at.get("items").map(|items| resolve(swagger, items))
                }
                None => None,
            }
        })
}

/// A `$ref` to the document's components followed, once or more.
fn resolve<'a>(swagger: &'a Value, schema: &'a Value) -> &'a Value {
    let mut at = schema;
    for _ in 0..16 {
        match at.get("$ref").and_then(Value::as_str) {
            Some(reference) => match reference.strip_prefix('#').and_then(|p| swagger.pointer(p)) {
                Some(target) => at = target,
                None => return at,
            },
            None => return at,
        }
    }
    at
}

/// `/api/x/{id}/y` and `/api/x/{server}/y` are the same route: placeholders match each other.
fn same_template(documented: &str, ours: &str) -> bool {
    let a: Vec<&str> = documented.trim_end_matches('/').split('/').collect();
    let b: Vec<&str> = ours.trim_end_matches('/').split('/').collect();
    a.len() == b.len()
        && a.iter().zip(&b).all(|(x, y)| {
            let placeholder = |s: &str| s.starts_with('{') && s.ends_with('}');
            x == y || (placeholder(x) && placeholder(y))
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn contract() -> std::sync::Arc<Contract> {
        Contract::built_in()
    }

    #[test]
    fn fields_and_words_are_judged_by_what_was_seen() {
        let contract = contract();
        let mut observed = Observed::default();
        observed.add(
            &contract,
            "server",
            vec![
                json!({"id": 1, "name": "a", "notes": "", "operation": {"id": 3, "status": "complete"},
                       "owner": null, "ip": [{"id": 9, "name": "192.0.2.1", "family": "ipv4"}]}),
                json!({"id": 2, "name": "b", "notes": 5, "operation": null, "owner": null, "ip": []}),
            ],
        );
        let findings = check_answers(&contract, &observed);
        let verdict = |entry: &str| {
            findings
                .iter()
                .find(|f| f.entry == entry)
                .map(|f| (f.verdict, f.detail.clone()))
                .unwrap_or_else(|| panic!("no finding for {entry}: {findings:#?}"))
        };
        assert_eq!(verdict("answers.server.id").0, Verdict::Holds);
        let (notes, detail) = verdict("answers.server.notes");
        assert_eq!(notes, Verdict::Differs, "{detail}");
        assert!(
            detail.contains("number where the module reads string"),
            "{detail}"
        );
        let (maintenance, detail) = verdict("answers.server.maintenance_mode");
        assert_eq!(maintenance, Verdict::Differs);
        assert!(detail.contains("in none of 2"), "{detail}");
        assert_eq!(verdict("answers.server.owner.id").0, Verdict::NotChecked);
        assert_eq!(verdict("answers.ip.name").0, Verdict::Holds);
        let (words, detail) = verdict("words.operation_status (server.operation.status)");
        assert_eq!(words, Verdict::Differs);
        assert!(
            detail.contains("\"complete\" ×1") && detail.contains("not in the contract"),
            "{detail}"
        );
    }

    #[test]
    fn the_swagger_check_finds_routes_body_fields_and_pointers() {
        let contract = contract();
        let swagger = json!({"paths": {
            "/api/dci/v3/server/{id}/owner": {"post": {"requestBody": {"content": {"application/json":
                {"schema": {"properties": {"account": {"type": "integer"}}}}}}}},
            "/api/dci/v3/server": {"get": {"responses": {"200": {"content": {"application/json": {"schema":
                {"$ref": "#/components/schemas/list"}}}}}}}
        }, "components": {"schemas": {"list": {"properties": {"list": {"type": "array", "items":
            {"properties": {"id": {}, "name": {}, "ip": {"type": "array", "items": {"properties": {"id": {}}}}}}}}}}}});
        let findings = check_swagger(&contract, &swagger);
        let find = |entry: &str| {
            findings
                .iter()
                .find(|f| f.entry == entry)
                .unwrap_or_else(|| panic!("no {entry}: {findings:#?}"))
        };
        let owner = find("requests.set_owner (swagger)");
        assert_eq!(owner.verdict, Verdict::Differs);
        assert!(owner.detail.contains("user"), "{}", owner.detail);
        assert_eq!(
            find("requests.power_on (swagger)").verdict,
            Verdict::Differs
        );
        assert_eq!(find("answers.server.id (swagger)").verdict, Verdict::Holds);
        assert_eq!(
            find("answers.server.notes (swagger)").verdict,
            Verdict::Differs
        );
        assert_eq!(find("answers.ip.id (swagger)").verdict, Verdict::Holds);
        assert_eq!(find("answers.ip.name (swagger)").verdict, Verdict::Differs);
    }
}
