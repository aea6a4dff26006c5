//! BILLmanager's IP list of a service, kept equal to its server's addresses (see
//! [`crate::provision::ip_list`]): filled when an open finishes, emptied by close, reconciled by
//! sync_item. Only BILLmanager is written; DCImanager's addresses are the truth.

use anyhow::{Context, Result};

use crate::billmgr::mgrctl::{Mgrctl, find_value};
use crate::dci::api::{Ip, Server};
use crate::provision::ip_list::{IpListStep, ListedIp, reconcile};

/// Makes the list `listed` of `item` hold exactly `addresses` (those of `server`, or none when
/// the service is closed). `domain` goes with each added address.
pub fn apply(
    mgrctl: &Mgrctl,
    item: u64,
    listed: &[ListedIp],
    addresses: &[Ip],
    domain: &str,
) -> Result<()> {
    for step in reconcile(listed, addresses) {
        match &step {
            IpListStep::Fill { slot, ip } => {
                log::info!("item {item}: {step}");
                let slot_id = slot.to_string();
                let answer = mgrctl
                    .call(
                        "service.ip.add",
                        &[
                            ("sok", "ok"),
                            ("elid", &slot_id),
                            ("ip", &ip.address),
                            ("mask", &ip.mask),
                            ("gateway", &ip.gateway),
                            ("domain", domain),
                        ],
                    )
                    .with_context(|| {
                        format!(
                            "adding {} to BILLmanager's IP list of item {item} (service.ip.add)",
                            ip.address
                        )
                    })?;
                // The row BILLmanager filled; an answer without it means the slot itself.
                let added = find_value(&answer, "ip.id")?
                    .filter(|id| !id.trim().is_empty())
                    .unwrap_or(slot_id);
                mgrctl
                    .call("service.ip.add.commit", &[("sok", "ok"), ("elid", &added)])
                    .with_context(|| {
                        format!(
                            "committing {} in BILLmanager's IP list of item {item} (service.ip.add.commit)",
                            ip.address
                        )
                    })?;
            }
            IpListStep::Release { id, address } => {
                log::info!("item {item}: {step}");
                mgrctl
                    .call("service.ip.del", &[("sok", "ok"), ("elid", &id.to_string())])
                    .with_context(|| {
                        format!(
                            "removing {address} from BILLmanager's IP list of item {item} (service.ip.del)"
                        )
                    })?;
            }
            IpListStep::NoSlot { .. } => log::warn!("item {item}: {step}"),
        }
    }
    Ok(())
}

/// The server's domain for the list, when it has one.
pub fn server_domain(server: &Server) -> &str {
    server.domain.as_deref().unwrap_or_default()
}
