//! Servers for the unit tests: a healthy server in stock, which each test bends into the state it
//! needs with plain field assignments.

use super::availability::Candidate;
use super::order::{ManualSpec, Requirement};
use super::ownership::Holder;
use crate::dci::api::{
    Diagnostics, DiagnosticsStatus, Ip, IpFamily, Operation, OperationStatus, Owner, PortStatus,
    PowerStatus, RackRef, Server, SwitchConnection, TemplateRef,
};

/// A server that passes all seven rules: label `E5-2620-64Gb-2x1024NVMe`, rack 7, one switch
/// port (id `id*10+1`) and one IPMI port (id `id*10+2`), both up, power on, one MAC of its own.
pub fn available(id: u64) -> Server {
    Server {
        id,
        name: format!("srv-{id}"),
        location_id: 3,
        rack: Some(RackRef {
            id: Some(7),
            name: "R07".into(),
        }),
        configuration: Some("E5-2620-64Gb-2x1024NVMe".into()),
        diagnostics: Diagnostics {
            status: DiagnosticsStatus::Ok,
        },
        in_operation: true,
        power_status: PowerStatus::On,
        mac_addresses: vec![format!(
            "0c:c4:7a:00:{:02x}:{:02x}",
            id / 256 % 256,
            id % 256
        )],
        switch_connection: vec![
            port(id * 10 + 1, false, PortStatus::Up),
            port(id * 10 + 2, true, PortStatus::Up),
        ],
        ..Server::default()
    }
}

/// A server held by `item` of the customer `email`, with an OS installed and one IPv4 address.
pub fn owned(id: u64, email: &str, item: u64) -> Server {
    Server {
        owner: Some(Owner {
            id: Some(57),
            email: email.into(),
        }),
        owner_email: Some(email.into()),
        notes: format!("billmgr-item:{item}"),
        operation: Some(operation(88, OperationStatus::Ok)),
        os_template: Some(TemplateRef {
            id: 4,
            name: "Debian-12".into(),
        }),
        ip: vec![ip(901, "203.0.113.10", IpFamily::Ipv4)],
        ..available(id)
    }
}

pub fn operation(id: u64, status: OperationStatus) -> Operation {
    Operation {
        id,
        status,
        progress: None,
    }
}

pub fn ip(id: u64, address: &str, family: IpFamily) -> Ip {
    Ip {
        id,
        name: address.into(),
        family,
        gateway: None,
        network: None,
        pool: Some(2),
    }
}

pub fn port(id: u64, is_ipmi_connection: bool, admin_status: PortStatus) -> SwitchConnection {
    SwitchConnection {
        id,
        switch: 5,
        description: format!("Gi1/0/{id}"),
        admin_status,
        oper_status: admin_status,
        is_ipmi_connection,
    }
}

/// A candidate in rack 7 with the given label.
pub fn candidate(id: u64, label: &str) -> Candidate {
    Candidate {
        id,
        name: format!("srv-{id}"),
        rack_id: Some(7),
        configuration: label.parse().unwrap_or_else(|err| panic!("{err}")),
    }
}

pub fn fixed(label: &str) -> Requirement {
    Requirement::Fixed(label.parse().unwrap_or_else(|err| panic!("{err}")))
}

pub fn manual(
    cpu_count: u32,
    cpu_model: Option<&str>,
    ram_gb: u64,
    disks_gb: &[u64],
) -> Requirement {
    Requirement::Manual(ManualSpec {
        cpu_count,
        cpu_model: cpu_model.map(Into::into),
        ram_gb,
        disks_gb: disks_gb.to_vec(),
    })
}

/// The holder every test uses: item 42 of client@example.com (the owner of [`owned`]).
pub fn holder() -> Holder {
    Holder {
        item: 42,
        email: "client@example.com".into(),
    }
}
