//! A temporary mgr5 root for one test: what the module finds under `/usr/local/mgr5`
//! (`etc/debug.conf`, `etc/billmgr.pem`, `var/`, `tmp/`, `sbin/mgrctl`), with `sbin/mgrctl`
//! running the stand-in against the test's database.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::key;
use crate::mariadb::{TestDb, unique_dir};
use crate::mgrctl::{CALL_LOG, CONFIG_FILE, CRYPT_KEY, FAIL_NEXT, MgrctlCall, StandInConfig};

/// The binary `sbin/mgrctl` runs.
const STAND_IN_BINARY: &str = "mgrctl-stand-in";

/// Set (to anything) to keep mgr5 roots after the test, for a look at logs and call logs.
const KEEP_ENV: &str = "PMDCI6_KEEP_TEST_ROOT";

/// A temporary mgr5 root, removed when dropped (or with the MariaDB server's directory, which
/// holds it, when the test process dies).
#[derive(Debug)]
pub struct Mgr5Root {
    dir: PathBuf,
}

impl Mgr5Root {
    /// A root whose `mgrctl` works on `db`: debug level 9, the process's crypt key, no
    /// maintenance mode.
    pub fn create(db: &TestDb) -> Result<Mgr5Root> {
        let binary = stand_in_binary()?;
        // A kept root must outlive the server's directory.
        let parent = if keep_roots() {
            std::env::temp_dir()
        } else {
            db.scratch_dir().to_path_buf()
        };
        let root = Mgr5Root {
            dir: unique_dir(&parent, "mgr5")?,
        };
        for sub in ["etc", "var", "tmp", "sbin"] {
            let dir = root.dir.join(sub);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        root.set_debug_level(9)?;

        let key_file = root.dir.join(CRYPT_KEY);
        write(&key_file, &key::to_pem(key::process_key()?)?)?;
        set_mode(&key_file, 0o600)?;

        let config = StandInConfig {
            socket: db.socket().to_path_buf(),
            user: db.user().to_owned(),
            password: db.password().to_owned(),
            database: db.name().to_owned(),
        };
        let config =
            serde_json::to_string_pretty(&config).context("encoding the stand-in config")?;
        write(&root.dir.join(CONFIG_FILE), &config)?;

        let script = format!(
            "#!/bin/sh\n# BILLmanager stand-in for pmdci6's tests.\nexec {} --root {} \"$@\"\n",
            sh_quote(&binary.to_string_lossy()),
            sh_quote(&root.dir.to_string_lossy())
        );
        let mgrctl = root.mgrctl();
        write(&mgrctl, &script)?;
        set_mode(&mgrctl, 0o755)?;
        Ok(root)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// The environment that points the module at this root.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![(
            "PMDCI6_MGR_ROOT".to_owned(),
            self.dir.to_string_lossy().into_owned(),
        )]
    }

    /// `sbin/mgrctl`.
    pub fn mgrctl(&self) -> PathBuf {
        self.dir.join("sbin/mgrctl")
    }

    /// Creates or removes `etc/billmgr.DoNothing` (BILLmanager's maintenance mode).
    pub fn set_do_nothing(&self, on: bool) -> Result<()> {
        let path = self.dir.join("etc/billmgr.DoNothing");
        if on {
            write(&path, "")
        } else if path.exists() {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))
        } else {
            Ok(())
        }
    }

    /// Writes `etc/debug.conf` with `pmdci6 <level>`.
    pub fn set_debug_level(&self, level: u32) -> Result<()> {
        write(
            &self.dir.join("etc/debug.conf"),
            &format!("pmdci6 {level}\n"),
        )
    }

    /// Every `mgrctl` call so far, in order.
    pub fn mgrctl_calls(&self) -> Result<Vec<MgrctlCall>> {
        let path = self.dir.join(CALL_LOG);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
        };
        text.lines()
            .map(|line| {
                serde_json::from_str(line)
                    .with_context(|| format!("parsing {line:?} in {}", path.display()))
            })
            .collect()
    }

    /// The calls of one function, in order.
    pub fn mgrctl_calls_of(&self, func: &str) -> Result<Vec<MgrctlCall>> {
        Ok(self
            .mgrctl_calls()?
            .into_iter()
            .filter(|call| call.func == func)
            .collect())
    }

    /// The next call of `func` answers an error (once per mark; marks add up).
    pub fn fail_next(&self, func: &str) -> Result<()> {
        let path = self.dir.join(FAIL_NEXT);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(func);
        text.push('\n');
        write(&path, &text)
    }

    /// `value` crypted with this root's key, as BILLmanager stores crypted params.
    pub fn encrypt(&self, value: &str) -> Result<String> {
        key::encrypt(&key::load(&self.dir.join(CRYPT_KEY))?, value)
    }

    /// The module's log, `var/pmdci6.log` (empty when it has not logged yet).
    pub fn module_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("var/pmdci6.log")).unwrap_or_default()
    }

    /// Params of the last call of `func`, handy for one-call assertions.
    pub fn last_call_params(&self, func: &str) -> Result<BTreeMap<String, String>> {
        self.mgrctl_calls_of(func)?
            .pop()
            .map(|call| call.params)
            .with_context(|| format!("mgrctl {func} was never called"))
    }
}

impl Drop for Mgr5Root {
    fn drop(&mut self) {
        if keep_roots() {
            eprintln!("keeping mgr5 root {}", self.dir.display());
        } else {
            // Best effort: a leftover temp dir must not fail a test.
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn keep_roots() -> bool {
    std::env::var_os(KEEP_ENV).is_some()
}

/// `target/<profile>/mgrctl-stand-in`, found from the running test executable
/// (`target/<profile>/deps/<test>-<hash>`).
fn stand_in_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("locating the test executable")?;
    if let Some(found) = exe
        .ancestors()
        .skip(1)
        .take(3)
        .map(|dir| dir.join(STAND_IN_BINARY))
        .find(|candidate| candidate.is_file())
    {
        return Ok(found);
    }
    bail!(
        "{STAND_IN_BINARY} is not built next to {}: run `cargo build --workspace` (or `cargo build -p billmgr-stand-in`) first",
        exe.display()
    )
}

fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_quote_survives_single_quotes() {
        assert_eq!(sh_quote("/tmp/a b'c"), r"'/tmp/a b'\''c'");
    }
}
