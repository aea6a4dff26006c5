//! The `dci6-sim` binary: flags, first line, serving.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::common::{Client, inventory};

#[test]
fn serves_an_inventory_file_until_killed() {
    let dir = std::env::temp_dir().join(format!("dci6-sim-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("inventory.json");
    std::fs::write(&path, serde_json::to_string_pretty(&inventory()).unwrap()).unwrap();

    let mut child = Command::new(env!("CARGO_BIN_EXE_dci6-sim"))
        .args([
            "--inventory",
            path.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ])
        .args(["--operation-ms", "50", "--token-ttl-s=60"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base = first_line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first_line:?}"))
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");

    let client = Client::new(&base).logged_in("admin@example.com", "secret");
    assert_eq!(client.server(2)["owner_email"], "client@example.com");
    client
        .post(
            "/api/dci/v3/server/1/diagnostics",
            serde_json::json!({"disk_cleanup": false}),
        )
        .ok();
    let done = crate::common::wait_for_operation(&client, 1);
    assert_eq!(done["operation"]["status"], "ok");

    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn serves_the_platform_dialect() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_dci6-sim"))
        .args(["--generated", "3", "--dialect=platform"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first_line)
        .unwrap();
    let base = first_line.trim().strip_prefix("listening on ").unwrap();
    let client = Client::new(base).logged_in("admin@example.com", "admin");
    let server = client.server(3);
    assert_eq!(server["comment"], "");
    assert!(server.get("owner").is_none());
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn bad_flags_and_files_are_reported() {
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_dci6-sim"))
            .args(args)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stderr).to_string(),
        )
    };
    let (code, stderr) = run(&[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("--inventory FILE or --generated N is required"),
        "{stderr}"
    );
    let (code, stderr) = run(&["--inventory", "/nonexistent/inventory.json"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("/nonexistent/inventory.json"), "{stderr}");
    let (_, stderr) = run(&["--generated", "10", "--operation-ms", "soon"]);
    assert!(stderr.contains("--operation-ms needs a number"), "{stderr}");
    let (_, stderr) = run(&["--generated", "10", "--colour", "red"]);
    assert!(stderr.contains("unknown option --colour"), "{stderr}");
    let (_, stderr) = run(&["--generated", "10", "--listen", "nowhere"]);
    assert!(stderr.contains("--listen needs HOST:PORT"), "{stderr}");
    let (code, stderr) = run(&["--generated", "10", "--dialect", "vm6"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown dialect \"vm6\""), "{stderr}");
    let (code, _) = run(&["--help"]);
    assert_eq!(code, Some(0));
}
