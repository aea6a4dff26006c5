//! The simulated installation: every object of the contract, built from an inventory and checked
//! for consistency, with the views the list endpoints show. The actions that change it are in
//! `actions.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use crate::addresses::{AddressBook, Family, Subnet};
use crate::error::ApiError;
use crate::inventory::{AdminAccount, Inventory, IpSpec, OperationType, ServerSpec, UserSpec};
use crate::model::{
    ConfigurationSummary, Ip, Location, OsTemplate, Owner, Pool, PoolSettings, PoolView, Rack,
    RackRef, Script, Server, TemplateRef, User, UserView,
};
use crate::operations::{Operation, OperationKind, OperationStatus, Operations};
use crate::sessions::Sessions;
use crate::traffic::Traffic;

#[derive(Debug)]
pub struct World {
    pub(crate) admin: AdminAccount,
    pub(crate) locations: BTreeMap<u64, Location>,
    pub(crate) racks: BTreeMap<u64, Rack>,
    pub(crate) pools: BTreeMap<u64, Pool>,
    pub(crate) pool_settings: PoolSettings,
    pub(crate) servers: BTreeMap<u64, Server>,
    pub(crate) templates: BTreeMap<u64, OsTemplate>,
    pub(crate) scripts: BTreeMap<u64, Script>,
    pub(crate) users: BTreeMap<u64, User>,
    pub(crate) addresses: AddressBook,
    /// Ids of the addresses on servers; new ones are numbered after the highest ever seen.
    pub(crate) ip_ids: BTreeSet<u64>,
    pub(crate) next_ip_id: u64,
    pub(crate) operations: Operations,
    pub(crate) sessions: Sessions,
    /// How many of the next owner claims lose a race (fault injection).
    pub(crate) claims_to_steal: u32,
    pub(crate) traffic: Traffic,
}

fn unique_ids<'a>(what: &str, ids: impl IntoIterator<Item = &'a u64>) -> anyhow::Result<()> {
    let mut seen = HashSet::new();
    for id in ids {
        ensure!(seen.insert(*id), "{what} id {id} appears twice");
    }
    Ok(())
}

fn by_id<T>(items: Vec<T>, id: impl Fn(&T) -> u64) -> BTreeMap<u64, T> {
    items.into_iter().map(|item| (id(&item), item)).collect()
}

impl World {
    pub fn new(
        inventory: Inventory,
        operation_duration: Duration,
        token_ttl: Duration,
        traffic_rate: u64,
        now: Instant,
    ) -> anyhow::Result<World> {
        let Inventory {
            admin,
            locations,
            racks,
            pools,
            pool_settings,
            servers,
            os_templates,
            scripts,
            users,
        } = inventory;
        unique_ids("location", locations.iter().map(|l| &l.id))?;
        unique_ids("rack", racks.iter().map(|r| &r.id))?;
        unique_ids("pool", pools.iter().map(|p| &p.id))?;
        unique_ids("server", servers.iter().map(|s| &s.id))?;
        unique_ids("OS template", os_templates.iter().map(|t| &t.id))?;
        unique_ids("script", scripts.iter().map(|s| &s.id))?;
        unique_ids("user", users.iter().map(|u| &u.id))?;

        let pools = pools
            .into_iter()
            .map(|spec| {
                let subnet = |network: &Option<String>, gateway: &Option<String>, family| {
                    network
                        .as_deref()
                        .map(|n| Subnet::parse(n, gateway.as_deref()))
                        .transpose()
                        .with_context(|| format!("pool {}", spec.id))?
                        .map(|s| {
                            ensure!(
                                s.network.family() == family,
                                "pool {}: {} network {} of the wrong family",
                                spec.id,
                                family.as_str(),
                                s.network
                            );
                            Ok(s)
                        })
                        .transpose()
                };
                let pool = Pool {
                    id: spec.id,
                    ipv4: subnet(&spec.ipv4_network, &spec.ipv4_gateway, Family::Ipv4)?,
                    ipv6: subnet(&spec.ipv6_network, &spec.ipv6_gateway, Family::Ipv6)?,
                    name: spec.name,
                };
                ensure!(
                    pool.ipv4.is_some() || pool.ipv6.is_some(),
                    "pool {} has no network",
                    pool.id
                );
                Ok(pool)
            })
            .collect::<anyhow::Result<Vec<Pool>>>()?;
        let pools = by_id(pools, |p| p.id);
        let known_pool = |what: String, pool: Option<u64>| match pool {
            Some(id) if !pools.contains_key(&id) => bail!("{what}: unknown pool {id}"),
            _ => Ok(()),
        };
        for location in &locations {
            known_pool(format!("location {}", location.id), location.ippool)?;
        }
        for rack in &racks {
            known_pool(format!("rack {}", rack.id), rack.ippool)?;
            ensure!(
                locations.iter().any(|l| l.id == rack.location_id),
                "rack {}: unknown location {}",
                rack.id,
                rack.location_id
            );
        }
        for id in pool_settings
            .allocation
            .iter()
            .chain(&pool_settings.deallocation)
        {
            known_pool("pool settings".into(), Some(*id))?;
        }
        for template in &os_templates {
            ensure!(
                locations.iter().any(|l| l.id == template.location_id),
                "OS template {}: unknown location {}",
                template.id,
                template.location_id
            );
        }
        let mut emails = HashSet::from([admin.email.as_str()]);
        for user in &users {
            ensure!(
                emails.insert(user.email.as_str()),
                "user {}: e-mail {} is already taken",
                user.id,
                user.email
            );
        }
        let users = users.into_iter().map(
            |UserSpec {
                 id,
                 email,
                 password,
                 roles,
             }| User {
                id,
                email,
                password,
                roles,
            },
        );

        let mut world = World {
            admin,
            locations: by_id(locations, |l| l.id),
            racks: by_id(racks, |r| r.id),
            pools,
            pool_settings,
            servers: BTreeMap::new(),
            templates: by_id(os_templates, |t| t.id),
            scripts: by_id(scripts, |s| s.id),
            users: by_id(users.collect(), |u| u.id),
            addresses: AddressBook::default(),
            ip_ids: BTreeSet::new(),
            next_ip_id: 1,
            operations: Operations::new(operation_duration),
            sessions: Sessions::new(token_ttl),
            claims_to_steal: 0,
            traffic: Traffic::new(traffic_rate, now),
        };
        for spec in servers {
            let id = spec.id;
            let server = world
                .build_server(spec, None, now)
                .with_context(|| format!("server {id}"))?;
            world.index_server(server);
        }
        Ok(world)
    }

    /// Brings running operations up to `now`; called before every read of the state.
    pub fn settle(&mut self, now: Instant) {
        self.operations.settle(&mut self.servers, now);
        self.traffic.grow(self.servers.values(), now);
    }

    /// Replaces a server by `spec` (same format as the inventory); on error nothing changes.
    pub fn replace_server(&mut self, spec: ServerSpec, now: Instant) -> anyhow::Result<()> {
        let previous = self
            .servers
            .remove(&spec.id)
            .with_context(|| format!("no server {}", spec.id))?;
        self.unindex_addresses(&previous);
        match self.build_server(spec, Some(&previous), now) {
            Ok(server) => {
                self.index_server(server);
                Ok(())
            }
            Err(error) => {
                self.index_server(previous);
                Err(error)
            }
        }
    }

    fn unindex_addresses(&mut self, server: &Server) {
        for ip in &server.ip {
            self.addresses.release(&ip.address);
            self.ip_ids.remove(&ip.id);
        }
    }

    /// Adds a server built by `build_server`, whose addresses are known to be free.
    fn index_server(&mut self, server: Server) {
        for ip in &server.ip {
            self.addresses.take(ip.address);
            self.ip_ids.insert(ip.id);
            self.next_ip_id = self.next_ip_id.max(ip.id + 1);
        }
        self.operations.adopt(&server);
        self.servers.insert(server.id, server);
    }

    /// Checks `spec` against the rest of the installation and builds the server; `previous` is
    /// the server it replaces, whose running operation carries on if the spec keeps it.
    fn build_server(
        &self,
        spec: ServerSpec,
        previous: Option<&Server>,
        now: Instant,
    ) -> anyhow::Result<Server> {
        let mut server = Server::new(spec.id, spec.location_id);
        ensure!(
            self.locations.contains_key(&spec.location_id),
            "unknown location {}",
            spec.location_id
        );
        if let Some(rack) = spec.rack {
            let known = self
                .racks
                .get(&rack.id)
                .with_context(|| format!("unknown rack {}", rack.id))?;
            ensure!(
                known.location_id == spec.location_id,
                "rack {} is in location {}, not {}",
                rack.id,
                known.location_id,
                spec.location_id
            );
            ensure!(
                rack.name.as_ref().is_none_or(|n| *n == known.name),
                "rack {} is named {}",
                rack.id,
                known.name
            );
            server.rack = Some(RackRef {
                id: known.id,
                name: known.name.clone(),
            });
        }
        if let Some(owner) = spec.owner {
            let user = self
                .users
                .get(&owner.id)
                .with_context(|| format!("unknown owner {}", owner.id))?;
            ensure!(
                owner.email.as_ref().is_none_or(|e| *e == user.email),
                "user {} has e-mail {}",
                user.id,
                user.email
            );
            server.set_owner(Some(Owner {
                id: user.id,
                email: user.email.clone(),
            }));
        }
        if let Some(email) = &spec.owner_email {
            ensure!(
                server.owner().is_some_and(|o| o.email == *email),
                "owner_email {email} does not match the owner"
            );
        }
        if let Some(template) = spec.os_template {
            let known = self
                .templates
                .get(&template.id)
                .with_context(|| format!("unknown OS template {}", template.id))?;
            ensure!(
                template.name.as_ref().is_none_or(|n| *n == known.name),
                "OS template {} is named {}",
                template.id,
                known.name
            );
            server.os_template = Some(TemplateRef {
                id: known.id,
                name: known.name.clone(),
            });
        }
        let mut addresses = HashSet::new();
        let mut ip_ids = HashSet::new();
        for ip in spec.ip {
            let ip = self
                .build_ip(ip)
                .with_context(|| format!("server {} addresses", spec.id))?;
            ensure!(
                addresses.insert(ip.address) && !self.addresses.is_used(&ip.address),
                "address {} is already on a server",
                ip.address
            );
            ensure!(
                ip_ids.insert(ip.id) && !self.ip_ids.contains(&ip.id),
                "address id {} is already taken",
                ip.id
            );
            server.ip.push(ip);
        }
        unique_ids(
            "switch connection",
            spec.switch_connection.iter().map(|c| &c.id),
        )?;
        if let Some(operation) = spec.operation {
            let kept = previous
                .and_then(|p| p.operation.as_ref())
                .filter(|o| o.id == operation.id && o.status == operation.status);
            server.operation = Some(match kept {
                Some(kept) => kept.clone(),
                None => {
                    let kind = match operation.kind {
                        OperationType::OsInstall => OperationKind::OsInstall {
                            template: None,
                            domain: None,
                        },
                        OperationType::Diagnostics => OperationKind::Diagnostics {
                            disk_cleanup: false,
                        },
                    };
                    let finished = operation.status == OperationStatus::Ok;
                    let progress = operation.progress.unwrap_or(if finished { 100 } else { 0 });
                    Operation::declared(operation.id, kind, operation.status, progress, now)
                }
            });
        }
        server.name = spec.name.unwrap_or(server.name);
        server.domain = spec.domain;
        server.configuration = spec.configuration;
        server.is_new = spec.is_new;
        server.diagnostics = spec.diagnostics;
        server.maintenance_mode = spec.maintenance_mode;
        server.in_operation = spec.in_operation;
        server.power_status = spec.power_status;
        server.mac_addresses = spec.mac_addresses.unwrap_or_else(|| {
            let id = spec.id;
            vec![format!(
                "0c:c4:7a:{:02x}:{:02x}:{:02x}",
                (id >> 16) & 0xff,
                (id >> 8) & 0xff,
                id & 0xff
            )]
        });
        server.errors = spec.errors;
        server.switch_connection = spec.switch_connection;
        server.notes = spec.notes;
        Ok(server)
    }

    fn build_ip(&self, spec: IpSpec) -> anyhow::Result<Ip> {
        let address: IpAddr = spec
            .name
            .parse()
            .with_context(|| format!("{:?} is not an IP address", spec.name))?;
        let family = Family::of(&address);
        ensure!(
            spec.family.is_none_or(|f| f == family),
            "address {address} is not {:?}",
            spec.family
        );
        let pool = match spec.pool {
            Some(id) => {
                let pool = self
                    .pools
                    .get(&id)
                    .with_context(|| format!("address {address}: unknown pool {id}"))?;
                ensure!(
                    pool.subnet_of(&address).is_some(),
                    "address {address} is outside the networks of pool {id}"
                );
                Some(pool)
            }
            None => self
                .pools
                .values()
                .find(|p| p.subnet_of(&address).is_some()),
        };
        let subnet = pool.and_then(|p| p.subnet_of(&address));
        Ok(Ip {
            id: spec.id,
            name: address.to_string(),
            family,
            gateway: spec
                .gateway
                .or_else(|| subnet.map(|s| s.gateway.to_string())),
            network: spec
                .network
                .or_else(|| subnet.map(|s| s.network.to_string())),
            pool: pool.map(|p| p.id),
            address,
        })
    }

    pub fn server(&self, id: u64) -> Result<&Server, ApiError> {
        self.servers
            .get(&id)
            .ok_or_else(|| ApiError::not_found(format!("server {id} not found")).with_value(id))
    }

    pub fn user_views(&self) -> Vec<UserView> {
        let mut counts: HashMap<u64, u64> = HashMap::new();
        for owner in self.servers.values().filter_map(|s| s.owner()) {
            *counts.entry(owner.id).or_default() += 1;
        }
        self.users
            .values()
            .map(|u| UserView {
                id: u.id,
                email: u.email.clone(),
                server_count: counts.get(&u.id).copied().unwrap_or(0),
                roles: u.roles.clone(),
            })
            .collect()
    }

    pub fn pool_views(&self) -> Vec<PoolView> {
        self.pools
            .values()
            .map(|pool| PoolView {
                id: pool.id,
                name: pool.name.clone(),
                families: [(Family::Ipv4, &pool.ipv4), (Family::Ipv6, &pool.ipv6)]
                    .into_iter()
                    .filter_map(|(family, subnet)| subnet.as_ref().map(|_| family))
                    .collect(),
                free_ipv4: pool.ipv4.as_ref().map_or(0, |subnet| {
                    u64::try_from(self.addresses.free_count(subnet)).unwrap_or(u64::MAX)
                }),
            })
            .collect()
    }

    /// Every configuration present, with its servers that have no owner.
    pub fn configurations(&self) -> Vec<ConfigurationSummary> {
        let mut free: BTreeMap<&str, u64> = BTreeMap::new();
        for server in self.servers.values() {
            if !server.configuration.is_empty() {
                *free.entry(&server.configuration).or_default() +=
                    u64::from(server.owner().is_none());
            }
        }
        free.into_iter()
            .map(|(configuration, count)| ConfigurationSummary {
                configuration: configuration.to_string(),
                free_server_count: count,
            })
            .collect()
    }

    /// Everything, as the API shows it.
    pub fn snapshot(&self) -> Value {
        json!({
            "servers": self.servers.values().collect::<Vec<_>>(),
            "users": self.user_views(),
            "locations": self.locations.values().collect::<Vec<_>>(),
            "racks": self.racks.values().collect::<Vec<_>>(),
            "pools": self.pool_views(),
            "pool_settings": self.pool_settings,
            "os_templates": self.templates.values().collect::<Vec<_>>(),
            "scripts": self.scripts.values().collect::<Vec<_>>(),
        })
    }
}
