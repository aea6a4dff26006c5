//! Taking a server out of stock for an order, safely against parallel opens.
//!
//! Under a lock per location (so two opens of this BILLmanager never judge the same stock at
//! once) the stock is surveyed and ranked; each candidate is then claimed by setting the owner,
//! which DCImanager refuses with 409 when someone else (another billing, staff) was faster, and
//! read back and judged again before it counts. Which servers to try, in which order and with
//! which pool, is [`crate::provision::claim_plan`]'s decision, the one the dry run shows; a
//! missing pool fails the order with nothing claimed.

use anyhow::{Context, Result};

use super::customer::ensure_user;
use super::network::{PoolFacts, no_pool};
use super::service::{Billing, Service};
use super::stock::Survey;
use crate::billmgr::lock::FileLock;
use crate::billmgr::paths::MgrRoot;
use crate::dci::api::Server;
use crate::dci::client::{Client, is_conflict, is_not_found};
use crate::protocol::error::{ErrorKind, ModuleError, fail};
use crate::provision::availability::{Stock, verify_claim};
use crate::provision::claim_plan::{
    ClaimInput, Decision, Planned, Ranked, rank_stock, waiting_for_rebuild,
};
use crate::provision::closest::BuildPlan;
use crate::provision::order::Requirement;
use crate::provision::ownership::{Holder, ReleaseStep, adoptable, item_note, release_steps};
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

impl ClaimRequest<'_> {
    fn input(&self) -> ClaimInput<'_> {
        ClaimInput {
            item: self.holder.item,
            requirement: self.requirement,
            addresses: self.addresses,
            allow_closest: self.allow_closest,
        }
    }
}

pub fn claim(request: &ClaimRequest, pools: &mut PoolFacts) -> Result<Claim> {
    let location = pools.location.id;
    let _lock = FileLock::wait(request.root, &format!("location-{location}"))?;
    let survey = super::stock::survey(request.client, location, request.ignore_errors)?;
    let input = request.input();
    let (_, decision) = decide(request.client, pools, &input, &survey.stock)?;
    let (closest, candidates, refusals) = match decision {
        Decision::NoServer { reason } => {
            return Err(no_server(&input, location, &reason));
        }
        Decision::NoPool { server, reason } => return Err(no_pool(&server, &reason)),
        Decision::Claim {
            closest,
            candidates,
            passed_over,
            refusals,
        } => {
            for (candidate, reason) in &passed_over {
                log::warn!("server {} is passed over: {reason}", candidate.name);
            }
            (closest, candidates, refusals)
        }
    };
    let tried = candidates.len();
    match take_first(request, &survey, candidates)? {
        Some((server, Planned { build: None, .. })) => Ok(Claim::Matched(server)),
        Some((
            server,
            Planned {
                build: Some(plan), ..
            },
        )) => Ok(Claim::Reserved { server, plan }),
        None if closest => Err(no_server(
            &input,
            location,
            &format!("{refusals}; the closest servers were taken meanwhile"),
        )),
        None => Err(no_server(
            &input,
            location,
            &format!("all {tried} matching servers were taken by other orders meanwhile"),
        )),
    }
}

/// The open's decision over the location's stock ([`crate::provision::claim_plan`]), with the
/// pool facts of the racks it needs read first; the real open and its dry run both take it here.
pub fn decide<'s>(
    client: &Client,
    pools: &mut PoolFacts,
    input: &ClaimInput,
    stock: &'s Stock,
) -> Result<(Ranked<'s>, Decision<'s>)> {
    let ranked = rank_stock(input, stock);
    let decision = match ranked.refused(input) {
        Some(refused) => refused,
        None => {
            let sources = pools.sources(client, ranked.racks(input))?;
            ranked.decide(input, &sources)
        }
    };
    Ok((ranked, decision))
}

/// The failure of an open that found no server to take.
pub fn no_server(input: &ClaimInput, location: u64, why: &str) -> anyhow::Error {
    ModuleError::new(
        ErrorKind::NoServer,
        format!("item {}", input.item),
        format!(
            "no server in DCImanager location {location} for {}: {why}",
            input.requirement
        ),
    )
    .into()
}

/// Claims the first candidate that can be had; `None` when every one was lost to a race.
fn take_first<'c>(
    request: &ClaimRequest,
    survey: &Survey,
    candidates: Vec<Planned<'c>>,
) -> Result<Option<(Server, Planned<'c>)>> {
    let client = request.client;
    let mut user = None;
    for planned in candidates {
        let candidate = planned.candidate;
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
                return Ok(Some((server, planned)));
            }
            Err(lost) => {
                log::warn!(
                    "claim of server {} did not hold: {lost}; trying the next",
                    server.name
                );
                release(client, &server, request.holder)?;
            }
        }
    }
    Ok(None)
}

/// Gives back what of `server` is the item's, in [`release_steps`]' order; every step
/// tolerates being done already, so a release killed midway is finished by the next run.
pub fn release(client: &Client, server: &Server, holder: &Holder) -> Result<()> {
    for step in release_steps(server, holder) {
        match step {
            ReleaseStep::RemoveOwner => already_done(client.remove_owner(server.id))
                .with_context(|| format!("removing the owner of server {}", server.name))?,
            ReleaseStep::ClearNotes => client
                .set_notes(server.id, "")
                .with_context(|| format!("clearing the notes of server {}", server.name))?,
        }
    }
    Ok(())
}

/// A change DCImanager refuses because it is already so (404: gone, 409: not set) is done.
pub fn already_done(result: Result<()>) -> Result<()> {
    match result {
        Err(err) if is_not_found(&err) || is_conflict(&err) => {
            log::info!("already done: {err:#}");
            Ok(())
        }
        other => other,
    }
}

/// The server the item holds: saved in `serverid`, marked in its notes, or left by a claim that
/// was killed between setting the owner and writing the notes. The claim records the server it
/// is about to take in the item param `claiming` first, so the retry adopts exactly that server,
/// and only while it is this customer's with empty notes.
pub fn held_server(client: &Client, service: &Service, holder: &Holder) -> Result<Option<Server>> {
    if let Some(server) = service.find_server(client)? {
        return Ok(Some(server));
    }
    let Some(id) = service
        .params
        .get(CLAIMING)
        .and_then(|v| v.trim().parse::<u64>().ok())
    else {
        return Ok(None);
    };
    let server = match client.server(id) {
        Ok(server) => server,
        Err(err) if is_not_found(&err) => return Ok(None),
        Err(err) => {
            return Err(err)
                .with_context(|| format!("reading server {id} of an interrupted claim"));
        }
    };
    if adoptable(&server, holder) {
        log::warn!(
            "server {} was claimed for item {} by a run that stopped before marking it: adopting it",
            server.name,
            holder.item
        );
        return Ok(Some(server));
    }
    Ok(None)
}

/// A server reserved by a closest match stays reserved until staff have rebuilt it to the
/// order ([`waiting_for_rebuild`]); the open then finishes on the next run.
pub fn check_rebuilt(server: &Server, requirement: &Requirement, item: u64) -> Result<()> {
    match waiting_for_rebuild(server, requirement) {
        None => Ok(()),
        Some(why) => fail(
            ErrorKind::NoServer,
            format!("server {}", server.name),
            format!(
                "server {} is reserved for item {item} and waits for staff to rebuild it to {requirement} ({why}); the open finishes once it matches",
                server.name
            ),
        ),
    }
}
