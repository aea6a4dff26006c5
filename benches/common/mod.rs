//! What the benchmarks share.

use std::path::{Path, PathBuf};
use std::process::Command;

/// `mgrctl-stand-in` next to this benchmark's profile directory, built when missing.
pub fn ensure_stand_in_built() {
    let exe = std::env::current_exe().expect("the benchmark's path");
    let profile_dir: Option<PathBuf> = exe.parent().and_then(Path::parent).map(Path::to_path_buf);
    let Some(profile_dir) = profile_dir else {
        return;
    };
    if profile_dir.join("mgrctl-stand-in").is_file() {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "billmgr-stand-in",
            "--bin",
            "mgrctl-stand-in",
        ])
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building mgrctl-stand-in failed");
}
