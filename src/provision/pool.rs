//! Which IP pool a server's addresses come from (spec §5): the rack's pool, else the location's,
//! else a pool whose name contains `public`.
//!
//! A link of the chain is taken only if its pool is one of the allocation pools of the pool
//! settings and serves IPv4 (only IPv4 pools provision servers). The first usable link wins;
//! IPv6, when ordered, must come from that same pool, so a chosen pool without IPv6 is an error
//! rather than a reason to look further. Every link keeps its verdict, so that an administrator
//! reading a dry run or an error sees why each pool was or was not used.

use std::fmt;

use crate::dci::api::{IpFamily, IpPool, Location, PoolSettings, Rack};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolSource {
    Rack,
    Location,
    Public,
}

impl fmt::Display for PoolSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PoolSource::Rack => "rack pool",
            PoolSource::Location => "location pool",
            PoolSource::Public => "public pool",
        })
    }
}

/// One link of the chain as it was judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLink {
    pub source: PoolSource,
    pub pool: Option<u64>,
    pub verdict: String,
}

impl fmt::Display for PoolLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.verdict)
    }
}

#[derive(Debug, Clone)]
pub struct PoolChoice {
    pub pool: IpPool,
    pub source: PoolSource,
    /// Every link judged, up to and including the chosen one.
    pub chain: Vec<PoolLink>,
}

impl PoolChoice {
    /// `rack pool: rack R07 has no pool; location pool: pool 2 'loc-3' chosen`.
    pub fn explain(&self) -> String {
        explain(&self.chain)
    }
}

/// The addresses a server is to get from its pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Addresses {
    pub ipv4: u32,
    pub ipv6: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    /// No link of the chain gives a usable pool; `unknown` when the chain stopped at a link
    /// DCImanager's answer left undecided.
    NoPool { chain: Vec<PoolLink>, unknown: bool },
    /// The chosen pool has fewer free IPv4 addresses than the server is to get: refused before
    /// any server is claimed, rather than by DCImanager after.
    TooFew {
        pool: u64,
        name: String,
        free: u64,
        wanted: u32,
        chain: Vec<PoolLink>,
    },
    /// IPv6 is ordered, but the pool chosen for IPv4 has none.
    NoIpv6 {
        pool: u64,
        name: String,
        chain: Vec<PoolLink>,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::NoPool {
                chain,
                unknown: true,
            } => write!(
                f,
                "no IP pool is chosen because DCImanager's answer lacks what the choice needs ({}); this \
                 DCImanager differs from the API the module expects: compare its answer with README, \
                 'API assumptions'",
                explain(chain)
            ),
            PoolError::NoPool {
                chain,
                unknown: false,
            } => write!(
                f,
                "no IP pool can serve the server ({}); set a rack or location pool, or add a pool named 'public', \
                 and list it among the allocation pools",
                explain(chain)
            ),
            PoolError::TooFew {
                pool,
                name,
                free,
                wanted,
                chain,
            } => write!(
                f,
                "pool {pool} '{name}' has {free} free IPv4 addresses and the order needs {wanted} ({}); \
                 add addresses to the pool, or check the item's IPv4 add-on",
                explain(chain)
            ),
            PoolError::NoIpv6 { pool, name, chain } => write!(
                f,
                "IPv6 is ordered but pool {pool} '{name}' has no IPv6, and IPv4 and IPv6 must come from the same \
                 pool ({})",
                explain(chain)
            ),
        }
    }
}

impl std::error::Error for PoolError {}

fn explain(chain: &[PoolLink]) -> String {
    let links: Vec<String> = chain.iter().map(ToString::to_string).collect();
    links.join("; ")
}

/// Chooses the pool for a server in `rack` (`None` when it has none) of `location`.
///
/// Unknown is not safe (README Decisions): a link whose pool DCImanager's answer does not give
/// (no `ippool` at all), a pool whose families are not given, or pool settings without an
/// `allocation` list end the chain with no pool, because a later link only applies once the
/// earlier one is known to give none, and a pool's fitness cannot be assumed.
pub fn choose_pool(
    rack: Option<&Rack>,
    location: &Location,
    pools: &[IpPool],
    settings: &PoolSettings,
    wanted: Addresses,
) -> Result<PoolChoice, PoolError> {
    let mut chain = Vec::new();
    let (pool, source) = match walk(rack, location, pools, settings, &mut chain) {
        Ok(Some(chosen)) => chosen,
        Ok(None) => {
            return Err(PoolError::NoPool {
                chain,
                unknown: false,
            });
        }
        Err(Undecided) => {
            return Err(PoolError::NoPool {
                chain,
                unknown: true,
            });
        }
    };
    let families = pool.families.as_deref().unwrap_or_default();
    if wanted.ipv6 > 0 && !families.contains(&IpFamily::Ipv6) {
        return Err(PoolError::NoIpv6 {
            pool: pool.id,
            name: pool.name.clone(),
            chain,
        });
    }
    if let Some(free) = pool.free_ipv4.filter(|free| *free < u64::from(wanted.ipv4)) {
        return Err(PoolError::TooFew {
            pool: pool.id,
            name: pool.name.clone(),
            free,
            wanted: wanted.ipv4,
            chain,
        });
    }
    Ok(PoolChoice {
        pool: pool.clone(),
        source,
        chain,
    })
}

/// A link of the chain could not be judged from DCImanager's answer.
struct Undecided;

/// The chain of spec §5, link by link, recording each verdict; `None` when no link gives a pool.
fn walk<'a>(
    rack: Option<&Rack>,
    location: &Location,
    pools: &'a [IpPool],
    settings: &PoolSettings,
    chain: &mut Vec<PoolLink>,
) -> Result<Option<(&'a IpPool, PoolSource)>, Undecided> {
    match rack {
        None => chain.push(PoolLink {
            source: PoolSource::Rack,
            pool: None,
            verdict: "the server is in no rack".into(),
        }),
        Some(rack) => {
            let owner = format!("rack {}", rack.name);
            match judge(
                PoolSource::Rack,
                &owner,
                rack.ippool,
                pools,
                settings,
                chain,
            ) {
                Link::Chosen(pool) => return Ok(Some((pool, PoolSource::Rack))),
                Link::Unknown => return Err(Undecided),
                Link::Next => {}
            }
        }
    }
    let owner = named("location", location.id, &location.name);
    match judge(
        PoolSource::Location,
        &owner,
        location.ippool,
        pools,
        settings,
        chain,
    ) {
        Link::Chosen(pool) => return Ok(Some((pool, PoolSource::Location))),
        Link::Unknown => return Err(Undecided),
        Link::Next => {}
    }
    let mut public: Vec<&IpPool> = pools
        .iter()
        .filter(|pool| pool.name.to_ascii_lowercase().contains("public"))
        .collect();
    public.sort_by_key(|pool| pool.id);
    if public.is_empty() {
        chain.push(PoolLink {
            source: PoolSource::Public,
            pool: None,
            verdict: "no pool name contains 'public'".into(),
        });
    }
    for pool in public {
        match judge(
            PoolSource::Public,
            "",
            Some(Some(pool.id)),
            pools,
            settings,
            chain,
        ) {
            Link::Chosen(pool) => return Ok(Some((pool, PoolSource::Public))),
            Link::Unknown => return Err(Undecided),
            Link::Next => {}
        }
    }
    Ok(None)
}

/// `rack R07`, or `rack 7` when it has no name.
fn named(kind: &str, id: u64, name: &str) -> String {
    if name.is_empty() {
        format!("{kind} {id}")
    } else {
        format!("{kind} {name}")
    }
}

/// What one link of the chain gives.
enum Link<'a> {
    Chosen(&'a IpPool),
    /// Known to give no usable pool: the next link is judged.
    Next,
    /// Not judged: an input is missing from DCImanager's answer, and the chain stops.
    Unknown,
}

/// Judges one link (`pool_id` is `None` when the answer has no `ippool`, `Some(None)` for none)
/// and records its verdict.
fn judge<'a>(
    source: PoolSource,
    owner: &str,
    pool_id: Option<Option<u64>>,
    pools: &'a [IpPool],
    settings: &PoolSettings,
    chain: &mut Vec<PoolLink>,
) -> Link<'a> {
    let (verdict, link) = match pool_id {
        None => (
            format!("{owner}'s pool unknown: DCImanager's answer has no `ippool`"),
            Link::Unknown,
        ),
        Some(None) => (format!("{owner} has no pool"), Link::Next),
        Some(Some(id)) => match (
            pools.iter().find(|pool| pool.id == id),
            &settings.allocation,
        ) {
            (None, _) => (format!("pool {id} does not exist"), Link::Next),
            (Some(_), None) => (
                "allocation pools unknown: DCImanager's pool settings have no `allocation`".into(),
                Link::Unknown,
            ),
            (Some(pool), Some(allocation)) if !allocation.contains(&id) => (
                format!("pool {id} '{}' is not an allocation pool", pool.name),
                Link::Next,
            ),
            (Some(pool), Some(_)) => match &pool.families {
                None => (
                    format!(
                        "pool {id} '{}': address families unknown, DCImanager's pool has no `families`",
                        pool.name
                    ),
                    Link::Unknown,
                ),
                Some(families) if !families.contains(&IpFamily::Ipv4) => {
                    (format!("pool {id} '{}' has no IPv4", pool.name), Link::Next)
                }
                Some(_) => (
                    format!("pool {id} '{}' chosen", pool.name),
                    Link::Chosen(pool),
                ),
            },
        },
    };
    chain.push(PoolLink {
        source,
        pool: pool_id.flatten(),
        verdict,
    });
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: Addresses = Addresses { ipv4: 1, ipv6: 0 };

    #[test]
    fn a_pool_with_too_few_free_addresses_is_refused_before_any_claim() {
        let mut listed = pools();
        listed[1].free_ipv4 = Some(3);
        let wanted = Addresses { ipv4: 4, ipv6: 0 };
        let result = choose_pool(None, &location(Some(2)), &listed, &settings(&[2]), wanted);
        assert!(
            matches!(
                &result,
                Err(PoolError::TooFew {
                    free: 3,
                    wanted: 4,
                    ..
                })
            ),
            "{result:?}"
        );
        let three = Addresses { ipv4: 3, ipv6: 0 };
        assert!(choose_pool(None, &location(Some(2)), &listed, &settings(&[2]), three).is_ok());
        // Not told: not refused here (DCImanager refuses the addresses if it must).
        listed[1].free_ipv4 = None;
        assert!(choose_pool(None, &location(Some(2)), &listed, &settings(&[2]), wanted).is_ok());
    }

    fn pool(id: u64, name: &str, families: &[IpFamily]) -> IpPool {
        IpPool {
            id,
            name: name.into(),
            families: Some(families.to_vec()),
            free_ipv4: Some(100),
        }
    }

    fn rack(ippool: Option<u64>) -> Rack {
        Rack {
            id: 7,
            name: "R07".into(),
            location_id: 3,
            ippool: Some(ippool),
        }
    }

    fn location(ippool: Option<u64>) -> Location {
        Location {
            id: 3,
            name: "DC-1".into(),
            ippool: Some(ippool),
        }
    }

    fn pools() -> Vec<IpPool> {
        use IpFamily::{Ipv4, Ipv6};
        vec![
            pool(1, "rack-7", &[Ipv4, Ipv6]),
            pool(2, "dc-1", &[Ipv4]),
            pool(3, "Public-B", &[Ipv4, Ipv6]),
            pool(4, "public-a", &[Ipv4]),
            pool(5, "v6-only", &[Ipv6]),
            pool(6, "reserved", &[Ipv4]),
        ]
    }

    fn settings(allocation: &[u64]) -> PoolSettings {
        PoolSettings {
            allocation: Some(allocation.to_vec()),
            deallocation: vec![],
        }
    }

    fn choose(
        rack_pool: Option<Option<u64>>,
        location_pool: Option<u64>,
        allocation: &[u64],
        ipv6: bool,
    ) -> Result<PoolChoice, PoolError> {
        let wanted = Addresses {
            ipv4: 1,
            ipv6: u32::from(ipv6),
        };
        let rack = rack_pool.map(rack);
        choose_pool(
            rack.as_ref(),
            &location(location_pool),
            &pools(),
            &settings(allocation),
            wanted,
        )
    }

    fn chosen(result: &Result<PoolChoice, PoolError>) -> Option<(u64, PoolSource)> {
        result
            .as_ref()
            .ok()
            .map(|choice| (choice.pool.id, choice.source))
    }

    #[test]
    fn rack_pool_first() {
        let choice = choose(Some(Some(1)), Some(2), &[1, 2, 3, 4], true);
        assert_eq!(chosen(&choice), Some((1, PoolSource::Rack)));
        assert_eq!(
            choice.map(|c| c.explain()).ok().as_deref(),
            Some("rack pool: pool 1 'rack-7' chosen")
        );
    }

    #[test]
    fn location_pool_when_the_rack_has_none_or_no_rack() {
        let choice = choose(Some(None), Some(2), &[1, 2, 3, 4], false);
        assert_eq!(chosen(&choice), Some((2, PoolSource::Location)));
        assert_eq!(
            choice.map(|c| c.explain()).ok().as_deref(),
            Some("rack pool: rack R07 has no pool; location pool: pool 2 'dc-1' chosen")
        );
        let no_rack = choose(None, Some(2), &[2], false);
        assert_eq!(chosen(&no_rack), Some((2, PoolSource::Location)));
        assert_eq!(
            no_rack.map(|c| c.chain[0].verdict.clone()).ok().as_deref(),
            Some("the server is in no rack")
        );
    }

    #[test]
    fn public_pool_last_lowest_usable_id() {
        let choice = choose(Some(None), None, &[3, 4], false);
        assert_eq!(chosen(&choice), Some((3, PoolSource::Public)));
        // Pool 3 is not an allocation pool: the next public one is taken.
        let choice = choose(Some(None), None, &[4], false);
        assert_eq!(chosen(&choice), Some((4, PoolSource::Public)));
        assert_eq!(
            choice.map(|c| c.explain()).ok().as_deref(),
            Some(
                "rack pool: rack R07 has no pool; location pool: location DC-1 has no pool; \
                 public pool: pool 3 'Public-B' is not an allocation pool; public pool: pool 4 'public-a' chosen"
            )
        );
    }

    #[test]
    fn non_allocation_and_ipv6_only_pools_are_skipped() {
        let choice = choose(Some(Some(6)), Some(5), &[5, 3], false);
        assert_eq!(chosen(&choice), Some((3, PoolSource::Public)));
        let verdicts: Vec<String> = choice
            .map(|c| c.chain.iter().map(|l| l.verdict.clone()).collect())
            .unwrap_or_default();
        assert_eq!(
            verdicts,
            vec![
                "pool 6 'reserved' is not an allocation pool",
                "pool 5 'v6-only' has no IPv4",
                "pool 3 'Public-B' chosen",
            ]
        );
    }

    #[test]
    fn ipv6_must_come_from_the_chosen_pool() {
        let result = choose(Some(None), Some(2), &[1, 2, 3], true);
        assert!(
            matches!(&result, Err(PoolError::NoIpv6 { pool: 2, .. })),
            "{result:?}"
        );
        assert_eq!(
            result.err().map(|e| e.to_string()).as_deref(),
            Some(
                "IPv6 is ordered but pool 2 'dc-1' has no IPv6, and IPv4 and IPv6 must come from the same pool \
                 (rack pool: rack R07 has no pool; location pool: pool 2 'dc-1' chosen)"
            )
        );
    }

    #[test]
    fn no_pool_explains_every_link() {
        let result = choose(Some(Some(9)), Some(2), &[], false);
        assert_eq!(
            result.err().map(|e| e.to_string()).as_deref(),
            Some(
                "no IP pool can serve the server (rack pool: pool 9 does not exist; location pool: pool 2 'dc-1' is \
                 not an allocation pool; public pool: pool 3 'Public-B' is not an allocation pool; public pool: \
                 pool 4 'public-a' is not an allocation pool); set a rack or location pool, or add a pool named \
                 'public', and list it among the allocation pools"
            )
        );
        let unnamed = Location {
            id: 3,
            name: String::new(),
            ippool: Some(None),
        };
        let nothing = choose_pool(None, &unnamed, &[], &settings(&[]), ONE);
        assert_eq!(
            nothing.err(),
            Some(PoolError::NoPool {
                chain: vec![
                    PoolLink {
                        source: PoolSource::Rack,
                        pool: None,
                        verdict: "the server is in no rack".into()
                    },
                    PoolLink {
                        source: PoolSource::Location,
                        pool: None,
                        verdict: "location 3 has no pool".into()
                    },
                    PoolLink {
                        source: PoolSource::Public,
                        pool: None,
                        verdict: "no pool name contains 'public'".into()
                    },
                ],
                unknown: false,
            })
        );
    }

    /// Unknown is not safe: each input of the choice absent from DCImanager's answer stops the
    /// chain with no pool and a reason naming the field, never a fall-through to the next link.
    #[test]
    fn an_unknown_input_is_never_a_pool() {
        let unknown = |result: Result<PoolChoice, PoolError>| match result {
            Err(err @ PoolError::NoPool { unknown: true, .. }) => err.to_string(),
            other => panic!("expected an unknown-input refusal, got {other:?}"),
        };
        // The rack's pool absent: the location's pool (usable) is not taken instead.
        let mut no_field = rack(None);
        no_field.ippool = None;
        let reason = unknown(choose_pool(
            Some(&no_field),
            &location(Some(2)),
            &pools(),
            &settings(&[2]),
            ONE,
        ));
        assert!(reason.contains("rack R07's pool unknown"), "{reason}");
        // The location's pool absent.
        let mut dc = location(Some(2));
        dc.ippool = None;
        let reason = unknown(choose_pool(None, &dc, &pools(), &settings(&[2]), ONE));
        assert!(reason.contains("no `ippool`"), "{reason}");
        // The allocation list absent.
        let none = PoolSettings {
            allocation: None,
            deallocation: vec![],
        };
        let reason = unknown(choose_pool(None, &location(Some(2)), &pools(), &none, ONE));
        assert!(reason.contains("no `allocation`"), "{reason}");
        // A pool's families absent: neither it nor a later public pool is chosen.
        let mut listed = pools();
        listed[1].families = None;
        let reason = unknown(choose_pool(
            None,
            &location(Some(2)),
            &listed,
            &settings(&[2, 3]),
            ONE,
        ));
        assert!(reason.contains("no `families`"), "{reason}");
        assert!(reason.contains("API assumptions"), "{reason}");
    }
}
