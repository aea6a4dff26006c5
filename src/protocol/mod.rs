//! BILLmanager's processing-module protocol: arguments in, XML out, error types.

pub mod args;
pub mod connection;
pub mod error;
pub mod features;
pub mod xml;
