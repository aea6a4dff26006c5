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

/// A server as the module reads it. A field the availability rules, the ownership guard or the
/// close guard need that DCImanager's answer does not carry at all is recorded in
/// [`Server::unknown`] (README Decisions, "unknown is not safe"): absent is unknown, never
/// read as false or empty, while a field present with an empty value (`"owner": null`, `[]`,
/// `false`) is a value.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(from = "ServerWire")]
pub struct Server {
    pub id: u64,
    pub name: String,
    pub domain: Option<String>,
    pub location_id: u64,
    pub rack: Option<RackRef>,
    /// Empty (or null) while diagnostics have not determined the configuration.
    pub configuration: Option<String>,
    pub owner: Option<Owner>,
    pub owner_email: Option<String>,
    pub is_new: bool,
    pub diagnostics: Diagnostics,
    pub operation: Option<Operation>,
    pub maintenance_mode: bool,
    pub in_operation: bool,
    pub power_status: PowerStatus,
    pub mac_addresses: Vec<String>,
    pub errors: ServerErrors,
    pub os_template: Option<TemplateRef>,
    pub ip: Vec<Ip>,
    pub switch_connection: Vec<SwitchConnection>,
    pub notes: String,
    /// The fields DCImanager's answer left out (or gave as null where null means nothing).
    #[serde(skip)]
    pub unknown: Unknown,
}

/// The fields of a server that the module's guards need and DCImanager's answer did not carry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unknown(u16);

/// One field the guards need, as DCImanager names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needed {
    /// Neither `owner` nor `owner_email`.
    Owner,
    Configuration,
    Diagnostics,
    Operation,
    MaintenanceMode,
    InOperation,
    MacAddresses,
    Errors,
    Notes,
}

impl Needed {
    pub const ALL: [Needed; 9] = [
        Needed::Owner,
        Needed::Configuration,
        Needed::Diagnostics,
        Needed::Operation,
        Needed::MaintenanceMode,
        Needed::InOperation,
        Needed::MacAddresses,
        Needed::Errors,
        Needed::Notes,
    ];

    /// The reason a rule gives when this field is unknown.
    pub fn reason(self) -> &'static str {
        match self {
            Needed::Owner => {
                "owner unknown: DCImanager's server has neither `owner` nor `owner_email`"
            }
            Needed::Configuration => {
                "configuration unknown: DCImanager's server has no `configuration`"
            }
            Needed::Diagnostics => {
                "diagnostics unknown: DCImanager's server has no `diagnostics.status`"
            }
            Needed::Operation => {
                "last operation unknown: DCImanager's server has no `operation` (not even null)"
            }
            Needed::MaintenanceMode => {
                "maintenance mode unknown: DCImanager's server has no `maintenance_mode`"
            }
            Needed::InOperation => {
                "in operation unknown: DCImanager's server has no `in_operation`"
            }
            Needed::MacAddresses => {
                "MAC addresses unknown: DCImanager's server has no `mac_addresses`"
            }
            Needed::Errors => {
                "errors unknown: DCImanager's server has no `errors.diagnostics` and `errors.status`"
            }
            Needed::Notes => "notes unknown: DCImanager's server has no `notes`",
        }
    }
}

impl Unknown {
    pub fn with(self, field: Needed) -> Unknown {
        Unknown(self.0 | 1 << field as u16)
    }

    pub fn contains(self, field: Needed) -> bool {
        self.0 & 1 << field as u16 != 0
    }
}

/// `Some(value)` for a field present (even null), `None` for a field absent: with
/// `#[serde(default)]`, the one way serde tells the two apart.
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The server as DCImanager sends it; [`Server`] is read through it so that absent fields the
/// guards need become [`Unknown`].
#[derive(Deserialize)]
struct ServerWire {
    id: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    location_id: u64,
    #[serde(default)]
    rack: Option<RackRef>,
    #[serde(default, deserialize_with = "present")]
    configuration: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    owner: Option<Option<Owner>>,
    #[serde(default, deserialize_with = "present")]
    owner_email: Option<Option<String>>,
    #[serde(default)]
    is_new: bool,
    #[serde(default)]
    diagnostics: Option<DiagnosticsWire>,
    #[serde(default, deserialize_with = "present")]
    operation: Option<Option<Operation>>,
    #[serde(default)]
    maintenance_mode: Option<bool>,
    #[serde(default)]
    in_operation: Option<bool>,
    #[serde(default)]
    power_status: PowerStatus,
    #[serde(default)]
    mac_addresses: Option<Vec<String>>,
    #[serde(default)]
    errors: Option<ServerErrorsWire>,
    #[serde(default)]
    os_template: Option<TemplateRef>,
    #[serde(default)]
    ip: Vec<Ip>,
    #[serde(default)]
    switch_connection: Vec<SwitchConnection>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<Option<String>>,
}

#[derive(Deserialize)]
struct DiagnosticsWire {
    #[serde(default)]
    status: Option<DiagnosticsStatus>,
}

#[derive(Deserialize)]
struct ServerErrorsWire {
    #[serde(default)]
    diagnostics: Option<Vec<ErrorEntry>>,
    #[serde(default)]
    status: Option<Vec<ErrorEntry>>,
}

impl From<ServerWire> for Server {
    fn from(wire: ServerWire) -> Server {
        let mut unknown = Unknown::default();
        let mut known = |present: bool, field: Needed| {
            if !present {
                unknown = unknown.with(field);
            }
        };
        known(
            wire.owner.is_some() || wire.owner_email.is_some(),
            Needed::Owner,
        );
        known(wire.configuration.is_some(), Needed::Configuration);
        let diagnostics = wire.diagnostics.and_then(|d| d.status);
        known(diagnostics.is_some(), Needed::Diagnostics);
        known(wire.operation.is_some(), Needed::Operation);
        known(wire.maintenance_mode.is_some(), Needed::MaintenanceMode);
        known(wire.in_operation.is_some(), Needed::InOperation);
        known(wire.mac_addresses.is_some(), Needed::MacAddresses);
        let errors =
            wire.errors
                .and_then(|e| e.diagnostics.zip(e.status))
                .map(|(diagnostics, status)| ServerErrors {
                    diagnostics,
                    status,
                });
        known(errors.is_some(), Needed::Errors);
        known(wire.notes.is_some(), Needed::Notes);
        Server {
            id: wire.id,
            name: wire.name,
            domain: wire.domain,
            location_id: wire.location_id,
            rack: wire.rack,
            configuration: wire.configuration.flatten(),
            owner: wire.owner.flatten(),
            owner_email: wire.owner_email.flatten(),
            is_new: wire.is_new,
            diagnostics: Diagnostics {
                status: diagnostics.unwrap_or_default(),
            },
            operation: wire.operation.flatten(),
            maintenance_mode: wire.maintenance_mode.unwrap_or_default(),
            in_operation: wire.in_operation.unwrap_or_default(),
            power_status: wire.power_status,
            mac_addresses: wire.mac_addresses.unwrap_or_default(),
            errors: errors.unwrap_or_default(),
            os_template: wire.os_template,
            ip: wire.ip,
            switch_connection: wire.switch_connection,
            notes: wire.notes.flatten().unwrap_or_default(),
            unknown,
        }
    }
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
    /// `None` when the answer has no `ippool` at all (unknown), `Some(None)` for `null`.
    #[serde(default, deserialize_with = "present")]
    pub ippool: Option<Option<u64>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Rack {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub location_id: u64,
    /// As [`Location::ippool`].
    #[serde(default, deserialize_with = "present")]
    pub ippool: Option<Option<u64>>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct IpPool {
    pub id: u64,
    #[serde(default)]
    pub name: String,
    /// `None` when the answer does not say which families the pool serves (unknown: the pool is
    /// never chosen).
    #[serde(default)]
    pub families: Option<Vec<IpFamily>>,
    /// `None` when the answer does not say (the module then cannot tell in advance whether the
    /// pool has enough, and DCImanager's refusal of the addresses is the check).
    #[serde(default)]
    pub free_ipv4: Option<u64>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PoolSettings {
    /// `None` when the answer has no `allocation` list (unknown: no pool is chosen).
    #[serde(default)]
    pub allocation: Option<Vec<u64>>,
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
