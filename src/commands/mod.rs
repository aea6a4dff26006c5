//! One file per command, thin: read state, ask `provision`, act, report.

pub mod check_connection;
mod claim;
pub mod close;
mod customer;
mod explain;
pub mod held;
mod network;
pub mod open;
mod order;
pub mod reboot;
mod report;
pub mod resume;
pub mod server_config;
pub mod service;
pub mod session;
mod stock;
pub mod suspend;
pub mod sync_item;
pub mod transition_controlpanel;
mod wait;

use std::io::Read;

use anyhow::{Context, Result};

use crate::billmgr::paths::MgrRoot;
use crate::protocol::args::{Command, Invocation};
use crate::protocol::features;
use crate::protocol::xml::Element;

/// What a command prints on stdout when it succeeds.
pub enum Output {
    /// The protocol's answer (features, check_connection, a dry-run plan).
    Xml(Element),
    /// A report for a person (`--format text`).
    Text(String),
}

/// Runs the command; `Some` is what to print on stdout. Service commands print nothing: they
/// report through `mgrctl`.
pub fn run(root: &MgrRoot, invocation: &Invocation) -> Result<Option<Output>> {
    let ro = invocation.running_operation;
    let dry_run = invocation.dry_run;
    let document = match invocation.command {
        Command::Features => Some(features::document()),
        Command::CheckConnection => {
            let mut form = String::new();
            std::io::stdin()
                .read_to_string(&mut form)
                .context("reading the connection form from stdin")?;
            Some(check_connection::run(&form)?)
        }
        Command::Open { item } => return open::run(root, invocation, item),
        Command::Report { module } => return report::run(root, invocation, module).map(Some),
        Command::Suspend { item } => suspend::run(root, item, ro, dry_run)?,
        Command::Resume { item } => resume::run(root, item, ro, dry_run)?,
        Command::Close { item } => close::run(root, item, ro, dry_run)?,
        Command::SyncItem { item } => sync_item::run(root, item, dry_run)?,
        Command::Reboot { item } => reboot::run(root, item, ro, dry_run)?,
        Command::GetServerConfig { module } | Command::SyncServer { module } => {
            server_config::run(root, module, dry_run)?
        }
        Command::TransitionControlpanel { item } => transition_controlpanel::run(root, item)?,
    };
    Ok(document.map(Output::Xml))
}
