//! `reboot --item N`: reset the power of the item's server, then `service.postreboot`.
//!
//! DCImanager refuses a reset while an operation (an install, diagnostics) runs; the error then
//! names the operation and BILLmanager may retry later.

use anyhow::{Context, Result};

use super::held::{Guarded, plan_document};
use crate::billmgr::paths::MgrRoot;
use crate::protocol::error::{ErrorKind, fail};
use crate::protocol::xml::Element;
use crate::provision::server_state;
use crate::provision::service_plan::ItemStatus;

const COMMAND: &str = "reboot";
const STEPS: [&str; 2] = ["reset the power", "report the service rebooted"];

pub fn run(
    root: &MgrRoot,
    item: u64,
    running_operation: Option<u64>,
    dry_run: bool,
) -> Result<Option<Element>> {
    let guarded = Guarded::start(root, item, COMMAND, running_operation, dry_run)?;
    let (held, server) = (guarded.held(), guarded.server());
    // A reset powers the server on: a suspended service's server must stay as sync_item keeps it.
    if ItemStatus::from_code(i64::from(held.service.item.status)) != Some(ItemStatus::Active) {
        return fail(
            ErrorKind::Item,
            format!("item {item}"),
            format!("item {item} is not active: only an active service's server is rebooted"),
        );
    }
    if dry_run {
        return Ok(Some(plan_document(COMMAND, item, Some(server), &STEPS)));
    }
    let busy = server_state::running_operation(server)
        .map(|op| format!(" (operation {} {} is running on it)", op.id, op.kind))
        .unwrap_or_default();
    log::info!("reboot of item {item}: {}", STEPS[0]);
    held.client
        .power_reset(server.id)
        .with_context(|| format!("resetting the power of server {}{busy}", server.name))?;
    log::info!("reboot of item {item}: {}", STEPS[1]);
    held.billing.report("service.postreboot", item)?;
    Ok(None)
}
