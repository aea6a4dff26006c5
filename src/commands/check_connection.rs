//! `check_connection`: BILLmanager runs it when the connection form is saved. It logs in with
//! the typed credentials and checks that the location exists, so a wrong password, an unreachable
//! host, a bad URL and an unknown location each get their own error before any order depends on
//! them.

use anyhow::{Context as _, Result};

use super::session::dci_client;
use crate::dci::client::is_not_found;
use crate::protocol::connection::{Connection, params_from_form_xml};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;

/// `form` is the connection form BILLmanager writes to stdin.
pub fn run(form: &str) -> Result<Element> {
    let params = params_from_form_xml(form)?;
    let connection = Connection::from_params(&params, &|name| std::env::var(name).ok())?;
    // A fresh login every time: the point is to test the password as typed, not a cached token.
    let client = dci_client(&connection, None)?;
    client.login()?;
    match client.location(connection.location) {
        Ok(location) => {
            log::info!(
                "check_connection: logged in to {} as {}, location {} is '{}'",
                client.host(),
                connection.username,
                location.id,
                location.name
            );
            Ok(Element::new("doc"))
        }
        Err(err) if is_not_found(&err) => Err(err.context(ModuleError::new(
            ErrorKind::UnknownLocation,
            format!("location {}", connection.location),
            format!(
                "DCImanager at {} has no location with id {}: set the id of the location servers are sold from",
                client.host(),
                connection.location
            ),
        ))),
        Err(err) => Err(err).with_context(|| format!("reading location {}", connection.location)),
    }
}
