//! What every command that talks to DCImanager shares: the client built from the connection
//! parameters.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::dci::client::{Client, ClientConfig, TlsOptions};
use crate::protocol::connection::Connection;

/// `PMDCI6_RETRY_DELAY` (seconds) shortens the wait between 503 retries, for tests and runs by
/// hand against a simulator; production keeps the client's default backoff.
const RETRY_DELAY_ENV: &str = "PMDCI6_RETRY_DELAY";

pub fn dci_client(connection: &Connection, token_cache: Option<PathBuf>) -> Result<Client> {
    let mut config = ClientConfig::new(&connection.url, &connection.username, &connection.password);
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
