//! Which servers of a module's location become BILLmanager services (`import`): the migration
//! path from ISPsystem's own DCImanager module, or from servers given out by hand.
//!
//! A server is imported when it has an owner, no pmdci6 service holds it, the owner's e-mail
//! names exactly one BILLmanager customer, and exactly one tariff of the module sells its
//! configuration. Everything else is reported with the reason, so that an administrator can fix
//! it and run the import again: a repeated import finds the services it created (their
//! `serverid`) and never creates a second one. A service whose server still lacks the item's
//! mark in its notes (a run killed between the two) only gets the mark.

use std::collections::BTreeMap;
use std::fmt;

use super::action::{self, ItemCommand, ItemFacts};
use super::label::Configuration;
use super::ownership::{ItemNote, email_key, owner_email};
use super::server_state::{main_ipv4, switch_ports};
use crate::dci::api::{Needed, PortStatus, Server};

/// A live (not deleted) service of the module, as the import sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveService {
    pub item: u64,
    pub status: i64,
    pub item_type: String,
    pub module: Option<String>,
    /// Its param `serverid`, when it has one that is a number.
    pub server: Option<u64>,
}

/// What BILLmanager holds that the judgement needs.
#[derive(Debug, Default)]
pub struct Billing {
    /// The module's live services.
    pub services: Vec<LiveService>,
    /// Accounts by e-mail (lower case) of their users.
    pub accounts: BTreeMap<String, Vec<u64>>,
    /// The module's tariffs with their `configuration` label; `manual` and unreadable labels
    /// are left out, since an import cannot tell which add-ons a server was sold with.
    pub tariffs: Vec<(u64, Configuration)>,
}

/// The BILLmanager status an imported service gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    Active,
    /// Every customer-facing switch port is down: the server is cut off already.
    Suspended,
}

impl ImportStatus {
    /// BILLmanager's `item.status`.
    pub fn code(self) -> u8 {
        match self {
            ImportStatus::Active => 2,
            ImportStatus::Suspended => 3,
        }
    }
}

/// What to do with one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Create the service, then mark the server's notes with it.
    Import {
        account: u64,
        email: String,
        tariff: u64,
        status: ImportStatus,
        /// The main IPv4 address, the service's param `ip`.
        ip: Option<String>,
    },
    /// The service exists; its mark is missing from the notes.
    Mark { item: u64 },
    /// Not imported, and why.
    Skip(String),
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Decision::Import {
                account,
                email,
                tariff,
                status,
                ip,
            } => write!(
                f,
                "import for customer {email} (account {account}) on tariff #{tariff} as {}, ip {}",
                match status {
                    ImportStatus::Active => "active",
                    ImportStatus::Suspended => "suspended (all switch ports down)",
                },
                ip.as_deref().unwrap_or("none")
            ),
            Decision::Mark { item } => write!(
                f,
                "already service {item}; its mark is missing from the notes: write it"
            ),
            Decision::Skip(why) => f.write_str(why),
        }
    }
}

/// Whether the import looks at the server at all: it has an owner (or an unknown one, which is
/// reported) and matches `search` (part of its name or of its owner's e-mail, any case).
pub fn selected(server: &Server, search: Option<&str>) -> bool {
    let owned = server.unknown.contains(Needed::Owner) || owner_email(server).is_some();
    let matches = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .is_none_or(|search| {
            let search = search.to_lowercase();
            server.name.to_lowercase().contains(&search)
                || owner_email(server).is_some_and(|e| e.to_lowercase().contains(&search))
        });
    owned && matches
}

pub fn decide(server: &Server, billing: &Billing) -> Decision {
    let skip = |why: String| Decision::Skip(why);
    for field in [Needed::Owner, Needed::Notes, Needed::Configuration] {
        if server.unknown.contains(field) {
            return skip(field.reason().to_string());
        }
    }
    let mark = ItemNote::read(&server.notes);
    if let Some(service) = billing
        .services
        .iter()
        .find(|s| s.server == Some(server.id))
    {
        return match mark {
            Some(note) if note.item == service.item => {
                skip(format!("already a service: item {} holds it", service.item))
            }
            Some(note) => skip(format!(
                "item {} holds it by its serverid, but the notes carry the mark of item {}: settle which service it belongs to",
                service.item, note.item
            )),
            None => {
                let facts = ItemFacts {
                    id: service.item,
                    item_type: &service.item_type,
                    module: service.module.as_deref(),
                    status: service.status,
                };
                match action::verdict(ItemCommand::Import, &facts) {
                    action::Verdict::Act => Decision::Mark { item: service.item },
                    action::Verdict::Nothing(why) | action::Verdict::Refuse(why) => {
                        skip(format!("already a service: {why}"))
                    }
                }
            }
        };
    }
    if let Some(note) = mark {
        let live = billing.services.iter().any(|s| s.item == note.item);
        return skip(if live {
            format!(
                "already a service: its notes carry the mark of item {}",
                note.item
            )
        } else {
            format!(
                "its notes carry the mark of item {}, which is no live service of the module (a close may be unfinished): clear the notes in DCImanager to import it",
                note.item
            )
        });
    }
    let email = owner_email(server).unwrap_or("");
    if email.is_empty() {
        return skip("its owner has no e-mail in DCImanager's answer".into());
    }
    let account = match billing.accounts.get(&email_key(email)).map(Vec::as_slice) {
        None | Some([]) => {
            return skip(format!(
                "no such customer: no BILLmanager user has the e-mail {email}"
            ));
        }
        Some([account]) => *account,
        Some(several) => {
            return skip(format!(
                "{} customers (accounts {}) have the e-mail {email}: the owner is ambiguous",
                several.len(),
                list(several)
            ));
        }
    };
    let Some(label) = server
        .configuration
        .as_deref()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    else {
        return skip("no configuration: diagnostics have not determined it".into());
    };
    let configuration: Configuration = match label.parse() {
        Ok(configuration) => configuration,
        Err(err) => return skip(format!("configuration '{label}' cannot be read: {err}")),
    };
    let tariffs: Vec<u64> = billing
        .tariffs
        .iter()
        .filter(|(_, sold)| sold.same_hardware(&configuration))
        .map(|(id, _)| *id)
        .collect();
    let tariff = match tariffs.as_slice() {
        [] => {
            return skip(format!(
                "no matching tariff: no tariff of the module sells configuration {label}"
            ));
        }
        [tariff] => *tariff,
        several => {
            return skip(format!(
                "tariffs {} all sell configuration {label}: which one the customer pays is not known; leave one bound to the module and import again",
                several
                    .iter()
                    .map(|t| format!("#{t}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    };
    let mut ports = switch_ports(server).peekable();
    let cut_off = ports.peek().is_some() && ports.all(|p| p.admin_status == PortStatus::Down);
    Decision::Import {
        account,
        email: email.to_string(),
        tariff,
        status: if cut_off {
            ImportStatus::Suspended
        } else {
            ImportStatus::Active
        },
        ip: main_ipv4(server).map(|ip| ip.name.clone()),
    }
}

fn list(ids: &[u64]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::{IpFamily, Owner};
    use crate::provision::testing::{available, ip};

    const EMAIL: &str = "Dave@Example.com";

    fn owned_by(id: u64, email: &str) -> Server {
        let mut server = available(id);
        server.owner = Some(Owner {
            id: Some(70),
            email: email.into(),
        });
        server.ip = vec![ip(901, "203.0.113.10", IpFamily::Ipv4)];
        server
    }

    fn billing() -> Billing {
        Billing {
            services: vec![LiveService {
                item: 40,
                status: 2,
                item_type: "dedic".into(),
                module: Some("pmdci6".into()),
                server: Some(9),
            }],
            accounts: BTreeMap::from([
                ("dave@example.com".to_string(), vec![3]),
                ("twins@example.com".to_string(), vec![4, 5]),
            ]),
            tariffs: vec![
                (1, "E5-2620-64Gb-2x1024NVMe".parse().expect("label")),
                (2, "i9-9900K-64Gb-2x1024NVMe".parse().expect("label")),
            ],
        }
    }

    #[test]
    fn an_owned_server_of_a_known_customer_and_tariff_is_imported() {
        let decision = decide(&owned_by(1, EMAIL), &billing());
        assert_eq!(
            decision,
            Decision::Import {
                account: 3,
                email: EMAIL.into(),
                tariff: 1,
                status: ImportStatus::Active,
                ip: Some("203.0.113.10".into()),
            }
        );
        let mut dark = owned_by(1, EMAIL);
        for port in &mut dark.switch_connection {
            port.admin_status = PortStatus::Down;
        }
        assert!(matches!(
            decide(&dark, &billing()),
            Decision::Import {
                status: ImportStatus::Suspended,
                ..
            }
        ));
    }

    #[test]
    fn each_reason_not_to_import() {
        let reason = |server: &Server| match decide(server, &billing()) {
            Decision::Skip(why) => why,
            other => panic!("imported: {other:?}"),
        };
        assert!(reason(&owned_by(1, "nobody@example.com")).starts_with("no such customer"));
        assert!(reason(&owned_by(1, "twins@example.com")).contains("accounts 4, 5"));
        let mut other = owned_by(1, EMAIL);
        other.configuration = Some("E-2236-32Gb-2x480SSD".into());
        assert!(reason(&other).starts_with("no matching tariff"));
        let mut held = owned_by(9, EMAIL);
        held.notes = "billmgr-item:40".into();
        assert_eq!(reason(&held), "already a service: item 40 holds it");
        let mut marked = owned_by(1, EMAIL);
        marked.notes = "billmgr-item:77 closing".into();
        assert!(reason(&marked).contains("no live service"));
        let mut unknown = owned_by(1, EMAIL);
        unknown.unknown = unknown.unknown.with(Needed::Notes);
        assert!(reason(&unknown).starts_with("notes unknown"));
        let mut twice = billing();
        twice
            .tariffs
            .push((5, "E5-2620-64Gb-1024NVMe-1024NVMe".parse().expect("label")));
        match decide(&owned_by(1, EMAIL), &twice) {
            Decision::Skip(why) => assert!(why.starts_with("tariffs #1, #5"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_service_whose_mark_was_not_written_gets_only_the_mark() {
        assert_eq!(
            decide(&owned_by(9, EMAIL), &billing()),
            Decision::Mark { item: 40 }
        );
    }

    #[test]
    fn selection_by_owner_and_search() {
        assert!(!selected(&available(1), None));
        assert!(selected(&owned_by(1, EMAIL), None));
        assert!(selected(&owned_by(1, EMAIL), Some("dave@")));
        assert!(selected(&owned_by(1, EMAIL), Some("SRV-1")));
        assert!(!selected(&owned_by(1, EMAIL), Some("carol")));
    }
}
