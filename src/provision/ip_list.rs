//! BILLmanager's IP list of a service kept equal to the addresses its server has in DCImanager.
//!
//! BILLmanager keeps a service's addresses in its table `ip`, one row per address slot of the
//! service's IP add-ons (product type `ip` for IPv4, `ipv6` for IPv6); an empty slot has the
//! status 1. ISPsystem's modules fill a slot with `service.ip.add` (then
//! `service.ip.add.commit`) and release one with `service.ip.del`. This decides which: every
//! address of the server that the list lacks fills an empty slot of its family; every address in
//! the list the server no longer has is released. Slots are only ever the empty ones found before the run (a released row is
//! not reused in the same run: whether BILLmanager empties or deletes it is its own business),
//! and an address already listed is never added again, so a retry after any failure adds no
//! second row.

use std::fmt;

use crate::dci::api::{Ip, IpFamily};

/// `ip.status` of an empty slot.
pub const EMPTY_SLOT: i64 = 1;

/// One row of a service's IP list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedIp {
    pub id: u64,
    /// The address the row holds; `None` for an empty slot.
    pub address: Option<String>,
    pub family: IpFamily,
}

impl ListedIp {
    /// A row as BILLmanager stores it: `status` 1, or no name, is an empty slot.
    pub fn from_row(id: u64, name: &str, status: i64, family: IpFamily) -> ListedIp {
        let name = name.trim();
        let address = (status != EMPTY_SLOT && !name.is_empty()).then(|| name.to_string());
        ListedIp {
            id,
            address,
            family,
        }
    }
}

/// The product type of an IP add-on whose slots carry `family`.
pub fn family_of_itemtype(itemtype: &str) -> Option<IpFamily> {
    match itemtype {
        "ip" => Some(IpFamily::Ipv4),
        "ipv6" => Some(IpFamily::Ipv6),
        _ => None,
    }
}

/// An address to put in the list, with what `service.ip.add` takes besides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewIp {
    pub address: String,
    /// Dotted for IPv4 (`255.255.255.0`), the prefix length for IPv6 (`64`); empty if unknown.
    pub mask: String,
    pub gateway: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpListStep {
    /// Put the address in the empty slot `slot`.
    Fill { slot: u64, ip: NewIp },
    /// Release row `id`: its address is no longer the server's.
    Release { id: u64, address: String },
    /// The list has no empty slot of the address's family left (the add-on counts fewer
    /// addresses than the server has): logged, the list is left as it is.
    NoSlot { address: String },
}

impl fmt::Display for IpListStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpListStep::Fill { slot, ip } => {
                write!(
                    f,
                    "add {} to BILLmanager's IP list (slot {slot})",
                    ip.address
                )
            }
            IpListStep::Release { id, address } => {
                write!(f, "remove {address} from BILLmanager's IP list (row {id})")
            }
            IpListStep::NoSlot { address } => write!(
                f,
                "{address} has no free slot in BILLmanager's IP list (the IP add-on counts fewer addresses)"
            ),
        }
    }
}

/// The steps that make `listed` hold exactly `addresses`: releases first, then fills in the
/// server's address order.
pub fn reconcile(listed: &[ListedIp], addresses: &[Ip]) -> Vec<IpListStep> {
    let mut steps: Vec<IpListStep> = listed
        .iter()
        .filter_map(|row| {
            let address = row.address.as_ref()?;
            let kept = addresses.iter().any(|ip| same_address(&ip.name, address));
            (!kept).then(|| IpListStep::Release {
                id: row.id,
                address: address.clone(),
            })
        })
        .collect();
    let mut free: Vec<&ListedIp> = listed.iter().filter(|row| row.address.is_none()).collect();
    for ip in addresses {
        let listed_already = listed
            .iter()
            .filter_map(|row| row.address.as_deref())
            .any(|address| same_address(&ip.name, address));
        if listed_already {
            continue;
        }
        match free.iter().position(|row| row.family == ip.family) {
            Some(index) => {
                let slot = free.remove(index);
                steps.push(IpListStep::Fill {
                    slot: slot.id,
                    ip: NewIp {
                        address: ip.name.clone(),
                        mask: ip
                            .network
                            .as_deref()
                            .and_then(|n| netmask(n, ip.family))
                            .unwrap_or_default(),
                        gateway: ip.gateway.clone().unwrap_or_default(),
                    },
                });
            }
            None => steps.push(IpListStep::NoSlot {
                address: ip.name.clone(),
            }),
        }
    }
    steps
}

/// Addresses compare without regard to case (IPv6 is written either way).
fn same_address(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// The mask of a network `a.b.c.d/len` or `x::/len`: dotted for IPv4, the prefix for IPv6.
pub fn netmask(network: &str, family: IpFamily) -> Option<String> {
    let prefix: u32 = network.rsplit_once('/')?.1.trim().parse().ok()?;
    match family {
        IpFamily::Ipv4 if prefix <= 32 => {
            let bits = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            Some(std::net::Ipv4Addr::from(bits).to_string())
        }
        IpFamily::Ipv6 if prefix <= 128 => Some(prefix.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(name: &str, family: IpFamily) -> Ip {
        Ip {
            id: 1,
            name: name.into(),
            family,
            gateway: Some("198.51.100.1".into()),
            network: Some("198.51.100.0/24".into()),
            pool: None,
        }
    }

    fn slot(id: u64, family: IpFamily) -> ListedIp {
        ListedIp::from_row(id, "", EMPTY_SLOT, family)
    }

    fn held(id: u64, address: &str, family: IpFamily) -> ListedIp {
        ListedIp::from_row(id, address, 2, family)
    }

    #[test]
    fn addresses_fill_empty_slots_of_their_family() {
        let steps = reconcile(
            &[
                slot(5, IpFamily::Ipv6),
                slot(6, IpFamily::Ipv4),
                slot(7, IpFamily::Ipv4),
            ],
            &[
                ip("198.51.100.7", IpFamily::Ipv4),
                ip("2001:db8::7", IpFamily::Ipv6),
            ],
        );
        let fills: Vec<(u64, &str)> = steps
            .iter()
            .map(|s| match s {
                IpListStep::Fill { slot, ip } => (*slot, ip.address.as_str()),
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(fills, [(6, "198.51.100.7"), (5, "2001:db8::7")]);
        let IpListStep::Fill { ip, .. } = &steps[0] else {
            panic!()
        };
        assert_eq!(ip.mask, "255.255.255.0");
        assert_eq!(ip.gateway, "198.51.100.1");
    }

    #[test]
    fn a_settled_list_needs_nothing_and_a_gone_address_is_released() {
        let listed = [
            held(6, "198.51.100.7", IpFamily::Ipv4),
            slot(7, IpFamily::Ipv4),
        ];
        assert!(reconcile(&listed, &[ip("198.51.100.7", IpFamily::Ipv4)]).is_empty());
        assert_eq!(
            reconcile(&listed, &[ip("198.51.100.9", IpFamily::Ipv4)]),
            [
                IpListStep::Release {
                    id: 6,
                    address: "198.51.100.7".into()
                },
                IpListStep::Fill {
                    slot: 7,
                    ip: NewIp {
                        address: "198.51.100.9".into(),
                        mask: "255.255.255.0".into(),
                        gateway: "198.51.100.1".into()
                    }
                }
            ]
        );
        // Closing: no address left, every held row released, empty slots untouched.
        assert_eq!(
            reconcile(&listed, &[]),
            [IpListStep::Release {
                id: 6,
                address: "198.51.100.7".into()
            }]
        );
    }

    #[test]
    fn more_addresses_than_slots_are_reported_not_forced() {
        let steps = reconcile(
            &[slot(6, IpFamily::Ipv4)],
            &[
                ip("198.51.100.7", IpFamily::Ipv4),
                ip("198.51.100.8", IpFamily::Ipv4),
            ],
        );
        assert!(matches!(steps[0], IpListStep::Fill { slot: 6, .. }));
        assert_eq!(
            steps[1],
            IpListStep::NoSlot {
                address: "198.51.100.8".into()
            }
        );
    }

    #[test]
    fn rows_and_masks_are_read_as_billmanager_writes_them() {
        assert_eq!(
            ListedIp::from_row(1, "10.0.0.1", EMPTY_SLOT, IpFamily::Ipv4).address,
            None
        );
        assert_eq!(ListedIp::from_row(1, " ", 2, IpFamily::Ipv4).address, None);
        assert_eq!(family_of_itemtype("ipv6"), Some(IpFamily::Ipv6));
        assert_eq!(family_of_itemtype("ram"), None);
        assert_eq!(
            netmask("10.0.0.0/8", IpFamily::Ipv4).as_deref(),
            Some("255.0.0.0")
        );
        assert_eq!(
            netmask("10.0.0.0/0", IpFamily::Ipv4).as_deref(),
            Some("0.0.0.0")
        );
        assert_eq!(
            netmask("2001:db8::/64", IpFamily::Ipv6).as_deref(),
            Some("64")
        );
        assert_eq!(netmask("10.0.0.0/33", IpFamily::Ipv4), None);
        assert_eq!(netmask("10.0.0.0", IpFamily::Ipv4), None);
    }
}
