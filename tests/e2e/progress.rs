//! The progress line of long waits: shown on stderr when an administrator runs the binary in a
//! terminal, absent from stdout and from runs without a terminal (BILLmanager's).
//!
//! The terminal is a real pseudo-terminal from util-linux's `script`, which runs the command
//! with stdin, stdout and stderr on the terminal; the command here sends stdout to a file, so
//! the terminal shows stderr alone.

use std::process::Command;

use serde_json::json;

use crate::world::{FIXED_LABEL, World, free_server, inventory};

/// `'text'` for `sh`.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[test]
fn the_install_wait_shows_its_percentage_on_a_terminal_only() {
    let world = World::new(
        "progress_terminal",
        inventory(json!([
            free_server(1, 1, FIXED_LABEL),
            free_server(2, 1, FIXED_LABEL)
        ])),
    );
    let on_terminal = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let stdout_file = world.root.path().join("open-stdout.txt");
    let open = world.command(&["--command", "open", "--item", &on_terminal.to_string()]);
    let line = std::iter::once(open.get_program())
        .chain(open.get_args())
        .map(|word| quoted(&word.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = Command::new("script");
    script
        .args(["--quiet", "--flush", "--return", "--command"])
        .arg(format!(
            "{line} >{}",
            quoted(&stdout_file.to_string_lossy())
        ))
        .arg("/dev/null");
    for (name, value) in open.get_envs() {
        match value {
            Some(value) => script.env(name, value),
            None => script.env_remove(name),
        };
    }
    let output = script
        .output()
        .expect("util-linux's script runs (package bsdutils)");
    let terminal = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "open failed: {terminal}");
    assert!(
        terminal.contains("the OS install on server srv-"),
        "a progress line on the terminal: {terminal:?}"
    );
    assert!(
        terminal.contains("%\r") || terminal.contains("%\n"),
        "percentages, rewritten in place: {terminal:?}"
    );
    let stdout = std::fs::read_to_string(&stdout_file).expect("stdout of the run");
    assert_eq!(stdout, "", "nothing of it in the protocol output");

    // The same wait without a terminal, as BILLmanager runs it: no progress anywhere.
    let piped = world.order(FIXED_LABEL, &[("ostempl", "Debian-12")]);
    let run = world.run(&["--command", "open", "--item", &piped.to_string()]);
    run.assert_ok();
    assert!(!run.stderr.contains('%'), "{:?}", run.stderr);
    assert!(!run.stdout.contains('%'), "{:?}", run.stdout);
}
