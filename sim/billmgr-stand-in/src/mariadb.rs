//! A private MariaDB server for the tests of one process, and a fresh database with BILLmanager's
//! tables for each test.
//!
//! The server runs from the installed binaries with its data and socket in a temporary
//! directory, without networking, and with a real user whose password holds awkward characters,
//! as the module must log in the way it does in production. It must never outlive the test
//! process, even one killed by SIGKILL (static values are never dropped), so a small `sh` guard
//! holds the other end of a pipe from the test process: when the pipe closes, whatever the
//! reason, the guard stops the server and removes the directory.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

/// BILLmanager's tables (spec §4) and the rows every installation has.
const SCHEMA: &str = include_str!("schema.sql");

/// The user the module and the stand-in log in as.
pub const DB_USER: &str = "pmdci6";
/// Its password: quotes, backslash, space, URL and shell specials, non-ASCII.
pub const DB_PASSWORD: &str = "p@ss'w\"d \\:;#%&=/?é";

const SERVER_NAMES: [&str; 2] = ["mariadbd", "mysqld"];
const INSTALL_NAMES: [&str; 2] = ["mariadb-install-db", "mysql_install_db"];
const SEARCH_DIRS: [&str; 4] = ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"];
const STARTUP_LIMIT: Duration = Duration::from_secs(60);

/// Stops what runs in the directory and removes it once stdin closes. Each line on stdin is
/// the pid of a process group to stop: `mariadb-install-db` (with the bootstrap server it
/// starts), then the server.
const GUARD_SCRIPT: &str = r#"
dir=$1
pids=
while read -r pid; do pids="$pids $pid"; done
for pid in $pids; do kill -TERM -"$pid" 2>/dev/null; done
for pid in $pids; do
    i=0
    while kill -0 -"$pid" 2>/dev/null && [ "$i" -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL -"$pid" 2>/dev/null
done
rm -rf "$dir"
"#;

/// The process's MariaDB server.
pub struct MariaDb {
    dir: PathBuf,
    socket: PathBuf,
    /// Held open for the life of the process; its closing is the guard's signal.
    _guard_stdin: Mutex<ChildStdin>,
    _server: Mutex<Child>,
    counter: AtomicU64,
}

impl MariaDb {
    /// The server of this process, started on first use (a few seconds).
    pub fn shared() -> Result<&'static MariaDb> {
        static SHARED: OnceLock<Result<MariaDb, String>> = OnceLock::new();
        SHARED
            .get_or_init(|| MariaDb::start().map_err(|err| format!("{err:#}")))
            .as_ref()
            .map_err(|err| anyhow!("starting the test MariaDB server: {err}"))
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The temporary directory holding the data, the socket and `error.log`.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new database with BILLmanager's tables, named after `hint` and unique in the process.
    pub fn create_database(&'static self, hint: &str) -> Result<TestDb> {
        let number = self.counter.fetch_add(1, Ordering::Relaxed);
        let clean: String = hint
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .take(40)
            .collect();
        let name = format!("billmgr_{clean}_{number}");
        let mut admin = self.connect(None)?;
        admin
            .query_drop(format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4"))
            .with_context(|| format!("creating database {name}"))?;
        let mut conn = self.connect(Some(&name))?;
        conn.query_drop(SCHEMA)
            .with_context(|| format!("creating BILLmanager's tables in {name}"))?;
        Ok(TestDb {
            name,
            socket: self.socket.clone(),
            scratch: self.dir.clone(),
            conn: Mutex::new(conn),
        })
    }

    fn connect(&self, db: Option<&str>) -> Result<Conn> {
        Conn::new(connect_opts(&self.socket, db))
            .with_context(|| format!("connecting to MariaDB at {}", self.socket.display()))
    }

    fn start() -> Result<MariaDb> {
        let server = find_binary(&SERVER_NAMES)?;
        let install = find_binary(&INSTALL_NAMES)?;
        let dir = unique_dir(&std::env::temp_dir(), "mariadb")?;
        // The guard first: from here on the directory goes away with the process.
        let mut guard = Command::new("sh")
            .args(["-c", GUARD_SCRIPT, "sh"])
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Own process group: Ctrl-C on the test run must not kill the guard before it
            // cleans up.
            .process_group(0)
            .spawn()
            .context("starting the sh guard of the test MariaDB server")?;
        let mut guard_stdin = guard.stdin.take().context("no stdin pipe to the guard")?;

        let data = dir.join("data");
        let user_arg = is_root().then_some("--user=root");
        let installer = Command::new(&install)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ])
            .args(user_arg)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .with_context(|| format!("running {}", install.display()))?;
        writeln!(guard_stdin, "{}", installer.id())
            .context("telling the guard the installer's pid")?;
        let output = installer
            .wait_with_output()
            .with_context(|| format!("running {}", install.display()))?;
        if !output.status.success() {
            bail!(
                "{} failed ({}):\n{}{}",
                install.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }

        let socket = dir.join("mysql.sock");
        let error_log = dir.join("error.log");
        let mut child = Command::new(&server)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", socket.display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--log-error={}", error_log.display()))
            .args([
                "--skip-networking",
                "--skip-name-resolve",
                "--skip-log-bin",
                "--character-set-server=utf8mb4",
                "--innodb-buffer-pool-size=32M",
                "--innodb-flush-log-at-trx-commit=0",
                "--max-connections=500",
            ])
            .args(user_arg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?;
        writeln!(guard_stdin, "{}", child.id()).context("telling the guard the server's pid")?;

        let started = Instant::now();
        let mut admin = loop {
            if let Some(status) = child.try_wait().context("watching the MariaDB server")? {
                bail!(
                    "{} exited ({status}):\n{}",
                    server.display(),
                    read_tail(&error_log)
                );
            }
            if socket.exists()
                && let Ok(conn) = Conn::new(admin_opts(&socket))
            {
                break conn;
            }
            if started.elapsed() > STARTUP_LIMIT {
                bail!(
                    "{} did not accept connections within {STARTUP_LIMIT:?}:\n{}",
                    server.display(),
                    read_tail(&error_log)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        admin
            .query_drop(format!(
                "CREATE USER '{DB_USER}'@'localhost' IDENTIFIED BY {}",
                sql_string(DB_PASSWORD)
            ))
            .and_then(|()| {
                admin.query_drop(format!(
                    "GRANT ALL PRIVILEGES ON *.* TO '{DB_USER}'@'localhost'"
                ))
            })
            .context("creating the module's database user")?;
        Ok(MariaDb {
            dir,
            socket,
            _guard_stdin: Mutex::new(guard_stdin),
            _server: Mutex::new(child),
            counter: AtomicU64::new(1),
        })
    }
}

/// A database of the shared server with BILLmanager's tables, for one test. Fixtures and
/// readers are in [`crate::fixtures`].
pub struct TestDb {
    name: String,
    socket: PathBuf,
    /// The server's directory, where mgr5 roots go so that the guard removes them too.
    scratch: PathBuf,
    conn: Mutex<Conn>,
}

impl TestDb {
    /// A new database on the shared server.
    pub fn new(hint: &str) -> Result<TestDb> {
        MariaDb::shared()?.create_database(hint)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    pub fn user(&self) -> &str {
        DB_USER
    }

    pub fn password(&self) -> &str {
        DB_PASSWORD
    }

    pub(crate) fn scratch_dir(&self) -> &Path {
        &self.scratch
    }

    /// The test's own connection, for queries the fixtures do not cover.
    pub fn conn(&self) -> MutexGuard<'_, Conn> {
        self.conn
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Options to log in as the module's user over the socket, set one by one (no URL: the password
/// holds characters a URL would mangle).
pub fn connect_opts(socket: &Path, db: Option<&str>) -> OptsBuilder {
    OptsBuilder::new()
        .socket(Some(socket.to_string_lossy()))
        .user(Some(DB_USER))
        .pass(Some(DB_PASSWORD))
        .db_name(db)
}

/// Root logs in over the socket with an empty password (`--auth-root-authentication-method=normal`).
fn admin_opts(socket: &Path) -> OptsBuilder {
    OptsBuilder::new()
        .socket(Some(socket.to_string_lossy()))
        .user(Some("root"))
        .pass(Some(""))
}

/// A single-quoted SQL string literal (for statements that take no placeholders).
fn sql_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn find_binary(names: &[&str]) -> Result<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    dirs.extend(SEARCH_DIRS.iter().map(PathBuf::from));
    names
        .iter()
        .flat_map(|name| dirs.iter().map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            anyhow!(
                "the MariaDB server is not installed (none of {} in PATH or {}): run scripts/setup-test-deps",
                names.join(", "),
                SEARCH_DIRS.join(", ")
            )
        })
}

/// mariadbd refuses to run as root unless told `--user=root`.
fn is_root() -> bool {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// A new directory under `parent`, unique to this process and call.
pub(crate) fn unique_dir(parent: &Path, kind: &str) -> Result<PathBuf> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let dir = parent.join(format!(
        "pmdci6-{kind}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(dir)
}

fn read_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_string_escapes_quotes_and_backslashes() {
        assert_eq!(sql_string(r#"a'b\c"d"#), r#"'a\'b\\c"d'"#);
    }
}
