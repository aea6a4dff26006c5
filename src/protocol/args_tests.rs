//! Tests of `args.rs`, kept apart so the module reads as the code it is.

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

fn run(s: &str) -> Invocation {
    match parse(&words(s)) {
        Ok(Parsed::Run(inv)) => inv,
        Ok(Parsed::Print(text)) => panic!("unexpected print: {text}"),
        Err(e) => panic!("unexpected error: {e:#}"),
    }
}

#[test]
fn unknown_options_with_values_are_dropped() {
    let inv = run("--command open --newoption 5 --item 42 --tld ru --runningoperation 7");
    assert_eq!(inv.command, Command::Open { item: 42 });
    assert_eq!(inv.running_operation, Some(7));
    assert_eq!(inv.ignored, vec!["newoption", "tld"]);
}

#[test]
fn unknown_flag_before_a_known_option_keeps_the_known_one() {
    let inv = run("--newflag --command sync_item --item=3");
    assert_eq!(inv.command, Command::SyncItem { item: 3 });
}

#[test]
fn missing_item_is_a_usage_error() {
    let err = parse(&words("--command close")).err().expect("an error");
    assert_eq!(super::super::error::classify(&err).0, ErrorKind::Usage);
    assert!(err.to_string().contains("--item"), "{err}");
}

#[test]
fn unknown_command_is_a_usage_error() {
    let err = parse(&words("--command frobnicate"))
        .err()
        .expect("an error");
    assert!(err.to_string().contains("frobnicate"), "{err}");
}

#[test]
fn non_numeric_item_is_refused() {
    let err = parse(&words("--command open --item abc"))
        .err()
        .expect("an error");
    assert!(err.to_string().contains("abc"), "{err}");
}

#[test]
fn help_is_printed_not_run() {
    assert!(
        matches!(parse(&words("--help")), Ok(Parsed::Print(t)) if t.contains("--runningoperation"))
    );
}

#[test]
fn version_prints_the_package_version() {
    assert!(
        matches!(parse(&words("--version")), Ok(Parsed::Print(t)) if t == format!("pmdci6 {VERSION}\n"))
    );
}

#[test]
fn report_needs_a_module_and_is_not_a_billmanager_feature() {
    let inv = run("--command report --module 4 --format text");
    assert_eq!(inv.command, Command::Report { module: 4 });
    assert_eq!(inv.command.name(), "report");
    let err = parse(&words("--command report")).err().expect("an error");
    assert!(err.to_string().contains("--module"), "{err}");
    assert!(!COMMANDS.contains(&"report"));
    let features = super::super::features::document().to_xml();
    assert!(!features.contains("\"report\""), "{features}");
}

#[test]
fn dry_run_and_text_format() {
    let inv = run("--command open --item 1 --dry-run --format text");
    assert!(inv.dry_run);
    assert_eq!(inv.format, Format::Text);
}
