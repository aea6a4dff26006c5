//! Which servers may be sold: the seven availability rules of the seed (spec §5), each with the
//! reason it gives administrators for a rejection.
//!
//! An open lists every server of a location, page by page, and must stay small at 50,000
//! servers; so nothing here keeps a [`Server`]. [`Census::add`] turns each server into either a
//! compact [`Candidate`] or a counted [`Rejection`] as the page goes by. Rule 6 (unique MAC) is
//! judged across the whole installation, which is only known after the last page: [`MacCounts`]
//! is filled from every server seen, and [`Census::finish`] settles rule 6 (and rule 7, which
//! comes after it in the seed's order) once it is complete.

use std::collections::HashMap;
use std::fmt;

use super::label::Configuration;
use super::ownership::{self, Holder, ItemNote, NotOwned, NoteStage};
use crate::dci::api::{DiagnosticsStatus, ErrorEntry, Needed, OperationStatus, Server};

/// The seven rules, in the seed's order; the first one a server fails is its rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AvailabilityRule {
    /// No owner. A server whose notes carry a `billmgr-item:<N>` mark counts as owned too: it is
    /// reserved, or its close (which removes the owner before wiping the disks) is still running,
    /// and it must not be sold before that close has finished.
    NoOwner,
    /// Diagnostics completed (`ok`) and a configuration label determined and readable.
    DiagnosticsDone,
    /// Last operation `ok` or `canceled`, or none yet.
    LastOperationOk,
    NotInMaintenance,
    InOperation,
    /// None of the server's MAC addresses is on another server of the installation (compared
    /// without regard to case or separators).
    UniqueMac,
    /// No diagnostic errors and no status errors, unless the provider chose `ignore_errors`.
    NoErrors,
}

impl AvailabilityRule {
    pub const ALL: [AvailabilityRule; 7] = [
        AvailabilityRule::NoOwner,
        AvailabilityRule::DiagnosticsDone,
        AvailabilityRule::LastOperationOk,
        AvailabilityRule::NotInMaintenance,
        AvailabilityRule::InOperation,
        AvailabilityRule::UniqueMac,
        AvailabilityRule::NoErrors,
    ];

    /// What a server rejected by this rule is, for counts: `owned: 12, in maintenance: 1`.
    pub fn failure(self) -> &'static str {
        match self {
            AvailabilityRule::NoOwner => "owned",
            AvailabilityRule::DiagnosticsDone => "diagnostics not done",
            AvailabilityRule::LastOperationOk => "last operation not ok",
            AvailabilityRule::NotInMaintenance => "in maintenance",
            AvailabilityRule::InOperation => "not in operation",
            AvailabilityRule::UniqueMac => "MAC not unique",
            AvailabilityRule::NoErrors => "errors",
        }
    }

    /// Judged one by one in tests; the commands use [`Census`].
    #[cfg(test)]
    /// Checks one rule; the error is the reason for administrators. `macs` must count every
    /// server of the installation (it may or may not include this one).
    pub fn check(
        self,
        server: &Server,
        macs: &MacCounts,
        ignore_errors: bool,
    ) -> Result<(), String> {
        match self {
            AvailabilityRule::UniqueMac => known(server, &[Needed::MacAddresses])
                .and_then(|()| unique_macs(&Mac::of_server(server), macs)),
            rule => rule.check_alone(server, ignore_errors),
        }
    }

    /// Every rule but [`AvailabilityRule::UniqueMac`], which needs the whole installation.
    fn check_alone(self, server: &Server, ignore_errors: bool) -> Result<(), String> {
        match self {
            AvailabilityRule::NoOwner => no_owner(server),
            AvailabilityRule::DiagnosticsDone => diagnostics_done(server).map(drop),
            AvailabilityRule::LastOperationOk => last_operation_ok(server),
            AvailabilityRule::NotInMaintenance => {
                known(server, &[Needed::MaintenanceMode])?;
                match server.maintenance_mode {
                    true => Err("in maintenance mode".into()),
                    false => Ok(()),
                }
            }
            // In operation for the module too: an open gives the server addresses and turns
            // its switch ports up, so both must be known before it is claimed.
            AvailabilityRule::InOperation => {
                known(
                    server,
                    &[Needed::InOperation, Needed::Ip, Needed::SwitchConnection],
                )?;
                match server.in_operation {
                    true => Ok(()),
                    false => Err("not in operation".into()),
                }
            }
            AvailabilityRule::NoErrors => no_errors(server, ignore_errors),
            AvailabilityRule::UniqueMac => known(server, &[Needed::MacAddresses]),
        }
    }
}

impl fmt::Display for AvailabilityRule {
    /// The rule as the seed states it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AvailabilityRule::NoOwner => "no owner",
            AvailabilityRule::DiagnosticsDone => {
                "diagnostics completed and configuration determined"
            }
            AvailabilityRule::LastOperationOk => "last operation ok or canceled",
            AvailabilityRule::NotInMaintenance => "not in maintenance mode",
            AvailabilityRule::InOperation => "in operation",
            AvailabilityRule::UniqueMac => "unique MAC address",
            AvailabilityRule::NoErrors => "no diagnostic or status errors",
        })
    }
}

/// "Unknown is not safe" (README Decisions): a rule whose input DCImanager's answer left out
/// refuses the server, and the reason names the field.
fn known(server: &Server, fields: &[Needed]) -> Result<(), String> {
    match fields.iter().find(|field| server.unknown.contains(**field)) {
        Some(field) => Err(field.reason().to_string()),
        None => Ok(()),
    }
}

fn no_owner(server: &Server) -> Result<(), String> {
    known(server, &[Needed::Owner, Needed::Notes])?;
    if let Some(email) = ownership::owner_email(server) {
        let owner = match (email, &server.owner) {
            ("", Some(owner)) => match owner.id {
                Some(id) => format!("user {id}"),
                None => "a user without e-mail".to_owned(),
            },
            _ => email.to_string(),
        };
        return Err(format!("owned by {owner}"));
    }
    match ItemNote::read(&server.notes) {
        None => Ok(()),
        Some(ItemNote {
            item,
            stage: NoteStage::Held,
        }) => Err(format!("reserved for item {item} by its notes")),
        Some(ItemNote { item, .. }) => Err(format!("the close of item {item} has not finished")),
    }
}

/// Rule 2, giving the parsed label to those who need it.
fn diagnostics_done(server: &Server) -> Result<Configuration, String> {
    known(server, &[Needed::Diagnostics, Needed::Configuration])?;
    match server.diagnostics.status {
        DiagnosticsStatus::Ok => {}
        DiagnosticsStatus::Running => return Err("diagnostics running".into()),
        DiagnosticsStatus::Failed => return Err("diagnostics failed".into()),
        DiagnosticsStatus::NotRun => return Err("diagnostics not run".into()),
        DiagnosticsStatus::Unknown => return Err("diagnostics in an unknown state".into()),
    }
    server
        .configuration
        .as_deref()
        .unwrap_or_default()
        .parse()
        .map_err(|err: super::label::LabelError| err.to_string())
}

fn last_operation_ok(server: &Server) -> Result<(), String> {
    known(server, &[Needed::Operation])?;
    let Some(operation) = &server.operation else {
        return Ok(());
    };
    let state = match operation.status {
        OperationStatus::Ok | OperationStatus::Canceled => return Ok(()),
        OperationStatus::Running => "running",
        OperationStatus::Failed => "failed",
        OperationStatus::Unknown => "in an unknown state",
    };
    Err(format!("last operation {} {state}", operation.id))
}

fn no_errors(server: &Server, ignore_errors: bool) -> Result<(), String> {
    if ignore_errors {
        return Ok(());
    }
    known(server, &[Needed::Errors])?;
    let describe = |errors: &[ErrorEntry]| -> Vec<String> {
        errors
            .iter()
            .map(|error| match (&error.msg, &error.code) {
                (msg, _) if !msg.is_empty() => msg.clone(),
                (_, serde_json::Value::Null) => "unnamed error".into(),
                (_, code) => format!("code {code}"),
            })
            .collect()
    };
    let mut parts = Vec::new();
    if !server.errors.diagnostics.is_empty() {
        parts.push(format!(
            "diagnostic errors: {}",
            describe(&server.errors.diagnostics).join(", ")
        ));
    }
    if !server.errors.status.is_empty() {
        parts.push(format!(
            "status errors: {}",
            describe(&server.errors.status).join(", ")
        ));
    }
    if parts.is_empty() {
        Ok(())
    } else {
        Err(parts.join("; "))
    }
}

fn unique_macs(own: &[Mac], macs: &MacCounts) -> Result<(), String> {
    let shared: Vec<String> = own
        .iter()
        .filter_map(|mac| {
            let others = macs.count(mac).saturating_sub(1);
            match others {
                0 => None,
                1 => Some(format!("MAC {mac} is also on another server")),
                n => Some(format!("MAC {mac} is also on {n} other servers")),
            }
        })
        .collect();
    if shared.is_empty() {
        Ok(())
    } else {
        Err(shared.join("; "))
    }
}

/// A MAC address as compared: 48-bit addresses by value (so `0C-C4-7A-...` equals
/// `0c:c4:7a:...`), anything else by its lower-case text. Eight bytes instead of a string keeps
/// [`MacCounts`] small at 50,000 servers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mac {
    Eui48(u64),
    Other(Box<str>),
}

impl Mac {
    /// `None` for an empty entry.
    pub fn parse(text: &str) -> Option<Mac> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let hex: String = text
            .chars()
            .filter(|c| !matches!(c, ':' | '-' | '.'))
            .collect();
        match u64::from_str_radix(&hex, 16) {
            Ok(value) if hex.len() == 12 => Some(Mac::Eui48(value)),
            _ => Some(Mac::Other(text.to_ascii_lowercase().into())),
        }
    }

    /// The server's distinct MAC addresses; one listed twice on the same server is not a
    /// duplicate.
    pub fn of_server(server: &Server) -> Vec<Mac> {
        let mut macs: Vec<Mac> = server
            .mac_addresses
            .iter()
            .filter_map(|mac| Mac::parse(mac))
            .collect();
        macs.sort();
        macs.dedup();
        macs
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mac::Eui48(value) => {
                let bytes = value.to_be_bytes();
                write!(
                    f,
                    "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                    bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]
                )
            }
            Mac::Other(text) => f.write_str(text),
        }
    }
}

/// How many servers of the installation carry each MAC address. Fill it with every server of
/// the installation (all locations: a MAC must be unique installation-wide), page by page.
#[derive(Debug, Clone, Default)]
pub struct MacCounts {
    counts: HashMap<Mac, u32>,
}

impl MacCounts {
    pub fn add_server(&mut self, server: &Server) {
        for mac in Mac::of_server(server) {
            *self.counts.entry(mac).or_default() += 1;
        }
    }

    /// Servers seen with this address.
    pub fn count(&self, mac: &Mac) -> u32 {
        self.counts.get(mac).copied().unwrap_or(0)
    }
}

/// Why a server cannot be sold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub rule: AvailabilityRule,
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

/// What matching needs of an available server, and nothing more.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: u64,
    pub name: String,
    /// The rack, whose IP pool comes first in the pool chain.
    pub rack_id: Option<u64>,
    pub configuration: Configuration,
}

/// Judged one by one in tests; the commands use [`Census`].
#[cfg(test)]
/// Whether one server may be sold: the first rule it fails, in the seed's order.
pub fn classify(server: &Server, macs: &MacCounts, ignore_errors: bool) -> Result<(), Rejection> {
    screen(server, ignore_errors, Owner::MustBeNone)?
        .settle(macs)
        .map(drop)
}

/// Why a claim did not hold when the server was read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimLost {
    /// Owner or notes are not this item's: another open won the race.
    NotOwned(NotOwned),
    /// The server changed since it was listed and no longer passes a rule.
    Rejected(Rejection),
}

impl fmt::Display for ClaimLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClaimLost::NotOwned(reason) => reason.fmt(f),
            ClaimLost::Rejected(rejection) => write!(f, "no longer available: {rejection}"),
        }
    }
}

impl std::error::Error for ClaimLost {}

/// The check after a claim (and before finishing an open resumed on a reserved server): the
/// server, read back, is owned and marked by `holder` ([`ownership::ownership`]) and passes
/// every other rule. Gives back the candidate, so the caller can check it still matches.
pub fn verify_claim(
    server: &Server,
    holder: &Holder,
    macs: &MacCounts,
    ignore_errors: bool,
) -> Result<Candidate, ClaimLost> {
    ownership::ownership(server, holder).map_err(ClaimLost::NotOwned)?;
    screen(server, ignore_errors, Owner::Ours)
        .and_then(|pending| pending.settle(macs))
        .map_err(ClaimLost::Rejected)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    MustBeNone,
    /// Already checked by the caller.
    Ours,
}

/// A server that passed every rule that can be judged alone.
#[derive(Debug)]
struct Pending {
    candidate: Candidate,
    macs: Vec<Mac>,
    /// Rule 6's refusal when DCImanager's answer has no `mac_addresses`.
    macs_unknown: Option<String>,
    /// A failure of a rule that comes after [`AvailabilityRule::UniqueMac`] in the seed's order:
    /// it only counts once rule 6 has passed.
    late: Option<Rejection>,
}

/// The rules in the seed's order, rule 6 excepted (see [`Pending::settle`]).
fn screen(server: &Server, ignore_errors: bool, owner: Owner) -> Result<Pending, Rejection> {
    let reject = |rule| move |reason| Rejection { rule, reason };
    if owner == Owner::MustBeNone {
        no_owner(server).map_err(reject(AvailabilityRule::NoOwner))?;
    }
    let configuration =
        diagnostics_done(server).map_err(reject(AvailabilityRule::DiagnosticsDone))?;
    for rule in [
        AvailabilityRule::LastOperationOk,
        AvailabilityRule::NotInMaintenance,
        AvailabilityRule::InOperation,
    ] {
        rule.check_alone(server, ignore_errors)
            .map_err(reject(rule))?;
    }
    let late = AvailabilityRule::NoErrors
        .check_alone(server, ignore_errors)
        .err()
        .map(reject(AvailabilityRule::NoErrors));
    Ok(Pending {
        candidate: Candidate {
            id: server.id,
            name: server.name.clone(),
            rack_id: server.rack.as_ref().and_then(|rack| rack.id),
            configuration,
        },
        macs: Mac::of_server(server),
        macs_unknown: known(server, &[Needed::MacAddresses]).err(),
        late,
    })
}

impl Pending {
    fn settle(self, macs: &MacCounts) -> Result<Candidate, Rejection> {
        let unique = match self.macs_unknown {
            Some(reason) => Err(reason),
            None => unique_macs(&self.macs, macs),
        };
        unique.map_err(|reason| Rejection {
            rule: AvailabilityRule::UniqueMac,
            reason,
        })?;
        match self.late {
            Some(rejection) => Err(rejection),
            None => Ok(self.candidate),
        }
    }
}

/// Rejections per rule, and how many of them were for a field DCImanager's answer left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RuleTally {
    counts: [u64; 7],
    unknown: u64,
    /// The first such reason, to name the field in a summary.
    first_unknown: Option<&'static str>,
}

impl RuleTally {
    pub fn add(&mut self, rejection: &Rejection) {
        self.counts[rejection.rule as usize] += 1;
        if let Some(field) = Needed::ALL
            .iter()
            .find(|field| field.reason() == rejection.reason)
        {
            self.unknown += 1;
            self.first_unknown.get_or_insert(field.reason());
        }
    }

    pub fn count(&self, rule: AvailabilityRule) -> u64 {
        self.counts[rule as usize]
    }

    /// Judged one by one in tests; the commands use [`Census`].
    #[cfg(test)]
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

impl fmt::Display for RuleTally {
    /// `owned: 12, in maintenance: 1`; rules that rejected nothing are left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = AvailabilityRule::ALL
            .iter()
            .filter(|rule| self.count(**rule) > 0)
            .map(|rule| format!("{}: {}", rule.failure(), self.count(*rule)))
            .collect();
        if parts.is_empty() {
            return f.write_str("none rejected");
        }
        f.write_str(&parts.join(", "))?;
        match self.first_unknown {
            Some(reason) => write!(
                f,
                "; {} of them because DCImanager's answer lacks a field ({reason})",
                self.unknown
            ),
            None => Ok(()),
        }
    }
}

/// A rejected server, kept small for the explanation of a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedServer {
    pub id: u64,
    pub name: String,
    pub rejection: Rejection,
}

/// The location's servers sorted by the rules while they are listed. Feed it the servers of the
/// location only, and [`MacCounts`] the servers of the whole installation.
#[derive(Debug, Default)]
pub struct Census {
    pending: Vec<Pending>,
    rejected: Vec<RejectedServer>,
}

impl Census {
    pub fn add(&mut self, server: &Server, ignore_errors: bool) {
        match screen(server, ignore_errors, Owner::MustBeNone) {
            Ok(pending) => self.pending.push(pending),
            Err(rejection) => self.rejected.push(RejectedServer {
                id: server.id,
                name: server.name.clone(),
                rejection,
            }),
        }
    }

    /// Settles rule 6 once every server of the installation is in `macs`.
    pub fn finish(self, macs: &MacCounts) -> Stock {
        let mut rejected = self.rejected;
        let mut available = Vec::new();
        for pending in self.pending {
            let (id, name) = (pending.candidate.id, pending.candidate.name.clone());
            match pending.settle(macs) {
                Ok(candidate) => available.push(candidate),
                Err(rejection) => rejected.push(RejectedServer {
                    id,
                    name,
                    rejection,
                }),
            }
        }
        rejected.sort_by_key(|server| server.id);
        let mut tally = RuleTally::default();
        for server in &rejected {
            tally.add(&server.rejection);
        }
        Stock {
            available,
            rejected,
            tally,
        }
    }
}

/// The location's servers, judged.
#[derive(Debug)]
pub struct Stock {
    /// In listing order; matching orders them.
    pub available: Vec<Candidate>,
    /// By server id.
    pub rejected: Vec<RejectedServer>,
    pub tally: RuleTally,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dci::api::{Owner as DciOwner, RackRef};
    use crate::provision::testing::{available, operation, owned};

    fn macs_of(servers: &[Server]) -> MacCounts {
        let mut macs = MacCounts::default();
        for server in servers {
            macs.add_server(server);
        }
        macs
    }

    fn rejection(server: &Server) -> Option<Rejection> {
        classify(server, &macs_of(std::slice::from_ref(server)), false).err()
    }

    fn reason_for(server: &Server, rule: AvailabilityRule) -> Option<String> {
        let rejection = rejection(server)?;
        assert_eq!(rejection.rule, rule, "{}", rejection.reason);
        Some(rejection.reason)
    }

    fn error(msg: &str) -> ErrorEntry {
        ErrorEntry {
            code: serde_json::json!(7),
            msg: msg.into(),
        }
    }

    /// A server as DCImanager answers it, every field the rules read present and healthy.
    fn answer() -> serde_json::Value {
        serde_json::json!({
            "id": 5, "name": "srv-5", "location_id": 3, "rack": {"id": 7, "name": "R07"},
            "configuration": "E5-2620-64Gb-2x1024NVMe", "owner": null, "owner_email": null,
            "diagnostics": {"status": "ok"}, "operation": null, "maintenance_mode": false,
            "in_operation": true, "power_status": "on", "mac_addresses": ["0c:c4:7a:00:00:05"],
            "errors": {"diagnostics": [], "status": []}, "notes": "", "ip": [],
            "switch_connection": []
        })
    }

    fn read(answer: serde_json::Value) -> Server {
        serde_json::from_value(answer).expect("a server")
    }

    #[test]
    fn present_but_empty_values_are_values_and_the_server_is_available() {
        let server = read(answer());
        assert_eq!(rejection(&server), None);
    }

    /// One case per availability rule: the field it reads absent → refused by that rule, the
    /// reason naming the field.
    #[test]
    fn each_rule_refuses_a_server_whose_field_is_absent() {
        let cases: [(&[&str], AvailabilityRule, &str); 12] = [
            (&["ip"], AvailabilityRule::InOperation, "`ip`"),
            (
                &["switch_connection"],
                AvailabilityRule::InOperation,
                "`switch_connection`",
            ),
            (
                &["owner", "owner_email"],
                AvailabilityRule::NoOwner,
                "neither `owner` nor `owner_email`",
            ),
            (&["notes"], AvailabilityRule::NoOwner, "`notes`"),
            (
                &["diagnostics"],
                AvailabilityRule::DiagnosticsDone,
                "`diagnostics.status`",
            ),
            (
                &["configuration"],
                AvailabilityRule::DiagnosticsDone,
                "`configuration`",
            ),
            (
                &["operation"],
                AvailabilityRule::LastOperationOk,
                "`operation`",
            ),
            (
                &["maintenance_mode"],
                AvailabilityRule::NotInMaintenance,
                "`maintenance_mode`",
            ),
            (
                &["in_operation"],
                AvailabilityRule::InOperation,
                "`in_operation`",
            ),
            (
                &["mac_addresses"],
                AvailabilityRule::UniqueMac,
                "`mac_addresses`",
            ),
            (
                &["errors"],
                AvailabilityRule::NoErrors,
                "`errors.diagnostics`",
            ),
            (
                &["errors.status"],
                AvailabilityRule::NoErrors,
                "`errors.status`",
            ),
        ];
        for (absent, rule, field) in cases {
            let mut json = answer();
            for name in absent {
                match name.split_once('.') {
                    Some((outer, inner)) => {
                        json[outer].as_object_mut().expect("object").remove(inner)
                    }
                    None => json.as_object_mut().expect("object").remove(*name),
                };
            }
            let server = read(json);
            let reason = reason_for(&server, rule)
                .unwrap_or_else(|| panic!("{absent:?} absent: the server passed"));
            assert!(reason.contains(field), "{absent:?}: {reason}");
            assert!(reason.contains("unknown"), "{absent:?}: {reason}");
        }
        // A port without its state or its role makes the ports unknown.
        let mut json = answer();
        json["switch_connection"] = serde_json::json!([{"id": 1, "is_ipmi_connection": false}]);
        assert!(reason_for(&read(json), AvailabilityRule::InOperation).is_some());
        let mut json = answer();
        json["switch_connection"] = serde_json::json!([{"id": 1, "admin_status": "up"}]);
        assert!(reason_for(&read(json), AvailabilityRule::InOperation).is_some());
        // `diagnostics` present without its status is unknown too.
        let mut json = answer();
        json["diagnostics"] = serde_json::json!({});
        assert!(reason_for(&read(json), AvailabilityRule::DiagnosticsDone).is_some());
    }

    #[test]
    fn one_of_owner_and_owner_email_is_enough_to_know_the_owner() {
        let mut json = answer();
        json.as_object_mut().expect("object").remove("owner");
        assert_eq!(rejection(&read(json)), None);
        let mut json = answer();
        json.as_object_mut().expect("object").remove("owner_email");
        json["owner"] = serde_json::json!({"id": 9, "email": "x@example.com"});
        assert_eq!(
            reason_for(&read(json), AvailabilityRule::NoOwner).as_deref(),
            Some("owned by x@example.com")
        );
    }

    #[test]
    fn ignored_errors_need_no_errors_field() {
        let mut json = answer();
        json.as_object_mut().expect("object").remove("errors");
        let server = read(json);
        assert!(classify(&server, &macs_of(std::slice::from_ref(&server)), true).is_ok());
    }

    #[test]
    fn the_ownership_guard_refuses_an_unknown_owner_or_notes() {
        let holder = Holder {
            item: 4,
            email: "client@example.com".into(),
        };
        for absent in [&["owner", "owner_email"][..], &["notes"][..]] {
            let mut json = answer();
            json["owner"] = serde_json::json!({"id": 57, "email": "client@example.com"});
            json["owner_email"] = serde_json::json!("client@example.com");
            json["notes"] = serde_json::json!("billmgr-item:4");
            assert!(ownership::ownership(&read(json.clone()), &holder).is_ok());
            for name in absent {
                json.as_object_mut().expect("object").remove(*name);
            }
            let refusal = ownership::ownership(&read(json), &holder).expect_err("refused");
            assert!(refusal.reason.contains("unknown"), "{refusal}");
        }
    }

    #[test]
    fn a_healthy_server_passes_every_rule() {
        let server = available(1);
        let macs = macs_of(std::slice::from_ref(&server));
        for rule in AvailabilityRule::ALL {
            assert_eq!(rule.check(&server, &macs, false), Ok(()), "{rule}");
        }
        assert_eq!(classify(&server, &macs, false), Ok(()));
    }

    #[test]
    fn rule_1_no_owner() {
        let server = owned(1, "client@example.com", 42);
        assert_eq!(
            reason_for(&server, AvailabilityRule::NoOwner).as_deref(),
            Some("owned by client@example.com")
        );
        let mut by_id = available(1);
        by_id.owner = Some(DciOwner {
            id: Some(57),
            email: String::new(),
        });
        assert_eq!(
            reason_for(&by_id, AvailabilityRule::NoOwner).as_deref(),
            Some("owned by user 57")
        );
        let mut by_email = available(1);
        by_email.owner_email = Some("x@example.com".into());
        assert_eq!(
            reason_for(&by_email, AvailabilityRule::NoOwner).as_deref(),
            Some("owned by x@example.com")
        );
    }

    #[test]
    fn rule_1_counts_item_marks_as_owned() {
        let mut reserved = available(1);
        reserved.notes = "billmgr-item:42".into();
        assert_eq!(
            reason_for(&reserved, AvailabilityRule::NoOwner).as_deref(),
            Some("reserved for item 42 by its notes")
        );
        let mut closing = available(1);
        closing.notes = "billmgr-item:42 closing diagnostics:90".into();
        assert_eq!(
            reason_for(&closing, AvailabilityRule::NoOwner).as_deref(),
            Some("the close of item 42 has not finished")
        );
        let mut staff_notes = available(1);
        staff_notes.notes = "new fans 2026-01".into();
        assert_eq!(rejection(&staff_notes), None);
    }

    #[test]
    fn rule_2_diagnostics_done_and_configuration_readable() {
        for (status, reason) in [
            (DiagnosticsStatus::Running, "diagnostics running"),
            (DiagnosticsStatus::Failed, "diagnostics failed"),
            (DiagnosticsStatus::NotRun, "diagnostics not run"),
            (
                DiagnosticsStatus::Unknown,
                "diagnostics in an unknown state",
            ),
        ] {
            let mut server = available(1);
            server.diagnostics.status = status;
            assert_eq!(
                reason_for(&server, AvailabilityRule::DiagnosticsDone).as_deref(),
                Some(reason)
            );
        }
        let mut empty = available(1);
        empty.configuration = Some(String::new());
        assert_eq!(
            reason_for(&empty, AvailabilityRule::DiagnosticsDone).as_deref(),
            Some("configuration not determined yet (empty label)")
        );
        empty.configuration = None;
        assert!(reason_for(&empty, AvailabilityRule::DiagnosticsDone).is_some());
        let mut unreadable = available(1);
        unreadable.configuration = Some("mystery box".into());
        assert_eq!(
            reason_for(&unreadable, AvailabilityRule::DiagnosticsDone).as_deref(),
            Some("configuration label 'mystery box': no RAM part such as '64Gb'")
        );
    }

    #[test]
    fn rule_3_last_operation_ok_canceled_or_none() {
        let mut server = available(1);
        for status in [OperationStatus::Ok, OperationStatus::Canceled] {
            server.operation = Some(operation(88, status));
            assert_eq!(rejection(&server), None);
        }
        server.operation = Some(operation(88, OperationStatus::Failed));
        assert_eq!(
            reason_for(&server, AvailabilityRule::LastOperationOk).as_deref(),
            Some("last operation 88 failed")
        );
        server.operation = Some(operation(89, OperationStatus::Running));
        assert_eq!(
            reason_for(&server, AvailabilityRule::LastOperationOk).as_deref(),
            Some("last operation 89 running")
        );
        server.operation = Some(operation(90, OperationStatus::Unknown));
        assert_eq!(
            reason_for(&server, AvailabilityRule::LastOperationOk).as_deref(),
            Some("last operation 90 in an unknown state")
        );
    }

    #[test]
    fn rule_4_not_in_maintenance() {
        let mut server = available(1);
        server.maintenance_mode = true;
        assert_eq!(
            reason_for(&server, AvailabilityRule::NotInMaintenance).as_deref(),
            Some("in maintenance mode")
        );
    }

    #[test]
    fn rule_5_in_operation() {
        let mut server = available(1);
        server.in_operation = false;
        assert_eq!(
            reason_for(&server, AvailabilityRule::InOperation).as_deref(),
            Some("not in operation")
        );
    }

    #[test]
    fn rule_6_unique_mac_across_the_installation() {
        let mut a = available(1);
        let mut b = available(2);
        let c = available(3);
        b.mac_addresses = vec!["0C-C4-7A-00-00-01".into()];
        let macs = macs_of(&[a.clone(), b.clone(), c.clone()]);
        let rejected = classify(&a, &macs, false).err();
        assert_eq!(
            rejected,
            Some(Rejection {
                rule: AvailabilityRule::UniqueMac,
                reason: "MAC 0c:c4:7a:00:00:01 is also on another server".into()
            })
        );
        assert!(classify(&b, &macs, false).is_err());
        assert_eq!(classify(&c, &macs, false), Ok(()));
        // Listing a MAC twice on one server is not a duplicate.
        a.mac_addresses.push("0c:c4:7a:00:00:01".into());
        assert_eq!(
            classify(&a, &macs_of(std::slice::from_ref(&a)), false),
            Ok(())
        );
        // Three servers sharing one address.
        let mut d = available(4);
        d.mac_addresses = vec!["0c:c4:7a:00:00:01".into()];
        let macs = macs_of(&[a.clone(), b, d]);
        assert_eq!(
            classify(&a, &macs, false).err().map(|r| r.reason),
            Some("MAC 0c:c4:7a:00:00:01 is also on 2 other servers".into())
        );
    }

    #[test]
    fn macs_compare_by_value_and_keep_odd_text() {
        assert_eq!(
            Mac::parse("0C:C4:7A:00:00:12"),
            Mac::parse("0cc4.7a00.0012")
        );
        assert_eq!(Mac::parse(" "), None);
        assert_eq!(
            Mac::parse("NOT-A-MAC").map(|m| m.to_string()),
            Some("not-a-mac".into())
        );
        assert_eq!(
            Mac::parse("0c:c4:7a:00:00:12").map(|m| m.to_string()),
            Some("0c:c4:7a:00:00:12".into())
        );
    }

    #[test]
    fn rule_7_no_errors_unless_ignored() {
        let mut server = available(1);
        server.errors.diagnostics = vec![error("disk sdb SMART failure")];
        server.errors.status = vec![
            error("fan 2 stopped"),
            ErrorEntry {
                code: serde_json::json!("E12"),
                msg: String::new(),
            },
        ];
        assert_eq!(
            reason_for(&server, AvailabilityRule::NoErrors).as_deref(),
            Some(
                "diagnostic errors: disk sdb SMART failure; status errors: fan 2 stopped, code \"E12\""
            )
        );
        let macs = macs_of(std::slice::from_ref(&server));
        assert_eq!(classify(&server, &macs, true), Ok(()));
    }

    #[test]
    fn the_first_failing_rule_wins() {
        let mut server = owned(1, "client@example.com", 42);
        server.maintenance_mode = true;
        server.errors.status = vec![error("psu")];
        assert_eq!(
            rejection(&server).map(|r| r.rule),
            Some(AvailabilityRule::NoOwner)
        );
        server.owner = None;
        server.owner_email = None;
        server.notes.clear();
        assert_eq!(
            rejection(&server).map(|r| r.rule),
            Some(AvailabilityRule::NotInMaintenance)
        );
        // Rule 6 comes before rule 7 even though it is settled last.
        server.maintenance_mode = false;
        let twin = available(1);
        assert_eq!(
            classify(&server, &macs_of(&[server.clone(), twin]), false).map_err(|r| r.rule),
            Err(AvailabilityRule::UniqueMac)
        );
    }

    #[test]
    fn census_agrees_with_classify_and_counts_per_rule() {
        let mut servers = Vec::new();
        for id in 1..=9 {
            servers.push(available(id));
        }
        servers[0].owner_email = Some("a@example.com".into());
        servers[1].diagnostics.status = DiagnosticsStatus::Running;
        servers[2].maintenance_mode = true;
        servers[3].in_operation = false;
        servers[4].mac_addresses = servers[5].mac_addresses.clone();
        servers[6].errors.status = vec![error("psu")];
        servers[7].owner_email = Some("b@example.com".into());
        servers[7].rack = Some(RackRef {
            id: Some(9),
            name: "R09".into(),
        });
        let macs = macs_of(&servers);
        let mut census = Census::default();
        for server in &servers {
            census.add(server, false);
        }
        let stock = census.finish(&macs);
        assert_eq!(
            stock.available.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![9]
        );
        assert_eq!(stock.available[0].rack_id, Some(7));
        assert_eq!(
            stock.available[0].configuration.to_string(),
            "E5-2620-64Gb-2x1024NVMe"
        );
        assert_eq!(stock.rejected.len(), 8);
        for rejected in &stock.rejected {
            let server = servers.iter().find(|s| s.id == rejected.id);
            let expected = server.and_then(|s| classify(s, &macs, false).err());
            assert_eq!(
                expected.as_ref(),
                Some(&rejected.rejection),
                "server {}",
                rejected.id
            );
        }
        assert_eq!(stock.tally.count(AvailabilityRule::NoOwner), 2);
        assert_eq!(stock.tally.count(AvailabilityRule::UniqueMac), 2);
        assert_eq!(stock.tally.total(), 8);
        assert_eq!(
            stock.tally.to_string(),
            "owned: 2, diagnostics not done: 1, in maintenance: 1, not in operation: 1, MAC not unique: 2, errors: 1"
        );
        assert_eq!(RuleTally::default().to_string(), "none rejected");
    }

    #[test]
    fn census_can_learn_macs_from_servers_outside_the_location() {
        let local = available(1);
        let mut elsewhere = available(2);
        elsewhere.location_id = 4;
        elsewhere.mac_addresses = local.mac_addresses.clone();
        let mut census = Census::default();
        census.add(&local, false);
        let stock = census.finish(&macs_of(&[local, elsewhere]));
        assert!(stock.available.is_empty());
        assert_eq!(stock.tally.count(AvailabilityRule::UniqueMac), 1);
    }

    #[test]
    fn a_large_location_is_judged_in_one_pass() {
        let mut macs = MacCounts::default();
        let mut census = Census::default();
        for id in 1..=50_000 {
            let mut server = available(id);
            if id % 2 == 0 {
                server.owner_email = Some("someone@example.com".into());
            }
            macs.add_server(&server);
            census.add(&server, false);
        }
        let stock = census.finish(&macs);
        assert_eq!(stock.available.len(), 25_000);
        assert_eq!(stock.tally.count(AvailabilityRule::NoOwner), 25_000);
        let requirement =
            crate::provision::order::Requirement::Fixed(stock.available[0].configuration.clone());
        let ranking = crate::provision::matching::rank(&requirement, &stock.available, 1);
        assert_eq!(ranking.matches.len(), 25_000);
    }

    #[test]
    fn verify_claim_checks_ownership_then_the_other_rules() {
        let holder = Holder {
            item: 42,
            email: "client@example.com".into(),
        };
        let mut server = owned(1, "client@example.com", 42);
        server.operation = None;
        let macs = macs_of(std::slice::from_ref(&server));
        assert_eq!(
            verify_claim(&server, &holder, &macs, false).map(|c| c.id),
            Ok(1)
        );
        let mut lost = server.clone();
        lost.notes = "billmgr-item:43".into();
        assert!(matches!(
            verify_claim(&lost, &holder, &macs, false),
            Err(ClaimLost::NotOwned(_))
        ));
        let mut broken = server;
        broken.in_operation = false;
        let verdict = verify_claim(&broken, &holder, &macs, false);
        assert_eq!(
            verdict.as_ref().err().map(ToString::to_string).as_deref(),
            Some("no longer available: not in operation")
        );
    }
}
