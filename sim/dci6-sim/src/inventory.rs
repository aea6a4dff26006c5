//! The simulator's starting state: a JSON inventory of the installation.
//!
//! ```json
//! {
//!   "admin": {"email": "admin@example.com", "password": "secret"},
//!   "locations": [{"id": 1, "name": "Amsterdam", "ippool": 1}],
//!   "racks": [{"id": 7, "name": "R07", "location_id": 1, "ippool": null}],
//!   "pools": [{"id": 1, "name": "public-ams", "ipv4_network": "203.0.113.0/24",
//!              "ipv4_gateway": "203.0.113.1", "ipv6_network": "2001:db8:1::/64"}],
//!   "pool_settings": {"allocation": [1], "deallocation": [1]},
//!   "servers": [{"id": 12, "location_id": 1, "rack": {"id": 7},
//!                "configuration": "i9-9900K-64Gb-2x1024NVMe"}],
//!   "os_templates": [{"id": 4, "name": "Debian-12", "access": "all", "location_id": 1}],
//!   "scripts": [{"id": 2, "name": "install-agent", "access": "all"}],
//!   "users": [{"id": 57, "email": "client@example.com", "roles": "[@user]"}]
//! }
//! ```
//!
//! Servers have the shape `GET /api/dci/v3/server/<id>` shows (spec §3.1), so a server read from
//! the API can be written back. Only `id` and `location_id` are required; the rest defaults to a
//! server ready to be sold except for its configuration: `name` `srv-<id>`, `domain` `""`,
//! `configuration` `""`, no owner, `diagnostics` `ok`, no operation, not in maintenance,
//! `in_operation` true, `power_status` `off`, one MAC address derived from the id, no errors,
//! no OS, no addresses, no switch ports, `notes` `""`. References only need their id (`rack`,
//! `owner`, `os_template`); names and e-mails given must match. `owner_email` may be given and
//! must then match the owner. An address's `family`, `pool`, `gateway` and `network` default to
//! those of the pool whose network holds it. A running `operation` counts as started when the
//! simulator starts.
//!
//! Users: `password` is optional (a user without one logs in only with a key), `roles`
//! defaults to `[@user]`; `[@admin]` makes an administrator. The `admin` account is not listed
//! among the users. A pool's gateway defaults to the first host address of its network.
//!
//! Unknown fields are refused. References are checked when the simulator starts.

use std::fs;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::addresses::Family;
use crate::model::{
    Access, Diagnostics, DiagnosticsStatus, ErrorEntry, Location, OsTemplate, PoolSettings,
    PortStatus, PowerStatus, Rack, Script, ServerErrors, SwitchConnection,
};
use crate::operations::OperationStatus;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub admin: AdminAccount,
    #[serde(default)]
    pub locations: Vec<Location>,
    #[serde(default)]
    pub racks: Vec<Rack>,
    #[serde(default)]
    pub pools: Vec<PoolSpec>,
    #[serde(default)]
    pub pool_settings: PoolSettings,
    #[serde(default)]
    pub servers: Vec<ServerSpec>,
    #[serde(default)]
    pub os_templates: Vec<OsTemplate>,
    #[serde(default)]
    pub scripts: Vec<Script>,
    #[serde(default)]
    pub users: Vec<UserSpec>,
}

/// The administrator the module logs in as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminAccount {
    pub email: String,
    pub password: String,
}

/// An IP pool: at least one network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolSpec {
    pub id: u64,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4_gateway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6_gateway: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserSpec {
    pub id: u64,
    pub email: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default = "user_roles")]
    pub roles: String,
}

fn user_roles() -> String {
    "[@user]".into()
}

/// A server of the inventory: the shape of spec §3.1, most fields optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub domain: String,
    pub location_id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rack: Option<NamedRef>,
    /// `null` reads as `""`: not determined yet.
    #[serde(default, deserialize_with = "null_as_empty")]
    pub configuration: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<OwnerRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_email: Option<String>,
    #[serde(default)]
    pub is_new: bool,
    #[serde(default = "diagnostics_passed")]
    pub diagnostics: Diagnostics,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<OperationSpec>,
    #[serde(default)]
    pub maintenance_mode: bool,
    #[serde(default = "yes")]
    pub in_operation: bool,
    #[serde(default = "powered_off")]
    pub power_status: PowerStatus,
    /// Absent: one address derived from the id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac_addresses: Option<Vec<String>>,
    #[serde(default)]
    pub errors: ServerErrors,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_template: Option<NamedRef>,
    #[serde(default)]
    pub ip: Vec<IpSpec>,
    #[serde(default)]
    pub switch_connection: Vec<SwitchConnection>,
    #[serde(default)]
    pub notes: String,
}

fn null_as_empty<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.unwrap_or_default())
}

fn diagnostics_passed() -> Diagnostics {
    Diagnostics {
        status: DiagnosticsStatus::Ok,
    }
}

fn yes() -> bool {
    true
}

fn powered_off() -> PowerStatus {
    PowerStatus::Off
}

/// A reference to a rack or a template: `{"id"}`, optionally with its `name`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamedRef {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A reference to a user: `{"id"}`, optionally with its `email`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnerRef {
    pub id: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationType {
    OsInstall,
    Diagnostics,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperationSpec {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: OperationType,
    pub status: OperationStatus,
    /// Defaults to 100 for a finished operation, 0 otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpSpec {
    pub id: u64,
    /// The address.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<Family>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub network: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<u64>,
}

impl Inventory {
    pub fn from_json_str(text: &str) -> anyhow::Result<Inventory> {
        serde_json::from_str(text).context("reading the inventory JSON")
    }

    pub fn from_file(path: impl AsRef<Path>) -> anyhow::Result<Inventory> {
        let path = path.as_ref();
        let text = fs::read_to_string(path)
            .with_context(|| format!("reading inventory file {}", path.display()))?;
        Self::from_json_str(&text).with_context(|| format!("in inventory file {}", path.display()))
    }

    /// A large, realistic installation for benchmarks and demos, the same on every call.
    ///
    /// One location (id 1, pool 1) with `location_servers` servers (ids from 1) in racks of 40;
    /// pool 1 `public-ams` (10.0.0.0/8, gateway 10.0.0.1, 2001:db8:100::/64) allocates and
    /// releases, pool 2 `management` (192.168.0.0/16) does neither. Every third server belongs to
    /// one of the customers (users from id 2, `client<n>@example.com`, one per 20 servers, at
    /// least one) and has an OS, its address and its data port up; the other servers are free
    /// and powered off. Mixed configurations; every 50th server awaits diagnostics (empty
    /// configuration), every 61st has a status error, every 89th is out of operation, every
    /// 97th in maintenance. MAC addresses are unique. Admin: `admin@example.com` / `admin`.
    pub fn generated(location_servers: usize) -> Inventory {
        const RACK_SIZE: u64 = 40;
        const CONFIGURATIONS: [&str; 6] = [
            "i9-9900K-64Gb-2x1024NVMe",
            "E-2146G-64Gb-1920SSD-3840SSD",
            "2xE5-2620-128Gb-2x1024NVMe",
            "E3-1230v6-32Gb-2x480SSD",
            "2xE5-2680v4-256Gb-4x1920SSD",
            "Ryzen9-5950X-128Gb-2x3840NVMe",
        ];
        let servers = location_servers as u64;
        let customers = (servers / 20).max(1);
        let racks = servers.div_ceil(RACK_SIZE).max(1);
        let mut next_address: u32 = 0x0a00_0002;
        let server_specs = (1..=servers)
            .map(|id| {
                let owned = id % 3 == 0;
                let awaiting_diagnostics = id % 50 == 0;
                let rack = (id - 1) / RACK_SIZE + 1;
                let mut ip = Vec::new();
                if owned {
                    ip.push(IpSpec {
                        id,
                        name: std::net::Ipv4Addr::from(next_address).to_string(),
                        family: None,
                        gateway: None,
                        network: None,
                        pool: Some(1),
                    });
                    next_address += 1;
                }
                let port = |offset: u64, ipmi: bool, status: PortStatus| SwitchConnection {
                    id: id * 2 + offset,
                    switch: rack,
                    description: format!(
                        "{}1/0/{}",
                        if ipmi { "Fa" } else { "Gi" },
                        (id - 1) % RACK_SIZE + 1
                    ),
                    admin_status: status,
                    oper_status: status,
                    is_ipmi_connection: ipmi,
                };
                let data_port = if owned {
                    PortStatus::Up
                } else {
                    PortStatus::Down
                };
                ServerSpec {
                    id,
                    name: Some(format!("srv-{id:05}")),
                    domain: if owned {
                        format!("host{id}.example.net")
                    } else {
                        String::new()
                    },
                    location_id: 1,
                    rack: Some(NamedRef {
                        id: rack,
                        name: None,
                    }),
                    configuration: if awaiting_diagnostics {
                        String::new()
                    } else {
                        CONFIGURATIONS[(id % 6) as usize].to_string()
                    },
                    owner: owned.then(|| OwnerRef {
                        id: (id / 3) % customers + 2,
                        email: None,
                    }),
                    owner_email: None,
                    is_new: false,
                    diagnostics: Diagnostics {
                        status: if awaiting_diagnostics {
                            DiagnosticsStatus::NotRun
                        } else {
                            DiagnosticsStatus::Ok
                        },
                    },
                    operation: None,
                    maintenance_mode: id % 97 == 0,
                    in_operation: id % 89 != 0,
                    power_status: if owned {
                        PowerStatus::On
                    } else {
                        PowerStatus::Off
                    },
                    mac_addresses: Some(vec![format!(
                        "0c:c4:7a:{:02x}:{:02x}:{:02x}",
                        (id >> 16) & 0xff,
                        (id >> 8) & 0xff,
                        id & 0xff
                    )]),
                    errors: ServerErrors {
                        diagnostics: Vec::new(),
                        status: if id % 61 == 0 {
                            vec![ErrorEntry {
                                code: serde_json::json!("ipmi_unreachable"),
                                msg: "IPMI does not answer".into(),
                            }]
                        } else {
                            Vec::new()
                        },
                    },
                    os_template: owned.then_some(NamedRef { id: 1, name: None }),
                    ip,
                    switch_connection: vec![
                        port(0, false, data_port),
                        port(1, true, PortStatus::Up),
                    ],
                    notes: String::new(),
                }
            })
            .collect();
        Inventory {
            admin: AdminAccount {
                email: "admin@example.com".into(),
                password: "admin".into(),
            },
            locations: vec![Location {
                id: 1,
                name: "Amsterdam-1".into(),
                ippool: Some(1),
            }],
            racks: (1..=racks)
                .map(|id| Rack {
                    id,
                    name: format!("R{id:03}"),
                    location_id: 1,
                    ippool: None,
                })
                .collect(),
            pools: vec![
                PoolSpec {
                    id: 1,
                    name: "public-ams".into(),
                    ipv4_network: Some("10.0.0.0/8".into()),
                    ipv4_gateway: Some("10.0.0.1".into()),
                    ipv6_network: Some("2001:db8:100::/64".into()),
                    ipv6_gateway: None,
                },
                PoolSpec {
                    id: 2,
                    name: "management".into(),
                    ipv4_network: Some("192.168.0.0/16".into()),
                    ipv4_gateway: None,
                    ipv6_network: None,
                    ipv6_gateway: None,
                },
            ],
            pool_settings: PoolSettings {
                allocation: vec![1],
                deallocation: vec![1],
            },
            servers: server_specs,
            os_templates: [
                (1, "Debian-12", Access::All),
                (2, "Ubuntu-24.04", Access::All),
                (3, "AlmaLinux-9", Access::All),
                (4, "Windows-2022", Access::Admin),
            ]
            .into_iter()
            .map(|(id, name, access)| OsTemplate {
                id,
                name: name.into(),
                access,
                location_id: 1,
            })
            .collect(),
            scripts: vec![
                Script {
                    id: 1,
                    name: "install-monitoring".into(),
                    access: Access::All,
                },
                Script {
                    id: 2,
                    name: "internal-audit".into(),
                    access: Access::Admin,
                },
            ],
            users: (0..customers)
                .map(|n| UserSpec {
                    id: n + 2,
                    email: format!("client{}@example.com", n + 2),
                    password: None,
                    roles: user_roles(),
                })
                .collect(),
        }
    }
}
