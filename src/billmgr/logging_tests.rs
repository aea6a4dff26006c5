//! Tests of `logging.rs`, kept apart so the module reads as the code it is.

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

fn module_level(conf: &str) -> LevelFilter {
    levels_from_debug_conf(conf).module
}

#[test]
fn debug_conf_picks_the_module_line_or_the_default() {
    let conf = "billmgr 9\npmdci6 4\ncore_module 2\n";
    assert_eq!(module_level(conf), LevelFilter::Warn);
    assert_eq!(module_level("billmgr 9\n"), LevelFilter::Info);
    assert_eq!(module_level("pmdci6 nine\n"), LevelFilter::Info);
    assert_eq!(
        module_level("pmdci6x 9\n  pmdci6   9  \n"),
        LevelFilter::Trace
    );
}

#[test]
fn debug_conf_reads_every_coremanager_form() {
    assert_eq!(module_level("pmdci6.* 9\n"), LevelFilter::Trace);
    assert_eq!(module_level("* 9\n"), LevelFilter::Trace);
    // The module's own line is more specific than "All modules", wherever it stands.
    assert_eq!(module_level("pmdci6 4\n* 9\n"), LevelFilter::Warn);
    assert_eq!(module_level("* 9\npmdci6.* 3\n"), LevelFilter::Error);
    // Among lines of the same reach the last one wins.
    assert_eq!(module_level("pmdci6 9\npmdci6.* 4\n"), LevelFilter::Warn);
    // Conditions after the level do not hide it; SET lines, comments and other logs are ignored.
    assert_eq!(module_level("pmdci6 9 user=admin\n"), LevelFilter::Trace);
    assert_eq!(
        module_level("SET logsize 9\n# pmdci6 9\nbillmgr.* 9\npmdci6\n"),
        LevelFilter::Info
    );

    let levels = levels_from_debug_conf("pmdci6 4\npmdci6.dci 9\npmdci6.db 7\npmdci6.dci 8\n");
    assert_eq!(levels.module, LevelFilter::Warn);
    assert_eq!(
        levels.parts,
        [
            ("pmdci6::billmgr::db", LevelFilter::Debug),
            ("pmdci6::dci", LevelFilter::Debug)
        ]
    );
    let levels = levels_from_debug_conf("pmdci6.mgrctl 9\npmdci6.plan 2\npmdci6.dcii 9\n");
    assert_eq!(
        levels.parts,
        [
            ("pmdci6::billmgr::mgrctl", LevelFilter::Trace),
            ("pmdci6::commands", LevelFilter::Error),
            ("pmdci6::effects", LevelFilter::Error),
            ("pmdci6::provision", LevelFilter::Error)
        ]
    );
    assert_eq!(levels.unknown_parts, ["pmdci6.dcii 9"]);
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

    let (logger, level, error, _) = build(&root);
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
    let (_, level, error, _) = build(&root);
    assert_eq!(level, LevelFilter::Info);
    assert!(error.is_some());
}

#[test]
fn date_time_is_billmanager_s_form_in_utc() {
    assert_eq!(date_time(at(1_700_000_000)), "2023-11-14 22:13:20");
    assert_eq!(date_time(at(951_782_400)), "2000-02-29 00:00:00");
    assert_eq!(date_time(at(1_735_689_600)), "2025-01-01 00:00:00");
    assert_eq!(date_time(at(0)), "1970-01-01 00:00:00");
}

#[test]
fn tail_keeps_the_last_lines_masked() {
    register_secret("tail-secret-value");
    for n in 0..150 {
        keep_in_tail(&format!("tail-line-{n} tail-secret-value\n"));
    }
    let tail = tail();
    assert!(tail.lines().count() <= 100, "{tail}");
    assert!(tail.ends_with("tail-line-149 ***\n"), "{tail}");
    assert!(!tail.contains("tail-line-49 "), "{tail}");
    assert!(!tail.contains("tail-secret-value"));
    // A line too long for the limit is left out rather than cut.
    keep_in_tail(&format!("{}\n", "x".repeat(40 * 1024)));
    let tail = super::tail();
    assert!(tail.len() <= 32 * 1024 && !tail.contains("xxx"));
}
