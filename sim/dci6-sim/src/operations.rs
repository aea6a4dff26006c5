//! The operations that take time on a server: OS installation and diagnostics (spec §4).
//!
//! No timer runs: an operation's progress and end are worked out from the time elapsed since it
//! started, whenever the state is read ([`Operations::settle`]). An operation ends after the
//! configured duration, with the effects a real installation shows once it is done.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize, Serializer};

use crate::model::{DiagnosticsStatus, PowerStatus, Server, TemplateRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationStatus {
    Ok,
    Canceled,
    Running,
    Failed,
}

/// What an operation does, with what it applies to the server when it succeeds.
#[derive(Debug, Clone, PartialEq)]
pub enum OperationKind {
    /// `template` and `domain` are unknown for an installation the inventory declared.
    OsInstall {
        template: Option<TemplateRef>,
        domain: Option<String>,
    },
    Diagnostics {
        disk_cleanup: bool,
    },
}

impl OperationKind {
    pub fn name(&self) -> &'static str {
        match self {
            OperationKind::OsInstall { .. } => "os_install",
            OperationKind::Diagnostics { .. } => "diagnostics",
        }
    }
}

impl Serialize for OperationKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// A server's last operation, as `server.operation` shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Operation {
    pub id: u64,
    #[serde(rename = "type")]
    pub kind: OperationKind,
    pub status: OperationStatus,
    pub progress: u8,
    #[serde(skip)]
    started: Instant,
    /// Set by failure injection when the operation starts.
    #[serde(skip)]
    fails: bool,
}

impl Operation {
    /// An operation as the inventory declares it; a running one counts as started at `now`.
    pub fn declared(
        id: u64,
        kind: OperationKind,
        status: OperationStatus,
        progress: u8,
        now: Instant,
    ) -> Operation {
        Operation {
            id,
            kind,
            status,
            progress,
            started: now,
            fails: false,
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == OperationStatus::Running
    }
}

/// The operations in progress across all servers.
#[derive(Debug)]
pub struct Operations {
    duration: Duration,
    next_id: u64,
    /// Ids of the servers whose operation is running.
    running: BTreeSet<u64>,
    /// How many of the next operations to start will fail.
    failures_armed: u32,
}

impl Operations {
    pub fn new(duration: Duration) -> Operations {
        Operations {
            duration,
            next_id: 1,
            running: BTreeSet::new(),
            failures_armed: 0,
        }
    }

    /// Takes note of a server's operation declared by the inventory or a test.
    pub fn adopt(&mut self, server: &Server) {
        if let Some(operation) = &server.operation {
            self.next_id = self.next_id.max(operation.id + 1);
            if operation.is_running() {
                self.running.insert(server.id);
            }
        }
    }

    pub fn arm_failures(&mut self, count: u32) {
        self.failures_armed = self.failures_armed.saturating_add(count);
    }

    /// Starts `kind` on `server` (the caller checked that nothing runs) and returns its id.
    pub fn start(&mut self, server: &mut Server, kind: OperationKind, now: Instant) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        let fails = self.failures_armed > 0;
        self.failures_armed = self.failures_armed.saturating_sub(1);
        if matches!(kind, OperationKind::Diagnostics { .. }) {
            server.diagnostics.status = DiagnosticsStatus::Running;
        }
        // Both boot the server over the network.
        server.power_status = PowerStatus::On;
        server.operation = Some(Operation {
            id,
            kind,
            status: OperationStatus::Running,
            progress: 0,
            started: now,
            fails,
        });
        self.running.insert(server.id);
        id
    }

    /// Brings every running operation up to `now`: progress, and the end with its effects.
    pub fn settle(&mut self, servers: &mut BTreeMap<u64, Server>, now: Instant) {
        let duration = self.duration;
        self.running.retain(|id| {
            let Some(server) = servers.get_mut(id) else {
                return false;
            };
            let Some(operation) = server.operation.as_mut().filter(|o| o.is_running()) else {
                return false;
            };
            let elapsed = now.saturating_duration_since(operation.started);
            if elapsed >= duration {
                finish(server);
                return false;
            }
            let percent = elapsed.as_millis() * 100 / duration.as_millis().max(1);
            operation.progress = u8::try_from(percent.min(99)).unwrap_or(99);
            true
        });
    }

    /// Cancels the server's running operation, if any.
    pub fn stop(&mut self, server: &mut Server) {
        let Some(operation) = server.operation.as_mut().filter(|o| o.is_running()) else {
            return;
        };
        operation.status = OperationStatus::Canceled;
        match operation.kind {
            // The disks were being overwritten: the old system is gone.
            OperationKind::OsInstall { .. } => server.os_template = None,
            OperationKind::Diagnostics { .. } => {
                server.diagnostics.status = DiagnosticsStatus::NotRun
            }
        }
        self.running.remove(&server.id);
    }
}

/// Applies the end of the server's running operation.
fn finish(server: &mut Server) {
    let Some(operation) = server.operation.as_mut() else {
        return;
    };
    if operation.fails {
        operation.status = OperationStatus::Failed;
        match operation.kind {
            OperationKind::OsInstall { .. } => server.os_template = None,
            OperationKind::Diagnostics { .. } => {
                server.diagnostics.status = DiagnosticsStatus::Failed
            }
        }
        return;
    }
    operation.status = OperationStatus::Ok;
    operation.progress = 100;
    match &operation.kind {
        OperationKind::OsInstall { template, domain } => {
            if let Some(template) = template {
                server.os_template = Some(template.clone());
            }
            if let Some(domain) = domain {
                server.domain = domain.clone();
            }
            server.power_status = PowerStatus::On;
        }
        OperationKind::Diagnostics { disk_cleanup } => {
            server.diagnostics.status = DiagnosticsStatus::Ok;
            if *disk_cleanup {
                server.os_template = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> BTreeMap<u64, Server> {
        BTreeMap::from([(1, Server::new(1, 1))])
    }

    fn install() -> OperationKind {
        OperationKind::OsInstall {
            template: Some(TemplateRef {
                id: 4,
                name: "Debian-12".into(),
            }),
            domain: Some("web.example.com".into()),
        }
    }

    #[test]
    fn install_progresses_then_applies() {
        let mut servers = servers();
        let mut operations = Operations::new(Duration::from_millis(1000));
        let t0 = Instant::now();
        let server = servers.get_mut(&1).unwrap();
        let id = operations.start(server, install(), t0);
        assert_eq!(server.power_status, PowerStatus::On);

        operations.settle(&mut servers, t0 + Duration::from_millis(500));
        let operation = servers[&1].operation.as_ref().unwrap();
        assert_eq!(
            (operation.id, operation.status),
            (id, OperationStatus::Running)
        );
        assert_eq!(operation.progress, 50);

        operations.settle(&mut servers, t0 + Duration::from_millis(1000));
        let server = &servers[&1];
        let operation = server.operation.as_ref().unwrap();
        assert_eq!(
            (operation.status, operation.progress),
            (OperationStatus::Ok, 100)
        );
        assert_eq!(server.os_template.as_ref().unwrap().name, "Debian-12");
        assert_eq!(server.domain, "web.example.com");
    }

    #[test]
    fn armed_failure_fails_the_next_operation_only() {
        let mut servers = servers();
        let mut operations = Operations::new(Duration::ZERO);
        operations.arm_failures(1);
        let t0 = Instant::now();
        let kind = OperationKind::Diagnostics { disk_cleanup: true };
        operations.start(servers.get_mut(&1).unwrap(), kind.clone(), t0);
        operations.settle(&mut servers, t0);
        let server = &servers[&1];
        assert_eq!(
            server.operation.as_ref().unwrap().status,
            OperationStatus::Failed
        );
        assert_eq!(server.diagnostics.status, DiagnosticsStatus::Failed);

        operations.start(servers.get_mut(&1).unwrap(), kind, t0);
        operations.settle(&mut servers, t0);
        let server = &servers[&1];
        assert_eq!(
            server.operation.as_ref().unwrap().status,
            OperationStatus::Ok
        );
        assert_eq!(server.diagnostics.status, DiagnosticsStatus::Ok);
    }

    #[test]
    fn stop_cancels() {
        let mut servers = servers();
        let mut operations = Operations::new(Duration::from_secs(60));
        let t0 = Instant::now();
        let kind = OperationKind::Diagnostics {
            disk_cleanup: false,
        };
        operations.start(servers.get_mut(&1).unwrap(), kind, t0);
        operations.stop(servers.get_mut(&1).unwrap());
        operations.settle(&mut servers, t0 + Duration::from_secs(61));
        let server = &servers[&1];
        assert_eq!(
            server.operation.as_ref().unwrap().status,
            OperationStatus::Canceled
        );
        assert_eq!(server.diagnostics.status, DiagnosticsStatus::NotRun);
    }
}
