//! The objects of the contract (spec §3) exactly as the API shows them, and the fields of each
//! that list queries may name.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::addresses::{Family, Subnet};
use crate::dialect::Dialect;
use crate::operations::Operation;
use crate::query::{Field, Kind, Record, Value};

/// `GET /api/dci/v3/location/<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Location {
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub ippool: Option<u64>,
}

/// `GET /api/dci/v3/rack/<id>`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rack {
    pub id: u64,
    pub name: String,
    pub location_id: u64,
    #[serde(default)]
    pub ippool: Option<u64>,
}

/// Who may use a template or a script: only `all` may be sold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    All,
    Admin,
}

impl Access {
    fn as_str(self) -> &'static str {
        match self {
            Access::All => "all",
            Access::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsTemplate {
    pub id: u64,
    pub name: String,
    pub access: Access,
    pub location_id: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub id: u64,
    pub name: String,
    pub access: Access,
}

/// `GET /api/dci/v3/ippool/settings`: the pools addresses are allocated from and released to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSettings {
    #[serde(default)]
    pub allocation: Vec<u64>,
    #[serde(default)]
    pub deallocation: Vec<u64>,
}

/// An IP pool with its networks (one per family at most).
#[derive(Debug, Clone, PartialEq)]
pub struct Pool {
    pub id: u64,
    pub name: String,
    pub ipv4: Option<Subnet>,
    pub ipv6: Option<Subnet>,
}

impl Pool {
    pub fn subnet(&self, family: Family) -> Option<&Subnet> {
        match family {
            Family::Ipv4 => self.ipv4.as_ref(),
            Family::Ipv6 => self.ipv6.as_ref(),
        }
    }

    /// The subnet holding `address`, if this pool has one.
    pub fn subnet_of(&self, address: &IpAddr) -> Option<&Subnet> {
        self.subnet(Family::of(address))
            .filter(|s| s.network.contains(address))
    }
}

/// A pool as `GET /api/ip/v3/ippool` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolView {
    pub id: u64,
    pub name: String,
    pub families: Vec<Family>,
    pub free_ipv4: u64,
}

/// A user account; the password is never shown.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: u64,
    pub email: String,
    pub password: Option<String>,
    pub roles: String,
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.roles.contains("@admin")
    }
}

/// A user as `GET /api/dci/v3/user` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserView {
    pub id: u64,
    pub email: String,
    pub server_count: u64,
    pub roles: String,
}

/// One line of `GET /api/dci/v3/server/configuration`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigurationSummary {
    pub configuration: String,
    pub free_server_count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RackRef {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Owner {
    pub id: u64,
    pub email: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Diagnostics {
    pub status: DiagnosticsStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticsStatus {
    Ok,
    Running,
    Failed,
    NotRun,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PowerStatus {
    On,
    Off,
    Unknown,
}

impl PowerStatus {
    fn as_str(self) -> &'static str {
        match self {
            PowerStatus::On => "on",
            PowerStatus::Off => "off",
            PowerStatus::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerErrors {
    #[serde(default)]
    pub diagnostics: Vec<ErrorEntry>,
    #[serde(default)]
    pub status: Vec<ErrorEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorEntry {
    pub code: serde_json::Value,
    pub msg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateRef {
    pub id: u64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ip {
    pub id: u64,
    /// The address itself.
    pub name: String,
    pub family: Family,
    pub gateway: Option<String>,
    pub network: Option<String>,
    pub pool: Option<u64>,
    #[serde(skip)]
    pub address: IpAddr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PortStatus {
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchConnection {
    pub id: u64,
    #[serde(default)]
    pub switch: u64,
    #[serde(default)]
    pub description: String,
    #[serde(default = "port_up")]
    pub admin_status: PortStatus,
    #[serde(default = "port_up")]
    pub oper_status: PortStatus,
    #[serde(default)]
    pub is_ipmi_connection: bool,
}

fn port_up() -> PortStatus {
    PortStatus::Up
}

/// A server as `GET /api/dci/v3/server/<id>` shows it (spec §3.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Server {
    pub id: u64,
    pub name: String,
    pub domain: String,
    pub location_id: u64,
    pub rack: Option<RackRef>,
    pub configuration: String,
    owner: Option<Owner>,
    owner_email: Option<String>,
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
}

impl Server {
    /// A server with no owner, no addresses and no operation; the inventory fills in the rest.
    pub fn new(id: u64, location_id: u64) -> Server {
        Server {
            id,
            name: format!("srv-{id}"),
            domain: String::new(),
            location_id,
            rack: None,
            configuration: String::new(),
            owner: None,
            owner_email: None,
            is_new: false,
            diagnostics: Diagnostics {
                status: DiagnosticsStatus::Ok,
            },
            operation: None,
            maintenance_mode: false,
            in_operation: true,
            power_status: PowerStatus::Off,
            mac_addresses: Vec::new(),
            errors: ServerErrors::default(),
            os_template: None,
            ip: Vec::new(),
            switch_connection: Vec::new(),
            notes: String::new(),
        }
    }

    pub fn owner(&self) -> Option<&Owner> {
        self.owner.as_ref()
    }

    pub fn owner_email(&self) -> Option<&str> {
        self.owner_email.as_deref()
    }

    /// Sets `owner` and `owner_email` together: they always agree.
    pub fn set_owner(&mut self, owner: Option<Owner>) {
        self.owner_email = owner.as_ref().map(|o| o.email.clone());
        self.owner = owner;
    }

    pub fn running_operation(&self) -> Option<&Operation> {
        self.operation.as_ref().filter(|o| o.is_running())
    }
}

fn int(n: u64) -> Value<'static> {
    Value::Int(i64::try_from(n).unwrap_or(i64::MAX))
}

fn present<T>(object: &Option<T>) -> Value<'static> {
    match object {
        Some(_) => Value::Present,
        None => Value::Null,
    }
}

impl Record for Server {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |s| int(s.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |s| Value::Str(&s.name),
        },
        Field {
            name: "domain",
            kind: Kind::Str,
            get: |s| Value::Str(&s.domain),
        },
        Field {
            name: "location_id",
            kind: Kind::Int,
            get: |s| int(s.location_id),
        },
        Field {
            name: "rack",
            kind: Kind::Object,
            get: |s| present(&s.rack),
        },
        Field {
            name: "configuration",
            kind: Kind::Str,
            get: |s| Value::Str(&s.configuration),
        },
        Field {
            name: "owner",
            kind: Kind::Object,
            get: |s| present(&s.owner),
        },
        Field {
            name: "owner_email",
            kind: Kind::Str,
            get: |s| s.owner_email.as_deref().map_or(Value::Null, Value::Str),
        },
        Field {
            name: "is_new",
            kind: Kind::Bool,
            get: |s| Value::Bool(s.is_new),
        },
        Field {
            name: "operation",
            kind: Kind::Object,
            get: |s| present(&s.operation),
        },
        Field {
            name: "maintenance_mode",
            kind: Kind::Bool,
            get: |s| Value::Bool(s.maintenance_mode),
        },
        Field {
            name: "in_operation",
            kind: Kind::Bool,
            get: |s| Value::Bool(s.in_operation),
        },
        Field {
            name: "power_status",
            kind: Kind::Str,
            get: |s| Value::Str(s.power_status.as_str()),
        },
        Field {
            name: "os_template",
            kind: Kind::Object,
            get: |s| present(&s.os_template),
        },
        Field {
            name: "notes",
            kind: Kind::Str,
            get: |s| Value::Str(&s.notes),
        },
        Field {
            name: "comment",
            kind: Kind::Str,
            get: |s| Value::Str(&s.notes),
        },
    ];

    fn hidden_in(dialect: Dialect) -> &'static [&'static str] {
        match dialect {
            Dialect::Default => &["comment"],
            Dialect::Platform => &["notes", "owner"],
        }
    }
}

impl Record for UserView {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |u| int(u.id),
        },
        Field {
            name: "email",
            kind: Kind::Str,
            get: |u| Value::Str(&u.email),
        },
        Field {
            name: "server_count",
            kind: Kind::Int,
            get: |u| int(u.server_count),
        },
        Field {
            name: "roles",
            kind: Kind::Str,
            get: |u| Value::Str(&u.roles),
        },
    ];

    /// The platform's roles are an array, and arrays are not queryable.
    fn hidden_in(dialect: Dialect) -> &'static [&'static str] {
        match dialect {
            Dialect::Default => &[],
            Dialect::Platform => &["roles"],
        }
    }
}

impl Record for ConfigurationSummary {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "configuration",
            kind: Kind::Str,
            get: |c| Value::Str(&c.configuration),
        },
        Field {
            name: "free_server_count",
            kind: Kind::Int,
            get: |c| int(c.free_server_count),
        },
    ];
}

impl Record for Location {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |l| int(l.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |l| Value::Str(&l.name),
        },
        Field {
            name: "ippool",
            kind: Kind::Int,
            get: |l| l.ippool.map_or(Value::Null, int),
        },
    ];
}

impl Record for Rack {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |r| int(r.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |r| Value::Str(&r.name),
        },
        Field {
            name: "location_id",
            kind: Kind::Int,
            get: |r| int(r.location_id),
        },
        Field {
            name: "ippool",
            kind: Kind::Int,
            get: |r| r.ippool.map_or(Value::Null, int),
        },
    ];
}

impl Record for PoolView {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |p| int(p.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |p| Value::Str(&p.name),
        },
        Field {
            name: "free_ipv4",
            kind: Kind::Int,
            get: |p| int(p.free_ipv4),
        },
    ];
}

impl Record for OsTemplate {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |t| int(t.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |t| Value::Str(&t.name),
        },
        Field {
            name: "access",
            kind: Kind::Str,
            get: |t| Value::Str(t.access.as_str()),
        },
        Field {
            name: "adminonly",
            kind: Kind::Bool,
            get: |t| Value::Bool(t.access == Access::Admin),
        },
        Field {
            name: "location_id",
            kind: Kind::Int,
            get: |t| int(t.location_id),
        },
    ];

    fn hidden_in(dialect: Dialect) -> &'static [&'static str] {
        match dialect {
            Dialect::Default => &["adminonly"],
            Dialect::Platform => &["access"],
        }
    }
}

impl Record for Script {
    const FIELDS: &'static [Field<Self>] = &[
        Field {
            name: "id",
            kind: Kind::Int,
            get: |s| int(s.id),
        },
        Field {
            name: "name",
            kind: Kind::Str,
            get: |s| Value::Str(&s.name),
        },
        Field {
            name: "access",
            kind: Kind::Str,
            get: |s| Value::Str(s.access.as_str()),
        },
    ];
}
