//! `open --dry-run`: the decisions of the real open (the same claim plan) shown, nothing changed.
//!
//! For BILLmanager-style use the plan is XML on stdout with a short summary on stderr; with
//! `--format text` it is a report for a person on stdout: every server of the location with the
//! rule that rejected it or how well it fits, the chosen server, the pool chain as it resolved,
//! and the steps the open would take.

use std::fmt::Write as _;

use anyhow::Result;

use super::claim::{check_rebuilt, decide, held_server, no_server};
use super::network::{PoolFacts, no_pool};
use super::order::{self, Ordered, resolve_software};
use super::service::{Billing, Service, not_owner};
use super::stock::survey;
use crate::commands::{CommandContext, Output};
use crate::dci::api::Server;
use crate::dci::client::Client;
use crate::protocol::args::Format;
use crate::protocol::xml::Element;
use crate::provision::availability::RuleTally;
use crate::provision::claim_plan::{ClaimInput, Decision};
use crate::provision::closest::{BuildPlan, Distance, closest};
use crate::provision::install::{self, InstallRecord};
use crate::provision::matching::fit;
use crate::provision::open_plan::{OpenStep, OpenTarget, open_plan};
use crate::provision::ownership::Holder;
use crate::provision::pool::PoolChoice;

/// How the server of the plan was found.
enum Choice {
    /// The item already holds it: the open resumes on it.
    Held,
    Match,
    /// No match: the closest server would be reserved for staff to rebuild.
    Closest(BuildPlan),
}

/// How the location's stock looked, by numbers.
struct StockCounts {
    listed: u64,
    available: usize,
    rejected: usize,
    tally: RuleTally,
}

struct Plan {
    choice: Choice,
    server: Server,
    pool: PoolChoice,
    steps: Vec<OpenStep>,
    stock: Option<StockCounts>,
    /// Per server of the location: (id, name, verdict, detail), in listing order.
    verdicts: Vec<(u64, String, &'static str, String)>,
}

pub fn open(ctx: &CommandContext<u64>, billing: &mut Billing, service: &Service) -> Result<Output> {
    let ordered = order::read(billing, service)?;
    let holder = service.holder()?;
    let client = service.client(ctx.root)?;
    let location = super::session::read_location(&client, service.connection.location)?;
    let software = resolve_software(&client, location.id, &ordered)?;
    let mut pools = PoolFacts::new(location);
    let plan = plan(
        &client,
        service,
        &ordered,
        &holder,
        &software.template.name,
        &mut pools,
    )?;
    let requests = client.requests_made();
    let summary = summary(&ordered, &plan);
    match ctx.format {
        Format::Text => Ok(Output::Text(text_report(
            &ordered, &plan, &software, requests,
        ))),
        Format::Xml => {
            eprintln!("{summary}");
            Ok(Output::Xml(xml_report(
                service.id(),
                &ordered,
                &plan,
                &software,
                requests,
            )))
        }
    }
}

/// The plan the real open would carry out, from the same decisions: the server the item holds
/// (an interrupted claim included, and refused like the open while it waits for a rebuild), or
/// the first candidate of [`super::claim::decide`] with the pool it would use.
fn plan(
    client: &Client,
    service: &Service,
    ordered: &Ordered,
    holder: &Holder,
    template: &str,
    pools: &mut PoolFacts,
) -> Result<Plan> {
    let wanted = ordered.order.addresses();
    let requirement = &ordered.order.requirement;
    let install = InstallRecord::parse(service.params.get(install::PARAM).map(String::as_str));
    let target = |saved| OpenTarget {
        holder,
        saved_server_id: saved,
        ip_v4: ordered.order.ip_v4,
        ip_v6: ordered.order.ip_v6,
        template,
        install,
    };
    if let Some(server) = held_server(client, service, holder)? {
        check_rebuilt(&server, requirement, holder.item)?;
        let pool = pools.choose(
            client,
            &server.name,
            server.rack.as_ref().and_then(|r| r.id),
            wanted,
        )?;
        let steps = open_plan(&server, &target(service.saved_server_id()?))
            .map_err(|e| not_owner(&server, e))?;
        return Ok(Plan {
            choice: Choice::Held,
            server,
            pool,
            steps,
            stock: None,
            verdicts: Vec::new(),
        });
    }
    let location = pools.location.id;
    let survey = survey(client, location, service.connection.ignore_errors)?;
    let input = ClaimInput {
        item: holder.item,
        requirement,
        addresses: wanted,
        allow_closest: service.connection.allow_closest,
    };
    let (ranked, decision) = decide(client, pools, &input, &survey.stock)?;
    let (first, passed_over) = match decision {
        Decision::NoServer { reason } => return Err(no_server(&input, location, &reason)),
        Decision::NoPool { server, reason } => return Err(no_pool(&server, &reason)),
        Decision::Claim {
            candidates,
            passed_over,
            ..
        } => (candidates.into_iter().next(), passed_over),
    };
    let mut verdicts: Vec<(u64, String, &'static str, String)> = survey
        .stock
        .rejected
        .iter()
        .map(|r| {
            (
                r.id,
                r.name.clone(),
                "rejected",
                format!("{}: {}", r.rejection.rule.failure(), r.rejection.reason),
            )
        })
        .collect();
    for (candidate, mismatch) in &ranked.ranking.mismatches {
        verdicts.push((
            candidate.id,
            candidate.name.clone(),
            OTHER_CONFIGURATION,
            format!("{} ({})", candidate.configuration, mismatch.reason),
        ));
    }
    for (rank, candidate) in ranked.ranking.matches.iter().enumerate() {
        let fit = fit(requirement, &candidate.configuration).ok();
        let detail = fit.map_or(String::new(), |f| {
            format!(
                "rank {}: {} (excess RAM {} GB, excess disk {} GB)",
                rank + 1,
                candidate.configuration,
                f.excess_ram_gb,
                f.excess_disk_gb
            )
        });
        verdicts.push((candidate.id, candidate.name.clone(), "match", detail));
    }
    // Every server of another configuration shows how far it is from the order, whether or not
    // a match exists: it is what staff would rebuild if the matches were gone. The open looks
    // for the closest only without a match, so with one the distances are for this report.
    let distances = if ranked.nearest.is_empty() {
        closest(requirement, &survey.stock.available, input.seed())
    } else {
        ranked.nearest.clone()
    };
    for near in &distances {
        if let Some(v) = verdicts
            .iter_mut()
            .find(|v| v.0 == near.candidate.id && v.2 == OTHER_CONFIGURATION)
        {
            write!(v.3, "; distance: {}", distance_text(near.distance)).ok();
        }
    }
    for (candidate, reason) in &passed_over {
        if let Some(v) = verdicts.iter_mut().find(|v| v.0 == candidate.id) {
            write!(v.3, "; passed over: {reason}").ok();
        }
    }
    let Some(chosen) = first else {
        return Err(no_server(&input, location, "no server to try"));
    };
    let choice = match chosen.build {
        Some(build) => Choice::Closest(build),
        None => Choice::Match,
    };
    verdicts.sort_by_key(|v| v.0);
    let chosen_id = chosen.candidate.id;
    // Only the counts outlive the survey: the report holds one row per server already.
    let stock = StockCounts {
        listed: survey.listed,
        available: survey.stock.available.len(),
        rejected: survey.stock.rejected.len(),
        tally: survey.stock.tally,
    };
    drop(ranked);
    let server = client.server(chosen_id)?;
    let steps = open_plan(&server, &target(None)).map_err(|e| not_owner(&server, e))?;
    Ok(Plan {
        choice,
        server,
        pool: chosen.pool,
        steps,
        stock: Some(stock),
        verdicts,
    })
}

/// The verdict of an available server that does not match the order.
const OTHER_CONFIGURATION: &str = "other configuration";

/// `at least the order on every part, excess 1000` or `lacks a part: shortfall 500, excess 0`:
/// how far a server is from the order, in thousandths of a part (lacking nothing first, then
/// the smaller excess, then the smaller shortfall).
fn distance_text(distance: Distance) -> String {
    if distance.lacks_nothing() {
        format!(
            "at least the order on every part, excess {}",
            distance.excess
        )
    } else {
        format!(
            "lacks a part: shortfall {}, excess {}",
            distance.shortfall, distance.excess
        )
    }
}

fn choice_name(choice: &Choice) -> &'static str {
    match choice {
        Choice::Held => "held",
        Choice::Match => "match",
        Choice::Closest(_) => "closest",
    }
}

fn summary(ordered: &Ordered, plan: &Plan) -> String {
    let mut text = format!(
        "open would use server {} (id {}, {}) for {}: {}",
        plan.server.name,
        plan.server.id,
        plan.server.configuration.as_deref().unwrap_or(""),
        ordered.order.requirement,
        choice_name(&plan.choice)
    );
    if let Some(stock) = &plan.stock {
        write!(
            text,
            "; {} available, {} rejected ({})",
            stock.available, stock.rejected, stock.tally
        )
        .ok();
    }
    write!(
        text,
        "; pool {} ({})",
        plan.pool.pool.name, plan.pool.source
    )
    .ok();
    text
}

fn xml_report(
    item: u64,
    ordered: &Ordered,
    plan: &Plan,
    software: &super::order::Software,
    requests: u64,
) -> Element {
    let order = Element::new("order")
        .attr("requirement", ordered.order.requirement.to_string())
        .attr("ipv4", ordered.order.ip_v4.to_string())
        .attr("ipv6", ordered.order.ip_v6.to_string())
        .attr("template", &software.template.name)
        .attr("template_id", software.template.id.to_string())
        .attr(
            "scripts",
            software
                .scripts
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    let mut server = Element::new("server")
        .attr("id", plan.server.id.to_string())
        .attr("name", &plan.server.name)
        .attr(
            "configuration",
            plan.server.configuration.as_deref().unwrap_or(""),
        )
        .attr("choice", choice_name(&plan.choice));
    if let Choice::Closest(build) = &plan.choice {
        let distance = build.distance();
        server = server.child(
            Element::new("build")
                .attr("shortfall", distance.shortfall.to_string())
                .attr("excess", distance.excess.to_string())
                .text(build.to_string()),
        );
    }
    let pool = Element::new("pool")
        .attr("id", plan.pool.pool.id.to_string())
        .attr("name", &plan.pool.pool.name)
        .attr("source", plan.pool.source.to_string())
        .text(plan.pool.explain());
    let steps = Element::new("steps").children(
        plan.steps
            .iter()
            .map(|s| Element::new("step").text(s.to_string())),
    );
    let mut open = Element::new("open")
        .attr("item", item.to_string())
        .attr("dry_run", "yes")
        .attr("dci_requests", requests.to_string())
        .child(order)
        .child(server)
        .child(pool)
        .child(steps);
    if let Some(stock) = &plan.stock {
        let tally = crate::provision::availability::AvailabilityRule::ALL
            .iter()
            .map(|rule| {
                Element::new("rule")
                    .attr("name", rule.failure())
                    .attr("count", stock.tally.count(*rule).to_string())
            });
        open = open.child(
            Element::new("stock")
                .attr("listed", stock.listed.to_string())
                .attr("available", stock.available.to_string())
                .attr("rejected", stock.rejected.to_string())
                .children(tally),
        );
        open = open.child(Element::new("servers").children(plan.verdicts.iter().map(
            |(id, name, verdict, detail)| {
                Element::new("server")
                    .attr("id", id.to_string())
                    .attr("name", name)
                    .attr("verdict", *verdict)
                    .text(detail)
            },
        )));
    }
    Element::new("doc").child(open)
}

fn text_report(
    ordered: &Ordered,
    plan: &Plan,
    software: &super::order::Software,
    requests: u64,
) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "Order: {}, {} IPv4, {} IPv6, OS {}",
        ordered.order.requirement, ordered.order.ip_v4, ordered.order.ip_v6, software.template.name
    )
    .ok();
    if let Some(stock) = &plan.stock {
        writeln!(
            out,
            "Stock: {} servers listed, {} available, {} rejected ({})",
            stock.listed, stock.available, stock.rejected, stock.tally
        )
        .ok();
        writeln!(out, "\nServers of the location:").ok();
        for (id, name, verdict, detail) in &plan.verdicts {
            let mark = if *id == plan.server.id { "=>" } else { "  " };
            writeln!(out, "{mark} {name:<14} {verdict:<20} {detail}").ok();
        }
    }
    writeln!(out).ok();
    match &plan.choice {
        Choice::Held => writeln!(
            out,
            "Chosen: {} — the item already holds it; the open resumes there",
            plan.server.name
        ),
        Choice::Match => writeln!(
            out,
            "Chosen: {} ({})",
            plan.server.name,
            plan.server.configuration.as_deref().unwrap_or("")
        ),
        Choice::Closest(build) => writeln!(
            out,
            "No match; closest (distance: {}): {build}",
            distance_text(build.distance())
        ),
    }
    .ok();
    writeln!(
        out,
        "Pool: {} (from the {}); chain: {}",
        plan.pool.pool.name,
        plan.pool.source,
        plan.pool.explain()
    )
    .ok();
    writeln!(
        out,
        "Steps: {}",
        plan.steps
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" → ")
    )
    .ok();
    writeln!(out, "DCImanager requests made: {requests}").ok();
    out
}
