//! `check_connection`: BILLmanager runs it when the connection form is saved. It logs in with
//! the typed credentials and checks that the location exists, so a wrong password, an unreachable
//! host, a bad URL and an unknown location each get their own error before any order depends on
//! them.

use anyhow::Result;

use super::CommandContext;

use crate::effects::session::{dci_client, read_location};
use crate::protocol::connection::{Connection, params_from_form_xml};
use crate::protocol::xml::Element;

/// `form` is the connection form BILLmanager writes to stdin.
pub fn run(ctx: &CommandContext, form: &str) -> Result<Element> {
    let root = ctx.root;
    let params = params_from_form_xml(form)?;
    let connection = Connection::from_params(&params, &|name| std::env::var(name).ok())?;
    crate::billmgr::logging::register_secret(&connection.password);
    // A fresh login every time: the point is to test the password as typed, not a cached token.
    let client = dci_client(root, &connection, None)?;
    client.login()?;
    let location = read_location(&client, connection.location)?;
    log::info!(
        "check_connection: logged in to {} as {}, location {} is '{}'",
        client.host(),
        connection.username,
        location.id,
        location.name
    );
    Ok(Element::new("doc"))
}
