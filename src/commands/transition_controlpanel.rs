//! `transition_controlpanel --item N`: the customer's one-click login into DCImanager 6.
//!
//! A one-time key is issued for the customer's DCImanager user (the one open created, found by
//! the customer's e-mail) and BILLmanager gets the page that redeems it (spec §1.3):
//! `<doc><url>BASE/auth/key/KEY</url><panelcount>1</panelcount><panelname
//! keyname="pmdci6">DCImanager 6</panelname></doc>`, where BASE is the module's `url` as the
//! client reads it (a bare host means `https://`). The key is redeemed by the customer's
//! browser, so the module never uses it itself; it is a secret and never logged.

use anyhow::Result;

use super::CommandContext;

use crate::billmgr::logging::register_secret;
use crate::dci::address;
use crate::dci::client::is_not_found;
use crate::effects::service::{Billing, MODULE_NAME, Service};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;

/// The panel's name on BILLmanager's "go to panel" button.
const PANEL_NAME: &str = "DCImanager 6";

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item) = (ctx.root, ctx.target);
    let mut billing = Billing::connect(root)?;
    // A login into the panel is a way to act on the server: only a running service gets one.
    let service = Service::load(&mut billing, item, ItemCommand::TransitionControlpanel)?;
    let holder = service.holder()?;
    let base = address::parse(&service.connection.url)?.base;
    let client = service.client(root)?;
    let key = match client.user_key(&holder.email) {
        Ok(key) => key,
        Err(err) if is_not_found(&err) => {
            return Err(err.context(ModuleError::new(
                ErrorKind::Item,
                format!("item {item}"),
                format!(
                    "the customer {} of item {item} has no DCImanager user yet: it is created when the service is opened",
                    holder.email
                ),
            )));
        }
        Err(err) => return Err(err),
    };
    register_secret(&key);
    let url = format!(
        "{base}{}",
        client.contract().page("key_login", &[("key", &key)])
    );
    Ok(Some(
        Element::new("doc")
            .child(Element::new("url").text(url))
            .child(Element::new("panelcount").text("1"))
            .child(
                Element::new("panelname")
                    .attr("keyname", MODULE_NAME)
                    .text(PANEL_NAME),
            ),
    ))
}
