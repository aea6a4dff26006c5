//! The IP pool for a server: the facts the pool chain needs, read once per run when a pool is
//! first needed (an open resuming on a server that has its addresses needs none), and the racks
//! read as servers need them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use anyhow::{Context, Result};

use crate::dci::api::{AddIps, Ip, IpFamily, IpPool, Location, PoolSettings, Rack, Server};
use crate::dci::client::Client;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::provision::claim_plan::PoolSources;
use crate::provision::pool::{Addresses, PoolChoice};

pub struct PoolFacts {
    pub location: Location,
    /// The pools and the pool settings, once read.
    pools: Option<(Vec<IpPool>, PoolSettings)>,
    racks: HashMap<u64, Rack>,
}

impl PoolFacts {
    pub fn new(location: Location) -> PoolFacts {
        PoolFacts {
            location,
            pools: None,
            racks: HashMap::new(),
        }
    }

    /// The pool facts for servers in `racks`, each rack and the pools read once per run.
    pub fn sources(
        &mut self,
        client: &Client,
        racks: impl IntoIterator<Item = u64>,
    ) -> Result<PoolSources<'_>> {
        for id in racks {
            if let Entry::Vacant(slot) = self.racks.entry(id) {
                let read = client
                    .rack(id)
                    .with_context(|| format!("reading rack {id}"))?;
                slot.insert(read);
            }
        }
        let (pools, settings) = match &mut self.pools {
            Some(read) => &*read,
            slot @ None => &*slot.insert((
                client.ip_pools().context("listing IP pools")?,
                client
                    .pool_settings()
                    .context("reading the pool settings")?,
            )),
        };
        Ok(PoolSources {
            location: &self.location,
            pools,
            settings,
            racks: &self.racks,
        })
    }

    /// The pool for a server in `rack`; an error an administrator can act on when there is none.
    pub fn choose(
        &mut self,
        client: &Client,
        server_name: &str,
        rack: Option<u64>,
        wanted: Addresses,
    ) -> Result<PoolChoice> {
        self.sources(client, rack)?
            .choose(rack, wanted)
            .map_err(|reason| no_pool(server_name, &reason))
    }

    /// Adds `count` addresses of `family` to `server` from the pool the chain gives for an
    /// order of `wanted` (open and setparam give addresses by the same rules).
    pub fn add_addresses(
        &mut self,
        client: &Client,
        server: &Server,
        family: IpFamily,
        count: u32,
        wanted: Addresses,
    ) -> Result<Vec<Ip>> {
        let rack = server.rack.as_ref().and_then(|r| r.id);
        let choice = self.choose(client, &server.name, rack, wanted)?;
        let added = client
            .add_ips(
                server.id,
                &AddIps {
                    pool: choice.pool.id,
                    family,
                    count,
                },
            )
            .with_context(|| {
                format!(
                    "adding {count} {family:?} addresses from pool {} to server {}",
                    choice.pool.name, server.name
                )
            })?;
        log::info!(
            "server {}: added {} from pool {} ({})",
            server.name,
            added
                .iter()
                .map(|ip| ip.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            choice.pool.name,
            choice.explain()
        );
        Ok(added)
    }
}

/// The failure of an order whose server no pool serves.
pub fn no_pool(server_name: &str, reason: &str) -> anyhow::Error {
    ModuleError::new(
        ErrorKind::NoPool,
        format!("server {server_name}"),
        format!("server {server_name}: {reason}"),
    )
    .into()
}
