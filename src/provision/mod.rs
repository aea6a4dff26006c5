//! The pure core: decisions over plain data, no IO. Commands read the state, ask this module
//! what to do, and carry it out through `dci` and `billmgr`.
//!
//! - [`action`]: the table of what each command may do to an item, by type, module, status;
//! - [`order`]: what the order wants ([`order::Requirement`], IP counts) from tariff and addons;
//! - [`label`]: DCImanager configuration labels read into parts;
//! - [`availability`]: the seven rules, the compact census of a location's servers;
//! - [`matching`]: the available servers an order can take, best first;
//! - [`closest`]: the most similar server when none matches, and the build task text;
//! - [`pool`]: the IP pool chain;
//! - [`claim_plan`]: which server an open takes, with its pool, the one decision of the real
//!   open and of its dry run;
//! - [`ownership`]: owner and notes marks, the owner comparison, the release order, the
//!   close-in-progress rule, the guard of every command on an existing server;
//! - [`item_status`]: BILLmanager's status of a service;
//! - [`install`]: the OS install the open started, as recorded in the item;
//! - [`open_plan`], [`close_plan`], [`service_plan`], [`setparam_plan`]: the steps still to do,
//!   from the real state;
//! - [`server_state`]: facts about a server the plans share;
//! - [`drift`]: what differs between BILLmanager and DCImanager for a module's services;
//! - [`domain`]: the tariff's domain template filled for an order without a domain;
//! - [`ip_list`]: BILLmanager's IP list of a service kept equal to its server's addresses;
//! - [`import`]: which owned servers become services, and why the others do not;
//! - [`suitable`]: which of a tariff's processing modules should open an order.

pub mod action;
pub mod availability;
pub mod calendar;
pub mod claim_plan;
pub mod close_plan;
pub mod closest;
pub mod domain;
pub mod drift;
pub mod import;
pub mod install;
pub mod ip_list;
pub mod item_status;
pub mod label;
pub mod matching;
pub mod open_plan;
pub mod order;
pub mod ownership;
pub mod pool;
pub mod server_state;
pub mod service_plan;
pub mod setparam_plan;
pub mod suitable;
pub mod traffic;

#[cfg(test)]
mod testing;
