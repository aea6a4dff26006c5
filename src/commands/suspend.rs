//! `suspend --item N`: shut the switch ports of the item's server (never its IPMI port), then
//! `service.postsuspend`. The power is left alone (DESIGN §2a): sync_item later powers off a
//! suspended service's server that is on.
//!
//! A server without switch ports cannot be cut off, so it is not suspended at all: the error
//! says the ports must be set in DCImanager, and the service stays as it is. Ports already down
//! leave only the report.

use anyhow::Result;

use super::CommandContext;

use crate::dci::api::PortStatus;
use crate::effects::held::{self, Guarded, plan_document};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::service_plan::{SuspendStep, suspend_plan};

const COMMAND: ItemCommand = ItemCommand::Suspend;

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let guarded = Guarded::start(root, item, COMMAND, dry_run)?;
    let (held, server) = (guarded.held(), guarded.server());
    let steps = suspend_plan(server).map_err(|no_ports| {
        ModuleError::new(
            ErrorKind::NoSwitchPorts,
            format!("server {}", server.name),
            format!(
                "item {item} was not suspended and is unchanged: server {} (id {}): {no_ports}",
                server.name, server.id
            ),
        )
    })?;
    if dry_run {
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            Some(server),
            &steps,
        )));
    }
    for step in &steps {
        log::info!("suspend of item {item}: {step}");
        match step {
            SuspendStep::DisablePorts(ports) => {
                held::set_ports(&held.client, server, ports, PortStatus::Down)?
            }
            SuspendStep::ReportSuspended => held.billing.report("service.postsuspend", item)?,
        }
    }
    Ok(None)
}
