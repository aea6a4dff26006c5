//! `close --item N`: the delete sequence of DESIGN §2 "close, step by step", in the seed's order,
//! each step skipped when the server shows it done ([`close_plan`]).
//!
//! The guard comes first: a server whose owner or notes do not belong to the item is refused
//! with a task for staff, and nothing is touched. A close of an item that never claimed a server
//! (or whose server is gone from DCImanager) only reports the service closed.
//!
//! The wipe (diagnostics with disk cleanup) decides whether the server may go back to stock. If
//! it fails or does not finish within the wait limit, the server is put in maintenance mode with
//! the reason in its notes (never back on sale half-wiped), staff get a task, and the close fails
//! with the reason, recorded on the running operation. A later close (staff run it again once
//! the disks are checked) takes the server out of maintenance and wipes again.
//!
//! A close killed midway leaves its progress in the server's notes; run again, it plans from the
//! server's real state and goes on from where it stopped without repeating finished steps.

use anyhow::{Context, Result};

use super::CommandContext;

use crate::dci::api::{EditServer, OperationStatus, PortStatus, Server};
use crate::dci::client::is_not_found;
use crate::effects::held::{self, Held, plan_document};
use crate::effects::wait::{Polling, wait_operation};
use crate::protocol::error::{ErrorKind, ModuleError, classify};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::close_plan::{CloseStep, close_plan};
use crate::provision::ip_list::{ListedIp, reconcile};
use crate::provision::ownership::{ItemNote, NoteStage, wipe_failed_note};

const COMMAND: ItemCommand = ItemCommand::Close;
const WIPE: &str = "diagnostics with disk cleanup";

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let _lock = held::lock_unless_dry(root, item, dry_run)?;
    let mut held = Held::load(root, item, COMMAND)?;
    let server = held.server()?;
    let steps = close_plan(server.as_ref(), &held.holder)
        .map_err(|reason| held.refuse(COMMAND.name(), &reason))?;
    // BILLmanager's IP list of the service: emptied just before the close is reported.
    let ip_list = held.billing.db.service_ips(item)?;
    if dry_run {
        let mut shown: Vec<String> = Vec::new();
        for step in &steps {
            if *step == CloseStep::ReportClosed {
                shown.extend(reconcile(&ip_list, &[]).iter().map(ToString::to_string));
            }
            shown.push(step.to_string());
        }
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            server.as_ref(),
            &shown,
        )));
    }
    if server.is_none() {
        log::info!("item {item} holds no server in DCImanager: nothing to release");
    }
    let mut close = Close {
        ip_list,
        held: &held,
        server: server.as_ref(),
        wipe: server
            .as_ref()
            .and_then(|s| ItemNote::read(&s.notes))
            .and_then(|note| note.stage.wipe_operation()),
    };
    for step in &steps {
        log::info!("close of item {item}: {step}");
        close.apply(step)?;
    }
    Ok(None)
}

/// One close run, carrying out the plan's steps in order.
struct Close<'a> {
    /// BILLmanager's IP list of the service, released when the close is reported.
    ip_list: Vec<ListedIp>,
    held: &'a Held,
    server: Option<&'a Server>,
    /// The diagnostics operation that wipes the disks, once started or found.
    wipe: Option<u64>,
}

impl Close<'_> {
    fn apply(&mut self, step: &CloseStep) -> Result<()> {
        let held = self.held;
        let client = &held.client;
        let current = self.server;
        let server = move || {
            current.context("the close plan acts on a server, but the item holds none (a bug)")
        };
        match step {
            CloseStep::MarkClosing { after } => self.write_notes(
                server()?,
                NoteStage::Closing {
                    after: Some(*after),
                },
            ),
            CloseStep::LeaveMaintenance => {
                let server = server()?;
                client
                    .edit_server(
                        server.id,
                        &EditServer {
                            maintenance_mode: Some(false),
                            ..EditServer::default()
                        },
                    )
                    .with_context(|| {
                        format!("taking server {} out of maintenance mode", server.name)
                    })
            }
            CloseStep::EnablePorts(ports) => {
                held::set_ports(client, server()?, ports, PortStatus::Up)
            }
            CloseStep::PowerOn => {
                let server = server()?;
                client
                    .power_on(server.id)
                    .with_context(|| format!("powering on server {}", server.name))
            }
            CloseStep::StopOperation => {
                let server = server()?;
                client.stop_operation(server.id).with_context(|| {
                    format!("stopping the running operation of server {}", server.name)
                })?;
                // IPs and the owner cannot change while the operation still runs.
                wait_operation(
                    client,
                    server.id,
                    None,
                    "stopping the running operation",
                    &self.polling(),
                )
                .map(drop)
            }
            CloseStep::RemoveIp { id, address } => {
                let server = server()?;
                match client.remove_ip(server.id, *id) {
                    Err(err) if is_not_found(&err) => {
                        log::info!(
                            "IP {address} was already removed from server {}",
                            server.name
                        );
                        Ok(())
                    }
                    removed => removed.with_context(|| {
                        format!("removing IP {address} from server {}", server.name)
                    }),
                }
            }
            CloseStep::RemoveOwner => {
                let server = server()?;
                client
                    .remove_owner(server.id)
                    .with_context(|| format!("removing the owner of server {}", server.name))
            }
            CloseStep::Diagnostics => {
                let server = server()?;
                let after = server.operation.as_ref().map_or(0, |op| op.id);
                self.write_notes(server, NoteStage::WipeRequested { after })?;
                let operation = client
                    .diagnostics(server.id, true)
                    .with_context(|| format!("starting {WIPE} on server {}", server.name))?;
                self.wipe = Some(operation);
                self.write_notes(server, NoteStage::Wiping { operation })
            }
            CloseStep::MarkDiagnostics(operation) => {
                self.wipe = Some(*operation);
                self.write_notes(
                    server()?,
                    NoteStage::Wiping {
                        operation: *operation,
                    },
                )
            }
            CloseStep::WaitDiagnostics => self.wait_wipe(server()?),
            CloseStep::PowerOff => {
                let server = server()?;
                client
                    .power_off(server.id)
                    .with_context(|| format!("powering off server {}", server.name))
            }
            CloseStep::DisablePorts(ports) => {
                held::set_ports(client, server()?, ports, PortStatus::Down)
            }
            CloseStep::ClearNotes => {
                let server = server()?;
                // serverid goes first: once the notes are clear the server is back in stock, and a
                // rerun (BILLmanager refused the report, say) must not find it through a stale id
                // after another order has taken it.
                held.billing.drop_param(held.item(), "serverid")?;
                client
                    .set_notes(server.id, "")
                    .with_context(|| format!("clearing the notes of server {}", server.name))
            }
            CloseStep::ReportClosed => {
                crate::effects::ip_list::apply(
                    &held.billing.mgrctl,
                    held.item(),
                    &self.ip_list,
                    &[],
                    "",
                )?;
                held.billing.report("service.postclose", held.item())
            }
        }
    }

    fn polling(&self) -> Polling {
        Polling::of(&self.held.service.connection)
    }

    /// The notes are the module's while the server is held: the close's progress replaces them.
    fn write_notes(&self, server: &Server, stage: NoteStage) -> Result<()> {
        let notes = ItemNote {
            item: self.held.item(),
            stage,
        }
        .to_string();
        self.held
            .client
            .set_notes(server.id, &notes)
            .with_context(|| format!("writing '{notes}' into the notes of server {}", server.name))
    }

    /// Waits for the wipe; anything but success takes the server out of stock.
    fn wait_wipe(&self, server: &Server) -> Result<()> {
        let operation = self
            .wipe
            .context("the close waits for a wipe it has not recorded (a bug)")?;
        let polling = self.polling();
        let reason = match wait_operation(
            &self.held.client,
            server.id,
            Some(operation),
            WIPE,
            &polling,
        ) {
            Ok(now) => match now.operation.as_ref().filter(|op| op.id == operation) {
                Some(op) if op.status == OperationStatus::Ok => return Ok(()),
                Some(op) => format!(
                    "{WIPE} (operation {operation}) ended {}",
                    status_word(op.status)
                ),
                None => format!(
                    "{WIPE} (operation {operation}) was replaced by another operation before it ended"
                ),
            },
            Err(err) if classify(&err).0 == ErrorKind::WaitTimeout => format!(
                "{WIPE} (operation {operation}) did not finish in {} s",
                polling.timeout.as_secs_f64()
            ),
            Err(err) => return Err(err),
        };
        self.keep_out_of_stock(server, operation, &reason);
        Err(self.wipe_failed(server, &reason))
    }

    /// Maintenance mode with the reason in the notes. A failure is logged: the error must
    /// reach BILLmanager, and the notes, which still carry the item's mark, keep the server off
    /// sale meanwhile.
    fn keep_out_of_stock(&self, server: &Server, operation: u64, reason: &str) {
        let notes = wipe_failed_note(self.held.item(), operation, reason);
        if let Err(err) = self.held.client.edit_server(
            server.id,
            &EditServer {
                notes: Some(&notes),
                maintenance_mode: Some(true),
                ..EditServer::default()
            },
        ) {
            log::error!(
                "could not put server {} in maintenance mode: {err:#}",
                server.name
            );
        }
    }

    /// The failed wipe's error, handed to staff.
    fn wipe_failed(&self, server: &Server, reason: &str) -> anyhow::Error {
        let item = self.held.item();
        let text = format!(
            "close of item {item}: {reason} on server {} (id {}). The server is in maintenance mode, off sale, \
             and may still hold the customer's data. Check its disks, then run the close again: it takes the \
             server out of maintenance and wipes it again.",
            server.name, server.id
        );
        ModuleError::new(
            ErrorKind::OperationFailed,
            format!("server {}", server.name),
            text,
        )
        .for_staff(COMMAND.name(), item)
        .into()
    }
}

fn status_word(status: OperationStatus) -> &'static str {
    match status {
        OperationStatus::Ok => "ok",
        OperationStatus::Canceled => "canceled",
        OperationStatus::Running => "still running",
        OperationStatus::Failed => "failed",
        OperationStatus::Unknown => "in an unknown state",
    }
}
