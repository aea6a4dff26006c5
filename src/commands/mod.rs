//! One file per command, thin: read state, ask `provision`, act, report.

pub mod check_connection;
pub mod session;

use std::io::Read;

use anyhow::{Context, Result};

use crate::billmgr::paths::MgrRoot;
use crate::protocol::args::{Command, Invocation};
use crate::protocol::features;
use crate::protocol::xml::Element;

/// Runs the command; `Some` is a document to print on stdout.
pub fn run(_root: &MgrRoot, invocation: &Invocation) -> Result<Option<Element>> {
    match &invocation.command {
        Command::Features => Ok(Some(features::document())),
        Command::CheckConnection => {
            let mut form = String::new();
            std::io::stdin()
                .read_to_string(&mut form)
                .context("reading the connection form from stdin")?;
            check_connection::run(&form).map(Some)
        }
        _ => Ok(None),
    }
}
