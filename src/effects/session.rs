//! What every command that talks to DCImanager shares: the client built from the connection
//! parameters.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::dci::api::Location;
use crate::dci::client::is_not_found;
use crate::protocol::error::{ErrorKind, ModuleError};

use crate::billmgr::paths::MgrRoot;
use crate::dci::client::{Client, ClientConfig, TlsOptions};
use crate::dci::contract::Contract;
use crate::protocol::connection::Connection;

/// `PMDCI6_RETRY_DELAY` (seconds) shortens the wait between 503 retries, for tests and runs by
/// hand against a simulator; production keeps the client's default backoff.
const RETRY_DELAY_ENV: &str = "PMDCI6_RETRY_DELAY";

pub fn dci_client(
    root: &MgrRoot,
    connection: &Connection,
    token_cache: Option<PathBuf>,
) -> Result<Client> {
    let mut config = ClientConfig::new(&connection.url, &connection.username, &connection.password);
    config.contract = Contract::load(&root.dci_contract())?;
    config.tls = TlsOptions {
        ca_file: connection.tls_ca.clone(),
        insecure: connection.tls_insecure,
    };
    config.token_cache = token_cache;
    if let Some(delay) = std::env::var(RETRY_DELAY_ENV)
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
    {
        config.retry.first_delay = Duration::from_secs_f64(delay);
        config.retry.max_delay = Duration::from_secs_f64(delay * 4.0);
    }
    Client::new(config)
}

/// The module's location; a missing one is [`ErrorKind::UnknownLocation`], which the
/// administrator fixes in the processing module's settings.
pub fn read_location(client: &Client, id: u64) -> Result<Location> {
    client.location(id).map_err(|err| {
        if is_not_found(&err) {
            err.context(ModuleError::new(
                ErrorKind::UnknownLocation,
                format!("location {id}"),
                format!(
                    "DCImanager at {} has no location with id {id}: set the id of the location servers are sold from in the processing module",
                    client.host()
                ),
            ))
        } else {
            err.context(format!("reading location {id}"))
        }
    })
}
