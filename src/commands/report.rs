//! `report --module N`: the drift between BILLmanager and DCImanager for every service of a
//! processing module, for an administrator (not a BILLmanager feature).
//!
//! It reads BILLmanager's side in a few queries (services, customers, tariffs, `serverid`s),
//! lists DCImanager's servers once (paged) and its configurations once, and hands both to
//! [`Audit`]: no call per server or per service, so it runs the same on a large installation.
//! The servers carry their owner's e-mail, so DCImanager's users are not listed at all. It
//! changes nothing. XML (default) is for scripts; `--format text` is for people.

use std::fmt::Write as _;

use anyhow::{Context, Result};

use super::CommandContext;

use super::Output;
use crate::billmgr::db::ProcessingModule;
use crate::dci::api::Location;
use crate::effects::service::{Billing, load_module, module_client};
use crate::protocol::args::Format;
use crate::protocol::connection::Connection;
use crate::protocol::xml::Element;
use crate::provision::availability::AvailabilityRule;
use crate::provision::drift::{
    Audit, Drift, DriftKind, DriftReport, ModuleFacts, ServiceFacts, TariffFacts, tariff_list,
};
use crate::provision::item_status::StatusCode;

pub fn run(ctx: &CommandContext<u64>) -> Result<Output> {
    let (root, module_id) = (ctx.root, ctx.target);
    let mut billing = Billing::connect(root)?;
    let (module, connection) = load_module(&mut billing, module_id)?;
    let facts = read_facts(&mut billing, &module, &connection)?;
    let client = module_client(root, module.id, &connection)?;
    let location = crate::effects::session::read_location(&client, connection.location)?;
    let mut audit = Audit::new(facts);
    client
        .for_each_server_page(None, |page| {
            page.iter().for_each(|server| audit.add(server));
            Ok(())
        })
        .context("listing the servers of DCImanager")?;
    let configurations = client
        .configurations()
        .context("listing the configurations of DCImanager")?;
    let report = audit.finish(&configurations);
    let heading = Heading {
        module: &module,
        location: &location,
        requests: client.requests_made(),
    };
    log::info!(
        "report of module {}: {} drift(s) over {} services and {} servers",
        module.id,
        report.drifts.len(),
        report.services,
        report.listed
    );
    Ok(match ctx.format {
        Format::Xml => Output::Xml(xml_report(&heading, &report)),
        Format::Text => Output::Text(text_report(&heading, &report)),
    })
}

/// BILLmanager's half: four queries, however many services the module has.
fn read_facts(
    billing: &mut Billing,
    module: &ProcessingModule,
    connection: &Connection,
) -> Result<ModuleFacts> {
    let db = &mut billing.db;
    let customers = db.module_customers(module.id)?;
    let serverids = db.module_item_param(module.id, "serverid")?;
    let services = db
        .items_of_module(module.id)?
        .into_iter()
        .map(|item| {
            let saved_server = serverids.get(&item.id).and_then(|v| {
                let text = v.trim();
                let parsed = text.parse().ok();
                if parsed.is_none() && !text.is_empty() {
                    log::warn!(
                        "item {}: param serverid '{text}' is not a server id",
                        item.id
                    );
                }
                parsed
            });
            ServiceFacts {
                item: item.id,
                state: StatusCode::new(item.status),
                email: customers
                    .iter()
                    .find(|c| c.account == item.account)
                    .and_then(|c| c.email.clone()),
                tariff: item.pricelist,
                saved_server,
            }
        })
        .collect();
    let tariffs = db
        .module_tariffs(module.id)?
        .into_iter()
        .map(|t| TariffFacts {
            id: t.id,
            configuration: t.configuration.unwrap_or_default(),
        })
        .collect();
    Ok(ModuleFacts {
        location: connection.location,
        ignore_errors: connection.ignore_errors,
        services,
        customers: customers.into_iter().filter_map(|c| c.email).collect(),
        tariffs,
    })
}

/// What the report is about.
struct Heading<'a> {
    module: &'a ProcessingModule,
    location: &'a Location,
    requests: u64,
}

fn xml_report(heading: &Heading, report: &DriftReport) -> Element {
    let drifts = report.drifts.iter().map(|drift| {
        let mut element = Element::new("drift").attr("kind", drift.kind.name());
        if let Some(server) = &drift.server {
            element = element
                .attr("server", server.id.to_string())
                .attr("server_name", &server.name);
        }
        if let Some(item) = drift.item {
            element = element.attr("item", item.to_string());
        }
        if let Some(configuration) = &drift.configuration {
            element = element.attr("configuration", configuration);
        }
        if !drift.addresses.is_empty() {
            element = element.attr("addresses", drift.addresses.join(","));
        }
        element.text(&drift.reason)
    });
    let stock = report.stock.iter().map(|line| {
        let mut element = Element::new("configuration")
            .attr("label", &line.configuration)
            .attr("available", line.available.to_string())
            .attr("dci_free", line.dci_free.to_string())
            .attr("services", line.services.to_string())
            .attr(
                "tariffs",
                line.tariffs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(","),
            );
        if let Some(problem) = &line.unreadable {
            element = element.attr("unreadable", problem);
        }
        element
    });
    let manual = report
        .manual_tariffs
        .iter()
        .map(|id| Element::new("manual_tariff").attr("id", id.to_string()));
    let rules = AvailabilityRule::ALL.iter().map(|rule| {
        Element::new("rule")
            .attr("name", rule.failure())
            .attr("count", report.tally.count(*rule).to_string())
    });
    let counts = DriftKind::ALL.iter().map(|kind| {
        Element::new("kind")
            .attr("name", kind.name())
            .attr("count", report.count(*kind).to_string())
    });
    Element::new("doc").child(
        Element::new("report")
            .attr("module", heading.module.id.to_string())
            .attr("location", heading.location.id.to_string())
            .attr("services", report.services.to_string())
            .attr("servers_listed", report.listed.to_string())
            .attr("location_servers", report.location_servers.to_string())
            .attr("available", report.available.to_string())
            .attr("dci_requests", heading.requests.to_string())
            .child(
                Element::new("drifts")
                    .attr("count", report.drifts.len().to_string())
                    .children(counts)
                    .children(drifts),
            )
            .child(
                Element::new("stock")
                    .children(stock)
                    .children(manual)
                    .child(Element::new("rejected").children(rules)),
            ),
    )
}

/// What a drift concerns, as the text report's first column: `srv-5 (id 5) item 42`.
fn subject(drift: &Drift) -> String {
    let server = drift
        .server
        .as_ref()
        .map(|server| format!("{} (id {})", server.name, server.id));
    let item = drift.item.map(|item| format!("item {item}"));
    match (server, item) {
        (Some(server), Some(item)) => format!("{server} {item}"),
        (Some(one), None) | (None, Some(one)) => one,
        (None, None) => drift.configuration.clone().unwrap_or_default(),
    }
}

fn text_report(heading: &Heading, report: &DriftReport) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "Drift report for processing module {} ({}), DCImanager location {} ({})",
        heading.module.id, heading.module.name, heading.location.id, heading.location.name
    )
    .ok();
    writeln!(
        out,
        "{} services in BILLmanager; {} servers in DCImanager, {} in the location, {} available ({}); {} DCImanager requests",
        report.services,
        report.listed,
        report.location_servers,
        report.available,
        report.tally,
        heading.requests
    )
    .ok();
    if report.drifts.is_empty() {
        writeln!(out, "\nNo drift found.").ok();
    }
    let subjects: Vec<String> = report.drifts.iter().map(subject).collect();
    let width = subjects
        .iter()
        .map(|s| s.chars().count())
        .max()
        .unwrap_or(0);
    for kind in DriftKind::ALL {
        let found: Vec<_> = report
            .drifts
            .iter()
            .zip(&subjects)
            .filter(|(d, _)| d.kind == kind)
            .collect();
        if found.is_empty() {
            continue;
        }
        writeln!(
            out,
            "\n{} ({}): {}",
            kind.title(),
            found.len(),
            kind.advice()
        )
        .ok();
        for (drift, subject) in found {
            writeln!(out, "  {subject:<width$}  {}", drift.reason).ok();
        }
    }
    writeln!(out, "\nStock per configuration sold:").ok();
    if report.stock.is_empty() {
        writeln!(out, "  (no tariff sells a fixed configuration)").ok();
    } else {
        let width = report
            .stock
            .iter()
            .map(|line| line.configuration.len())
            .max()
            .unwrap_or(0)
            .max("configuration".len());
        writeln!(
            out,
            "  {:<width$}  available  free in DCImanager  live services  tariffs",
            "configuration"
        )
        .ok();
        for line in &report.stock {
            let tariffs = tariff_list(&line.tariffs);
            let flag = if line.available == 0 {
                "  OUT OF STOCK"
            } else {
                ""
            };
            writeln!(
                out,
                "  {:<width$}  {:>9}  {:>17}  {:>13}  {tariffs}{flag}",
                line.configuration, line.available, line.dci_free, line.services
            )
            .ok();
        }
    }
    if !report.manual_tariffs.is_empty() {
        writeln!(
            out,
            "  manual tariffs (built from add-ons, stock depends on each order): {}",
            tariff_list(&report.manual_tariffs)
        )
        .ok();
    }
    out
}
