//! Shared by the tests: a small inventory and an HTTP client speaking the contract.

use std::time::Duration;

use dci6_sim::{Inventory, Sim, SimHandle, SimOptions};
use serde_json::{Value, json};

pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const ADMIN_PASSWORD: &str = "secret";

/// Two locations; pools: 1 (rack 7, /29 with IPv6), 2 (location 3), 3 (IPv6 only), 4 (not an
/// allocation pool). Server 1 free with a switch port down, 2 owned by user 57 with address
/// 203.0.113.2, 3 free in location 3, 4 awaiting diagnostics, 5 in maintenance.
pub fn inventory() -> Inventory {
    Inventory::from_json_str(
        &json!({
            "admin": {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD},
            "locations": [
                {"id": 1, "name": "AMS", "ippool": null},
                {"id": 3, "name": "FRA", "ippool": 2}
            ],
            "racks": [
                {"id": 7, "name": "R07", "location_id": 1, "ippool": 1},
                {"id": 8, "name": "R08", "location_id": 3}
            ],
            "pools": [
                {"id": 1, "name": "rack-7", "ipv4_network": "203.0.113.0/29",
                 "ipv4_gateway": "203.0.113.1", "ipv6_network": "2001:db8:1::/64"},
                {"id": 2, "name": "public-fra", "ipv4_network": "198.51.100.0/24",
                 "ipv4_gateway": "198.51.100.1"},
                {"id": 3, "name": "v6-only", "ipv6_network": "2001:db8:2::/64"},
                {"id": 4, "name": "reserved", "ipv4_network": "192.0.2.0/24"}
            ],
            "pool_settings": {"allocation": [1, 2, 3], "deallocation": [1, 2, 3]},
            "servers": [
                {"id": 1, "location_id": 1, "rack": {"id": 7},
                 "configuration": "i9-9900K-64Gb-2x1024NVMe",
                 "switch_connection": [
                    {"id": 31, "switch": 5, "description": "Gi1/0/12",
                     "admin_status": "down", "oper_status": "down"},
                    {"id": 32, "switch": 5, "description": "Fa1/0/12", "is_ipmi_connection": true}
                 ]},
                {"id": 2, "name": "web-2", "location_id": 1, "rack": {"id": 7, "name": "R07"},
                 "configuration": "i9-9900K-64Gb-2x1024NVMe", "owner": {"id": 57},
                 "ip": [{"id": 901, "name": "203.0.113.2"}], "os_template": {"id": 4},
                 "power_status": "on", "domain": "web.example.com",
                 "operation": {"id": 88, "type": "os_install", "status": "ok"}},
                {"id": 3, "location_id": 3, "rack": {"id": 8},
                 "configuration": "2xE5-2620-128Gb-2x1024NVMe"},
                {"id": 4, "location_id": 3, "configuration": null,
                 "diagnostics": {"status": "not_run"}},
                {"id": 5, "location_id": 3, "configuration": "E-2146G-64Gb-1920SSD-3840SSD",
                 "maintenance_mode": true, "notes": "fan noise",
                 "errors": {"diagnostics": [], "status": [{"code": 12, "msg": "fan"}]}}
            ],
            "os_templates": [
                {"id": 4, "name": "Debian-12", "access": "all", "location_id": 1},
                {"id": 5, "name": "Windows-2022", "access": "admin", "location_id": 1},
                {"id": 6, "name": "Debian-12", "access": "all", "location_id": 3}
            ],
            "scripts": [
                {"id": 1, "name": "install-agent", "access": "all"},
                {"id": 2, "name": "audit", "access": "admin"}
            ],
            "users": [
                {"id": 57, "email": "client@example.com", "password": "client-pass"},
                {"id": 58, "email": "ops@example.com", "password": "ops-pass", "roles": "[@admin]"}
            ]
        })
        .to_string(),
    )
    .expect("the test inventory is valid")
}

pub fn start() -> SimHandle {
    start_with(SimOptions::default())
}

pub fn start_with(options: SimOptions) -> SimHandle {
    Sim::start(inventory(), options).expect("the simulator starts")
}

/// An answer: status and body (`Value::Null` if the body is not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub json: Value,
    pub text: String,
}

impl Reply {
    pub fn ok(self) -> Value {
        assert_eq!(self.status, 200, "unexpected answer: {}", self.text);
        self.json
    }

    /// Asserts the status and that the body is the contract's error body.
    pub fn error(self, status: u16) -> Value {
        let fields = self.error_fields(status);
        assert_eq!(
            fields,
            ["code", "msg", "value"],
            "error body: {}",
            self.text
        );
        self.json
    }

    /// Asserts the status and that the body is the platform dialect's error body: `code` and
    /// `msg`, no `value`.
    pub fn platform_error(self, status: u16) -> Value {
        let fields = self.error_fields(status);
        assert_eq!(fields, ["code", "msg"], "error body: {}", self.text);
        self.json
    }

    /// The status checked, `code` repeating it, a `msg`: the names of the error's fields.
    fn error_fields(&self, status: u16) -> Vec<String> {
        assert_eq!(self.status, status, "unexpected answer: {}", self.text);
        let error = &self.json["error"];
        assert_eq!(error["code"], json!(status), "error body: {}", self.text);
        assert!(error["msg"].is_string(), "error body: {}", self.text);
        error
            .as_object()
            .map(|e| e.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `?where=...&orderby=...` from pairs.
pub fn query(pairs: &[(&str, &str)]) -> String {
    let joined: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("?{}", joined.join("&"))
}

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(base: &str) -> Client {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Client {
            agent,
            base: base.to_string(),
            token: None,
        }
    }

    /// A client logged in as the administrator.
    pub fn admin(sim: &SimHandle) -> Client {
        Client::new(&sim.base_url()).logged_in(ADMIN_EMAIL, ADMIN_PASSWORD)
    }

    pub fn logged_in(mut self, email: &str, password: &str) -> Client {
        let answer = self
            .post(
                "/api/auth/v4/public/token",
                json!({"email": email, "password": password}),
            )
            .ok();
        self.token = Some(answer["token"].as_str().expect("a token").to_string());
        self
    }

    /// The contract's headers: `isp-box-instance` always, the session ones when logged in.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("isp-box-instance".to_string(), "true".to_string())];
        if let Some(token) = &self.token {
            headers.push(("x-xsrf-token".into(), token.clone()));
            headers.push(("Cookie".into(), format!("ses6={token}")));
        }
        headers
    }

    /// Any request with exactly the given headers; `Err` when no answer came.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        headers: &[(String, String)],
        body: Option<&str>,
    ) -> Result<Reply, ureq::Error> {
        let mut builder = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        let mut response = match body {
            Some(body) => self.agent.run(builder.body(body.to_string())?)?,
            None => self.agent.run(builder.body(())?)?,
        };
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string()?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply { status, json, text })
    }

    pub fn call(&self, method: &str, path: &str, body: Option<&str>) -> Reply {
        self.raw(method, path, &self.headers(), body)
            .unwrap_or_else(|e| panic!("{method} {path}: no answer: {e}"))
    }

    pub fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None)
    }

    pub fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(&body.to_string()))
    }

    pub fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None)
    }

    pub fn server(&self, id: u64) -> Value {
        self.get(&format!("/api/dci/v3/server/{id}")).ok()
    }

    /// The ids listed by `path` with the query pairs.
    pub fn ids(&self, path: &str, pairs: &[(&str, &str)]) -> Vec<u64> {
        let answer = self.get(&format!("{path}{}", query(pairs))).ok();
        answer["list"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|item| item["id"].as_u64().expect("an id"))
            .collect()
    }
}

/// Waits until the server's operation leaves `running` and returns the server.
pub fn wait_for_operation(client: &Client, server: u64) -> Value {
    for _ in 0..500 {
        let shown = client.server(server);
        if shown["operation"]["status"] != "running" {
            return shown;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the operation on server {server} did not end");
}
