//! IP networks of the pools and the addresses in use: which address a pool hands out next and how
//! many IPv4 addresses it has left.
//!
//! A pool hands out the addresses of its network in order, skipping the network address, the
//! gateway, the IPv4 broadcast address and every address already on a server. Networks may be
//! large (`10.0.0.0/8`): nothing here enumerates a whole network.

use std::collections::BTreeSet;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

/// The address family, as the API writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    Ipv4,
    Ipv6,
}

impl Family {
    pub fn of(address: &IpAddr) -> Family {
        match address {
            IpAddr::V4(_) => Family::Ipv4,
            IpAddr::V6(_) => Family::Ipv6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Family::Ipv4 => "ipv4",
            Family::Ipv6 => "ipv6",
        }
    }
}

/// An IP network in CIDR form, host bits clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn parse(text: &str) -> anyhow::Result<Network> {
        let (address, prefix) = text
            .split_once('/')
            .with_context(|| format!("network {text:?} is not in CIDR form (address/prefix)"))?;
        let base: IpAddr = address
            .parse()
            .with_context(|| format!("network {text:?}: bad address"))?;
        let prefix: u8 = prefix
            .parse()
            .with_context(|| format!("network {text:?}: bad prefix length"))?;
        let network = Network { base, prefix };
        if prefix > network.bits() {
            bail!("network {text:?}: prefix length above {}", network.bits());
        }
        if network.number(&base) & network.host_mask() != 0 {
            bail!("network {text:?}: host bits are set");
        }
        Ok(network)
    }

    pub fn family(&self) -> Family {
        Family::of(&self.base)
    }

    fn bits(&self) -> u8 {
        match self.family() {
            Family::Ipv4 => 32,
            Family::Ipv6 => 128,
        }
    }

    fn host_mask(&self) -> u128 {
        let host_bits = u32::from(self.bits() - self.prefix);
        1u128.checked_shl(host_bits).map_or(u128::MAX, |n| n - 1)
    }

    /// The address as a number, in this network's family.
    fn number(&self, address: &IpAddr) -> u128 {
        match address {
            IpAddr::V4(a) => u128::from(u32::from(*a)),
            IpAddr::V6(a) => u128::from(*a),
        }
    }

    fn address(&self, number: u128) -> IpAddr {
        match self.family() {
            // Numbers come from this network's range, so they fit the family.
            Family::Ipv4 => IpAddr::V4(Ipv4Addr::from(number as u32)),
            Family::Ipv6 => IpAddr::V6(Ipv6Addr::from(number)),
        }
    }

    pub fn contains(&self, address: &IpAddr) -> bool {
        Family::of(address) == self.family()
            && self.number(address) & !self.host_mask() == self.number(&self.base)
    }

    /// The first and last addresses a server may get: without the network address and, for IPv4
    /// networks larger than /31, without the broadcast address.
    fn hosts(&self) -> (u128, u128) {
        let base = self.number(&self.base);
        let last = base | self.host_mask();
        match (self.family(), self.prefix) {
            (Family::Ipv4, 31..) | (Family::Ipv6, 128) => (base, last),
            (Family::Ipv4, _) => (base + 1, last - 1),
            (Family::Ipv6, _) => (base + 1, last),
        }
    }

    fn first_host(&self) -> IpAddr {
        self.address(self.hosts().0)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// One family's network of a pool, with its gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subnet {
    pub network: Network,
    pub gateway: IpAddr,
}

impl Subnet {
    /// `gateway` defaults to the first host address.
    pub fn parse(network: &str, gateway: Option<&str>) -> anyhow::Result<Subnet> {
        let network = Network::parse(network)?;
        let gateway = match gateway {
            Some(text) => text
                .parse()
                .with_context(|| format!("gateway {text:?} is not an IP address"))?,
            None => network.first_host(),
        };
        if !network.contains(&gateway) {
            bail!("gateway {gateway} is outside network {network}");
        }
        Ok(Subnet { network, gateway })
    }
}

/// Every address on a server, across all pools.
#[derive(Debug, Clone, Default)]
pub struct AddressBook {
    used: BTreeSet<IpAddr>,
}

impl AddressBook {
    pub fn is_used(&self, address: &IpAddr) -> bool {
        self.used.contains(address)
    }

    /// `false` if the address was already in use.
    pub fn take(&mut self, address: IpAddr) -> bool {
        self.used.insert(address)
    }

    pub fn release(&mut self, address: &IpAddr) {
        self.used.remove(address);
    }

    fn used_in(&self, subnet: &Subnet) -> impl Iterator<Item = u128> + '_ {
        let network = subnet.network;
        let (first, last) = network.hosts();
        self.used
            .range(network.address(first)..=network.address(last))
            .map(move |a| network.number(a))
    }

    /// The next `count` free addresses of `subnet`, in order, or `None` if it has fewer.
    pub fn next_free(&self, subnet: &Subnet, count: usize) -> Option<Vec<IpAddr>> {
        let network = subnet.network;
        let (first, last) = network.hosts();
        let gateway = network.number(&subnet.gateway);
        let mut used = self.used_in(subnet).peekable();
        let mut found = Vec::with_capacity(count);
        let mut candidate = first;
        while found.len() < count && candidate <= last {
            while used.next_if(|&u| u < candidate).is_some() {}
            if used.peek() != Some(&candidate) && candidate != gateway {
                found.push(network.address(candidate));
            }
            match candidate.checked_add(1) {
                Some(next) => candidate = next,
                None => break,
            }
        }
        (found.len() == count).then_some(found)
    }

    /// How many addresses `subnet` can still hand out (saturating for huge IPv6 networks).
    pub fn free_count(&self, subnet: &Subnet) -> u128 {
        let (first, last) = subnet.network.hosts();
        let gateway = subnet.network.number(&subnet.gateway);
        let used = self.used_in(subnet).filter(|&u| u != gateway).count() as u128;
        let gateway_is_host = u128::from((first..=last).contains(&gateway));
        (last - first)
            .saturating_add(1)
            .saturating_sub(gateway_is_host)
            .saturating_sub(used)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn networks() {
        let net = Network::parse("203.0.113.0/24").unwrap();
        assert!(net.contains(&ip("203.0.113.255")));
        assert!(!net.contains(&ip("203.0.114.1")));
        assert!(!net.contains(&ip("2001:db8::1")));
        assert_eq!(net.to_string(), "203.0.113.0/24");
        assert!(Network::parse("203.0.113.1/24").is_err());
        assert!(Network::parse("203.0.113.0/33").is_err());
        assert!(Network::parse("203.0.113.0").is_err());
        assert!(
            Network::parse("2001:db8:1::/64")
                .unwrap()
                .contains(&ip("2001:db8:1::ffff"))
        );
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains(&ip("8.8.8.8"))
        );
    }

    #[test]
    fn allocation_in_order_skipping_reserved_and_used() {
        let subnet = Subnet::parse("203.0.113.0/29", Some("203.0.113.1")).unwrap();
        let mut book = AddressBook::default();
        assert_eq!(book.free_count(&subnet), 5);
        assert!(book.take(ip("203.0.113.3")));
        assert!(!book.take(ip("203.0.113.3")));
        assert_eq!(
            book.next_free(&subnet, 3).unwrap(),
            [ip("203.0.113.2"), ip("203.0.113.4"), ip("203.0.113.5")]
        );
        assert_eq!(book.free_count(&subnet), 4);
        assert_eq!(book.next_free(&subnet, 5), None);
        book.release(&ip("203.0.113.3"));
        assert_eq!(book.next_free(&subnet, 5).unwrap().len(), 5);
    }

    #[test]
    fn ipv6_and_default_gateway() {
        let subnet = Subnet::parse("2001:db8:1::/64", None).unwrap();
        assert_eq!(subnet.gateway, ip("2001:db8:1::1"));
        let book = AddressBook::default();
        assert_eq!(
            book.next_free(&subnet, 2).unwrap(),
            [ip("2001:db8:1::2"), ip("2001:db8:1::3")]
        );
        assert!(Subnet::parse("2001:db8:1::/64", Some("2001:db8:2::1")).is_err());
    }

    #[test]
    fn large_networks_are_not_enumerated() {
        let subnet = Subnet::parse("10.0.0.0/8", Some("10.0.0.1")).unwrap();
        let mut book = AddressBook::default();
        assert_eq!(book.free_count(&subnet), (1 << 24) - 3);
        for n in 2..20_000u32 {
            book.take(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)));
        }
        assert_eq!(book.next_free(&subnet, 1).unwrap(), [ip("10.0.78.32")]);
        assert_eq!(book.free_count(&subnet), (1 << 24) - 3 - 19_998);
    }
}
