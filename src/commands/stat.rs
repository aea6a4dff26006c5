//! `stat --module M`: the traffic of every live service of the module into BILLmanager's
//! `itemstat`, then `service.poststat` (BILLmanager's daily statistics job calls it).
//!
//! For each active or suspended service with a traffic add-on ([`TRAFFIC_ADDONS`]), the days
//! since its last collection ([`traffic::window`]) are read from one listing of DCImanager's
//! servers (for the server's data ports) and one listing of the traffic of those days, and what
//! `itemstat` lacks of DCImanager's totals is added ([`traffic::rows`]), as ISPsystem's modules
//! write statistics (SQL, a repeated day added to). The run holds the module's stat lock, so two
//! runs never both add the same difference. A service that cannot be measured (no server, a
//! count DCImanager did not give, an add-on without a byte measure) is named in the log and
//! skipped, the others are written, and the run then fails naming it. `--dry-run` shows the rows
//! and writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::time::SystemTime;

use anyhow::{Context, Result};

use super::{CommandContext, Output};
use crate::billmgr::lock::FileLock;
use crate::dci::filter::Filter;
use crate::effects::service::{Billing, load_module, module_client};
use crate::protocol::args::Format;
use crate::protocol::error::{ErrorKind, fail};
use crate::protocol::features::ITEMTYPE;
use crate::protocol::xml::Element;
use crate::provision::calendar::Day;
use crate::provision::item_status::ItemStatus;
use crate::provision::order::Measure;
use crate::provision::server_state::switch_ports;
use crate::provision::traffic::{self, PortDay, StatAddon, StatRow, TRAFFIC_ADDONS};

/// A live service that bills traffic.
struct Metered {
    item: u64,
    server: u64,
    addons: Vec<StatAddon>,
    days: Vec<Day>,
    written: BTreeMap<(Day, String), f64>,
}

pub fn run(ctx: &CommandContext<u64>) -> Result<Option<Output>> {
    let (root, module_id) = (ctx.root, ctx.target);
    let mut billing = Billing::connect(root)?;
    let (module, connection) = load_module(&mut billing, module_id)?;
    let _lock = FileLock::wait(root, &format!("stat-{module_id}"))?;
    let today = Day::of(SystemTime::now());
    let (metered, mut skipped) = metered_services(&mut billing, module.id, today)?;
    let measures = billing.db.measures()?;
    let mut rows = Vec::new();
    if !metered.is_empty() {
        let client = module_client(root, module.id, &connection)?;
        let servers: BTreeSet<u64> = metered.iter().map(|m| m.server).collect();
        let mut ports: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        let location = Filter::eq(
            client.contract().field("location_id"),
            connection.location.into(),
        );
        client
            .for_each_server_page(Some(location), |page| {
                for server in page.iter().filter(|s| servers.contains(&s.id)) {
                    ports.insert(server.id, switch_ports(server).map(|p| p.id).collect());
                }
                Ok(())
            })
            .context("listing the servers of the module's location")?;
        let days: BTreeSet<Day> = metered
            .iter()
            .flat_map(|m| m.days.iter().copied())
            .collect();
        let days: Vec<String> = days.iter().map(ToString::to_string).collect();
        let mut traffic = Vec::new();
        client
            .for_each_traffic_page(&days, |page| {
                for row in page.into_iter().filter(|r| servers.contains(&r.server)) {
                    match Day::parse(&row.date) {
                        Some(day) => traffic.push(PortDay {
                            connection: row.connection,
                            day,
                            received: row.received,
                            sent: row.sent,
                        }),
                        None => log::warn!(
                            "DCImanager's traffic of port {} has the date {:?}, not YYYY-MM-DD: left out",
                            row.connection,
                            row.date
                        ),
                    }
                }
                Ok(())
            })
            .context("listing the traffic of DCImanager's switch ports")?;
        for service in &metered {
            let Some(server_ports) = ports.get(&service.server) else {
                skipped.push(format!(
                    "item {}: server {} is not in DCImanager's location {}",
                    service.item, service.server, connection.location
                ));
                continue;
            };
            match measure(service, server_ports, &traffic, &measures) {
                Ok(found) => rows.extend(found),
                Err(why) => skipped.push(why),
            }
        }
    }
    if ctx.dry_run {
        return Ok(Some(plan(ctx.format, module.id, today, &rows, &skipped)));
    }
    let ids: BTreeMap<&str, u64> = measures
        .iter()
        .map(|m| (m.intname.as_str(), m.id))
        .collect();
    let written: Vec<(u64, String, String, f64, Option<u64>)> = rows
        .iter()
        .map(|row| {
            let measure = row.measure.as_deref().and_then(|m| ids.get(m).copied());
            (
                row.item,
                row.day.to_string(),
                row.param.clone(),
                row.add,
                measure,
            )
        })
        .collect();
    billing.db.add_stats(&written)?;
    for row in &rows {
        log::info!(
            "item {}: {} += {} {} on {}",
            row.item,
            row.param,
            row.add,
            row.measure.as_deref().unwrap_or(""),
            row.day
        );
    }
    let date = today.to_string();
    billing
        .mgrctl
        .call(
            "service.poststat",
            &[("elid", &module.id.to_string()), ("date", &date)],
        )
        .context("telling BILLmanager the statistics are in (service.poststat)")?;
    log::info!(
        "stat of module {}: {} rows added, {} services skipped",
        module.id,
        rows.len(),
        skipped.len()
    );
    if skipped.is_empty() {
        return Ok(None);
    }
    for why in &skipped {
        log::warn!("stat: {why}");
    }
    fail(
        ErrorKind::Item,
        format!("processing module {}", module.id),
        format!(
            "the traffic of {} service(s) was not collected (the others were): {}",
            skipped.len(),
            skipped.join("; ")
        ),
    )
}

/// The module's live services with a traffic add-on, with what `itemstat` holds of the days to
/// collect; and why others that should bill traffic cannot.
fn metered_services(
    billing: &mut Billing,
    module: u64,
    today: Day,
) -> Result<(Vec<Metered>, Vec<String>)> {
    let params: Vec<&str> = TRAFFIC_ADDONS.iter().map(|(name, _)| *name).collect();
    let mut metered = Vec::new();
    let mut skipped = Vec::new();
    for item in billing.db.items_of_module(module)? {
        let live = i64::from(item.status);
        if !ItemStatus::from_code(live).is_some_and(ItemStatus::is_live) {
            continue;
        }
        // Only the module's own product type is measured: an item of another type on this
        // module is not a dedicated server of pmdci6's, whatever its params say.
        if item.itemtype != ITEMTYPE {
            log::info!(
                "item {}: product type '{}', not {ITEMTYPE}: left alone",
                item.id,
                item.itemtype
            );
            continue;
        }
        let addons: Vec<StatAddon> = billing
            .db
            .item_addons(item.id)?
            .iter()
            .filter_map(|addon| StatAddon::of(&addon.intname, addon.measure.as_deref()))
            .collect();
        if addons.is_empty() {
            log::debug!("item {}: no traffic add-on, nothing to collect", item.id);
            continue;
        }
        let Some(server) = billing
            .db
            .item_params(item.id)?
            .get("serverid")
            .and_then(|id| id.trim().parse().ok())
        else {
            skipped.push(format!("item {}: no server (param serverid)", item.id));
            continue;
        };
        let opened = billing.db.item_opened(item.id)?;
        let since = today.minus(traffic::MAX_DAYS).to_string();
        let (rows, last) = billing.db.item_stats(item.id, &params, &since)?;
        let last = last.as_deref().and_then(Day::parse);
        let days = traffic::window(last, opened.as_deref().and_then(Day::parse), today);
        if let (Some(last), Some(first)) = (last, days.first())
            && last < *first
        {
            log::warn!(
                "item {}: the last collection was on {last}; only the last {} days are collected",
                item.id,
                traffic::MAX_DAYS
            );
        }
        let written = rows
            .into_iter()
            .filter_map(|(day, param, value)| Some(((Day::parse(&day)?, param), value)))
            .collect();
        metered.push(Metered {
            item: item.id,
            server,
            addons,
            days,
            written,
        });
    }
    Ok((metered, skipped))
}

fn measure(
    service: &Metered,
    ports: &[u64],
    traffic: &[PortDay],
    measures: &[Measure],
) -> Result<Vec<StatRow>, String> {
    traffic::rows(
        service.item,
        &service.addons,
        ports,
        &service.days,
        traffic,
        &service.written,
        measures,
    )
}

/// The dry run: `<doc><stat module date><row item day param add measure/>..<skipped>..</skipped></stat></doc>`.
fn plan(format: Format, module: u64, today: Day, rows: &[StatRow], skipped: &[String]) -> Output {
    if format == Format::Text {
        let mut text = format!(
            "stat of module {module} on {today}: {} rows to add\n",
            rows.len()
        );
        for row in rows {
            text.push_str(&format!(
                "  item {} {} {}: + {} {}\n",
                row.item,
                row.day,
                row.param,
                row.add,
                row.measure.as_deref().unwrap_or("")
            ));
        }
        for why in skipped {
            text.push_str(&format!("  skipped: {why}\n"));
        }
        return Output::Text(text);
    }
    let mut stat = Element::new("stat")
        .attr("module", module.to_string())
        .attr("date", today.to_string());
    for row in rows {
        stat = stat.child(
            Element::new("row")
                .attr("item", row.item.to_string())
                .attr("day", row.day.to_string())
                .attr("param", row.param.clone())
                .attr("add", row.add.to_string())
                .attr("measure", row.measure.clone().unwrap_or_default()),
        );
    }
    for why in skipped {
        stat = stat.child(Element::new("skipped").text(why.clone()));
    }
    Output::Xml(Element::new("doc").child(stat))
}
