//! DCImanager 6: the contract (routes and types) and the blocking client.

pub mod address;
pub mod api;
pub mod calls;
pub mod client;
pub mod filter;
pub mod token_cache;

#[cfg(test)]
mod test_peer;
