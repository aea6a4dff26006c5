//! The module's log, the way BILLmanager writes its own: `var/pmdci6.log`, one line per record
//! (`Mon D HH:MM:SS [pid] pmdci6 LEVEL message`), verbosity from `etc/debug.conf` in the forms
//! COREmanager documents (`pmdci6 N`, `pmdci6.* N`, `pmdci6.<part> N`, `* N`).
//!
//! stdout is BILLmanager's protocol channel, so when the log file cannot be opened the log goes
//! to stderr, never stdout. Every line passes through [`redact`] before it is written: whoever
//! learns a secret (a password read from the database, a token from DCImanager) registers it
//! with [`register_secret`], so a secret that slips into a message by mistake is still masked.

use std::collections::VecDeque;
use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use env_logger::{Builder, Logger, Target};
use log::{Level, LevelFilter};

use super::paths::MgrRoot;
use crate::provision::calendar::Day;

/// The module's name in log lines and in `debug.conf`.
const NAME: &str = "pmdci6";

/// BILLmanager's default level, 6 ("extinfo"), when `debug.conf` sets none for the module.
const DEFAULT_LEVEL: u32 = 6;

/// Secrets are at least this long; shorter values would mask ordinary words and numbers.
const MIN_SECRET_LEN: usize = 4;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// The lines this run wrote, newest last, for the error BILLmanager keeps on the running
/// operation (ISPsystem's base attaches the log's last 100 lines, so staff see why without
/// opening the log).
static TAIL: Mutex<VecDeque<String>> = Mutex::new(VecDeque::new());

/// At most this many lines, and this many bytes, are kept for [`tail`]: the error travels to
/// BILLmanager as one `mgrctl` argument.
const TAIL_LINES: usize = 100;
const TAIL_BYTES: usize = 32 * 1024;

/// The parts of the module a `debug.conf` line `pmdci6.<part> N` can name, with the code each
/// covers (a log record's target starts with one of them). `plan` is what the module decides
/// and does step by step: the commands and their shared effects (every step of a plan is logged
/// there) and the pure core.
/// Code in none of them (the command line and the run's start and end, locks, the key, the log
/// itself) logs at the module's level.
pub const PARTS: &[(&str, &[&str])] = &[
    ("dci", &["pmdci6::dci"]),
    ("mgrctl", &["pmdci6::billmgr::mgrctl"]),
    ("db", &["pmdci6::billmgr::db"]),
    (
        "plan",
        &["pmdci6::commands", "pmdci6::effects", "pmdci6::provision"],
    ),
];

/// Installs the logger for the whole process. Messages from other crates (HTTP, MySQL) are kept
/// at warnings and above whatever `debug.conf` says: their debug output may carry request bodies.
pub fn init(root: &MgrRoot) {
    let (logger, level, log_file_error, unknown_parts) = build(root);
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level);
    }
    if let Some(err) = log_file_error {
        log::warn!(
            "cannot open {}: {err}; logging to stderr",
            root.log_file().display()
        );
    }
    for line in unknown_parts {
        log::warn!(
            "etc/debug.conf: '{line}' names no part of pmdci6 (parts: {}); the line is ignored",
            PARTS
                .iter()
                .map(|(part, _)| *part)
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}

/// The logger for `root`, its most verbose level, why the log file could not be opened (if so)
/// and the `debug.conf` lines naming a part the module does not have.
fn build(root: &MgrRoot) -> (Logger, LevelFilter, Option<std::io::Error>, Vec<String>) {
    let levels = std::fs::read_to_string(root.debug_conf())
        .map(|text| levels_from_debug_conf(&text))
        .unwrap_or_default();
    let (target, log_file_error) = match OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.log_file())
    {
        Ok(file) => (Target::Pipe(Box::new(file)), None),
        Err(err) => (Target::Stderr, Some(err)),
    };
    let mut builder = Builder::new();
    builder
        .filter_level(levels.module.min(LevelFilter::Warn))
        .filter_module(NAME, levels.module);
    for (target, level) in &levels.parts {
        builder.filter_module(target, *level);
    }
    let logger = builder
        .target(target)
        .format(|buf, record| {
            let line = format_line(
                SystemTime::now(),
                std::process::id(),
                record.level(),
                &record.args().to_string(),
            );
            keep_in_tail(&line);
            buf.write_all(line.as_bytes())
        })
        .build();
    let max = levels
        .parts
        .iter()
        .map(|(_, level)| *level)
        .fold(levels.module, std::cmp::max);
    (logger, max, log_file_error, levels.unknown_parts)
}

/// Adds a value to mask in every log line from now on (values shorter than 4 characters are
/// ignored: masking them would garble the log without protecting anything).
pub fn register_secret(secret: &str) {
    if secret.chars().count() < MIN_SECRET_LEN {
        return;
    }
    let mut secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !secrets.iter().any(|known| known == secret) {
        secrets.push(secret.to_owned());
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
}

fn keep_in_tail(line: &str) {
    let mut tail = TAIL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tail.push_back(line.to_owned());
    while tail.len() > TAIL_LINES {
        tail.pop_front();
    }
}

/// The last lines this run wrote to the log (at most 100, at most 32 KiB, whole lines), masked
/// again so that a secret learned after a line was written is hidden too.
pub fn tail() -> String {
    let tail = TAIL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut size = 0;
    let kept = tail
        .iter()
        .rev()
        .take_while(|line| {
            size += line.len();
            size <= TAIL_BYTES
        })
        .count();
    let text: String = tail
        .iter()
        .skip(tail.len() - kept)
        .map(String::as_str)
        .collect();
    redact(&text)
}

/// `text` with every registered secret replaced by `***`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.iter().fold(text.to_owned(), |text, secret| {
        text.replace(secret.as_str(), "***")
    })
}

/// The levels `debug.conf` sets for the module, read as COREmanager reads it: lines
/// `<log>[.<part>] <level> [conditions]`.
#[derive(Debug, PartialEq)]
struct Levels {
    /// From `pmdci6 N` or `pmdci6.* N`, else `* N` (the web UI's "All modules"), else 6.
    module: LevelFilter,
    /// From `pmdci6.<part> N`: the targets of [`PARTS`] with their own level.
    parts: Vec<(&'static str, LevelFilter)>,
    /// Lines `pmdci6.<part> N` whose part the module does not have.
    unknown_parts: Vec<String>,
}

impl Default for Levels {
    fn default() -> Self {
        levels_from_debug_conf("")
    }
}

/// The most specific line wins (a part over the module over `*`); among lines of the same
/// reach the last one does. Lines for other programs, `SET` lines, comments and lines without
/// a numeric level are ignored; conditions after the level are not evaluated (the level then
/// applies to every record, which only logs more).
fn levels_from_debug_conf(text: &str) -> Levels {
    let mut all = None;
    let mut module = None;
    let mut parts: Vec<(&'static str, u32)> = Vec::new();
    let mut unknown_parts = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(name), Some(Ok(level))) = (words.next(), words.next().map(str::parse::<u32>))
        else {
            continue;
        };
        if name == "*" {
            all = Some(level);
        } else if name == NAME || name == format!("{NAME}.*") {
            module = Some(level);
        } else if let Some(part) = name.strip_prefix(NAME).and_then(|n| n.strip_prefix('.')) {
            match PARTS.iter().find(|(known, _)| *known == part) {
                Some((_, targets)) => {
                    parts.retain(|(t, _)| !targets.contains(t));
                    parts.extend(targets.iter().map(|target| (*target, level)));
                }
                None => unknown_parts.push(line.trim().to_string()),
            }
        }
    }
    Levels {
        module: bill_level(module.or(all).unwrap_or(DEFAULT_LEVEL)),
        parts: parts
            .into_iter()
            .map(|(target, level)| (target, bill_level(level)))
            .collect(),
        unknown_parts,
    }
}

/// BILLmanager's numeric levels (9 debug, 6 extinfo, 5 info, 4 warning, 3 error, 2 critical)
/// as `log` levels; 7 and 8 have no name in BILLmanager and count as debug without trace.
fn bill_level(level: u32) -> LevelFilter {
    match level {
        9.. => LevelFilter::Trace,
        7 | 8 => LevelFilter::Debug,
        5 | 6 => LevelFilter::Info,
        4 => LevelFilter::Warn,
        _ => LevelFilter::Error,
    }
}

/// One log line, newline included, secrets masked. The time is UTC: std cannot read the local
/// time zone, and BILLmanager's servers commonly run in UTC anyway.
fn format_line(now: SystemTime, pid: u32, level: Level, message: &str) -> String {
    let level = match level {
        Level::Error => "ERROR",
        Level::Warn => "WARNING",
        Level::Info => "INFO",
        Level::Debug => "DEBUG",
        Level::Trace => "TRACE",
    };
    format!(
        "{} [{pid}] {NAME} {level} {}\n",
        timestamp(now),
        redact(message)
    )
}

/// `Mon D HH:MM:SS` in UTC.
fn timestamp(now: SystemTime) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (days, secs_of_day) = days_and_seconds(now);
    let (_, month, day) = civil_date(days);
    format!(
        "{} {day} {:02}:{:02}:{:02}",
        MONTHS[month - 1],
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, BILLmanager's form of a date and time in its XML.
pub fn date_time(now: SystemTime) -> String {
    let (days, secs_of_day) = days_and_seconds(now);
    let (year, month, day) = civil_date(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Whole days since 1970-01-01 and seconds into the day.
fn days_and_seconds(now: SystemTime) -> (u64, u64) {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400, secs % 86_400)
}

/// Year, month (1..=12) and day of the month of a day count since 1970-01-01.
fn civil_date(days_since_epoch: u64) -> (u64, usize, u64) {
    let (year, month, day) = Day::from_days(i64::try_from(days_since_epoch).unwrap_or(0)).civil();
    (year as u64, month as usize, day as u64)
}

#[cfg(test)]
#[path = "logging_tests.rs"]
mod tests;
