//! `open`: from an order to a running dedicated server (DESIGN §2 "open, step by step").
//!
//! Every step is planned from the server's real state ([`open_plan`]), so a run killed at any
//! point, a wait that ran out, or BILLmanager's retry continues where the last run stopped: it
//! never takes a second server, never changes addresses already given, never reinstalls a
//! finished server.

use anyhow::{Context, Result};

use super::Output;
use super::claim::{Claim, ClaimRequest, claim};
use super::customer::{ensure_user, random_password};
use super::network::PoolFacts;
use super::order::{Ordered, Software, resolve_software};
use super::service::{Billing, Service, not_owner};
use super::wait::{Polling, wait_operation};
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::{AddIps, IpFamily, OsInstall, PortStatus, Server};
use crate::dci::client::Client;
use crate::protocol::args::Invocation;
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::provision::install::{self, InstallRecord};
use crate::provision::matching::fit;
use crate::provision::open_plan::{OpenStep, OpenTarget, open_plan};
use crate::provision::ownership::{Holder, item_note};
use crate::provision::server_state;

/// BILLmanager's item status for an active service.
const ACTIVE: i32 = 2;

/// Plans are rebuilt after every wait; more rounds than this means the server keeps changing
/// under the module's hands.
const MAX_ROUNDS: usize = 6;

pub fn run(root: &MgrRoot, invocation: &Invocation, item: u64) -> Result<Option<Output>> {
    let mut billing = Billing::connect(root)?;
    let service = Service::load(&mut billing, item)?;
    if service.item.status == ACTIVE {
        log::info!("item {item} is already active: nothing to do");
        return Ok(None);
    }
    if invocation.dry_run {
        return super::explain::open(root, invocation, &mut billing, &service).map(Some);
    }
    let _item_lock = super::held::lock_item(root, item)?;
    let ordered = super::order::read(&mut billing, &service)?;
    let holder = service.holder()?;
    let client = service.client(root)?;
    let location = super::session::read_location(&client, service.connection.location)?;
    let software = resolve_software(&client, location.id, &ordered)?;
    let mut pools = PoolFacts::read(&client, location)?;

    let server = match service
        .find_server(&client)?
        .or(adopt_orphan(&client, &service, &holder)?)
    {
        Some(server) => {
            log::info!(
                "item {item} holds server {} (id {}): resuming from its state",
                server.name,
                server.id
            );
            server
        }
        None => {
            let request = ClaimRequest {
                root,
                client: &client,
                billing: &billing,
                holder: &holder,
                requirement: &ordered.order.requirement,
                want_ipv6: ordered.order.ip_v6 > 0,
                ignore_errors: service.connection.ignore_errors,
                allow_closest: service.connection.allow_closest,
            };
            match claim(&request, &mut pools)? {
                Claim::Matched(server) => server,
                Claim::Reserved { server, plan } => {
                    let text = format!(
                        "Order of item {item} ({}): no free server matches; server {} (id {}) is reserved for it. {plan}",
                        ordered.order.requirement, server.name, server.id
                    );
                    log::warn!("{text}");
                    billing.hand_to_staff("open", item, invocation.running_operation, &text)?;
                    return Ok(None);
                }
            }
        }
    };
    waiting_for_rebuild(&server, &ordered, item)?;
    let mut opening = Opening {
        billing: &billing,
        service: &service,
        client: &client,
        ordered: &ordered,
        software: &software,
        holder: &holder,
        pools,
        install: InstallRecord::parse(service.params.get(install::PARAM).map(String::as_str)),
        saved_server: service.saved_server_id()?,
        running_operation: invocation.running_operation,
    };
    opening.complete(server)?;
    Ok(None)
}

/// A server the customer owns with empty notes: a run was killed between setting the owner
/// and writing the notes. It is this customer's order in flight, so the item adopts it rather
/// than leaving it out of stock forever.
fn adopt_orphan(client: &Client, service: &Service, holder: &Holder) -> Result<Option<Server>> {
    use crate::dci::api::field;
    use crate::dci::filter::{Filter, Literal};
    let filter = Filter::eq(field::OWNER_EMAIL, Literal::string(&holder.email)?)
        .and(Filter::eq(field::NOTES, Literal::string("")?))
        .and(Filter::eq(
            field::LOCATION_ID,
            Literal::from(service.connection.location),
        ));
    let mut found = None;
    client.for_each_server_page(Some(filter), |page| {
        found = found.take().or(page.into_iter().next());
        Ok(())
    })?;
    if let Some(server) = &found {
        log::warn!(
            "server {} is owned by {} with no notes: adopting it for item {}",
            server.name,
            holder.email,
            holder.item
        );
    }
    Ok(found)
}

/// A server reserved by a closest match stays reserved until staff have rebuilt it to the
/// order; the open then finishes on the next run.
fn waiting_for_rebuild(server: &Server, ordered: &Ordered, item: u64) -> Result<()> {
    let label = server.configuration.as_deref().unwrap_or("");
    let configuration = label.parse();
    let mismatch = match &configuration {
        Ok(configuration) => fit(&ordered.order.requirement, configuration)
            .err()
            .map(|m| m.reason),
        Err(err) => Some(format!("{err}")),
    };
    match mismatch {
        None => Ok(()),
        Some(why) => fail(
            ErrorKind::NoServer,
            format!("server {}", server.name),
            format!(
                "server {} is reserved for item {item} and waits for staff to rebuild it to {} ({why}); the open finishes once it matches",
                server.name, ordered.order.requirement
            ),
        ),
    }
}

struct Opening<'a> {
    billing: &'a Billing,
    service: &'a Service,
    client: &'a Client,
    ordered: &'a Ordered,
    software: &'a Software,
    holder: &'a Holder,
    pools: PoolFacts,
    install: InstallRecord,
    saved_server: Option<u64>,
    running_operation: Option<u64>,
}

impl Opening<'_> {
    fn item(&self) -> u64 {
        self.holder.item
    }

    fn polling(&self) -> Polling {
        Polling {
            interval: self.service.connection.poll_interval,
            timeout: self.service.connection.poll_timeout,
        }
    }

    /// Runs the plan, re-planning from the server's state after every wait.
    fn complete(&mut self, mut server: Server) -> Result<()> {
        for _ in 0..MAX_ROUNDS {
            let target = OpenTarget {
                holder: self.holder,
                saved_server_id: self.saved_server,
                ip_v4: self.ordered.order.ip_v4,
                ip_v6: self.ordered.order.ip_v6,
                template: &self.software.template.name,
                install: self.install,
            };
            let steps = open_plan(&server, &target).map_err(|e| not_owner(&server, e))?;
            log::info!(
                "open of item {} on server {}: {}",
                self.item(),
                server.name,
                steps
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            match self.perform(&server, &steps)? {
                Some(next) => server = next,
                None => return Ok(()),
            }
        }
        fail(
            ErrorKind::Internal,
            format!("server {}", server.name),
            format!(
                "the open of item {} did not settle after {MAX_ROUNDS} rounds; the next run continues",
                self.item()
            ),
        )
    }

    /// Performs steps until the open is done (`None`) or a wait ended (`Some`: the server as
    /// it is now, to plan again).
    fn perform(&mut self, server: &Server, steps: &[OpenStep]) -> Result<Option<Server>> {
        let id = server.id;
        let client = self.client;
        let name = &server.name;
        for step in steps {
            match step {
                OpenStep::WaitOperation => {
                    return wait_operation(
                        client,
                        id,
                        None,
                        "the running operation",
                        &self.polling(),
                    )
                    .map(Some);
                }
                OpenStep::ClaimOwner => {
                    let user = ensure_user(client, &self.holder.email)?;
                    client
                        .set_owner(id, user.id)
                        .with_context(|| format!("setting the owner of server {name}"))?;
                }
                OpenStep::SetNotes => {
                    let note = item_note(self.item());
                    client.set_notes(id, &note)?;
                }
                OpenStep::SaveServerId => {
                    self.billing
                        .save_param(self.item(), "serverid", &id.to_string(), false)?;
                    self.saved_server = Some(id);
                }
                OpenStep::AddIpv4(count) => self.add_ips(server, IpFamily::Ipv4, *count)?,
                OpenStep::AddIpv6(count) => self.add_ips(server, IpFamily::Ipv6, *count)?,
                OpenStep::EnablePorts(ports) => {
                    for port in ports {
                        client.set_port(id, *port, PortStatus::Up)?;
                    }
                }
                OpenStep::PowerOn => client.power_on(id)?,
                OpenStep::InstallOs => self.install_os(server)?,
                OpenStep::WaitInstall => {
                    let operation = match self.install {
                        InstallRecord::Started { operation } => Some(operation),
                        _ => server.operation.as_ref().map(|op| op.id),
                    };
                    let after =
                        wait_operation(client, id, operation, "the OS install", &self.polling())?;
                    self.note_install_started(&after)?;
                    return Ok(Some(after));
                }
                OpenStep::InstallFailed => return Err(self.give_up(server)),
                OpenStep::Finish => {
                    self.finish(server)?;
                    return Ok(None);
                }
            }
        }
        Ok(Some(client.server(id)?))
    }

    fn add_ips(&mut self, server: &Server, family: IpFamily, count: u32) -> Result<()> {
        let rack = server.rack.as_ref().map(|r| r.id);
        let choice = self.pools.choose(
            self.client,
            &server.name,
            rack,
            self.ordered.order.ip_v6 > 0,
        )?;
        let added = self
            .client
            .add_ips(
                server.id,
                &AddIps {
                    pool: choice.pool.id,
                    family,
                    count,
                },
            )
            .with_context(|| {
                format!(
                    "adding {count} {family:?} addresses from pool {} to server {}",
                    choice.pool.name, server.name
                )
            })?;
        log::info!(
            "server {}: added {} from pool {} ({})",
            server.name,
            added
                .iter()
                .map(|ip| ip.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            choice.pool.name,
            choice.explain()
        );
        Ok(())
    }

    /// The root password is saved (encrypted by BILLmanager) before the install starts, so a
    /// run killed right after the request still knows the password the server got.
    fn install_os(&mut self, server: &Server) -> Result<()> {
        let password = match &self.ordered.root_password {
            Some(password) => password.clone(),
            None => {
                let password = random_password(20);
                crate::billmgr::logging::register_secret(&password);
                self.billing
                    .save_param(self.item(), "userpassword", &password, true)?;
                password
            }
        };
        let requested = InstallRecord::requested_on(server);
        self.billing
            .save_param(self.item(), install::PARAM, &requested.to_param(), false)?;
        self.install = requested;
        let domain = self.domain(server);
        let operation = self
            .client
            .os_install(
                server.id,
                &OsInstall {
                    os_template: self.software.template.id,
                    password: &password,
                    domain: &domain,
                    scripts: self.software.scripts.iter().map(|s| s.id).collect(),
                    ssh_keys: Vec::new(),
                },
            )
            .with_context(|| {
                format!(
                    "starting the install of {} on server {}",
                    self.software.template.name, server.name
                )
            })?;
        let started = InstallRecord::Started { operation };
        self.billing
            .save_param(self.item(), install::PARAM, &started.to_param(), false)?;
        self.install = started;
        log::info!(
            "server {}: install of {} started (operation {operation})",
            server.name,
            self.software.template.name
        );
        Ok(())
    }

    /// After a wait, a request whose id was never saved (a killed run) is recorded now.
    fn note_install_started(&mut self, server: &Server) -> Result<()> {
        if let (InstallRecord::Requested { previous_operation }, Some(op)) =
            (self.install, server.operation.as_ref())
            && op.kind == server_state::OS_INSTALL
            && op.id != previous_operation
        {
            let started = InstallRecord::Started { operation: op.id };
            self.billing
                .save_param(self.item(), install::PARAM, &started.to_param(), false)?;
            self.install = started;
        }
        Ok(())
    }

    /// The domain of the order; without one, the server keeps the one it has, else its name.
    fn domain(&self, server: &Server) -> String {
        self.ordered
            .domain
            .clone()
            .or_else(|| server.domain.clone().filter(|d| !d.is_empty()))
            .unwrap_or_else(|| server.name.clone())
    }

    fn finish(&self, server: &Server) -> Result<()> {
        finish_open(self.billing, self.item(), server)?;
        log::info!("item {} is open on server {}", self.item(), server.name);
        Ok(())
    }

    /// The install failed: release in reverse order what the open took, hand the service to
    /// staff, and fail with the reason. The server keeps its failed operation, so the
    /// availability rules keep it out of stock until staff have looked at it.
    fn give_up(&self, server: &Server) -> anyhow::Error {
        let operation = server.operation.as_ref().map_or(0, |op| op.id);
        let reason = format!(
            "the install of {} on server {} failed (DCImanager operation {operation}); the server was released and is kept out of stock by its failed operation",
            self.software.template.name, server.name
        );
        if let Err(err) = self.release(server) {
            log::error!(
                "releasing server {} after the failed install: {err:#}",
                server.name
            );
        }
        if let Err(err) =
            self.billing
                .hand_to_staff("open", self.item(), self.running_operation, &reason)
        {
            log::error!("creating the task for the failed install: {err:#}");
        }
        ModuleError::new(
            ErrorKind::OperationFailed,
            format!("server {}", server.name),
            reason,
        )
        .into()
    }

    fn release(&self, server: &Server) -> Result<()> {
        let client = self.client;
        for port in server_state::ports_to_set(server, PortStatus::Down) {
            client.set_port(server.id, port, PortStatus::Down)?;
        }
        for ip in &server.ip {
            client.remove_ip(server.id, ip.id)?;
        }
        client.set_notes(server.id, "")?;
        client.remove_owner(server.id)?;
        let item = self.item().to_string();
        for param in ["serverid", install::PARAM] {
            self.billing
                .mgrctl
                .call(
                    "service.dropparam",
                    &[("sok", "ok"), ("elid", &item), ("name", param)],
                )
                .with_context(|| format!("dropping param {param} of item {item}"))?;
        }
        Ok(())
    }
}

/// The last step of an open, shared with `sync_item` (which finishes an open whose install
/// completed after the open's wait ran out): the service params, then `service.postopen`.
/// `userpassword` was saved before the install started.
pub fn finish_open(billing: &Billing, item: u64, server: &Server) -> Result<()> {
    if let Some(ip) = server_state::main_ipv4(server) {
        billing.save_param(item, "ip", &ip.name, false)?;
    }
    billing.save_param(item, "username", ROOT_USER, false)?;
    billing
        .report("service.postopen", item)
        .context("reporting the service open (service.postopen)")
}

/// The administrator account of the installed OS.
const ROOT_USER: &str = "root";
