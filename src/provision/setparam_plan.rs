//! What `setparam` must do to the server of a live service after the customer changed its
//! add-ons or tariff, from the server's real state: so a run killed at any point is finished by
//! the next, which sees what is done already.
//!
//! - IPv4 / IPv6 counts (add-ons `ip`, `ipv6`): missing addresses are added from the server's
//!   pool chain as `open` does; extra ones are removed newest first (highest DCImanager id),
//!   never the main IPv4 address, the one BILLmanager shows as the param `ip`.
//! - Hardware (another configuration, or `manual` add-ons the server does not satisfy): the
//!   module cannot rebuild a server, so staff get a task naming the server and each part to
//!   change (as a closest-match build does); the change is reported done only when the server
//!   satisfies the order, on a later `setparam` once staff have changed it.

use std::fmt;

use super::availability::Candidate;
use super::closest::BuildPlan;
use super::label::Configuration;
use super::matching::fit;
use super::order::Order;
use super::server_state::main_ipv4;
use crate::dci::api::{Ip, IpFamily, Server};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SetparamStep {
    RemoveIp {
        id: u64,
        address: String,
    },
    AddIps {
        family: IpFamily,
        count: u32,
    },
    /// Save the main IPv4 address as the item param `ip` (read from the server as it is then).
    SaveMainIp,
    /// Staff must change the hardware; the text for their task.
    HandToStaff(String),
    /// `service.postsetparam`.
    ReportDone,
}

impl fmt::Display for SetparamStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetparamStep::RemoveIp { id, address } => write!(f, "remove IP {address} (id {id})"),
            SetparamStep::AddIps { family, count } => {
                let family = match family {
                    IpFamily::Ipv4 => "IPv4",
                    IpFamily::Ipv6 => "IPv6",
                };
                write!(f, "add {count} {family} address(es) from the pool chain")
            }
            SetparamStep::SaveMainIp => f.write_str("save the main IPv4 address as param ip"),
            SetparamStep::HandToStaff(text) => write!(f, "hand to staff: {text}"),
            SetparamStep::ReportDone => f.write_str("report the change done"),
        }
    }
}

/// The main IPv4 address: the one saved as the item's `ip` when the server still has it, else
/// the first IPv4 address DCImanager lists.
pub fn main_ip<'a>(server: &'a Server, saved: Option<&str>) -> Option<&'a Ip> {
    saved
        .and_then(|saved| {
            server
                .ip
                .iter()
                .find(|ip| ip.family == IpFamily::Ipv4 && ip.name == saved.trim())
        })
        .or_else(|| main_ipv4(server))
}

/// The steps, in order: removals, additions, the param `ip`, then the hardware verdict.
pub fn setparam_plan(
    server: &Server,
    item: u64,
    order: &Order,
    saved_ip: Option<&str>,
) -> Vec<SetparamStep> {
    let mut steps = Vec::new();
    let main = main_ip(server, saved_ip).map(|ip| ip.id);
    for (family, wanted) in [(IpFamily::Ipv4, order.ip_v4), (IpFamily::Ipv6, order.ip_v6)] {
        let mut extra: Vec<&Ip> = server
            .ip
            .iter()
            .filter(|ip| ip.family == family && Some(ip.id) != main)
            .collect();
        let have = extra.len() + usize::from(family == IpFamily::Ipv4 && main.is_some());
        let wanted = wanted as usize;
        if have < wanted {
            steps.push(SetparamStep::AddIps {
                family,
                count: u32::try_from(wanted - have).unwrap_or(u32::MAX),
            });
        } else {
            extra.sort_by_key(|ip| std::cmp::Reverse(ip.id));
            steps.extend(
                extra
                    .into_iter()
                    .take(have - wanted)
                    .map(|ip| SetparamStep::RemoveIp {
                        id: ip.id,
                        address: ip.name.clone(),
                    }),
            );
        }
    }
    steps.sort_by_key(|step| !matches!(step, SetparamStep::RemoveIp { .. }));
    let added_ipv4 = steps.iter().any(|s| {
        matches!(
            s,
            SetparamStep::AddIps {
                family: IpFamily::Ipv4,
                ..
            }
        )
    });
    let saved_main = main_ip(server, saved_ip).map(|ip| ip.name.as_str());
    if saved_ip.map(str::trim) != saved_main || (saved_main.is_none() && added_ipv4) {
        steps.push(SetparamStep::SaveMainIp);
    }
    steps.push(match hardware_change(server, item, order) {
        Some(text) => SetparamStep::HandToStaff(text),
        None => SetparamStep::ReportDone,
    });
    steps
}

/// What staff must change for the server to satisfy the order, `None` when it does.
fn hardware_change(server: &Server, item: u64, order: &Order) -> Option<String> {
    let label = server.configuration.as_deref().map(str::trim).unwrap_or("");
    let head = format!(
        "Change of item {item}: server {} (id {}) no longer satisfies the order ({})",
        server.name, server.id, order.requirement
    );
    let configuration: Configuration = match label.parse() {
        Ok(configuration) => configuration,
        Err(err) => {
            return Some(format!(
                "{head}: its configuration '{label}' cannot be read ({err}); check the server and the order by hand"
            ));
        }
    };
    if fit(&order.requirement, &configuration).is_ok() {
        return None;
    }
    let candidate = Candidate {
        id: server.id,
        name: server.name.clone(),
        rack_id: server.rack.as_ref().and_then(|r| r.id),
        configuration,
    };
    let build = BuildPlan::new(&order.requirement, &candidate);
    Some(format!(
        "{head}. {build}. Then run the change (setparam) of the service again."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::testing::{fixed, ip, manual, owned};

    fn order(ip_v4: u32, ip_v6: u32) -> Order {
        Order {
            requirement: fixed("E5-2620-64Gb-2x1024NVMe"),
            ip_v4,
            ip_v6,
        }
    }

    #[test]
    fn a_raised_count_adds_the_missing_addresses_and_reports_done() {
        let server = owned(5, "c@example.com", 42);
        assert_eq!(
            setparam_plan(&server, 42, &order(3, 1), Some("203.0.113.10")),
            vec![
                SetparamStep::AddIps {
                    family: IpFamily::Ipv4,
                    count: 2
                },
                SetparamStep::AddIps {
                    family: IpFamily::Ipv6,
                    count: 1
                },
                SetparamStep::ReportDone,
            ]
        );
    }

    #[test]
    fn a_lowered_count_removes_the_newest_extra_never_the_main_address() {
        let mut server = owned(5, "c@example.com", 42);
        // The main address (param ip) is the newest IPv4 here; it stays.
        server.ip = vec![
            ip(901, "203.0.113.10", IpFamily::Ipv4),
            ip(903, "203.0.113.12", IpFamily::Ipv4),
            ip(904, "203.0.113.13", IpFamily::Ipv4),
            ip(902, "203.0.113.11", IpFamily::Ipv4),
            ip(950, "2001:db8::5", IpFamily::Ipv6),
        ];
        let steps = setparam_plan(&server, 42, &order(2, 0), Some("203.0.113.13"));
        assert_eq!(
            steps,
            vec![
                SetparamStep::RemoveIp {
                    id: 903,
                    address: "203.0.113.12".into()
                },
                SetparamStep::RemoveIp {
                    id: 902,
                    address: "203.0.113.11".into()
                },
                SetparamStep::RemoveIp {
                    id: 950,
                    address: "2001:db8::5".into()
                },
                SetparamStep::ReportDone,
            ]
        );
        // Done already: only the report.
        server.ip.retain(|ip| [901, 904].contains(&ip.id));
        assert_eq!(
            setparam_plan(&server, 42, &order(2, 0), Some("203.0.113.13")),
            vec![SetparamStep::ReportDone]
        );
    }

    #[test]
    fn a_lost_main_address_is_saved_again() {
        let server = owned(5, "c@example.com", 42);
        assert_eq!(
            setparam_plan(&server, 42, &order(1, 0), None),
            vec![SetparamStep::SaveMainIp, SetparamStep::ReportDone]
        );
    }

    #[test]
    fn manual_add_ons_raised_beyond_the_server_go_to_staff_and_lowered_ones_do_not() {
        let server = owned(5, "c@example.com", 42);
        let more_ram = Order {
            requirement: manual(1, None, 128, &[1000]),
            ip_v4: 1,
            ip_v6: 0,
        };
        match setparam_plan(&server, 42, &more_ram, Some("203.0.113.10")).as_slice() {
            [SetparamStep::HandToStaff(text)] => {
                assert!(text.contains("RAM 64 → 128 GB (add 64 GB)"), "{text}")
            }
            other => panic!("{other:?}"),
        }
        // Less RAM than the server has still satisfies a manual order: nothing to take out.
        let less_ram = Order {
            requirement: manual(1, None, 32, &[1000]),
            ..more_ram
        };
        assert_eq!(
            setparam_plan(&server, 42, &less_ram, Some("203.0.113.10")),
            vec![SetparamStep::ReportDone]
        );
    }

    #[test]
    fn other_hardware_is_handed_to_staff_until_the_server_satisfies_the_order() {
        let server = owned(5, "c@example.com", 42);
        let bigger = Order {
            requirement: fixed("E5-2620-128Gb-2x1024NVMe"),
            ip_v4: 1,
            ip_v6: 0,
        };
        let steps = setparam_plan(&server, 42, &bigger, Some("203.0.113.10"));
        match steps.as_slice() {
            [SetparamStep::HandToStaff(text)] => assert!(
                text.contains("server srv-5 (id 5)")
                    && text.contains("RAM 64 → 128 GB (add 64 GB)"),
                "{text}"
            ),
            other => panic!("{other:?}"),
        }
    }
}
