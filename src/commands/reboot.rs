//! `reboot --item N`: reset the power of the item's server, then `service.postreboot`.
//!
//! DCImanager refuses a reset while an operation (an install, diagnostics) runs; the error then
//! names the operation and BILLmanager may retry later.

use anyhow::{Context, Result};

use super::CommandContext;

use crate::effects::held::{Guarded, plan_document};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::server_state;

const COMMAND: ItemCommand = ItemCommand::Reboot;
const STEPS: [&str; 2] = ["reset the power", "report the service rebooted"];

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let guarded = Guarded::start(root, item, COMMAND, dry_run)?;
    let (held, server) = (guarded.held(), guarded.server());
    if dry_run {
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            Some(server),
            &STEPS,
        )));
    }
    let busy = server_state::running_operation(server)
        .map(|op| format!(" (operation {} is running on it)", op.id))
        .unwrap_or_default();
    log::info!("reboot of item {item}: {}", STEPS[0]);
    held.client
        .power_reset(server.id)
        .with_context(|| format!("resetting the power of server {}{busy}", server.name))?;
    log::info!("reboot of item {item}: {}", STEPS[1]);
    held.billing.report("service.postreboot", item)?;
    Ok(None)
}
