//! Facts read off a [`Server`] that several plans share: its customer-facing switch ports, its
//! main address, its running operation.

use crate::dci::api::{
    Ip, IpFamily, Operation, OperationStatus, PortStatus, Server, SwitchConnection,
};

/// The switch ports the customer's traffic goes through: every connection but the IPMI one,
/// which staff need whatever the service's state.
pub fn switch_ports(server: &Server) -> impl Iterator<Item = &SwitchConnection> {
    server
        .switch_connection
        .iter()
        .filter(|port| !port.is_ipmi_connection)
}

/// Ids of the customer-facing ports whose admin status is not `status` yet.
pub fn ports_to_set(server: &Server, status: PortStatus) -> Vec<u64> {
    switch_ports(server)
        .filter(|port| port.admin_status != status)
        .map(|port| port.id)
        .collect()
}

/// `31, 32`: port ids as plan steps show them.
pub fn id_list(ids: &[u64]) -> String {
    let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
    ids.join(", ")
}

/// The address BILLmanager shows as the service's `ip`: the first IPv4 address DCImanager lists.
pub fn main_ipv4(server: &Server) -> Option<&Ip> {
    server.ip.iter().find(|ip| ip.family == IpFamily::Ipv4)
}

pub fn ip_count(server: &Server, family: IpFamily) -> u32 {
    let count = server.ip.iter().filter(|ip| ip.family == family).count();
    u32::try_from(count).unwrap_or(u32::MAX)
}

/// The operation still running on the server, if any.
pub fn running_operation(server: &Server) -> Option<&Operation> {
    server
        .operation
        .as_ref()
        .filter(|operation| operation.status == OperationStatus::Running)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::testing::{available, ip, port};

    #[test]
    fn ports_leave_ipmi_out() {
        let mut server = available(1);
        assert_eq!(ports_to_set(&server, PortStatus::Down), vec![11]);
        assert!(ports_to_set(&server, PortStatus::Up).is_empty());
        server
            .switch_connection
            .push(port(13, false, PortStatus::Down));
        assert_eq!(ports_to_set(&server, PortStatus::Up), vec![13]);
        assert_eq!(switch_ports(&server).count(), 2);
    }

    #[test]
    fn main_ipv4_is_the_first_ipv4_listed() {
        let mut server = available(1);
        assert!(main_ipv4(&server).is_none());
        server.ip = vec![
            ip(3, "2001:db8::3", IpFamily::Ipv6),
            ip(2, "203.0.113.2", IpFamily::Ipv4),
            ip(1, "203.0.113.1", IpFamily::Ipv4),
        ];
        assert_eq!(
            main_ipv4(&server).map(|ip| ip.name.as_str()),
            Some("203.0.113.2")
        );
        assert_eq!(ip_count(&server, IpFamily::Ipv4), 2);
        assert_eq!(ip_count(&server, IpFamily::Ipv6), 1);
    }
}
