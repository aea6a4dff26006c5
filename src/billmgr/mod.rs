//! BILLmanager: paths under the mgr5 root, the log, the database (reads), `mgrctl` (writes),
//! and decryption of crypted params.

pub mod crypto;
pub mod db;
pub mod lock;
pub mod logging;
pub mod mgrctl;
pub mod paths;
pub mod problems;
