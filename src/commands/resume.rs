//! `resume --item N`: bring the switch ports of the item's server up, power it on if it is off,
//! then `service.postresume`. Each step is skipped when already so.

use anyhow::{Context, Result};

use super::CommandContext;

use crate::dci::api::PortStatus;
use crate::effects::held::{self, Guarded, plan_document};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::service_plan::{ResumeStep, resume_plan};

const COMMAND: ItemCommand = ItemCommand::Resume;

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let guarded = Guarded::start(root, item, COMMAND, dry_run)?;
    let (held, server) = (guarded.held(), guarded.server());
    let steps = resume_plan(server);
    if dry_run {
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            Some(server),
            &steps,
        )));
    }
    for step in &steps {
        log::info!("resume of item {item}: {step}");
        match step {
            ResumeStep::EnablePorts(ports) => {
                held::set_ports(&held.client, server, ports, PortStatus::Up)?
            }
            ResumeStep::PowerOn => held
                .client
                .power_on(server.id)
                .with_context(|| format!("powering on server {}", server.name))?,
            ResumeStep::ReportResumed => held.billing.report("service.postresume", item)?,
        }
    }
    Ok(None)
}
