//! One file per command, thin: read state, ask `provision`, act, report.

pub mod check_connection;
pub mod session;
