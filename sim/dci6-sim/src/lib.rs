//! dci6-sim: a DCImanager 6 simulator implementing `spec/dcimanager6-api.md` exactly, for
//! pmdci6's tests and demo.
//!
//! Tests run it in-process:
//!
//! ```no_run
//! use dci6_sim::{Fault, Inventory, Sim, SimOptions};
//!
//! let sim = Sim::start(Inventory::generated(100), SimOptions::default())?;
//! let url = sim.base_url(); // http://127.0.0.1:PORT
//! sim.inject(Fault::Unavailable { count: 2 });
//! // ... run the client against `url` ...
//! assert!(sim.requests().iter().any(|r| r.path == "/api/auth/v4/public/token"));
//! # anyhow::Ok(())
//! ```
//!
//! The state lives behind one lock and every call is handled entirely under it, so concurrent
//! clients see the calls happen one after the other (two claims of one server: one wins, the
//! other gets 409). The simulator stops when its [`SimHandle`] is dropped.
//!
//! Beyond the contract: any session may delete its own token, but every other call needs an
//! administrator's session (the inventory's `admin`, or a user whose roles include `@admin`);
//! a user's session gets 403.
//!
//! The simulator speaks one of two [`Dialect`]s, chosen at start ([`SimOptions::dialect`]):
//! the contract, or the same API under the platform's names and shapes. Both describe
//! themselves as an OpenAPI document ([`Dialect::openapi`]).

mod actions;
mod addresses;
mod dialect;
mod error;
mod faults;
mod handlers;
mod http;
mod inventory;
mod model;
mod openapi;
mod operations;
mod platform;
mod query;
mod request_log;
mod routes;
mod sessions;
mod traffic;
mod world;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow};
use serde_json::Value;

pub use crate::actions::RIVAL_EMAIL;
pub use crate::addresses::Family;
pub use crate::dialect::Dialect;
pub use crate::faults::Fault;
pub use crate::http::Rewrite;
pub use crate::inventory::{
    AdminAccount, Inventory, IpSpec, NamedRef, OperationSpec, OperationType, OwnerRef, PoolSpec,
    ServerSpec, UserSpec,
};
pub use crate::model::{
    Access, Diagnostics, DiagnosticsStatus, ErrorEntry, Location, OsTemplate, PoolSettings,
    PortStatus, PowerStatus, Rack, Script, ServerErrors, SwitchConnection,
};
pub use crate::operations::OperationStatus;
pub use crate::request_log::RequestRecord;
pub use crate::traffic::today as utc_today;

use crate::http::Shared;
use crate::world::World;

#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The names and shapes the API answers in. Default [`Dialect::Default`].
    pub dialect: Dialect,
    /// Default `127.0.0.1:0`: a free port.
    pub listen: SocketAddr,
    /// How long an OS installation or a diagnostics run takes. Default 300 ms.
    pub operation_duration: Duration,
    /// How long a session lives without being used. Default 60 minutes.
    pub token_ttl: Duration,
    /// Threads answering requests. Default 8.
    pub workers: usize,
    /// Bytes a second an up data port of a powered-on server receives (it sends twice as many),
    /// added to the day's traffic as time passes. Default 0: traffic only as tests add it.
    pub traffic_rate: u64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            dialect: Dialect::Default,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            operation_duration: Duration::from_millis(300),
            token_ttl: Duration::from_secs(60 * 60),
            workers: 8,
            traffic_rate: 0,
        }
    }
}

/// Starts simulators.
pub struct Sim;

impl Sim {
    /// Checks the inventory, binds `options.listen` and starts answering.
    pub fn start(inventory: Inventory, options: SimOptions) -> anyhow::Result<SimHandle> {
        let world = World::new(
            inventory,
            options.operation_duration,
            options.token_ttl,
            options.traffic_rate,
            Instant::now(),
        )
        .context("checking the inventory")?;
        let listener = TcpListener::bind(options.listen)
            .with_context(|| format!("listening on {}", options.listen))?;
        let local_addr = listener
            .local_addr()
            .context("reading the listening address")?;
        let server = tiny_http::Server::from_listener(listener, None)
            .map_err(|e| anyhow!("starting the HTTP server: {e}"))?;
        let server = Arc::new(server);
        let shared = Arc::new(Shared::new(options.dialect, world, local_addr));
        let stopping = Arc::new(AtomicBool::new(false));
        let workers = (0..options.workers.max(1))
            .map(|n| {
                let (server, shared, stopping) = (
                    Arc::clone(&server),
                    Arc::clone(&shared),
                    Arc::clone(&stopping),
                );
                thread::Builder::new()
                    .name(format!("dci6-sim-{n}"))
                    .spawn(move || http::serve(&server, &shared, &stopping))
                    .context("starting a worker thread")
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let host = match local_addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        Ok(SimHandle {
            base_url: format!("http://{}", SocketAddr::new(host, local_addr.port())),
            server,
            shared,
            stopping,
            workers,
        })
    }
}

/// A running simulator; dropping it stops it.
pub struct SimHandle {
    base_url: String,
    server: Arc<tiny_http::Server>,
    shared: Arc<Shared>,
    stopping: Arc<AtomicBool>,
    workers: Vec<JoinHandle<()>>,
}

impl SimHandle {
    pub fn dialect(&self) -> Dialect {
        self.shared.dialect
    }

    /// The OpenAPI document of the dialect this simulator speaks ([`Dialect::openapi`]).
    pub fn openapi(&self) -> Value {
        self.shared.dialect.openapi()
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// Adds traffic to switch port `connection` of server `server` on `date` (`YYYY-MM-DD`).
    pub fn add_traffic(&self, server: u64, connection: u64, date: &str, rx: u64, tx: u64) {
        self.shared
            .world()
            .traffic
            .add(server, connection, date, rx, tx);
    }

    /// From now on, every successful GET answer under `rewrite.path_prefix` is changed.
    pub fn rewrite(&self, rewrite: Rewrite) {
        self.shared.rewrite(rewrite);
    }

    /// Every call of the contract answered so far, in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.requests()
    }

    pub fn clear_requests(&self) {
        self.shared.clear_requests();
    }

    /// The server as `GET /api/dci/v3/server/<id>` shows it in the default dialect, whatever
    /// dialect the simulator speaks: tests read state the same way against both.
    pub fn server(&self, id: u64) -> Option<Value> {
        let world = self.shared.world();
        world
            .server(id)
            .ok()
            .and_then(|s| serde_json::to_value(s).ok())
    }

    /// Every server, by id, in the default dialect's form.
    pub fn servers(&self) -> Vec<Value> {
        let world = self.shared.world();
        world
            .servers
            .values()
            .filter_map(|s| serde_json::to_value(s).ok())
            .collect()
    }

    /// Changes a server for a test: `edit` gets the server as the API shows it, and the result is
    /// read back as an inventory server (so the same rules apply). A running operation whose id
    /// and status are kept carries on; setting one to `running` starts it now.
    pub fn update_server(&self, id: u64, edit: impl FnOnce(&mut Value)) -> anyhow::Result<()> {
        let mut world = self.shared.world();
        let server = world
            .server(id)
            .map_err(|e| anyhow!("{}", e.msg))
            .and_then(|s| serde_json::to_value(s).context("showing the server"))?;
        let mut edited = server;
        edit(&mut edited);
        let spec: ServerSpec =
            serde_json::from_value(edited).with_context(|| format!("reading server {id} back"))?;
        anyhow::ensure!(spec.id == id, "the server's id cannot change");
        world
            .replace_server(spec, Instant::now())
            .with_context(|| format!("updating server {id}"))
    }

    /// The users as `GET /api/dci/v3/user` shows them in the default dialect.
    pub fn users(&self) -> Vec<Value> {
        let world = self.shared.world();
        world
            .user_views()
            .iter()
            .filter_map(|u| serde_json::to_value(u).ok())
            .collect()
    }

    /// The whole state as the default dialect shows it: `servers`, `users`, `locations`,
    /// `racks`, `pools`, `pool_settings`, `os_templates`, `scripts`.
    pub fn snapshot(&self) -> Value {
        self.shared.world().snapshot()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        for _ in &self.workers {
            self.server.unblock();
        }
        for worker in self.workers.drain(..) {
            // A worker that panicked has nothing left to clean up.
            let _ = worker.join();
        }
    }
}
