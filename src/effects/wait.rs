//! Waiting for a DCImanager operation (an OS install, diagnostics) to leave `running`.
//!
//! Installs take tens of minutes, so the wait is bounded by the connection's `poll_timeout`;
//! when it runs out the command fails with [`ErrorKind::WaitTimeout`] and BILLmanager's retry
//! resumes the wait (nothing is started twice). Run by hand in a terminal, the wait shows a
//! progress line on stderr; under BILLmanager (no terminal) it shows nothing.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::dci::api::{Operation, OperationStatus, Server};
use crate::dci::client::Client;
use crate::protocol::connection::Connection;
use crate::protocol::error::{ErrorKind, ModuleError};

pub struct Polling {
    pub interval: Duration,
    pub timeout: Duration,
}

impl Polling {
    /// The connection's `poll_interval` and `poll_timeout`.
    pub fn of(connection: &Connection) -> Polling {
        Polling {
            interval: connection.poll_interval,
            timeout: connection.poll_timeout,
        }
    }
}

/// Reads the server until operation `operation` (any operation when `None`) is no longer
/// running, and returns the server as it is then.
pub fn wait_operation(
    client: &Client,
    server_id: u64,
    operation: Option<u64>,
    what: &str,
    polling: &Polling,
) -> Result<Server> {
    let started = Instant::now();
    let progress = std::io::stderr().is_terminal();
    loop {
        let server = client
            .server(server_id)
            .with_context(|| format!("reading server {server_id} while waiting for {what}"))?;
        let current = server
            .operation
            .as_ref()
            .filter(|op| operation.is_none_or(|id| op.id == id));
        let running = current.filter(|op| op.status == OperationStatus::Running);
        let Some(op) = running else {
            if progress {
                eprintln!();
            }
            log::info!(
                "{what} on server {} ended after {} s",
                server.name,
                started.elapsed().as_secs()
            );
            return Ok(server);
        };
        if progress {
            eprint!("\r{what} on server {}: {:>4}", server.name, done(op));
            let _ = std::io::stderr().flush();
        }
        if started.elapsed() >= polling.timeout {
            if progress {
                eprintln!();
            }
            return Err(ModuleError::new(
                ErrorKind::WaitTimeout,
                format!("server {}", server.name),
                format!(
                    "{what} (operation {}) on server {} is still running after {} s ({} done); the next run of this operation resumes the wait",
                    op.id,
                    server.name,
                    polling.timeout.as_secs(),
                    done(op)
                ),
            )
            .into());
        }
        log::debug!("{what} on server {}: {}", server.name, done(op));
        std::thread::sleep(
            polling
                .interval
                .min(polling.timeout.saturating_sub(started.elapsed()))
                .max(Duration::from_millis(10)),
        );
    }
}

/// `42%`, or `?` when the installation does not say how far an operation is.
fn done(op: &Operation) -> String {
    op.progress
        .map_or_else(|| "?".to_owned(), |percent| format!("{percent}%"))
}
