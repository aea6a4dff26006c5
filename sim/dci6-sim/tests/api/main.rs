//! The simulator over real HTTP: every call of the contract, its refusals, and fault injection.

mod actions;
mod auth;
mod binary;
mod common;
mod concurrency;
mod faults;
mod inventory;
mod lists;
mod openapi;
mod performance;
mod platform;
mod traffic;
