//! `setparam --item N [--runningoperation R] [--userid U]`: the customer changed the add-ons or
//! the tariff of a live service; the server follows (see [`crate::provision::setparam_plan`]).
//!
//! The IP counts are applied by the module: addresses added from the server's pool chain by the
//! rules of `open` (a pool without enough free addresses is refused before anything is added),
//! extra ones removed newest first, never the main address, and the param `ip` kept on the main
//! address. A hardware change the module cannot make is handed to staff with a task naming the
//! server and each part, the running operation switched to manual; once staff have changed the
//! server, the next `setparam` sees it and reports the change done (`service.postsetparam`).
//!
//! Like ISPsystem's C++ base, a `setparam` that fails while a tariff change is under way
//! (`item.lastpricelist` set) asks BILLmanager to undo the tariff change
//! (`service.changepricelist.rollback`); a run refused as busy does not, since the run that
//! holds the item is still applying the change.

use anyhow::{Context, Result};

use super::CommandContext;

use super::NothingToDo;
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::{IpFamily, Server};
use crate::dci::client::{Client, is_not_found};
use crate::effects::held::{Guarded, plan_document};
use crate::effects::ip_list;
use crate::effects::network::PoolFacts;
use crate::effects::order::read_order;
use crate::effects::service::Billing;
use crate::effects::session::read_location;
use crate::protocol::error::{ErrorKind, classify};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::pool::Addresses;
use crate::provision::setparam_plan::{SetparamStep, main_ip, setparam_plan};

const COMMAND: ItemCommand = ItemCommand::Setparam;

pub fn run(ctx: &CommandContext<u64>, user: Option<u64>) -> Result<Option<Element>> {
    let (root, item, running_operation, dry_run) =
        (ctx.root, ctx.target, ctx.running_operation, ctx.dry_run);
    let result = change(root, item, running_operation, dry_run);
    if let Err(err) = &result
        && !dry_run
        && err.downcast_ref::<NothingToDo>().is_none()
        && classify(err).0 != ErrorKind::Busy
        && let Err(rollback) = roll_back_tariff(root, item, user)
    {
        log::error!("item {item}: the tariff change could not be rolled back: {rollback:#}");
    }
    result
}

fn change(
    root: &MgrRoot,
    item: u64,
    running_operation: Option<u64>,
    dry_run: bool,
) -> Result<Option<Element>> {
    let mut guarded = Guarded::start(root, item, COMMAND, dry_run)?;
    let (held, server) = guarded.parts_mut();
    let order = read_order(&mut held.billing, &held.service)?;
    let saved_ip = held.service.params.get("ip").cloned();
    let saved_ip = saved_ip.as_deref();
    let steps = setparam_plan(server, item, &order, saved_ip);
    if dry_run {
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            Some(server),
            &steps,
        )));
    }
    let client = &held.client;
    // The pool for every address to add is chosen before anything changes: a change the
    // pool chain cannot serve whole (not enough free addresses, IPv6 from a pool without it)
    // touches nothing.
    let wanted = additions(&steps);
    let mut pools = None;
    if wanted.ipv4 + wanted.ipv6 > 0 {
        let location = read_location(client, held.service.connection.location)?;
        let facts = pools.insert(PoolFacts::new(location));
        let rack = server.rack.as_ref().and_then(|r| r.id);
        facts.choose(client, &server.name, rack, wanted)?;
    }
    let changed_addresses = steps.iter().any(|s| {
        matches!(
            s,
            SetparamStep::AddIps { .. } | SetparamStep::RemoveIp { .. }
        )
    });
    let mut read_back = None;
    for step in &steps {
        log::info!("setparam of item {item}: {step}");
        match step {
            SetparamStep::RemoveIp { id, address } => match client.remove_ip(server.id, *id) {
                Err(err) if is_not_found(&err) => {
                    log::info!("IP {address} of server {} is gone already", server.name)
                }
                done => done.with_context(|| {
                    format!("removing IP {address} from server {}", server.name)
                })?,
            },
            SetparamStep::AddIps { family, count } => {
                let pools = pools
                    .as_mut()
                    .context("the pool facts are read before the first address is added")?;
                pools.add_addresses(client, server, *family, *count, wanted)?;
            }
            SetparamStep::SaveMainIp => {
                let now = current(client, server, changed_addresses, &mut read_back)?;
                match main_ip(now, saved_ip) {
                    Some(ip) => held.billing.save_param(item, "ip", &ip.name, false)?,
                    None => log::warn!(
                        "server {} of item {item} has no IPv4 address to save as param ip",
                        server.name
                    ),
                }
            }
            SetparamStep::HandToStaff(text) => {
                log::warn!("{text}");
                held.billing
                    .mgrctl
                    .hand_to_staff(COMMAND.name(), item, running_operation, text)?;
            }
            SetparamStep::ReportDone => {
                let now = current(client, server, changed_addresses, &mut read_back)?;
                follow_ip_list(&mut held.billing, now, item)?;
                held.billing.report("service.postsetparam", item)?
            }
        }
    }
    if changed_addresses && !steps.contains(&SetparamStep::ReportDone) {
        let now = current(client, server, changed_addresses, &mut read_back)?;
        follow_ip_list(&mut held.billing, now, item)?;
    }
    Ok(None)
}

/// The server as this run left it: read back once after its addresses changed, else as it was
/// read at the start (no second request for what is known).
fn current<'s>(
    client: &Client,
    server: &'s Server,
    changed: bool,
    read_back: &'s mut Option<Server>,
) -> Result<&'s Server> {
    if !changed {
        return Ok(server);
    }
    if read_back.is_none() {
        *read_back = Some(
            client
                .server(server.id)
                .with_context(|| format!("reading server {} back", server.name))?,
        );
    }
    read_back
        .as_ref()
        .context("the server was just read back (a bug if not)")
}

/// BILLmanager's IP list of the service made equal to the server's addresses `now`, before the
/// change is reported (README, "BILLmanager's IP list").
fn follow_ip_list(billing: &mut Billing, now: &Server, item: u64) -> Result<()> {
    let listed = billing.db.service_ips(item)?;
    ip_list::apply(
        &billing.mgrctl,
        item,
        &listed,
        &now.ip,
        ip_list::server_domain(now),
    )
}

/// The addresses the steps add, by family.
fn additions(steps: &[SetparamStep]) -> Addresses {
    let mut wanted = Addresses { ipv4: 0, ipv6: 0 };
    for step in steps {
        match step {
            SetparamStep::AddIps {
                family: IpFamily::Ipv4,
                count,
            } => wanted.ipv4 += count,
            SetparamStep::AddIps {
                family: IpFamily::Ipv6,
                count,
            } => wanted.ipv6 += count,
            _ => {}
        }
    }
    wanted
}

/// `service.changepricelist.rollback` when a tariff change is under way.
fn roll_back_tariff(root: &MgrRoot, item: u64, user: Option<u64>) -> Result<()> {
    let mut billing = Billing::connect(root)?;
    let Some(previous) = billing.db.last_pricelist(item)? else {
        return Ok(());
    };
    let (elid, user) = (item.to_string(), user.map(|u| u.to_string()));
    let mut params = vec![("sok", "ok"), ("elid", elid.as_str())];
    if let Some(user) = &user {
        params.push(("userid", user));
    }
    billing
        .mgrctl
        .call("service.changepricelist.rollback", &params)
        .with_context(|| format!("rolling back the tariff change of item {item}"))?;
    log::warn!(
        "item {item}: the setparam failed, so its tariff change was rolled back to tariff {previous}"
    );
    Ok(())
}
