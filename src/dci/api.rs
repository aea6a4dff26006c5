//! The DCImanager 6 contract: every path and every JSON shape the module uses, in one place.
//!
//! `spec/dcimanager6-api.md` marks much of the API as modelled rather than confirmed; keeping
//! routes and types together means that matching a real installation's swagger is a change to
//! this file alone. Answers are read leniently (unknown fields ignored, missing lists empty),
//! requests are written exactly: the simulator rejects unknown request fields, and so may a real
//! installation.

use serde::{Deserialize, Serialize};

/// Route builders. Paths start at `/api/`; the client prefixes the installation's base URL.
pub mod route {
    pub const TOKEN: &str = "/api/auth/v4/public/token";
    pub const SERVERS: &str = "/api/dci/v3/server";
    pub const CONFIGURATIONS: &str = "/api/dci/v3/server/configuration";
    pub const USERS: &str = "/api/dci/v3/user";
    pub const IP_POOLS: &str = "/api/ip/v3/ippool";
    pub const POOL_SETTINGS: &str = "/api/dci/v3/ippool/settings";
    pub const OS_TEMPLATES: &str = "/api/dci/v3/os_template";
    pub const SCRIPTS: &str = "/api/dci/v3/script";
    pub const LOCATIONS: &str = "/api/dci/v3/location";
    pub fn token(token: &str) -> String {
        format!("/api/auth/v4/token/{token}")
    }
    pub fn user_key(user: &str) -> String {
        format!("/api/auth/v4/user/{user}/key")
    }
    pub fn location(id: u64) -> String {
        format!("/api/dci/v3/location/{id}")
    }
    pub fn rack(id: u64) -> String {
        format!("/api/dci/v3/rack/{id}")
    }
    pub fn server(id: u64) -> String {
        format!("/api/dci/v3/server/{id}")
    }
    /// Actions under one server, for [`server_action`].
    pub mod action {
        pub const POWER_ON: &str = "power_on";
        pub const POWER_OFF: &str = "power_off";
        pub const POWER_RESET: &str = "power_reset";
        pub const OWNER: &str = "owner";
        pub const IP: &str = "ip";
        pub const OS_INSTALL: &str = "os_install";
        pub const DIAGNOSTICS: &str = "diagnostics";
        pub const OPERATION_STOP: &str = "operation/stop";
    }

    /// One of [`action`] under one server.
    pub fn server_action(id: u64, action: &str) -> String {
        format!("/api/dci/v3/server/{id}/{action}")
    }
    pub fn switch_connection(server: u64, connection: u64) -> String {
        format!("/api/dci/v3/server/{server}/switch_connection/{connection}")
    }
    pub fn server_ip(server: u64, ip: u64) -> String {
        format!("/api/dci/v3/server/{server}/ip/{ip}")
    }
    /// The customer's one-click login page for a key from [`super::KeyAnswer`].
    pub fn key_login_page(key: &str) -> String {
        format!("/auth/key/{key}")
    }
}

/// Field names used in `where` and `orderby` of list calls.
pub mod field {
    pub const ID: &str = "id";
    pub const EMAIL: &str = "email";
    pub const LOCATION_ID: &str = "location_id";
    pub const NOTES: &str = "notes";
}

/// Every list endpoint answers `{"list": [...], "size": <total matching>}`.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct List<T> {
    #[serde(default = "Vec::new")]
    pub list: Vec<T>,
    #[serde(default)]
    pub size: u64,
}

/// The body of every answer with status >= 400.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ErrorBody {
    pub error: ApiError,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ApiError {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub msg: String,
    #[serde(default)]
    pub value: serde_json::Value,
}

// ---- authentication -------------------------------------------------------------------------

#[derive(Debug, Clone, Serialize)]
pub struct TokenRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Token {
    pub token: String,
    #[serde(default)]
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct KeyAnswer {
    pub key: String,
}

// ---- servers --------------------------------------------------------------------------------

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Server {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub domain: Option<String>,
    #[serde(default)]
    pub location_id: u64,
    #[serde(default)]
    pub rack: Option<RackRef>,
    /// Empty (or null) while diagnostics have not determined the configuration.
    #[serde(default)]
    pub configuration: Option<String>,
    #[serde(default)]
    pub owner: Option<Owner>,
    #[serde(default)]
    pub owner_email: Option<String>,
    #[serde(default)]
    pub is_new: bool,
    #[serde(default)]
    pub diagnostics: Diagnostics,
    #[serde(default)]
    pub operation: Option<Operation>,
    #[serde(default)]
    pub maintenance_mode: bool,
    #[serde(default)]
    pub in_operation: bool,
    #[serde(default)]
    pub power_status: PowerStatus,
    #[serde(default)]
    pub mac_addresses: Vec<String>,
    #[serde(default)]
    pub errors: ServerErrors,
    #[serde(default)]
    pub os_template: Option<TemplateRef>,
    #[serde(default)]
    pub ip: Vec<Ip>,
    #[serde(default)]
    pub switch_connection: Vec<SwitchConnection>,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct RackRef {
    pub id: u64,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Owner {
    pub id: u64,
    #[serde(default)]
    pub email: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Diagnostics {
    #[serde(default)]
    pub status: DiagnosticsStatus,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticsStatus {
    Ok,
    Running,
    Failed,
    #[default]
    NotRun,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Operation {
    pub id: u64,
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub status: OperationStatus,
    #[serde(default)]
    pub progress: u8,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    #[default]
    Ok,
    Canceled,
    Running,
    Failed,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PowerStatus {
    On,
    Off,
    #[default]
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ServerErrors {
    #[serde(default)]
    pub diagnostics: Vec<ErrorEntry>,
    #[serde(default)]
    pub status: Vec<ErrorEntry>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct ErrorEntry {
    #[serde(default)]
    pub code: serde_json::Value,
    #[serde(default)]
    pub msg: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct TemplateRef {
    pub id: u64,
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Ip {
    pub id: u64,
    /// The address itself.
    pub name: String,
    #[serde(default)]
    pub family: IpFamily,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub pool: Option<u64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum IpFamily {
    #[default]
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct SwitchConnection {
    pub id: u64,
    #[serde(default)]
    pub switch: u64,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub admin_status: PortStatus,
    #[serde(default)]
    pub oper_status: PortStatus,
    #[serde(default)]
    pub is_ipmi_connection: bool,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PortStatus {
    Up,
    #[default]
    Down,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ConfigurationSummary {
    pub configuration: String,
    #[serde(default)]
    pub free_server_count: u64,
}

// ---- users, locations, racks, pools, templates, scripts -------------------------------------

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct User {
    pub id: u64,
    pub email: String,
    #[serde(default)]
    pub server_count: u64,
    #[serde(default)]
    pub roles: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct NewUser<'a> {
    pub email: &'a str,
    pub full_name: &'a str,
    pub password: &'a str,
    pub phone_number: &'a str,
    pub role: &'a str,
}

/// `{"id": N}`, the answer to object creation.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Created {
    pub id: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Location {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub ippool: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Rack {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub location_id: u64,
    #[serde(default)]
    pub ippool: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IpPool {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub families: Vec<IpFamily>,
    #[serde(default)]
    pub free_ipv4: u64,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolSettings {
    #[serde(default)]
    pub allocation: Vec<u64>,
    #[serde(default)]
    pub deallocation: Vec<u64>,
}

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    All,
    #[default]
    #[serde(other)]
    Admin,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OsTemplate {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub access: Access,
    #[serde(default)]
    pub location_id: u64,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Script {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub access: Access,
}

// ---- action bodies and answers --------------------------------------------------------------

/// `{}`: the body of actions without parameters.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

#[derive(Debug, Clone, Serialize)]
pub struct SetOwner {
    pub user: u64,
}

/// Only the fields that are set are sent.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EditServer<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maintenance_mode: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SetPortState {
    pub admin_status: PortStatus,
}

#[derive(Debug, Clone, Serialize)]
pub struct AddIps {
    pub pool: u64,
    pub family: IpFamily,
    pub count: u32,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct AddedIps {
    #[serde(default)]
    pub ip: Vec<Ip>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OsInstall<'a> {
    pub os_template: u64,
    pub password: &'a str,
    pub domain: &'a str,
    pub scripts: Vec<u64>,
    pub ssh_keys: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RunDiagnostics {
    pub disk_cleanup: bool,
}

/// The answer of every action: `{"operation": {"id": N}}` when it started one, `{}` otherwise.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ActionAnswer {
    #[serde(default)]
    pub operation: Option<OperationRef>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OperationRef {
    pub id: u64,
}
