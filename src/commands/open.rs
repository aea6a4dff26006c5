//! `open`: from an order to a running dedicated server (DESIGN §2 "open, step by step").
//!
//! Every step is planned from the server's real state ([`open_plan`]), so a run killed at any
//! point, a wait that ran out, or BILLmanager's retry continues where the last run stopped: it
//! never takes a second server, never changes addresses already given, never reinstalls a
//! finished server.

use anyhow::{Context, Result};

use super::CommandContext;

use super::Output;
use crate::billmgr::lock::FileLock;
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::{IpFamily, OsInstall, PortStatus, Server};
use crate::dci::client::Client;
use crate::effects::claim::{
    CLAIMING, Claim, ClaimRequest, already_done, check_rebuilt, claim, held_server, release,
};
use crate::effects::customer::{ensure_user, random_password};
use crate::effects::held::set_ports;
use crate::effects::network::PoolFacts;
use crate::effects::order::{Ordered, Software, resolve_software};
use crate::effects::service::{Billing, Service, not_owner};
use crate::effects::wait::{Polling, wait_operation};
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::provision::action::ItemCommand;
use crate::provision::availability::{MacCounts, verify_claim};
use crate::provision::install::{self, InstallRecord};
use crate::provision::open_plan::{OpenStep, OpenTarget, open_plan};
use crate::provision::ownership::{Holder, item_note};
use crate::provision::pool::Addresses;
use crate::provision::server_state;

/// Plans are rebuilt after every wait; more rounds than this means the server keeps changing
/// under the module's hands.
const MAX_ROUNDS: usize = 6;

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Output>> {
    let (root, item) = (ctx.root, ctx.target);
    let mut billing = Billing::connect(root)?;
    let service = Service::load(&mut billing, item, ItemCommand::Open)?;
    if ctx.dry_run {
        return crate::effects::explain::open(ctx, &mut billing, &service).map(Some);
    }
    let _item_lock = crate::effects::held::lock_item(root, item)?;
    let ordered = crate::effects::order::read(&mut billing, &service)?;
    let holder = service.holder()?;
    let client = service.client(root)?;
    let location = crate::effects::session::read_location(&client, service.connection.location)?;
    let software = resolve_software(&client, location.id, &ordered)?;
    let mut pools = PoolFacts::new(location);

    let found = held_server(&client, &service, &holder)?;
    let mut saved_server = service.saved_server_id()?;
    let server = match found {
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
                addresses: ordered.order.addresses(),
                ignore_errors: service.connection.ignore_errors,
                allow_closest: service.connection.allow_closest,
            };
            let claimed = claim(&request, &mut pools)?;
            saved_server = Some(claimed.server().id);
            match claimed {
                Claim::Matched(server) => server,
                Claim::Reserved { server, plan } => {
                    let text = format!(
                        "Order of item {item} ({}): no free server matches; server {} (id {}) is reserved for it. {plan}",
                        ordered.order.requirement, server.name, server.id
                    );
                    log::warn!("{text}");
                    billing
                        .mgrctl
                        .hand_to_staff("open", item, ctx.running_operation, &text)?;
                    return Ok(None);
                }
            }
        }
    };
    check_rebuilt(&server, &ordered.order.requirement, item)?;
    let mut opening = Opening {
        root,
        billing: &mut billing,
        service: &service,
        client: &client,
        ordered: &ordered,
        software: &software,
        holder: &holder,
        pools,
        install: InstallRecord::parse(service.params.get(install::PARAM).map(String::as_str)),
        saved_server,
    };
    opening.complete(server)?;
    Ok(None)
}

struct Opening<'a> {
    root: &'a MgrRoot,
    billing: &'a mut Billing,
    service: &'a Service,
    client: &'a Client,
    ordered: &'a Ordered,
    software: &'a Software,
    holder: &'a Holder,
    pools: PoolFacts,
    install: InstallRecord,
    saved_server: Option<u64>,
}

impl Opening<'_> {
    fn item(&self) -> u64 {
        self.holder.item
    }

    fn polling(&self) -> Polling {
        Polling::of(&self.service.connection)
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
                OpenStep::ClaimOwner | OpenStep::SetNotes => {
                    return self.reclaim(server, steps).map(Some);
                }
                OpenStep::SaveServerId => {
                    self.billing
                        .save_param(self.item(), "serverid", &id.to_string(), false)?;
                    self.saved_server = Some(id);
                }
                OpenStep::AddIpv4(count) => self.add_ips(server, IpFamily::Ipv4, *count)?,
                OpenStep::AddIpv6(count) => self.add_ips(server, IpFamily::Ipv6, *count)?,
                OpenStep::EnablePorts(ports) => set_ports(client, server, ports, PortStatus::Up)?,
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
                OpenStep::InstallFailed => {
                    self.release_after_failure(server);
                    return Err(self.install_failed(server));
                }
                OpenStep::Finish => {
                    self.finish(server)?;
                    return Ok(None);
                }
            }
        }
        Ok(Some(client.server(id)?))
    }

    /// A server the item holds only in part (its owner was lost, or a claim stopped before the
    /// notes) is claimed again like a fresh one: owner and notes set, read back, judged by the
    /// availability rules. A server staff have taken back meanwhile (maintenance, failed
    /// diagnostics) is let go, and the next open claims another. Rule 6 (a unique MAC) was
    /// judged when the server was first claimed; here the server's MACs are not compared.
    fn reclaim(&mut self, server: &Server, steps: &[OpenStep]) -> Result<Server> {
        let client = self.client;
        let _lock = FileLock::wait(self.root, &format!("location-{}", self.pools.location.id))?;
        if steps.contains(&OpenStep::ClaimOwner) {
            let user = ensure_user(client, &self.holder.email)?;
            client
                .set_owner(server.id, user.id)
                .with_context(|| format!("setting the owner of server {}", server.name))?;
        }
        if steps.contains(&OpenStep::SetNotes) {
            client.set_notes(server.id, &item_note(self.item()))?;
        }
        let read = client
            .server(server.id)
            .with_context(|| format!("reading server {} back", server.name))?;
        let mut macs = MacCounts::default();
        macs.add_server(&read);
        match verify_claim(
            &read,
            self.holder,
            &macs,
            self.service.connection.ignore_errors,
        ) {
            Ok(_) => Ok(read),
            Err(lost) => {
                self.let_go(&read)?;
                fail(
                    ErrorKind::NoServer,
                    format!("server {}", read.name),
                    format!(
                        "server {} can no longer be given to item {}: {lost}; it was let go, and the next open claims another server",
                        read.name,
                        self.item()
                    ),
                )
            }
        }
    }

    /// Gives back a server the item holds but must not keep ([`release`]), then the item's
    /// params that point at it.
    fn let_go(&self, server: &Server) -> Result<()> {
        release(self.client, server, self.holder)?;
        for param in ["serverid", install::PARAM, CLAIMING] {
            self.billing.drop_param(self.item(), param)?;
        }
        Ok(())
    }

    fn add_ips(&mut self, server: &Server, family: IpFamily, count: u32) -> Result<()> {
        let wanted = Addresses {
            ipv4: if family == IpFamily::Ipv4 { count } else { 0 },
            ipv6: self.ordered.order.ip_v6,
        };
        self.pools
            .add_addresses(self.client, server, family, count, wanted)
            .map(drop)
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

    /// After a wait, a request whose id was never saved (a killed run) is recorded now: the
    /// operation on the server newer than the one before the request. Operations carry no type
    /// in DCImanager's documented answer; the server is this item's (owner and notes) from the
    /// claim on, so the newer operation is the install the module asked for.
    fn note_install_started(&mut self, server: &Server) -> Result<()> {
        if let (InstallRecord::Requested { previous_operation }, Some(op)) =
            (self.install, server.operation.as_ref())
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

    fn finish(&mut self, server: &Server) -> Result<()> {
        crate::effects::finish::finish_open(self.billing, self.service, server)?;
        log::info!("item {} is open on server {}", self.item(), server.name);
        Ok(())
    }

    /// The install failed: what the open took is released in reverse order. A failure is
    /// logged: the install's failure must reach BILLmanager, and the server keeps its failed
    /// operation, so the availability rules keep it out of stock until staff have looked at it.
    fn release_after_failure(&self, server: &Server) {
        if let Err(err) = self.release(server) {
            log::error!(
                "releasing server {} after the failed install: {err:#}",
                server.name
            );
        }
    }

    /// The failed install's error, handed to staff.
    fn install_failed(&self, server: &Server) -> anyhow::Error {
        let operation = server.operation.as_ref().map_or(0, |op| op.id);
        let reason = format!(
            "the install of {} on server {} failed (DCImanager operation {operation}); the server was released and is kept out of stock by its failed operation",
            self.software.template.name, server.name
        );
        ModuleError::new(
            ErrorKind::OperationFailed,
            format!("server {}", server.name),
            reason,
        )
        .for_staff("open", self.item())
        .into()
    }

    /// Undoes the open on `server`, in reverse order; every step tolerates being done
    /// already, so a release killed midway is finished by the next run.
    fn release(&self, server: &Server) -> Result<()> {
        let ports = server_state::ports_to_set(server, PortStatus::Down);
        set_ports(self.client, server, &ports, PortStatus::Down)?;
        for ip in &server.ip {
            already_done(self.client.remove_ip(server.id, ip.id))?;
        }
        self.let_go(server)
    }
}
