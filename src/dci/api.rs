//! The module's read model of DCImanager: the objects as the module understands them, whatever
//! the installation calls their fields. Routes, bodies, field names and words are in the
//! contract file (`etc/pmdci6-dcimanager.toml`, see [`super::contract`]), and
//! [`super::adapter`] turns answers into these types; so `provision/` never sees a route or a
//! DCImanager field name. Answers are read leniently (unknown fields ignored); a field the
//! module's guards need and the answer lacks is recorded as unknown ([`Server::unknown`]).

use serde::{Deserialize, Serialize};

/// A page of a list, `{"list": [...], "size": <total matching>}` in the module's shape.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct List<T> {
    #[serde(default = "Vec::new")]
    pub list: Vec<T>,
    #[serde(default)]
    pub size: u64,
}

/// DCImanager's error answer (status >= 400): its code and message.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct ErrorAnswer {
    #[serde(default)]
    pub code: i64,
    #[serde(default)]
    pub msg: String,
}

// ---- authentication -------------------------------------------------------------------------

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
    /// `ip[]`: the addresses a close releases and an open must not give twice.
    Ip,
    /// `switch_connection[]`, each port with `admin_status` and `is_ipmi_connection`.
    SwitchConnection,
}

impl Needed {
    pub const ALL: [Needed; 11] = [
        Needed::Owner,
        Needed::Configuration,
        Needed::Diagnostics,
        Needed::Operation,
        Needed::MaintenanceMode,
        Needed::InOperation,
        Needed::MacAddresses,
        Needed::Errors,
        Needed::Notes,
        Needed::Ip,
        Needed::SwitchConnection,
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
            Needed::Ip => "addresses unknown: DCImanager's server has no `ip`",
            Needed::SwitchConnection => {
                "switch ports unknown: DCImanager's server has no `switch_connection`, or a port without \
                 `admin_status` or `is_ipmi_connection`"
            }
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
    ip: Option<Vec<Ip>>,
    #[serde(default)]
    switch_connection: Option<Vec<PortWire>>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<Option<String>>,
}

/// A switch port as DCImanager sends it: a port whose state or role the answer leaves out makes
/// the server's ports unknown (a port read as down would never be shut on suspend, one read as
/// a data port could be the IPMI port staff need).
#[derive(Deserialize)]
struct PortWire {
    id: u64,
    #[serde(default)]
    switch: u64,
    #[serde(default)]
    description: String,
    #[serde(default)]
    admin_status: Option<PortStatus>,
    #[serde(default)]
    oper_status: PortStatus,
    #[serde(default)]
    is_ipmi_connection: Option<bool>,
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
        known(wire.ip.is_some(), Needed::Ip);
        let ports_known = wire.switch_connection.as_ref().is_some_and(|ports| {
            ports
                .iter()
                .all(|port| port.admin_status.is_some() && port.is_ipmi_connection.is_some())
        });
        known(ports_known, Needed::SwitchConnection);
        let switch_connection = wire
            .switch_connection
            .unwrap_or_default()
            .into_iter()
            .map(|port| SwitchConnection {
                id: port.id,
                switch: port.switch,
                description: port.description,
                admin_status: port.admin_status.unwrap_or_default(),
                oper_status: port.oper_status,
                is_ipmi_connection: port.is_ipmi_connection.unwrap_or_default(),
            })
            .collect();
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
            ip: wire.ip.unwrap_or_default(),
            switch_connection,
            notes: wire.notes.flatten().unwrap_or_default(),
            unknown,
        }
    }
}

/// The server's rack; only `name` is confirmed, so its `id` may be absent.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct RackRef {
    #[serde(default)]
    pub id: Option<u64>,
    #[serde(default)]
    pub name: String,
}

/// The `owner` object is modelled: ownership is judged by the confirmed `owner_email`, with the
/// owner's id when present.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
pub struct Owner {
    #[serde(default)]
    pub id: Option<u64>,
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
/// DCImanager documents `{id, status, status_info, progress_info[]}`: there is no `type`, so the
/// module knows its own operations only by the ids it recorded.
pub struct Operation {
    pub id: u64,
    #[serde(default)]
    pub status: OperationStatus,
    /// Percent done, when the installation gives it.
    #[serde(default)]
    pub progress: Option<u8>,
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
#[serde(try_from = "IpWire")]
pub struct Ip {
    pub id: u64,
    /// The address itself.
    pub name: String,
    pub family: IpFamily,
    #[serde(default)]
    pub gateway: Option<String>,
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub pool: Option<u64>,
}

/// An address as DCImanager sends it. A family the answer leaves out is told by the address
/// itself, never assumed: an address that is neither given a family nor readable fails the
/// answer (the main IPv4 address and BILLmanager's IP list depend on it).
#[derive(Deserialize)]
struct IpWire {
    id: u64,
    name: String,
    #[serde(default)]
    family: Option<IpFamily>,
    #[serde(default)]
    gateway: Option<String>,
    #[serde(default)]
    network: Option<String>,
    #[serde(default)]
    pool: Option<u64>,
}

impl TryFrom<IpWire> for Ip {
    type Error = String;

    fn try_from(wire: IpWire) -> Result<Ip, String> {
        let family = match (wire.family, wire.name.trim().parse::<std::net::IpAddr>()) {
            (Some(family), _) => family,
            (None, Ok(std::net::IpAddr::V4(_))) => IpFamily::Ipv4,
            (None, Ok(std::net::IpAddr::V6(_))) => IpFamily::Ipv6,
            (None, Err(_)) => {
                return Err(format!(
                    "address {} ({:?}) has no family and is not an IP address",
                    wire.id, wire.name
                ));
            }
        };
        Ok(Ip {
            id: wire.id,
            name: wire.name,
            family,
            gateway: wire.gateway,
            network: wire.network,
            pool: wire.pool,
        })
    }
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
    /// `"[@user]"` in DCImanager's sample, an array on the platform's other products: both read.
    #[serde(default, deserialize_with = "roles")]
    pub roles: Vec<String>,
}

fn roles<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Roles {
        One(String),
        Many(Vec<String>),
        None(()),
    }
    Ok(match Roles::deserialize(deserializer)? {
        Roles::One(text) => text
            .trim_matches(['[', ']'])
            .split(',')
            .map(|role| role.trim().to_owned())
            .filter(|role| !role.is_empty())
            .collect(),
        Roles::Many(roles) => roles,
        Roles::None(()) => Vec::new(),
    })
}

#[derive(Debug, Clone)]
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

/// One switch port's traffic on one day. A count the answer lacks is unknown, never zero.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct TrafficDay {
    pub server: u64,
    pub connection: u64,
    /// `YYYY-MM-DD`.
    pub date: String,
    #[serde(default)]
    pub received: Option<u64>,
    #[serde(default)]
    pub sent: Option<u64>,
}

// ---- what the module sends, and the answers to actions -------------------------------------

/// Only the fields that are set are sent.
#[derive(Debug, Clone, Default)]
pub struct EditServer<'a> {
    pub domain: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub maintenance_mode: Option<bool>,
}

#[derive(Debug, Clone)]
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

#[derive(Debug, Clone)]
pub struct OsInstall<'a> {
    pub os_template: u64,
    pub password: &'a str,
    pub domain: &'a str,
    pub scripts: Vec<u64>,
    pub ssh_keys: Vec<String>,
}

/// The answer of every action: the id of the operation it started, when it started one.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct ActionAnswer {
    #[serde(default)]
    pub operation_id: Option<u64>,
}
