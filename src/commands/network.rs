//! The IP pool for a server: the facts the pool chain needs, read once per run, and the racks
//! read as servers need them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use anyhow::{Context, Result};

use crate::dci::api::{IpPool, Location, PoolSettings, Rack};
use crate::dci::client::Client;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::provision::pool::{PoolChoice, choose_pool};

pub struct PoolFacts {
    pub location: Location,
    pools: Vec<IpPool>,
    settings: PoolSettings,
    racks: HashMap<u64, Rack>,
}

impl PoolFacts {
    pub fn read(client: &Client, location: Location) -> Result<PoolFacts> {
        Ok(PoolFacts {
            location,
            pools: client.ip_pools().context("listing IP pools")?,
            settings: client
                .pool_settings()
                .context("reading the pool settings")?,
            racks: HashMap::new(),
        })
    }

    /// The pool for a server in `rack`; an error an administrator can act on when there is none.
    pub fn choose(
        &mut self,
        client: &Client,
        server_name: &str,
        rack: Option<u64>,
        want_ipv6: bool,
    ) -> Result<PoolChoice> {
        let rack = match rack {
            None => None,
            Some(id) => match self.racks.entry(id) {
                Entry::Occupied(known) => Some(&*known.into_mut()),
                Entry::Vacant(slot) => {
                    let read = client
                        .rack(id)
                        .with_context(|| format!("reading rack {id}"))?;
                    Some(&*slot.insert(read))
                }
            },
        };
        choose_pool(rack, &self.location, &self.pools, &self.settings, want_ipv6).map_err(|err| {
            ModuleError::new(
                ErrorKind::NoPool,
                format!("server {server_name}"),
                format!("server {server_name}: {err}"),
            )
            .into()
        })
    }
}
