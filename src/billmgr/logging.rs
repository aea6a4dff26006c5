//! The module's log, the way BILLmanager writes its own: `var/pmdci6.log`, one line per record
//! (`Mon D HH:MM:SS [pid] pmdci6 LEVEL message`), verbosity from `etc/debug.conf`.
//!
//! stdout is BILLmanager's protocol channel, so when the log file cannot be opened the log goes
//! to stderr, never stdout. Every line passes through [`redact`] before it is written: whoever
//! learns a secret (a password read from the database, a token from DCImanager) registers it
//! with [`register_secret`], so a secret that slips into a message by mistake is still masked.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use env_logger::{Builder, Logger, Target};
use log::{Level, LevelFilter};

use super::paths::MgrRoot;

/// The module's name in log lines and in `debug.conf`.
const NAME: &str = "pmdci6";

/// BILLmanager's default level, 6 ("extinfo"), when `debug.conf` does not name the module.
const DEFAULT_LEVEL: u32 = 6;

/// Secrets are at least this long; shorter values would mask ordinary words and numbers.
const MIN_SECRET_LEN: usize = 4;

static SECRETS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Installs the logger for the whole process. Messages from other crates (HTTP, MySQL) are kept
/// at warnings and above whatever `debug.conf` says: their debug output may carry request bodies.
pub fn init(root: &MgrRoot) {
    let (logger, level, log_file_error) = build(root);
    if log::set_boxed_logger(Box::new(logger)).is_ok() {
        log::set_max_level(level);
    }
    if let Some(err) = log_file_error {
        log::warn!(
            "cannot open {}: {err}; logging to stderr",
            root.log_file().display()
        );
    }
}

/// The logger for `root`, its level, and why the log file could not be opened (if so).
fn build(root: &MgrRoot) -> (Logger, LevelFilter, Option<std::io::Error>) {
    let level = std::fs::read_to_string(root.debug_conf())
        .map(|text| level_from_debug_conf(&text, NAME))
        .unwrap_or(bill_level(DEFAULT_LEVEL));
    let (target, log_file_error) = match OpenOptions::new()
        .create(true)
        .append(true)
        .open(root.log_file())
    {
        Ok(file) => (Target::Pipe(Box::new(file)), None),
        Err(err) => (Target::Stderr, Some(err)),
    };
    let logger = Builder::new()
        .filter_level(level.min(LevelFilter::Warn))
        .filter_module(NAME, level)
        .target(target)
        .format(|buf, record| {
            let line = format_line(
                SystemTime::now(),
                std::process::id(),
                record.level(),
                &record.args().to_string(),
            );
            buf.write_all(line.as_bytes())
        })
        .build();
    (logger, level, log_file_error)
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

/// `text` with every registered secret replaced by `***`.
pub fn redact(text: &str) -> String {
    let secrets = SECRETS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    secrets.iter().fold(text.to_owned(), |text, secret| {
        text.replace(secret.as_str(), "***")
    })
}

/// The level of `name` in `debug.conf` (lines `<name> <level>`; the last one wins), else the
/// default, 6.
fn level_from_debug_conf(text: &str, name: &str) -> LevelFilter {
    let level = text
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(name)).then(|| words.next()?.parse::<u32>().ok())?
        })
        .next_back()
        .unwrap_or(DEFAULT_LEVEL);
    bill_level(level)
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
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, secs_of_day) = (secs / 86_400, secs % 86_400);
    let (month, day) = month_and_day(days);
    format!(
        "{} {day} {:02}:{:02}:{:02}",
        MONTHS[month - 1],
        secs_of_day / 3600,
        secs_of_day % 3600 / 60,
        secs_of_day % 60
    )
}

/// Month (1..=12) and day of the month of a day count since 1970-01-01, by Howard Hinnant's
/// `civil_from_days` algorithm (proleptic Gregorian calendar).
fn month_and_day(days_since_epoch: u64) -> (usize, u64) {
    let z = days_since_epoch + 719_468;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (month as usize, day)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use log::Log;

    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    #[test]
    fn line_has_billmanager_format() {
        // 2023-11-14 22:13:20 UTC
        let line = format_line(at(1_700_000_000), 4242, Level::Info, "item 7 opened");
        assert_eq!(line, "Nov 14 22:13:20 [4242] pmdci6 INFO item 7 opened\n");
        let line = format_line(at(0), 1, Level::Warn, "x");
        assert_eq!(line, "Jan 1 00:00:00 [1] pmdci6 WARNING x\n");
    }

    #[test]
    fn dates_cross_months_and_leap_days() {
        assert_eq!(timestamp(at(951_782_400)), "Feb 29 00:00:00"); // 2000-02-29
        assert_eq!(timestamp(at(951_868_799)), "Feb 29 23:59:59");
        assert_eq!(timestamp(at(1_735_689_599)), "Dec 31 23:59:59"); // 2024-12-31
        assert_eq!(timestamp(at(1_735_689_600)), "Jan 1 00:00:00"); // 2025-01-01
    }

    #[test]
    fn levels_follow_billmanager_numbers() {
        assert_eq!(bill_level(9), LevelFilter::Trace);
        assert_eq!(bill_level(6), LevelFilter::Info);
        assert_eq!(bill_level(5), LevelFilter::Info);
        assert_eq!(bill_level(4), LevelFilter::Warn);
        assert_eq!(bill_level(3), LevelFilter::Error);
        assert_eq!(bill_level(2), LevelFilter::Error);
    }

    #[test]
    fn debug_conf_picks_the_module_line_or_the_default() {
        let conf = "billmgr 9\npmdci6 4\ncore_module 2\n";
        assert_eq!(level_from_debug_conf(conf, "pmdci6"), LevelFilter::Warn);
        assert_eq!(
            level_from_debug_conf("billmgr 9\n", "pmdci6"),
            LevelFilter::Info
        );
        assert_eq!(
            level_from_debug_conf("pmdci6 nine\n", "pmdci6"),
            LevelFilter::Info
        );
        assert_eq!(
            level_from_debug_conf("pmdci6x 9\n  pmdci6   9  \n", "pmdci6"),
            LevelFilter::Trace
        );
    }

    #[test]
    fn registered_secrets_are_masked_in_lines() {
        register_secret("hunter2-secret");
        register_secret("hunter2-secret-longer");
        register_secret("abc");
        let line = format_line(
            at(0),
            1,
            Level::Error,
            "login hunter2-secret-longer / hunter2-secret abc",
        );
        assert!(line.ends_with("ERROR login *** / *** abc\n"), "{line}");
    }

    #[test]
    fn logger_appends_filtered_lines_to_the_module_log() {
        let dir = std::env::temp_dir().join(format!("pmdci6-logging-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("etc")).unwrap();
        std::fs::create_dir_all(dir.join("var")).unwrap();
        std::fs::write(dir.join("etc/debug.conf"), "pmdci6 4\n").unwrap();
        std::fs::write(dir.join("var/pmdci6.log"), "earlier line\n").unwrap();
        let root = MgrRoot::new(&dir);

        let (logger, level, error) = build(&root);
        assert_eq!(level, LevelFilter::Warn);
        assert!(error.is_none());
        for (level, text) in [(Level::Info, "hidden info"), (Level::Warn, "shown warning")] {
            logger.log(
                &log::Record::builder()
                    .target("pmdci6::billmgr")
                    .level(level)
                    .args(format_args!("{text}"))
                    .build(),
            );
        }
        logger.flush();

        let log = std::fs::read_to_string(root.log_file()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let lines: Vec<&str> = log.lines().collect();
        assert_eq!(lines.len(), 2, "{log}");
        assert_eq!(lines[0], "earlier line");
        let pid = format!("[{}] pmdci6 WARNING shown warning", std::process::id());
        assert!(lines[1].ends_with(&pid), "{log}");
    }

    #[test]
    fn missing_log_directory_falls_back_to_stderr() {
        let root = MgrRoot::new("/nonexistent/pmdci6-root");
        let (_, level, error) = build(&root);
        assert_eq!(level, LevelFilter::Info);
        assert!(error.is_some());
    }
}
