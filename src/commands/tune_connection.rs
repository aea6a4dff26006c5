//! `tune_connection`: BILLmanager runs it while an administrator fills the connection form,
//! both in the "add processing module" wizard and when the saved module is edited. The answer is
//! the form sent, every field kept, with the select `location` filled (`<slist
//! name="location">`, each DCImanager location by name and id) once url, username and password
//! are there, so the administrator picks the location instead of typing its id.
//!
//! The form's `func` tells the two apart. On the wizard step (`processing.add.user`) a login
//! DCImanager refuses, or a DCImanager that cannot be reached, is rejected with the error
//! `check_connection` gives, so a wrong password is caught before the next page. On the edit
//! form nothing may break the form: any failure sends it back unchanged and goes to the log.
//! The edit form may carry an empty password (BILLmanager does not send a private field back);
//! the module's stored one is used then.

use std::collections::BTreeMap;

use anyhow::{Context, Result};

use super::CommandContext;

use crate::billmgr::paths::MgrRoot;
use crate::dci::api::Location;
use crate::effects::service::{Billing, MODULE_NAME};
use crate::effects::session::dci_client;
use crate::protocol::connection::{Connection, params_from_form};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;

/// The `func` of the wizard's connection step.
const WIZARD_STEP: &str = "processing.add.user";

/// The select's name, the connection param `location`.
const FIELD: &str = "location";

pub fn run(ctx: &CommandContext, form: &str) -> Result<Element> {
    let root = ctx.root;
    let form = Element::parse(form).map_err(|err| {
        ModuleError::new(
            ErrorKind::Usage,
            "connection form",
            format!("the connection form on stdin is not XML: {err}"),
        )
    })?;
    let wrapped = form.find("processingmodule");
    let func = form
        .child_text("func")
        .or_else(|| wrapped.and_then(|w| w.child_text("func")));
    let wizard = func == Some(WIZARD_STEP);
    let module = ["elid", "id"]
        .iter()
        .find_map(|name| {
            form.child_text(name)
                .or_else(|| wrapped.and_then(|w| w.child_text(name)))
        })
        .and_then(|id| id.parse::<u64>().ok());
    let mut params = params_from_form(&form);
    let filled = |params: &BTreeMap<String, String>, name: &str| {
        params.get(name).is_some_and(|v| !v.trim().is_empty())
    };
    let step = if wizard { "wizard step" } else { "edit form" };
    if !wizard
        && !filled(&params, "password")
        && let Some(module) = module
    {
        match stored_password(root, module, &params) {
            Ok(Some(password)) => {
                params.insert("password".into(), password);
            }
            Ok(None) => {}
            Err(err) => log::warn!(
                "tune_connection: the stored password of module {module} could not be read: {err:#}"
            ),
        }
    }
    if !["url", "username", "password"]
        .iter()
        .all(|name| filled(&params, name))
    {
        log::debug!("tune_connection ({step}): url, username or password not filled yet");
        return Ok(form);
    }
    match locations(root, &params) {
        Ok(locations) => {
            log::info!(
                "tune_connection ({step}): {} DCImanager locations offered",
                locations.len()
            );
            Ok(with_locations(form, &locations))
        }
        Err(err) if wizard => Err(err),
        Err(err) => {
            log::error!(
                "tune_connection (edit form): the locations of DCImanager could not be listed, the form is sent back unchanged: {err:#}"
            );
            Ok(form)
        }
    }
}

/// A fresh login with the form's credentials (never a cached token: the point is to test them
/// as typed), then the locations.
fn locations(root: &MgrRoot, params: &BTreeMap<String, String>) -> Result<Vec<Location>> {
    let connection = Connection::for_login(params, &|name| std::env::var(name).ok())?;
    crate::billmgr::logging::register_secret(&connection.password);
    let client = dci_client(root, &connection, None)?;
    client.login()?;
    client
        .locations()
        .context("listing the locations of DCImanager")
}

/// The password BILLmanager stores for `module`, decrypted, when the form still names the
/// module's own DCImanager and user: a password is never sent to a URL or for a user that the
/// administrator has just typed and not saved (they type the password again then).
fn stored_password(
    root: &MgrRoot,
    module: u64,
    form: &BTreeMap<String, String>,
) -> Result<Option<String>> {
    let mut billing = Billing::connect(root)?;
    let stored = billing.db.processing_module(module, &billing.key)?;
    let password = stored.params.get("password").cloned();
    if let Some(password) = &password {
        crate::billmgr::logging::register_secret(password);
    }
    let same = |name: &str| {
        let typed = form.get(name).map(|v| v.trim());
        typed.is_some() && typed == stored.params.get(name).map(|v| v.trim())
    };
    if stored.module != MODULE_NAME || !same("url") || !same("username") {
        log::info!(
            "tune_connection (edit form): the form names another DCImanager, user or module than module {module} stores; its password is not used"
        );
        return Ok(None);
    }
    Ok(password.filter(|p| !p.is_empty()))
}

/// `form` with its `location` select (any sent with it replaced) listing `locations`.
fn with_locations(form: Element, locations: &[Location]) -> Element {
    let options = locations.iter().map(|location| {
        Element::new("msg")
            .attr("key", location.id.to_string())
            .text(format!("{} (id {})", location.name, location.id))
    });
    form.with_slist(Element::new("slist").attr("name", FIELD).children(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_become_the_options_and_replace_a_stale_select() {
        let form = Element::new("doc")
            .child(Element::new("location").text("2"))
            .child(Element::new("slist").attr("name", FIELD));
        let locations = [Location {
            id: 2,
            name: "Frankfurt".into(),
            ippool: None,
        }];
        assert_eq!(
            with_locations(form, &locations).to_xml(),
            "<doc><location>2</location><slist name=\"location\">\
             <msg key=\"2\">Frankfurt (id 2)</msg></slist></doc>"
        );
    }
}
