//! DCImanager 6: the contract (a data file, and the adapter that reads and writes through it),
//! the module's read model, and the blocking client.

pub mod adapter;
pub mod address;
pub mod api;
pub mod calls;
pub mod client;
pub mod contract;
pub mod filter;
pub mod token_cache;

#[cfg(test)]
mod test_peer;
