//! One file per command, thin: read state, ask `provision`, act, report.

pub mod check_connection;
mod claim;
mod customer;
mod explain;
mod network;
pub mod open;
mod order;
mod report;
pub mod service;
pub mod session;
mod stock;
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
    match &invocation.command {
        Command::Features => Ok(Some(Output::Xml(features::document()))),
        Command::CheckConnection => {
            let mut form = String::new();
            std::io::stdin()
                .read_to_string(&mut form)
                .context("reading the connection form from stdin")?;
            check_connection::run(&form).map(|doc| Some(Output::Xml(doc)))
        }
        Command::Open { item } => open::run(root, invocation, *item),
        Command::Report { module } => report::run(root, invocation, *module).map(Some),
        _ => Ok(None),
    }
}
