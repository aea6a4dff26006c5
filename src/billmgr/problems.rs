//! BILLmanager's dashboard problem `processingmodule_connect`: DCImanager refuses the module's
//! login or cannot be reached. ISPsystem's C++ base registers it with `problems.register` on
//! such an error; pmdci6 does so once per outage (a marker `var/pmdci6-<module>.problem`
//! remembers it, so a failing cron of sync_item does not register it on every run) and clears it
//! when a later run's session is accepted. The running operation keeps its own error as before.
//!
//! Clearing uses `problems.resolve name=.. id=.. sok=ok`: ISPsystem's examples never clear a
//! problem, so that name is this module's reading, and a BILLmanager that refuses it only gets
//! a warning in the log. Neither call ever fails the command it follows.

use std::path::PathBuf;

use super::mgrctl::Mgrctl;
use super::paths::MgrRoot;

/// The problem's name, as in ISPsystem's `defines.h`.
pub const CONNECT: &str = "processingmodule_connect";

fn marker(root: &MgrRoot, module: u64) -> PathBuf {
    root.var_dir().join(format!("pmdci6-{module}.problem"))
}

/// Registers the problem for `module` unless it is registered already. `message` must be
/// free of secrets (it is shown on the dashboard).
pub fn register(root: &MgrRoot, module: u64, name: &str, message: &str) {
    let marker = marker(root, module);
    if marker.exists() {
        log::info!(
            "the connection problem of module {module} is on BILLmanager's dashboard already"
        );
        return;
    }
    let id = module.to_string();
    let registered = Mgrctl::new(root).call(
        "problems.register",
        &[
            ("name", CONNECT),
            ("id", &id),
            ("param_pm_name", name),
            ("param_pm_id", &id),
            ("param_errormsg", message),
            ("sok", "ok"),
            ("level", "error"),
        ],
    );
    match registered {
        Ok(_) => {
            log::warn!(
                "module {module}: DCImanager connection problem registered on BILLmanager's dashboard"
            );
            if let Err(err) = std::fs::write(&marker, message) {
                log::warn!(
                    "cannot write {}: {err}; the problem may be registered again",
                    marker.display()
                );
            }
        }
        Err(err) => {
            log::error!("could not register the connection problem of module {module}: {err:#}")
        }
    }
}

/// Clears the problem of `module` if this module registered it.
pub fn clear(root: &MgrRoot, module: u64) {
    let marker = marker(root, module);
    if !marker.exists() {
        return;
    }
    let id = module.to_string();
    // The marker goes whatever BILLmanager answers: a refused clear is retried by nobody, and a
    // later outage must be registered again.
    if let Err(err) = std::fs::remove_file(&marker) {
        log::warn!("cannot remove {}: {err}", marker.display());
    }
    match Mgrctl::new(root).call(
        "problems.resolve",
        &[("name", CONNECT), ("id", &id), ("sok", "ok")],
    ) {
        Ok(_) => log::info!(
            "module {module}: DCImanager answers again; the connection problem is cleared"
        ),
        Err(err) => log::warn!(
            "could not clear the connection problem of module {module} (problems.resolve): {err:#}"
        ),
    }
}
