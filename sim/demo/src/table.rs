//! The closing tables: every server of the simulator and every service of BILLmanager, as the
//! demo leaves them.

use std::fmt::Write as _;

use anyhow::Result;
use serde_json::Value;

use crate::changes::status_name;
use crate::stage::Stage;

pub fn render(stage: &Stage) -> Result<String> {
    let mut rows = vec![
        [
            "id",
            "server",
            "loc",
            "rack",
            "configuration",
            "owner",
            "power",
            "port",
            "IPs",
            "state / notes",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for server in stage.sim.servers() {
        rows.push(server_row(&server));
    }
    let mut out = String::from("Servers (DCImanager):\n");
    out.push_str(&columns(&rows));

    let mut rows = vec![
        [
            "item",
            "customer",
            "configuration",
            "status",
            "serverid",
            "ip",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for service in &stage.services {
        let params = stage.db.item_params(service.item)?;
        let param = |name: &str| params.get(name).cloned().unwrap_or_else(|| "-".into());
        rows.push(vec![
            service.item.to_string(),
            service.email.to_string(),
            service.configuration.to_string(),
            status_name(stage.db.item_status(service.item)?).to_string(),
            param("serverid"),
            param("ip"),
        ]);
    }
    out.push_str("\nServices (BILLmanager):\n");
    out.push_str(&columns(&rows));
    Ok(out)
}

fn server_row(server: &Value) -> Vec<String> {
    let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), String::from);
    let or_dash = |s: &str| {
        if s.is_empty() {
            "-".to_string()
        } else {
            s.to_string()
        }
    };
    let data_ports: Vec<String> = server["switch_connection"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| !p["is_ipmi_connection"].as_bool().unwrap_or(false))
        .map(|p| text(&p["admin_status"]))
        .collect();
    let addresses: Vec<String> = server["ip"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|ip| ip["name"].as_str().map(String::from))
        .collect();
    let mut state = Vec::new();
    if server["maintenance_mode"].as_bool().unwrap_or(false) {
        state.push("maintenance".to_string());
    }
    if !server["in_operation"].as_bool().unwrap_or(true) {
        state.push("not in operation".to_string());
    }
    let diagnostics = text(&server["diagnostics"]["status"]);
    if diagnostics != "ok" {
        state.push(format!("diagnostics {diagnostics}"));
    }
    if server["errors"]["status"]
        .as_array()
        .is_some_and(|errors| !errors.is_empty())
    {
        state.push("status errors".to_string());
    }
    let operation = &server["operation"];
    if !operation.is_null() && text(&operation["status"]) != "ok" {
        state.push(format!(
            "last operation {} {}",
            text(&operation["type"]),
            text(&operation["status"])
        ));
    }
    let notes = server["notes"].as_str().unwrap_or("");
    if !notes.is_empty() {
        state.push(format!("'{}'", shortened(notes, 44)));
    }
    vec![
        server["id"].to_string(),
        text(&server["name"]),
        server["location_id"].to_string(),
        server["rack"]["name"]
            .as_str()
            .map_or("-".into(), String::from),
        or_dash(server["configuration"].as_str().unwrap_or("")),
        server["owner"]["email"]
            .as_str()
            .map_or("-".into(), String::from),
        text(&server["power_status"]),
        or_dash(&data_ports.join(",")),
        or_dash(&addresses.join(",")),
        or_dash(&state.join(", ")),
    ]
}

fn shortened(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

/// Rows as left-aligned columns, the first row being the header.
fn columns(rows: &[Vec<String>]) -> String {
    let count = rows.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..count)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        writeln!(out, "  {}", cells.join("  ").trim_end()).ok();
    }
    out
}
