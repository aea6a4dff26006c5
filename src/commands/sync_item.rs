//! `sync_item --item N`: reconcile the item with its server, read once ([`sync_plan`]).
//!
//! An active service's server is kept on and a suspended one's off; an open whose install has
//! finished is finished (params and `service.postopen`); an address changed in DCImanager
//! updates the item's `ip`, and BILLmanager's IP list of a live service is made to hold exactly
//! the server's addresses. Nothing is done while an operation runs on the server or while it
//! is in maintenance mode: those belong to staff or to another command, and the log says so
//! (the IP list, which only mirrors DCImanager in BILLmanager, is kept even then).
//!
//! Drift the module cannot fix (the server lost its owner, went to someone else, or is gone) is
//! logged on every run and reported to staff as a BILLmanager task once: the kind reported is
//! kept in the item param `drift_reported` and dropped when the drift is gone, so a later drift
//! is reported again.
//!
//! BILLmanager runs sync_item often, for every service, so it costs one DCImanager request when
//! nothing needs fixing (the session token is cached in `var/`), and it never waits: while
//! another run holds the item (an open installing, a close wiping) it skips quietly.

use anyhow::{Context, Result};

use super::CommandContext;

use crate::effects::held::{self, Held, plan_document};
use crate::effects::ip_list;
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::protocol::xml::Element;
use crate::provision::action::ItemCommand;
use crate::provision::install::{self, InstallRecord};
use crate::provision::ip_list::reconcile;
use crate::provision::service_plan::{
    DRIFT_PARAM, DriftNotice, ItemStatus, SyncAction, SyncItem, drift_notice, sync_plan,
};

const COMMAND: ItemCommand = ItemCommand::SyncItem;

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Element>> {
    let (root, item, dry_run) = (ctx.root, ctx.target, ctx.dry_run);
    let _lock = if dry_run {
        None
    } else {
        match held::lock_item_if_free(root, item)? {
            Some(lock) => Some(lock),
            None => {
                log::info!("sync_item of item {item} skipped: another pmdci6 run is working on it");
                return Ok(None);
            }
        }
    };
    let mut held = Held::load(root, item, COMMAND)?;
    let code = held.service.item.status;
    let status = ItemStatus::from_code(i64::from(code)).ok_or_else(|| {
        ModuleError::new(
            ErrorKind::Item,
            format!("item {item}"),
            format!("item {item} has status {code}, which pmdci6 does not know"),
        )
    })?;
    let server = held.server()?;
    let params = &held.service.params;
    let param = |name: &str| {
        params
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let actions = sync_plan(
        server.as_ref(),
        &SyncItem {
            status,
            holder: &held.holder,
            saved_ip: param("ip"),
            template: param("ostempl"),
            install: InstallRecord::parse(param(install::PARAM)),
        },
    );
    let drift = drift_notice(&actions, param(DRIFT_PARAM));
    // BILLmanager's IP list follows the server of a live service that is the item's; an open
    // still finishing fills it itself.
    let live = matches!(status, ItemStatus::Active | ItemStatus::Suspended)
        && !actions
            .iter()
            .any(|a| matches!(a, SyncAction::Drift(_) | SyncAction::FinishOpen));
    let ip_list = match server.as_ref() {
        Some(server) if live => Some((held.billing.db.service_ips(item)?, server)),
        _ => None,
    };
    if dry_run {
        let mut steps: Vec<String> = actions.iter().map(ToString::to_string).collect();
        if let Some((listed, server)) = &ip_list {
            steps.extend(
                reconcile(listed, &server.ip)
                    .iter()
                    .map(ToString::to_string),
            );
        }
        match drift {
            DriftNotice::Report(_) => steps.push("report the drift to staff with a task".into()),
            DriftNotice::Reported(_) => {
                steps.push("the drift was reported already: log it only".into())
            }
            DriftNotice::Forget => {
                steps.push(format!("forget the drift reported earlier ({DRIFT_PARAM})"))
            }
            DriftNotice::Quiet => {}
        }
        return Ok(Some(plan_document(
            COMMAND.name(),
            item,
            server.as_ref(),
            &steps,
        )));
    }
    let on_server = || {
        server
            .as_ref()
            .context("the sync plan acts on a server, but the item holds none (a bug)")
    };
    for action in &actions {
        log::info!("sync_item of item {item}: {action}");
        match action {
            SyncAction::PowerOn => {
                let server = on_server()?;
                held.client.power_on(server.id).with_context(|| {
                    format!("powering on server {} of active item {item}", server.name)
                })?
            }
            SyncAction::PowerOff => {
                let server = on_server()?;
                held.client.power_off(server.id).with_context(|| {
                    format!(
                        "powering off server {} of suspended item {item}",
                        server.name
                    )
                })?
            }
            SyncAction::FinishOpen => {
                crate::effects::finish::finish_open(&mut held.billing, &held.service, on_server()?)?
            }
            SyncAction::UpdateIp(address) => held.billing.save_param(item, "ip", address, false)?,
            // Logged above; drift is reported below, once.
            SyncAction::Nothing(_) | SyncAction::Drift(_) => {}
        }
    }
    if let Some((listed, server)) = &ip_list {
        ip_list::apply(
            &held.billing.mgrctl,
            item,
            listed,
            &server.ip,
            ip_list::server_domain(server),
        )?;
    }
    match drift {
        DriftNotice::Report(drift) => {
            let text = format!(
                "sync_item of item {item}: {drift}. The module changed nothing; check the service and its server in \
                 DCImanager (param serverid: {}). This is reported once, and again only after it has been resolved.",
                param("serverid").unwrap_or("none")
            );
            log::warn!("{text}");
            // Remembered before the task is created, so a kill between the two never creates a
            // second task; a task that could not be created is forgotten, to be tried again.
            held.billing
                .save_param(item, DRIFT_PARAM, drift.kind(), false)?;
            // No running operation: sync_item itself succeeds, only the service needs staff.
            if let Err(err) = held
                .billing
                .mgrctl
                .hand_to_staff(COMMAND.name(), item, None, &text)
            {
                held.billing.drop_param(item, DRIFT_PARAM)?;
                return Err(err);
            }
        }
        DriftNotice::Reported(drift) => {
            log::info!("sync_item of item {item}: {drift} (reported to staff already)")
        }
        DriftNotice::Forget => {
            log::info!("sync_item of item {item}: the drift reported earlier is gone");
            held.billing.drop_param(item, DRIFT_PARAM)?;
        }
        DriftNotice::Quiet => {}
    }
    Ok(None)
}
