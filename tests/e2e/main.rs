//! End-to-end tests: the real `pmdci6` binary against the DCImanager simulator, the
//! BILLmanager stand-in and a private MariaDB (started once for this whole test binary, one
//! database per test).

mod world;
mod xml;

mod action;
mod close;
mod controlpanel;
mod debug_conf;
mod dialects;
mod domain;
mod explain;
mod import;
mod ip_list;
mod lifecycle;
mod maintenance;
mod open;
mod problems;
mod progress;
mod protocol;
mod report;
mod running_error;
mod server_config;
mod setparam;
mod stat;
mod suitable;
mod sync;
mod tune;
