//! What suspend, resume, close, sync_item and reboot share before they act on the server an item
//! holds: one run per item at a time, the service with its DCImanager client, the server as
//! DCImanager has it now, and the ownership guard (DESIGN §2a): a server whose owner or notes do
//! not belong to the item is refused, staff get a task, and nothing on it is touched.

use std::fmt::Display;

use anyhow::{Context, Result};

use super::service::{Billing, Service};
use crate::billmgr::lock::FileLock;
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::{PortStatus, Server};
use crate::dci::client::{Client, is_not_found};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::ownership::{self, Holder, NotOwned, item_note};

/// The item's lock: every run that changes the item or its server holds it, so that
/// BILLmanager's retry never runs beside a run that is still going (open holds the same lock).
pub fn lock_item(root: &MgrRoot, item: u64) -> Result<FileLock> {
    FileLock::try_take(root, &lock_name(item), &format!("item {item}"))
}

/// The item's lock, or `None` while another run holds it.
pub fn lock_item_if_free(root: &MgrRoot, item: u64) -> Result<Option<FileLock>> {
    FileLock::take_if_free(root, &lock_name(item))
}

fn lock_name(item: u64) -> String {
    format!("item-{item}")
}

/// The item's lock for a run that changes things; a dry run changes nothing and takes none.
pub fn lock_unless_dry(root: &MgrRoot, item: u64, dry_run: bool) -> Result<Option<FileLock>> {
    (!dry_run).then(|| lock_item(root, item)).transpose()
}

/// How suspend, resume and reboot start: the item locked, the service loaded, its server read
/// and guarded. The lock is held as long as this value lives; the fields are private so that
/// nobody can take the service out and drop the lock by accident.
pub struct Guarded {
    _lock: Option<FileLock>,
    held: Held,
    server: Server,
}

impl Guarded {
    pub fn start(
        root: &MgrRoot,
        item: u64,
        command: ItemCommand,
        dry_run: bool,
    ) -> Result<Guarded> {
        let lock = lock_unless_dry(root, item, dry_run)?;
        let held = Held::load(root, item, command)?;
        let server = held.required_server()?;
        held.guard(&server, command.name())?;
        Ok(Guarded {
            _lock: lock,
            held,
            server,
        })
    }

    pub fn held(&self) -> &Held {
        &self.held
    }

    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The service to read more of (its order) beside the server it holds.
    pub fn parts_mut(&mut self) -> (&mut Held, &Server) {
        (&mut self.held, &self.server)
    }
}

/// A service of this module, ready to act on its server.
pub struct Held {
    pub billing: Billing,
    pub service: Service,
    pub holder: Holder,
    pub client: Client,
}

impl Held {
    pub fn load(root: &MgrRoot, item: u64, command: ItemCommand) -> Result<Held> {
        let mut billing = Billing::connect(root)?;
        let service = Service::load(&mut billing, item, command)?;
        let holder = service.holder()?;
        let client = service.client(root)?;
        Ok(Held {
            billing,
            service,
            holder,
            client,
        })
    }

    pub fn item(&self) -> u64 {
        self.service.id()
    }

    /// The item's server; `None` when the item never claimed one, or when the server saved in
    /// `serverid` is gone from DCImanager (logged: for close there is nothing left to undo, for
    /// sync_item it is drift to report).
    pub fn server(&self) -> Result<Option<Server>> {
        match self.service.find_server(&self.client) {
            Err(err) if is_not_found(&err) => {
                log::warn!("{err:#}");
                Ok(None)
            }
            found => found,
        }
    }

    /// The item's server, required: suspend, resume and reboot have nothing to act on without
    /// one.
    fn required_server(&self) -> Result<Server> {
        let item = self.item();
        self.service.find_server(&self.client)?.ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Item,
                format!("item {item}"),
                format!(
                    "item {item} holds no server: its param serverid is empty and no DCImanager server's notes carry '{}'",
                    item_note(item)
                ),
            )
            .into()
        })
    }

    /// The guard of suspend, resume and reboot: the server must be owned by the customer and
    /// marked as held by this item.
    fn guard(&self, server: &Server, command: &str) -> Result<()> {
        ownership::ownership(server, &self.holder).map_err(|reason| self.refuse(command, &reason))
    }

    /// The guard's refusal: a [`ErrorKind::NotOwner`] error handed to staff (in `main`, which
    /// hands nothing over in a dry run and switches the running operation to manual, since a
    /// retry cannot help).
    ///
    /// A refusal because DCImanager's answer lacks a field is no question of who holds the
    /// server: no hand-off, the running operation left to retry once the answer is complete.
    pub fn refuse(&self, command: &str, reason: &NotOwned) -> anyhow::Error {
        let item = self.item();
        if reason.unknown.is_some() {
            let text = format!(
                "{command} of item {item} was refused and changed nothing: {reason}. This DCImanager's \
                 answer differs from the API the module expects (README, 'Connecting a real DCImanager')."
            );
            return ModuleError::new(ErrorKind::NotOwner, format!("item {item}"), text).into();
        }
        let text = format!(
            "{command} of item {item} was refused and changed nothing: {reason}. Check who holds the server in DCImanager: its owner must be {} and its notes must carry '{}' (the item's param serverid names the server).",
            self.holder.email,
            item_note(item)
        );
        ModuleError::new(ErrorKind::NotOwner, format!("item {item}"), text)
            .for_staff(command, item)
            .into()
    }
}

/// `--dry-run`: the steps that would run, in order, and nothing done:
/// `<doc><plan command=".." item=".."><server id=".." name=".."/><step>..</step>..</plan></doc>`.
pub fn plan_document<S: Display>(
    command: &str,
    item: u64,
    server: Option<&Server>,
    steps: &[S],
) -> Element {
    let mut plan = Element::new("plan")
        .attr("command", command)
        .attr("item", item.to_string());
    if let Some(server) = server {
        plan = plan.child(
            Element::new("server")
                .attr("id", server.id.to_string())
                .attr("name", &server.name),
        );
    }
    let steps = steps
        .iter()
        .map(|step| Element::new("step").text(step.to_string()));
    Element::new("doc").child(plan.children(steps))
}

/// Sets every switch port in `ports` of `server` to `status`.
pub fn set_ports(
    client: &Client,
    server: &Server,
    ports: &[u64],
    status: PortStatus,
) -> Result<()> {
    let state = match status {
        PortStatus::Up => "up",
        PortStatus::Down => "down",
    };
    for port in ports {
        client.set_port(server.id, *port, status).with_context(|| {
            format!(
                "turning switch port {port} of server {} {state}",
                server.name
            )
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_document_lists_the_steps_in_order() {
        let server = Server {
            id: 7,
            name: "srv-7".into(),
            ..Server::default()
        };
        let xml = plan_document(
            "suspend",
            42,
            Some(&server),
            &["disable switch ports 71", "report"],
        )
        .to_xml();
        assert_eq!(
            xml,
            "<doc><plan command=\"suspend\" item=\"42\"><server id=\"7\" name=\"srv-7\"/><step>disable switch ports 71</step><step>report</step></plan></doc>"
        );
        let none: [&str; 1] = ["report the service closed"];
        assert!(
            plan_document("close", 42, None, &none)
                .to_xml()
                .contains("<plan command=\"close\" item=\"42\"><step>")
        );
    }
}
