//! Every BILLmanager path the module uses, under one root.
//!
//! BILLmanager runs the module from `/usr/local/mgr5` and its own code uses paths relative to it;
//! the module resolves them against an explicit root instead, so that tests and an administrator
//! debugging on a copy can point the whole module elsewhere with one variable
//! (`PMDCI6_MGR_ROOT`).

use std::path::{Path, PathBuf};

/// The mgr5 directory: `/usr/local/mgr5`, or `$PMDCI6_MGR_ROOT` when set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MgrRoot {
    root: PathBuf,
}

impl MgrRoot {
    pub const DEFAULT: &'static str = "/usr/local/mgr5";
    pub const ENV: &'static str = "PMDCI6_MGR_ROOT";

    /// The root named by `PMDCI6_MGR_ROOT` (made absolute, since `mgrctl` runs with the root as
    /// its working directory), else [`MgrRoot::DEFAULT`].
    pub fn from_env() -> MgrRoot {
        match std::env::var_os(Self::ENV) {
            Some(dir) if !dir.is_empty() => {
                let dir = PathBuf::from(dir);
                MgrRoot::new(std::path::absolute(&dir).unwrap_or(dir))
            }
            _ => MgrRoot::new(Self::DEFAULT),
        }
    }

    pub fn new(root: impl Into<PathBuf>) -> MgrRoot {
        MgrRoot { root: root.into() }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// `sbin/mgrctl`, BILLmanager's command-line API client.
    pub fn mgrctl(&self) -> PathBuf {
        self.root.join("sbin/mgrctl")
    }

    /// `etc/debug.conf`: log levels per binary.
    pub fn debug_conf(&self) -> PathBuf {
        self.root.join("etc/debug.conf")
    }

    /// `etc/pmdci6-dcimanager.toml`: the administrator's entries of the DCImanager contract.
    pub fn dci_contract(&self) -> PathBuf {
        self.root.join("etc").join(crate::dci::contract::FILE_NAME)
    }

    /// `etc/billmgr.DoNothing`: while it exists, BILLmanager is in maintenance and modules must
    /// not act.
    pub fn do_nothing(&self) -> PathBuf {
        self.root.join("etc/billmgr.DoNothing")
    }

    /// `var/pmdci6.log`, next to BILLmanager's own logs.
    pub fn log_file(&self) -> PathBuf {
        self.var_dir().join("pmdci6.log")
    }

    pub fn var_dir(&self) -> PathBuf {
        self.root.join("var")
    }

    /// `tmp/`, where locks and caches live (as in ISPsystem's Python modules).
    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A path from BILLmanager's configuration (the `CryptKey`, ...): relative ones are relative
    /// to the root, as BILLmanager itself runs from there.
    pub fn resolve(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.root.join(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_under_the_root() {
        let root = MgrRoot::new("/opt/mgr");
        assert_eq!(root.mgrctl(), Path::new("/opt/mgr/sbin/mgrctl"));
        assert_eq!(root.debug_conf(), Path::new("/opt/mgr/etc/debug.conf"));
        assert_eq!(
            root.do_nothing(),
            Path::new("/opt/mgr/etc/billmgr.DoNothing")
        );
        assert_eq!(root.log_file(), Path::new("/opt/mgr/var/pmdci6.log"));
        assert_eq!(root.var_dir(), Path::new("/opt/mgr/var"));
        assert_eq!(root.tmp_dir(), Path::new("/opt/mgr/tmp"));
    }

    #[test]
    fn resolve_keeps_absolute_paths_and_roots_relative_ones() {
        let root = MgrRoot::new("/opt/mgr");
        assert_eq!(
            root.resolve("etc/billmgr.pem"),
            Path::new("/opt/mgr/etc/billmgr.pem")
        );
        assert_eq!(
            root.resolve("/etc/keys/b.pem"),
            Path::new("/etc/keys/b.pem")
        );
    }
}
