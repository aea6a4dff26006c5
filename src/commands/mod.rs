//! One file per command, thin: read state, ask `provision`, act, report.

pub mod check_connection;
pub mod close;
pub mod held;
pub mod reboot;
pub mod resume;
pub mod server_config;
pub mod service;
pub mod session;
pub mod suspend;
pub mod sync_item;
pub mod transition_controlpanel;
pub mod wait;

use std::io::Read;

use anyhow::{Context, Result, anyhow};

use crate::billmgr::paths::MgrRoot;
use crate::protocol::args::{Command, Invocation};
use crate::protocol::features;
use crate::protocol::xml::Element;

/// Runs the command; `Some` is a document to print on stdout.
pub fn run(root: &MgrRoot, invocation: &Invocation) -> Result<Option<Element>> {
    let ro = invocation.running_operation;
    let dry_run = invocation.dry_run;
    match invocation.command {
        Command::Features => Ok(Some(features::document())),
        Command::CheckConnection => {
            let mut form = String::new();
            std::io::stdin()
                .read_to_string(&mut form)
                .context("reading the connection form from stdin")?;
            check_connection::run(&form).map(Some)
        }
        Command::Open { .. } => Err(anyhow!("open is not wired in this branch")),
        Command::Suspend { item } => suspend::run(root, item, ro, dry_run),
        Command::Resume { item } => resume::run(root, item, ro, dry_run),
        Command::Close { item } => close::run(root, item, ro, dry_run),
        Command::SyncItem { item } => sync_item::run(root, item, dry_run),
        Command::Reboot { item } => reboot::run(root, item, ro, dry_run),
        Command::GetServerConfig { module } | Command::SyncServer { module } => {
            server_config::run(root, module, dry_run)
        }
        Command::TransitionControlpanel { item } => transition_controlpanel::run(root, item),
    }
}
