//! Taking a server out of stock for an order, safely against parallel opens.
//!
//! Under a lock per location (so two opens of this BILLmanager never judge the same stock at
//! once) the stock is surveyed and ranked; each candidate is then claimed by setting the owner,
//! which DCImanager refuses with 409 when someone else (another billing, staff) was faster, and
//! read back and judged again before it counts. The pool is chosen before a server is touched,
//! so a missing pool fails the order with nothing claimed.

use anyhow::{Context, Result};

use super::customer::ensure_user;
use super::network::PoolFacts;
use super::service::Billing;
use super::stock::Survey;
use crate::billmgr::lock::FileLock;
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::Server;
use crate::dci::client::{Client, is_conflict};
use crate::protocol::error::{ErrorKind, ModuleError};
use crate::provision::availability::{Candidate, verify_claim};
use crate::provision::closest::{BuildPlan, closest};
use crate::provision::matching::rank;
use crate::provision::order::Requirement;
use crate::provision::ownership::{Holder, ItemNote, item_note, owner_email};
use crate::provision::pool::Addresses;

/// The item param naming the server a claim is about to take, written before the owner is set:
/// a run killed between the owner and the notes leaves a server only this param can name.
pub const CLAIMING: &str = "claiming";

pub enum Claim {
    /// A server that matches the order, now the customer's.
    Matched(Server),
    /// No match: the closest server is reserved and staff must rebuild it.
    Reserved { server: Server, plan: BuildPlan },
}

impl Claim {
    pub fn server(&self) -> &Server {
        match self {
            Claim::Matched(server) | Claim::Reserved { server, .. } => server,
        }
    }
}

pub struct ClaimRequest<'a> {
    pub root: &'a MgrRoot,
    pub client: &'a Client,
    pub billing: &'a Billing,
    pub holder: &'a Holder,
    pub requirement: &'a Requirement,
    pub addresses: Addresses,
    pub ignore_errors: bool,
    pub allow_closest: bool,
}

pub fn claim(request: &ClaimRequest, pools: &mut PoolFacts) -> Result<Claim> {
    let location = pools.location.id;
    let _lock = FileLock::wait(request.root, &format!("location-{location}"))?;
    let survey = super::stock::survey(request.client, location, request.ignore_errors)?;
    let seed: u64 = rand::random();
    let ranking = rank(request.requirement, &survey.stock.available, seed);
    if !ranking.matches.is_empty() {
        let taken = take_first(request, pools, &survey, ranking.matches.iter().copied())?;
        return match taken {
            Some((server, _)) => Ok(Claim::Matched(server)),
            None => Err(no_server(
                request,
                location,
                format!(
                    "all {} matching servers were taken by other orders meanwhile",
                    ranking.matches.len()
                ),
            )),
        };
    }
    let refusals = refusals(&survey, ranking.mismatches.len());
    if !request.allow_closest {
        return Err(no_server(
            request,
            location,
            format!("{refusals}; closest configuration is off"),
        ));
    }
    let nearest = closest(request.requirement, &survey.stock.available, seed);
    if nearest.is_empty() {
        return Err(no_server(
            request,
            location,
            format!("{refusals}; no free server to rebuild either"),
        ));
    }
    match take_first(request, pools, &survey, nearest.iter().map(|c| c.candidate))? {
        Some((server, candidate)) => {
            let plan = BuildPlan::new(request.requirement, candidate);
            Ok(Claim::Reserved { server, plan })
        }
        None => Err(no_server(
            request,
            location,
            format!("{refusals}; the closest servers were taken meanwhile"),
        )),
    }
}

/// Why no available server matched, in numbers an administrator can check.
pub fn refusals(survey: &Survey, mismatched: usize) -> String {
    let rejected = survey.stock.rejected.len();
    let mut text = format!("{rejected} servers are not available");
    if rejected > 0 {
        text.push_str(&format!(" ({})", survey.stock.tally));
    }
    text.push_str(&format!(
        ", {mismatched} available servers have another configuration"
    ));
    text
}

fn no_server(request: &ClaimRequest, location: u64, why: String) -> anyhow::Error {
    ModuleError::new(
        ErrorKind::NoServer,
        format!("item {}", request.holder.item),
        format!(
            "no server in DCImanager location {location} for {}: {why}",
            request.requirement
        ),
    )
    .into()
}

/// Claims the first candidate that can be had; `None` when every one was lost to a race.
fn take_first<'c>(
    request: &ClaimRequest,
    pools: &mut PoolFacts,
    survey: &Survey,
    candidates: impl Iterator<Item = &'c Candidate>,
) -> Result<Option<(Server, &'c Candidate)>> {
    let client = request.client;
    let mut user = None;
    let mut without_pool = None;
    let mut with_pool = false;
    for candidate in candidates {
        // A server whose addresses cannot come from any pool is passed over before it is
        // touched; the order fails on it only when no candidate has a pool.
        if let Err(err) = pools.choose(
            client,
            &candidate.name,
            candidate.rack_id,
            request.addresses,
        ) {
            log::warn!("server {} is passed over: {err:#}", candidate.name);
            without_pool.get_or_insert(err);
            continue;
        }
        with_pool = true;
        let user_id = match user {
            Some(id) => id,
            None => *user.insert(ensure_user(client, &request.holder.email)?.id),
        };
        request.billing.save_param(
            request.holder.item,
            CLAIMING,
            &candidate.id.to_string(),
            false,
        )?;
        match client.set_owner(candidate.id, user_id) {
            Ok(()) => {}
            Err(err) if is_conflict(&err) => {
                log::info!(
                    "server {} was claimed by someone else first; trying the next",
                    candidate.name
                );
                continue;
            }
            Err(err) => {
                return Err(err).with_context(|| format!("claiming server {}", candidate.name));
            }
        }
        let note = item_note(request.holder.item);
        client.set_notes(candidate.id, &note).with_context(|| {
            format!(
                "marking server {} for item {}",
                candidate.name, request.holder.item
            )
        })?;
        let server = client
            .server(candidate.id)
            .with_context(|| format!("reading server {} back", candidate.name))?;
        match verify_claim(&server, request.holder, &survey.macs, request.ignore_errors) {
            Ok(_) => {
                request.billing.save_param(
                    request.holder.item,
                    "serverid",
                    &server.id.to_string(),
                    false,
                )?;
                log::info!(
                    "server {} (id {}) claimed for item {}",
                    server.name,
                    server.id,
                    request.holder.item
                );
                return Ok(Some((server, candidate)));
            }
            Err(lost) => {
                log::warn!(
                    "claim of server {} did not hold: {lost}; trying the next",
                    server.name
                );
                release_claim(client, &server, request.holder)?;
            }
        }
    }
    match without_pool {
        Some(err) if !with_pool => Err(err),
        _ => Ok(None),
    }
}

/// Undoes a claim that did not hold, touching only what is this item's.
fn release_claim(client: &Client, server: &Server, holder: &Holder) -> Result<()> {
    if ItemNote::read(&server.notes).is_some_and(|n| n.item == holder.item) {
        client.set_notes(server.id, "")?;
    }
    if owner_email(server).is_some_and(|e| e.eq_ignore_ascii_case(&holder.email)) {
        client.remove_owner(server.id)?;
    }
    Ok(())
}
