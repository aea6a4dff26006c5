//! File locks under BILLmanager's `tmp/`, the way BILLmanager's own modules serialise work
//! (`FileLock(tmp/...)`): one per location so two opens never judge the same stock at once, one
//! per item so BILLmanager's retry cannot run beside a run that is still going.
//!
//! The kernel drops a lock when its process dies, even by SIGKILL, so a killed run never leaves
//! a stale lock behind.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::paths::MgrRoot;
use crate::protocol::error::{ErrorKind, ModuleError};

/// Held until dropped.
#[derive(Debug)]
pub struct FileLock {
    _file: File,
    path: PathBuf,
}

impl FileLock {
    /// Waits for the lock of `name` (a file under `tmp/`).
    pub fn wait(root: &MgrRoot, name: &str) -> Result<FileLock> {
        let path = lock_path(root, name);
        let file = open(&path)?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        log::debug!("locked {}", path.display());
        Ok(FileLock { _file: file, path })
    }

    /// Takes the lock of `name` or fails at once, naming `what` holds it.
    pub fn try_take(root: &MgrRoot, name: &str, what: &str) -> Result<FileLock> {
        FileLock::take_if_free(root, name)?.ok_or_else(|| {
            ModuleError::new(
                ErrorKind::Busy,
                what,
                format!(
                    "another pmdci6 run is still working on {what} (lock {}); this run changes nothing and will be retried",
                    lock_path(root, name).display()
                ),
            )
            .into()
        })
    }

    /// Takes the lock of `name` if nobody holds it; `None` when another run does.
    pub fn take_if_free(root: &MgrRoot, name: &str) -> Result<Option<FileLock>> {
        let path = lock_path(root, name);
        let file = open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(FileLock { _file: file, path })),
            Err(TryLockError::WouldBlock) => Ok(None),
            Err(TryLockError::Error(err)) => {
                Err(err).with_context(|| format!("locking {}", path.display()))
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        log::debug!("unlocked {}", self.path.display());
    }
}

fn lock_path(root: &MgrRoot, name: &str) -> PathBuf {
    root.tmp_dir().join(format!("pmdci6-{name}.lock"))
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("opening lock file {}", path.display()))
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
