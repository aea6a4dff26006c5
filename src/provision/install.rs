//! Which OS install belongs to the item.
//!
//! A server taken from stock may carry an earlier, finished install of the very template the
//! customer ordered (staff test installs, a former customer's). Judging "installed" by the
//! template alone would skip the install and hand over a server whose root password nobody
//! knows. So open records its own install in the item param `install_operation`: first
//! `requested:<id of the server's last operation>` before it asks DCImanager, then the id of the
//! new operation. A run killed between the two still recognises its install: it is the
//! os_install whose id differs from the one that was last before it.

use crate::dci::api::{OperationStatus, Server};

/// The item param holding the record.
pub const PARAM: &str = "install_operation";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstallRecord {
    NotStarted,
    /// Asked for; the server's last operation before the request had this id (0: none).
    Requested {
        previous_operation: u64,
    },
    Started {
        operation: u64,
    },
}

impl InstallRecord {
    /// Reads the param; anything unreadable counts as not started, which at worst installs
    /// again (a fresh install with a known password) rather than trusting an unknown one.
    pub fn parse(value: Option<&str>) -> InstallRecord {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return InstallRecord::NotStarted;
        };
        if let Some(previous) = value.strip_prefix("requested:") {
            return previous
                .parse()
                .map(|previous_operation| InstallRecord::Requested { previous_operation })
                .unwrap_or(InstallRecord::NotStarted);
        }
        value
            .parse()
            .map(|operation| InstallRecord::Started { operation })
            .unwrap_or(InstallRecord::NotStarted)
    }

    pub fn to_param(self) -> String {
        match self {
            InstallRecord::NotStarted => String::new(),
            InstallRecord::Requested { previous_operation } => {
                format!("requested:{previous_operation}")
            }
            InstallRecord::Started { operation } => operation.to_string(),
        }
    }

    /// The record to save before asking DCImanager to install on `server`.
    pub fn requested_on(server: &Server) -> InstallRecord {
        InstallRecord::Requested {
            previous_operation: server.operation.as_ref().map_or(0, |op| op.id),
        }
    }
}

/// The administrator login of a fresh install of `template`, saved as the item's `username`:
/// DCImanager's Windows templates set up `Administrator`, every other template `root`.
pub fn login_name(template: &str) -> &'static str {
    if template.trim().to_ascii_lowercase().starts_with("windows") {
        "Administrator"
    } else {
        "root"
    }
}

/// Where the item's install stands on the server as it is now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InstallState {
    /// Not asked for yet, or the request never reached DCImanager.
    Needed,
    Running {
        operation: u64,
    },
    Done {
        operation: u64,
    },
    Failed {
        operation: u64,
        status: OperationStatus,
    },
}

pub fn install_state(server: &Server, record: InstallRecord, template: &str) -> InstallState {
    let last = server.operation.as_ref();
    let ours = match record {
        InstallRecord::NotStarted => None,
        InstallRecord::Requested { previous_operation } => {
            // Operations carry no type: on the item's server, the operation newer than the one
            // before the request is the install the module asked for.
            last.filter(|op| op.id != previous_operation)
        }
        InstallRecord::Started { operation } => match last {
            Some(op) if op.id == operation => Some(op),
            // Something ran after our install (staff, the customer): the template tells.
            _ => {
                let same_template = server
                    .os_template
                    .as_ref()
                    .is_some_and(|t| t.name == template);
                return if same_template {
                    InstallState::Done { operation }
                } else {
                    InstallState::Needed
                };
            }
        },
    };
    match ours {
        None => InstallState::Needed,
        Some(op) => match op.status {
            OperationStatus::Running => InstallState::Running { operation: op.id },
            OperationStatus::Ok => InstallState::Done { operation: op.id },
            status => InstallState::Failed {
                operation: op.id,
                status,
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provision::testing::{operation, owned};

    #[test]
    fn login_names() {
        assert_eq!(login_name("Debian-12"), "root");
        assert_eq!(login_name("Windows-2022"), "Administrator");
        assert_eq!(login_name("windows server 2019"), "Administrator");
    }

    #[test]
    fn record_round_trips() {
        for record in [
            InstallRecord::NotStarted,
            InstallRecord::Requested {
                previous_operation: 88,
            },
            InstallRecord::Started { operation: 90 },
        ] {
            assert_eq!(InstallRecord::parse(Some(&record.to_param())), record);
        }
        assert_eq!(
            InstallRecord::parse(Some("garbage")),
            InstallRecord::NotStarted
        );
        assert_eq!(InstallRecord::parse(None), InstallRecord::NotStarted);
    }

    #[test]
    fn an_earlier_install_of_the_same_template_is_not_ours() {
        // The stock server's last operation is a finished install of the ordered template.
        let server = owned(1, "client@example.com", 42);
        assert_eq!(
            install_state(&server, InstallRecord::NotStarted, "Debian-12"),
            InstallState::Needed
        );
        let requested = InstallRecord::requested_on(&server);
        assert_eq!(
            install_state(&server, requested, "Debian-12"),
            InstallState::Needed
        );
    }

    #[test]
    fn a_request_killed_before_its_id_was_saved_is_recognised() {
        let mut server = owned(1, "client@example.com", 42);
        let requested = InstallRecord::requested_on(&server);
        server.operation = Some(operation(90, OperationStatus::Running));
        assert_eq!(
            install_state(&server, requested, "Debian-12"),
            InstallState::Running { operation: 90 }
        );
        server.operation = Some(operation(90, OperationStatus::Ok));
        assert_eq!(
            install_state(&server, requested, "Debian-12"),
            InstallState::Done { operation: 90 }
        );
    }

    #[test]
    fn started_install_states() {
        let mut server = owned(1, "client@example.com", 42);
        let started = InstallRecord::Started { operation: 90 };
        server.operation = Some(operation(90, OperationStatus::Failed));
        assert_eq!(
            install_state(&server, started, "Debian-12"),
            InstallState::Failed {
                operation: 90,
                status: OperationStatus::Failed
            }
        );
        server.operation = Some(operation(95, OperationStatus::Ok));
        assert_eq!(
            install_state(&server, started, "Debian-12"),
            InstallState::Done { operation: 90 }
        );
        assert_eq!(
            install_state(&server, started, "Ubuntu-24.04"),
            InstallState::Needed
        );
    }
}
