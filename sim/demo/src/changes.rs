//! What a step changed, in one line per side: the simulator's state before and after (owner,
//! notes, addresses, switch ports, power, OS, operations, users), and BILLmanager's (item
//! status and params, tasks, running operations, the `mgrctl` calls the module made).

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use billmgr_stand_in::MgrctlCall;
use dci6_sim::RequestRecord;
use serde_json::Value;

use crate::stage::Stage;

/// Both sides, as a step found them.
pub struct Snapshot {
    servers: BTreeMap<u64, Value>,
    users: BTreeSet<String>,
    items: BTreeMap<u64, ItemState>,
    tasks: usize,
    running_operations: BTreeMap<u64, (bool, bool)>,
    calls: usize,
}

#[derive(PartialEq)]
struct ItemState {
    status: i32,
    params: BTreeMap<String, String>,
    crypted: BTreeSet<String>,
}

impl Snapshot {
    pub fn take(stage: &Stage) -> Result<Snapshot> {
        let servers = stage
            .sim
            .servers()
            .into_iter()
            .filter_map(|s| s["id"].as_u64().map(|id| (id, s)))
            .collect();
        let users = stage
            .sim
            .users()
            .iter()
            .filter_map(|u| u["email"].as_str().map(String::from))
            .collect();
        let mut items = BTreeMap::new();
        for service in &stage.services {
            let item = service.item;
            items.insert(
                item,
                ItemState {
                    status: stage.db.item_status(item)?,
                    params: stage.db.item_params(item)?,
                    crypted: stage.db.item_crypted_params(item)?.into_keys().collect(),
                },
            );
        }
        let mut running_operations = BTreeMap::new();
        for id in &stage.running_operations {
            if let Some(row) = stage.db.running_operation(*id)? {
                running_operations.insert(*id, (row.manual, row.errorxml.is_some()));
            }
        }
        Ok(Snapshot {
            servers,
            users,
            items,
            tasks: stage.db.tasks()?.len(),
            running_operations,
            calls: stage.root.mgrctl_calls()?.len(),
        })
    }
}

/// DCImanager: what changed on each server, new users; the changing calls when the state
/// shows nothing (a power reset).
pub fn dci_line(before: &Snapshot, after: &Snapshot, requests: &[RequestRecord]) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (id, server) in &after.servers {
        let Some(old) = before.servers.get(id) else {
            continue;
        };
        let changes = server_changes(old, server);
        if !changes.is_empty() {
            let name = server["name"].as_str().unwrap_or("?");
            parts.push(format!("{name}: {}", changes.join(", ")));
        }
    }
    for user in after.users.difference(&before.users) {
        parts.push(format!("user {user} created"));
    }
    let changing: Vec<String> = requests
        .iter()
        .filter(|r| r.method != "GET" && !r.path.starts_with("/api/auth/"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    if parts.is_empty() && !changing.is_empty() {
        parts.push(format!("state unchanged; calls: {}", changing.join(", ")));
    }
    let reads = requests.len() - changing.len();
    if parts.is_empty() {
        format!("no change ({reads} reads)")
    } else {
        let calls = match changing.len() {
            1 => "1 changing call".to_string(),
            n => format!("{n} changing calls"),
        };
        format!("{} ({calls}, {reads} reads)", parts.join("; "))
    }
}

fn server_changes(old: &Value, new: &Value) -> Vec<String> {
    let mut changes = Vec::new();
    let owner = |s: &Value| s["owner"]["email"].as_str().unwrap_or("none").to_string();
    changed(&mut changes, "owner", owner(old), owner(new));
    let notes = |s: &Value| format!("'{}'", s["notes"].as_str().unwrap_or(""));
    changed(&mut changes, "notes", notes(old), notes(new));
    let addresses = |s: &Value| -> BTreeSet<String> {
        s["ip"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|ip| ip["name"].as_str().map(String::from))
            .collect()
    };
    let (was, is) = (addresses(old), addresses(new));
    changes.extend(is.difference(&was).map(|ip| format!("+IP {ip}")));
    changes.extend(was.difference(&is).map(|ip| format!("-IP {ip}")));
    let ports = |s: &Value| -> BTreeMap<u64, String> {
        s["switch_connection"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| !p["is_ipmi_connection"].as_bool().unwrap_or(false))
            .filter_map(|p| Some((p["id"].as_u64()?, text(&p["admin_status"]))))
            .collect()
    };
    let was = ports(old);
    for (port, status) in ports(new) {
        if let Some(before) = was.get(&port) {
            changed(
                &mut changes,
                &format!("port {port}"),
                before.clone(),
                status,
            );
        }
    }
    changed(
        &mut changes,
        "power",
        text(&old["power_status"]),
        text(&new["power_status"]),
    );
    let os = |s: &Value| {
        s["os_template"]["name"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };
    changed(&mut changes, "OS", os(old), os(new));
    let maintenance = |s: &Value| {
        if s["maintenance_mode"].as_bool().unwrap_or(false) {
            "on".to_string()
        } else {
            "off".to_string()
        }
    };
    changed(
        &mut changes,
        "maintenance",
        maintenance(old),
        maintenance(new),
    );
    let operation = &new["operation"];
    if !operation.is_null() && *operation != old["operation"] {
        changes.push(format!(
            "operation {} #{} {}",
            text(&operation["type"]),
            operation["id"],
            text(&operation["status"])
        ));
    }
    changes
}

fn changed(changes: &mut Vec<String>, what: &str, old: String, new: String) {
    if old != new {
        changes.push(format!("{what} {old} → {new}"));
    }
}

fn text(value: &Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string(), String::from)
}

/// BILLmanager: item status and params, new tasks, running operations, the calls made.
pub fn billing_line(
    before: &Snapshot,
    after: &Snapshot,
    calls: &[MgrctlCall],
    stage: &Stage,
) -> Result<String> {
    let mut parts = Vec::new();
    for (item, state) in &after.items {
        let Some(old) = before.items.get(item) else {
            continue;
        };
        if old == state {
            continue;
        }
        let mut changes = Vec::new();
        if old.status != state.status {
            changes.push(format!(
                "{} → {}",
                status_name(old.status),
                status_name(state.status)
            ));
        }
        for (name, value) in &state.params {
            match old.params.get(name) {
                None => changes.push(format!("+{name}={value}")),
                Some(was) if was != value => changes.push(format!("{name}={was} → {value}")),
                Some(_) => {}
            }
        }
        for name in old.params.keys().filter(|n| !state.params.contains_key(*n)) {
            changes.push(format!("-{name}"));
        }
        for name in state.crypted.difference(&old.crypted) {
            changes.push(format!("+{name} (crypted)"));
        }
        parts.push(format!("item {item}: {}", changes.join(", ")));
    }
    for task in stage.db.tasks()?.iter().skip(before.tasks) {
        parts.push(format!(
            "task for item {}: \"{}\"",
            task.item.map_or_else(|| "?".into(), |i| i.to_string()),
            task.params.as_deref().unwrap_or("")
        ));
    }
    for (id, (manual, error)) in &after.running_operations {
        let (was_manual, had_error) = before
            .running_operations
            .get(id)
            .copied()
            .unwrap_or_default();
        if *manual && !was_manual {
            parts.push(format!("running operation {id} → manual"));
        }
        if *error && !had_error {
            parts.push(format!("running operation {id}: error recorded"));
        }
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for call in calls.iter().filter(|c| c.func != "paramlist") {
        match counts.iter_mut().find(|(func, _)| *func == call.func) {
            Some((_, n)) => *n += 1,
            None => counts.push((call.func.clone(), 1)),
        }
    }
    if !counts.is_empty() {
        let calls: Vec<String> = counts
            .iter()
            .map(|(func, n)| {
                if *n == 1 {
                    func.clone()
                } else {
                    format!("{func} ×{n}")
                }
            })
            .collect();
        parts.push(format!("mgrctl: {}", calls.join(", ")));
    }
    Ok(if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    })
}

/// The calls made since the snapshot.
pub fn calls_since(before: &Snapshot, stage: &Stage) -> Result<Vec<MgrctlCall>> {
    Ok(stage
        .root
        .mgrctl_calls()?
        .into_iter()
        .skip(before.calls)
        .collect())
}

/// BILLmanager's `item.status`, in words.
pub fn status_name(status: i32) -> &'static str {
    match status {
        1 => "ordered",
        2 => "active",
        3 => "suspended",
        4 => "deleted",
        5 => "processing",
        _ => "unknown",
    }
}
