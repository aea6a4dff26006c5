//! DCImanager 6: the contract (routes and types) and the blocking client.

pub mod api;
pub mod client;
