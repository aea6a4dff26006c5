//! Which server an open takes, decided once for the real open and for its dry run, so that the
//! dry run names the server the real open then claims (or, for a closest match, reserves).
//!
//! The decision is made from plain facts: the location's stock, the pool facts of its racks and
//! the location, the order's requirement, the module's `allow_closest`, and the server the item
//! already holds (saved, marked, or left by an interrupted claim). The command only carries it
//! out: it claims the candidates in order, and on a race lost to another billing moves on to the
//! next one.

use std::collections::HashMap;
use std::fmt::Write as _;

use super::availability::{Candidate, Stock};
use super::closest::{BuildPlan, Closest, closest};
use super::matching::{Ranking, fit, rank};
use super::order::Requirement;
use super::pool::{Addresses, PoolChoice, PoolError, choose_pool};
use crate::dci::api::{IpPool, Location, PoolSettings, Rack, Server};

/// What the open of one item asks for.
#[derive(Debug, Clone, Copy)]
pub struct ClaimInput<'a> {
    pub item: u64,
    pub requirement: &'a Requirement,
    pub addresses: Addresses,
    pub allow_closest: bool,
}

impl ClaimInput<'_> {
    /// The tie-break seed among equally good servers is the item's id: different items (parallel
    /// opens) spread over the tied servers instead of racing for one, while the dry run and
    /// every run of the same item rank them alike, so the dry run's promise holds.
    pub fn seed(&self) -> u64 {
        self.item
    }
}

/// The pool facts the chain needs: the location, its pools and settings, and the racks of the
/// servers the open may take (read by the command beforehand, see [`Ranked::racks`]).
pub struct PoolSources<'a> {
    pub location: &'a Location,
    pub pools: &'a [IpPool],
    pub settings: &'a PoolSettings,
    pub racks: &'a HashMap<u64, Rack>,
}

impl PoolSources<'_> {
    /// The pool for a server in `rack`. A rack that was not read is judged as no rack would be
    /// only when the server names none; a named rack missing from the facts is a refusal.
    pub fn choose(&self, rack: Option<u64>, wanted: Addresses) -> Result<PoolChoice, String> {
        let rack = match rack {
            None => None,
            Some(id) => Some(
                self.racks
                    .get(&id)
                    .ok_or_else(|| format!("rack {id} was not read"))?,
            ),
        };
        choose_pool(rack, self.location, self.pools, self.settings, wanted)
            .map_err(|err: PoolError| err.to_string())
    }
}

/// The stock ranked for the order: the matches best first, and, when none matches, the other
/// servers closest first.
pub struct Ranked<'c> {
    pub ranking: Ranking<'c>,
    /// Empty while a server matches: a closest match is only ever looked for without one.
    pub nearest: Vec<Closest<'c>>,
    refusals: String,
}

/// Ranks the location's available servers for the order.
pub fn rank_stock<'c>(input: &ClaimInput, stock: &'c Stock) -> Ranked<'c> {
    let ranking = rank(input.requirement, &stock.available, input.seed());
    let nearest = if ranking.matches.is_empty() {
        closest(input.requirement, &stock.available, input.seed())
    } else {
        Vec::new()
    };
    let refusals = refusals(stock, ranking.mismatches.len());
    Ranked {
        ranking,
        nearest,
        refusals,
    }
}

/// Why no available server matched, in numbers an administrator can check.
fn refusals(stock: &Stock, mismatched: usize) -> String {
    let rejected = stock.rejected.len();
    let mut text = format!("{rejected} servers are not available");
    if rejected > 0 {
        write!(text, " ({})", stock.tally).ok();
    }
    write!(
        text,
        ", {mismatched} available servers have another configuration"
    )
    .ok();
    text
}

/// One server the open would try, with the pool its addresses would come from.
pub struct Planned<'c> {
    pub candidate: &'c Candidate,
    pub pool: PoolChoice,
    /// For a closest match: how staff must rebuild the server.
    pub build: Option<BuildPlan>,
}

/// The open's decision for an item that holds no server yet.
pub enum Decision<'c> {
    /// Claim the first of `candidates` whose claim holds; `closest` when none matches and the
    /// server taken is only reserved for staff to rebuild.
    Claim {
        closest: bool,
        candidates: Vec<Planned<'c>>,
        /// Servers passed over before they are touched, because no pool serves them.
        passed_over: Vec<(&'c Candidate, String)>,
        /// The refusals in numbers, for the failure when every candidate is lost to a race.
        refusals: String,
    },
    /// Servers would fit, but none has a pool: the first one's reason.
    NoPool {
        server: String,
        reason: String,
    },
    NoServer {
        reason: String,
    },
}

impl<'c> Ranked<'c> {
    /// The servers the open would try, in order: the matches, or without one the closest
    /// servers when the module allows it.
    fn tried(&self, input: &ClaimInput) -> Option<(bool, Vec<&'c Candidate>)> {
        if !self.ranking.matches.is_empty() {
            return Some((false, self.ranking.matches.clone()));
        }
        (input.allow_closest && !self.nearest.is_empty())
            .then(|| (true, self.nearest.iter().map(|n| n.candidate).collect()))
    }

    /// The racks whose pool facts [`Ranked::decide`] needs; empty when no server would be
    /// tried, and then no pool facts are needed at all.
    pub fn racks(&self, input: &ClaimInput) -> Vec<u64> {
        let mut racks: Vec<u64> = self
            .tried(input)
            .map(|(_, tried)| tried.iter().filter_map(|c| c.rack_id).collect())
            .unwrap_or_default();
        racks.sort_unstable();
        racks.dedup();
        racks
    }

    /// The decision without pool facts, when no server would be tried.
    pub fn refused(&self, input: &ClaimInput) -> Option<Decision<'c>> {
        self.tried(input).is_none().then(|| self.no_server(input))
    }

    fn no_server(&self, input: &ClaimInput) -> Decision<'c> {
        let why = if !input.allow_closest {
            "closest configuration is off"
        } else {
            "no free server to rebuild either"
        };
        Decision::NoServer {
            reason: format!("{}; {why}", self.refusals),
        }
    }

    /// The decision: every server that would be tried gets its pool, or is passed over when
    /// none serves it; the order fails on a missing pool only when no candidate has one.
    pub fn decide(&self, input: &ClaimInput, pools: &PoolSources) -> Decision<'c> {
        let Some((closest, tried)) = self.tried(input) else {
            return self.no_server(input);
        };
        let mut candidates = Vec::new();
        let mut passed_over = Vec::new();
        for candidate in tried {
            match pools.choose(candidate.rack_id, input.addresses) {
                Ok(pool) => candidates.push(Planned {
                    candidate,
                    pool,
                    build: closest.then(|| BuildPlan::new(input.requirement, candidate)),
                }),
                Err(reason) => passed_over.push((candidate, reason)),
            }
        }
        if candidates.is_empty()
            && let Some((first, reason)) = passed_over.first()
        {
            return Decision::NoPool {
                server: first.name.clone(),
                reason: reason.clone(),
            };
        }
        Decision::Claim {
            closest,
            candidates,
            passed_over,
            refusals: self.refusals.clone(),
        }
    }
}

/// A server the item already holds is resumed on only once it matches the order: a server
/// reserved by a closest match waits for staff to rebuild it. `Some` is why it must wait.
pub fn waiting_for_rebuild(server: &Server, requirement: &Requirement) -> Option<String> {
    let label = server.configuration.as_deref().unwrap_or("");
    match label.parse() {
        Ok(configuration) => fit(requirement, &configuration).err().map(|m| m.reason),
        Err(err) => Some(format!("{err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::IpFamily;
    use crate::provision::testing::{available, candidate, fixed};

    const LABEL: &str = "E5-2620-64Gb-2x1024NVMe";

    fn stock(candidates: Vec<Candidate>) -> Stock {
        Stock {
            available: candidates,
            rejected: Vec::new(),
            tally: Default::default(),
        }
    }

    fn in_rack(mut candidate: Candidate, rack: u64) -> Candidate {
        candidate.rack_id = Some(rack);
        candidate
    }

    struct Facts {
        location: Location,
        pools: Vec<IpPool>,
        settings: PoolSettings,
        racks: HashMap<u64, Rack>,
    }

    impl Facts {
        /// Rack 7 has pool 1; rack 8 has none, and neither has the location.
        fn new() -> Facts {
            let rack = |id, ippool| Rack {
                id,
                name: format!("R{id}"),
                location_id: 3,
                ippool: Some(ippool),
            };
            Facts {
                location: Location {
                    id: 3,
                    name: "loc".into(),
                    ippool: Some(None),
                },
                pools: vec![IpPool {
                    id: 1,
                    name: "rack-7".into(),
                    families: Some(vec![IpFamily::Ipv4]),
                    free_ipv4: Some(100),
                }],
                settings: PoolSettings {
                    allocation: Some(vec![1]),
                    deallocation: Vec::new(),
                },
                racks: HashMap::from([(7, rack(7, Some(1))), (8, rack(8, None))]),
            }
        }

        fn sources(&self) -> PoolSources<'_> {
            PoolSources {
                location: &self.location,
                pools: &self.pools,
                settings: &self.settings,
                racks: &self.racks,
            }
        }
    }

    fn input(requirement: &Requirement, allow_closest: bool) -> ClaimInput<'_> {
        ClaimInput {
            item: 42,
            requirement,
            addresses: Addresses { ipv4: 1, ipv6: 0 },
            allow_closest,
        }
    }

    fn ids(decision: &Decision) -> Vec<u64> {
        match decision {
            Decision::Claim { candidates, .. } => {
                candidates.iter().map(|p| p.candidate.id).collect()
            }
            _ => panic!("no claim"),
        }
    }

    #[test]
    fn a_match_without_a_pool_is_passed_over_for_the_next_one() {
        let requirement = fixed(LABEL);
        let stock = stock(vec![
            in_rack(candidate(1, LABEL), 8),
            in_rack(candidate(2, LABEL), 7),
        ]);
        let input = input(&requirement, true);
        let ranked = rank_stock(&input, &stock);
        assert_eq!(ranked.racks(&input), vec![7, 8]);
        let facts = Facts::new();
        let decision = ranked.decide(&input, &facts.sources());
        assert_eq!(ids(&decision), vec![2]);
        let Decision::Claim {
            closest,
            passed_over,
            ..
        } = &decision
        else {
            unreachable!()
        };
        assert!(!closest);
        assert_eq!(passed_over.len(), 1);
        assert_eq!(passed_over[0].0.id, 1);
    }

    #[test]
    fn no_pool_fails_only_when_no_candidate_has_one() {
        let requirement = fixed(LABEL);
        let stock = stock(vec![in_rack(candidate(1, LABEL), 8)]);
        let input = input(&requirement, true);
        let facts = Facts::new();
        match rank_stock(&input, &stock).decide(&input, &facts.sources()) {
            Decision::NoPool { server, reason } => {
                assert_eq!(server, "srv-1");
                assert!(reason.contains("no pool"), "{reason}");
            }
            _ => panic!("no pool expected"),
        }
    }

    #[test]
    fn without_a_match_the_closest_are_tried_with_their_build_plans() {
        let requirement = fixed(LABEL);
        let stock = stock(vec![
            candidate(1, "E5-2620-32Gb-1x1024NVMe"),
            candidate(2, "E5-2620-128Gb-2x1024NVMe"),
        ]);
        let input = input(&requirement, true);
        let facts = Facts::new();
        let decision = rank_stock(&input, &stock).decide(&input, &facts.sources());
        assert_eq!(ids(&decision), vec![2, 1], "never less than ordered first");
        let Decision::Claim {
            closest,
            candidates,
            ..
        } = &decision
        else {
            unreachable!()
        };
        assert!(closest);
        assert!(candidates.iter().all(|p| p.build.is_some()));
    }

    #[test]
    fn without_a_match_and_closest_off_nothing_is_tried_and_no_pool_is_needed() {
        let requirement = fixed(LABEL);
        let stock = stock(vec![candidate(1, "E5-2620-32Gb-1x1024NVMe")]);
        let input = input(&requirement, false);
        let ranked = rank_stock(&input, &stock);
        assert!(ranked.racks(&input).is_empty());
        match ranked.refused(&input) {
            Some(Decision::NoServer { reason }) => {
                assert!(
                    reason.contains("1 available servers have another configuration")
                        && reason.ends_with("closest configuration is off"),
                    "{reason}"
                );
            }
            _ => panic!("refusal expected"),
        }
        let empty = stock_of_none();
        let allowed = ClaimInput {
            allow_closest: true,
            ..input
        };
        assert!(matches!(
            rank_stock(&allowed, &empty).refused(&allowed),
            Some(Decision::NoServer { reason }) if reason.ends_with("no free server to rebuild either")
        ));
    }

    fn stock_of_none() -> Stock {
        stock(Vec::new())
    }

    #[test]
    fn the_same_item_always_ranks_ties_alike_and_items_spread() {
        let requirement = fixed(LABEL);
        let stock = stock((1..=8).map(|id| candidate(id, LABEL)).collect());
        let facts = Facts::new();
        let first = |item| {
            let input = ClaimInput {
                item,
                ..input(&requirement, true)
            };
            ids(&rank_stock(&input, &stock).decide(&input, &facts.sources()))[0]
        };
        assert_eq!(first(42), first(42));
        let firsts: std::collections::HashSet<u64> = (1..40).map(first).collect();
        assert!(firsts.len() > 1, "parallel opens of items spread out");
    }

    #[test]
    fn a_held_server_waits_until_it_is_rebuilt_to_the_order() {
        let requirement = fixed(LABEL);
        let mut server = available(1);
        assert_eq!(waiting_for_rebuild(&server, &requirement), None);
        server.configuration = Some("E5-2620-32Gb-1x1024NVMe".into());
        assert!(waiting_for_rebuild(&server, &requirement).is_some());
        server.configuration = None;
        assert!(waiting_for_rebuild(&server, &requirement).is_some());
    }
}
