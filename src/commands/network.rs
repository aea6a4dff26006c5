//! The IP pool for a server: the facts the pool chain needs, read once per run when a pool is
//! first needed (an open resuming on a server that has its addresses needs none), and the racks
//! read as servers need them.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use anyhow::{Context, Result};

use crate::dci::api::{IpPool, Location, PoolSettings, Rack};
use crate::dci::client::Client;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::provision::pool::{Addresses, PoolChoice, choose_pool};

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

    /// The pool for a server in `rack`; an error an administrator can act on when there is none.
    pub fn choose(
        &mut self,
        client: &Client,
        server_name: &str,
        rack: Option<u64>,
        wanted: Addresses,
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
        let (pools, settings) = match &mut self.pools {
            Some(read) => &*read,
            slot @ None => &*slot.insert((
                client.ip_pools().context("listing IP pools")?,
                client
                    .pool_settings()
                    .context("reading the pool settings")?,
            )),
        };
        choose_pool(rack, &self.location, pools, settings, wanted).map_err(|err| {
            ModuleError::new(
                ErrorKind::NoPool,
                format!("server {server_name}"),
                format!("server {server_name}: {err}"),
            )
            .into()
        })
    }
}
