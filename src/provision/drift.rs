//! Drift between BILLmanager and DCImanager for the services of one processing module: what
//! `report --module N` tells an administrator.
//!
//! BILLmanager and DCImanager each keep half of a service (the item and its `serverid`; the
//! server's owner and its `billmgr-item:<N>` notes mark), and staff can change either side by
//! hand. The audit compares the two halves while the installation's servers are listed, page by
//! page, like the open's census: each server is judged as it goes by and only what the report
//! needs is kept (the drift found, and small facts about the servers services hold), so one
//! paged listing serves any installation size. [`Audit::finish`] then judges the services and
//! the stock per configuration the module's tariffs sell.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use super::availability::{Census, MacCounts, RuleTally};
use super::item_status::StatusCode;
use super::label::Configuration;
use super::order::MANUAL;
use super::ownership::{self, ItemNote, NoteStage};
use super::server_state;
use crate::dci::api::{ConfigurationSummary, PortStatus, Server};

/// A service of the module (not deleted) as BILLmanager records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFacts {
    pub item: u64,
    pub state: StatusCode,
    /// The customer's e-mail: the e-mail of the server's DCImanager owner.
    pub email: Option<String>,
    pub tariff: u64,
    /// Param `serverid`.
    pub saved_server: Option<u64>,
}

/// A tariff selling through the module, with its param `configuration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TariffFacts {
    pub id: u64,
    pub configuration: String,
}

/// What BILLmanager says about the module, read before the servers are listed.
#[derive(Debug, Clone, Default)]
pub struct ModuleFacts {
    /// The DCImanager location the module sells from.
    pub location: u64,
    /// The module's `ignore_errors`, for the availability rules of the stock.
    pub ignore_errors: bool,
    pub services: Vec<ServiceFacts>,
    /// E-mails of every account with a service of the module, deleted services included.
    pub customers: Vec<String>,
    pub tariffs: Vec<TariffFacts>,
}

/// The kinds of drift, in the order the report lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriftKind {
    /// A server owned by a customer of the module that no live service holds.
    OrphanServer,
    /// An active or suspended service whose server is gone, or which holds none.
    ServiceWithoutServer,
    /// A live service whose server lost its owner, has another owner, or lost its notes mark.
    LostOwner,
    /// A live service of a fixed tariff whose server's configuration is no longer the tariff's.
    ConfigurationChanged,
    /// Addresses on a server no service holds.
    IpsWithoutService,
    /// A close that started and did not finish: the server is out of stock, in maintenance
    /// when its wipe failed, its switch ports possibly left down.
    UnfinishedClose,
    /// A server without owner whose notes still name an item that holds no live service: the
    /// mark keeps it out of stock.
    StaleMark,
    /// A configuration a tariff sells with no server available in the location.
    OutOfStock,
}

impl DriftKind {
    pub const ALL: [DriftKind; 8] = [
        DriftKind::OrphanServer,
        DriftKind::ServiceWithoutServer,
        DriftKind::LostOwner,
        DriftKind::ConfigurationChanged,
        DriftKind::IpsWithoutService,
        DriftKind::UnfinishedClose,
        DriftKind::StaleMark,
        DriftKind::OutOfStock,
    ];

    /// The `kind` attribute of the XML report.
    pub fn name(self) -> &'static str {
        match self {
            DriftKind::OrphanServer => "orphan_server",
            DriftKind::ServiceWithoutServer => "service_without_server",
            DriftKind::LostOwner => "lost_owner",
            DriftKind::ConfigurationChanged => "configuration_changed",
            DriftKind::IpsWithoutService => "ips_without_service",
            DriftKind::UnfinishedClose => "unfinished_close",
            DriftKind::StaleMark => "stale_mark",
            DriftKind::OutOfStock => "out_of_stock",
        }
    }

    /// The heading of the text report.
    pub fn title(self) -> &'static str {
        match self {
            DriftKind::OrphanServer => {
                "Servers owned by the module's customers with no live service"
            }
            DriftKind::ServiceWithoutServer => "Live services without a server",
            DriftKind::LostOwner => "Live services whose server lost its owner",
            DriftKind::ConfigurationChanged => "Live services whose server changed configuration",
            DriftKind::IpsWithoutService => "IP addresses on servers with no service",
            DriftKind::UnfinishedClose => "Free servers left out of stock by an unfinished close",
            DriftKind::StaleMark => "Free servers kept out of stock by a stale notes mark",
            DriftKind::OutOfStock => "Configurations sold with no server available",
        }
    }

    /// What an administrator does about it.
    pub fn advice(self) -> &'static str {
        match self {
            DriftKind::OrphanServer => {
                "check with the customer, then remove the owner or restore the service"
            }
            DriftKind::ServiceWithoutServer => "find the customer's server or reopen the service",
            DriftKind::LostOwner => {
                "restore the owner and the notes mark, or the service's commands will refuse the server"
            }
            DriftKind::ConfigurationChanged => {
                "move the service to the tariff of the server's configuration, or rebuild the server"
            }
            DriftKind::IpsWithoutService => "remove the addresses so their pool gets them back",
            DriftKind::UnfinishedClose => {
                "check the server (disks wiped?), then run close again or release it by hand"
            }
            DriftKind::StaleMark => "clear the notes to put the server back in stock",
            DriftKind::OutOfStock => {
                "add servers of this configuration, or stop selling the tariff"
            }
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A server named by a drift.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerRef {
    pub id: u64,
    pub name: String,
}

/// One drift found, with what it concerns and why it is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub kind: DriftKind,
    pub server: Option<ServerRef>,
    pub item: Option<u64>,
    /// The configuration concerned ([`DriftKind::OutOfStock`], [`DriftKind::ConfigurationChanged`]).
    pub configuration: Option<String>,
    /// Addresses concerned ([`DriftKind::IpsWithoutService`]).
    pub addresses: Vec<String>,
    pub reason: String,
}

impl Drift {
    fn new(kind: DriftKind, reason: String) -> Drift {
        Drift {
            kind,
            server: None,
            item: None,
            configuration: None,
            addresses: Vec::new(),
            reason,
        }
    }

    fn on(mut self, server: &ServerRef) -> Drift {
        self.server = Some(server.clone());
        self
    }

    fn of_item(mut self, item: u64) -> Drift {
        self.item = Some(item);
        self
    }
}

/// Stock of one configuration sold by the module's fixed tariffs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The label as the (first) tariff writes it.
    pub configuration: String,
    /// Tariffs selling this hardware (labels describing the same hardware count as one).
    pub tariffs: Vec<u64>,
    /// Servers of the location that pass the seven availability rules.
    pub available: usize,
    /// DCImanager's own free count (servers without owner, whole installation).
    pub dci_free: u64,
    /// Live services on these tariffs.
    pub services: usize,
    /// Why no server can ever match, when the label cannot be read.
    pub unreadable: Option<String>,
}

/// `#3, #7`: tariff ids as BILLmanager's lists show them.
pub fn tariff_list(ids: &[u64]) -> String {
    ids.iter()
        .map(|id| format!("#{id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything the report shows.
#[derive(Debug, Clone)]
pub struct DriftReport {
    /// By kind, then server, then item.
    pub drifts: Vec<Drift>,
    pub stock: Vec<StockLine>,
    /// Tariffs built from addons (`manual`): their stock depends on each order.
    pub manual_tariffs: Vec<u64>,
    /// Servers of the whole installation listed.
    pub listed: u64,
    /// Servers of the module's location.
    pub location_servers: u64,
    pub available: usize,
    pub tally: RuleTally,
    /// Services of the module read (not deleted).
    pub services: usize,
}

impl DriftReport {
    pub fn count(&self, kind: DriftKind) -> usize {
        self.drifts.iter().filter(|d| d.kind == kind).count()
    }
}

/// What the audit keeps of a server a service holds.
#[derive(Debug, Clone)]
struct HeldServer {
    server: ServerRef,
    owner: Option<String>,
    note: Option<ItemNote>,
    notes: String,
    configuration: String,
}

/// The audit of one module, fed the installation's servers a page at a time.
pub struct Audit {
    location: u64,
    ignore_errors: bool,
    services: BTreeMap<u64, ServiceFacts>,
    /// Server id → the item whose `serverid` names it.
    saved: HashMap<u64, u64>,
    /// Lower-case e-mails.
    customers: HashSet<String>,
    tariffs: Vec<TariffFacts>,
    held: HashMap<u64, HeldServer>,
    macs: MacCounts,
    census: Census,
    drifts: Vec<Drift>,
    listed: u64,
    location_servers: u64,
}

impl Audit {
    pub fn new(facts: ModuleFacts) -> Audit {
        let saved = facts
            .services
            .iter()
            .filter_map(|s| s.saved_server.map(|server| (server, s.item)))
            .collect();
        Audit {
            location: facts.location,
            ignore_errors: facts.ignore_errors,
            services: facts.services.into_iter().map(|s| (s.item, s)).collect(),
            saved,
            customers: facts
                .customers
                .iter()
                .map(|email| email.trim().to_ascii_lowercase())
                .filter(|email| !email.is_empty())
                .collect(),
            tariffs: facts.tariffs,
            held: HashMap::new(),
            macs: MacCounts::default(),
            census: Census::default(),
            drifts: Vec::new(),
            listed: 0,
            location_servers: 0,
        }
    }

    /// Judges one server of the installation (any location: MAC uniqueness and the
    /// customers' servers are installation-wide).
    pub fn add(&mut self, server: &Server) {
        self.listed += 1;
        self.macs.add_server(server);
        let in_location = server.location_id == self.location;
        if in_location {
            self.location_servers += 1;
            self.census.add(server, self.ignore_errors);
        }
        let note = ItemNote::read(&server.notes);
        let owner = ownership::owner_email(server).map(str::to_string);
        let reference = ServerRef {
            id: server.id,
            name: server.name.clone(),
        };
        // A second server marked for an item that holds one already is none of its own.
        if let Some(item) = self.holder_of(server.id, note)
            && self
                .held
                .get(&item)
                .is_none_or(|h| h.server.id == server.id)
        {
            self.held.insert(
                item,
                HeldServer {
                    server: reference,
                    owner,
                    note,
                    notes: server.notes.clone(),
                    configuration: server.configuration.clone().unwrap_or_default(),
                },
            );
            return;
        }
        let customer = owner
            .as_deref()
            .filter(|email| self.customers.contains(&email.to_ascii_lowercase()));
        if !in_location && customer.is_none() {
            return;
        }
        if let Some(email) = customer {
            let reason = format!(
                "owned by {email}, a customer of the module, but no live service holds it; {}",
                self.describe_mark(note, &server.notes)
            );
            self.drifts
                .push(Drift::new(DriftKind::OrphanServer, reason).on(&reference));
        } else if owner.is_none()
            && let Some(note) = note
        {
            self.drifts
                .push(self.free_with_mark(server, &reference, note));
        }
        if !server.ip.is_empty() && (owner.is_none() || customer.is_some()) {
            let addresses: Vec<String> = server.ip.iter().map(|ip| ip.name.clone()).collect();
            let whose = match customer {
                Some(email) => format!("on a server owned by {email} and held by no service"),
                None => "on a server without owner".to_string(),
            };
            let mut drift = Drift::new(
                DriftKind::IpsWithoutService,
                format!("{} {whose}", addresses.join(", ")),
            )
            .on(&reference);
            drift.addresses = addresses;
            self.drifts.push(drift);
        }
    }

    /// The service holding the server: the one whose `serverid` names it, else the one its
    /// notes name (when that service has saved no other server).
    fn holder_of(&self, server: u64, note: Option<ItemNote>) -> Option<u64> {
        if let Some(item) = self.saved.get(&server) {
            return Some(*item);
        }
        let item = note?.item;
        let service = self.services.get(&item)?;
        service
            .saved_server
            .is_none_or(|saved| saved == server)
            .then_some(item)
    }

    /// The notes mark of a server no service holds, in words.
    fn describe_mark(&self, note: Option<ItemNote>, notes: &str) -> String {
        match note {
            None if notes.trim().is_empty() => "its notes are empty".to_string(),
            None => format!("its notes carry no billmgr-item mark ('{notes}')"),
            Some(note) => format!(
                "its notes name item {}, which is {}",
                note.item,
                self.item_state(note.item)
            ),
        }
    }

    /// `active and holds server 12`: the item a notes mark names, as BILLmanager and the
    /// servers listed so far know it.
    fn item_state(&self, item: u64) -> String {
        let Some(service) = self.services.get(&item) else {
            return "deleted or not a service of this module".to_string();
        };
        match service
            .saved_server
            .or_else(|| self.held.get(&item).map(|h| h.server.id))
        {
            Some(id) => format!("{} and holds server {id}", service.state),
            None => service.state.to_string(),
        }
    }

    /// A server without owner whose notes carry a mark no service accounts for.
    fn free_with_mark(&self, server: &Server, reference: &ServerRef, note: ItemNote) -> Drift {
        let item_state = format!("the item is {}", self.item_state(note.item));
        match note.stage {
            NoteStage::Held => Drift::new(
                DriftKind::StaleMark,
                format!(
                    "no owner, but the notes still reserve the server for the item; {item_state}"
                ),
            ),
            stage => Drift::new(
                DriftKind::UnfinishedClose,
                format!("{}; {item_state}", unfinished_close(server, stage)),
            ),
        }
        .on(reference)
        .of_item(note.item)
    }

    /// Judges the services and the stock, once every server has been added.
    pub fn finish(mut self, configurations: &[ConfigurationSummary]) -> DriftReport {
        let mut drifts = std::mem::take(&mut self.drifts);
        for service in self.services.values().filter(|s| s.state.is_live()) {
            drifts.extend(self.judge_service(service));
        }
        let stock = self.census.finish(&self.macs);
        let mut lines: Vec<(Option<Configuration>, StockLine)> = Vec::new();
        let mut manual_tariffs = Vec::new();
        for tariff in &self.tariffs {
            let label = tariff.configuration.trim();
            if label.eq_ignore_ascii_case(MANUAL) {
                manual_tariffs.push(tariff.id);
                continue;
            }
            let parsed = label.parse::<Configuration>();
            let known = lines
                .iter_mut()
                .find(|(hardware, line)| match (hardware, &parsed) {
                    (Some(hardware), Ok(parsed)) => hardware.same_hardware(parsed),
                    (None, Err(_)) => line.configuration == label,
                    _ => false,
                });
            let line = match known {
                Some((_, line)) => line,
                None => {
                    let (available, dci_free) = match &parsed {
                        Ok(hardware) => (
                            stock
                                .available
                                .iter()
                                .filter(|c| c.configuration.same_hardware(hardware))
                                .count(),
                            configurations
                                .iter()
                                .filter(|c| {
                                    c.configuration
                                        .parse::<Configuration>()
                                        .is_ok_and(|c| c.same_hardware(hardware))
                                })
                                .map(|c| c.free_server_count)
                                .sum(),
                        ),
                        Err(_) => (0, 0),
                    };
                    lines.push((
                        parsed.as_ref().ok().cloned(),
                        StockLine {
                            configuration: label.to_string(),
                            tariffs: Vec::new(),
                            available,
                            dci_free,
                            services: 0,
                            unreadable: parsed.as_ref().err().map(ToString::to_string),
                        },
                    ));
                    let last = lines.len() - 1;
                    &mut lines[last].1
                }
            };
            line.tariffs.push(tariff.id);
            line.services += self
                .services
                .values()
                .filter(|s| s.tariff == tariff.id && s.state.is_live())
                .count();
        }
        let stock_lines: Vec<StockLine> = lines.into_iter().map(|(_, line)| line).collect();
        for line in stock_lines.iter().filter(|line| line.available == 0) {
            let tariffs = tariff_list(&line.tariffs);
            let why = match &line.unreadable {
                Some(problem) => format!("no server can match it: {problem}"),
                None => format!(
                    "no server of it is available in location {} (DCImanager counts {} without owner in the whole installation)",
                    self.location, line.dci_free
                ),
            };
            let mut drift = Drift::new(
                DriftKind::OutOfStock,
                format!(
                    "sold by tariff{} {tariffs}: {why}",
                    if line.tariffs.len() == 1 { "" } else { "s" }
                ),
            );
            drift.configuration = Some(line.configuration.clone());
            drifts.push(drift);
        }
        drifts.sort_by(|a, b| {
            (a.kind, a.server.as_ref().map(|s| s.id), a.item).cmp(&(
                b.kind,
                b.server.as_ref().map(|s| s.id),
                b.item,
            ))
        });
        DriftReport {
            drifts,
            stock: stock_lines,
            manual_tariffs,
            listed: self.listed,
            location_servers: self.location_servers,
            available: stock.available.len(),
            tally: stock.tally,
            services: self.services.len(),
        }
    }

    fn judge_service(&self, service: &ServiceFacts) -> Vec<Drift> {
        let item = service.item;
        let Some(held) = self.held.get(&item) else {
            let reason = match service.saved_server {
                Some(id) => format!(
                    "{}; server {id} saved in its serverid is not in DCImanager",
                    service.state
                ),
                None => format!(
                    "{} but holds no server: no serverid, and no server's notes carry billmgr-item:{item}",
                    service.state
                ),
            };
            return vec![Drift::new(DriftKind::ServiceWithoutServer, reason).of_item(item)];
        };
        let server = &held.server;
        let mut drifts = Vec::new();
        let own_note = held.note.filter(|note| note.item == item);
        if let Some(note) = own_note.filter(|note| note.stage != NoteStage::Held) {
            let reason = format!(
                "{} in BILLmanager, but the server's notes say its close started: {}",
                service.state,
                held.notes.trim()
            );
            drifts.push(
                Drift::new(DriftKind::UnfinishedClose, reason)
                    .on(server)
                    .of_item(note.item),
            );
            return drifts;
        }
        let mut lost = Vec::new();
        match (held.owner.as_deref(), service.email.as_deref()) {
            (None, _) => lost.push("no owner".to_string()),
            (Some(owner), Some(email)) if !ownership::same_email(owner, email) => {
                lost.push(format!("owned by '{owner}', not by the customer {email}"))
            }
            _ => {}
        }
        match held.note {
            Some(note) if note.item != item => {
                lost.push(format!("the notes name item {}, not this one", note.item))
            }
            None => lost.push(format!(
                "the notes no longer carry billmgr-item:{item} ('{}')",
                held.notes
            )),
            Some(_) => {}
        }
        if !lost.is_empty() {
            let reason = format!("{}; {}", service.state, lost.join("; "));
            drifts.push(
                Drift::new(DriftKind::LostOwner, reason)
                    .on(server)
                    .of_item(item),
            );
        }
        if let Some(drift) = self.configuration_drift(service, held) {
            drifts.push(drift);
        }
        drifts
    }

    fn configuration_drift(&self, service: &ServiceFacts, held: &HeldServer) -> Option<Drift> {
        let tariff = self.tariffs.iter().find(|t| t.id == service.tariff)?;
        let wanted: Configuration = tariff.configuration.trim().parse().ok()?;
        let label = held.configuration.trim();
        let now = match label.parse::<Configuration>() {
            Ok(have) if have.same_hardware(&wanted) => return None,
            Ok(_) => format!("is now {label}"),
            Err(_) if label.is_empty() => "has no configuration (diagnostics not done)".into(),
            Err(err) => format!("has an unreadable configuration ({err})"),
        };
        let mut drift = Drift::new(
            DriftKind::ConfigurationChanged,
            format!(
                "{}; tariff #{} sells {}, the server {now}",
                service.state,
                tariff.id,
                tariff.configuration.trim(),
            ),
        )
        .on(&held.server)
        .of_item(service.item);
        drift.configuration = Some(label.to_string());
        Some(drift)
    }
}

/// How far a close got and what it left: stage, maintenance, ports left down.
fn unfinished_close(server: &Server, stage: NoteStage) -> String {
    let mut text = match stage {
        NoteStage::WipeFailed { operation } => {
            format!("the close failed to wipe the disks (diagnostics {operation})")
        }
        NoteStage::Wiping { operation } => {
            format!("the close started the wipe (diagnostics {operation}) and did not finish")
        }
        _ => "the close started and did not finish".to_string(),
    };
    if server.maintenance_mode {
        text.push_str("; in maintenance");
    }
    let down: Vec<u64> = server_state::switch_ports(server)
        .filter(|port| port.admin_status == PortStatus::Down)
        .map(|port| port.id)
        .collect();
    if !down.is_empty() {
        text.push_str(&format!(
            "; switch port{} {} left down",
            if down.len() == 1 { "" } else { "s" },
            server_state::id_list(&down)
        ));
    }
    if let NoteStage::WipeFailed { .. } = stage
        && let Some((_, why)) = server.notes.split_once(": ")
    {
        text.push_str(&format!("; notes say: {}", why.trim()));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::{IpFamily, Owner};
    use crate::provision::testing::{available, ip, owned, port};

    const ALICE: &str = "alice@example.com";
    const BOB: &str = "bob@example.com";
    const LABEL: &str = "E5-2620-64Gb-2x1024NVMe";

    fn service(item: u64, status: i32, email: &str, saved: Option<u64>) -> ServiceFacts {
        ServiceFacts {
            item,
            state: StatusCode::new(status),
            email: Some(email.into()),
            tariff: 1,
            saved_server: saved,
        }
    }

    fn facts(services: Vec<ServiceFacts>) -> ModuleFacts {
        ModuleFacts {
            location: 3,
            ignore_errors: false,
            services,
            customers: vec![ALICE.into(), BOB.into()],
            tariffs: vec![TariffFacts {
                id: 1,
                configuration: LABEL.into(),
            }],
        }
    }

    fn report(facts: ModuleFacts, servers: &[Server]) -> DriftReport {
        let mut audit = Audit::new(facts);
        for server in servers {
            audit.add(server);
        }
        audit.finish(&[ConfigurationSummary {
            configuration: LABEL.into(),
            free_server_count: 4,
        }])
    }

    fn kinds(report: &DriftReport) -> Vec<(DriftKind, Option<u64>, Option<u64>)> {
        report
            .drifts
            .iter()
            .map(|d| (d.kind, d.server.as_ref().map(|s| s.id), d.item))
            .collect()
    }

    #[test]
    fn a_consistent_module_has_no_drift() {
        let report = report(
            facts(vec![
                service(42, 2, ALICE, Some(1)),
                service(43, 3, BOB, None),
                service(44, 1, BOB, None),
            ]),
            &[owned(1, ALICE, 42), owned(2, BOB, 43), available(3)],
        );
        assert_eq!(kinds(&report), vec![]);
        assert_eq!(report.available, 1);
        assert_eq!(report.services, 3);
        assert_eq!(
            report.stock,
            vec![StockLine {
                configuration: LABEL.into(),
                tariffs: vec![1],
                available: 1,
                dci_free: 4,
                services: 2,
                unreadable: None,
            }]
        );
    }

    #[test]
    fn servers_of_customers_without_a_live_service_are_orphans() {
        let mut unmarked = owned(2, "Bob@Example.com", 0);
        unmarked.notes = String::new();
        let mut elsewhere = owned(3, ALICE, 77);
        elsewhere.location_id = 9;
        let mut stranger = owned(4, "someone@else.example", 0);
        stranger.notes = "staff test box".into();
        stranger.ip.clear();
        let report = report(
            facts(vec![]),
            &[owned(1, ALICE, 42), unmarked, elsewhere, stranger],
        );
        let orphans: Vec<(u64, &str)> = report
            .drifts
            .iter()
            .filter(|d| d.kind == DriftKind::OrphanServer)
            .map(|d| (d.server.as_ref().map_or(0, |s| s.id), d.reason.as_str()))
            .collect();
        assert_eq!(orphans.len(), 3, "{orphans:?}");
        assert!(
            orphans[0].1.contains("item 42, which is deleted"),
            "{orphans:?}"
        );
        assert!(orphans[1].1.contains("notes are empty"), "{orphans:?}");
        assert_eq!(orphans[2].0, 3, "a customer's server in another location");
        // Their addresses are drift too; the stranger's server is none of the module's business.
        assert_eq!(report.count(DriftKind::IpsWithoutService), 3);
        assert!(
            report
                .drifts
                .iter()
                .all(|d| d.server.as_ref().map(|s| s.id) != Some(4))
        );
    }

    #[test]
    fn an_item_saving_another_server_does_not_hold_the_one_its_notes_name() {
        let report = report(
            facts(vec![service(42, 2, ALICE, Some(1))]),
            &[owned(1, ALICE, 42), owned(2, ALICE, 42), available(3)],
        );
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::OrphanServer, Some(2), None),
                (DriftKind::IpsWithoutService, Some(2), None),
            ]
        );
        assert!(
            report.drifts[0]
                .reason
                .contains("which is active and holds server 1"),
            "{}",
            report.drifts[0].reason
        );
    }

    #[test]
    fn a_second_server_marked_for_the_same_item_is_an_orphan() {
        let report = report(
            facts(vec![service(42, 2, ALICE, None)]),
            &[owned(1, ALICE, 42), owned(2, ALICE, 42), available(3)],
        );
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::OrphanServer, Some(2), None),
                (DriftKind::IpsWithoutService, Some(2), None),
            ]
        );
        assert!(
            report.drifts[0]
                .reason
                .contains("its notes name item 42, which is active and holds server 1"),
            "{}",
            report.drifts[0].reason
        );
    }

    #[test]
    fn live_services_without_their_server() {
        let report = report(
            facts(vec![
                service(42, 2, ALICE, Some(99)),
                service(43, 3, BOB, None),
                service(44, 5, BOB, None),
            ]),
            &[available(1)],
        );
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::ServiceWithoutServer, None, Some(42)),
                (DriftKind::ServiceWithoutServer, None, Some(43)),
            ]
        );
        assert!(
            report.drifts[0]
                .reason
                .contains("server 99 saved in its serverid")
        );
        assert!(report.drifts[1].reason.contains("holds no server"));
    }

    #[test]
    fn live_services_whose_server_lost_owner_or_mark() {
        let mut no_owner = owned(1, ALICE, 42);
        no_owner.owner = None;
        no_owner.owner_email = None;
        let other_owner = owned(2, "mallory@example.com", 43);
        let mut no_mark = owned(3, ALICE, 44);
        no_mark.notes = "moved by staff".into();
        let report = report(
            facts(vec![
                service(42, 2, ALICE, Some(1)),
                service(43, 2, ALICE, Some(2)),
                service(44, 3, ALICE, Some(3)),
                // Suspended and found by its mark alone: fine.
                service(45, 3, ALICE, None),
            ]),
            &[
                no_owner,
                other_owner,
                no_mark,
                owned(4, "ALICE@example.com", 45),
                available(5),
            ],
        );
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::LostOwner, Some(1), Some(42)),
                (DriftKind::LostOwner, Some(2), Some(43)),
                (DriftKind::LostOwner, Some(3), Some(44)),
            ]
        );
        let reasons: Vec<&str> = report.drifts.iter().map(|d| d.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "active; no owner",
                "active; owned by 'mallory@example.com', not by the customer alice@example.com",
                "suspended; the notes no longer carry billmgr-item:44 ('moved by staff')",
            ]
        );
    }

    #[test]
    fn a_server_rebuilt_under_a_fixed_tariff_changed_configuration() {
        let mut rebuilt = owned(1, ALICE, 42);
        rebuilt.configuration = Some("E5-2620-128Gb-2x1024NVMe".into());
        let mut regrouped = owned(2, ALICE, 43);
        regrouped.configuration = Some("1xE5-2620-64Gb-1024NVMe-1024NVMe".into());
        let mut manual = service(44, 2, ALICE, Some(3));
        manual.tariff = 2;
        let mut facts = facts(vec![
            service(42, 2, ALICE, Some(1)),
            service(43, 2, ALICE, Some(2)),
            manual,
        ]);
        facts.tariffs.push(TariffFacts {
            id: 2,
            configuration: "manual".into(),
        });
        let mut other = owned(3, ALICE, 44);
        other.configuration = Some("E-2236-32Gb-2x480SSD".into());
        let report = report(facts, &[rebuilt, regrouped, other]);
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::ConfigurationChanged, Some(1), Some(42)),
                // Nothing available of the fixed tariff's configuration.
                (DriftKind::OutOfStock, None, None),
            ]
        );
        assert_eq!(
            report.drifts[0].reason,
            "active; tariff #1 sells E5-2620-64Gb-2x1024NVMe, the server is now E5-2620-128Gb-2x1024NVMe"
        );
        assert_eq!(report.manual_tariffs, vec![2]);
    }

    #[test]
    fn addresses_left_on_a_free_server() {
        let mut leftover = available(1);
        leftover.ip = vec![
            ip(901, "203.0.113.10", IpFamily::Ipv4),
            ip(902, "2001:db8::10", IpFamily::Ipv6),
        ];
        let report = report(facts(vec![]), &[leftover]);
        assert_eq!(
            kinds(&report),
            vec![(DriftKind::IpsWithoutService, Some(1), None)]
        );
        assert_eq!(
            report.drifts[0].addresses,
            vec!["203.0.113.10", "2001:db8::10"]
        );
        assert_eq!(
            report.drifts[0].reason,
            "203.0.113.10, 2001:db8::10 on a server without owner"
        );
    }

    #[test]
    fn closes_that_did_not_finish_and_stale_marks() {
        let mut failed = available(1);
        failed.maintenance_mode = true;
        failed.switch_connection = vec![
            port(11, false, PortStatus::Down),
            port(12, true, PortStatus::Up),
        ];
        failed.notes =
            ownership::wipe_failed_note(42, 88, "diagnostics failed: disk /dev/sda unreadable");
        let mut wiping = available(2);
        wiping.notes = "billmgr-item:43 closing diagnostics:89".into();
        let mut reserved = available(3);
        reserved.notes = "billmgr-item:44".into();
        let report = report(
            facts(vec![service(43, 2, ALICE, None)]),
            &[failed, wiping, reserved],
        );
        assert_eq!(
            kinds(&report),
            vec![
                (DriftKind::UnfinishedClose, Some(1), Some(42)),
                (DriftKind::UnfinishedClose, Some(2), Some(43)),
                (DriftKind::StaleMark, Some(3), Some(44)),
                (DriftKind::OutOfStock, None, None),
            ]
        );
        assert_eq!(
            report.drifts[0].reason,
            "the close failed to wipe the disks (diagnostics 88); in maintenance; switch port 11 left down; \
             notes say: diagnostics failed: disk /dev/sda unreadable; the item is deleted or not a service of this module"
        );
        assert!(
            report.drifts[1]
                .reason
                .contains("active in BILLmanager, but the server's notes say its close started"),
            "{}",
            report.drifts[1].reason
        );
        assert!(
            report.drifts[2]
                .reason
                .contains("reserve the server for the item")
        );
    }

    #[test]
    fn stock_groups_tariffs_of_the_same_hardware_and_flags_empty_ones() {
        let mut facts = facts(vec![service(42, 2, ALICE, Some(1))]);
        facts.tariffs = vec![
            TariffFacts {
                id: 1,
                configuration: LABEL.into(),
            },
            TariffFacts {
                id: 2,
                configuration: "1xE5-2620-64Gb-1024NVMe-1024NVMe".into(),
            },
            TariffFacts {
                id: 3,
                configuration: "2xE5-2680v4-256Gb-4x1920SSD".into(),
            },
            TariffFacts {
                id: 4,
                configuration: "mystery".into(),
            },
        ];
        let mut broken = available(4);
        broken.maintenance_mode = true;
        let mut elsewhere = available(5);
        elsewhere.location_id = 9;
        let report = report(
            facts,
            &[
                owned(1, ALICE, 42),
                available(2),
                available(3),
                broken,
                elsewhere,
            ],
        );
        let lines: Vec<(&str, Vec<u64>, usize, u64, usize)> = report
            .stock
            .iter()
            .map(|l| {
                (
                    l.configuration.as_str(),
                    l.tariffs.clone(),
                    l.available,
                    l.dci_free,
                    l.services,
                )
            })
            .collect();
        assert_eq!(
            lines,
            vec![
                (LABEL, vec![1, 2], 2, 4, 1),
                ("2xE5-2680v4-256Gb-4x1920SSD", vec![3], 0, 0, 0),
                ("mystery", vec![4], 0, 0, 0),
            ]
        );
        assert!(report.stock[2].unreadable.is_some());
        let empty: Vec<&str> = report
            .drifts
            .iter()
            .filter(|d| d.kind == DriftKind::OutOfStock)
            .filter_map(|d| d.configuration.as_deref())
            .collect();
        assert_eq!(empty, vec!["2xE5-2680v4-256Gb-4x1920SSD", "mystery"]);
        assert_eq!(report.location_servers, 4);
        assert_eq!(report.listed, 5);
        assert_eq!(report.tally.total(), 2, "owned and in maintenance");
    }

    #[test]
    fn an_owner_without_e_mail_is_not_taken_for_a_customer() {
        let mut anonymous = owned(1, "", 0);
        anonymous.owner = Some(Owner {
            id: Some(5),
            email: String::new(),
        });
        anonymous.notes = String::new();
        let report = report(facts(vec![]), &[anonymous, available(2)]);
        assert_eq!(kinds(&report), vec![]);
    }
}
