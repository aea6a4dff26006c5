//! The effects the commands share, carried out against BILLmanager and DCImanager: what a
//! command does beyond its own steps, so that `commands/` holds one file per command.
//!
//! - [`service`]: the BILLmanager session (database, mgrctl, key) and a service loaded for a
//!   command, with its DCImanager client;
//! - [`session`]: the module's DCImanager location;
//! - [`held`]: the item's lock and the ownership guard of every command on a held server, and
//!   the dry run's plan document;
//! - [`order`]: what the order wants, read from BILLmanager, and its software resolved;
//! - [`stock`]: the location's stock surveyed in one paged pass;
//! - [`network`]: the pool facts, read once per run, and addresses given from the chosen pool;
//! - [`customer`]: the customer's DCImanager user;
//! - [`claim`]: taking a server out of stock as [`crate::provision::claim_plan`] decides,
//!   safely against parallel opens, and giving it back;
//! - [`explain`]: `open --dry-run`, the same decision shown;
//! - [`finish`]: the last step of an open;
//! - [`ip_list`]: BILLmanager's IP list of a service kept equal to its server's addresses;
//! - [`wait`]: waiting for a DCImanager operation.

pub mod claim;
pub mod customer;
pub mod explain;
pub mod finish;
pub mod held;
pub mod ip_list;
pub mod network;
pub mod order;
pub mod service;
pub mod session;
pub mod stock;
pub mod wait;
