//! The last step of an open, shared by `open` and by `sync_item`, which finishes an open whose
//! install completed after the open's wait ran out.

use anyhow::{Context, Result};

use super::service::{Billing, Service};
use crate::dci::api::Server;
use crate::provision::install::login_name;
use crate::provision::server_state::main_ipv4;

/// The last step of an open (DESIGN §2 "open", step 10), also taken by `sync_item` when an
/// install completed after the open's wait ran out: saves `serverid` when the server was found
/// by its notes only, the server's main IPv4 address as `ip`, the
/// install's login as `username`, then reports the service open. The root password is open's
/// to save (crypted `userpassword`) before it starts the install, because nothing can read it
/// back from DCImanager; when it is missing the service is still opened, with a warning.
pub fn finish_open(billing: &mut Billing, service: &Service, server: &Server) -> Result<()> {
    let item = service.id();
    if service.saved_server_id()? != Some(server.id) {
        billing.save_param(item, "serverid", &server.id.to_string(), false)?;
    }
    if let Some(ip) = main_ipv4(server) {
        billing.save_param(item, "ip", &ip.name, false)?;
    }
    let template = server
        .os_template
        .as_ref()
        .map(|t| t.name.as_str())
        .or_else(|| service.params.get("ostempl").map(String::as_str))
        .unwrap_or_default();
    billing.save_param(item, "username", login_name(template), false)?;
    let crypted = billing.db.item_crypted_params(item, &billing.key)?;
    if crypted.get("userpassword").is_none_or(|p| p.is_empty()) {
        log::warn!(
            "item {item} has no userpassword: the customer's root password for server {} is unknown to BILLmanager",
            server.name
        );
    }
    let listed = billing.db.service_ips(item)?;
    crate::effects::ip_list::apply(
        &billing.mgrctl,
        item,
        &listed,
        &server.ip,
        crate::effects::ip_list::server_domain(server),
    )?;
    billing
        .report("service.postopen", item)
        .with_context(|| format!("reporting item {item} open"))
}
