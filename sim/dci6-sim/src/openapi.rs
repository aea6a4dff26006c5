//! The OpenAPI 3 document of a dialect, for clients that check a contract against an
//! installation's exported `/swagger/` document without calling it.
//!
//! Paths and methods come from the route table the simulator dispatches on. The schemas are read
//! from what the simulator itself accepts and answers: every route's sample bodies are run
//! against a small sample installation (a fresh one per route) through the same handlers as HTTP
//! calls, and the request and answer schemas are the shapes of those bodies and answers, merged.
//! So the document cannot drift from the simulator: a field renamed in a handler or a view is
//! renamed in the document.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::handlers::{self, Call};
use crate::inventory::Inventory;
use crate::routes::{self, Endpoint, Method, Params, ROUTES, Route, Segment};
use crate::sessions::Subject;
use crate::world::World;

impl Dialect {
    /// The OpenAPI 3.0 document of this dialect: every route and method, each POST's request
    /// body schema (`additionalProperties: false`, as unknown fields are refused), each answer's
    /// schema with nested `properties` and `items`.
    ///
    /// Panics only if a route's sample call stops fitting the simulator, which its tests catch.
    pub fn openapi(self) -> Value {
        let mut paths = Map::new();
        for route in ROUTES.iter().filter(|r| r.serves(self)) {
            let operation = describe(self, route);
            let method = route.method.as_str().to_ascii_lowercase();
            let entry = paths
                .entry(route.openapi_path())
                .or_insert_with(|| json!({}));
            entry[method.as_str()] = operation;
        }
        json!({
            "openapi": "3.0.3",
            "info": {
                "title": format!("DCImanager 6 as dci6-sim serves it, {self} dialect"),
                "version": env!("CARGO_PKG_VERSION"),
                "description": "Every call needs the header `isp-box-instance: true`; every call \
                    but the two public logins needs `x-xsrf-token: <token>` and the cookie \
                    `ses6=<token>`.",
            },
            "paths": paths,
        })
    }
}

/// The sample installation: server 1 is free, in no rack, with an address (901) and a switch
/// port (31); server 2 is owned by user 57, with an OS, a finished operation, errors (codes of
/// both types), and addresses in a pool and outside every pool (no gateway, network or pool).
/// Location 2 and rack 8 have no pool.
fn sample_world() -> World {
    let inventory = Inventory::from_json_str(
        &json!({
            "admin": {"email": "admin@example.com", "password": "secret"},
            "locations": [{"id": 1, "name": "AMS", "ippool": 1},
                          {"id": 2, "name": "FRA", "ippool": null}],
            "racks": [{"id": 7, "name": "R07", "location_id": 1, "ippool": 1},
                      {"id": 8, "name": "R08", "location_id": 2}],
            "pools": [{"id": 1, "name": "public", "ipv4_network": "203.0.113.0/24",
                       "ipv6_network": "2001:db8:1::/64"}],
            "pool_settings": {"allocation": [1], "deallocation": [1]},
            "servers": [
                {"id": 1, "location_id": 1, "configuration": "i9-9900K-64Gb-2x1024NVMe",
                 "ip": [{"id": 901, "name": "203.0.113.10"}],
                 "switch_connection": [{"id": 31, "switch": 5, "description": "Gi1/0/1"}]},
                {"id": 2, "location_id": 1, "rack": {"id": 7},
                 "configuration": "i9-9900K-64Gb-2x1024NVMe", "owner": {"id": 57},
                 "os_template": {"id": 4}, "power_status": "on", "notes": "order 7",
                 "operation": {"id": 88, "type": "os_install", "status": "ok"},
                 "ip": [{"id": 902, "name": "203.0.113.11"}, {"id": 903, "name": "2001:db8:1::11"},
                        {"id": 904, "name": "192.0.2.7"}],
                 "errors": {"diagnostics": [{"code": "smart", "msg": "disk 2 failing"},
                                            {"code": 3, "msg": "memory"}],
                            "status": [{"code": 12, "msg": "fan"},
                                       {"code": "ipmi_unreachable", "msg": "IPMI"}]},
                 "switch_connection": [{"id": 32, "switch": 5, "description": "Gi1/0/2"}]}
            ],
            "os_templates": [
                {"id": 4, "name": "Debian-12", "access": "all", "location_id": 1},
                {"id": 5, "name": "Windows-2022", "access": "admin", "location_id": 1}
            ],
            "scripts": [{"id": 1, "name": "install-agent", "access": "all"}],
            "users": [{"id": 57, "email": "client@example.com"}]
        })
        .to_string(),
    )
    .expect("the sample inventory is valid");
    let mut world = World::new(
        inventory,
        Duration::ZERO,
        Duration::from_secs(3600),
        0,
        Instant::now(),
    )
    .expect("the sample inventory is consistent");
    // A day of traffic, so that the traffic list's schema has a row to describe.
    world.traffic.add(1, 11, "2026-01-01", 1_000, 2_000);
    world
}

/// The values a placeholder takes in the sample calls: GET calls are made with each (so that
/// the answer's schema covers a bare and a full object), other calls with the first.
fn sample_values(world: &mut World, name: &str) -> Vec<String> {
    let values: &[&str] = match name {
        "server" => &["1", "2"],
        "connection" => &["31"],
        "ip" => &["901"],
        "location" => &["1", "2"],
        "rack" => &["7", "8"],
        "user" => &["57"],
        "token" => return vec![world.sessions.issue(Subject::Admin, Instant::now()).token],
        other => panic!("no sample value for path placeholder {other}"),
    };
    values.iter().map(|v| v.to_string()).collect()
}

/// The sample paths of a route.
fn sample_paths(world: &mut World, route: &Route) -> Vec<Vec<String>> {
    let mut paths: Vec<Vec<String>> = vec![Vec::new()];
    for segment in route.segments() {
        let values = match segment {
            Segment::Literal(literal) => vec![literal.to_string()],
            Segment::Id(name) | Segment::Text(name) => sample_values(world, name),
        };
        let values = if route.method == Method::Get {
            values
        } else {
            values.into_iter().take(1).collect()
        };
        paths = paths
            .into_iter()
            .flat_map(|path| {
                values.iter().map(move |value| {
                    let mut longer = path.clone();
                    longer.push(value.clone());
                    longer
                })
            })
            .collect();
    }
    paths
}

/// Brings the sample installation to where the call can succeed; returns the body to send
/// instead of the route's sample when the call needs one only the installation can give.
fn prepare(world: &mut World, endpoint: &Endpoint) -> Option<Value> {
    match endpoint {
        Endpoint::RemoveOwner(server) => {
            world
                .set_owner(*server, 57)
                .expect("the sample server takes an owner");
            None
        }
        Endpoint::KeyLogin => {
            let (_, key) = world.issue_key("57").expect("the sample user exists");
            Some(json!({"key": key}))
        }
        _ => None,
    }
}

/// The OpenAPI operation of one route, from its sample calls.
fn describe(dialect: Dialect, route: &'static Route) -> Value {
    let mut world = sample_world();
    let mut request = Shape::default();
    let mut answer = Shape::default();
    let bodies = (route.bodies)();
    let mut is_list = false;
    for path in sample_paths(&mut world, route) {
        let segments: Vec<&str> = path.iter().map(String::as_str).collect();
        let (found, endpoint) = routes::find(dialect, route.method, &segments)
            .filter(|(found, _)| std::ptr::eq(*found, route))
            .unwrap_or_else(|| panic!("{} does not serve its own sample path", route.path));
        is_list = endpoint.is_list();
        let replacement = prepare(&mut world, &endpoint);
        let sent: Vec<Option<Value>> = match replacement {
            Some(body) => vec![Some(body)],
            None if bodies.is_empty() => vec![None],
            None => bodies.iter().cloned().map(Some).collect(),
        };
        for body in sent {
            let text = body.as_ref().map(Value::to_string).unwrap_or_default();
            let params = Params::default();
            let call = Call {
                dialect,
                endpoint: endpoint.clone(),
                params: &params,
                body: &text,
                caller: (!endpoint.is_public()).then_some(Subject::Admin),
                now: Instant::now(),
            };
            let answered = handlers::handle(&mut world, call).unwrap_or_else(|e| {
                panic!(
                    "the sample call {} /{} with {text} fails: {}",
                    found.method.as_str(),
                    path.join("/"),
                    e.msg
                )
            });
            let answered: Value =
                serde_json::from_str(&answered).expect("the simulator answers JSON");
            answer.add(&answered);
            if let Some(body) = &body {
                request.add(body);
            }
        }
    }
    let mut operation = json!({
        "responses": {
            "200": {
                "description": "done",
                "content": {"application/json": {"schema": answer.schema(None, false)}},
            },
            "default": {
                "description": "refused: the status is the error's code",
                "content": {"application/json": {"schema": error_schema(dialect)}},
            },
        },
    });
    let parameters = parameters(route, is_list);
    if !parameters.is_empty() {
        operation["parameters"] = Value::Array(parameters);
    }
    if route.method == Method::Post {
        operation["requestBody"] = json!({
            "required": true,
            "content": {"application/json": {"schema": request.schema(Some(route.required), true)}},
        });
    }
    operation
}

/// The path placeholders, and the query parameters of a list.
fn parameters(route: &Route, is_list: bool) -> Vec<Value> {
    let mut parameters: Vec<Value> = route
        .segments()
        .filter_map(|segment| match segment {
            Segment::Literal(_) => None,
            Segment::Id(name) => Some((name, "integer")),
            Segment::Text(name) => Some((name, "string")),
        })
        .map(|(name, kind)| {
            json!({"name": name, "in": "path", "required": true, "schema": {"type": kind}})
        })
        .collect();
    if is_list {
        for (name, description) in [
            (
                "where",
                "filter, e.g. `owner_email IS null AND location_id EQ 1`",
            ),
            ("orderby", "`<field> asc` or `<field> desc`"),
            ("limit", "`<offset>,<count>` or `<count>`"),
        ] {
            parameters.push(json!({"name": name, "in": "query", "required": false,
                                   "description": description, "schema": {"type": "string"}}));
        }
    }
    parameters
}

/// The error body's schema, read from one, with `value` (when the dialect has it) of any type.
fn error_schema(dialect: Dialect) -> Value {
    let mut shape = Shape::default();
    shape.add(&ApiError::not_found("no such route").body(dialect));
    let mut schema = shape.schema(None, false);
    if let Some(value) = schema.pointer_mut("/properties/error/properties/value") {
        *value = json!({});
    }
    schema
}

/// The shape of the JSON values seen at one place, merged.
#[derive(Debug, Default)]
struct Shape {
    /// How many values were seen, nulls included.
    count: usize,
    nullable: bool,
    kind: Option<Kind>,
}

#[derive(Debug)]
enum Kind {
    Boolean,
    Integer,
    Number,
    String,
    Array(Box<Shape>),
    Object {
        properties: BTreeMap<String, Shape>,
        /// How many objects were seen: a property in each of them is required.
        seen: usize,
    },
    /// Values of different types: any value.
    Mixed,
}

impl Shape {
    fn add(&mut self, value: &Value) {
        self.count += 1;
        let kind = match value {
            Value::Null => {
                self.nullable = true;
                return;
            }
            Value::Bool(_) => Kind::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => Kind::Integer,
            Value::Number(_) => Kind::Number,
            Value::String(_) => Kind::String,
            Value::Array(_) => Kind::Array(Box::default()),
            Value::Object(_) => Kind::Object {
                properties: BTreeMap::new(),
                seen: 0,
            },
        };
        let same = match (&self.kind, &kind) {
            (None, _) => {
                self.kind = Some(kind);
                true
            }
            (Some(Kind::Integer), Kind::Number) => {
                self.kind = Some(Kind::Number);
                true
            }
            (Some(Kind::Number), Kind::Integer) => true,
            (Some(known), new) => std::mem::discriminant(known) == std::mem::discriminant(new),
        };
        if !same {
            self.kind = Some(Kind::Mixed);
        }
        match (&mut self.kind, value) {
            (Some(Kind::Array(items)), Value::Array(values)) => {
                values.iter().for_each(|v| items.add(v));
            }
            (Some(Kind::Object { properties, seen }), Value::Object(fields)) => {
                *seen += 1;
                for (name, v) in fields {
                    properties.entry(name.clone()).or_default().add(v);
                }
            }
            _ => {}
        }
    }

    /// The JSON schema; `required` overrides the top level's required properties, and `closed`
    /// refuses properties not listed, at every level.
    fn schema(&self, required: Option<&[&str]>, closed: bool) -> Value {
        let mut schema = match &self.kind {
            None | Some(Kind::Mixed) => json!({}),
            Some(Kind::Boolean) => json!({"type": "boolean"}),
            Some(Kind::Integer) => json!({"type": "integer"}),
            Some(Kind::Number) => json!({"type": "number"}),
            Some(Kind::String) => json!({"type": "string"}),
            Some(Kind::Array(items)) => {
                json!({"type": "array", "items": items.schema(None, closed)})
            }
            Some(Kind::Object { properties, seen }) => {
                let names: Vec<&str> = match required {
                    Some(names) => names.to_vec(),
                    None => properties
                        .iter()
                        .filter(|(_, shape)| shape.count == *seen)
                        .map(|(name, _)| name.as_str())
                        .collect(),
                };
                let properties: Map<String, Value> = properties
                    .iter()
                    .map(|(name, shape)| (name.clone(), shape.schema(None, closed)))
                    .collect();
                let mut object = json!({"type": "object", "properties": properties});
                if !names.is_empty() {
                    object["required"] = json!(names);
                }
                if closed {
                    object["additionalProperties"] = json!(false);
                }
                object
            }
        };
        if self.nullable && self.kind.is_some() {
            schema["nullable"] = json!(true);
        }
        schema
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_merge() {
        let mut shape = Shape::default();
        shape.add(&json!({"a": 1, "b": null, "c": [1, 2.5], "d": "x", "e": []}));
        shape.add(&json!({"a": 2, "b": {"x": true}, "c": [], "d": 3}));
        assert_eq!(
            shape.schema(None, false),
            json!({
                "type": "object",
                "properties": {
                    "a": {"type": "integer"},
                    "b": {"type": "object", "properties": {"x": {"type": "boolean"}},
                          "required": ["x"], "nullable": true},
                    "c": {"type": "array", "items": {"type": "number"}},
                    "d": {},
                    "e": {"type": "array", "items": {}},
                },
                "required": ["a", "b", "c", "d"],
            })
        );
        let mut body = Shape::default();
        body.add(&json!({"os": 4, "recipe_list": [{"recipe": 1}]}));
        let schema = body.schema(Some(&["os"]), true);
        assert_eq!(schema["required"], json!(["os"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(
            schema["properties"]["recipe_list"]["items"]["additionalProperties"],
            false
        );
    }

    #[test]
    fn every_route_of_both_dialects_is_described() {
        for dialect in Dialect::ALL {
            let document = dialect.openapi();
            let described: usize = document["paths"]
                .as_object()
                .unwrap()
                .values()
                .map(|methods| methods.as_object().unwrap().len())
                .sum();
            assert_eq!(
                described,
                ROUTES.iter().filter(|r| r.serves(dialect)).count()
            );
        }
    }
}
