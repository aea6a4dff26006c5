//! BILLmanager stand-in for pmdci6's tests and demo: a private MariaDB server with BILLmanager's
//! tables ([`MariaDb`], [`TestDb`] and its fixtures), a temporary mgr5 root ([`Mgr5Root`]) whose
//! `sbin/mgrctl` runs the `mgrctl-stand-in` binary, which applies the module's callbacks to the
//! database the way BILLmanager does and records each call ([`MgrctlCall`]).
//!
//! A test:
//! ```no_run
//! use billmgr_stand_in::{AddonSpec, Mgr5Root, TestDb, item_status};
//! # fn main() -> anyhow::Result<()> {
//! let db = TestDb::new("open_picks_a_server")?;
//! let module = db.add_module("DCI", &[("url", "http://127.0.0.1:1")], &[("password", "secret")])?;
//! let account = db.add_account("client@example.com")?;
//! let tariff = db.add_tariff("manual", &[AddonSpec::integer("ram", "gb"), AddonSpec::integer("ip", "unit")])?;
//! let item = db.add_item(module, account, tariff, item_status::ORDERED, &[("ram", "64"), ("ip", "1")], &[("ostempl", "Debian 12")])?;
//! let root = Mgr5Root::create(&db)?;
//! // run pmdci6 with root.env() ..., then:
//! assert_eq!(db.item_status(item)?, item_status::ACTIVE);
//! assert_eq!(root.mgrctl_calls_of("service.postopen")?.len(), 1);
//! # Ok(()) }
//! ```

mod fixtures;
mod key;
mod mariadb;
mod mgrctl;
mod root;
mod store;

pub use fixtures::{
    AddonKind, AddonSpec, IpRow, ItemRow, ParamValueRow, ProblemRow, RunningOperationRow, TaskRow,
    item_status,
};
pub use mariadb::{DB_PASSWORD, DB_USER, MariaDb, TestDb};
pub use mgrctl::{MgrctlCall, main as mgrctl_main};
pub use root::Mgr5Root;

/// The variable that names the `pmdci6` binary the tests, the demo and the benchmarks run instead
/// of the one cargo built for them: `scripts/test` points it at the static release binary the
/// packages ship (`target/x86_64-unknown-linux-musl/release/pmdci6`).
pub const PMDCI6_BINARY_ENV: &str = "PMDCI6_BINARY";

/// The `pmdci6` binary to run: `$PMDCI6_BINARY` when set and not empty, else `built` (the
/// caller's `env!("CARGO_BIN_EXE_pmdci6")` or the binary beside it).
pub fn pmdci6_binary(built: impl Into<std::path::PathBuf>) -> std::path::PathBuf {
    match std::env::var_os(PMDCI6_BINARY_ENV) {
        Some(path) if !path.is_empty() => std::path::PathBuf::from(path),
        _ => built.into(),
    }
}

/// The PEM (PKCS#1) of the process's crypt key: what every [`Mgr5Root`] holds as
/// `etc/billmgr.pem`, and what encrypts the crypted params of the fixtures.
pub fn crypt_key_pem() -> anyhow::Result<String> {
    key::to_pem(key::process_key()?)
}
